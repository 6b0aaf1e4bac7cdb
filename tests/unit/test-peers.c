/* SPDX-License-Identifier: MIT */
/*
 * Peer table state machine: who becomes a player, when they leave, and what
 * floods and a full table do. Times are explicit microseconds; the callbacks
 * record every join and leave so the tests can check the exact timeline.
 */
#include <arpa/inet.h>
#include <string.h>

#include "agent/peers.h"
#include "tests/unit/unit.h"

#define S(x) ((usec_t) ((x) * (double) USEC_PER_SEC))
#define MS(x) ((usec_t) (x) * USEC_PER_MSEC)

typedef struct Event {
        bool joined;
        PacketAddr peer;
        PeerLeaveReason reason;
        usec_t now;
} Event;

typedef struct Recorder {
        Event events[64];
        size_t n;
} Recorder;

static void on_joined(const PacketAddr *peer, usec_t now, void *userdata) {
        Recorder *r = userdata;

        assert_true(r->n < ELEMENTSOF(r->events));
        r->events[r->n++] = (Event) { .joined = true, .peer = *peer, .now = now };
}

static void on_left(const PacketAddr *peer, PeerLeaveReason reason, usec_t now, void *userdata) {
        Recorder *r = userdata;

        assert_true(r->n < ELEMENTSOF(r->events));
        r->events[r->n++] = (Event) { .joined = false, .peer = *peer, .reason = reason, .now = now };
}

static const PeerCallbacks callbacks = { .joined = on_joined, .left = on_left };

static PacketAddr v4(uint8_t last, uint16_t port) {
        return (PacketAddr) { .family = AF_INET, .port = port, .addr = { 198, 51, 100, last } };
}

static PeerTable *new_table(size_t max_peers, Recorder *rec) {
        PeerTableConfig c = {
                .max_peers = max_peers,
                .silence_timeout = S(30),
                .confirm_time = S(5),
                .unestablished_timeout = S(10),
        };
        PeerTable *t = NULL;

        *rec = (Recorder) {};
        assert_int_equal(peer_table_new(&c, &callbacks, rec, &t), 0);
        assert_non_null(t);
        return t;
}

static void assert_event(const Recorder *r, size_t i, bool joined, const PacketAddr *peer, PeerLeaveReason reason, usec_t now) {
        char a[PACKET_ADDR_STRLEN], b[PACKET_ADDR_STRLEN];

        assert_true(i < r->n);
        if (r->events[i].joined != joined || !packet_addr_equal(&r->events[i].peer, peer) || r->events[i].now != now ||
            (!joined && r->events[i].reason != reason))
                fail_msg("event %zu: %s %s %s at %llu, expected %s %s %s at %llu", i,
                         r->events[i].joined ? "joined" : "left", packet_addr_to_string(&r->events[i].peer, a),
                         r->events[i].joined ? "" : peer_leave_reason_to_string(r->events[i].reason),
                         (unsigned long long) r->events[i].now,
                         joined ? "joined" : "left", packet_addr_to_string(peer, b),
                         joined ? "" : peer_leave_reason_to_string(reason), (unsigned long long) now);
}

/* Data both ways every `step`, peer first, from `from` until `until` (exclusive). */
static void play(PeerTable *t, const PacketAddr *p, usec_t from, usec_t until, usec_t step) {
        for (usec_t now = from; now < until; now += step) {
                peer_table_observe(t, now, p, false, GNS_DATA);
                peer_table_observe(t, now + step / 2, p, true, GNS_DATA);
        }
}

static void handshake(PeerTable *t, usec_t now, const PacketAddr *p) {
        peer_table_observe(t, now, p, false, GNS_CHALLENGE_REQUEST);
        peer_table_observe(t, now + MS(20), p, true, GNS_CHALLENGE_REPLY);
        peer_table_observe(t, now + MS(40), p, false, GNS_CONNECT_REQUEST);
        peer_table_observe(t, now + MS(60), p, true, GNS_CONNECT_OK);
}

