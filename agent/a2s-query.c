/* SPDX-License-Identifier: MIT */
/*
 * A2S_INFO querier on the agent's event loop. One connected, non-blocking UDP
 * socket (connected so only the server's replies arrive and ICMP "port
 * unreachable" shows up as ECONNREFUSED); one timer that alternates between
 * "next query due" and "answer overdue". A round is: request, maybe one
 * challenge and the request again with it, then the info reply. A reply
 * that comes after the timeout still counts: it is the server's answer.
 */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/a2s-query.h"
#include "agent/a2s.h"
#include "common/log.h"
#include "common/parse.h"

/* A server that keeps sending new challenges gets this many per round. */
#define A2S_MAX_CHALLENGES_PER_ROUND 2

struct A2sQuery {
        sd_event *event;
        int fd;
        sd_event_source *io, *timer;
        usec_t interval, timeout;
        source_changed_t cb;
        void *userdata;

        bool waiting;             /* a round is in flight and its timeout armed */
        unsigned challenges;      /* in this round */

        SourceHealth health;
        unsigned players;
        char detail[128];
        char address[64];
};

static void a2s_query_set(A2sQuery *q, SourceHealth h, unsigned players, const char *detail) {
        if (q->health == h && q->players == players && streq(q->detail, detail))
                return;
        if (q->health != h)
                log_debug("a2s source %s: %s", source_health_to_string(h), detail);
        q->health = h;
        q->players = players;
        (void) snprintf(q->detail, sizeof q->detail, "%s", detail);
        if (q->cb)
                q->cb(q->userdata);
}

static void a2s_query_arm(A2sQuery *q, usec_t after) {
        (void) sd_event_source_set_time_relative(q->timer, after);
        (void) sd_event_source_set_enabled(q->timer, SD_EVENT_ONESHOT);
}

static int a2s_query_send(A2sQuery *q, const uint8_t *challenge) {
        uint8_t buf[A2S_INFO_REQUEST_MAX];
        size_t n = a2s_build_info_request(buf, sizeof buf, challenge);

        if (send(q->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

static void a2s_query_end_round(A2sQuery *q) {
        q->waiting = false;
        q->challenges = 0;
        a2s_query_arm(q, q->interval);
}

static int a2s_query_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        A2sQuery *q = userdata;
        char detail[sizeof q->detail], t[FORMAT_DURATION_MAX];
        int r;

        if (q->waiting) {
                (void) snprintf(detail, sizeof detail, "no answer within %s",
                                format_duration(t, sizeof t, q->timeout));
                a2s_query_set(q, SOURCE_UNKNOWN, 0, detail);
                a2s_query_end_round(q);
                return 0;
        }

        r = a2s_query_send(q, NULL);
        if (r < 0) {
                (void) snprintf(detail, sizeof detail, "cannot query %s: %s", q->address, strerror(-r));
                a2s_query_set(q, SOURCE_UNKNOWN, 0, detail);
                a2s_query_end_round(q);
                return 0;
        }
        q->waiting = true;
        q->challenges = 0;
        a2s_query_arm(q, q->timeout);
        return 0;
}

static int a2s_query_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        A2sQuery *q = userdata;

        for (;;) {
                uint8_t buf[1400], challenge[4];
                A2sReplyType type;
                A2sInfo info;
                ssize_t n;
                int r;

                n = recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        if (errno == ECONNREFUSED) {
                                a2s_query_set(q, SOURCE_UNKNOWN, 0, "query port closed");
                                if (q->waiting)
                                        a2s_query_end_round(q);
                                continue;
                        }
                        log_debug_errno(errno, "a2s: recv from %s failed: %m", q->address);
                        return 0;
                }
                if ((size_t) n > sizeof buf) {
                        log_debug("a2s: oversized reply from %s ignored", q->address);
                        continue;
                }

                r = a2s_parse_reply(buf, (size_t) n, &type, challenge, &info);
                if (r < 0) {
                        log_debug("a2s: malformed reply (%zd bytes) from %s ignored", n, q->address);
                        continue;
                }

                if (type == A2S_REPLY_CHALLENGE) {
                        if (!q->waiting || q->challenges >= A2S_MAX_CHALLENGES_PER_ROUND)
                                continue;
                        q->challenges++;
                        r = a2s_query_send(q, challenge);
                        if (r < 0)
                                log_debug_errno(r, "a2s: cannot answer the challenge: %m");
                        continue;
                }

                /* Valheim reports no bots, but a server that does counts only humans */
                a2s_query_set(q, SOURCE_HEALTHY, info.players > info.bots ? (unsigned) (info.players - info.bots) : 0u,
                              q->address);
                if (q->waiting)
                        a2s_query_end_round(q);
        }
}

int a2s_query_new(sd_event *e, const char *host, uint16_t port, usec_t interval, usec_t timeout,
                  source_changed_t cb, void *userdata, A2sQuery **ret) {
        _cleanup_(a2s_query_freep) A2sQuery *q = NULL;
        struct addrinfo hints = {
                .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                .ai_socktype = SOCK_DGRAM,
        }, *ai = NULL;
        char service[8];
        int r;

        if (!e || !host || port == 0 || interval == 0 || timeout == 0 || !ret)
                return -EINVAL;

        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        q->fd = -EBADF;
        q->event = sd_event_ref(e);
        q->interval = interval;
        q->timeout = MIN(timeout, interval);
        q->cb = cb;
        q->userdata = userdata;
        q->health = SOURCE_UNKNOWN;
        (void) snprintf(q->detail, sizeof q->detail, "no answer yet");
        (void) snprintf(q->address, sizeof q->address, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);

        (void) snprintf(service, sizeof service, "%u", port);
        r = getaddrinfo(host, service, &hints, &ai);
        if (r != 0)
                return -EINVAL;
        q->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (q->fd < 0 || connect(q->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                r = -errno;
                freeaddrinfo(ai);
                return r;
        }
        freeaddrinfo(ai);

        r = sd_event_add_io(e, &q->io, q->fd, EPOLLIN, a2s_query_on_io, q);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(e, &q->timer, CLOCK_MONOTONIC, 0, USEC_PER_SEC / 10,
                                       a2s_query_on_timer, q);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(q);
        return 0;
}

A2sQuery *a2s_query_free(A2sQuery *q) {
        if (!q)
                return NULL;
        sd_event_source_disable_unref(q->io);
        sd_event_source_disable_unref(q->timer);
        closep(&q->fd);
        sd_event_unref(q->event);
        free(q);
        return NULL;
}

void a2s_query_report(A2sQuery *q, SourceReport *ret) {
        if (!ret)
                return;
        if (!q) {
                *ret = (SourceReport) { .name = "a2s", .health = SOURCE_UNKNOWN, .detail = "A2S off" };
                return;
        }
        *ret = (SourceReport) {
                .name = "a2s",
                .health = q->health,
                .players = q->health == SOURCE_HEALTHY ? q->players : 0,
                .names = NULL,
                .detail = q->detail,
        };
}
