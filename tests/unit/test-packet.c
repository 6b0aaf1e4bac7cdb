/* SPDX-License-Identifier: MIT */
/*
 * Frame decoder tests. Every frame is built byte by byte here, one helper per
 * header, so each test shows what is on the wire. Truncated copies are put in
 * buffers of exactly their length, so ASan catches any read past caplen.
 */
#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <string.h>

#include "agent/packet.h"
#include "common/macro.h"
#include "tests/unit/unit.h"

typedef struct Frame {
        uint8_t b[2048];
        size_t n;
        size_t payload_offset;          /* where the UDP payload starts */
} Frame;

static void put8(Frame *f, uint8_t v) {
        assert_true(f->n < sizeof(f->b));
        f->b[f->n++] = v;
}

static void put16(Frame *f, uint16_t v) {
        put8(f, v >> 8);
        put8(f, v & 0xFF);
}

static void put_bytes(Frame *f, const void *p, size_t n) {
        assert_true(f->n + n <= sizeof(f->b));
        memcpy(f->b + f->n, p, n);
        f->n += n;
}

static void put_zeros(Frame *f, size_t n) {
        for (size_t i = 0; i < n; i++)
                put8(f, 0);
}

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 1 }, mac_b[6] = { 0x02, 0, 0, 0, 0, 2 };
static const uint8_t v4_client[4] = { 198, 51, 100, 7 }, v4_server[4] = { 203, 0, 113, 5 };
static const uint8_t v6_client[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 }, v6_server[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };

#define CLIENT_PORT 50123
#define SERVER_PORT 2456

static void put_ethernet(Frame *f, uint16_t ethertype) {
        put_bytes(f, mac_a, 6);
        put_bytes(f, mac_b, 6);
        put16(f, ethertype);
}

/* IPv4 header; total length covers options + 8 (UDP) + payload_len. */
static void put_ipv4(Frame *f, size_t options_len, uint8_t protocol, uint16_t fragment, size_t payload_len) {
        assert_int_equal(options_len % 4, 0);
        put8(f, 0x40 | (uint8_t) (5 + options_len / 4));
        put8(f, 0);
        put16(f, (uint16_t) (20 + options_len + 8 + payload_len));
        put16(f, 0x1234);                      /* id */
        put16(f, fragment);
        put8(f, 64);                           /* ttl */
        put8(f, protocol);
        put16(f, 0);                           /* checksum: not checked */
        put_bytes(f, v4_client, 4);
        put_bytes(f, v4_server, 4);
        for (size_t i = 0; i < options_len; i++)
                put8(f, i == 0 ? 0x94 : 0x01); /* router alert, then NOPs: shape does not matter */
}

static void put_ipv6(Frame *f, uint8_t next_header, size_t payload_len) {
        put8(f, 0x60);
        put8(f, 0);
        put16(f, 0);                           /* flow label */
        put16(f, (uint16_t) payload_len);
        put8(f, next_header);
        put8(f, 64);                           /* hop limit */
        put_bytes(f, v6_client, 16);
        put_bytes(f, v6_server, 16);
}

static void put_udp(Frame *f, size_t payload_len) {
        put16(f, CLIENT_PORT);
        put16(f, SERVER_PORT);
        put16(f, (uint16_t) (8 + payload_len));
        put16(f, 0);
        f->payload_offset = f->n;
        for (size_t i = 0; i < payload_len; i++)
                put8(f, i == 0 ? 0x80 : (uint8_t) i);
}

static void build_udp4(Frame *f, size_t options_len, size_t payload_len) {
        put_ipv4(f, options_len, 17, 0, payload_len);
        put_udp(f, payload_len);
}

static void build_udp6(Frame *f, size_t payload_len) {
        put_ipv6(f, 17, 8 + payload_len);
        put_udp(f, payload_len);
}

static int decode(int linktype, const Frame *f, UdpDatagram *d) {
        return packet_decode_udp(linktype, f->b, f->n, d);
}

