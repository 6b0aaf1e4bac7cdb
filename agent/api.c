/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd inside the agent's sd-event loop (design brief §5). Each
 * listen address gets its own MHD daemon started with MHD_USE_EPOLL and no
 * thread of its own: its epoll fd is an sd-event io source, MHD_run() does
 * the work when it is readable, and a timer re-armed from MHD_get_timeout()
 * after every run covers what readiness alone does not tell (idle connection
 * timeouts, and connections MHD still has data for after a run).
 *
 * This file only moves bytes between MHD and agent/api-router.c: it keeps
 * the raw request target (MHD hands the access handler a decoded path without
 * its query, but the signature covers path-and-query as sent), collects the
 * body into a capped Buffer, and turns the router's answer into an MHD
 * response. The limits are MHD's own options.
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "agent/api-router.h"
#include "agent/api.h"
#include "common/buffer.h"
#include "common/log.h"
#include "common/sigauth.h"

/* Per-connection memory MHD may use for headers and buffers. The request
 * line and a few headers fit easily; the body goes to our own Buffer. */
#define API_CONNECTION_MEMORY_LIMIT ((size_t) 16 * 1024)
/* How much of an undeclared (chunked) body past the limit we read and drop
 * so that the client still gets its 413; past this, we hang up. */
#define API_DISCARD_MAX ((size_t) 64 * 1024)

typedef struct ApiDaemon {
        ApiServer *server;
        char *address;
        struct MHD_Daemon *mhd;
        sd_event_source *io_source;
        sd_event_source *timer_source;
        int port;
} ApiDaemon;

struct ApiServer {
        sd_event *event;
        ApiRouter *router;
        size_t body_max;
        ApiDaemon *daemons;
        size_t n_daemons;
};

/* One request on a connection, from the request line to the answer. */
typedef struct ApiExchange {
        char *target;
        Buffer body;
        bool head_checked;
        bool body_too_large;
        size_t discarded;
} ApiExchange;

static void api_exchange_free(ApiExchange *x) {
        if (!x)
                return;
        free(x->target);
        buffer_free(&x->body);
        free(x);
}

static int64_t now_realtime_sec(void) {
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return 0;
        return ts.tv_sec;
}

/* Called with the request target exactly as received, before MHD splits off
 * the query and decodes the path; what it returns becomes *req_cls. */
static void *api_uri_logger(void *cls, const char *uri, struct MHD_Connection *connection) {
        ApiServer *s = cls;
        ApiExchange *x;

        x = calloc(1, sizeof(*x));
        if (!x)
                return NULL;
        x->target = strdup(uri ?: "");
        if (!x->target) {
                free(x);
                return NULL;
        }
        buffer_init(&x->body, s->body_max);
        return x;
}

static void api_request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                                  enum MHD_RequestTerminationCode toe) {
        api_exchange_free(*req_cls);
        *req_cls = NULL;
}

_printf_(2, 0) static void api_mhd_logger(void *cls, const char *fmt, va_list ap) {
        char buf[256];

        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        buf[strcspn(buf, "\n")] = 0;
        log_debug("libmicrohttpd: %s", buf);
}

static enum MHD_Result api_queue(struct MHD_Connection *connection, ApiResponse *answer) {
        struct MHD_Response *response;
        enum MHD_Result ret;
        char retry[16];
        size_t len = answer->body ? strlen(answer->body) : 0;

        response = MHD_create_response_from_buffer(len, answer->body, MHD_RESPMEM_MUST_FREE);
        if (!response) {
                api_response_done(answer);
                return MHD_NO;
        }
        answer->body = NULL;   /* MHD frees it now */

        if (MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") == MHD_NO ||
            MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_NO ||
            (answer->allow && MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, answer->allow) == MHD_NO)) {
                MHD_destroy_response(response);
                return MHD_NO;
        }
        if (answer->retry_after > 0) {
                (void) snprintf(retry, sizeof(retry), "%u", answer->retry_after);
                if (MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, retry) == MHD_NO) {
                        MHD_destroy_response(response);
                        return MHD_NO;
                }
        }

        ret = MHD_queue_response(connection, answer->status, response);
        MHD_destroy_response(response);
        api_response_done(answer);
        return ret;
}

