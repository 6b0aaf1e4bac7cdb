/* SPDX-License-Identifier: MIT */
/*
 * Discord side of the Lambda: Ed25519 verification against vectors computed
 * once with PyNaCl (RFC 8032 test 1's secret key), interaction parsing,
 * function URL events and the messages built from a Reply.
 */
#include <sodium.h>
#include <string.h>

#include "common/parse.h"
#include "lambda/agent-client.h"
#include "lambda/discord.h"
#include "lambda/env.h"
#include "lambda/event.h"
#include "tests/unit/unit.h"

#define U(s) ((const uint8_t *) (s)), (sizeof(s) - 1)
#define S(s) (s), (sizeof(s) - 1)

/* nacl.signing.SigningKey(bytes.fromhex("9d61b19d...7f60")); ts = "1733324400". */
static const char pk_hex[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char sig_ping[] =
        "771193f66909135fd462e0307caa55365723f808f7911c5bad929b78d8e0d3cf"
        "188fdf0a61a7d7e285831989ac44784e02d99752ce442ba009e541b2c4cbb70e";
static const char sig_status[] =
        "bf33596016853fc31d7e7fc6a35b413a151fdad9f5347f8150cb8c4e128ccc12"
        "a03e36f34167a177780bede013ec2d6952765b1bc5610b25a464c819111b6907";
static const char sig_empty[] =
        "0cca4b53ed25ac0b223fa3cb8b76ee5fba70c20ee35f0128d5a10518d3d752d9"
        "cbe43042fb78b70fa9db4bec3af7ece4c1b13228b4ef494c55c9b7f0052ac002";

static uint8_t pk[32];

static int setup(void **state) {
        assert_true(sodium_init() >= 0);
        assert_int_equal(parse_hex(pk_hex, pk, sizeof pk), 0);
        return 0;
}

static void test_verify(void **state) {
        char bad[sizeof sig_ping];

        assert_int_equal(discord_verify(pk, sig_ping, "1733324400", U("{\"type\":1}")), 0);
        assert_int_equal(discord_verify(pk, sig_status, "1733324400", U("{\"type\":2,\"data\":{\"name\":\"server-status\"}}")), 0);
        assert_int_equal(discord_verify(pk, sig_empty, "1733324400", NULL, 0), 0);

        /* Other body, other timestamp, other key, swapped signatures. */
        assert_int_equal(discord_verify(pk, sig_ping, "1733324400", U("{\"type\":1} ")), -EACCES);
        assert_int_equal(discord_verify(pk, sig_ping, "1733324401", U("{\"type\":1}")), -EACCES);
        assert_int_equal(discord_verify(pk, sig_status, "1733324400", U("{\"type\":1}")), -EACCES);
        pk[0] ^= 1;
        assert_int_equal(discord_verify(pk, sig_ping, "1733324400", U("{\"type\":1}")), -EACCES);
        pk[0] ^= 1;
        memcpy(bad, sig_ping, sizeof bad);
        bad[10] = bad[10] == '0' ? '1' : '0';
        assert_int_equal(discord_verify(pk, bad, "1733324400", U("{\"type\":1}")), -EACCES);

        /* Malformed inputs are refusals, not crashes. */
        assert_int_equal(discord_verify(pk, NULL, "1733324400", U("{\"type\":1}")), -EACCES);
        assert_int_equal(discord_verify(pk, sig_ping, NULL, U("{\"type\":1}")), -EACCES);
        assert_int_equal(discord_verify(pk, sig_ping, "", U("{\"type\":1}")), -EACCES);
        assert_int_equal(discord_verify(pk, "abcd", "1733324400", U("{\"type\":1}")), -EACCES);
        memset(bad, 'z', sizeof bad - 1);
        assert_int_equal(discord_verify(pk, bad, "1733324400", U("{\"type\":1}")), -EACCES);
}

static void test_parse_command(void **state) {
        static const char body[] =
                "{\"type\":2,\"id\":\"1\",\"token\":\"t\",\"data\":{\"id\":\"9\",\"name\":\"stop-server\",\"type\":1,"
                "\"options\":[{\"name\":\"world\",\"type\":3,\"value\":\"Midgard\"},"
                "{\"name\":\"force\",\"type\":5,\"value\":true},{\"name\":\"other\",\"type\":4,\"value\":3}]},"
                "\"member\":{\"user\":{\"id\":\"42\",\"username\":\"ragnar\"},\"roles\":[\"7\",\"8\"]}}";
        char *ops[] = { "8", NULL }, *other[] = { "9", NULL }, *none[] = { NULL };
        Interaction i = {};

        assert_int_equal(interaction_parse(U(body), &i), 0);
        assert_int_equal(i.type, INTERACTION_APPLICATION_COMMAND);
        assert_string_equal(i.command, "stop-server");
        assert_string_equal(i.world, "Midgard");
        assert_true(i.force);
        assert_string_equal(i.user_id, "42");
        assert_string_equal(i.roles[0], "7");
        assert_string_equal(i.roles[1], "8");
        assert_null(i.roles[2]);
        assert_true(interaction_is_operator(&i, ops));
        assert_false(interaction_is_operator(&i, other));
        assert_true(interaction_is_operator(&i, none));
        assert_true(interaction_is_operator(&i, NULL));
        interaction_done(&i);
}

static void test_parse_autocomplete_and_ping(void **state) {
        Interaction i = {};

        assert_int_equal(interaction_parse(U("{\"type\":4,\"data\":{\"name\":\"start-server\",\"options\":"
                                             "[{\"name\":\"world\",\"type\":3,\"value\":\"Mid\",\"focused\":true}]},"
                                             "\"user\":{\"id\":\"5\"}}"), &i), 0);
        assert_int_equal(i.type, INTERACTION_AUTOCOMPLETE);
        assert_string_equal(i.focused, "world");
        assert_string_equal(i.focused_value, "Mid");
        assert_string_equal(i.user_id, "5");
        assert_null(i.roles[0]);
        interaction_done(&i);

        assert_int_equal(interaction_parse(U("{\"type\":1}"), &i), 0);
        assert_int_equal(i.type, INTERACTION_PING);
        assert_null(i.command);
        interaction_done(&i);
}

static void test_parse_malformed(void **state) {
        static const char *const bad[] = {
                "", "{", "[]", "{\"type\":\"1\"}", "{\"type\":0}", "{\"type\":1,\"type\":1}",
                "{\"type\":2}", "{\"type\":2,\"data\":{\"name\":5}}",
                "{\"type\":2,\"data\":{\"name\":\"x\",\"options\":{}}}",
                "{\"type\":2,\"data\":{\"name\":\"x\",\"options\":[{\"name\":\"world\",\"value\":1}]}}",
                "{\"type\":2,\"data\":{\"name\":\"x\",\"options\":[{\"name\":\"force\",\"value\":\"yes\"}]}}",
                "{\"type\":2,\"data\":{\"name\":\"x\"},\"member\":{\"roles\":[1]}}",
        };
        Interaction i = { .type = 77 };

        for (size_t k = 0; k < ELEMENTSOF(bad); k++)
                assert_int_equal(interaction_parse((const uint8_t *) bad[k], strlen(bad[k]), &i), -EBADMSG);
        assert_int_equal(i.type, 77);
}

static void test_event(void **state) {
        FunctionUrlEvent e = {};

        assert_int_equal(function_url_event_parse(
                                 U("{\"version\":\"2.0\",\"rawPath\":\"/\",\"headers\":{\"x-signature-ed25519\":\"ab\","
                                   "\"x-signature-timestamp\":\"17\"},\"requestContext\":{\"http\":{\"method\":\"POST\"}},"
                                   "\"body\":\"eyJ0eXBlIjoxfQ==\",\"isBase64Encoded\":true}"),
                                 1024, &e), 0);
        assert_string_equal(e.method, "POST");
        assert_string_equal(e.raw_path, "/");
        assert_string_equal(e.signature, "ab");
        assert_string_equal(e.timestamp, "17");
        assert_int_equal(e.body_len, 10);
        assert_memory_equal(e.body, "{\"type\":1}", 10);
        function_url_event_done(&e);

        /* No body, no headers: an empty body, not an error (the signature check refuses it). */
        assert_int_equal(function_url_event_parse(U("{}"), 1024, &e), 0);
        assert_int_equal(e.body_len, 0);
        assert_null(e.signature);
        function_url_event_done(&e);

        assert_int_equal(function_url_event_parse(U("{\"body\":\"12345\"}"), 4, &e), -EFBIG);
        assert_int_equal(function_url_event_parse(U("{\"body\":\"MTIzNDU2Nzg=\",\"isBase64Encoded\":true}"), 4, &e), -EFBIG);
        assert_int_equal(function_url_event_parse(U("{\"body\":\"!!!!\",\"isBase64Encoded\":true}"), 64, &e), -EBADMSG);
        assert_int_equal(function_url_event_parse(U("{\"body\":5}"), 64, &e), -EBADMSG);
        assert_int_equal(function_url_event_parse(U("{\"headers\":[]}"), 64, &e), -EBADMSG);
        assert_int_equal(function_url_event_parse(U("nope"), 64, &e), -EBADMSG);
}

static void test_response(void **state) {
        char *s = NULL;

        assert_int_equal(function_url_response(200, "{\"type\":1}", &s), 0);
        assert_string_equal(s, "{\"statusCode\":200,\"headers\":{\"content-type\":\"application/json\"},"
                               "\"body\":\"{\\\"type\\\":1}\"}");
        free(s);
        assert_int_equal(function_url_error_response(401, "invalid request signature", &s), 0);
        assert_non_null(strstr(s, "\"statusCode\":401"));
        free(s);
}

static void test_reply_embed(void **state) {
        char *names[] = { strdup("Ragnar"), strdup("Freya"), NULL };
        Reply r = REPLY_INIT;
        json_t *j, *embed, *fields;
        char *text = NULL;

        assert_int_equal(reply_set(&r, REPLY_RUNNING, false, "Midgard is running", "Join at %s.", "the address"), 0);
        r.address = strdup("203.0.113.10:2456");
        r.players = 2;
        r.player_names = calloc(3, sizeof(char *));
        memcpy(r.player_names, names, sizeof names);
        r.has_uptime = true;
        r.uptime_sec = 3720;
        r.stop_at = 1733325000;

        j = discord_reply_to_json(&r);
        assert_non_null(j);
        assert_int_equal(json_integer_value(json_object_get(j, "type")), 4);
        assert_null(json_object_get(json_object_get(j, "data"), "flags"));
        embed = json_array_get(json_object_get(json_object_get(j, "data"), "embeds"), 0);
        assert_string_equal(json_string_value(json_object_get(embed, "title")), "Midgard is running");
        assert_string_equal(json_string_value(json_object_get(embed, "description")), "Join at the address.");
        assert_int_equal(json_integer_value(json_object_get(embed, "color")), 0x2ecc71);
        fields = json_object_get(embed, "fields");
        assert_int_equal(json_array_size(fields), 4);
        assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 0), "value")), "`203.0.113.10:2456`");
        assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 1), "value")), "• Ragnar\n• Freya");
        assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 2), "value")), "1 h 2 min");
        assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 3), "value")), "<t:1733325000:R>");
        json_decref(j);

        assert_int_equal(reply_to_text(&r, 1733325000 - 600, &text), 0);
        assert_string_equal(text, "Midgard is running\nJoin at the address.\nAddress:   203.0.113.10:2456\n"
                                  "Players:\n• Ragnar\n• Freya\nUptime:    1 h 2 min\nIdle stop: in 10 min\n");
        free(text);

        /* Errors are ephemeral and red. */
        assert_int_equal(reply_set(&r, REPLY_ERROR, true, "Not allowed", "No."), 0);
        j = discord_reply_to_json(&r);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "data"), "flags")), 64);
        json_decref(j);
        assert_int_not_equal(reply_tone_colour(REPLY_RUNNING), reply_tone_colour(REPLY_STOPPED));
        assert_int_not_equal(reply_tone_colour(REPLY_STARTING), reply_tone_colour(REPLY_STOPPING));
        reply_done(&r);
}

