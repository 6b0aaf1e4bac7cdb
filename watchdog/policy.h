/* SPDX-License-Identifier: MIT */
/*
 * The watchdog's idle policy: decides when the server stops because nobody
 * plays, and makes sure it never stops while someone does.
 *
 * It is a pure state machine driven by the clock it is given. It reads no
 * clock, arms no timer and does no I/O: the caller feeds it inputs stamped
 * with a time (capture time in replay, CLOCK_MONOTONIC live), asks
 * policy_next_deadline() when to call policy_tick(), and acts on the events
 * it emits. So replay and live run the same decisions, and the unit test
 * walks every transition with a fake clock.
 *
 * The rules:
 *  - Startup grace: from the game being ready, if nobody joins within
 *    startup_grace, stop (reason "startup_grace"). If the game never becomes
 *    ready, the grace counts from policy_new(), so a broken game does not bill
 *    forever (same reason).
 *  - While players > 0, no timed stop is scheduled at all: nothing but a
 *    forced request stops the server while someone plays.
 *  - When the count drops to a known 0, stop after idle_timeout (reason
 *    "idle"); a join cancels the countdown.
 *  - IDLE_WARNING comes warn_before the stop, if the countdown is longer than
 *    warn_before (and warn_before > 0).
 *  - players < 0 (every source unknown) is never idle: UNKNOWN_ALERT at once,
 *    and a stop (reason "unknown_too_long") only after max_unknown without a
 *    known count. A known 0 afterwards starts a fresh idle countdown.
 *  - An inhibit holds off every timed stop until its deadline. When it ends
 *    (expired or cleared), timed stops resume, but none sooner than
 *    idle_timeout after the end: a fresh countdown.
 *  - Whenever a countdown starts while nobody has played yet, it ends at the
 *    later of the startup grace deadline and now + idle_timeout.
 *  - policy_request_shutdown() stops at once (reason "requested", or "forced"
 *    when players are on and force was given), inhibit or not.
 *  - After SHUTDOWN the state is STOPPING for good and nothing fires again.
 *
 * Time never goes back: an input or tick older than the latest time seen is
 * taken as happening at that latest time. Every input first fires the
 * deadlines strictly before its time, each at its exact deadline, so the
 * caller need not tick before an input; an input at exactly a deadline wins
 * over it (a player joining at the very deadline cancels the stop).
 *
 * The callback must not feed inputs back into the policy; it may query it.
 * policy_new() emits nothing.
 */
#pragma once

#include "common/macro.h"

typedef struct PolicyConfig {
        usec_t startup_grace;   /* 15 min */
        usec_t idle_timeout;    /* 10 min */
        usec_t warn_before;     /* 2 min; 0: no warning */
        usec_t max_unknown;     /* 2 h */
} PolicyConfig;

#define POLICY_STARTUP_GRACE_DEFAULT (15 * USEC_PER_MINUTE)
#define POLICY_IDLE_TIMEOUT_DEFAULT (10 * USEC_PER_MINUTE)
#define POLICY_WARN_BEFORE_DEFAULT (2 * USEC_PER_MINUTE)
#define POLICY_MAX_UNKNOWN_DEFAULT (2 * USEC_PER_HOUR)

typedef enum PolicyState {
        POLICY_WAITING_READY,   /* game not ready yet; grace counts from start */
        POLICY_GRACE,           /* ready, nobody joined yet: startup grace running */
        POLICY_PLAYING,         /* players > 0: no stop scheduled */
        POLICY_IDLE,            /* known empty: idle countdown running */
        POLICY_UNKNOWN,         /* every source unknown: alerted, max_unknown running */
        POLICY_INHIBITED,       /* timed stops held off until inhibit_until */
        POLICY_STOPPING,        /* SHUTDOWN emitted; final */
        _POLICY_STATE_MAX,
} PolicyState;

const char *policy_state_to_string(PolicyState s);

