/* SPDX-License-Identifier: MIT */
/*
 * Who is a player, from the datagrams between the game server and each remote
 * peer (design brief §2).
 *
 * A peer becomes a player only once its connection is established: ConnectOK
 * from the server to it, or, for an agent started mid-session, GNS data
 * flowing both ways without a gap longer than PEER_DATA_GAP_MAX for
 * confirm_time. It leaves on ConnectionClosed/NoConnection in either direction
 * ("closed"), or after silence_timeout with nothing from it ("timeout").
 *
 * The table is a fixed, preallocated array of max_peers slots with a chained
 * hash index and two lists ordered by last activity (players, unestablished),
 * so observe() is O(1) and the next deadline is the head of one of the lists.
 * A full table evicts the least recently seen unestablished peer; it never
 * evicts a player and refuses a newcomer when all slots are players.
 *
 * Time is whatever clock the caller drives it with (capture time in replay,
 * CLOCK_MONOTONIC/packet time live); the table never reads a clock itself.
 * The callbacks run synchronously and must not call back into the table.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/gns.h"
#include "agent/packet.h"
#include "common/macro.h"

#define PEER_TABLE_MAX_PEERS_DEFAULT 4096
#define PEER_TABLE_MAX_PEERS_LIMIT (1U << 20)
#define PEER_SILENCE_TIMEOUT_DEFAULT (30 * USEC_PER_SEC)
#define PEER_CONFIRM_TIME_DEFAULT (5 * USEC_PER_SEC)
#define PEER_UNESTABLISHED_TIMEOUT_DEFAULT (10 * USEC_PER_SEC)
/* Mid-session adoption: data must be seen in each direction at least this often. */
#define PEER_DATA_GAP_MAX (2 * USEC_PER_SEC)

typedef enum PeerLeaveReason { PEER_LEFT_CLOSED, PEER_LEFT_TIMEOUT } PeerLeaveReason;
const char *peer_leave_reason_to_string(PeerLeaveReason r);   /* "closed", "timeout" */

/* A field left 0 (or a NULL config) takes the default. */
typedef struct PeerTableConfig {
        size_t max_peers;               /* hard cap, default 4096 */
        usec_t silence_timeout;         /* a player leaves after this long with nothing from it (default 30 s) */
        usec_t confirm_time;            /* mid-session adoption: data both ways for this long (default 5 s) */
        usec_t unestablished_timeout;   /* forget a non-player after this long silent (default 10 s) */
} PeerTableConfig;

typedef struct PeerCallbacks {
        void (*joined)(const PacketAddr *peer, usec_t now, void *userdata);
        void (*left)(const PacketAddr *peer, PeerLeaveReason reason, usec_t now, void *userdata);
} PeerCallbacks;

typedef struct PeerTable PeerTable;

/* -EINVAL if max_peers exceeds PEER_TABLE_MAX_PEERS_LIMIT, -ENOMEM. cb may be NULL. */
int peer_table_new(const PeerTableConfig *c, const PeerCallbacks *cb, void *userdata, PeerTable **ret);
PeerTable *peer_table_free(PeerTable *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(PeerTable *, peer_table_free);

/* One datagram between the server and `peer`; from_server says the direction. Drives the state
 * machine and may call joined/left synchronously. Applies the timeouts due by `now` first, so a
 * player silent past its deadline leaves before its late datagram is looked at. */
void peer_table_observe(PeerTable *t, usec_t now, const PacketAddr *peer, bool from_server, GnsKind kind);

/* Apply timeouts as of `now` (calls left(..., PEER_LEFT_TIMEOUT, deadline) with now = the exact
 * deadline of each expiry, in time order). */
void peer_table_expire(PeerTable *t, usec_t now);

usec_t peer_table_next_deadline(const PeerTable *t);   /* earliest pending timeout; USEC_INFINITY if none */
/* New timeouts (SIGHUP); 0 keeps a value. The cap is fixed at creation. */
void peer_table_set_timeouts(PeerTable *t, usec_t silence_timeout, usec_t confirm_time, usec_t unestablished_timeout);
unsigned peer_table_players(const PeerTable *t);
size_t peer_table_size(const PeerTable *t);
uint64_t peer_table_peers_seen(const PeerTable *t);    /* distinct peers ever admitted */
uint64_t peer_table_dropped(const PeerTable *t);       /* new peers refused because the table was full of players */
uint64_t peer_table_evicted(const PeerTable *t);       /* unestablished peers evicted to make room */
bool peer_table_contains(const PeerTable *t, const PacketAddr *peer);
bool peer_table_is_player(const PeerTable *t, const PacketAddr *peer);
void peer_table_foreach_player(const PeerTable *t, void (*fn)(const PacketAddr *peer, usec_t since, void *userdata), void *userdata);
