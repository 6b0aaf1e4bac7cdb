/* SPDX-License-Identifier: MIT */
/*
 * Parser for the Valheim server log lines of design brief §2. One pure
 * function over (line, len): no allocation, no NUL termination assumed, every
 * read bounded by the end pointer. Each phrase must start the line, after the
 * optional Unity timestamp and indentation, so text a player controls (a
 * character name) can never be read as an event.
 */
#include <errno.h>
#include <string.h>

#include "agent/logline.h"
#include "common/macro.h"

static const char *const type_names[_LOGLINE_TYPE_MAX] = {
        [LOGLINE_IGNORED] = "ignored",
        [LOGLINE_STEAM_CONNECTED] = "steam-connected",
        [LOGLINE_STEAM_CLOSED] = "steam-closed",
        [LOGLINE_CHARACTER] = "character",
        [LOGLINE_HANDSHAKE] = "handshake",
        [LOGLINE_WRONG_PASSWORD] = "wrong-password",
        [LOGLINE_CROSSPLAY_JOINED] = "crossplay-joined",
        [LOGLINE_CROSSPLAY_LEFT] = "crossplay-left",
        [LOGLINE_SERVER_READY] = "server-ready",
};

const char *logline_type_to_string(LogLineType t) {
        if ((unsigned) t >= _LOGLINE_TYPE_MAX)
                return NULL;
        return type_names[t];
}

/* A view of the not yet parsed part of the line. */
typedef struct Cursor {
        const char *p, *end;
} Cursor;

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool cursor_skip_prefix(Cursor *c, const char *prefix) {
        size_t n = strlen(prefix);

        if ((size_t) (c->end - c->p) < n || memcmp(c->p, prefix, n) != 0)
                return false;
        c->p += n;
        return true;
}

/* Exactly `digits` decimal digits. */
static bool cursor_skip_digits(Cursor *c, size_t digits) {
        if ((size_t) (c->end - c->p) < digits)
                return false;
        for (size_t i = 0; i < digits; i++)
                if (!is_digit(c->p[i]))
                        return false;
        c->p += digits;
        return true;
}

static bool cursor_skip_char(Cursor *c, char ch) {
        if (c->p >= c->end || *c->p != ch)
                return false;
        c->p++;
        return true;
}

/* Unity's "MM/DD/YYYY HH:MM:SS: " in front of every line; absent when the
 * game runs with -nographics under some wrappers, so it is optional. */
static void cursor_skip_timestamp(Cursor *c) {
        Cursor t = *c;

        if (cursor_skip_digits(&t, 2) && cursor_skip_char(&t, '/') &&
            cursor_skip_digits(&t, 2) && cursor_skip_char(&t, '/') &&
            cursor_skip_digits(&t, 4) && cursor_skip_char(&t, ' ') &&
            cursor_skip_digits(&t, 2) && cursor_skip_char(&t, ':') &&
            cursor_skip_digits(&t, 2) && cursor_skip_char(&t, ':') &&
            cursor_skip_digits(&t, 2) && cursor_skip_char(&t, ':'))
                *c = t;
}

static void cursor_skip_blanks(Cursor *c) {
        while (c->p < c->end && is_blank(*c->p))
                c->p++;
}

static bool cursor_at_end_after_blanks(Cursor *c) {
        cursor_skip_blanks(c);
        return c->p == c->end;
}