static void assert_v4_datagram(const UdpDatagram *d, const Frame *f, size_t payload_len) {
        assert_int_equal(d->src.family, AF_INET);
        assert_int_equal(d->dst.family, AF_INET);
        assert_memory_equal(d->src.addr, v4_client, 4);
        assert_memory_equal(d->dst.addr, v4_server, 4);
        assert_int_equal(d->src.port, CLIENT_PORT);
        assert_int_equal(d->dst.port, SERVER_PORT);
        assert_ptr_equal(d->payload, f->b + f->payload_offset);
        assert_int_equal(d->len, payload_len);
        assert_int_equal(d->wire_len, payload_len);
}

static void assert_v6_datagram(const UdpDatagram *d, const Frame *f, size_t payload_len) {
        assert_int_equal(d->src.family, AF_INET6);
        assert_memory_equal(d->src.addr, v6_client, 16);
        assert_memory_equal(d->dst.addr, v6_server, 16);
        assert_int_equal(d->src.port, CLIENT_PORT);
        assert_int_equal(d->dst.port, SERVER_PORT);
        assert_ptr_equal(d->payload, f->b + f->payload_offset);
        assert_int_equal(d->len, payload_len);
        assert_int_equal(d->wire_len, payload_len);
}

static void test_ethernet_ipv4(void **state) {
        Frame f = {};
        UdpDatagram d;

        put_ethernet(&f, 0x0800);
        build_udp4(&f, 0, 100);
        assert_int_equal(decode(DLT_EN10MB, &f, &d), 0);
        assert_v4_datagram(&d, &f, 100);
}

static void test_ethernet_padding_ignored(void **state) {
        Frame f = {};
        UdpDatagram d;

        /* 14 + 20 + 8 + 5 = 47 bytes, padded to Ethernet's 60-byte minimum */
        put_ethernet(&f, 0x0800);
        build_udp4(&f, 0, 5);
        put_zeros(&f, 60 - f.n);
        assert_int_equal(decode(DLT_EN10MB, &f, &d), 0);
        assert_v4_datagram(&d, &f, 5);
}

static void test_ethernet_vlan(void **state) {
        Frame f = {};
        UdpDatagram d;

        /* 802.1ad outer tag, 802.1Q inner tag, then IPv6 */
        put_bytes(&f, mac_a, 6);
        put_bytes(&f, mac_b, 6);
        put16(&f, 0x88A8);
        put16(&f, 100);
        put16(&f, 0x8100);
        put16(&f, 200);
        put16(&f, 0x86DD);
        build_udp6(&f, 64);
        assert_int_equal(decode(DLT_EN10MB, &f, &d), 0);
        assert_v6_datagram(&d, &f, 64);
}

static void test_ethernet_too_many_vlan_tags(void **state) {
        Frame f = {};
        UdpDatagram d;

        put_bytes(&f, mac_a, 6);
        put_bytes(&f, mac_b, 6);
        for (unsigned i = 0; i < 5; i++) {
                put16(&f, 0x8100);
                put16(&f, (uint16_t) i);
        }
        put16(&f, 0x0800);
        build_udp4(&f, 0, 10);
        assert_int_equal(decode(DLT_EN10MB, &f, &d), -EBADMSG);
}

static void test_linux_sll(void **state) {
        Frame f = {};
        UdpDatagram d;

        put16(&f, 0);           /* packet type: to us */
        put16(&f, 1);           /* ARPHRD_ETHER */
        put16(&f, 6);
        put_bytes(&f, mac_a, 6);
        put16(&f, 0);           /* address padding to 8 bytes */
        put16(&f, 0x0800);
        build_udp4(&f, 0, 33);
        assert_int_equal(decode(DLT_LINUX_SLL, &f, &d), 0);
        assert_v4_datagram(&d, &f, 33);
}

static void test_linux_sll2(void **state) {
        Frame f = {};
        UdpDatagram d;

        put16(&f, 0x86DD);      /* protocol */
        put16(&f, 0);           /* reserved */
        put16(&f, 0);
        put16(&f, 3);           /* ifindex */
        put16(&f, 1);           /* ARPHRD_ETHER */
        put8(&f, 4);            /* outgoing */
        put8(&f, 6);
        put_bytes(&f, mac_a, 6);
        put16(&f, 0);
        build_udp6(&f, 512);
        assert_int_equal(decode(DLT_LINUX_SLL2, &f, &d), 0);
        assert_v6_datagram(&d, &f, 512);
}

