/* SPDX-License-Identifier: MIT */
/*
 * The watchdog's idle policy (see policy.h for the rules).
 *
 * The whole schedule is three deadlines: at most one scheduled stop (stop_at
 * with its reason), the warning before it (warn_at), and the end of an
 * inhibit. Two invariants keep "never stop while someone plays" obvious:
 * no stop is scheduled while players > 0, and none while inhibited. Every
 * transition that could break them cancels the stop first. The state seen
 * from outside is derived from these facts rather than stored, so it cannot
 * drift from them.
 */
#include "watchdog/policy.h"

#include "common/parse.h"

struct Policy {
        PolicyConfig config;
        policy_event_t callback;
        void *userdata;

        usec_t now;             /* latest time seen; inputs never go back */
        usec_t created_at;
        usec_t ready_at;        /* USEC_INFINITY until ready */
        int players;            /* < 0: every source unknown */
        bool ever_played;       /* someone joined since start: "idle", not "startup_grace" */
        bool stopping;

        usec_t inhibit_until;   /* 0: not inhibited */
        usec_t unknown_since;   /* when players became unknown; USEC_INFINITY if known */

        usec_t stop_at;         /* USEC_INFINITY: no stop scheduled */
        const char *stop_reason;
        usec_t warn_at;         /* USEC_INFINITY: no warning pending */
};

static const char *const policy_state_table[_POLICY_STATE_MAX] = {
        [POLICY_WAITING_READY] = "waiting_ready",
        [POLICY_GRACE] = "grace",
        [POLICY_PLAYING] = "playing",
        [POLICY_IDLE] = "idle",
        [POLICY_UNKNOWN] = "unknown",
        [POLICY_INHIBITED] = "inhibited",
        [POLICY_STOPPING] = "stopping",
};

static const char *const policy_event_table[_POLICY_EVENT_MAX] = {
        [POLICY_EVENT_READY] = "ready",
        [POLICY_EVENT_IDLE_STARTED] = "idle_started",
        [POLICY_EVENT_IDLE_CANCELLED] = "idle_cancelled",
        [POLICY_EVENT_IDLE_WARNING] = "idle_warning",
        [POLICY_EVENT_UNKNOWN_ALERT] = "unknown_alert",
        [POLICY_EVENT_INHIBITED] = "inhibited",
        [POLICY_EVENT_INHIBIT_ENDED] = "inhibit_ended",
        [POLICY_EVENT_SHUTDOWN] = "shutdown",
};

const char *policy_state_to_string(PolicyState s) {
        if ((unsigned) s >= _POLICY_STATE_MAX)
                return NULL;
        return policy_state_table[s];
}

const char *policy_event_to_string(PolicyEventType t) {
        if ((unsigned) t >= _POLICY_EVENT_MAX)
                return NULL;
        return policy_event_table[t];
}

/* Saturating, so that a duration of USEC_INFINITY means "never". */
static usec_t usec_add(usec_t a, usec_t b) {
        if (a > USEC_INFINITY - b)
                return USEC_INFINITY;
        return a + b;
}

static bool policy_inhibited(const Policy *p) {
        return p->inhibit_until != 0;
}

static void emit(Policy *p, PolicyEventType type, usec_t at, const char *reason) {
        PolicyEvent ev = {
                .type = type,
                .at = at,
                .reason = reason,
                .stop_at = p->stop_at,
        };

        if (p->callback)
                p->callback(&ev, p->userdata);
}

/* start: when the countdown begins; it decides whether a warning fits. */
static void schedule_stop(Policy *p, usec_t start, usec_t at, const char *reason) {
        p->stop_at = at;
        p->stop_reason = at == USEC_INFINITY ? NULL : reason;
        p->warn_at = USEC_INFINITY;
        if (at != USEC_INFINITY && p->config.warn_before > 0 && at - start > p->config.warn_before)
                p->warn_at = at - p->config.warn_before;
}

static void unschedule_stop(Policy *p) {
        p->stop_at = USEC_INFINITY;
        p->stop_reason = NULL;
        p->warn_at = USEC_INFINITY;
}

static void cancel_stop(Policy *p, usec_t now, const char *why) {
        if (p->stop_at == USEC_INFINITY)
                return;
        unschedule_stop(p);
        emit(p, POLICY_EVENT_IDLE_CANCELLED, now, why);
}

/* Nobody on (a known 0), not inhibited: the countdown to an idle stop. Until
 * someone has played, the startup grace deadline holds if it is later. */
static void schedule_idle_stop(Policy *p, usec_t now) {
        usec_t at = usec_add(now, p->config.idle_timeout);
        const char *reason = "idle";

        if (!p->ever_played) {
                usec_t base = p->ready_at != USEC_INFINITY ? p->ready_at : p->created_at;
                usec_t grace = usec_add(base, p->config.startup_grace);

                if (grace >= at) {
                        at = grace;
                        reason = "startup_grace";
                }
        }
        schedule_stop(p, now, at, reason);
}