static void test_autocomplete_json(void **state) {
        char *choices[30];
        json_t *j;
        char *s;

        for (size_t k = 0; k < 29; k++)
                assert_true(asprintf(&choices[k], "w%02zu", k) > 0);
        choices[29] = NULL;
        j = discord_autocomplete_to_json(choices);
        assert_int_equal(json_integer_value(json_object_get(j, "type")), 8);
        assert_int_equal(json_array_size(json_object_get(json_object_get(j, "data"), "choices")), 25);
        json_decref(j);
        for (size_t k = 0; k < 29; k++)
                free(choices[k]);

        /* Over-long strings are cut (at a character boundary) or, for choices, left out. */
        {
                char long_name[300], *one[] = { long_name, (char *) "Midgard", NULL };
                Reply r = REPLY_INIT;
                const char *title;

                memset(long_name, 'a', sizeof long_name - 3);
                memcpy(long_name + 255, "\xc3\xa9", 2); /* é across the 256-byte cut */
                long_name[sizeof long_name - 1] = 0;
                assert_int_equal(reply_set(&r, REPLY_INFO, false, long_name, "x"), 0);
                j = discord_reply_to_json(&r);
                title = json_string_value(json_object_get(
                        json_array_get(json_object_get(json_object_get(j, "data"), "embeds"), 0), "title"));
                assert_int_equal(strlen(title), 255);
                json_decref(j);
                reply_done(&r);

                j = discord_autocomplete_to_json(one);
                assert_int_equal(json_array_size(json_object_get(json_object_get(j, "data"), "choices")), 1);
                json_decref(j);
        }

        j = discord_autocomplete_to_json(NULL);
        s = json_dumps(j, JSON_COMPACT);
        assert_string_equal(s, "{\"type\":8,\"data\":{\"choices\":[]}}");
        free(s);
        json_decref(j);
}