static void test_handshake_join(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 50123);

        peer_table_observe(t, 0, &p, false, GNS_CHALLENGE_REQUEST);
        peer_table_observe(t, MS(20), &p, true, GNS_CHALLENGE_REPLY);
        peer_table_observe(t, MS(40), &p, false, GNS_CONNECT_REQUEST);
        assert_int_equal(peer_table_players(t), 0);
        assert_int_equal(peer_table_size(t), 1);
        assert_int_equal(rec.n, 0);

        peer_table_observe(t, MS(60), &p, true, GNS_CONNECT_OK);
        assert_int_equal(peer_table_players(t), 1);
        assert_true(peer_table_is_player(t, &p));
        assert_int_equal(rec.n, 1);
        assert_event(&rec, 0, true, &p, 0, MS(60));
        assert_int_equal(peer_table_peers_seen(t), 1);

        /* a repeated ConnectOK (the client's ConnectRequest was retransmitted) is no second join */
        peer_table_observe(t, MS(80), &p, true, GNS_CONNECT_OK);
        assert_int_equal(rec.n, 1);
        peer_table_free(t);
}

static void test_connect_ok_without_request(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 50123), q = v4(8, 50123);

        peer_table_observe(t, S(3), &p, true, GNS_CONNECT_OK);
        assert_int_equal(peer_table_players(t), 1);
        assert_event(&rec, 0, true, &p, 0, S(3));

        /* ConnectOK never comes FROM a client: a spoofer, not a player */
        peer_table_observe(t, S(3), &q, false, GNS_CONNECT_OK);
        assert_int_equal(peer_table_players(t), 1);
        assert_false(peer_table_contains(t, &q));
        peer_table_free(t);
}

static void test_mid_session_adoption(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 50123);

        /* peer at 0, 100 ms, ...; server at 50 ms, 150 ms, ...: both ways since 50 ms */
        play(t, &p, 0, S(5), MS(100));
        assert_int_equal(peer_table_players(t), 0);
        assert_int_equal(rec.n, 0);

        /* 5.000 s: only 4.95 s of both-ways data */
        peer_table_observe(t, S(5), &p, false, GNS_DATA);
        assert_int_equal(peer_table_players(t), 0);

        /* 5.050 s: confirm_time reached */
        peer_table_observe(t, MS(5050), &p, true, GNS_DATA);
        assert_int_equal(peer_table_players(t), 1);
        assert_event(&rec, 0, true, &p, 0, MS(5050));
        peer_table_free(t);
}

static void test_mid_session_gap_restarts(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 50123);

        play(t, &p, 0, S(3), MS(100));
        /* the server falls silent for 3 s while the peer keeps sending */
        for (usec_t now = S(3); now < S(6); now += MS(100))
                peer_table_observe(t, now, &p, false, GNS_DATA);
        play(t, &p, S(6), S(11), MS(100));
        assert_int_equal(peer_table_players(t), 0);

        /* both ways again since the server's first answer at 6.05 s */
        play(t, &p, S(11), S(12), MS(100));
        assert_int_equal(peer_table_players(t), 1);
        assert_event(&rec, 0, true, &p, 0, MS(11050));
        peer_table_free(t);
}

static void test_close_by_either_side(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr a = v4(1, 50001), b = v4(2, 50002);

        handshake(t, S(1), &a);
        handshake(t, S(1), &b);
        assert_int_equal(peer_table_players(t), 2);

        peer_table_observe(t, S(10), &a, false, GNS_CONNECTION_CLOSED);
        assert_int_equal(peer_table_players(t), 1);
        assert_event(&rec, 2, false, &a, PEER_LEFT_CLOSED, S(10));

        peer_table_observe(t, S(11), &b, true, GNS_NO_CONNECTION);
        assert_int_equal(peer_table_players(t), 0);
        assert_event(&rec, 3, false, &b, PEER_LEFT_CLOSED, S(11));
        assert_int_equal(peer_table_size(t), 0);
        assert_int_equal(peer_table_next_deadline(t), USEC_INFINITY);

        /* a close of a connection never seen changes nothing */
        peer_table_observe(t, S(12), &a, true, GNS_CONNECTION_CLOSED);
        assert_int_equal(rec.n, 4);
        assert_int_equal(peer_table_size(t), 0);
        peer_table_free(t);
}

