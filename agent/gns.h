/* SPDX-License-Identifier: MIT */
/*
 * Classify one UDP datagram of the game port by the first byte of Valve's
 * GameNetworkingSockets (GNS) wire format (design brief §2). Only the kind is
 * needed to tell players from scanners and floods; nothing past the first
 * bytes is parsed, so the classifier is cheap enough for every packet.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "agent/packet.h"

#define GNS_DATAGRAM_MIN 5          /* anything shorter is not GNS */
#define GNS_DATA_HEADER_LEN 7       /* flags, u32 receiver connection id, u16 sequence */
#define GNS_PADDED_MIN 512          /* ChallengeRequest and ConnectionClosed are padded to this */
#define GNS_DATAGRAM_MAX 1300       /* largest GNS payload */

typedef enum GnsKind {
        GNS_MALFORMED,             /* shorter than 5, data shorter than 7, longer than GNS_DATAGRAM_MAX, or a ChallengeRequest/ConnectionClosed not padded to >= 512 */
        GNS_CHALLENGE_REQUEST, GNS_CHALLENGE_REPLY, GNS_CONNECT_REQUEST, GNS_CONNECT_OK,
        GNS_CONNECTION_CLOSED, GNS_NO_CONNECTION, GNS_DATA,
        GNS_A2S,                   /* FF FF FF FF: Source-engine connectionless, never a player */
        GNS_OTHER,                 /* anything else of plausible length */
        _GNS_KIND_MAX,
} GnsKind;

/* len is the datagram's length. A2S (FF FF FF FF) is recognised at any length >= 5: it is not
 * GNS, so GNS_DATAGRAM_MAX does not apply to it. */
GnsKind gns_classify(const uint8_t *payload, size_t len);

/* Classify with the length the UDP header claims, so that a datagram cut short by the
 * capture's snaplen is judged by its real size (a padded ChallengeRequest stays one). */
GnsKind gns_classify_udp(const UdpDatagram *d);

/* "challenge_request", ..., "data", "a2s", "other", "malformed"; NULL if out of range. */
const char *gns_kind_to_string(GnsKind k);
