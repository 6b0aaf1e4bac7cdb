/* SPDX-License-Identifier: MIT */
/*
 * Routing, limits and authentication of the connection API: see api-router.h.
 * Pure request → response; the only state is the nonce table (in the
 * verifier) and the table of authentication failures.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#include "agent/api-router.h"
#include "common/parse.h"
#include "common/sigauth.h"

/* jansson provides json_decrefp() */
#define _cleanup_json_ _cleanup_(json_decrefp)

typedef enum ApiEndpoint {
        API_STATUS,
        API_PLAYERS,
        API_SHUTDOWN,
        API_INHIBIT,
} ApiEndpoint;

typedef struct ApiRoute {
        const char *path;
        const char *method;
        ApiEndpoint endpoint;
        bool authenticated;
} ApiRoute;

static const ApiRoute routes[] = {
        { "/v1/status", "GET", API_STATUS, false },
        { "/v1/players", "GET", API_PLAYERS, true },
        { "/v1/shutdown", "POST", API_SHUTDOWN, true },
        { "/v1/inhibit", "POST", API_INHIBIT, true },
};

typedef struct AuthFailures {
        ApiPeer peer;
        int64_t since;           /* start of this client's window */
        unsigned count;
} AuthFailures;

struct ApiRouter {
        ApiHandlers handlers;
        void *userdata;
        size_t body_max;
        SigauthVerifier *verifier;     /* NULL: no key configured */
        AuthFailures failures[API_AUTH_FAILURE_SLOTS];
};

void api_response_done(ApiResponse *r) {
        if (!r)
                return;
        free(r->body);
        *r = (ApiResponse) {};
}

int api_router_new(const uint8_t *key, size_t body_max, const ApiHandlers *h, void *userdata, ApiRouter **ret) {
        _cleanup_(api_router_freep) ApiRouter *r = NULL;
        int k;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        if (h)
                r->handlers = *h;
        r->userdata = userdata;
        r->body_max = body_max ?: API_DEFAULT_BODY_MAX;
        if (key) {
                k = sigauth_verifier_new(key, API_NONCE_SLOTS, &r->verifier);
                if (k < 0)
                        return k;
        }
        *ret = TAKE_PTR(r);
        return 0;
}

ApiRouter *api_router_free(ApiRouter *r) {
        if (!r)
                return NULL;
        sigauth_verifier_free(r->verifier);
        free(r);
        return NULL;
}

int api_peer_from_sockaddr(const struct sockaddr *sa, socklen_t len, ApiPeer *ret) {
        ApiPeer p = {};

        if (!sa)
                return -EINVAL;
        if (sa->sa_family == AF_INET && len >= (socklen_t) sizeof(struct sockaddr_in)) {
                const struct sockaddr_in *in = (const struct sockaddr_in *) sa;
                memcpy(p.bytes, &in->sin_addr, 4);
                p.len = 4;
        } else if (sa->sa_family == AF_INET6 && len >= (socklen_t) sizeof(struct sockaddr_in6)) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;
                if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
                        memcpy(p.bytes, in6->sin6_addr.s6_addr + 12, 4);
                        p.len = 4;
                } else {
                        /* One host usually owns a whole /64: count it as one client. */
                        memcpy(p.bytes, in6->sin6_addr.s6_addr, 8);
                        p.len = 8;
                }
        } else
                return -EAFNOSUPPORT;
        *ret = p;
        return 0;
}