static void test_timeout_at_exact_deadline(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 50123);

        handshake(t, S(100), &p);
        play(t, &p, S(101), S(120), MS(50));   /* last from the peer at 119.95 s */
        assert_int_equal(peer_table_next_deadline(t), MS(119950) + S(30));

        /* the server keeps sending to the vanished client: that does not keep it */
        for (usec_t now = S(120); now < S(160); now += S(1))
                peer_table_observe(t, now, &p, true, GNS_DATA);
        /* ...but observing at 150 s applied the expiry already; check at the edges separately */
        assert_int_equal(peer_table_players(t), 0);
        assert_event(&rec, 1, false, &p, PEER_LEFT_TIMEOUT, MS(149950));
        peer_table_free(t);

        t = new_table(16, &rec);
        handshake(t, S(100), &p);
        play(t, &p, S(101), S(120), MS(50));
        peer_table_expire(t, MS(149950) - 1);
        assert_int_equal(peer_table_players(t), 1);
        peer_table_expire(t, MS(149950));
        assert_int_equal(peer_table_players(t), 0);
        assert_event(&rec, 1, false, &p, PEER_LEFT_TIMEOUT, MS(149950));
        peer_table_free(t);
}

static void test_expire_in_time_order(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr a = v4(1, 1), b = v4(2, 2), c = v4(3, 3);

        peer_table_observe(t, S(1), &b, true, GNS_CONNECT_OK);
        peer_table_observe(t, S(2), &a, true, GNS_CONNECT_OK);
        peer_table_observe(t, S(3), &c, true, GNS_CONNECT_OK);
        peer_table_observe(t, S(4), &b, false, GNS_DATA);       /* b now last */
        assert_int_equal(peer_table_next_deadline(t), S(32));

        peer_table_expire(t, S(100));
        assert_int_equal(rec.n, 6);
        assert_event(&rec, 3, false, &a, PEER_LEFT_TIMEOUT, S(32));
        assert_event(&rec, 4, false, &c, PEER_LEFT_TIMEOUT, S(33));
        assert_event(&rec, 5, false, &b, PEER_LEFT_TIMEOUT, S(34));
        assert_int_equal(peer_table_next_deadline(t), USEC_INFINITY);
        peer_table_free(t);
}

static void test_late_datagram_after_deadline(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 50123);

        peer_table_observe(t, S(1), &p, true, GNS_CONNECT_OK);
        /* nothing for 40 s, then data from the peer: it left at 31 s, and is not back at once */
        peer_table_observe(t, S(41), &p, false, GNS_DATA);
        assert_int_equal(rec.n, 2);
        assert_event(&rec, 1, false, &p, PEER_LEFT_TIMEOUT, S(31));
        assert_int_equal(peer_table_players(t), 0);
        peer_table_free(t);
}

static void test_straggler_after_close(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 50123);

        handshake(t, S(1), &p);
        play(t, &p, S(2), S(10), MS(50));
        peer_table_observe(t, S(10), &p, false, GNS_CONNECTION_CLOSED);
        assert_int_equal(peer_table_players(t), 0);

        /* packets in flight both ways for a second after the close */
        play(t, &p, MS(10010), S(11), MS(50));
        assert_int_equal(peer_table_players(t), 0);
        assert_int_equal(rec.n, 2);

        /* had the game really gone on, it would count again after confirm_time */
        play(t, &p, S(11), S(17), MS(50));
        assert_int_equal(peer_table_players(t), 1);
        peer_table_free(t);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static PacketAddr random_peer(void) {
        uint64_t r = rng();
        PacketAddr p = { .family = (r & 1) ? AF_INET : AF_INET6, .port = (uint16_t) (r >> 8) };

        r = rng();
        memcpy(p.addr, &r, sizeof(r));
        if (p.family == AF_INET6) {
                r = rng();
                memcpy(p.addr + 8, &r, sizeof(r));
        }
        return p;
}

