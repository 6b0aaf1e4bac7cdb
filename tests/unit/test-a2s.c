/* SPDX-License-Identifier: MIT */
/* A2S_INFO: the request bytes, the challenge, the info reply, and every way a reply can be cut or malformed. */
#include <string.h>
#include "tests/unit/unit.h"

#include "agent/a2s.h"
#include "common/macro.h"

static const uint8_t request[] = {
        0xFF, 0xFF, 0xFF, 0xFF, 0x54, 'S', 'o', 'u', 'r', 'c', 'e', ' ', 'E', 'n', 'g', 'i', 'n', 'e',
        ' ', 'Q', 'u', 'e', 'r', 'y', 0x00,
};

static void test_build_request(void **state) {
        uint8_t buf[64], challenge[4] = { 0x11, 0x22, 0x33, 0x44 };

        assert_int_equal(a2s_build_info_request(buf, sizeof buf, NULL), sizeof request);
        assert_memory_equal(buf, request, sizeof request);

        assert_int_equal(a2s_build_info_request(buf, sizeof buf, challenge), sizeof request + 4);
        assert_memory_equal(buf, request, sizeof request);
        assert_memory_equal(buf + sizeof request, challenge, 4);
        assert_int_equal(sizeof request + 4, A2S_INFO_REQUEST_MAX);

        /* too small: nothing written */
        memset(buf, 0x5A, sizeof buf);
        assert_int_equal(a2s_build_info_request(buf, sizeof request - 1, NULL), 0);
        assert_int_equal(a2s_build_info_request(buf, sizeof request, challenge), 0);
        assert_int_equal(buf[0], 0x5A);
        assert_int_equal(a2s_build_info_request(NULL, 100, NULL), 0);
}

static void test_challenge(void **state) {
        static const uint8_t reply[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x41, 0xDE, 0xAD, 0xBE, 0xEF };
        uint8_t challenge[4] = {};
        A2sReplyType type = A2S_REPLY_INFO;

        assert_int_equal(a2s_parse_reply(reply, sizeof reply, &type, challenge, NULL), 0);
        assert_int_equal(type, A2S_REPLY_CHALLENGE);
        assert_memory_equal(challenge, reply + 5, 4);

        for (size_t n = 0; n < sizeof reply; n++) {
                type = A2S_REPLY_INFO;
                memset(challenge, 0, sizeof challenge);
                assert_int_equal(a2s_parse_reply(reply, n, &type, challenge, NULL), -EBADMSG);
                assert_int_equal(type, A2S_REPLY_INFO);
                assert_true(challenge[0] == 0 && challenge[3] == 0);
        }
}

/* What Valheim sends when public: two of ten slots used, then the extra data
 * (port, SteamID, keywords, game id) that we do not need. */
static size_t valheim_reply(uint8_t *buf, size_t *ret_required) {
        static const uint8_t head[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x49, 0x11 };
        static const uint8_t middle[] = {
                0x2A, 0xA0,         /* appid: 892970 cut to 16 bits */
                0x02, 0x0A, 0x00,   /* players, max, bots */
                'd', 'l', 0x01, 0x00,
        };
        static const uint8_t edf[] = {
                0xB1, 0x98, 0x09,                                 /* flag, port 2456 */
                0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,   /* server SteamID */
                'g', 'v', '=', '0', '.', '2', '1', '9', 0x00,     /* keywords */
                0x2A, 0xA0, 0x0D, 0x00, 0x00, 0x00, 0x00, 0x00,   /* game id */
        };
        size_t n = 0;

#define PUT(data, len) (memcpy(buf + n, (data), (len)), n += (len))
        PUT(head, sizeof head);
        PUT("Midgard", 8);
        PUT("Midgard", 8);
        PUT("valheim", 8);
        PUT("Valheim", 8);
        PUT(middle, sizeof middle);
        PUT("0.219.16", 9);
        *ret_required = n;
        PUT(edf, sizeof edf);
#undef PUT
        return n;
}

static void test_info(void **state) {
        uint8_t buf[256];
        size_t required, n = valheim_reply(buf, &required);
        A2sReplyType type = A2S_REPLY_CHALLENGE;
        A2sInfo info;

        assert_int_equal(a2s_parse_reply(buf, n, &type, NULL, &info), 0);
        assert_int_equal(type, A2S_REPLY_INFO);
        assert_int_equal(info.protocol, 17);
        assert_string_equal(info.name, "Midgard");
        assert_string_equal(info.map, "Midgard");
        assert_string_equal(info.folder, "valheim");
        assert_string_equal(info.game, "Valheim");
        assert_int_equal(info.appid, 0xA02A);
        assert_int_equal(info.players, 2);
        assert_int_equal(info.max_players, 10);
        assert_int_equal(info.bots, 0);
        assert_int_equal(info.server_type, 'd');
        assert_int_equal(info.environment, 'l');
        assert_int_equal(info.visibility, 1);
        assert_int_equal(info.vac, 0);
        assert_string_equal(info.version, "0.219.16");

        /* without the optional extra data it is still complete */
        assert_int_equal(a2s_parse_reply(buf, required, &type, NULL, &info), 0);
        assert_int_equal(info.players, 2);
}