static bool peer_eq(const ApiPeer *a, const ApiPeer *b) {
        return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

static bool failures_expired(const AuthFailures *f, int64_t now) {
        /* A clock that went backwards also ends the window. */
        return f->count == 0 || now < f->since || now - f->since >= API_AUTH_FAILURE_WINDOW_SEC;
}

static AuthFailures *failures_find(ApiRouter *r, const ApiPeer *peer) {
        for (size_t i = 0; i < API_AUTH_FAILURE_SLOTS; i++)
                if (r->failures[i].count > 0 && peer_eq(&r->failures[i].peer, peer))
                        return r->failures + i;
        return NULL;
}

/* Seconds until this client may try again, 0 if it may now. */
static unsigned failures_retry_after(ApiRouter *r, const ApiPeer *peer, int64_t now) {
        AuthFailures *f;

        if (peer->len == 0)
                return 0;
        f = failures_find(r, peer);
        if (!f || failures_expired(f, now) || f->count < API_AUTH_FAILURE_MAX)
                return 0;
        return (unsigned) MAX(1, f->since + API_AUTH_FAILURE_WINDOW_SEC - now);
}

static void failures_record(ApiRouter *r, const ApiPeer *peer, int64_t now) {
        AuthFailures *f, *victim = NULL;

        if (peer->len == 0)
                return;

        f = failures_find(r, peer);
        if (!f) {
                /* A free or expired slot, else the oldest window: an attacker with
                 * many addresses can push others out, but cannot make us grow. */
                for (size_t i = 0; i < API_AUTH_FAILURE_SLOTS; i++) {
                        AuthFailures *e = r->failures + i;
                        if (failures_expired(e, now)) {
                                victim = e;
                                break;
                        }
                        if (!victim || e->since < victim->since)
                                victim = e;
                }
                f = victim;
                *f = (AuthFailures) { .peer = *peer };
        }
        if (failures_expired(f, now)) {
                f->since = now;
                f->count = 0;
        }
        if (f->count < UINT_MAX)
                f->count++;
}

static void failures_forget(ApiRouter *r, const ApiPeer *peer) {
        AuthFailures *f = failures_find(r, peer);

        if (f)
                *f = (AuthFailures) {};
}

static int respond_json(ApiResponse *ret, unsigned status, json_t *body) {
        char *s;

        s = json_dumps(body, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        *ret = (ApiResponse) { .status = status, .body = s };
        return 0;
}

static int respond_error(ApiResponse *ret, unsigned status, const char *message) {
        _cleanup_json_ json_t *j = NULL;

        j = json_pack("{s:s}", "error", message);
        if (!j)
                return -ENOMEM;
        return respond_json(ret, status, j);
}

static const ApiRoute *route_find(const char *target) {
        const char *q;
        size_t len;

        if (!target)
                return NULL;
        q = strchr(target, '?');
        len = q ? (size_t) (q - target) : strlen(target);

        for (size_t i = 0; i < ELEMENTSOF(routes); i++)
                if (strlen(routes[i].path) == len && memcmp(routes[i].path, target, len) == 0)
                        return routes + i;
        return NULL;
}

static bool body_declared_too_large(const ApiRouter *r, const ApiRequest *req) {
        uint64_t n;

        if (req->body_too_large || req->body_len > r->body_max)
                return true;
        /* A malformed Content-Length is libmicrohttpd's to refuse; here only the size counts. */
        return req->content_length && parse_uint64(req->content_length, 0, UINT64_MAX, &n) >= 0 &&
                n > r->body_max;
}

static const char *auth_error_message(int r) {
        switch (r) {
        case -EBADMSG:
                return "Malformed X-Sigrun-Timestamp, X-Sigrun-Nonce or X-Sigrun-Signature header";
        case -ETIME:
                return "Request timestamp is more than 60 s away from the agent's clock";
        case -EALREADY:
                return "Request nonce was already used";
        default:
                return "Bad request signature";
        }
}

/* The checks that need no body. Returns 1 with *ret filled when the request
 * is refused, 0 when it may go on, < 0 on error. */
static int route_head(ApiRouter *r, const ApiRequest *req, int64_t now, const ApiRoute **ret_route,
                      ApiResponse *ret) {
        const ApiRoute *route;
        unsigned retry;
        int k;

        route = route_find(req->target);
        if (!route)
                return respond_error(ret, 404, "Not found") ?: 1;
        if (!req->method || !streq(req->method, route->method)) {
                k = respond_error(ret, 405, streq(route->method, "GET") ? "Method not allowed (use GET)"
                                                                        : "Method not allowed (use POST)");
                if (k < 0)
                        return k;
                ret->allow = route->method;
                return 1;
        }
        if (body_declared_too_large(r, req)) {
                char msg[64];
                (void) snprintf(msg, sizeof(msg), "Request body too large (at most %zu bytes)", r->body_max);
                return respond_error(ret, 413, msg) ?: 1;
        }

        if (route->authenticated) {
                if (!r->verifier)
                        return respond_error(ret, 503, "Authentication is not configured on this agent (api.key is not set)") ?: 1;

                retry = failures_retry_after(r, &req->peer, now);
                if (retry > 0) {
                        k = respond_error(ret, 429, "Too many failed authentication attempts, try again later");
                        if (k < 0)
                                return k;
                        ret->retry_after = retry;
                        return 1;
                }
                if (!req->timestamp || !req->nonce || !req->signature) {
                        failures_record(r, &req->peer, now);
                        return respond_error(ret, 401, "Missing X-Sigrun-Timestamp, X-Sigrun-Nonce or X-Sigrun-Signature header") ?: 1;
                }
        }

        *ret_route = route;
        return 0;
}

int api_router_check_head(ApiRouter *r, const ApiRequest *req, int64_t now, ApiResponse *ret) {
        const ApiRoute *route;

        return route_head(r, req, now, &route, ret);
}

static int authenticate(ApiRouter *r, const ApiRequest *req, int64_t now, ApiResponse *ret) {
        int k;

        k = sigauth_verify(r->verifier, now, req->timestamp, req->nonce, req->signature, req->method,
                           req->target, req->body, req->body_len);
        if (k == 0) {
                failures_forget(r, &req->peer);
                return 0;
        }
        if (k == -ENOBUFS) {
                /* Not the client's fault, and not to be counted as one. */
                k = respond_error(ret, 429, "Too many authenticated requests within a minute, try again later");
                if (k < 0)
                        return k;
                ret->retry_after = SIGAUTH_WINDOW_SEC;
                return 1;
        }
        if (k == -ENOMEM)
                return k;

        failures_record(r, &req->peer, now);
        return respond_error(ret, 401, auth_error_message(k)) ?: 1;
}

/* The body of a POST as a JSON object; an empty body is {}. */
static int parse_body(const ApiRequest *req, json_t **ret_obj, ApiResponse *ret) {
        json_error_t err;
        json_t *j;
        char msg[sizeof(err.text) + 32];

        if (req->body_len == 0) {
                j = json_object();
                if (!j)
                        return -ENOMEM;
                *ret_obj = j;
                return 0;
        }

        j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
        if (!j) {
                (void) snprintf(msg, sizeof(msg), "Malformed JSON: %s", err.text);
                return respond_error(ret, 400, msg) ?: 1;
        }
        if (!json_is_object(j)) {
                json_decref(j);
                return respond_error(ret, 400, "Request body must be a JSON object") ?: 1;
        }
        *ret_obj = j;
        return 0;
}

static int handle_document(json_t *(*producer)(void *userdata), void *userdata, ApiResponse *ret) {
        _cleanup_json_ json_t *j = NULL;

        if (!producer)
                return respond_error(ret, 503, "Not available on this agent");
        j = producer(userdata);
        if (!j)
                return respond_error(ret, 500, "Internal error");
        return respond_json(ret, 200, j);
}

static int handle_shutdown(ApiRouter *r, const json_t *body, ApiResponse *ret) {
        _cleanup_free_ char *message = NULL;
        _cleanup_json_ json_t *answer = NULL;
        json_t *force;
        int k;

        force = json_object_get(body, "force");
        if (force && !json_is_boolean(force))
                return respond_error(ret, 400, "\"force\" must be true or false");
        if (!r->handlers.shutdown)
                return respond_error(ret, 503, "Shutdown is not available: this agent has no watchdog");

        k = r->handlers.shutdown(r->userdata, force && json_is_true(force), &message);
        switch (k) {
        case 0:
                answer = json_pack("{s:s}", "status", "stopping");
                if (!answer)
                        return -ENOMEM;
                return respond_json(ret, 202, answer);
        case -EBUSY:
                return respond_error(ret, 409, message ?: "Players are connected; use {\"force\": true} to stop anyway");
        case -EOPNOTSUPP:
                return respond_error(ret, 503, message ?: "Shutdown is not available: this agent has no watchdog");
        case -EALREADY:
                return respond_error(ret, 409, message ?: "A shutdown is already in progress");
        default:
                return respond_error(ret, 500, "Internal error");
        }
}

static int handle_inhibit(ApiRouter *r, const json_t *body, ApiResponse *ret) {
        _cleanup_json_ json_t *answer = NULL;
        json_t *seconds;
        json_int_t n;
        int k;

        seconds = json_object_get(body, "seconds");
        if (!json_is_integer(seconds))
                return respond_error(ret, 400, "\"seconds\" must be a whole number of seconds (0 clears)");
        n = json_integer_value(seconds);
        if (n < 0 || (uint64_t) n > API_INHIBIT_MAX_SEC)
                return respond_error(ret, 400, "\"seconds\" must be between 0 and 2678400 (31 days)");
        if (!r->handlers.inhibit)
                return respond_error(ret, 503, "Inhibit is not available: this agent has no watchdog");

        k = r->handlers.inhibit(r->userdata, (uint64_t) n, &answer);
        switch (k) {
        case 0:
                if (!answer) {
                        answer = json_pack("{s:I}", "seconds", n);
                        if (!answer)
                                return -ENOMEM;
                }
                return respond_json(ret, 200, answer);
        case -EOPNOTSUPP:
                return respond_error(ret, 503, "Inhibit is not available: this agent has no watchdog");
        case -EINVAL:
        case -ERANGE:
                return respond_error(ret, 400, "\"seconds\" is out of range");
        default:
                return respond_error(ret, 500, "Internal error");
        }
}

int api_router_handle(ApiRouter *r, const ApiRequest *req, int64_t now, ApiResponse *ret) {
        _cleanup_json_ json_t *body = NULL;
        const ApiRoute *route = NULL;
        int k;

        k = route_head(r, req, now, &route, ret);
        if (k != 0)
                return k < 0 ? k : 0;

        if (route->authenticated) {
                k = authenticate(r, req, now, ret);
                if (k != 0)
                        return k < 0 ? k : 0;
        }

        switch (route->endpoint) {
        case API_STATUS:
                return handle_document(r->handlers.status, r->userdata, ret);
        case API_PLAYERS:
                return handle_document(r->handlers.players, r->userdata, ret);
        case API_SHUTDOWN:
        case API_INHIBIT:
                k = parse_body(req, &body, ret);
                if (k != 0)
                        return k < 0 ? k : 0;
                return route->endpoint == API_SHUTDOWN ? handle_shutdown(r, body, ret)
                                                       : handle_inhibit(r, body, ret);
        }
        return respond_error(ret, 500, "Internal error");
}

int api_listen_parse(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len) {
        _cleanup_free_ char *host = NULL;
        struct sockaddr_storage ss = {};
        const char *colon, *port_str;
        uint64_t port;
        socklen_t len;

        if (!s)
                return -EINVAL;
        if (s[0] == '[') {
                const char *end = strchr(s, ']');
                if (!end || end[1] != ':')
                        return -EINVAL;
                host = strndup(s + 1, end - s - 1);
                port_str = end + 2;
        } else {
                colon = strrchr(s, ':');
                if (!colon || strchr(s, ':') != colon)
                        return -EINVAL;
                host = strndup(s, colon - s);
                port_str = colon + 1;
        }
        if (!host)
                return -ENOMEM;
        if (parse_uint64(port_str, 0, 65535, &port) < 0)
                return -EINVAL;

        if (s[0] == '[') {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;
                if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
                        return -EINVAL;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t) port);
                len = sizeof(*in6);
        } else {
                struct sockaddr_in *in = (struct sockaddr_in *) &ss;
                if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
                        return -EINVAL;
                in->sin_family = AF_INET;
                in->sin_port = htons((uint16_t) port);
                len = sizeof(*in);
        }
        *ret = ss;
        *ret_len = len;
        return 0;
}
