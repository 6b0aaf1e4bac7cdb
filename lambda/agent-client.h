/* SPDX-License-Identifier: MIT */
/*
 * Client for the agent's connection API (design brief §3), as the Lambda and
 * the CLI use it: the public GET /v1/status, and GET /v1/players and
 * POST /v1/shutdown signed with common/sigauth. The answers are read
 * leniently (unknown fields ignored, missing ones left unknown), because a
 * status reply with less in it is still worth showing.
 */
#pragma once

#include "common/macro.h"

typedef struct AgentStatus {
        int players;          /* -1 unknown */
        bool ready;
        bool has_uptime;
        uint64_t uptime_sec;
        char *watchdog;       /* watchdog state, NULL unknown */
        int64_t stop_at;      /* Unix seconds, 0 none */
} AgentStatus;

void agent_status_done(AgentStatus *s);

/* Parse a /v1/status body. -EBADMSG when it is not a JSON object. */
int agent_status_parse(const char *json, size_t len, AgentStatus *ret);
/* Parse a /v1/players body ({"players": N, "list": [{"name": "..." or null,
 * "since", "sources"}], "sources": [...]}) into names, "unknown player" for
 * those without one. */
int agent_players_parse(const char *json, size_t len, char ***ret_names);

/* Network errors as http_request(); -EPROTO for an unexpected status or body. */
int agent_get_status(const char *ip, uint16_t port, long timeout_ms, AgentStatus *ret);
int agent_get_players(const char *ip, uint16_t port, const uint8_t key[32], long timeout_ms, char ***ret_names);

/* POST /v1/shutdown {"force": force}. Returns 0 with the HTTP status in
 * *ret_status and the answer's "error" text (if any) in *ret_error. */
int agent_request_shutdown(const char *ip, uint16_t port, const uint8_t key[32], bool force, long timeout_ms,
                           long *ret_status, char **ret_error);