static void test_info_truncated_everywhere(void **state) {
        uint8_t buf[256];
        size_t required, n = valheim_reply(buf, &required);

        (void) n;
        for (size_t len = 0; len < required; len++) {
                A2sReplyType type = (A2sReplyType) 77;
                A2sInfo info;

                memset(&info, 0xA5, sizeof info);
                if (a2s_parse_reply(buf, len, &type, NULL, &info) != -EBADMSG)
                        fail_msg("a reply cut to %zu of %zu bytes was accepted", len, required);
                /* untouched on failure */
                assert_int_equal(type, 77);
                assert_int_equal(info.players, 0xA5);
        }
}

static void test_info_strings_without_nul(void **state) {
        uint8_t buf[600];
        A2sInfo info;
        size_t n = 0;

        /* the name runs to the end of the datagram */
        memcpy(buf, "\xFF\xFF\xFF\xFF\x49\x11" "Midgard", 13);
        assert_int_equal(a2s_parse_reply(buf, 13, NULL, NULL, &info), -EBADMSG);

        /* the version has no NUL: everything else was fine */
        n = 0;
        memcpy(buf + n, "\xFF\xFF\xFF\xFF\x49\x11", 6), n += 6;
        memcpy(buf + n, "a\0b\0c\0d\0", 8), n += 8;
        memcpy(buf + n, "\x00\x00\x01\x0A\x00" "dl\x00\x00", 9), n += 9;
        memcpy(buf + n, "1.0", 3), n += 3;
        assert_int_equal(a2s_parse_reply(buf, n, NULL, NULL, &info), -EBADMSG);
        buf[n++] = 0;
        assert_int_equal(a2s_parse_reply(buf, n, NULL, NULL, &info), 0);
        assert_int_equal(info.players, 1);
        assert_string_equal(info.version, "1.0");

        /* strings longer than the fields are cut, and the rest still parses */
        n = 0;
        memcpy(buf + n, "\xFF\xFF\xFF\xFF\x49\x11", 6), n += 6;
        memset(buf + n, 'N', 300), n += 300;
        buf[n++] = 0;
        memcpy(buf + n, "m\0f\0g\0", 6), n += 6;
        memcpy(buf + n, "\x00\x00\x07\x0A\x00" "dl\x00\x00", 9), n += 9;
        memset(buf + n, 'V', 100), n += 100;
        buf[n++] = 0;
        assert_int_equal(a2s_parse_reply(buf, n, NULL, NULL, &info), 0);
        assert_int_equal(strlen(info.name), sizeof info.name - 1);
        assert_int_equal(strlen(info.version), sizeof info.version - 1);
        assert_string_equal(info.map, "m");
        assert_int_equal(info.players, 7);
}

static void test_other_replies(void **state) {
        static const uint8_t split[] = { 0xFE, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00 };
        static const uint8_t goldsrc[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x6D, '1', 0x00 };
        static const uint8_t player[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0x44, 0x00 };
        uint8_t buf[256];
        size_t required;
        A2sInfo info;

        assert_int_equal(a2s_parse_reply(split, sizeof split, NULL, NULL, &info), -EBADMSG);
        assert_int_equal(a2s_parse_reply(goldsrc, sizeof goldsrc, NULL, NULL, &info), -EBADMSG);
        assert_int_equal(a2s_parse_reply(player, sizeof player, NULL, NULL, &info), -EBADMSG);
        assert_int_equal(a2s_parse_reply(NULL, 0, NULL, NULL, &info), -EBADMSG);
        assert_int_equal(a2s_parse_reply(NULL, 20, NULL, NULL, &info), -EBADMSG);
        /* our own request echoed back is not an answer */
        assert_int_equal(a2s_parse_reply(request, sizeof request, NULL, NULL, &info), -EBADMSG);

        /* The Ship (appid 2400) has three more bytes before the version */
        valheim_reply(buf, &required);
        buf[6 + 32] = 0x60;
        buf[6 + 33] = 0x09;
        assert_int_equal(a2s_parse_reply(buf, required, NULL, NULL, &info), 0);
        assert_int_equal(info.appid, 2400);
        assert_string_equal(info.version, "19.16");   /* "0.2" were mode, witnesses, duration */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build_request),
                cmocka_unit_test(test_challenge),
                cmocka_unit_test(test_info),
                cmocka_unit_test(test_info_truncated_everywhere),
                cmocka_unit_test(test_info_strings_without_nul),
                cmocka_unit_test(test_other_replies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