static void test_agent_answers(void **state) {
        AgentStatus s = {};
        char **names = NULL;

        assert_int_equal(agent_status_parse(S("{\"players\":2,\"ready\":true,\"uptime\":61,"
                                              "\"watchdog\":{\"state\":\"idle\",\"stop_at\":1733325000}}"), &s), 0);
        assert_int_equal(s.players, 2);
        assert_true(s.ready);
        assert_true(s.has_uptime);
        assert_int_equal(s.uptime_sec, 61);
        assert_string_equal(s.watchdog, "idle");
        assert_int_equal(s.stop_at, 1733325000);
        agent_status_done(&s);

        assert_int_equal(agent_status_parse(S("{\"watchdog\":\"active\",\"stop_at\":\"2026-12-04T16:00:00Z\"}"), &s), 0);
        assert_int_equal(s.players, -1);
        assert_false(s.has_uptime);
        assert_int_equal(s.stop_at, 1796400000);
        agent_status_done(&s);
        assert_int_equal(agent_status_parse(S("[]"), &s), -EBADMSG);

        /* As sigrun-agent sends it: the count, then the list. */
        assert_int_equal(agent_players_parse(S("{\"players\":2,\"list\":[{\"name\":\"Ragnar\",\"since\":"
                                               "\"2026-12-04T15:00:00Z\",\"sources\":[\"log\"]},{\"name\":null,"
                                               "\"since\":\"2026-12-04T15:01:00Z\",\"sources\":[\"capture\"]}],"
                                               "\"sources\":[]}"), &names), 0);
        assert_string_equal(names[0], "Ragnar");
        assert_string_equal(names[1], "unknown player");
        assert_null(names[2]);
        strv_free(names);
        assert_int_equal(agent_players_parse(S("{\"players\":3}"), &names), -EBADMSG);
}

