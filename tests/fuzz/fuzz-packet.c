/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the packet path: the first byte of the input picks a link type, the
 * rest is the frame. It is decoded, classified, and observed into a small peer
 * table in both directions; then every byte of the payload drives one more
 * observe() against a handful of peers, so the state machine sees arbitrary
 * sequences too. The table's invariants are checked after each step.
 */
#include <pcap/dlt.h>
#include <string.h>

#include "agent/gns.h"
#include "agent/packet.h"
#include "agent/peers.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_PEERS 8
#define SERVER_PORT 2456

static const int linktypes[] = {
        DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, PACKET_LINKTYPE_RAW,
        DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_IEEE802_11,
};

static void check_table(const PeerTable *t) {
        if (peer_table_size(t) > FUZZ_MAX_PEERS || peer_table_players(t) > peer_table_size(t))
                abort();
}

static void on_left(const PacketAddr *peer, PeerLeaveReason reason, usec_t now, void *userdata) {
        if (!peer_leave_reason_to_string(reason))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const PeerCallbacks callbacks = { .left = on_left };
        PeerTableConfig config = {
                .max_peers = FUZZ_MAX_PEERS,
                .silence_timeout = 30 * USEC_PER_SEC,
                .confirm_time = 5 * USEC_PER_SEC,
                .unestablished_timeout = 10 * USEC_PER_SEC,
        };
        _cleanup_(peer_table_freep) PeerTable *t = NULL;
        char a[PACKET_ADDR_STRLEN], b[PACKET_ADDR_STRLEN];
        UdpDatagram d;
        GnsKind kind;
        usec_t now = USEC_PER_SEC;
        bool from_server;
        PacketAddr peer;

        if (size < 1)
                return 0;

        if (packet_decode_udp(linktypes[data[0] % ELEMENTSOF(linktypes)], data + 1, size - 1, &d) < 0)
                return 0;
        if (d.len > d.wire_len || d.payload < data + 1 || d.payload + d.len > data + size)
                abort();

        packet_addr_to_string(&d.src, a);
        packet_addr_to_string(&d.dst, b);
        if (!memchr(a, 0, sizeof(a)) || !memchr(b, 0, sizeof(b)))
                abort();

        kind = gns_classify_udp(&d);
        if (!gns_kind_to_string(kind) || gns_classify(d.payload, d.len) >= _GNS_KIND_MAX)
                abort();

        if (peer_table_new(&config, &callbacks, NULL, &t) < 0)
                abort();

        from_server = d.src.port == SERVER_PORT;
        peer = from_server ? d.dst : d.src;
        peer_table_observe(t, now, &peer, from_server, kind);
        peer_table_observe(t, now, &peer, !from_server, kind);
        check_table(t);

        /* each payload byte: 3 bits peer, 1 bit direction, 4 bits kind; time moves on by the kind */
        for (size_t i = 0; i < d.len; i++) {
                uint8_t op = d.payload[i];

                peer.port = (uint16_t) (1 + (op & 7));
                kind = (GnsKind) ((op >> 4) % _GNS_KIND_MAX);
                now += (usec_t) (op >> 4) * 700 * USEC_PER_MSEC;
                peer_table_observe(t, now, &peer, op & 8, kind);
                check_table(t);
                /* observe() applied every timeout due by now */
                if (peer_table_next_deadline(t) <= now)
                        abort();
        }

        peer_table_expire(t, USEC_INFINITY - 1);
        if (peer_table_size(t) != 0)
                abort();
        return 0;
}
