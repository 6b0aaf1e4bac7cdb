/* SPDX-License-Identifier: MIT */
/*
 * The idle policy, table-driven with a fake clock: each scenario is a list of
 * steps (time, input, the events it must emit, the state and scheduled stop
 * after it). A random walk then checks the invariants that matter most: no
 * stop while someone plays, and a stop always scheduled when nobody does.
 */
#include "tests/unit/unit.h"

#include <string.h>

#include "watchdog/policy.h"

#define S(x) ((usec_t) (x) * USEC_PER_SEC)
#define M(x) ((usec_t) (x) * USEC_PER_MINUTE)
#define H(x) ((usec_t) (x) * USEC_PER_HOUR)
#define INF USEC_INFINITY

typedef enum Action {
        END = 0,
        READY,
        PLAYERS,   /* arg: count */
        UNKNOWN,   /* players -1 */
        INHIBIT,   /* arg: until (0 clears) */
        REQUEST,
        FORCE,
        TICK,
} Action;

typedef struct Expected {
        PolicyEventType type;
        usec_t at;
        const char *reason;   /* NULL ends the list */
        usec_t stop_at;
} Expected;

#define EV(t, a, r, s) { POLICY_EVENT_##t, (a), (r), (s) }

typedef struct Step {
        usec_t at;
        Action action;
        usec_t arg;
        int ret;              /* REQUEST/FORCE only */
        Expected events[6];
        PolicyState state;
        usec_t stop_at;
        usec_t next;          /* expected policy_next_deadline(); 0: not checked */
} Step;

typedef struct Scenario {
        const char *name;
        PolicyConfig config;  /* all zero: the defaults */
        Step steps[16];
} Scenario;

#define MAX_EVENTS 64

typedef struct Recorder {
        Policy *policy;
        PolicyEvent events[MAX_EVENTS];
        size_t n;
        bool stopped;
        usec_t last_at;
        unsigned violations;
} Recorder;

/* Checks the invariants on every event, in every test. */
static void record(const PolicyEvent *ev, void *userdata) {
        Recorder *r = userdata;

        if (ev->at < r->last_at || r->stopped)
                r->violations++;
        if (ev->type == POLICY_EVENT_SHUTDOWN) {
                if (policy_players(r->policy) > 0 && strcmp(ev->reason, "forced") != 0)
                        r->violations++;
                if (ev->stop_at != ev->at)
                        r->violations++;
                r->stopped = true;
        }
        if (!ev->reason)
                r->violations++;
        r->last_at = ev->at;
        if (r->n < MAX_EVENTS)
                r->events[r->n++] = *ev;
}

