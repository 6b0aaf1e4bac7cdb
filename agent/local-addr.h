/* SPDX-License-Identifier: MIT */
/*
 * The host's own addresses. Live, a datagram counts as the game server's only
 * when the server side of it is one of them: someone on the internet who
 * spoofs the server's public address (which on EC2 is not an interface
 * address: AWS translates it) cannot fake the server's half of a handshake
 * or of a data flow, and so cannot keep an empty server up.
 */
#pragma once

#include "agent/packet.h"

#define LOCAL_ADDRS_MAX 64

typedef struct LocalAddrs {
        PacketAddr addrs[LOCAL_ADDRS_MAX]; /* port unused */
        size_t n;
} LocalAddrs;

/* Read the interface addresses (getifaddrs); on failure *ret is untouched. */
int local_addrs_refresh(LocalAddrs *ret);
bool local_addrs_contain(const LocalAddrs *l, const PacketAddr *a);