static void test_challenge_request_flood(void **state) {
        Recorder rec;
        PeerTable *t = new_table(4096, &rec);
        PacketAddr a = v4(1, 50001), b = v4(2, 50002);
        usec_t now = S(100);

        handshake(t, now, &a);
        handshake(t, now, &b);

        /* 100k spoofed sources in 10 s; the server answers each with a ChallengeReply */
        for (unsigned i = 0; i < 100000; i++) {
                PacketAddr s = random_peer();

                now += 100;
                peer_table_observe(t, now, &s, false, GNS_CHALLENGE_REQUEST);
                peer_table_observe(t, now + 10, &s, true, GNS_CHALLENGE_REPLY);
                if (i % 1000 == 0) {
                        peer_table_observe(t, now, &a, false, GNS_DATA);
                        peer_table_observe(t, now, &b, false, GNS_DATA);
                }
                assert_true(peer_table_size(t) <= 4096);
        }

        assert_int_equal(peer_table_players(t), 2);
        assert_true(peer_table_is_player(t, &a));
        assert_true(peer_table_is_player(t, &b));
        assert_int_equal(peer_table_size(t), 4096);
        assert_int_equal(peer_table_peers_seen(t), 100002);
        assert_int_equal(peer_table_dropped(t), 0);
        assert_true(peer_table_evicted(t) > 90000);
        assert_int_equal(rec.n, 2);     /* the two joins, nothing else */

        /* once the flood stops, its leftovers are forgotten and the players stay */
        peer_table_observe(t, now + S(11), &a, false, GNS_DATA);
        peer_table_observe(t, now + S(11), &b, false, GNS_DATA);
        assert_int_equal(peer_table_size(t), 2);
        peer_table_free(t);
}

static void test_data_flood_one_direction(void **state) {
        Recorder rec;
        PeerTable *t = new_table(4096, &rec);
        PacketAddr sources[1000];
        usec_t now = S(100);

        /* 100k fake data packets from random sources; the server says NoConnection to each */
        for (unsigned i = 0; i < 100000; i++) {
                PacketAddr s = random_peer();

                now += 100;
                peer_table_observe(t, now, &s, false, GNS_DATA);
                peer_table_observe(t, now + 10, &s, true, GNS_NO_CONNECTION);
        }
        assert_int_equal(peer_table_players(t), 0);
        assert_int_equal(peer_table_size(t), 0);

        /* 1000 sources sending fake data steadily for 20 s, the server ignoring them */
        for (unsigned i = 0; i < ELEMENTSOF(sources); i++)
                sources[i] = random_peer();
        for (unsigned round = 0; round < 200; round++) {
                now += MS(100);
                for (unsigned i = 0; i < ELEMENTSOF(sources); i++)
                        peer_table_observe(t, now, &sources[i], false, GNS_DATA);
        }
        assert_int_equal(peer_table_players(t), 0);
        assert_int_equal(peer_table_size(t), 1000);
        assert_int_equal(rec.n, 0);
        peer_table_free(t);
}