static void api_request_from_connection(struct MHD_Connection *connection, const char *method,
                                        const ApiExchange *x, ApiRequest *ret) {
        const union MHD_ConnectionInfo *info;

        *ret = (ApiRequest) {
                .method = method,
                .target = x->target,
                .timestamp = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, SIGAUTH_HEADER_TIMESTAMP),
                .nonce = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, SIGAUTH_HEADER_NONCE),
                .signature = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, SIGAUTH_HEADER_SIGNATURE),
                .content_length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH),
                .body = x->body.data,
                .body_len = x->body.len,
                .body_too_large = x->body_too_large,
        };

        info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (info && info->client_addr)
                (void) api_peer_from_sockaddr(info->client_addr,
                                              info->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                                                       : sizeof(struct sockaddr_in),
                                              &ret->peer);
}

static enum MHD_Result api_access_handler(void *cls, struct MHD_Connection *connection, const char *url,
                                          const char *method, const char *version, const char *upload_data,
                                          size_t *upload_data_size, void **req_cls) {
        ApiServer *s = cls;
        ApiExchange *x = *req_cls;
        ApiResponse answer = {};
        ApiRequest req;
        int r;

        if (!x)
                return MHD_NO;   /* out of memory in api_uri_logger(): drop the connection */

        if (!x->head_checked) {
                x->head_checked = true;
                api_request_from_connection(connection, method, x, &req);
                r = api_router_check_head(s->router, &req, now_realtime_sec(), &answer);
                if (r < 0)
                        return MHD_NO;
                if (r > 0)
                        return api_queue(connection, &answer);
                return MHD_YES;
        }

        if (*upload_data_size > 0) {
                if (!x->body_too_large && buffer_append(&x->body, upload_data, *upload_data_size) < 0) {
                        /* A chunked body, whose size was not declared, grew past the
                         * limit: keep none of it and answer 413 at its end (libmicrohttpd
                         * 0.9.75 accepts no response while a body is being received). */
                        x->body_too_large = true;
                        buffer_free(&x->body);
                }
                if (x->body_too_large) {
                        x->discarded += *upload_data_size;
                        if (x->discarded > API_DISCARD_MAX)
                                return MHD_NO;
                }
                *upload_data_size = 0;
                return MHD_YES;
        }

        api_request_from_connection(connection, method, x, &req);
        r = api_router_handle(s->router, &req, now_realtime_sec(), &answer);
        if (r < 0)
                return MHD_NO;
        return api_queue(connection, &answer);
}

static int api_daemon_arm_timer(ApiDaemon *d) {
        MHD_UNSIGNED_LONG_LONG timeout_ms;
        uint64_t now;
        int r;

        if (MHD_get_timeout(d->mhd, &timeout_ms) == MHD_NO)
                return sd_event_source_set_enabled(d->timer_source, SD_EVENT_OFF);

        r = sd_event_now(d->server->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        if (timeout_ms > (USEC_INFINITY - now) / USEC_PER_MSEC)
                return sd_event_source_set_enabled(d->timer_source, SD_EVENT_OFF);

        r = sd_event_source_set_time(d->timer_source, now + timeout_ms * USEC_PER_MSEC);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(d->timer_source, SD_EVENT_ONESHOT);
}

static int api_daemon_run(ApiDaemon *d) {
        int r;

        if (MHD_run(d->mhd) == MHD_NO)
                log_debug("MHD_run() failed on %s", d->address);

        r = api_daemon_arm_timer(d);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the API timer for %s: %m", d->address);
        /* Never fail the source: sd-event would disable it and the API would go deaf. */
        return 0;
}

static int api_daemon_on_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        return api_daemon_run(userdata);
}

static int api_daemon_on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        return api_daemon_run(userdata);
}

static void api_daemon_done(ApiDaemon *d) {
        d->io_source = sd_event_source_disable_unref(d->io_source);
        d->timer_source = sd_event_source_disable_unref(d->timer_source);
        if (d->mhd) {
                MHD_stop_daemon(d->mhd);
                d->mhd = NULL;
        }
        free(d->address);
        d->address = NULL;
}