static void test_raw(void **state) {
        Frame f4 = {}, f6 = {};
        UdpDatagram d;

        build_udp4(&f4, 0, 7);
        build_udp6(&f6, 7);

        assert_int_equal(decode(DLT_RAW, &f4, &d), 0);
        assert_v4_datagram(&d, &f4, 7);
        assert_int_equal(decode(PACKET_LINKTYPE_RAW, &f4, &d), 0);
        assert_v4_datagram(&d, &f4, 7);
        assert_int_equal(decode(DLT_IPV4, &f4, &d), 0);
        assert_v4_datagram(&d, &f4, 7);

        assert_int_equal(decode(DLT_RAW, &f6, &d), 0);
        assert_v6_datagram(&d, &f6, 7);
        assert_int_equal(decode(DLT_IPV6, &f6, &d), 0);
        assert_v6_datagram(&d, &f6, 7);

        /* the link type promises one version and the header says the other */
        assert_int_equal(decode(DLT_IPV4, &f6, &d), -EBADMSG);
        assert_int_equal(decode(DLT_IPV6, &f4, &d), -EBADMSG);

        /* version 5 */
        f4.b[0] = 0x55;
        assert_int_equal(decode(DLT_RAW, &f4, &d), -EBADMSG);
}

static void test_null_and_loop(void **state) {
        Frame f = {};
        UdpDatagram d;

        /* DLT_NULL: AF_INET written by a little-endian host */
        put8(&f, 2), put8(&f, 0), put8(&f, 0), put8(&f, 0);
        build_udp4(&f, 0, 20);
        assert_int_equal(decode(DLT_NULL, &f, &d), 0);
        assert_v4_datagram(&d, &f, 20);

        /* DLT_NULL: macOS AF_INET6 (30) written by a big-endian host */
        f = (Frame) {};
        put8(&f, 0), put8(&f, 0), put8(&f, 0), put8(&f, 30);
        build_udp6(&f, 20);
        assert_int_equal(decode(DLT_NULL, &f, &d), 0);
        assert_v6_datagram(&d, &f, 20);

        /* DLT_LOOP: always network byte order; OpenBSD AF_INET6 = 24 */
        f = (Frame) {};
        put8(&f, 0), put8(&f, 0), put8(&f, 0), put8(&f, 24);
        build_udp6(&f, 20);
        assert_int_equal(decode(DLT_LOOP, &f, &d), 0);
        assert_v6_datagram(&d, &f, 20);

        /* some other address family */
        f.b[3] = 17;
        assert_int_equal(decode(DLT_LOOP, &f, &d), -ENOMSG);
}

static void test_ipv4_options(void **state) {
        Frame f = {};
        UdpDatagram d;

        put_ethernet(&f, 0x0800);
        build_udp4(&f, 12, 40);
        assert_int_equal(decode(DLT_EN10MB, &f, &d), 0);
        assert_v4_datagram(&d, &f, 40);

        /* the longest header there is: IHL 15 */
        f = (Frame) {};
        build_udp4(&f, 40, 40);
        assert_int_equal(decode(DLT_RAW, &f, &d), 0);
        assert_v4_datagram(&d, &f, 40);

        /* IHL below 5 */
        f.b[0] = 0x44;
        assert_int_equal(decode(DLT_RAW, &f, &d), -EBADMSG);
}

static void test_ipv6_extension_headers(void **state) {
        Frame f = {};
        UdpDatagram d;

        /* hop-by-hop (8) -> routing (24) -> destination options (16) -> fragment, first (8) -> AH (16) -> UDP */
        put_ipv6(&f, 0, 8 + 24 + 16 + 8 + 16 + 8 + 30);
        put8(&f, 43), put8(&f, 0), put_zeros(&f, 6);
        put8(&f, 60), put8(&f, 2), put_zeros(&f, 22);
        put8(&f, 44), put8(&f, 1), put_zeros(&f, 14);
        put8(&f, 51), put8(&f, 0), put16(&f, 0x0000), put_zeros(&f, 4);   /* offset 0, M clear */
        put8(&f, 17), put8(&f, 2), put_zeros(&f, 14);                      /* AH: (2 + 2) * 4 bytes */
        put_udp(&f, 30);
        assert_int_equal(decode(DLT_RAW, &f, &d), 0);
        assert_v6_datagram(&d, &f, 30);
}

