/* SPDX-License-Identifier: MIT */
/*
 * A2S_INFO request builder and reply parser. Pure: a reader over
 * (buf, len) that fails the whole parse at the first read past the end, so a
 * truncated reply can never yield half a result.
 */
#include <errno.h>
#include <string.h>

#include "agent/a2s.h"
#include "common/macro.h"

#define A2S_HEADER_SINGLE 0xFFFFFFFFu
#define A2S_INFO_REQUEST 0x54
#define A2S_REPLY_CHALLENGE_BYTE 0x41
#define A2S_REPLY_INFO_BYTE 0x49
#define A2S_APPID_THE_SHIP 2400

static const char info_payload[] = "Source Engine Query";   /* sent with its NUL */

size_t a2s_build_info_request(uint8_t *buf, size_t size, const uint8_t *challenge) {
        size_t n = 4 + 1 + sizeof info_payload + (challenge ? 4 : 0);

        if (!buf || size < n)
                return 0;
        memset(buf, 0xFF, 4);
        buf[4] = A2S_INFO_REQUEST;
        memcpy(buf + 5, info_payload, sizeof info_payload);
        if (challenge)
                memcpy(buf + 5 + sizeof info_payload, challenge, 4);
        return n;
}

typedef struct Reader {
        const uint8_t *buf;
        size_t len, pos;
        bool failed;
} Reader;

static uint8_t read_u8(Reader *r) {
        if (r->failed || r->len - r->pos < 1) {
                r->failed = true;
                return 0;
        }
        return r->buf[r->pos++];
}

static uint16_t read_u16le(Reader *r) {
        uint16_t lo = read_u8(r), hi = read_u8(r);

        return (uint16_t) (lo | (hi << 8));
}

static uint32_t read_u32le(Reader *r) {
        uint32_t v = 0;

        for (unsigned i = 0; i < 4; i++)
                v |= (uint32_t) read_u8(r) << (8 * i);
        return v;
}

static void read_bytes(Reader *r, uint8_t *out, size_t n) {
        if (r->failed || r->len - r->pos < n) {
                r->failed = true;
                return;
        }
        memcpy(out, r->buf + r->pos, n);
        r->pos += n;
}

/* A C string that must end inside the datagram; cut to fit out. */
static void read_string(Reader *r, char *out, size_t size) {
        const uint8_t *nul;
        size_t n;

        out[0] = 0;
        if (r->failed)
                return;
        nul = memchr(r->buf + r->pos, 0, r->len - r->pos);
        if (!nul) {
                r->failed = true;
                return;
        }
        n = (size_t) (nul - (r->buf + r->pos));
        memcpy(out, r->buf + r->pos, MIN(n, size - 1));
        out[MIN(n, size - 1)] = 0;
        r->pos += n + 1;
}

int a2s_parse_reply(const uint8_t *buf, size_t len, A2sReplyType *ret_type, uint8_t ret_challenge[4],
                    A2sInfo *ret_info) {
        Reader r = { .buf = buf, .len = buf ? len : 0 };
        uint8_t type;

        if (read_u32le(&r) != A2S_HEADER_SINGLE || r.failed)
                return -EBADMSG;
        type = read_u8(&r);
        if (r.failed)
                return -EBADMSG;

        if (type == A2S_REPLY_CHALLENGE_BYTE) {
                uint8_t challenge[4];

                read_bytes(&r, challenge, sizeof challenge);
                if (r.failed)
                        return -EBADMSG;
                if (ret_challenge)
                        memcpy(ret_challenge, challenge, sizeof challenge);
                if (ret_type)
                        *ret_type = A2S_REPLY_CHALLENGE;
                return 0;
        }

        if (type == A2S_REPLY_INFO_BYTE) {
                A2sInfo info = {};

                info.protocol = read_u8(&r);
                read_string(&r, info.name, sizeof info.name);
                read_string(&r, info.map, sizeof info.map);
                read_string(&r, info.folder, sizeof info.folder);
                read_string(&r, info.game, sizeof info.game);
                info.appid = read_u16le(&r);
                info.players = read_u8(&r);
                info.max_players = read_u8(&r);
                info.bots = read_u8(&r);
                info.server_type = read_u8(&r);
                info.environment = read_u8(&r);
                info.visibility = read_u8(&r);
                info.vac = read_u8(&r);
                if (info.appid == A2S_APPID_THE_SHIP) {
                        /* mode, witnesses, duration */
                        (void) read_u8(&r);
                        (void) read_u8(&r);
                        (void) read_u8(&r);
                }
                read_string(&r, info.version, sizeof info.version);
                /* the optional extra data flag and fields that follow are not needed */
                if (r.failed)
                        return -EBADMSG;
                if (ret_info)
                        *ret_info = info;
                if (ret_type)
                        *ret_type = A2S_REPLY_INFO;
                return 0;
        }

        return -EBADMSG;
}
