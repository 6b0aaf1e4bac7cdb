/* SPDX-License-Identifier: MIT */
/*
 * The agent's connection API (design brief §3): libmicrohttpd inside the
 * agent's sd-event loop, no threads. This header is the glue's interface:
 * the core creates an ApiServer from the config and provides the handlers
 * that produce the answers. What a request means (routing, authentication,
 * limits, error bodies) is decided by agent/api-router.c, which has no
 * sockets in it so it can be unit-tested and fuzzed.
 */
#pragma once

#include <jansson.h>
#include <systemd/sd-event.h>

#include "common/macro.h"

#define API_DEFAULT_PORT 8456
#define API_DEFAULT_MAX_CONNECTIONS 256
#define API_DEFAULT_MAX_CONNECTIONS_PER_IP 16
#define API_DEFAULT_CONNECTION_TIMEOUT_SEC 10
#define API_DEFAULT_BODY_MAX 4096

typedef struct ApiHandlers {
        json_t *(*status)(void *userdata);    /* GET /v1/status body, new reference (public, nothing more private than A2S makes public) */
        json_t *(*players)(void *userdata);   /* GET /v1/players body, new reference (never peer IP addresses) */
        /* POST /v1/shutdown {"force": bool}: 0 → 202 {"status":"stopping"}; -EBUSY → 409 with *ret_message (names the players); -EOPNOTSUPP → 503 (no watchdog yet) */
        int (*shutdown)(void *userdata, bool force, char **ret_message);
        /* POST /v1/inhibit {"seconds": N} (0 clears): 0 → 200 with *ret_body; -EOPNOTSUPP → 503 */
        int (*inhibit)(void *userdata, uint64_t seconds, json_t **ret_body);
} ApiHandlers;

typedef struct ApiConfig {
        char **listen;                 /* "0.0.0.0:8456", "[::]:8456", "127.0.0.1:0" ... */
        const uint8_t *key;            /* 32 bytes, or NULL: authenticated endpoints answer 503 and the journal says why, once */
        unsigned max_connections;      /* default 256 */
        unsigned max_connections_per_ip; /* default 16 */
        unsigned connection_timeout_sec; /* default 10 */
        size_t body_max;               /* 4096: larger → 413 */
} ApiConfig;

typedef struct ApiServer ApiServer;

/* Zero fields of *c take the defaults above. Logs (the API is started by the
 * core, which has nothing to add) and returns a negative errno when a listen
 * address is malformed or cannot be bound. */
int api_server_new(sd_event *e, const ApiConfig *c, const ApiHandlers *h, void *userdata, ApiServer **ret);
ApiServer *api_server_free(ApiServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ApiServer *, api_server_free);
/* Bound port of listen[idx] (for "…:0" in tests), or -ENOENT. */
int api_server_port(const ApiServer *s, unsigned idx);
