/* SPDX-License-Identifier: MIT */
/* The Valheim log-line parser, on single lines and on the sample logs in tests/data. */
#include <stdio.h>
#include <string.h>
#include "tests/unit/unit.h"

#include "agent/logline.h"
#include "common/macro.h"

static LogLine parse(const char *s) {
        LogLine l;

        memset(&l, 0xAA, sizeof l);   /* the parser must fill every field */
        assert_int_equal(logline_parse(s, strlen(s), &l), 0);
        return l;
}

static void test_steam_lines(void **state) {
        LogLine l;

        l = parse("12/04/2026 20:15:03: Got connection SteamID 76561198000000001");
        assert_int_equal(l.type, LOGLINE_STEAM_CONNECTED);
        assert_true(l.id == 76561198000000001ULL);

        /* no timestamp, trailing CR LF */
        l = parse("Got connection SteamID 76561198000000002\r\n");
        assert_int_equal(l.type, LOGLINE_STEAM_CONNECTED);
        assert_true(l.id == 76561198000000002ULL);

        /* indented, as Valheim prints it */
        l = parse("12/04/2026 21:02:11:   Closing socket 76561198000000001");
        assert_int_equal(l.type, LOGLINE_STEAM_CLOSED);
        assert_true(l.id == 76561198000000001ULL);
        l = parse("  Closing socket 76561198000000001\n");
        assert_int_equal(l.type, LOGLINE_STEAM_CLOSED);

        l = parse("12/04/2026 20:40:02: Got handshake from client 76561198000000003");
        assert_int_equal(l.type, LOGLINE_HANDSHAKE);
        assert_true(l.id == 76561198000000003ULL);

        l = parse("12/04/2026 20:40:03: Peer 76561198000000003 has wrong password");
        assert_int_equal(l.type, LOGLINE_WRONG_PASSWORD);
        assert_true(l.id == 76561198000000003ULL);

        l = parse("12/04/2026 20:14:13: Game server connected");
        assert_int_equal(l.type, LOGLINE_SERVER_READY);
        l = parse("Game server connected\n");
        assert_int_equal(l.type, LOGLINE_SERVER_READY);
}

static void test_character_lines(void **state) {
        LogLine l;

        l = parse("12/04/2026 20:15:31: Got character ZDOID from Ragnar : -1437896420:1");
        assert_int_equal(l.type, LOGLINE_CHARACTER);
        assert_string_equal(l.name, "Ragnar");
        assert_true(l.zdo_user == (uint64_t) -1437896420LL);
        assert_true(l.zdo_id == 1);
        assert_false(l.dead);

        l = parse("12/04/2026 20:22:05: Got character ZDOID from Freya Ironside : 1730451269:1");
        assert_string_equal(l.name, "Freya Ironside");
        assert_true(l.zdo_user == 1730451269);

        /* death */
        l = parse("12/04/2026 20:34:17: Got character ZDOID from Ragnar : 0:0");
        assert_int_equal(l.type, LOGLINE_CHARACTER);
        assert_true(l.dead);
        assert_string_equal(l.name, "Ragnar");

        /* the name may hold " : "; the ids are the last one */
        l = parse("Got character ZDOID from A : B : 12:3");
        assert_int_equal(l.type, LOGLINE_CHARACTER);
        assert_string_equal(l.name, "A : B");
        assert_true(l.zdo_user == 12 && l.zdo_id == 3);

        /* UTF-8 names stay as they are */
        l = parse("Got character ZDOID from Åsa Þórsdóttir ᚱ : 7:1");
        assert_string_equal(l.name, "Åsa Þórsdóttir ᚱ");

        /* malformed ids: not a character line */
        assert_int_equal(parse("Got character ZDOID from Ragnar : x:1").type, LOGLINE_IGNORED);
        assert_int_equal(parse("Got character ZDOID from Ragnar : 1").type, LOGLINE_IGNORED);
        assert_int_equal(parse("Got character ZDOID from Ragnar 1:1").type, LOGLINE_IGNORED);
        assert_int_equal(parse("Got character ZDOID from Ragnar : 1:1 extra").type, LOGLINE_IGNORED);
        assert_int_equal(parse("Got character ZDOID from Ragnar : 9223372036854775808:1").type, LOGLINE_IGNORED);
        l = parse("Got character ZDOID from Ragnar : -9223372036854775808:1");
        assert_int_equal(l.type, LOGLINE_CHARACTER);
        assert_true(l.zdo_user == (uint64_t) INT64_MIN);
}

