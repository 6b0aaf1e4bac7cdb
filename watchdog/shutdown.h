/* SPDX-License-Identifier: MIT */
/*
 * The graceful stop, once the policy has decided: first the game unit is
 * stopped through systemd (StopUnit, then its JobRemoved signal, bounded by
 * watchdog.game_stop_timeout) so Valheim saves the world; only then the
 * configured action runs: logind PowerOff, EC2 StopInstances on our own
 * instance (IMDSv2 credentials, SigV4), a command, or nothing.
 *
 * Everything is asynchronous on the agent's sd-event loop (sd-bus attached to
 * it, curl-event for HTTP, a child source for the command). A failing action
 * is reported loudly (journal with SIGRUN_EVENT=shutdown_failed, Discord) and
 * retried with exponential backoff forever: the loop never exits because a
 * stop did not work.
 */
#pragma once

#include <systemd/sd-event.h>

#include "agent/config.h"
#include "common/curl-event.h"
#include "watchdog/discord.h"

/* Backoff between attempts of a failing action. */
#define SHUTDOWN_RETRY_FIRST (30 * USEC_PER_SEC)
#define SHUTDOWN_RETRY_MAX (10 * USEC_PER_MINUTE)
/* A shutdown command running longer than this is killed (and retried). */
#define SHUTDOWN_EXEC_TIMEOUT (10 * USEC_PER_MINUTE)
/* An EC2 API call that takes longer than this has failed. */
#define SHUTDOWN_EC2_TIMEOUT_MS 30000L

typedef struct Shutdown Shutdown;

/* Copies what it needs from c; n may be NULL (no notifications). */
int shutdown_new(sd_event *e, const AgentConfig *c, CurlEvent *ce, Notifier *n, Shutdown **ret);
Shutdown *shutdown_free(Shutdown *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Shutdown *, shutdown_free);

/* Begin the stop. Asynchronous and idempotent: while one is in progress (or
 * done) another call is a no-op returning 0. */
int shutdown_start(Shutdown *s, const char *reason);

/* "idle", "stopping_game", "acting", "retrying", "done". */
const char *shutdown_phase(const Shutdown *s);

/* Override the retry backoff (first delay, doubling up to max). */
void shutdown_set_retry_interval(Shutdown *s, usec_t first, usec_t max);

/* "poweroff", "ec2-stop", "exec", "none". */
const char *watchdog_action_to_string(WatchdogAction a);