static void test_ipv6_not_udp(void **state) {
        Frame f = {};
        UdpDatagram d;

        put_ipv6(&f, 58, 8);            /* ICMPv6 */
        put_zeros(&f, 8);
        assert_int_equal(decode(DLT_RAW, &f, &d), -ENOMSG);

        f = (Frame) {};
        put_ipv6(&f, 60, 8);            /* destination options -> no next header */
        put8(&f, 59), put8(&f, 0), put_zeros(&f, 6);
        assert_int_equal(decode(DLT_RAW, &f, &d), -ENOMSG);

        f = (Frame) {};
        put_ipv6(&f, 60, 16);           /* an extension header longer than the packet */
        put8(&f, 17), put8(&f, 3), put_zeros(&f, 14);
        assert_int_equal(decode(DLT_RAW, &f, &d), -EBADMSG);
}

static void test_fragments(void **state) {
        Frame f = {};
        UdpDatagram d;

        /* IPv4 first fragment (MF set, offset 0): the UDP header claims 1000 bytes, 100 are here */
        put_ipv4(&f, 0, 17, 0x2000, 100);
        put16(&f, CLIENT_PORT), put16(&f, SERVER_PORT), put16(&f, 8 + 1000), put16(&f, 0);
        f.payload_offset = f.n;
        put8(&f, 0x20);
        put_zeros(&f, 99);
        assert_int_equal(decode(DLT_RAW, &f, &d), 0);
        assert_int_equal(d.len, 100);
        assert_int_equal(d.wire_len, 1000);
        assert_ptr_equal(d.payload, f.b + f.payload_offset);

        /* The same claim without MF is a lie */
        f.b[6] = 0;
        assert_int_equal(decode(DLT_RAW, &f, &d), -EBADMSG);

        /* IPv4 later fragment: no UDP header inside */
        f.b[6] = 0x20, f.b[7] = 0x10;
        assert_int_equal(decode(DLT_RAW, &f, &d), -ENOMSG);
        f.b[6] = 0x00, f.b[7] = 0x10;   /* the last one, MF clear */
        assert_int_equal(decode(DLT_RAW, &f, &d), -ENOMSG);

        /* IPv6 later fragment */
        f = (Frame) {};
        put_ipv6(&f, 44, 8 + 40);
        put8(&f, 17), put8(&f, 0), put16(&f, 185 << 3), put_zeros(&f, 4);
        put_zeros(&f, 40);
        assert_int_equal(decode(DLT_RAW, &f, &d), -ENOMSG);
}

static void test_not_udp(void **state) {
        Frame f = {};
        UdpDatagram d;

        /* ARP */
        put_ethernet(&f, 0x0806);
        put_zeros(&f, 28);
        assert_int_equal(decode(DLT_EN10MB, &f, &d), -ENOMSG);

        /* 802.3 length field + LLC */
        f = (Frame) {};
        put_ethernet(&f, 46);
        put_zeros(&f, 46);
        assert_int_equal(decode(DLT_EN10MB, &f, &d), -ENOMSG);

        /* TCP */
        f = (Frame) {};
        put_ethernet(&f, 0x0800);
        put_ipv4(&f, 0, 6, 0, 12);
        put_zeros(&f, 20);
        assert_int_equal(decode(DLT_EN10MB, &f, &d), -ENOMSG);

        /* SLL carrying something that is not IP (CAN, protocol 0x000C) */
        f = (Frame) {};
        put16(&f, 0), put16(&f, 280), put16(&f, 0), put_zeros(&f, 8), put16(&f, 0x000C);
        put_zeros(&f, 16);
        assert_int_equal(decode(DLT_LINUX_SLL, &f, &d), -ENOMSG);
}

static void test_unsupported_linktype(void **state) {
        Frame f = {};
        UdpDatagram d;

        build_udp4(&f, 0, 10);
        assert_int_equal(decode(DLT_IEEE802_11, &f, &d), -EPROTONOSUPPORT);
        assert_false(packet_linktype_supported(DLT_IEEE802_11));
        assert_true(packet_linktype_supported(DLT_LINUX_SLL2));
}