static bool cursor_parse_u64(Cursor *c, uint64_t *ret) {
        uint64_t v = 0;
        const char *p = c->p;

        if (p >= c->end || !is_digit(*p))
                return false;
        for (; p < c->end && is_digit(*p); p++) {
                unsigned d = (unsigned) (*p - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        c->p = p;
        *ret = v;
        return true;
}

/* ZDOID user ids are C# longs and often negative; keep the bits. */
static bool cursor_parse_i64_bits(Cursor *c, uint64_t *ret) {
        Cursor t = *c;
        bool negative = cursor_skip_char(&t, '-');
        uint64_t v;

        if (!cursor_parse_u64(&t, &v))
                return false;
        if (negative) {
                if (v > (uint64_t) INT64_MAX + 1)
                        return false;
                v = (uint64_t) 0 - v;
        } else if (v > INT64_MAX)
                return false;
        *c = t;
        *ret = v;
        return true;
}

/* "<id>" and nothing else but blanks up to the end. */
static bool cursor_parse_id_line_end(Cursor *c, uint64_t *ret) {
        Cursor t = *c;
        uint64_t v;

        if (!cursor_parse_u64(&t, &v) || !cursor_at_end_after_blanks(&t))
                return false;
        *c = t;
        *ret = v;
        return true;
}

/* The last occurrence of needle in [p, end), or NULL. */
static const char *memrmem_bounded(const char *p, const char *end, const char *needle) {
        size_t n = strlen(needle);

        if ((size_t) (end - p) < n)
                return NULL;
        for (const char *q = end - n;; q--) {
                if (memcmp(q, needle, n) == 0)
                        return q;
                if (q == p)
                        return NULL;
        }
}

/* Length of one valid UTF-8 sequence at s (at most len bytes) and its code
 * point, or 0 if the bytes there are not one: truncated, overlong, surrogate
 * or above U+10FFFF. */
static size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *ret) {
        uint32_t cp;
        size_t n;

        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if (s[0] >= 0xC2 && s[0] <= 0xDF)
                n = 2, cp = s[0] & 0x1F;
        else if (s[0] >= 0xE0 && s[0] <= 0xEF)
                n = 3, cp = s[0] & 0x0F;
        else if (s[0] >= 0xF0 && s[0] <= 0xF4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        *ret = cp;
        return n;
}

/* Code points that print nothing or reorder what follows: controls, zero
 * widths, bidi overrides, line separators, BOM, specials. */
static bool codepoint_printable(uint32_t cp) {
        return !(cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
                 (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
                 (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFF));
}

size_t logline_sanitize_name(const char *s, size_t len, char *buf, size_t size) {
        const uint8_t *p = (const uint8_t *) s, *end = p + len;
        size_t n = 0, last_non_space = 0;

        if (size == 0)
                return 0;

        while (p < end && *p == ' ')
                p++;

        while (p < end) {
                uint32_t cp;
                size_t k = utf8_decode(p, (size_t) (end - p), &cp);
                const uint8_t *src = p;
                size_t out = k;

                if (k == 0 || !codepoint_printable(cp)) {
                        src = (const uint8_t *) "?";
                        out = 1;
                        k = k == 0 ? 1 : k;
                }
                if (n + out > size - 1)
                        break;
                memcpy(buf + n, src, out);
                n += out;
                if (!(out == 1 && src[0] == ' '))
                        last_non_space = n;
                p += k;
        }

        n = last_non_space;
        buf[n] = 0;
        return n;
}

static bool parse_character(Cursor *c, LogLine *l) {
        /* "<Name> : <uid>:<n>": the name may hold " : " itself, the ids never do. */
        const char *sep = memrmem_bounded(c->p, c->end, " : ");
        Cursor ids;
        uint64_t user, id;

        if (!sep)
                return false;
        ids = (Cursor) { sep + 3, c->end };
        if (!cursor_parse_i64_bits(&ids, &user) || !cursor_skip_char(&ids, ':') ||
            !cursor_parse_u64(&ids, &id) || !cursor_at_end_after_blanks(&ids))
                return false;

        logline_sanitize_name(c->p, (size_t) (sep - c->p), l->name, sizeof l->name);
        l->zdo_user = user;
        l->zdo_id = id;
        l->dead = user == 0 && id == 0;
        l->type = LOGLINE_CHARACTER;
        return true;
}

/* `"<server>" that has join code <code>, now <N> player(s)`: the server name
 * is the admin's text and may hold anything, so anchor on the line's end. */
static bool parse_crossplay(Cursor *c, LogLineType type, LogLine *l) {
        const char *now = memrmem_bounded(c->p, c->end, ", now ");
        Cursor t;
        uint64_t count;

        if (!now || !memrmem_bounded(c->p, now, "\" that has join code "))
                return false;
        t = (Cursor) { now + strlen(", now "), c->end };
        if (!cursor_parse_u64(&t, &count) || count > UINT16_MAX)
                return false;
        if (!cursor_skip_prefix(&t, " player(s)") && !cursor_skip_prefix(&t, " players") &&
            !cursor_skip_prefix(&t, " player"))
                return false;
        if (!cursor_at_end_after_blanks(&t))
                return false;

        l->count = (unsigned) count;
        l->type = type;
        return true;
}

/* Crossplay's ready line: `Session "<server>" registered with join code <code>`. */
static bool parse_session_registered(Cursor *c, LogLine *l) {
        const char *q = memrmem_bounded(c->p, c->end, "\" registered with join code ");
        Cursor t;
        uint64_t code;

        if (!q)
                return false;
        t = (Cursor) { q + strlen("\" registered with join code "), c->end };
        if (!cursor_parse_u64(&t, &code) || !cursor_at_end_after_blanks(&t))
                return false;
        l->type = LOGLINE_SERVER_READY;
        return true;
}

int logline_parse(const char *line, size_t len, LogLine *ret) {
        LogLine l = { .type = LOGLINE_IGNORED };
        Cursor c;

        if (!line && len > 0)
                return -EINVAL;
        if (!ret)
                return -EINVAL;

        if (len > LOGLINE_MAX) {
                *ret = l;
                return 0;
        }

        c = (Cursor) { line, line + len };
        cursor_skip_blanks(&c);
        cursor_skip_timestamp(&c);
        cursor_skip_blanks(&c);

        if (cursor_skip_prefix(&c, "Got connection SteamID ")) {
                if (cursor_parse_id_line_end(&c, &l.id))
                        l.type = LOGLINE_STEAM_CONNECTED;
        } else if (cursor_skip_prefix(&c, "Closing socket ")) {
                if (cursor_parse_id_line_end(&c, &l.id))
                        l.type = LOGLINE_STEAM_CLOSED;
        } else if (cursor_skip_prefix(&c, "Got character ZDOID from ")) {
                (void) parse_character(&c, &l);
        } else if (cursor_skip_prefix(&c, "Got handshake from client ")) {
                if (cursor_parse_id_line_end(&c, &l.id))
                        l.type = LOGLINE_HANDSHAKE;
        } else if (cursor_skip_prefix(&c, "Peer ")) {
                Cursor t = c;

                if (cursor_parse_u64(&t, &l.id) && cursor_skip_prefix(&t, " has wrong password") &&
                    cursor_at_end_after_blanks(&t))
                        l.type = LOGLINE_WRONG_PASSWORD;
        } else if (cursor_skip_prefix(&c, "Player joined server \"")) {
                (void) parse_crossplay(&c, LOGLINE_CROSSPLAY_JOINED, &l);
        } else if (cursor_skip_prefix(&c, "Player connection lost server \"")) {
                (void) parse_crossplay(&c, LOGLINE_CROSSPLAY_LEFT, &l);
        } else if (cursor_skip_prefix(&c, "Game server connected")) {
                if (cursor_at_end_after_blanks(&c))
                        l.type = LOGLINE_SERVER_READY;
        } else if (cursor_skip_prefix(&c, "Session \"")) {
                (void) parse_session_registered(&c, &l);
        }

        if (l.type == LOGLINE_IGNORED)
                l = (LogLine) { .type = LOGLINE_IGNORED };
        *ret = l;
        return 0;
}