static void test_name_sanitized(void **state) {
        char longname[400], line[512];
        LogLine l;

        l = parse("Got character ZDOID from \x1b[31mEvil\x07\xff\xfe\r : 6:1");
        assert_int_equal(l.type, LOGLINE_CHARACTER);
        assert_string_equal(l.name, "?[31mEvil????");

        /* bidi override and zero-width space are not printable */
        l = parse("Got character ZDOID from a\xe2\x80\xae" "b\xe2\x80\x8b" "c : 1:1");
        assert_string_equal(l.name, "a?b?c");

        /* overlong encoding and surrogate are invalid UTF-8 */
        l = parse("Got character ZDOID from \xc0\xaf\xed\xa0\x80 : 1:1");
        assert_null(strchr(l.name, '\xc0'));
        assert_null(strchr(l.name, '\xed'));

        /* bounded, cut on a character boundary */
        memset(longname, 0, sizeof longname);
        for (size_t i = 0; i < 100; i++)
                strcat(longname, "Þ");   /* 2 bytes each */
        snprintf(line, sizeof line, "Got character ZDOID from %s : 1:1", longname);
        l = parse(line);
        assert_int_equal(l.type, LOGLINE_CHARACTER);
        assert_int_equal(strlen(l.name), 62);   /* 31 whole characters in 63 bytes */
        assert_memory_equal(l.name, longname, 62);

        /* surrounding spaces go */
        l = parse("Got character ZDOID from    Bob    : 1:1");
        assert_string_equal(l.name, "Bob");
}

static void test_crossplay_lines(void **state) {
        LogLine l;

        l = parse("12/04/2026 19:05:40: Player joined server \"Midgard\" that has join code 738419, now 1 player(s)");
        assert_int_equal(l.type, LOGLINE_CROSSPLAY_JOINED);
        assert_int_equal(l.count, 1);

        l = parse("12/04/2026 20:10:51: Player connection lost server \"Midgard\" that has join code 738419, now 0 player(s)");
        assert_int_equal(l.type, LOGLINE_CROSSPLAY_LEFT);
        assert_int_equal(l.count, 0);

        /* the server name is the admin's text: the count is the one at the end */
        l = parse("Player joined server \"x, now 9 player(s)\" that has join code 1, now 3 player(s)");
        assert_int_equal(l.type, LOGLINE_CROSSPLAY_JOINED);
        assert_int_equal(l.count, 3);

        assert_int_equal(parse("Player joined server \"M\" that has join code 1, now many player(s)").type, LOGLINE_IGNORED);
        assert_int_equal(parse("Player joined server \"M\", now 2 player(s)").type, LOGLINE_IGNORED);
        assert_int_equal(parse("Player joined server \"M\" that has join code 1, now 99999999 player(s)").type, LOGLINE_IGNORED);

        l = parse("12/04/2026 19:02:19: Session \"Midgard\" registered with join code 738419");
        assert_int_equal(l.type, LOGLINE_SERVER_READY);
}

static void test_garbage(void **state) {
        static const char *const lines[] = {
                "",
                "\n",
                "12/04/2026 20:14:01:",
                "12/04/2026 22:00:03: Player: Got connection SteamID 76561198000000009",
                "12/04/2026 22:00:04: Got connection SteamID 99999999999999999999999",
                "12/04/2026 22:00:04: Got connection SteamID 18446744073709551616",
                "12/04/2026 22:00:05: Got connection SteamID 7656abc",
                "12/04/2026 22:00:05: Got connection SteamID -5",
                "12/04/2026 22:00:06: Closing socket",
                "12/04/2026 22:00:06: Closing socket 12 34",
                "12/04/2026 22:00:07: Game server connected yesterday",
                "12/04/2026 22:00:08 Got connection SteamID 76561198000000010",
                "1/4/2026 22:00:08: Got connection SteamID 76561198000000010",
                "Peer 5 has wrong password!",
                "Peer has wrong password",
                "Got handshake from client",
                "(Filename: ./Runtime/Export/Debug/Debug.bindings.h Line: 35)",
                "Got character ZDOID from Ragnar",
                "Got character ZDOID from  : ",
        };
        LogLine l;

        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                l = parse(lines[i]);
                if (l.type != LOGLINE_IGNORED)
                        fail_msg("line %zu \"%s\" parsed as %s", i, lines[i], logline_type_to_string(l.type));
                assert_true(l.id == 0 && l.count == 0 && l.name[0] == 0);
        }

        /* a NUL inside is just a byte; the length is what counts */
        assert_int_equal(logline_parse("Got connection SteamID 1\0" "23", 27, &l), 0);
        assert_int_equal(l.type, LOGLINE_IGNORED);
        assert_int_equal(logline_parse("Got connection SteamID 123", 25, &l), 0);
        assert_int_equal(l.type, LOGLINE_STEAM_CONNECTED);
        assert_true(l.id == 12);

        assert_int_equal(logline_parse(NULL, 0, &l), 0);
        assert_int_equal(l.type, LOGLINE_IGNORED);
        assert_int_equal(logline_parse(NULL, 5, &l), -EINVAL);
        assert_int_equal(logline_parse("x", 1, NULL), -EINVAL);
}