static int api_daemon_start(ApiServer *s, ApiDaemon *d, const char *address, const ApiConfig *c) {
        const union MHD_DaemonInfo *info;
        struct sockaddr_storage ss;
        socklen_t sslen;
        unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
        int r;

        d->server = s;
        d->address = strdup(address);
        if (!d->address)
                return log_oom();

        r = api_listen_parse(address, &ss, &sslen);
        if (r < 0)
                return log_error_errno(r, "Invalid API listen address \"%s\" (expected ADDRESS:PORT or [ADDRESS]:PORT).",
                                       address);
        if (ss.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;   /* IPv6 only: 0.0.0.0 and [::] can both be bound */

        /* No MHD_OPTION_LISTENING_ADDRESS_REUSE: that is SO_REUSEPORT, with which a
         * second agent would silently share the port instead of failing to start. */
        errno = 0;
        d->mhd = MHD_start_daemon(
                flags, 0, NULL, NULL, api_access_handler, s,
                MHD_OPTION_SOCK_ADDR, (const struct sockaddr *) &ss,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned) (c->max_connections ?: API_DEFAULT_MAX_CONNECTIONS),
                MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                (unsigned) (c->max_connections_per_ip ?: API_DEFAULT_MAX_CONNECTIONS_PER_IP),
                MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned) (c->connection_timeout_sec ?: API_DEFAULT_CONNECTION_TIMEOUT_SEC),
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, API_CONNECTION_MEMORY_LIMIT,
                MHD_OPTION_URI_LOG_CALLBACK, api_uri_logger, s,
                MHD_OPTION_NOTIFY_COMPLETED, api_request_completed, s,
                MHD_OPTION_EXTERNAL_LOGGER, api_mhd_logger, s,
                MHD_OPTION_END);
        if (!d->mhd)
                return log_error_errno(errno > 0 ? errno : EADDRNOTAVAIL,
                                       "Failed to start the connection API on %s: %m", address);

        info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return log_error_errno(EIO, "libmicrohttpd gave no epoll fd for %s.", address);
        r = sd_event_add_io(s->event, &d->io_source, info->epoll_fd, EPOLLIN, api_daemon_on_io, d);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the API on %s: %m", address);

        /* Accuracy 1 µs: MHD asks for 0 ms when it still has work, and the
         * default 250 ms slack would stall those connections. */
        r = sd_event_add_time(s->event, &d->timer_source, CLOCK_MONOTONIC, 0, 1, api_daemon_on_timer, d);
        if (r < 0)
                return log_error_errno(r, "Failed to add the API timer for %s: %m", address);

        info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
        d->port = info ? info->port : 0;
        (void) sd_event_source_set_description(d->io_source, "api-io");
        (void) sd_event_source_set_description(d->timer_source, "api-timer");

        log_debug("Connection API listening on %s (port %d).", address, d->port);
        return 0;
}

int api_server_new(sd_event *e, const ApiConfig *c, const ApiHandlers *h, void *userdata, ApiServer **ret) {
        _cleanup_(api_server_freep) ApiServer *s = NULL;
        size_t n = strv_length(c->listen);
        int r;

        if (!e || !c || !ret)
                return -EINVAL;
        if (n == 0)
                return log_error_errno(EINVAL, "No listen address for the connection API.");

        s = calloc(1, sizeof(*s));
        if (!s)
                return log_oom();
        s->event = sd_event_ref(e);
        s->body_max = c->body_max ?: API_DEFAULT_BODY_MAX;

        r = api_router_new(c->key, s->body_max, h, userdata, &s->router);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the connection API: %m");
        if (!c->key)
                log_warning("api.key is not set: /v1/players, /v1/shutdown and /v1/inhibit answer 503 "
                            "until a 32-byte key (64 hex digits) is configured.");

        s->daemons = calloc(n, sizeof(ApiDaemon));
        if (!s->daemons)
                return log_oom();
        for (size_t i = 0; i < n; i++) {
                s->n_daemons++;
                r = api_daemon_start(s, s->daemons + i, c->listen[i], c);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(s);
        return 0;
}

ApiServer *api_server_free(ApiServer *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_daemons; i++)
                api_daemon_done(s->daemons + i);
        free(s->daemons);
        api_router_free(s->router);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

int api_server_port(const ApiServer *s, unsigned idx) {
        if (!s || idx >= s->n_daemons || !s->daemons[idx].mhd)
                return -ENOENT;
        return s->daemons[idx].port;
}