static void test_env_file(void **state) {
        char path[] = "/tmp/test-discord-env-XXXXXX";
        LambdaConfig c = {};
        char *error = NULL;
        unsigned line = 0;
        FILE *f;
        int fd;

        fd = mkstemp(path);
        assert_true(fd >= 0);
        f = fdopen(fd, "w");
        fputs("# settings\n\nDISCORD_PUBLIC_KEY=d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n"
              "export SIGRUN_OPERATOR_ROLES=\"11, 22,33\"\nSIGRUN_AGENT_PORT='9000'\nSIGRUN_WORLD_TAG=from-file\n", f);
        fclose(f);
        unsetenv("DISCORD_PUBLIC_KEY");
        unsetenv("SIGRUN_OPERATOR_ROLES");
        unsetenv("SIGRUN_AGENT_PORT");
        setenv("SIGRUN_WORLD_TAG", "from-env", 1);
        setenv("SIGRUN_DISCORD_API", "http://127.0.0.1:1/api/", 1);
        assert_int_equal(env_file_load(path, &line), 0);
        assert_int_equal(lambda_config_load(&c, true, &error), 0);
        assert_true(c.has_public_key);
        assert_memory_equal(c.public_key, pk, 32);
        assert_int_equal(c.agent_port, 9000);
        assert_string_equal(c.world_tag, "from-env"); /* the environment wins */
        assert_string_equal(c.discord_api, "http://127.0.0.1:1/api");
        assert_string_equal(c.operator_roles[0], "11");
        assert_string_equal(c.operator_roles[1], "22");
        assert_string_equal(c.operator_roles[2], "33");
        assert_null(c.operator_roles[3]);
        lambda_config_done(&c);

        setenv("SIGRUN_AGENT_PORT", "70000", 1);
        assert_int_equal(lambda_config_load(&c, true, &error), -EINVAL);
        assert_string_equal(error, "SIGRUN_AGENT_PORT: not a port number (1-65535)");
        free(error);
        unsetenv("SIGRUN_AGENT_PORT");
        setenv("DISCORD_PUBLIC_KEY", "d75a98", 1);
        assert_int_equal(lambda_config_load(&c, true, &error), -EINVAL);
        assert_string_equal(error, "DISCORD_PUBLIC_KEY: not 64 hex digits");
        free(error);
        unsetenv("DISCORD_PUBLIC_KEY");
        assert_int_equal(lambda_config_load(&c, true, &error), -EINVAL);
        free(error);
        assert_int_equal(lambda_config_load(&c, false, NULL), 0);
        assert_false(c.has_public_key);
        lambda_config_done(&c);

        f = fopen(path, "w");
        fputs("GOOD=1\nthis is not an assignment\n", f);
        fclose(f);
        assert_int_equal(env_file_load(path, &line), -EINVAL);
        assert_int_equal(line, 2);
        unlink(path);
        assert_int_equal(env_file_load(path, &line), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verify),
                cmocka_unit_test(test_parse_command),
                cmocka_unit_test(test_parse_autocomplete_and_ping),
                cmocka_unit_test(test_parse_malformed),
                cmocka_unit_test(test_event),
                cmocka_unit_test(test_response),
                cmocka_unit_test(test_reply_embed),
                cmocka_unit_test(test_autocomplete_json),
                cmocka_unit_test(test_agent_answers),
                cmocka_unit_test(test_env_file),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