/* Every source unknown, not inhibited: stop only after max_unknown without a
 * known count, and never sooner than not_before. */
static void schedule_unknown_stop(Policy *p, usec_t now, usec_t not_before) {
        usec_t at = usec_add(p->unknown_since, p->config.max_unknown);

        schedule_stop(p, now, MAX(at, not_before), "unknown_too_long");
}

static void emit_idle_started(Policy *p, usec_t now) {
        if (p->stop_at != USEC_INFINITY)
                emit(p, POLICY_EVENT_IDLE_STARTED, now, p->stop_reason);
}

static void shutdown_now(Policy *p, usec_t now, const char *reason) {
        p->stopping = true;
        p->stop_at = now;
        p->stop_reason = reason;
        p->warn_at = USEC_INFINITY;
        emit(p, POLICY_EVENT_SHUTDOWN, now, reason);
}

static void end_inhibit(Policy *p, usec_t at, const char *reason) {
        p->inhibit_until = 0;

        if (p->players == 0) {
                schedule_idle_stop(p, at);
                emit(p, POLICY_EVENT_INHIBIT_ENDED, at, reason);
                emit_idle_started(p, at);
        } else if (p->players < 0) {
                schedule_unknown_stop(p, at, usec_add(at, p->config.idle_timeout));
                emit(p, POLICY_EVENT_INHIBIT_ENDED, at, reason);
        } else
                emit(p, POLICY_EVENT_INHIBIT_ENDED, at, reason);
}

usec_t policy_next_deadline(const Policy *p) {
        if (!p || p->stopping)
                return USEC_INFINITY;

        usec_t d = MIN(p->stop_at, p->warn_at);
        if (policy_inhibited(p))
                d = MIN(d, p->inhibit_until);
        return d;
}

/* Fire the earliest pending deadline, at exactly its time. */
static void fire_next_deadline(Policy *p) {
        usec_t d = policy_next_deadline(p);

        p->now = MAX(p->now, d);
        if (policy_inhibited(p) && d == p->inhibit_until)
                end_inhibit(p, d, "expired");
        else if (d == p->warn_at) {
                p->warn_at = USEC_INFINITY;
                emit(p, POLICY_EVENT_IDLE_WARNING, d, p->stop_reason);
        } else
                shutdown_now(p, d, p->stop_reason);
}

/* Fire deadlines before now (strictly, or up to and including now), then
 * advance the clock; returns the effective time of the input. */
static usec_t advance(Policy *p, usec_t now, bool inclusive) {
        for (;;) {
                usec_t d = policy_next_deadline(p);

                if (d == USEC_INFINITY || d > now || (d == now && !inclusive))
                        break;
                fire_next_deadline(p);
        }
        p->now = MAX(p->now, now);
        return p->now;
}

void policy_config_default(PolicyConfig *ret) {
        *ret = (PolicyConfig) {
                .startup_grace = POLICY_STARTUP_GRACE_DEFAULT,
                .idle_timeout = POLICY_IDLE_TIMEOUT_DEFAULT,
                .warn_before = POLICY_WARN_BEFORE_DEFAULT,
                .max_unknown = POLICY_MAX_UNKNOWN_DEFAULT,
        };
}

int policy_new(const PolicyConfig *c, usec_t now, policy_event_t cb, void *userdata, Policy **ret) {
        Policy *p;

        if (!c || !ret || now == USEC_INFINITY)
                return -EINVAL;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        *p = (Policy) {
                .config = *c,
                .callback = cb,
                .userdata = userdata,
                .now = now,
                .created_at = now,
                .ready_at = USEC_INFINITY,
                .players = 0,
                .unknown_since = USEC_INFINITY,
        };
        /* Not ready yet: the grace counts from now, silently (no event before
         * the caller even holds the object). */
        schedule_idle_stop(p, now);

        *ret = p;
        return 0;
}

Policy *policy_free(Policy *p) {
        free(p);
        return NULL;
}

void policy_set_ready(Policy *p, usec_t now) {
        now = advance(p, now, false);
        if (p->stopping || p->ready_at != USEC_INFINITY)
                return;

        p->ready_at = now;
        if (p->players == 0 && !p->ever_played && !policy_inhibited(p)) {
                schedule_idle_stop(p, now);
                emit(p, POLICY_EVENT_READY, now, "ready");
                emit_idle_started(p, now);
        } else
                emit(p, POLICY_EVENT_READY, now, "ready");
}

void policy_set_players(Policy *p, usec_t now, int players) {
        int old = p->players;

        now = advance(p, now, false);
        players = MAX(players, -1);
        p->players = players;
        if (p->stopping || players == old)
                return;

        if (players > 0) {
                p->ever_played = true;
                p->unknown_since = USEC_INFINITY;
                cancel_stop(p, now, "player_joined");
        } else if (players == 0) {
                p->unknown_since = USEC_INFINITY;
                if (policy_inhibited(p))
                        return;
                schedule_idle_stop(p, now);
                emit_idle_started(p, now);
        } else {
                p->unknown_since = now;
                if (!policy_inhibited(p))
                        schedule_unknown_stop(p, now, 0);
                emit(p, POLICY_EVENT_UNKNOWN_ALERT, now, "players_unknown");
        }
}

