/* SPDX-License-Identifier: MIT */
/*
 * Frame -> UDP datagram decoder for the capture path.
 *
 * Shaped like tcpdump's print-*.c: one small function per layer, each taking
 * (bytes, length) and returning the next layer's offset, with every read
 * checked against the captured length first. Two lengths travel down the
 * layers: what the capture holds (snaplen may cut it short) and what the
 * headers claim (Ethernet may pad past it). The UDP payload handed back is the
 * part present in both; wire_len is what the UDP header claims, so a caller
 * can apply length rules even to a datagram the snaplen truncated.
 *
 * Checksums are not verified: on the capturing host, outgoing packets carry
 * checksums the NIC fills in later.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#include "agent/packet.h"
#include "common/macro.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETHERTYPE_VLAN 0x8100           /* 802.1Q */
#define ETHERTYPE_QINQ 0x88A8           /* 802.1ad */
#define ETHERTYPE_QINQ_OLD 0x9100       /* pre-standard double tagging */
#define ETHERNET_VLAN_TAGS_MAX 4

#define IPPROTO_NUMBER_UDP 17
#define IPV6_EXT_HEADERS_MAX 8

#define SLL_HEADER_LEN 16
#define SLL_PROTOCOL_OFFSET 14
#define SLL2_HEADER_LEN 20

/* Network layer found by the link layer decoder. */
typedef enum NetProto {
        NET_IPV4,
        NET_IPV6,
        NET_IP_ANY,     /* raw IP: the version nibble decides */
} NetProto;

/* The transport layer found by the IP decoders. */
typedef struct Transport {
        PacketAddr src, dst;
        const uint8_t *data;
        size_t caplen;          /* bytes present in the capture (<= claimed_len) */
        size_t claimed_len;     /* bytes the IP header says belong to this packet */
        bool fragment;          /* first fragment of a larger datagram */
} Transport;