typedef enum PolicyEventType {
        POLICY_EVENT_READY,           /* game became ready: grace starts */
        POLICY_EVENT_IDLE_STARTED,    /* countdown started: stop_at set */
        POLICY_EVENT_IDLE_CANCELLED,  /* someone joined / inhibited */
        POLICY_EVENT_IDLE_WARNING,    /* warn_before the stop */
        POLICY_EVENT_UNKNOWN_ALERT,   /* every source unknown: alert, do not stop */
        POLICY_EVENT_INHIBITED,
        POLICY_EVENT_INHIBIT_ENDED,
        POLICY_EVENT_SHUTDOWN,        /* stop now; reason says why */
        _POLICY_EVENT_MAX,
} PolicyEventType;

const char *policy_event_to_string(PolicyEventType t);

/* reason, per event type:
 *   READY           "ready"
 *   IDLE_STARTED    the stop's reason: "idle", "startup_grace"
 *   IDLE_CANCELLED  "player_joined", "inhibited"
 *   IDLE_WARNING    the stop's reason: "idle", "startup_grace", "unknown_too_long"
 *   UNKNOWN_ALERT   "players_unknown"
 *   INHIBITED       "requested"
 *   INHIBIT_ENDED   "expired", "cleared"
 *   SHUTDOWN        "idle", "startup_grace", "unknown_too_long", "requested", "forced"
 * reason is a static string, never NULL. */
typedef struct PolicyEvent {
        PolicyEventType type;
        usec_t at;            /* policy-clock time the event happened (a deadline, exactly, for timed events) */
        const char *reason;
        usec_t stop_at;       /* the stop scheduled once this event took effect, USEC_INFINITY if none;
                               * for SHUTDOWN, equal to at */
} PolicyEvent;

typedef void (*policy_event_t)(const PolicyEvent *ev, void *userdata);

typedef struct Policy Policy;

/* The defaults above. */
void policy_config_default(PolicyConfig *ret);

/* cb may be NULL. A duration of USEC_INFINITY disables the stop it governs. */
int policy_new(const PolicyConfig *c, usec_t now, policy_event_t cb, void *userdata, Policy **ret);
Policy *policy_free(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

/* Idempotent: only the first call counts. */
void policy_set_ready(Policy *p, usec_t now);
/* players < 0: unknown (every source unknown). Call it whenever the count may
 * have changed; an unchanged count is a no-op. */
void policy_set_players(Policy *p, usec_t now, int players);
/* until: policy-clock deadline; 0 (or any time <= now) clears. Setting it
 * again while inhibited moves the deadline. */
void policy_set_inhibit(Policy *p, usec_t now, usec_t until);
/* -EBUSY while players are on and !force; -EALREADY once stopping;
 * 0: SHUTDOWN event emitted. */
int policy_request_shutdown(Policy *p, usec_t now, bool force);
/* Fire every deadline <= now, each at its exact time, in order. */
/* New timings (SIGHUP). A running countdown restarts from now under them. */
void policy_set_config(Policy *p, usec_t now, const PolicyConfig *c);
void policy_tick(Policy *p, usec_t now);
/* USEC_INFINITY when nothing is pending (always once stopping). */
usec_t policy_next_deadline(const Policy *p);

PolicyState policy_state(const Policy *p);
/* USEC_INFINITY if no stop scheduled; once stopping, the time of the SHUTDOWN. */
usec_t policy_stop_at(const Policy *p);
/* Reason of the scheduled (or, once stopping, the executed) stop; NULL if none. */
const char *policy_stop_reason(const Policy *p);
/* 0 when not inhibited (as policy_set_inhibit() takes it). */
usec_t policy_inhibit_until(const Policy *p);
int policy_players(const Policy *p);
bool policy_is_ready(const Policy *p);

/* Short human phrase for STATUS= and the API: "stops in 7min",
 * "idle stop in 14min (startup grace)", "idle stop in 14min (game not ready)",
 * "inhibited for 1h 59min", "stopping", "players unknown for 12min",
 * "idle stop off". Durations of a minute or more are floored to whole
 * minutes, shorter ones to seconds. Returns buf. */
#define POLICY_DESCRIBE_MAX 96
char *policy_describe(const Policy *p, usec_t now, char *buf, size_t size);