static void test_bad_lengths(void **state) {
        Frame f = {};
        UdpDatagram d;

        /* UDP claims more than the IP packet holds */
        build_udp4(&f, 0, 50);
        f.b[20 + 4] = 0x01, f.b[20 + 5] = 0x00;
        assert_int_equal(decode(DLT_RAW, &f, &d), -EBADMSG);

        /* UDP length below its own header */
        f.b[20 + 4] = 0, f.b[20 + 5] = 7;
        assert_int_equal(decode(DLT_RAW, &f, &d), -EBADMSG);

        /* IPv4 total length shorter than its header */
        f = (Frame) {};
        build_udp4(&f, 0, 50);
        f.b[2] = 0, f.b[3] = 19;
        assert_int_equal(decode(DLT_RAW, &f, &d), -EBADMSG);

        /* IPv4 total length shorter than header + UDP header */
        f.b[3] = 24;
        assert_int_equal(decode(DLT_RAW, &f, &d), -EBADMSG);

        /* IPv4 total length 0: segmentation offload, length from the capture */
        f.b[3] = 0;
        assert_int_equal(decode(DLT_RAW, &f, &d), 0);
        assert_v4_datagram(&d, &f, 50);
}

static void test_oversized_datagram(void **state) {
        Frame f = {};
        UdpDatagram d;

        /* larger than any GNS datagram: decodes; the classifier judges it */
        put_ethernet(&f, 0x86DD);
        build_udp6(&f, 1452);
        assert_int_equal(decode(DLT_EN10MB, &f, &d), 0);
        assert_v6_datagram(&d, &f, 1452);

        /* captured with a snaplen of 200: what is there, and what the header claims */
        assert_int_equal(packet_decode_udp(DLT_EN10MB, f.b, 200, &d), 0);
        assert_int_equal(d.len, 200 - f.payload_offset);
        assert_int_equal(d.wire_len, 1452);
}

static void test_failure_leaves_ret_untouched(void **state) {
        Frame f = {};
        UdpDatagram d, canary;

        memset(&d, 0xA5, sizeof(d));
        canary = d;
        put_ethernet(&f, 0x0800);
        build_udp4(&f, 0, 10);
        assert_int_equal(packet_decode_udp(DLT_EN10MB, f.b, 30, &d), -EBADMSG);
        assert_memory_equal(&d, &canary, sizeof(d));
}

/* Every prefix of a valid frame: -EBADMSG while headers are cut, then a datagram that holds exactly
 * the payload bytes present. Each prefix lives in a heap block of its own size for ASan. */
static void assert_every_truncation(int linktype, const Frame *f, size_t payload_len) {
        for (size_t n = 0; n <= f->n; n++) {
                uint8_t *copy = malloc(MAX(n, 1u));
                UdpDatagram d;
                int r;

                assert_non_null(copy);
                memcpy(copy, f->b, n);
                r = packet_decode_udp(linktype, copy, n, &d);
                if (n < f->payload_offset) {
                        if (r != -EBADMSG && r != -ENOMSG)
                                fail_msg("linktype %d, %zu of %zu bytes: r=%d", linktype, n, f->n, r);
                } else {
                        if (r != 0 || d.len != n - f->payload_offset || d.wire_len != payload_len)
                                fail_msg("linktype %d, %zu of %zu bytes: r=%d len=%zu wire_len=%zu",
                                         linktype, n, f->n, r, r == 0 ? d.len : 0, r == 0 ? d.wire_len : 0);
                        assert_ptr_equal(d.payload, copy + f->payload_offset);
                }
                free(copy);
        }
}

