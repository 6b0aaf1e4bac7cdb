/* SPDX-License-Identifier: MIT */
/*
 * Steam's A2S_INFO query (design brief §2): the request, the challenge step,
 * and the reply, as pure functions over bytes. Nothing is cast onto the
 * packet; every read is bounds-checked and every string must end in a NUL
 * inside the datagram.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define A2S_INFO_REQUEST_MAX 29   /* FF FF FF FF 54 "Source Engine Query\0" + challenge */

/* Write the request (with the 4 challenge bytes appended when challenge is
 * not NULL) into buf. Returns its length, or 0 if size is too small. */
size_t a2s_build_info_request(uint8_t *buf, size_t size, const uint8_t *challenge);

typedef struct A2sInfo {
        uint8_t protocol;
        char name[256], map[256], folder[256], game[256];
        uint16_t appid;
        uint8_t players, max_players, bots, server_type, environment, visibility, vac;
        char version[64];
} A2sInfo;

typedef enum A2sReplyType {
        A2S_REPLY_CHALLENGE,
        A2S_REPLY_INFO,
} A2sReplyType;

/* Parse one reply datagram. A challenge fills ret_challenge, an info reply
 * fills ret_info (longer strings are cut to fit; either pointer may be NULL).
 * Returns 0, or -EBADMSG when the datagram is malformed, truncated, split
 * (FE FF FF FF) or of another type; the ret_* are untouched then. */
int a2s_parse_reply(const uint8_t *buf, size_t len, A2sReplyType *ret_type, uint8_t ret_challenge[4],
                    A2sInfo *ret_info);
