/* SPDX-License-Identifier: MIT */
/*
 * Discord webhook notifications: "server ready", joins and leaves, the idle
 * warning, "stopping", failures. Posts are queued and sent one at a time
 * through curl-event, so a slow or dead webhook never delays anything else
 * (least of all a stop). Discord's rate limit is honoured: a 429 holds the
 * queue for its retry_after (JSON body) or Retry-After (header). The queue is
 * bounded; past NOTIFIER_QUEUE_MAX the oldest message is dropped and counted.
 *
 * Message building and 429 parsing are pure functions, tested on their own.
 */
#pragma once

#include <systemd/sd-event.h>

#include "common/curl-event.h"
#include "common/macro.h"

#define NOTIFIER_QUEUE_MAX 32U
/* Discord's limits for an embed. */
#define DISCORD_TITLE_MAX 256U
#define DISCORD_DESCRIPTION_MAX 4096U
/* Bounds on how long a 429 may hold the queue. */
#define DISCORD_RETRY_AFTER_DEFAULT (5 * USEC_PER_SEC)
#define DISCORD_RETRY_AFTER_MAX (10 * USEC_PER_MINUTE)
/* A post that fails otherwise (network, 5xx) is retried this many times. */
#define NOTIFIER_ATTEMPTS_MAX 4U
#define NOTIFIER_REQUEST_TIMEOUT_MS 10000L

/* Embed colours. */
#define NOTIFY_COLOR_OK 0x2ecc71U      /* green: ready, joined */
#define NOTIFY_COLOR_INFO 0x3498dbU    /* blue: left, stopped */
#define NOTIFY_COLOR_WARNING 0xf1c40fU /* yellow: idle warning, stopping */
#define NOTIFY_COLOR_ERROR 0xe74c3cU   /* red: failures */

typedef struct Notifier Notifier;

/* webhook_url NULL or "" disables the notifier: every post is a no-op. */
int notifier_new(sd_event *e, CurlEvent *ce, const char *webhook_url, Notifier **ret);
/* Drops whatever is still queued or in flight. */
Notifier *notifier_free(Notifier *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(Notifier *, notifier_free);

/* Queue one embed. Never blocks, never fails loudly (a notification is not
 * worth stopping anything for); problems are logged at warning level. */
void notifier_post(Notifier *n, const char *title, const char *description, uint32_t color);

bool notifier_enabled(const Notifier *n);
/* Messages waiting (including one in flight), and dropped because the queue was full. */
size_t notifier_queued(const Notifier *n);
uint64_t notifier_dropped(const Notifier *n);

/* {"embeds":[{"title":..,"description":..,"color":..}],"allowed_mentions":{"parse":[]}}
 * Title and description are cut to Discord's limits on a UTF-8 character
 * boundary; mentions never ping anyone. NULL title or description are left out. */
int discord_build_message(const char *title, const char *description, uint32_t color, char **ret);

/* How long a 429 asks us to wait: "retry_after" (seconds, may be fractional)
 * from the JSON body, else the Retry-After header (seconds), else
 * DISCORD_RETRY_AFTER_DEFAULT; clamped to (0, DISCORD_RETRY_AFTER_MAX]. */
usec_t discord_parse_retry_after(const char *body, size_t len, const char *retry_after_header);
