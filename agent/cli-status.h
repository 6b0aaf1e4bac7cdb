/* SPDX-License-Identifier: MIT */
/*
 * `sigrun-agent status` and `sigrun-agent inhibit`: small clients of the
 * running agent's own API on this host, so an operator logged into the
 * instance sees what the Lambda sees. Blocking libcurl calls: this is a
 * command-line tool, not the daemon.
 */
#pragma once

#include "common/macro.h"

/* `sigrun-agent status [--json]`: GET /v1/status (and /v1/players signed when
 * the key is readable) from the local API named by the config's first listen
 * address (0.0.0.0/[::] → loopback); prints a human summary, or with json
 * one object {"status": {...}, "players": {...} or null}. Returns an exit code. */
int cli_status(const char *const *listen, const uint8_t *key /* NULL if unreadable */, bool json);

/* `sigrun-agent inhibit 2h|0`: signed POST /v1/inhibit. Returns an exit code. */
int cli_inhibit(const char *const *listen, const uint8_t *key, const char *duration);
