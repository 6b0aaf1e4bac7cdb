/* SPDX-License-Identifier: MIT */
/*
 * The `a2s` player source: asks the game's query port (game port + 1) for
 * A2S_INFO every interval, inside sd-event, and reports the player count it
 * gets. No answer within the timeout makes the source unknown, never zero.
 */
#pragma once

#include <systemd/sd-event.h>

#include "agent/source.h"
#include "common/macro.h"

typedef struct A2sQuery A2sQuery;

/* host is a numeric address ("127.0.0.1", "::1"): no name lookups on the loop.
 * The first query goes out at once, then one per interval. */
int a2s_query_new(sd_event *e, const char *host, uint16_t port, usec_t interval, usec_t timeout,
                  source_changed_t cb, void *userdata, A2sQuery **ret);
A2sQuery *a2s_query_free(A2sQuery *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(A2sQuery *, a2s_query_free);

/* name "a2s"; HEALTHY with the count from the last answer, or UNKNOWN with
 * why ("no answer within 3s", "query port closed"); never any names (Valheim
 * sends empty ones). */
void a2s_query_report(A2sQuery *q, SourceReport *ret);
