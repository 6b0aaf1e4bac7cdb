/* SPDX-License-Identifier: MIT */
/*
 * The peer table: a preallocated array of slots (max_peers of them, allocated
 * once, so a flood cannot grow memory), a chained hash index over the slots by
 * remote address (uint32 slot numbers, seeded hash so that spoofed sources
 * cannot pile into one chain), and two intrusive lists ordered by last
 * activity:
 *
 *   players        ordered by the last datagram FROM the peer: the head is the
 *                  next silence timeout;
 *   unestablished  ordered by the last datagram either way: the head is both
 *                  the next to be forgotten and the first to be evicted.
 *
 * Each datagram moves its peer to the tail of its list, so both orders hold
 * without sorting and every operation is O(1). Floods only ever fill the
 * unestablished list; players are never evicted.
 */
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "agent/peers.h"

#define PEER_NONE UINT32_MAX

typedef enum PeerState {
        PEER_UNESTABLISHED,
        PEER_PLAYER,
} PeerState;

typedef struct Peer {
        PacketAddr addr;                /* normalized: IPv4-mapped IPv6 stored as IPv4 */
        uint8_t state;                  /* PeerState */
        uint32_t hash_next;             /* next slot in the same hash bucket */
        uint32_t prev, next;            /* neighbours in the peer's list; next links the free list */
        usec_t last_active;             /* player: last datagram from it; unestablished: either way */
        usec_t since;                   /* player: joined; unestablished: both-ways data since */
        usec_t last_data[2];            /* unestablished: last data from the peer [0], from the server [1] */
} Peer;

typedef struct PeerList {
        uint32_t head, tail;
        uint32_t n;
} PeerList;

struct PeerTable {
        PeerTableConfig config;
        PeerCallbacks callbacks;
        void *userdata;

        Peer *peers;                    /* config.max_peers slots */
        uint32_t *buckets;              /* slot of the first peer in each bucket, PEER_NONE if empty */
        uint32_t bucket_mask;
        uint64_t hash_seed;

        PeerList players, unestablished;
        uint32_t free_head;
        usec_t now;                     /* latest time seen: capture clocks may step back a little */

        uint64_t peers_seen, dropped, evicted;
};

const char *peer_leave_reason_to_string(PeerLeaveReason r) {
        switch (r) {
        case PEER_LEFT_CLOSED:
                return "closed";
        case PEER_LEFT_TIMEOUT:
                return "timeout";
        default:
                return NULL;
        }
}

static usec_t usec_add(usec_t a, usec_t b) {
        return a > USEC_INFINITY - b ? USEC_INFINITY : a + b;
}

static uint64_t mix64(uint64_t h) {
        /* MurmurHash3's finalizer */
        h ^= h >> 33;
        h *= UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 33;
        h *= UINT64_C(0xc4ceb9fe1a85ec53);
        h ^= h >> 33;
        return h;
}

static uint64_t peer_hash(const PeerTable *t, const PacketAddr *a) {
        uint64_t w0, w1;

        memcpy(&w0, a->addr, sizeof(w0));
        memcpy(&w1, a->addr + 8, sizeof(w1));
        return mix64(mix64(t->hash_seed ^ w0) ^ w1 ^ ((uint64_t) a->family << 16 | a->port));
}