static uint16_t read_be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t read_be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint32_t read_le32(const uint8_t *p) {
        return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

bool packet_linktype_supported(int linktype) {
        switch (linktype) {
        case DLT_EN10MB:
        case DLT_LINUX_SLL:
        case DLT_LINUX_SLL2:
        case DLT_RAW:
        case PACKET_LINKTYPE_RAW:
        case DLT_IPV4:
        case DLT_IPV6:
        case DLT_NULL:
        case DLT_LOOP:
                return true;
        default:
                return false;
        }
}

static int net_proto_from_ethertype(uint16_t ethertype, NetProto *ret) {
        switch (ethertype) {
        case ETHERTYPE_IPV4:
                *ret = NET_IPV4;
                return 0;
        case ETHERTYPE_IPV6:
                *ret = NET_IPV6;
                return 0;
        default:
                return -ENOMSG;
        }
}

/* An EtherType at `offset`, possibly followed by VLAN tags (TCI + next EtherType each). */
static int decode_ethertype_chain(const uint8_t *buf, size_t caplen, size_t offset, size_t *ret_offset, NetProto *ret_proto) {
        for (unsigned tags = 0;; tags++) {
                uint16_t ethertype;

                if (caplen < offset + 2)
                        return -EBADMSG;
                ethertype = read_be16(buf + offset);
                offset += 2;

                if (ethertype != ETHERTYPE_VLAN && ethertype != ETHERTYPE_QINQ && ethertype != ETHERTYPE_QINQ_OLD) {
                        int r = net_proto_from_ethertype(ethertype, ret_proto);
                        if (r < 0)
                                return r;
                        *ret_offset = offset;
                        return 0;
                }

                if (tags >= ETHERNET_VLAN_TAGS_MAX)
                        return -EBADMSG;
                offset += 2; /* skip the tag control information */
        }
}

/* DLT_NULL carries the sender's AF_ value in host byte order; BSDs disagree on AF_INET6. */
static int decode_null(const uint8_t *buf, size_t caplen, bool big_endian, size_t *ret_offset, NetProto *ret_proto) {
        uint32_t family;

        if (caplen < 4)
                return -EBADMSG;

        if (big_endian)
                family = read_be32(buf);
        else {
                family = read_le32(buf);
                if (family > 0xFFFF) /* written by a big-endian host */
                        family = read_be32(buf);
        }

        switch (family) {
        case 2:
                *ret_proto = NET_IPV4;
                break;
        case 10: /* Linux */
        case 24: /* NetBSD, OpenBSD */
        case 28: /* FreeBSD */
        case 30: /* macOS */
                *ret_proto = NET_IPV6;
                break;
        default:
                return -ENOMSG;
        }
        *ret_offset = 4;
        return 0;
}

static int decode_link(int linktype, const uint8_t *buf, size_t caplen, size_t *ret_offset, NetProto *ret_proto) {
        switch (linktype) {
        case DLT_EN10MB:
                return decode_ethertype_chain(buf, caplen, 12, ret_offset, ret_proto);

        case DLT_LINUX_SLL:
                if (caplen < SLL_HEADER_LEN)
                        return -EBADMSG;
                /* libpcap reinserts offloaded VLAN tags right after the protocol field */
                return decode_ethertype_chain(buf, caplen, SLL_PROTOCOL_OFFSET, ret_offset, ret_proto);

        case DLT_LINUX_SLL2: {
                int r;

                if (caplen < SLL2_HEADER_LEN)
                        return -EBADMSG;
                r = net_proto_from_ethertype(read_be16(buf), ret_proto);
                if (r < 0)
                        return r;
                *ret_offset = SLL2_HEADER_LEN;
                return 0;
        }

        case DLT_RAW:
        case PACKET_LINKTYPE_RAW:
                *ret_offset = 0;
                *ret_proto = NET_IP_ANY;
                return 0;

        case DLT_IPV4:
                *ret_offset = 0;
                *ret_proto = NET_IPV4;
                return 0;

        case DLT_IPV6:
                *ret_offset = 0;
                *ret_proto = NET_IPV6;
                return 0;

        case DLT_NULL:
                return decode_null(buf, caplen, false, ret_offset, ret_proto);

        case DLT_LOOP:
                return decode_null(buf, caplen, true, ret_offset, ret_proto);

        default:
                return -EPROTONOSUPPORT;
        }
}

static int decode_ipv4(const uint8_t *p, size_t caplen, Transport *ret) {
        size_t header_len, total_len;
        uint16_t fragment;

        if (caplen < 20)
                return -EBADMSG;
        if (p[0] >> 4 != 4)
                return -EBADMSG;

        header_len = (size_t) (p[0] & 0x0F) * 4;
        if (header_len < 20 || caplen < header_len)
                return -EBADMSG;

        total_len = read_be16(p + 2);
        if (total_len == 0) /* segmentation offload: the length was never filled in */
                total_len = caplen;
        else if (total_len < header_len)
                return -EBADMSG;

        fragment = read_be16(p + 6);
        if ((fragment & 0x1FFF) != 0)
                return -ENOMSG; /* not the first fragment: no UDP header in it */
        if (p[9] != IPPROTO_NUMBER_UDP)
                return -ENOMSG;

        *ret = (Transport) {
                .src.family = AF_INET,
                .dst.family = AF_INET,
                .data = p + header_len,
                .caplen = MIN(caplen, total_len) - header_len,
                .claimed_len = total_len - header_len,
                .fragment = fragment & 0x2000,
        };
        memcpy(ret->src.addr, p + 12, 4);
        memcpy(ret->dst.addr, p + 16, 4);
        return 0;
}

static int decode_ipv6(const uint8_t *p, size_t caplen, Transport *ret) {
        size_t offset = 40, end;
        uint8_t next_header;
        bool fragment = false;

        if (caplen < 40)
                return -EBADMSG;
        if (p[0] >> 4 != 6)
                return -EBADMSG;

        end = read_be16(p + 4);
        if (end == 0) /* jumbogram or segmentation offload: as long as the capture */
                end = caplen;
        else
                end += 40;
        caplen = MIN(caplen, end);
        next_header = p[6];

        for (unsigned n = 0;; n++) {
                size_t header_len;

                switch (next_header) {
                case IPPROTO_NUMBER_UDP:
                        *ret = (Transport) {
                                .src.family = AF_INET6,
                                .dst.family = AF_INET6,
                                .data = p + offset,
                                .caplen = caplen - offset,
                                .claimed_len = end - offset,
                                .fragment = fragment,
                        };
                        memcpy(ret->src.addr, p + 8, 16);
                        memcpy(ret->dst.addr, p + 24, 16);
                        return 0;

                case 0:   /* hop-by-hop options */
                case 43:  /* routing */
                case 60:  /* destination options */
                case 135: /* mobility */
                case 139: /* HIP */
                case 140: /* shim6 */
                        if (caplen < offset + 2)
                                return -EBADMSG;
                        header_len = ((size_t) p[offset + 1] + 1) * 8;
                        break;

                case 51: /* authentication header counts in 4-byte units, minus 2 */
                        if (caplen < offset + 2)
                                return -EBADMSG;
                        header_len = ((size_t) p[offset + 1] + 2) * 4;
                        break;

                case 44: /* fragment */
                        if (caplen < offset + 8)
                                return -EBADMSG;
                        if ((read_be16(p + offset + 2) & 0xFFF8) != 0)
                                return -ENOMSG; /* not the first fragment */
                        fragment = true;
                        header_len = 8;
                        break;

                default: /* TCP, ICMPv6, ESP, no next header, ... */
                        return -ENOMSG;
                }

                if (n >= IPV6_EXT_HEADERS_MAX)
                        return -EBADMSG;
                if (caplen < offset + header_len)
                        return -EBADMSG;
                next_header = p[offset];
                offset += header_len;
        }
}

static int decode_ip(NetProto proto, const uint8_t *p, size_t caplen, Transport *ret) {
        if (proto == NET_IP_ANY) {
                if (caplen < 1)
                        return -EBADMSG;
                switch (p[0] >> 4) {
                case 4:
                        proto = NET_IPV4;
                        break;
                case 6:
                        proto = NET_IPV6;
                        break;
                default:
                        return -EBADMSG;
                }
        }

        return proto == NET_IPV4 ? decode_ipv4(p, caplen, ret) : decode_ipv6(p, caplen, ret);
}

static int decode_udp(const Transport *t, UdpDatagram *ret) {
        size_t udp_len;

        if (t->caplen < 8 || t->claimed_len < 8)
                return -EBADMSG;

        udp_len = read_be16(t->data + 4);
        if (udp_len == 0 && t->src.family == AF_INET6 && !t->fragment)
                udp_len = t->claimed_len; /* IPv6 jumbogram (RFC 2675) */
        if (udp_len < 8)
                return -EBADMSG;
        /* A first fragment holds less than the UDP header claims; anything else must hold it all. */
        if (!t->fragment && udp_len > t->claimed_len)
                return -EBADMSG;

        *ret = (UdpDatagram) {
                .src = t->src,
                .dst = t->dst,
                .payload = t->data + 8,
                .len = MIN(t->caplen, udp_len) - 8,
                .wire_len = udp_len - 8,
        };
        ret->src.port = read_be16(t->data);
        ret->dst.port = read_be16(t->data + 2);
        return 0;
}

int packet_decode_udp(int linktype, const uint8_t *buf, size_t caplen, UdpDatagram *ret) {
        Transport transport;
        size_t offset;
        NetProto proto;
        int r;

        if (!buf && caplen > 0)
                return -EINVAL;

        r = decode_link(linktype, buf, caplen, &offset, &proto);
        if (r < 0)
                return r;

        r = decode_ip(proto, buf + offset, caplen - offset, &transport);
        if (r < 0)
                return r;

        return decode_udp(&transport, ret);
}

static bool addr_is_v4_mapped(const PacketAddr *a) {
        static const uint8_t prefix[12] = { [10] = 0xFF, [11] = 0xFF };

        return a->family == AF_INET6 && memcmp(a->addr, prefix, sizeof(prefix)) == 0;
}

void packet_addr_normalize(PacketAddr *a) {
        if (addr_is_v4_mapped(a)) {
                uint8_t v4[4];

                memcpy(v4, a->addr + 12, 4);
                memset(a->addr, 0, sizeof(a->addr));
                memcpy(a->addr, v4, 4);
                a->family = AF_INET;
        } else if (a->family == AF_INET)
                memset(a->addr + 4, 0, sizeof(a->addr) - 4);
}

char *packet_addr_to_string(const PacketAddr *a, char buf[static PACKET_ADDR_STRLEN]) {
        char ip[INET6_ADDRSTRLEN];
        PacketAddr n = *a;

        packet_addr_normalize(&n);

        if (n.family == AF_INET && inet_ntop(AF_INET, n.addr, ip, sizeof(ip)))
                snprintf(buf, PACKET_ADDR_STRLEN, "%s:%u", ip, n.port);
        else if (n.family == AF_INET6 && inet_ntop(AF_INET6, n.addr, ip, sizeof(ip)))
                snprintf(buf, PACKET_ADDR_STRLEN, "[%s]:%u", ip, n.port);
        else
                snprintf(buf, PACKET_ADDR_STRLEN, "(family %u):%u", n.family, n.port);
        return buf;
}

bool packet_addr_equal(const PacketAddr *a, const PacketAddr *b) {
        PacketAddr x = *a, y = *b;

        packet_addr_normalize(&x);
        packet_addr_normalize(&y);

        if (x.family != y.family || x.port != y.port)
                return false;
        return memcmp(x.addr, y.addr, x.family == AF_INET ? 4 : 16) == 0;
}