static void test_overlong(void **state) {
        _cleanup_free_ char *line = malloc(LOGLINE_MAX + 2);
        const char *prefix = "Got connection SteamID 7";
        LogLine l;

        assert_non_null(line);
        /* exactly LOGLINE_MAX bytes: digits then trailing spaces, still a line */
        memset(line, ' ', LOGLINE_MAX + 1);
        memcpy(line, prefix, strlen(prefix));
        assert_int_equal(logline_parse(line, LOGLINE_MAX, &l), 0);
        assert_int_equal(l.type, LOGLINE_STEAM_CONNECTED);
        assert_true(l.id == 7);
        /* one byte more: skipped */
        assert_int_equal(logline_parse(line, LOGLINE_MAX + 1, &l), 0);
        assert_int_equal(l.type, LOGLINE_IGNORED);
}

typedef struct Expect {
        LogLineType type;
        uint64_t id;
        const char *name;
        unsigned count;
} Expect;

static void check_file(const char *name, const Expect *expect, size_t n_expect) {
        char path[1024], *buf = NULL;
        size_t size = 0, k = 0;
        _cleanup_fclose_ FILE *f = NULL;
        ssize_t len;

        snprintf(path, sizeof path, "%s/%s", SIGRUN_TESTDATA, name);
        f = fopen(path, "re");
        assert_non_null(f);
        while ((len = getline(&buf, &size, f)) >= 0) {
                LogLine l;

                assert_int_equal(logline_parse(buf, (size_t) len, &l), 0);
                if (l.type == LOGLINE_IGNORED)
                        continue;
                if (k >= n_expect)
                        fail_msg("%s: unexpected %s from \"%s\"", name, logline_type_to_string(l.type), buf);
                if (l.type != expect[k].type)
                        fail_msg("%s: event %zu is %s, expected %s (\"%s\")", name, k,
                                 logline_type_to_string(l.type), logline_type_to_string(expect[k].type), buf);
                assert_true(l.id == expect[k].id);
                assert_string_equal(l.name, expect[k].name ? expect[k].name : "");
                assert_int_equal(l.count, expect[k].count);
                k++;
        }
        free(buf);
        assert_int_equal(k, n_expect);
}

static void test_sample_steam(void **state) {
        static const Expect expect[] = {
                { LOGLINE_SERVER_READY },
                { LOGLINE_STEAM_CONNECTED, 76561198000000001ULL },
                { LOGLINE_HANDSHAKE, 76561198000000001ULL },
                { LOGLINE_CHARACTER, 0, "Ragnar" },
                { LOGLINE_STEAM_CONNECTED, 76561198000000002ULL },
                { LOGLINE_HANDSHAKE, 76561198000000002ULL },
                { LOGLINE_CHARACTER, 0, "Freya Ironside" },
                { LOGLINE_CHARACTER, 0, "Ragnar" },     /* died */
                { LOGLINE_CHARACTER, 0, "Ragnar" },     /* respawned */
                { LOGLINE_STEAM_CONNECTED, 76561198000000003ULL },
                { LOGLINE_HANDSHAKE, 76561198000000003ULL },
                { LOGLINE_WRONG_PASSWORD, 76561198000000003ULL },
                { LOGLINE_STEAM_CLOSED, 76561198000000003ULL },
                { LOGLINE_STEAM_CLOSED, 76561198000000001ULL },
                { LOGLINE_STEAM_CLOSED, 76561198000000002ULL },
        };

        check_file("valheim-steam.log", expect, ELEMENTSOF(expect));
}

static void test_sample_crossplay(void **state) {
        static const Expect expect[] = {
                { LOGLINE_SERVER_READY },
                { LOGLINE_CROSSPLAY_JOINED, 0, NULL, 1 },
                { LOGLINE_CHARACTER, 0, "Ragnar" },
                { LOGLINE_CROSSPLAY_JOINED, 0, NULL, 2 },
                { LOGLINE_CHARACTER, 0, "Astrid" },
                { LOGLINE_CHARACTER, 0, "Ragnar" },
                { LOGLINE_CHARACTER, 0, "Ragnar" },
                { LOGLINE_CROSSPLAY_LEFT, 0, NULL, 1 },
                { LOGLINE_CROSSPLAY_LEFT, 0, NULL, 0 },
        };

        check_file("valheim-crossplay.log", expect, ELEMENTSOF(expect));
}

static void test_sample_garbage(void **state) {
        /* only the two character lines count, with their names made harmless */
        static const Expect expect[] = {
                { LOGLINE_CHARACTER, 0, "Got connection SteamID 1" },
                { LOGLINE_CHARACTER, 0, "?[31mEvil???" },
        };

        check_file("valheim-garbage.log", expect, ELEMENTSOF(expect));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_steam_lines),
                cmocka_unit_test(test_character_lines),
                cmocka_unit_test(test_name_sanitized),
                cmocka_unit_test(test_crossplay_lines),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_overlong),
                cmocka_unit_test(test_sample_steam),
                cmocka_unit_test(test_sample_crossplay),
                cmocka_unit_test(test_sample_garbage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