static bool peer_key_equal(const PacketAddr *a, const PacketAddr *b) {
        return a->port == b->port && a->family == b->family && memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static PacketAddr peer_key(const PacketAddr *a) {
        PacketAddr k = {
                .family = a->family,
                .port = a->port,
        };

        memcpy(k.addr, a->addr, sizeof(k.addr));
        packet_addr_normalize(&k);
        return k;
}

static void list_append(PeerTable *t, PeerList *l, uint32_t i) {
        Peer *p = t->peers + i;

        p->prev = l->tail;
        p->next = PEER_NONE;
        if (l->tail != PEER_NONE)
                t->peers[l->tail].next = i;
        else
                l->head = i;
        l->tail = i;
        l->n++;
}

static void list_unlink(PeerTable *t, PeerList *l, uint32_t i) {
        Peer *p = t->peers + i;

        if (p->prev != PEER_NONE)
                t->peers[p->prev].next = p->next;
        else
                l->head = p->next;
        if (p->next != PEER_NONE)
                t->peers[p->next].prev = p->prev;
        else
                l->tail = p->prev;
        l->n--;
}

static PeerList *peer_list(PeerTable *t, const Peer *p) {
        return p->state == PEER_PLAYER ? &t->players : &t->unestablished;
}

static void list_move_to_tail(PeerTable *t, PeerList *l, uint32_t i) {
        if (l->tail == i)
                return;
        list_unlink(t, l, i);
        list_append(t, l, i);
}

static usec_t list_head_deadline(const PeerTable *t, const PeerList *l, usec_t timeout) {
        if (l->head == PEER_NONE)
                return USEC_INFINITY;
        return usec_add(t->peers[l->head].last_active, timeout);
}

int peer_table_new(const PeerTableConfig *c, const PeerCallbacks *cb, void *userdata, PeerTable **ret) {
        PeerTableConfig config = c ? *c : (PeerTableConfig) {};
        _cleanup_(peer_table_freep) PeerTable *t = NULL;
        size_t n_buckets = 1;

        if (config.max_peers == 0)
                config.max_peers = PEER_TABLE_MAX_PEERS_DEFAULT;
        if (config.silence_timeout == 0)
                config.silence_timeout = PEER_SILENCE_TIMEOUT_DEFAULT;
        if (config.confirm_time == 0)
                config.confirm_time = PEER_CONFIRM_TIME_DEFAULT;
        if (config.unestablished_timeout == 0)
                config.unestablished_timeout = PEER_UNESTABLISHED_TIMEOUT_DEFAULT;
        if (config.max_peers > PEER_TABLE_MAX_PEERS_LIMIT)
                return -EINVAL;

        /* About two buckets per slot keeps chains short at the cap. */
        while (n_buckets < config.max_peers * 2)
                n_buckets <<= 1;

        t = calloc(1, sizeof(PeerTable));
        if (!t)
                return -ENOMEM;
        *t = (PeerTable) {
                .config = config,
                .callbacks = cb ? *cb : (PeerCallbacks) {},
                .userdata = userdata,
                .bucket_mask = (uint32_t) (n_buckets - 1),
                .players = { PEER_NONE, PEER_NONE, 0 },
                .unestablished = { PEER_NONE, PEER_NONE, 0 },
        };

        t->peers = calloc(config.max_peers, sizeof(Peer));
        t->buckets = malloc(n_buckets * sizeof(uint32_t));
        if (!t->peers || !t->buckets)
                return -ENOMEM;
        memset(t->buckets, 0xFF, n_buckets * sizeof(uint32_t));

        for (size_t i = 0; i < config.max_peers; i++)
                t->peers[i].next = i + 1 < config.max_peers ? (uint32_t) (i + 1) : PEER_NONE;
        t->free_head = 0;

        if (getrandom(&t->hash_seed, sizeof(t->hash_seed), GRND_NONBLOCK) != sizeof(t->hash_seed))
                t->hash_seed = mix64((uint64_t) (uintptr_t) t ^ (uint64_t) time(NULL));

        *ret = TAKE_PTR(t);
        return 0;
}

PeerTable *peer_table_free(PeerTable *t) {
        if (!t)
                return NULL;
        free(t->peers);
        free(t->buckets);
        free(t);
        return NULL;
}

static uint32_t peer_find(const PeerTable *t, const PacketAddr *key, uint64_t hash) {
        for (uint32_t i = t->buckets[hash & t->bucket_mask]; i != PEER_NONE; i = t->peers[i].hash_next)
                if (peer_key_equal(&t->peers[i].addr, key))
                        return i;
        return PEER_NONE;
}

/* Take the peer out of the index and its list and give the slot back. No callback. */
static void peer_unlink(PeerTable *t, uint32_t i) {
        Peer *p = t->peers + i;
        uint32_t *link = &t->buckets[peer_hash(t, &p->addr) & t->bucket_mask];

        while (*link != i)
                link = &t->peers[*link].hash_next;
        *link = p->hash_next;

        list_unlink(t, peer_list(t, p), i);

        p->next = t->free_head;
        t->free_head = i;
}

static void peer_remove(PeerTable *t, uint32_t i, PeerLeaveReason reason, usec_t when) {
        PacketAddr addr = t->peers[i].addr;
        bool was_player = t->peers[i].state == PEER_PLAYER;

        peer_unlink(t, i);

        if (was_player && t->callbacks.left)
                t->callbacks.left(&addr, reason, when, t->userdata);
}

static void peer_table_evict_unestablished(PeerTable *t) {
        peer_unlink(t, t->unestablished.head);
        t->evicted++;
}

static size_t peer_table_count(const PeerTable *t) {
        return (size_t) t->players.n + t->unestablished.n;
}

/* A new unestablished peer in a free slot, evicting the least recently seen unestablished one if the
 * table is full. PEER_NONE if every slot holds a player. */
static uint32_t peer_admit(PeerTable *t, usec_t now, const PacketAddr *key, uint64_t hash) {
        uint32_t i, *bucket;

        if (peer_table_count(t) >= t->config.max_peers) {
                if (t->unestablished.head == PEER_NONE) {
                        t->dropped++;
                        return PEER_NONE;
                }
                peer_table_evict_unestablished(t);
        }

        i = t->free_head;
        t->free_head = t->peers[i].next;

        bucket = &t->buckets[hash & t->bucket_mask];
        t->peers[i] = (Peer) {
                .addr = *key,
                .state = PEER_UNESTABLISHED,
                .hash_next = *bucket,
                .last_active = now,
                .since = USEC_INFINITY,
                .last_data = { USEC_INFINITY, USEC_INFINITY },
        };
        *bucket = i;
        list_append(t, &t->unestablished, i);
        t->peers_seen++;
        return i;
}

static void peer_promote(PeerTable *t, uint32_t i, usec_t now) {
        Peer *p = t->peers + i;

        list_unlink(t, &t->unestablished, i);
        p->state = PEER_PLAYER;
        p->since = now;
        /* A new player gets a full silence window from the moment it is established. */
        p->last_active = now;
        list_append(t, &t->players, i);

        if (t->callbacks.joined)
                t->callbacks.joined(&p->addr, now, t->userdata);
}

/* Mid-session adoption: true once data has flowed both ways, neither direction silent for more than
 * PEER_DATA_GAP_MAX, for confirm_time. */
static bool peer_data_confirms(Peer *p, usec_t now, bool from_server, usec_t confirm_time) {
        usec_t previous = p->last_data[from_server], other = p->last_data[!from_server];

        p->last_data[from_server] = now;

        if (other == USEC_INFINITY || now - other > PEER_DATA_GAP_MAX) {
                p->since = USEC_INFINITY; /* one direction only: a flood, or a server talking to nobody */
                return false;
        }
        if (p->since == USEC_INFINITY || previous == USEC_INFINITY || now - previous > PEER_DATA_GAP_MAX)
                p->since = now;

        return now - p->since >= confirm_time;
}

/* Kinds that make an unknown peer worth a slot: handshake steps in their own direction and data.
 * A2S, junk, unknown messages and closes of connections we never saw are not. */
static bool gns_kind_admits(GnsKind kind, bool from_server) {
        switch (kind) {
        case GNS_CHALLENGE_REQUEST:
        case GNS_CONNECT_REQUEST:
                return !from_server;
        case GNS_CHALLENGE_REPLY:
        case GNS_CONNECT_OK:
                return from_server;
        case GNS_DATA:
                return true;
        default:
                return false;
        }
}

void peer_table_observe(PeerTable *t, usec_t now, const PacketAddr *peer, bool from_server, GnsKind kind) {
        PacketAddr key;
        uint64_t hash;
        uint32_t i;
        Peer *p;

        peer_table_expire(t, now);
        now = t->now;

        if (kind == GNS_MALFORMED || kind == GNS_A2S || (unsigned) kind >= _GNS_KIND_MAX)
                return;

        key = peer_key(peer);
        hash = peer_hash(t, &key);
        i = peer_find(t, &key, hash);
        if (i == PEER_NONE) {
                if (!gns_kind_admits(kind, from_server))
                        return;
                i = peer_admit(t, now, &key, hash);
                if (i == PEER_NONE)
                        return;
        }
        p = t->peers + i;

        switch (kind) {
        case GNS_CONNECTION_CLOSED:
        case GNS_NO_CONNECTION:
                peer_remove(t, i, PEER_LEFT_CLOSED, now);
                return;

        case GNS_CONNECT_OK:
                if (from_server && p->state != PEER_PLAYER) {
                        peer_promote(t, i, now);
                        return;
                }
                break;

        case GNS_DATA:
                if (p->state != PEER_PLAYER && peer_data_confirms(p, now, from_server, t->config.confirm_time)) {
                        peer_promote(t, i, now);
                        return;
                }
                break;

        default:
                break;
        }

        if (p->state == PEER_PLAYER) {
                /* The server may keep sending to a client that vanished: only the peer keeps itself alive. */
                if (!from_server) {
                        p->last_active = now;
                        list_move_to_tail(t, &t->players, i);
                }
        } else {
                p->last_active = now;
                list_move_to_tail(t, &t->unestablished, i);
        }
}

void peer_table_expire(PeerTable *t, usec_t now) {
        t->now = MAX(t->now, now);

        for (;;) {
                usec_t player_deadline = list_head_deadline(t, &t->players, t->config.silence_timeout),
                       unestablished_deadline = list_head_deadline(t, &t->unestablished, t->config.unestablished_timeout);

                if (player_deadline <= unestablished_deadline) {
                        if (player_deadline > t->now)
                                return;
                        peer_remove(t, t->players.head, PEER_LEFT_TIMEOUT, player_deadline);
                } else {
                        if (unestablished_deadline > t->now)
                                return;
                        peer_unlink(t, t->unestablished.head);
                }
        }
}

usec_t peer_table_next_deadline(const PeerTable *t) {
        return MIN(list_head_deadline(t, &t->players, t->config.silence_timeout),
                   list_head_deadline(t, &t->unestablished, t->config.unestablished_timeout));
}

void peer_table_set_timeouts(PeerTable *t, usec_t silence_timeout, usec_t confirm_time, usec_t unestablished_timeout) {
        /* Deadlines are computed from these on demand, so the new values apply to every peer now. */
        if (silence_timeout > 0)
                t->config.silence_timeout = silence_timeout;
        if (confirm_time > 0)
                t->config.confirm_time = confirm_time;
        if (unestablished_timeout > 0)
                t->config.unestablished_timeout = unestablished_timeout;
}

unsigned peer_table_players(const PeerTable *t) {
        return t->players.n;
}

size_t peer_table_size(const PeerTable *t) {
        return peer_table_count(t);
}

uint64_t peer_table_peers_seen(const PeerTable *t) {
        return t->peers_seen;
}

uint64_t peer_table_dropped(const PeerTable *t) {
        return t->dropped;
}

uint64_t peer_table_evicted(const PeerTable *t) {
        return t->evicted;
}

bool peer_table_contains(const PeerTable *t, const PacketAddr *peer) {
        PacketAddr key = peer_key(peer);

        return peer_find(t, &key, peer_hash(t, &key)) != PEER_NONE;
}

bool peer_table_is_player(const PeerTable *t, const PacketAddr *peer) {
        PacketAddr key = peer_key(peer);
        uint32_t i = peer_find(t, &key, peer_hash(t, &key));

        return i != PEER_NONE && t->peers[i].state == PEER_PLAYER;
}

void peer_table_foreach_player(const PeerTable *t, void (*fn)(const PacketAddr *peer, usec_t since, void *userdata), void *userdata) {
        for (uint32_t i = t->players.head; i != PEER_NONE; i = t->peers[i].next)
                fn(&t->peers[i].addr, t->peers[i].since, userdata);
}