static void test_eviction_order(void **state) {
        Recorder rec;
        PeerTable *t = new_table(4, &rec);
        PacketAddr a = v4(1, 1), b = v4(2, 2), c = v4(3, 3), d = v4(4, 4), e = v4(5, 5), f = v4(6, 6);

        peer_table_observe(t, S(1), &a, false, GNS_CHALLENGE_REQUEST);
        peer_table_observe(t, S(2), &b, false, GNS_CHALLENGE_REQUEST);
        peer_table_observe(t, S(3), &c, false, GNS_CHALLENGE_REQUEST);
        peer_table_observe(t, S(4), &d, false, GNS_CHALLENGE_REQUEST);
        peer_table_observe(t, S(5), &a, true, GNS_CHALLENGE_REPLY);   /* a is fresh again */
        assert_int_equal(peer_table_size(t), 4);

        peer_table_observe(t, S(6), &e, false, GNS_CHALLENGE_REQUEST);
        assert_int_equal(peer_table_size(t), 4);
        assert_false(peer_table_contains(t, &b));
        assert_true(peer_table_contains(t, &a));
        assert_true(peer_table_contains(t, &c));
        assert_true(peer_table_contains(t, &e));

        /* c becomes a player: the least recently seen unestablished one is d now, not c */
        peer_table_observe(t, S(7), &c, true, GNS_CONNECT_OK);
        peer_table_observe(t, S(8), &f, false, GNS_CHALLENGE_REQUEST);
        assert_false(peer_table_contains(t, &d));
        assert_true(peer_table_is_player(t, &c));
        assert_int_equal(peer_table_evicted(t), 2);
        assert_int_equal(peer_table_dropped(t), 0);
        peer_table_free(t);
}

static void test_full_of_players_refuses(void **state) {
        Recorder rec;
        PeerTable *t = new_table(2, &rec);
        PacketAddr a = v4(1, 1), b = v4(2, 2), c = v4(3, 3);

        peer_table_observe(t, S(1), &a, true, GNS_CONNECT_OK);
        peer_table_observe(t, S(1), &b, true, GNS_CONNECT_OK);
        peer_table_observe(t, S(2), &c, false, GNS_CHALLENGE_REQUEST);
        peer_table_observe(t, S(2), &c, true, GNS_CONNECT_OK);
        assert_int_equal(peer_table_dropped(t), 2);
        assert_int_equal(peer_table_players(t), 2);
        assert_false(peer_table_contains(t, &c));
        assert_true(peer_table_is_player(t, &a));
        assert_true(peer_table_is_player(t, &b));

        /* a slot frees up: the next one gets in */
        peer_table_observe(t, S(3), &a, false, GNS_CONNECTION_CLOSED);
        peer_table_observe(t, S(3), &c, true, GNS_CONNECT_OK);
        assert_true(peer_table_is_player(t, &c));
        peer_table_free(t);
}

static void test_unestablished_timeout(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 50123);

        peer_table_observe(t, S(5), &p, false, GNS_CHALLENGE_REQUEST);
        assert_int_equal(peer_table_next_deadline(t), S(15));
        peer_table_expire(t, S(15) - 1);
        assert_true(peer_table_contains(t, &p));
        peer_table_expire(t, S(15));
        assert_false(peer_table_contains(t, &p));
        assert_int_equal(rec.n, 0);     /* never a player: no leave */
        peer_table_free(t);
}

static void test_never_admitted(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 27015);

        for (unsigned i = 0; i < 100; i++) {
                peer_table_observe(t, S(i), &p, false, GNS_A2S);
                peer_table_observe(t, S(i), &p, true, GNS_A2S);
                peer_table_observe(t, S(i), &p, false, GNS_MALFORMED);
                peer_table_observe(t, S(i), &p, false, GNS_OTHER);
                peer_table_observe(t, S(i), &p, true, GNS_NO_CONNECTION);
        }
        assert_int_equal(peer_table_size(t), 0);
        assert_int_equal(peer_table_peers_seen(t), 0);

        /* A2S and junk from a player's address do not keep it alive */
        peer_table_observe(t, S(200), &p, true, GNS_CONNECT_OK);
        peer_table_observe(t, S(220), &p, false, GNS_A2S);
        peer_table_observe(t, S(225), &p, false, GNS_MALFORMED);
        peer_table_expire(t, S(230));
        assert_int_equal(peer_table_players(t), 0);
        assert_event(&rec, 1, false, &p, PEER_LEFT_TIMEOUT, S(230));
        peer_table_free(t);
}

