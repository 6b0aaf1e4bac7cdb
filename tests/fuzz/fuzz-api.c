/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the connection API's request handling (agent/api-router.c) with
 * whatever libmicrohttpd could hand it. The input is read like a tiny HTTP
 * request:
 *
 *   METHOD "\n" TARGET "\n" (NAME ": " VALUE "\n")* "\n" BODY
 *
 * Headers the router reads are X-Sigrun-Timestamp/-Nonce/-Signature and
 * Content-Length. A signature of "sign" is replaced by a valid one for the
 * request as given, so that inputs also get past authentication into the
 * JSON handling and the handlers.
 */
#include <string.h>

#include "agent/api-router.h"
#include "common/sigauth.h"
#include "tests/fuzz/fuzz.h"

#define NOW 1700000000

static const uint8_t key[SIGAUTH_KEY_SIZE] = { 0x42 };

static json_t *fuzz_status(void *userdata) {
        return json_pack("{s:i}", "players", 0);
}

static int fuzz_shutdown(void *userdata, bool force, char **ret_message) {
        if (force)
                return 0;
        *ret_message = strdup("players are connected");
        return -EBUSY;
}

static int fuzz_inhibit(void *userdata, uint64_t seconds, json_t **ret_body) {
        return seconds % 2 ? -EOPNOTSUPP : 0;
}

/* Next line of [*p, end) as a NUL-terminated copy, or NULL at the end of the input. */
static char *next_line(const char **p, const char *end) {
        const char *nl;
        char *s;

        if (*p >= end)
                return NULL;
        nl = memchr(*p, '\n', end - *p);
        s = strndup(*p, (nl ? nl : end) - *p);
        *p = nl ? nl + 1 : end;
        return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const ApiHandlers handlers = {
                .status = fuzz_status,
                .shutdown = fuzz_shutdown,
                .inhibit = fuzz_inhibit,
        };
        _cleanup_(api_router_freep) ApiRouter *router = NULL;
        _cleanup_free_ char *method = NULL, *target = NULL, *ts = NULL, *nonce = NULL, *sig = NULL,
                            *clen = NULL;
        char signature[SIGAUTH_SIGNATURE_HEX_LEN + 1];
        const char *p = (const char *) data, *end = p + size;
        ApiResponse resp = {};
        ApiRequest req = {};

        method = next_line(&p, end);
        target = next_line(&p, end);
        if (!method || !target)
                return 0;
        for (;;) {
                _cleanup_free_ char *line = next_line(&p, end);
                char **slot = NULL;
                const char *colon;

                if (!line || !*line)
                        break;
                colon = strchr(line, ':');
                if (!colon)
                        continue;
                if (strncasecmp(line, "X-Sigrun-Timestamp:", 19) == 0)
                        slot = &ts;
                else if (strncasecmp(line, "X-Sigrun-Nonce:", 15) == 0)
                        slot = &nonce;
                else if (strncasecmp(line, "X-Sigrun-Signature:", 19) == 0)
                        slot = &sig;
                else if (strncasecmp(line, "Content-Length:", 15) == 0)
                        slot = &clen;
                if (slot) {
                        free(*slot);
                        *slot = strdup(colon + 1 + strspn(colon + 1, " "));
                }
        }

        if (api_router_new(key, 0, &handlers, NULL, &router) < 0)
                return 0;

        req = (ApiRequest) {
                .method = method,
                .target = target,
                .timestamp = ts,
                .nonce = nonce,
                .signature = sig,
                .content_length = clen,
                .body = p,
                .body_len = end - p,
                .peer = { .bytes = { 192, 0, 2, 1 }, .len = 4 },
        };
        if (sig && streq(sig, "sign") && ts && nonce) {
                int64_t t;
                if (sigauth_parse_timestamp(ts, &t) >= 0 &&
                    sigauth_sign(key, t, nonce, method, target, req.body, req.body_len, signature) >= 0)
                        req.signature = signature;
        }

        if (api_router_check_head(router, &req, NOW, &resp) > 0) {
                if (resp.status < 400 || !resp.body)
                        abort();
                api_response_done(&resp);
        }
        if (api_router_handle(router, &req, NOW, &resp) == 0) {
                /* every answer is JSON, every error {"error": "..."} */
                json_t *j = json_loads(resp.body, 0, NULL);
                if (!j || !json_is_object(j) || (resp.status >= 400 && !json_is_string(json_object_get(j, "error"))))
                        abort();
                json_decref(j);
                /* a signed request to an authenticated endpoint cannot be
                 * replayed: the second must be refused */
                bool public = strcspn(target, "?") == strlen("/v1/status") &&
                        strncmp(target, "/v1/status", strlen("/v1/status")) == 0;
                if (resp.status / 100 == 2 && req.signature == signature && !public) {
                        api_response_done(&resp);
                        if (api_router_handle(router, &req, NOW, &resp) == 0 && resp.status != 401)
                                abort();
                }
        }
        api_response_done(&resp);
        return 0;
}
