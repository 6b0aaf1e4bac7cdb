/* SPDX-License-Identifier: MIT */
/*
 * Peer table benchmark: 4096 established players, then one million observe()
 * calls of data in both directions from random players; then a ChallengeRequest
 * flood of one million new random sources into a table half full of players
 * (the eviction path). Prints one line with the rates and the peak RSS of the
 * whole process:
 *
 *   bench-peers: peers=4096 observes=1000000 observes_per_sec=... ns_per_observe=... flood_observes_per_sec=... rss_kib=N
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "agent/peers.h"

#define BENCH_PEERS 4096
#define BENCH_OBSERVES 1000000

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static PacketAddr random_peer(void) {
        uint64_t r = rng();
        PacketAddr p = { .family = AF_INET, .port = (uint16_t) (1024 + r % 60000) };

        memcpy(p.addr, &(uint32_t) { (uint32_t) (r >> 32) }, 4);
        return p;
}

static double seconds_now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void count_join(const PacketAddr *peer, usec_t now, void *userdata) {
        (*(unsigned *) userdata)++;
}

int main(void) {
        static PacketAddr peers[BENCH_PEERS];
        PeerTableConfig config = { .max_peers = BENCH_PEERS };
        PeerCallbacks callbacks = { .joined = count_join };
        _cleanup_(peer_table_freep) PeerTable *t = NULL, *flooded = NULL;
        unsigned joins = 0;
        usec_t now = USEC_PER_SEC;
        double start, elapsed, flood_elapsed;
        struct rusage ru;
        int r;

        r = peer_table_new(&config, &callbacks, &joins, &t);
        if (r < 0) {
                fprintf(stderr, "bench-peers: peer_table_new: %s\n", strerror(-r));
                return 1;
        }

        for (unsigned i = 0; i < BENCH_PEERS; i++) {
                peers[i] = random_peer();
                peer_table_observe(t, now, &peers[i], true, GNS_CONNECT_OK);
        }
        if (peer_table_players(t) != BENCH_PEERS) {
                fprintf(stderr, "bench-peers: %u players after %u handshakes\n", peer_table_players(t), BENCH_PEERS);
                return 1;
        }

        start = seconds_now();
        for (unsigned i = 0; i < BENCH_OBSERVES; i++) {
                now += 20; /* 1M datagrams in 20 s of capture time */
                peer_table_observe(t, now, &peers[rng() % BENCH_PEERS], i & 1, GNS_DATA);
        }
        elapsed = seconds_now() - start;
        if (peer_table_players(t) != BENCH_PEERS) {
                fprintf(stderr, "bench-peers: players dropped to %u\n", peer_table_players(t));
                return 1;
        }

        r = peer_table_new(&config, NULL, NULL, &flooded);
        if (r < 0)
                return 1;
        for (unsigned i = 0; i < BENCH_PEERS / 2; i++)
                peer_table_observe(flooded, now, &peers[i], true, GNS_CONNECT_OK);
        start = seconds_now();
        for (unsigned i = 0; i < BENCH_OBSERVES; i++) {
                PacketAddr p = random_peer();

                now += 1;
                peer_table_observe(flooded, now, &p, false, GNS_CHALLENGE_REQUEST);
        }
        flood_elapsed = seconds_now() - start;
        if (peer_table_players(flooded) != BENCH_PEERS / 2)
                return 1;

        getrusage(RUSAGE_SELF, &ru);
        printf("bench-peers: peers=%u observes=%u observes_per_sec=%.0f ns_per_observe=%.1f "
               "flood_observes_per_sec=%.0f players=%u rss_kib=%ld\n",
               BENCH_PEERS, BENCH_OBSERVES, BENCH_OBSERVES / elapsed, elapsed * 1e9 / BENCH_OBSERVES,
               BENCH_OBSERVES / flood_elapsed, peer_table_players(t), ru.ru_maxrss);
        return 0;
}
