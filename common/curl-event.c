/* SPDX-License-Identifier: MIT */
/*
 * libcurl multi on sd-event (see curl-event.h). The multi handle reports the
 * sockets it wants watched and one timeout; we mirror them as io sources and
 * a oneshot timer. Finished transfers are collected after every
 * curl_multi_socket_action() and their callbacks run outside libcurl.
 *
 * Transfers and sockets are kept in plain lists: an agent has a handful of
 * transfers at a time, and looking a transfer up by its easy handle keeps
 * CURLOPT_PRIVATE free for the owners of borrowed handles.
 */
#include <string.h>
#include <sys/epoll.h>

#include "common/buffer.h"
#include "common/curl-event.h"
#include "common/log.h"

typedef struct Transfer Transfer;
struct Transfer {
        CurlEvent *owner;
        CURL *easy;
        bool owned;
        struct curl_slist *headers;
        Buffer body;
        curl_event_done_t done;
        void *userdata;
        Transfer *next;
};

typedef struct WatchedSocket WatchedSocket;
struct WatchedSocket {
        curl_socket_t fd;
        sd_event_source *source;
        WatchedSocket *next;
};

struct CurlEvent {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        Transfer *transfers;
        WatchedSocket *sockets;
};

static void transfer_free(Transfer *t) {
        if (!t)
                return;
        if (t->owned) {
                curl_easy_cleanup(t->easy);
                curl_slist_free_all(t->headers);
        }
        buffer_free(&t->body);
        free(t);
}

static Transfer *transfer_unlink(CurlEvent *c, CURL *easy) {
        for (Transfer **p = &c->transfers; *p; p = &(*p)->next)
                if ((*p)->easy == easy) {
                        Transfer *t = *p;
                        *p = t->next;
                        t->next = NULL;
                        return t;
                }
        return NULL;
}

static Transfer *transfer_find(const CurlEvent *c, CURL *easy) {
        for (Transfer *t = c->transfers; t; t = t->next)
                if (t->easy == easy)
                        return t;
        return NULL;
}

static void collect_finished(CurlEvent *c) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(c->multi, &left))) {
                if (msg->msg != CURLMSG_DONE)
                        continue;

                CURL *easy = msg->easy_handle;
                CURLcode result = msg->data.result;
                Transfer *t = transfer_unlink(c, easy);

                curl_multi_remove_handle(c->multi, easy);
                if (!t)
                        continue;

                long status = 0;
                (void) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);

                /* Put it back while its callback runs, so curl_event_body()
                 * finds it; nothing can finish in between. */
                t->next = c->transfers;
                c->transfers = t;
                if (t->done)
                        t->done(easy, result, status, t->userdata);
                transfer_free(transfer_unlink(c, easy));
        }
}

static void socket_action(CurlEvent *c, curl_socket_t fd, int flags) {
        int running;
        CURLMcode mc = curl_multi_socket_action(c->multi, fd, flags, &running);
        if (mc != CURLM_OK)
                (void) log_debug("curl_multi_socket_action: %s", curl_multi_strerror(mc));
        collect_finished(c);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CurlEvent *c = userdata;
        int flags = 0;

        if (revents & EPOLLIN)
                flags |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                flags |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                flags |= CURL_CSELECT_ERR;

        socket_action(c, fd, flags);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        socket_action(userdata, CURL_SOCKET_TIMEOUT, 0);
        return 0;
}

static WatchedSocket *socket_unlink(CurlEvent *c, curl_socket_t fd) {
        for (WatchedSocket **p = &c->sockets; *p; p = &(*p)->next)
                if ((*p)->fd == fd) {
                        WatchedSocket *w = *p;
                        *p = w->next;
                        return w;
                }
        return NULL;
}

static void watched_socket_free(WatchedSocket *w) {
        if (!w)
                return;
        sd_event_source_disable_unref(w->source);
        free(w);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        CurlEvent *c = userp;
        WatchedSocket *w = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (w) {
                        watched_socket_free(socket_unlink(c, fd));
                        curl_multi_assign(c->multi, fd, NULL);
                }
                return 0;
        }

        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;

        if (w) {
                r = sd_event_source_set_io_events(w->source, events);
                return r < 0 ? -1 : 0;
        }

        w = calloc(1, sizeof(*w));
        if (!w)
                return -1;
        w->fd = fd;
        r = sd_event_add_io(c->event, &w->source, fd, events, on_io, c);
        if (r < 0) {
                free(w);
                return -1;
        }
        (void) sd_event_source_set_description(w->source, "curl-socket");
        w->next = c->sockets;
        c->sockets = w;
        curl_multi_assign(c->multi, fd, w);
        return 0;
}

