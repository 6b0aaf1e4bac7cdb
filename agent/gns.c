/* SPDX-License-Identifier: MIT */
/*
 * GNS first-byte classifier. The message numbers and the padding rule are
 * those of GameNetworkingSockets' UDP transport (k_ESteamNetworkingUDPMsg_*,
 * k_cbSteamNetworkingMinPaddedPacketSize): messages that a spoofed source could
 * use to make the server answer (ChallengeRequest, ConnectionClosed) are
 * padded to 512 bytes so that the answer is never larger than the question.
 * A short one is therefore not what the game sends.
 */
#include <string.h>

#include "agent/gns.h"
#include "common/macro.h"

#define GNS_MSG_CHALLENGE_REQUEST 0x20
#define GNS_MSG_CHALLENGE_REPLY 0x21
#define GNS_MSG_CONNECT_REQUEST 0x22
#define GNS_MSG_CONNECT_OK 0x23
#define GNS_MSG_CONNECTION_CLOSED 0x24
#define GNS_MSG_NO_CONNECTION 0x25
#define GNS_DATA_FLAG 0x80

static const uint8_t a2s_prefix[4] = { 0xFF, 0xFF, 0xFF, 0xFF };

GnsKind gns_classify(const uint8_t *payload, size_t len) {
        if (!payload || len < GNS_DATAGRAM_MIN)
                return GNS_MALFORMED;

        /* Checked first: 0xFF has the data flag set too. */
        if (memcmp(payload, a2s_prefix, sizeof(a2s_prefix)) == 0)
                return GNS_A2S;

        if (len > GNS_DATAGRAM_MAX)
                return GNS_MALFORMED;

        switch (payload[0]) {
        case GNS_MSG_CHALLENGE_REQUEST:
                return len >= GNS_PADDED_MIN ? GNS_CHALLENGE_REQUEST : GNS_MALFORMED;
        case GNS_MSG_CHALLENGE_REPLY:
                return GNS_CHALLENGE_REPLY;
        case GNS_MSG_CONNECT_REQUEST:
                return GNS_CONNECT_REQUEST;
        case GNS_MSG_CONNECT_OK:
                return GNS_CONNECT_OK;
        case GNS_MSG_CONNECTION_CLOSED:
                return len >= GNS_PADDED_MIN ? GNS_CONNECTION_CLOSED : GNS_MALFORMED;
        case GNS_MSG_NO_CONNECTION:
                return GNS_NO_CONNECTION;
        }

        if (payload[0] & GNS_DATA_FLAG)
                return len >= GNS_DATA_HEADER_LEN ? GNS_DATA : GNS_MALFORMED;

        return GNS_OTHER;
}

GnsKind gns_classify_udp(const UdpDatagram *d) {
        /* gns_classify() reads only the first 4 bytes; they must be in the capture. */
        if (d->len < GNS_DATAGRAM_MIN)
                return GNS_MALFORMED;

        return gns_classify(d->payload, MAX(d->len, d->wire_len));
}

static const char *const gns_kind_table[_GNS_KIND_MAX] = {
        [GNS_MALFORMED] = "malformed",
        [GNS_CHALLENGE_REQUEST] = "challenge_request",
        [GNS_CHALLENGE_REPLY] = "challenge_reply",
        [GNS_CONNECT_REQUEST] = "connect_request",
        [GNS_CONNECT_OK] = "connect_ok",
        [GNS_CONNECTION_CLOSED] = "connection_closed",
        [GNS_NO_CONNECTION] = "no_connection",
        [GNS_DATA] = "data",
        [GNS_A2S] = "a2s",
        [GNS_OTHER] = "other",
};

const char *gns_kind_to_string(GnsKind k) {
        if ((unsigned) k >= _GNS_KIND_MAX)
                return NULL;
        return gns_kind_table[k];
}
