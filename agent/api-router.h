/* SPDX-License-Identifier: MIT */
/*
 * What a request to the connection API means, without any sockets: routing
 * (404/405), body limits (413), authentication (401/429/503, via
 * common/sigauth), JSON parsing (400), calling the core's handlers, and
 * every error as {"error": "..."} built with jansson. agent/api.c feeds it
 * from libmicrohttpd; the unit test and the fuzz target feed it directly.
 *
 * Requests are judged twice: api_router_check_head() as soon as the headers
 * are in, so that a request that will be refused anyway (unknown path, wrong
 * method, declared body too large, no credentials) is answered without
 * reading its body; api_router_handle() once the body is complete. The
 * second call repeats the checks, so it is correct on its own.
 *
 * It also keeps a small, fixed-size table of authentication failures per
 * client address (IPv4 address or IPv6 /64): after too many failures within a
 * minute, the client gets 429 until the minute is over. Addresses in it never
 * leave the process.
 */
#pragma once

#include <sys/socket.h>

#include "agent/api.h"

#define API_AUTH_FAILURE_MAX 10          /* failures per client within the window, then 429 */
#define API_AUTH_FAILURE_WINDOW_SEC 60
#define API_AUTH_FAILURE_SLOTS 256       /* clients tracked; the oldest entry makes room */
#define API_NONCE_SLOTS 4096             /* signed requests remembered within one window */
#define API_INHIBIT_MAX_SEC (31ULL * 24 * 3600)

typedef struct ApiRouter ApiRouter;

/* Who is asking, reduced to what rate limiting needs. */
typedef struct ApiPeer {
        uint8_t bytes[16];
        uint8_t len;             /* 0: unknown (never rate limited) */
} ApiPeer;

int api_peer_from_sockaddr(const struct sockaddr *sa, socklen_t len, ApiPeer *ret);

typedef struct ApiRequest {
        const char *method;
        const char *target;           /* path-and-query exactly as on the request line */
        const char *timestamp;        /* X-Sigrun-Timestamp, NULL if absent */
        const char *nonce;            /* X-Sigrun-Nonce */
        const char *signature;        /* X-Sigrun-Signature */
        const char *content_length;   /* Content-Length as received, NULL if absent */
        const void *body;
        size_t body_len;
        bool body_too_large;          /* more than body_max arrived (and was dropped) */
        ApiPeer peer;
} ApiRequest;

typedef struct ApiResponse {
        unsigned status;
        char *body;                   /* JSON text */
        const char *allow;            /* value for Allow: (405), or NULL */
        unsigned retry_after;         /* seconds for Retry-After: (429), 0 for none */
} ApiResponse;

void api_response_done(ApiResponse *r);

/* key: SIGAUTH_KEY_SIZE bytes or NULL (authenticated endpoints then answer 503). */
int api_router_new(const uint8_t *key, size_t body_max, const ApiHandlers *h, void *userdata, ApiRouter **ret);
ApiRouter *api_router_free(ApiRouter *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(ApiRouter *, api_router_free);

/* now: Unix time in seconds. Returns 1 with *ret filled when the request is
 * answered from its head alone, 0 when its body should be read, -ENOMEM. */
int api_router_check_head(ApiRouter *r, const ApiRequest *req, int64_t now, ApiResponse *ret);
/* Always answers: 0 with *ret filled, or -ENOMEM. */
int api_router_handle(ApiRouter *r, const ApiRequest *req, int64_t now, ApiResponse *ret);

/* "0.0.0.0:8456", "[::]:8456", "127.0.0.1:0": numeric addresses only (no
 * name lookups in a daemon's startup). -EINVAL if malformed. */
int api_listen_parse(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);