static int on_timeout_change(CURLM *multi, long timeout_ms, void *userp) {
        CurlEvent *c = userp;
        uint64_t now;
        int r;

        if (timeout_ms < 0)
                return sd_event_source_set_enabled(c->timer, SD_EVENT_OFF) < 0 ? -1 : 0;

        r = sd_event_now(c->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return -1;
        r = sd_event_source_set_time(c->timer, now + (uint64_t) timeout_ms * USEC_PER_MSEC);
        if (r < 0)
                return -1;
        return sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT) < 0 ? -1 : 0;
}

int curl_event_new(sd_event *e, CurlEvent **ret) {
        _cleanup_(curl_event_freep) CurlEvent *c = NULL;
        int r;

        if (!e || !ret)
                return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(e);

        c->multi = curl_multi_init();
        if (!c->multi)
                return -ENOMEM;

        r = sd_event_add_time(e, &c->timer, CLOCK_MONOTONIC, USEC_INFINITY, 0, on_timer, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(c->timer, "curl-timer");

        if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timeout_change) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK)
                return -EIO;

        *ret = TAKE_PTR(c);
        return 0;
}

CurlEvent *curl_event_free(CurlEvent *c) {
        if (!c)
                return NULL;

        while (c->transfers) {
                Transfer *t = c->transfers;
                c->transfers = t->next;
                curl_multi_remove_handle(c->multi, t->easy);
                transfer_free(t);
        }
        if (c->multi)
                curl_multi_cleanup(c->multi);
        while (c->sockets) {
                WatchedSocket *w = c->sockets;
                c->sockets = w->next;
                watched_socket_free(w);
        }
        sd_event_source_disable_unref(c->timer);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
        Transfer *t = userdata;
        size_t n = size * nmemb;

        if (buffer_append(&t->body, data, n) < 0)
                return 0; /* CURLE_WRITE_ERROR: the answer is larger than we accept */
        return n;
}

static int transfer_start(CurlEvent *c, Transfer *t) {
        if (curl_multi_add_handle(c->multi, t->easy) != CURLM_OK) {
                t->done = NULL;
                transfer_free(t);
                return -EIO;
        }
        t->next = c->transfers;
        c->transfers = t;
        return 0;
}

int curl_event_add_with_headers(CurlEvent *c, CURL *easy, struct curl_slist *headers,
                                curl_event_done_t done, void *userdata) {
        Transfer *t;

        if (!c || !easy) {
                if (easy)
                        curl_easy_cleanup(easy);
                curl_slist_free_all(headers);
                return -EINVAL;
        }

        t = calloc(1, sizeof(*t));
        if (!t) {
                curl_easy_cleanup(easy);
                curl_slist_free_all(headers);
                return -ENOMEM;
        }
        *t = (Transfer) {
                .owner = c,
                .easy = easy,
                .owned = true,
                .headers = headers,
                .body = BUFFER_INIT(CURL_EVENT_BODY_MAX),
                .done = done,
                .userdata = userdata,
        };

        if (curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_WRITEDATA, t) != CURLE_OK ||
            (headers && curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers) != CURLE_OK)) {
                transfer_free(t);
                return -EIO;
        }
        /* Never let a transfer from the loop trip over SIGPIPE or use signals
         * for DNS timeouts. */
        (void) curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);

        return transfer_start(c, t);
}

int curl_event_add(CurlEvent *c, CURL *easy, curl_event_done_t done, void *userdata) {
        return curl_event_add_with_headers(c, easy, NULL, done, userdata);
}

int curl_event_add_borrowed(CurlEvent *c, CURL *easy, curl_event_done_t done, void *userdata) {
        Transfer *t;

        if (!c || !easy)
                return -EINVAL;
        if (transfer_find(c, easy))
                return -EBUSY;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        *t = (Transfer) {
                .owner = c,
                .easy = easy,
                .owned = false,
                .done = done,
                .userdata = userdata,
        };
        (void) curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        return transfer_start(c, t);
}

void curl_event_cancel(CurlEvent *c, CURL *easy) {
        Transfer *t;

        if (!c || !easy)
                return;
        t = transfer_unlink(c, easy);
        if (!t)
                return;
        curl_multi_remove_handle(c->multi, easy);
        transfer_free(t);
}

const char *curl_event_body(CurlEvent *c, CURL *easy, size_t *ret_len) {
        Transfer *t;

        if (!c || !easy)
                return NULL;
        t = transfer_find(c, easy);
        if (!t || !t->owned)
                return NULL;
        if (buffer_terminate(&t->body) < 0)
                return NULL;
        if (ret_len)
                *ret_len = t->body.len;
        return (const char *) t->body.data;
}

size_t curl_event_running(const CurlEvent *c) {
        size_t n = 0;

        if (!c)
                return 0;
        for (const Transfer *t = c->transfers; t; t = t->next)
                n++;
        return n;
}