static const Scenario scenarios[] = {
        {
                .name = "grace expiry",
                .steps = {
                        { M(1), READY, .events = { EV(READY, M(1), "ready", M(16)),
                                                    EV(IDLE_STARTED, M(1), "startup_grace", M(16)) },
                          .state = POLICY_GRACE, .stop_at = M(16), .next = M(14) },
                        { M(14), TICK, .events = { EV(IDLE_WARNING, M(14), "startup_grace", M(16)) },
                          .state = POLICY_GRACE, .stop_at = M(16), .next = M(16) },
                        { M(16) - 1, TICK, .state = POLICY_GRACE, .stop_at = M(16) },
                        { M(16), TICK, .events = { EV(SHUTDOWN, M(16), "startup_grace", M(16)) },
                          .state = POLICY_STOPPING, .stop_at = M(16), .next = INF },
                        /* final: nothing fires again */
                        { M(17), PLAYERS, 1, .state = POLICY_STOPPING, .stop_at = M(16), .next = INF },
                        { M(17), REQUEST, .ret = -EALREADY, .state = POLICY_STOPPING, .stop_at = M(16) },
                        { H(9), TICK, .state = POLICY_STOPPING, .stop_at = M(16) },
                },
        },
        {
                .name = "join during grace, then idle stop",
                .steps = {
                        { M(1), READY, .events = { EV(READY, M(1), "ready", M(16)),
                                                    EV(IDLE_STARTED, M(1), "startup_grace", M(16)) },
                          .state = POLICY_GRACE, .stop_at = M(16) },
                        { M(5), PLAYERS, 2, .events = { EV(IDLE_CANCELLED, M(5), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF, .next = INF },
                        { M(60), TICK, .state = POLICY_PLAYING, .stop_at = INF },
                        { M(70), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(70), "idle", M(80)) },
                          .state = POLICY_IDLE, .stop_at = M(80), .next = M(78) },
                        { M(78), TICK, .events = { EV(IDLE_WARNING, M(78), "idle", M(80)) },
                          .state = POLICY_IDLE, .stop_at = M(80), .next = M(80) },
                        { M(80), TICK, .events = { EV(SHUTDOWN, M(80), "idle", M(80)) },
                          .state = POLICY_STOPPING, .stop_at = M(80), .next = INF },
                },
        },
        {
                .name = "join during countdown, also after the warning",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(2), PLAYERS, 1, .events = { EV(IDLE_CANCELLED, M(2), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(30), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(30), "idle", M(40)) },
                          .state = POLICY_IDLE, .stop_at = M(40) },
                        { M(35), PLAYERS, 1, .events = { EV(IDLE_CANCELLED, M(35), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF, .next = INF },
                        { M(50), TICK, .state = POLICY_PLAYING, .stop_at = INF },
                        { M(50), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(50), "idle", M(60)) },
                          .state = POLICY_IDLE, .stop_at = M(60) },
                        { M(58), TICK, .events = { EV(IDLE_WARNING, M(58), "idle", M(60)) },
                          .state = POLICY_IDLE, .stop_at = M(60) },
                        { M(59), PLAYERS, 3, .events = { EV(IDLE_CANCELLED, M(59), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { H(20), TICK, .state = POLICY_PLAYING, .stop_at = INF, .next = INF },
                },
        },
        {
                .name = "a player arriving exactly at the deadline cancels the stop",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), PLAYERS, 1, .events = { EV(IDLE_CANCELLED, M(1), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(2), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(2), "idle", M(12)) },
                          .state = POLICY_IDLE, .stop_at = M(12) },
                        /* no tick in between: the input fires the warning due
                         * before it, at its own time, then cancels */
                        { M(12), PLAYERS, 1, .events = { EV(IDLE_WARNING, M(10), "idle", M(12)),
                                                          EV(IDLE_CANCELLED, M(12), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(30), TICK, .state = POLICY_PLAYING, .stop_at = INF },
                },
        },
        {
                .name = "late tick fires each deadline at its exact time, in order",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), PLAYERS, 2, .events = { EV(IDLE_CANCELLED, M(1), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(3), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(3), "idle", M(13)) },
                          .state = POLICY_IDLE, .stop_at = M(13) },
                        { H(5), TICK, .events = { EV(IDLE_WARNING, M(11), "idle", M(13)),
                                                   EV(SHUTDOWN, M(13), "idle", M(13)) },
                          .state = POLICY_STOPPING, .stop_at = M(13), .next = INF },
                },
        },
        {
                .name = "unknown sources: alert, known 0 restarts the countdown, max_unknown stop",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), PLAYERS, 1, .events = { EV(IDLE_CANCELLED, M(1), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(10), UNKNOWN, .events = { EV(UNKNOWN_ALERT, M(10), "players_unknown", M(130)) },
                          .state = POLICY_UNKNOWN, .stop_at = M(130), .next = M(128) },
                        { M(20), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(20), "idle", M(30)) },
                          .state = POLICY_IDLE, .stop_at = M(30), .next = M(28) },
                        { M(25), UNKNOWN, .events = { EV(UNKNOWN_ALERT, M(25), "players_unknown", M(145)) },
                          .state = POLICY_UNKNOWN, .stop_at = M(145) },
                        /* the idle deadline of the known 0 is gone */
                        { M(30), TICK, .state = POLICY_UNKNOWN, .stop_at = M(145) },
                        { M(143), TICK, .events = { EV(IDLE_WARNING, M(143), "unknown_too_long", M(145)) },
                          .state = POLICY_UNKNOWN, .stop_at = M(145) },
                        { M(145), TICK, .events = { EV(SHUTDOWN, M(145), "unknown_too_long", M(145)) },
                          .state = POLICY_STOPPING, .stop_at = M(145) },
                },
        },
        {
                .name = "unknown then a known player: no stop",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), UNKNOWN, .events = { EV(UNKNOWN_ALERT, M(1), "players_unknown", M(121)) },
                          .state = POLICY_UNKNOWN, .stop_at = M(121) },
                        { M(15), TICK, .state = POLICY_UNKNOWN, .stop_at = M(121) },
                        { M(60), PLAYERS, 4, .events = { EV(IDLE_CANCELLED, M(60), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { H(10), TICK, .state = POLICY_PLAYING, .stop_at = INF, .next = INF },
                        /* unchanged unknown: one alert per episode */
                        { H(10), UNKNOWN, .events = { EV(UNKNOWN_ALERT, H(10), "players_unknown", H(12)) },
                          .state = POLICY_UNKNOWN, .stop_at = H(12) },
                        { H(11), UNKNOWN, .state = POLICY_UNKNOWN, .stop_at = H(12) },
                },
        },
        {
                .name = "known 0 after unknown during the grace keeps the later deadline",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), UNKNOWN, .events = { EV(UNKNOWN_ALERT, M(1), "players_unknown", M(121)) },
                          .state = POLICY_UNKNOWN, .stop_at = M(121) },
                        { M(3), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(3), "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(10), UNKNOWN, .events = { EV(UNKNOWN_ALERT, M(10), "players_unknown", M(130)) },
                          .state = POLICY_UNKNOWN, .stop_at = M(130) },
                        { M(14), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(14), "idle", M(24)) },
                          .state = POLICY_IDLE, .stop_at = M(24) },
                },
        },
        {
                .name = "inhibit holds off the stop; its expiry starts a fresh countdown",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), PLAYERS, 1, .events = { EV(IDLE_CANCELLED, M(1), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(5), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(5), "idle", M(15)) },
                          .state = POLICY_IDLE, .stop_at = M(15) },
                        { M(8), INHIBIT, M(68), .events = { EV(IDLE_CANCELLED, M(8), "inhibited", INF),
                                                             EV(INHIBITED, M(8), "requested", INF) },
                          .state = POLICY_INHIBITED, .stop_at = INF, .next = M(68) },
                        { M(30), TICK, .state = POLICY_INHIBITED, .stop_at = INF },
                        { M(68), TICK, .events = { EV(INHIBIT_ENDED, M(68), "expired", M(78)),
                                                    EV(IDLE_STARTED, M(68), "idle", M(78)) },
                          .state = POLICY_IDLE, .stop_at = M(78), .next = M(76) },
                        { M(76), TICK, .events = { EV(IDLE_WARNING, M(76), "idle", M(78)) },
                          .state = POLICY_IDLE, .stop_at = M(78) },
                        { M(78), TICK, .events = { EV(SHUTDOWN, M(78), "idle", M(78)) },
                          .state = POLICY_STOPPING, .stop_at = M(78) },
                },
        },
        {
                .name = "inhibit while players are on, then cleared",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), PLAYERS, 2, .events = { EV(IDLE_CANCELLED, M(1), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(10), INHIBIT, M(70), .events = { EV(INHIBITED, M(10), "requested", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF, .next = M(70) },
                        { M(20), PLAYERS, 0, .state = POLICY_INHIBITED, .stop_at = INF },
                        { M(40), INHIBIT, 0, .events = { EV(INHIBIT_ENDED, M(40), "cleared", M(50)),
                                                          EV(IDLE_STARTED, M(40), "idle", M(50)) },
                          .state = POLICY_IDLE, .stop_at = M(50) },
                        { M(50), TICK, .events = { EV(IDLE_WARNING, M(48), "idle", M(50)),
                                                    EV(SHUTDOWN, M(50), "idle", M(50)) },
                          .state = POLICY_STOPPING, .stop_at = M(50) },
                },
        },
        {
                .name = "inhibit moved; one late tick: expiry, countdown, warning, stop",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(5), INHIBIT, M(20), .events = { EV(IDLE_CANCELLED, M(5), "inhibited", INF),
                                                             EV(INHIBITED, M(5), "requested", INF) },
                          .state = POLICY_INHIBITED, .stop_at = INF },
                        { M(10), INHIBIT, M(30), .events = { EV(INHIBITED, M(10), "requested", INF) },
                          .state = POLICY_INHIBITED, .stop_at = INF, .next = M(30) },
                        { H(2), TICK, .events = { EV(INHIBIT_ENDED, M(30), "expired", M(40)),
                                                   EV(IDLE_STARTED, M(30), "idle", M(40)),
                                                   EV(IDLE_WARNING, M(38), "idle", M(40)),
                                                   EV(SHUTDOWN, M(40), "idle", M(40)) },
                          .state = POLICY_STOPPING, .stop_at = M(40) },
                },
        },
        {
                .name = "unknown during an inhibit: alert only; stop no sooner than idle_timeout after",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), INHIBIT, H(3), .events = { EV(IDLE_CANCELLED, M(1), "inhibited", INF),
                                                            EV(INHIBITED, M(1), "requested", INF) },
                          .state = POLICY_INHIBITED, .stop_at = INF },
                        { M(10), UNKNOWN, .events = { EV(UNKNOWN_ALERT, M(10), "players_unknown", INF) },
                          .state = POLICY_INHIBITED, .stop_at = INF, .next = H(3) },
                        { H(3), TICK, .events = { EV(INHIBIT_ENDED, H(3), "expired", M(190)) },
                          .state = POLICY_UNKNOWN, .stop_at = M(190), .next = M(188) },
                        { M(190), TICK, .events = { EV(IDLE_WARNING, M(188), "unknown_too_long", M(190)),
                                                     EV(SHUTDOWN, M(190), "unknown_too_long", M(190)) },
                          .state = POLICY_STOPPING, .stop_at = M(190) },
                },
        },
        {
                .name = "request refused with players on unless forced",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), PLAYERS, 2, .events = { EV(IDLE_CANCELLED, M(1), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(5), REQUEST, .ret = -EBUSY, .state = POLICY_PLAYING, .stop_at = INF },
                        { M(6), FORCE, .ret = 0, .events = { EV(SHUTDOWN, M(6), "forced", M(6)) },
                          .state = POLICY_STOPPING, .stop_at = M(6), .next = INF },
                        { M(7), REQUEST, .ret = -EALREADY, .state = POLICY_STOPPING, .stop_at = M(6) },
                        { M(30), PLAYERS, 0, .state = POLICY_STOPPING, .stop_at = M(6) },
                },
        },
        {
                .name = "request with nobody on stops at once, even inhibited",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(2), INHIBIT, H(1), .events = { EV(IDLE_CANCELLED, M(2), "inhibited", INF),
                                                            EV(INHIBITED, M(2), "requested", INF) },
                          .state = POLICY_INHIBITED, .stop_at = INF },
                        /* force with nobody on is a plain request */
                        { M(3), FORCE, .ret = 0, .events = { EV(SHUTDOWN, M(3), "requested", M(3)) },
                          .state = POLICY_STOPPING, .stop_at = M(3), .next = INF },
                        { H(2), TICK, .state = POLICY_STOPPING, .stop_at = M(3) },
                },
        },
        {
                .name = "request with every source unknown",
                .steps = {
                        { M(1), UNKNOWN, .events = { EV(UNKNOWN_ALERT, M(1), "players_unknown", M(121)) },
                          .state = POLICY_UNKNOWN, .stop_at = M(121) },
                        { M(2), REQUEST, .ret = 0, .events = { EV(SHUTDOWN, M(2), "requested", M(2)) },
                          .state = POLICY_STOPPING, .stop_at = M(2) },
                },
        },
        {
                /* A game that never becomes ready must not bill for ever: the
                 * startup grace counts from the start of the policy. */
                .name = "game never ready: grace counts from start",
                .steps = {
                        { M(5), TICK, .state = POLICY_WAITING_READY, .stop_at = M(15), .next = M(13) },
                        { M(13), TICK, .events = { EV(IDLE_WARNING, M(13), "startup_grace", M(15)) },
                          .state = POLICY_WAITING_READY, .stop_at = M(15) },
                        { M(15), TICK, .events = { EV(SHUTDOWN, M(15), "startup_grace", M(15)) },
                          .state = POLICY_STOPPING, .stop_at = M(15) },
                        { M(16), READY, .state = POLICY_STOPPING, .stop_at = M(15) },
                },
        },
        {
                .name = "game ready late: grace restarts from ready",
                .steps = {
                        { M(10), READY, .events = { EV(READY, M(10), "ready", M(25)),
                                                     EV(IDLE_STARTED, M(10), "startup_grace", M(25)) },
                          .state = POLICY_GRACE, .stop_at = M(25), .next = M(23) },
                        /* only the first ready counts */
                        { M(12), READY, .state = POLICY_GRACE, .stop_at = M(25) },
                        { M(25), TICK, .events = { EV(IDLE_WARNING, M(23), "startup_grace", M(25)),
                                                    EV(SHUTDOWN, M(25), "startup_grace", M(25)) },
                          .state = POLICY_STOPPING, .stop_at = M(25) },
                },
        },
        {
                .name = "players before ready (agent restarted mid-session)",
                .steps = {
                        { M(1), PLAYERS, 3, .events = { EV(IDLE_CANCELLED, M(1), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(2), READY, .events = { EV(READY, M(2), "ready", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(30), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(30), "idle", M(40)) },
                          .state = POLICY_IDLE, .stop_at = M(40) },
                },
        },
        {
                .name = "countdown not longer than warn_before: no warning",
                .config = { .startup_grace = M(15), .idle_timeout = M(2), .warn_before = M(2), .max_unknown = H(2) },
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15), .next = M(13) },
                        { M(1), PLAYERS, 1, .events = { EV(IDLE_CANCELLED, M(1), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(2), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(2), "idle", M(4)) },
                          .state = POLICY_IDLE, .stop_at = M(4), .next = M(4) },
                        { M(4), TICK, .events = { EV(SHUTDOWN, M(4), "idle", M(4)) },
                          .state = POLICY_STOPPING, .stop_at = M(4) },
                },
        },
        {
                .name = "unchanged counts do nothing; time never goes back",
                .steps = {
                        { 0, READY, .events = { EV(READY, 0, "ready", M(15)),
                                                 EV(IDLE_STARTED, 0, "startup_grace", M(15)) },
                          .state = POLICY_GRACE, .stop_at = M(15) },
                        { M(1), PLAYERS, 1, .events = { EV(IDLE_CANCELLED, M(1), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                        { M(2), PLAYERS, 2, .state = POLICY_PLAYING, .stop_at = INF },
                        { M(3), PLAYERS, 0, .events = { EV(IDLE_STARTED, M(3), "idle", M(13)) },
                          .state = POLICY_IDLE, .stop_at = M(13) },
                        { M(4), PLAYERS, 0, .state = POLICY_IDLE, .stop_at = M(13) },
                        { M(10), TICK, .state = POLICY_IDLE, .stop_at = M(13) },
                        /* stamped before the latest time: taken as happening now */
                        { M(9), PLAYERS, 1, .events = { EV(IDLE_CANCELLED, M(10), "player_joined", INF) },
                          .state = POLICY_PLAYING, .stop_at = INF },
                },
        },
};

static void check_step(const Scenario *sc, size_t i, const Step *s, const Recorder *rec, Policy *p) {
        size_t expected = 0;

        while (expected < ELEMENTSOF(s->events) && s->events[expected].reason)
                expected++;

        if (rec->n != expected) {
                print_error("%s, step %zu: %zu events, expected %zu\n", sc->name, i, rec->n, expected);
                for (size_t k = 0; k < rec->n; k++)
                        print_error("  got %s at %llu reason %s\n", policy_event_to_string(rec->events[k].type),
                                    (unsigned long long) rec->events[k].at, rec->events[k].reason);
                fail();
        }
        for (size_t k = 0; k < expected; k++) {
                const Expected *e = &s->events[k];
                const PolicyEvent *ev = &rec->events[k];

                if (ev->type != e->type || ev->at != e->at || strcmp(ev->reason, e->reason) != 0 ||
                    ev->stop_at != e->stop_at) {
                        print_error("%s, step %zu, event %zu: got %s at %llu reason %s stop_at %llu; "
                                    "expected %s at %llu reason %s stop_at %llu\n",
                                    sc->name, i, k, policy_event_to_string(ev->type),
                                    (unsigned long long) ev->at, ev->reason, (unsigned long long) ev->stop_at,
                                    policy_event_to_string(e->type), (unsigned long long) e->at, e->reason,
                                    (unsigned long long) e->stop_at);
                        fail();
                }
        }
        if (policy_state(p) != s->state) {
                print_error("%s, step %zu: state %s, expected %s\n", sc->name, i,
                            policy_state_to_string(policy_state(p)), policy_state_to_string(s->state));
                fail();
        }
        if (policy_stop_at(p) != s->stop_at) {
                print_error("%s, step %zu: stop_at %llu, expected %llu\n", sc->name, i,
                            (unsigned long long) policy_stop_at(p), (unsigned long long) s->stop_at);
                fail();
        }
        if (s->next != 0 && policy_next_deadline(p) != s->next) {
                print_error("%s, step %zu: next deadline %llu, expected %llu\n", sc->name, i,
                            (unsigned long long) policy_next_deadline(p), (unsigned long long) s->next);
                fail();
        }
        assert_int_equal(rec->violations, 0);
}

static void test_scenarios(void **state) {
        for (size_t n = 0; n < ELEMENTSOF(scenarios); n++) {
                const Scenario *sc = &scenarios[n];
                _cleanup_(policy_freep) Policy *p = NULL;
                PolicyConfig config = sc->config;
                Recorder rec = {};

                if (config.idle_timeout == 0)
                        policy_config_default(&config);
                assert_int_equal(policy_new(&config, 0, record, &rec, &p), 0);
                rec.policy = p;
                assert_int_equal(rec.n, 0);

                for (size_t i = 0; i < ELEMENTSOF(sc->steps) && sc->steps[i].action != END; i++) {
                        const Step *s = &sc->steps[i];
                        int r = 0;

                        rec.n = 0;
                        switch (s->action) {
                        case READY:
                                policy_set_ready(p, s->at);
                                break;
                        case PLAYERS:
                                policy_set_players(p, s->at, (int) s->arg);
                                break;
                        case UNKNOWN:
                                policy_set_players(p, s->at, -1);
                                break;
                        case INHIBIT:
                                policy_set_inhibit(p, s->at, s->arg);
                                break;
                        case REQUEST:
                        case FORCE:
                                r = policy_request_shutdown(p, s->at, s->action == FORCE);
                                break;
                        case TICK:
                                policy_tick(p, s->at);
                                break;
                        case END:
                                break;
                        }
                        if (r != s->ret) {
                                print_error("%s, step %zu: returned %d, expected %d\n", sc->name, i, r, s->ret);
                                fail();
                        }
                        check_step(sc, i, s, &rec, p);
                }
        }
}

static void test_describe(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL;
        PolicyConfig config;
        char buf[POLICY_DESCRIBE_MAX];

        policy_config_default(&config);
        assert_int_equal(policy_new(&config, 0, NULL, NULL, &p), 0);
        assert_string_equal(policy_describe(p, 0, buf, sizeof(buf)), "idle stop in 15min (game not ready)");

        policy_set_ready(p, M(1));
        assert_true(policy_is_ready(p));
        assert_string_equal(policy_describe(p, M(1) + S(30), buf, sizeof(buf)), "idle stop in 14min (startup grace)");

        policy_set_players(p, M(2), 2);
        assert_int_equal(policy_players(p), 2);
        assert_string_equal(policy_describe(p, M(2), buf, sizeof(buf)), "idle stop off");

        policy_set_players(p, M(3), 0);
        assert_string_equal(policy_stop_reason(p), "idle");
        assert_string_equal(policy_describe(p, M(6), buf, sizeof(buf)), "stops in 7min");
        assert_string_equal(policy_describe(p, M(12) + S(15), buf, sizeof(buf)), "stops in 45s");

        policy_set_inhibit(p, M(3), M(3) + H(2));
        assert_true(policy_inhibit_until(p) == M(3) + H(2));
        assert_string_equal(policy_describe(p, M(4), buf, sizeof(buf)), "inhibited for 1h 59min");
        policy_set_players(p, M(4), 1);
        assert_string_equal(policy_describe(p, M(4), buf, sizeof(buf)), "inhibited for 1h 59min");

        policy_set_inhibit(p, M(5), 0);
        assert_true(policy_inhibit_until(p) == 0);
        assert_string_equal(policy_describe(p, M(5), buf, sizeof(buf)), "idle stop off");
        policy_set_players(p, M(5), -1);
        assert_string_equal(policy_describe(p, M(17), buf, sizeof(buf)), "players unknown for 12min");

        assert_int_equal(policy_request_shutdown(p, M(20), false), 0);
        assert_string_equal(policy_describe(p, M(20), buf, sizeof(buf)), "stopping");

        /* truncated, never overrun */
        char small[5];
        assert_string_equal(policy_describe(p, M(20), small, sizeof(small)), "stop");
}

static void test_strings(void **state) {
        static const char *const states[] = {
                "waiting_ready", "grace", "playing", "idle", "unknown", "inhibited", "stopping",
        };
        static const char *const events[] = {
                "ready", "idle_started", "idle_cancelled", "idle_warning",
                "unknown_alert", "inhibited", "inhibit_ended", "shutdown",
        };

        assert_int_equal(ELEMENTSOF(states), _POLICY_STATE_MAX);
        assert_int_equal(ELEMENTSOF(events), _POLICY_EVENT_MAX);
        for (size_t i = 0; i < ELEMENTSOF(states); i++)
                assert_string_equal(policy_state_to_string((PolicyState) i), states[i]);
        for (size_t i = 0; i < ELEMENTSOF(events); i++)
                assert_string_equal(policy_event_to_string((PolicyEventType) i), events[i]);
        assert_null(policy_state_to_string(_POLICY_STATE_MAX));
        assert_null(policy_event_to_string(_POLICY_EVENT_MAX));
}

static void test_new_invalid(void **state) {
        PolicyConfig config;
        Policy *p = NULL;

        policy_config_default(&config);
        assert_int_equal(policy_new(NULL, 0, NULL, NULL, &p), -EINVAL);
        assert_int_equal(policy_new(&config, 0, NULL, NULL, NULL), -EINVAL);
        assert_null(p);
        assert_null(policy_free(NULL));
}

static uint64_t rng_next(uint64_t *s) {
        /* xorshift64*: reproducible without libc's rand() state */
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ULL;
}

/* Random inputs at random times; after every input: no stop scheduled while
 * someone plays or an inhibit holds, one always scheduled otherwise (the
 * server must not bill for ever), deadlines never in the past, and (in the
 * callback) no SHUTDOWN with players on unless forced, events in time order,
 * nothing after SHUTDOWN. */
static void test_random_walk(void **state) {
        uint64_t seed = 0x5167756eULL;
        unsigned shutdowns = 0, timed_shutdowns = 0;

        for (unsigned run = 0; run < 300; run++) {
                _cleanup_(policy_freep) Policy *p = NULL;
                PolicyConfig config;
                Recorder rec = {};
                usec_t now = 0;

                policy_config_default(&config);
                assert_int_equal(policy_new(&config, 0, record, &rec, &p), 0);
                rec.policy = p;

                for (unsigned i = 0; i < 400 && policy_state(p) != POLICY_STOPPING; i++) {
                        uint64_t x = rng_next(&seed);

                        now += (x >> 8) % M(12);
                        rec.n = 0;
                        switch (x % 16) {
                        case 0:
                                policy_set_ready(p, now);
                                break;
                        case 1 ... 6:
                                policy_set_players(p, now, (int) ((x >> 40) % 4) - 1);
                                break;
                        case 7:
                                policy_set_inhibit(p, now, (x >> 40) % 2 ? 0 : now + (x >> 20) % H(2));
                                break;
                        case 8:
                                if ((x >> 40) % 8 == 0)
                                        (void) policy_request_shutdown(p, now, false);
                                else
                                        policy_tick(p, now);
                                break;
                        default:
                                policy_tick(p, now);
                        }
                        assert_int_equal(rec.violations, 0);
                        if (policy_state(p) == POLICY_STOPPING)
                                break;
                        if (policy_players(p) > 0 || policy_inhibit_until(p) != 0)
                                assert_true(policy_stop_at(p) == INF);
                        else
                                assert_true(policy_stop_at(p) != INF);
                        assert_true(policy_next_deadline(p) == INF || policy_next_deadline(p) >= now);
                }
                if (policy_state(p) == POLICY_STOPPING) {
                        shutdowns++;
                        if (!streq(policy_stop_reason(p), "requested"))
                                timed_shutdowns++;
                }
        }
        /* the walk must actually reach the stops it is meant to check */
        assert_true(timed_shutdowns > 50);
        assert_true(shutdowns > timed_shutdowns);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scenarios),
                cmocka_unit_test(test_describe),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_new_invalid),
                cmocka_unit_test(test_random_walk),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