static void test_v4_mapped_is_same_peer(void **state) {
        Recorder rec;
        PeerTable *t = new_table(16, &rec);
        PacketAddr p = v4(7, 50123);
        PacketAddr m = { .family = AF_INET6, .port = 50123, .addr = { [10] = 0xFF, [11] = 0xFF, 198, 51, 100, 7 } };

        peer_table_observe(t, S(1), &m, true, GNS_CONNECT_OK);
        assert_true(peer_table_is_player(t, &p));
        peer_table_observe(t, S(2), &p, false, GNS_CONNECTION_CLOSED);
        assert_int_equal(peer_table_players(t), 0);
        assert_int_equal(peer_table_size(t), 0);
        peer_table_free(t);
}

static void collect(const PacketAddr *peer, usec_t since, void *userdata) {
        Recorder *r = userdata;

        r->events[r->n++] = (Event) { .joined = true, .peer = *peer, .now = since };
}

static void test_foreach_player(void **state) {
        Recorder rec, seen = {};
        PeerTable *t = new_table(16, &rec);
        PacketAddr a = v4(1, 1), b = v4(2, 2), c = v4(3, 3);

        peer_table_observe(t, S(1), &a, true, GNS_CONNECT_OK);
        peer_table_observe(t, S(2), &b, false, GNS_CHALLENGE_REQUEST);
        peer_table_observe(t, S(3), &c, true, GNS_CONNECT_OK);
        peer_table_foreach_player(t, collect, &seen);
        assert_int_equal(seen.n, 2);
        assert_event(&seen, 0, true, &a, 0, S(1));
        assert_event(&seen, 1, true, &c, 0, S(3));
        peer_table_free(t);
}

static void test_new_defaults_and_limits(void **state) {
        PeerTableConfig c = { .max_peers = PEER_TABLE_MAX_PEERS_LIMIT + 1 };
        PeerTable *t = NULL, *canary = (PeerTable *) &c;
        PacketAddr p = v4(7, 50123);

        assert_int_equal(peer_table_new(&c, NULL, NULL, &canary), -EINVAL);
        assert_ptr_equal(canary, (PeerTable *) &c);

        /* no config, no callbacks: defaults (30 s silence) */
        assert_int_equal(peer_table_new(NULL, NULL, NULL, &t), 0);
        peer_table_observe(t, S(1), &p, true, GNS_CONNECT_OK);
        assert_int_equal(peer_table_players(t), 1);
        assert_int_equal(peer_table_next_deadline(t), S(31));
        peer_table_expire(t, S(31));
        assert_int_equal(peer_table_players(t), 0);
        assert_null(peer_table_free(t));
        assert_null(peer_table_free(NULL));

        assert_string_equal(peer_leave_reason_to_string(PEER_LEFT_CLOSED), "closed");
        assert_string_equal(peer_leave_reason_to_string(PEER_LEFT_TIMEOUT), "timeout");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_handshake_join),
                cmocka_unit_test(test_connect_ok_without_request),
                cmocka_unit_test(test_mid_session_adoption),
                cmocka_unit_test(test_mid_session_gap_restarts),
                cmocka_unit_test(test_close_by_either_side),
                cmocka_unit_test(test_timeout_at_exact_deadline),
                cmocka_unit_test(test_expire_in_time_order),
                cmocka_unit_test(test_late_datagram_after_deadline),
                cmocka_unit_test(test_straggler_after_close),
                cmocka_unit_test(test_challenge_request_flood),
                cmocka_unit_test(test_data_flood_one_direction),
                cmocka_unit_test(test_eviction_order),
                cmocka_unit_test(test_full_of_players_refuses),
                cmocka_unit_test(test_unestablished_timeout),
                cmocka_unit_test(test_never_admitted),
                cmocka_unit_test(test_v4_mapped_is_same_peer),
                cmocka_unit_test(test_foreach_player),
                cmocka_unit_test(test_new_defaults_and_limits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