static void test_truncated_everywhere(void **state) {
        Frame f;

        f = (Frame) {};
        put_ethernet(&f, 0x8100), put16(&f, 5), put16(&f, 0x0800);
        build_udp4(&f, 8, 16);
        assert_every_truncation(DLT_EN10MB, &f, 16);

        f = (Frame) {};
        put_ethernet(&f, 0x86DD);
        put_ipv6(&f, 0, 8 + 8 + 8 + 16);
        put8(&f, 44), put8(&f, 0), put_zeros(&f, 6);
        put8(&f, 17), put8(&f, 0), put16(&f, 0), put_zeros(&f, 4);
        put_udp(&f, 16);
        assert_every_truncation(DLT_EN10MB, &f, 16);

        f = (Frame) {};
        put16(&f, 0), put16(&f, 1), put16(&f, 6), put_zeros(&f, 8), put16(&f, 0x86DD);
        build_udp6(&f, 9);
        assert_every_truncation(DLT_LINUX_SLL, &f, 9);

        f = (Frame) {};
        put16(&f, 0x0800), put_zeros(&f, 18);
        build_udp4(&f, 4, 9);
        assert_every_truncation(DLT_LINUX_SLL2, &f, 9);

        f = (Frame) {};
        put8(&f, 2), put_zeros(&f, 3);
        build_udp4(&f, 0, 9);
        assert_every_truncation(DLT_NULL, &f, 9);

        f = (Frame) {};
        build_udp4(&f, 0, 9);
        assert_every_truncation(DLT_RAW, &f, 9);
        assert_every_truncation(DLT_IPV4, &f, 9);

        f = (Frame) {};
        build_udp6(&f, 9);
        assert_every_truncation(DLT_RAW, &f, 9);
        assert_every_truncation(DLT_IPV6, &f, 9);
}

static void test_addr_to_string(void **state) {
        char buf[PACKET_ADDR_STRLEN];
        PacketAddr a = { .family = AF_INET, .port = 50123, .addr = { 198, 51, 100, 7 } };
        PacketAddr b = { .family = AF_INET6, .port = 50123, .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 } };
        PacketAddr m = { .family = AF_INET6, .port = 50123, .addr = { [10] = 0xFF, [11] = 0xFF, 198, 51, 100, 7 } };
        PacketAddr longest = { .family = AF_INET6, .port = 65535 };

        assert_string_equal(packet_addr_to_string(&a, buf), "198.51.100.7:50123");
        assert_string_equal(packet_addr_to_string(&b, buf), "[2001:db8::7]:50123");
        assert_string_equal(packet_addr_to_string(&m, buf), "198.51.100.7:50123");
        memset(longest.addr, 0xFF, 16);
        longest.addr[0] = 0x20;
        assert_string_equal(packet_addr_to_string(&longest, buf), "[20ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void test_addr_equal(void **state) {
        PacketAddr a = { .family = AF_INET, .port = 50123, .addr = { 198, 51, 100, 7 } };
        PacketAddr m = { .family = AF_INET6, .port = 50123, .addr = { [10] = 0xFF, [11] = 0xFF, 198, 51, 100, 7 } };
        PacketAddr b = a;

        assert_true(packet_addr_equal(&a, &b));
        assert_true(packet_addr_equal(&a, &m));
        b.port++;
        assert_false(packet_addr_equal(&a, &b));
        b = a;
        b.addr[3] = 8;
        assert_false(packet_addr_equal(&a, &b));
        /* garbage after the 4 IPv4 bytes does not matter */
        b = a;
        b.addr[9] = 0x55;
        assert_true(packet_addr_equal(&a, &b));
        m.addr[10] = 0;
        assert_false(packet_addr_equal(&a, &m));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ethernet_ipv4),
                cmocka_unit_test(test_ethernet_padding_ignored),
                cmocka_unit_test(test_ethernet_vlan),
                cmocka_unit_test(test_ethernet_too_many_vlan_tags),
                cmocka_unit_test(test_linux_sll),
                cmocka_unit_test(test_linux_sll2),
                cmocka_unit_test(test_raw),
                cmocka_unit_test(test_null_and_loop),
                cmocka_unit_test(test_ipv4_options),
                cmocka_unit_test(test_ipv6_extension_headers),
                cmocka_unit_test(test_ipv6_not_udp),
                cmocka_unit_test(test_fragments),
                cmocka_unit_test(test_not_udp),
                cmocka_unit_test(test_unsupported_linktype),
                cmocka_unit_test(test_bad_lengths),
                cmocka_unit_test(test_oversized_datagram),
                cmocka_unit_test(test_failure_leaves_ret_untouched),
                cmocka_unit_test(test_truncated_everywhere),
                cmocka_unit_test(test_addr_to_string),
                cmocka_unit_test(test_addr_equal),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
