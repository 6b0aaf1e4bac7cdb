/* SPDX-License-Identifier: MIT */
/*
 * Decode one captured frame down to a UDP datagram over IPv4 or IPv6.
 *
 * Pure functions over (buf, caplen): every read is bounds-checked against the
 * captured length, nothing is cast onto packet bytes, nothing is allocated.
 * The three error codes let the caller tell traffic it should not count
 * (-ENOMSG: ARP, TCP, later fragments...) from junk it should count as
 * malformed (-EBADMSG), as tcpdump's print-*.c decoders do.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PACKET_ADDR_STRLEN 64   /* "[ipv6]:port" + NUL */

/* LINKTYPE_RAW as written in some savefiles; libpcap normally maps it to DLT_RAW. */
#define PACKET_LINKTYPE_RAW 101

typedef struct PacketAddr {
        uint8_t family;         /* AF_INET or AF_INET6 */
        uint16_t port;          /* host byte order */
        uint8_t addr[16];       /* network byte order; IPv4 uses the first 4 bytes, the rest is zero */
} PacketAddr;

typedef struct UdpDatagram {
        PacketAddr src, dst;
        const uint8_t *payload;  /* points into the caller's buffer */
        size_t len;              /* payload bytes present in the capture */
        size_t wire_len;         /* payload length the UDP header claims */
} UdpDatagram;

/* linktype: pcap DLT_* (DLT_EN10MB incl. 802.1Q/802.1ad VLAN tags, DLT_LINUX_SLL, DLT_LINUX_SLL2,
 * DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL/DLT_LOOP).
 * 0 and *ret filled: a UDP datagram over IPv4/IPv6 (IPv4 options, IPv6 extension headers; a first
 * fragment decodes with what is present; non-first fragments -ENOMSG).
 * -ENOMSG: well-formed but not UDP over IP (ARP, TCP, ICMP...): ignored, not counted as malformed.
 * -EBADMSG: malformed or truncated headers (counted as malformed by the caller).
 * -EPROTONOSUPPORT: unsupported linktype.
 * A total length of 0 in the IP header (segmentation offload on the capturing host) means
 * "as long as the capture". Ethernet padding after the IP packet is ignored. */
int packet_decode_udp(int linktype, const uint8_t *buf, size_t caplen, UdpDatagram *ret);

/* True for the link types packet_decode_udp() understands. */
bool packet_linktype_supported(int linktype);

/* "198.51.100.7:50123", "[2001:db8::7]:50123"; IPv4-mapped IPv6 shown as IPv4. Returns buf. */
char *packet_addr_to_string(const PacketAddr *a, char buf[static PACKET_ADDR_STRLEN]);

/* Same family, address and port; an IPv4-mapped IPv6 address equals its IPv4 form. */
bool packet_addr_equal(const PacketAddr *a, const PacketAddr *b);

/* Rewrite an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as AF_INET, zero the unused bytes. */
void packet_addr_normalize(PacketAddr *a);