void policy_set_inhibit(Policy *p, usec_t now, usec_t until) {
        now = advance(p, now, false);
        if (p->stopping)
                return;

        if (until <= now) {
                if (policy_inhibited(p))
                        end_inhibit(p, now, "cleared");
                return;
        }

        p->inhibit_until = until;
        cancel_stop(p, now, "inhibited");
        emit(p, POLICY_EVENT_INHIBITED, now, "requested");
}

int policy_request_shutdown(Policy *p, usec_t now, bool force) {
        now = advance(p, now, false);
        if (p->stopping)
                return -EALREADY;
        if (p->players > 0 && !force)
                return -EBUSY;

        shutdown_now(p, now, p->players > 0 ? "forced" : "requested");
        return 0;
}

void policy_set_config(Policy *p, usec_t now, const PolicyConfig *c) {
        now = advance(p, now, false);
        p->config = *c;
        if (p->stopping || policy_inhibited(p))
                return;
        /* A running countdown restarts under the new timings, from now: the
         * simplest rule that never shortens a countdown behind anyone's back
         * by more than they asked for. */
        if (p->players == 0 && p->stop_at != USEC_INFINITY) {
                schedule_idle_stop(p, now);
                emit_idle_started(p, now);
        } else if (p->players < 0 && p->stop_at != USEC_INFINITY)
                schedule_unknown_stop(p, now, 0);
}

void policy_tick(Policy *p, usec_t now) {
        (void) advance(p, now, true);
}

PolicyState policy_state(const Policy *p) {
        if (p->stopping)
                return POLICY_STOPPING;
        if (p->players > 0)
                return POLICY_PLAYING;
        if (policy_inhibited(p))
                return POLICY_INHIBITED;
        if (p->players < 0)
                return POLICY_UNKNOWN;
        if (p->ready_at == USEC_INFINITY && !p->ever_played)
                return POLICY_WAITING_READY;
        if (streq_ptr(p->stop_reason, "startup_grace"))
                return POLICY_GRACE;
        return POLICY_IDLE;
}

usec_t policy_stop_at(const Policy *p) {
        return p->stop_at;
}

const char *policy_stop_reason(const Policy *p) {
        return p->stop_reason;
}

usec_t policy_inhibit_until(const Policy *p) {
        return p->inhibit_until;
}

int policy_players(const Policy *p) {
        return p->players;
}

bool policy_is_ready(const Policy *p) {
        return p->ready_at != USEC_INFINITY;
}

/* Whole minutes from a minute up, whole seconds below: a status line that
 * ticks every second would be noise. */
static char *format_remaining(char *buf, size_t size, usec_t t) {
        usec_t unit = t >= USEC_PER_MINUTE ? USEC_PER_MINUTE : USEC_PER_SEC;

        if (t == USEC_INFINITY)
                return format_duration(buf, size, t);
        return format_duration(buf, size, t - t % unit);
}

char *policy_describe(const Policy *p, usec_t now, char *buf, size_t size) {
        char d[FORMAT_DURATION_MAX];
        usec_t left = p->stop_at != USEC_INFINITY && p->stop_at > now ? p->stop_at - now : 0;

        if (size == 0)
                return buf;

        switch (policy_state(p)) {
        case POLICY_STOPPING:
                snprintf(buf, size, "stopping");
                break;
        case POLICY_PLAYING:
                if (policy_inhibited(p) && p->inhibit_until != USEC_INFINITY)
                        snprintf(buf, size, "inhibited for %s",
                                 format_remaining(d, sizeof(d), p->inhibit_until > now ? p->inhibit_until - now : 0));
                else
                        snprintf(buf, size, "idle stop off");
                break;
        case POLICY_INHIBITED:
                if (p->inhibit_until == USEC_INFINITY)
                        snprintf(buf, size, "idle stop off");
                else
                        snprintf(buf, size, "inhibited for %s",
                                 format_remaining(d, sizeof(d), p->inhibit_until > now ? p->inhibit_until - now : 0));
                break;
        case POLICY_UNKNOWN:
                snprintf(buf, size, "players unknown for %s",
                         format_remaining(d, sizeof(d), now > p->unknown_since ? now - p->unknown_since : 0));
                break;
        case POLICY_WAITING_READY:
        case POLICY_GRACE:
        case POLICY_IDLE:
                if (p->stop_at == USEC_INFINITY)
                        snprintf(buf, size, "idle stop off");
                else if (streq_ptr(p->stop_reason, "startup_grace"))
                        snprintf(buf, size, "idle stop in %s (%s)", format_remaining(d, sizeof(d), left),
                                 p->ready_at == USEC_INFINITY ? "game not ready" : "startup grace");
                else
                        snprintf(buf, size, "stops in %s", format_remaining(d, sizeof(d), left));
                break;
        default:
                snprintf(buf, size, "?");
        }
        return buf;
}
