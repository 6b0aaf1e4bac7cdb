/* SPDX-License-Identifier: MIT */
#include <string.h>
#include "tests/unit/unit.h"

#include "common/conf.h"

typedef struct Settings {
        char *name;
        bool public;
        uint64_t port;
        usec_t idle;
        uint64_t body_max;
        int action;
        char **listen;
        uint8_t key[4];
} Settings;

static const char *const actions[] = { "poweroff", "ec2-stop", "exec", "none", NULL };

static int parse_key(const ConfKey *k, const char *value, void *field, char **ret_message) {
        uint8_t *key = field;
        if (strlen(value) != 8) {
                *ret_message = strdup("must be 8 hex digits");
                return -EINVAL;
        }
        for (int i = 0; i < 4; i++) {
                unsigned v;
                if (sscanf(value + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                key[i] = (uint8_t) v;
        }
        return 0;
}

static const ConfKey table[] = {
        { "world.name", CONF_STRING, offsetof(Settings, name), 1, 32, "Dedicated", "World name" },
        { "world.public", CONF_BOOL, offsetof(Settings, public), 0, 0, "false", "List publicly" },
        { "game.port", CONF_UINT, offsetof(Settings, port), 1, 65535, "2456", "UDP port" },
        { "watchdog.idle_timeout", CONF_DURATION, offsetof(Settings, idle), USEC_PER_MINUTE, USEC_PER_DAY, "10min", "Idle time" },
        { "api.body_max", CONF_SIZE, offsetof(Settings, body_max), 1, 1 << 20, "4K", "Body limit" },
        { "watchdog.action", CONF_ENUM, offsetof(Settings, action), 0, 0, "poweroff", "Action", actions },
        { "api.listen", CONF_STRV, offsetof(Settings, listen), 0, 0, "0.0.0.0:8456 [::]:8456", "Listen addresses" },
        { "api.key", CONF_CUSTOM, offsetof(Settings, key), 0, 0, NULL, "Key", NULL, parse_key },
};

static int load(Settings *s, const char *text, ConfErrors *errors) {
        *s = (Settings) {};
        assert_int_equal(conf_set_defaults(table, ELEMENTSOF(table), s), 0);
        return conf_load_string(table, ELEMENTSOF(table), s, "agent.yaml", text, strlen(text), errors);
}

static char *errors_text(const ConfErrors *errors) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        conf_errors_print(errors, f);
        fclose(f);
        return buf;
}

static void test_defaults(void **state) {
        ConfErrors errors = {};
        Settings s;

        assert_int_equal(load(&s, "", &errors), 0);
        assert_int_equal(errors.n, 0);
        assert_string_equal(s.name, "Dedicated");
        assert_false(s.public);
        assert_int_equal(s.port, 2456);
        assert_true(s.idle == 10 * USEC_PER_MINUTE);
        assert_int_equal(s.body_max, 4096);
        assert_int_equal(s.action, 0);
        /* a list's default holds its items separated by spaces */
        assert_string_equal(s.listen[0], "0.0.0.0:8456");
        assert_string_equal(s.listen[1], "[::]:8456");
        assert_null(s.listen[2]);
        conf_free(table, ELEMENTSOF(table), &s);
}

static void test_values(void **state) {
        ConfErrors errors = {};
        Settings s;

        assert_int_equal(load(&s,
                              "world:\n"
                              "  name: Midgard\n"
                              "  public: yes\n"
                              "game: {port: 2460}\n"
                              "watchdog:\n"
                              "  idle_timeout: 1h 30min\n"
                              "  action: ec2-stop\n"
                              "api:\n"
                              "  listen: [\"127.0.0.1:9000\", \"[::1]:9000\"]\n"
                              "  key: deadbeef\n"
                              "  body_max: 8K\n",
                              &errors),
                         0);
        assert_string_equal(s.name, "Midgard");
        assert_true(s.public);
        assert_int_equal(s.port, 2460);
        assert_true(s.idle == 90 * USEC_PER_MINUTE);
        assert_int_equal(s.action, 1);
        assert_string_equal(s.listen[0], "127.0.0.1:9000");
        assert_string_equal(s.listen[1], "[::1]:9000");
        assert_null(s.listen[2]);
        assert_int_equal(s.key[0], 0xde);
        assert_int_equal(s.body_max, 8192);
        conf_free(table, ELEMENTSOF(table), &s);
}

/* Every error at once, each with its position and key. */
static void test_all_errors_reported(void **state) {
        ConfErrors errors = {};
        _cleanup_free_ char *text = NULL;
        Settings s;

        assert_int_equal(load(&s,
                              "world:\n"
                              "  name: \"\"\n"
                              "  public: perhaps\n"
                              "game:\n"
                              "  port: 70000\n"
                              "  color: blue\n"
                              "watchdog:\n"
                              "  idle_timeout: 10 parsecs\n"
                              "  action: reboot\n"
                              "api: 5\n"
                              "game:\n"
                              "  port: 1\n",
                              &errors),
                         -EINVAL);
        text = errors_text(&errors);
        assert_string_equal(text,
                            "agent.yaml:2:9: world.name: must not be shorter than 1 characters\n"
                            "agent.yaml:3:11: world.public: expected true or false, got \"perhaps\"\n"
                            "agent.yaml:5:9: game.port: 70000 is out of range 1..65535\n"
                            "agent.yaml:6:3: game.color: unknown key\n"
                            "agent.yaml:8:17: watchdog.idle_timeout: expected a duration such as 30s, 10min or 2h, got \"10 parsecs\"\n"
                            "agent.yaml:9:11: watchdog.action: \"reboot\" is not one of: poweroff, ec2-stop, exec, none\n"
                            "agent.yaml:10:6: api: expected a mapping of settings, got a value\n"
                            "agent.yaml:11:1: game: duplicate key\n");
        /* bad values leave the defaults in place */
        assert_int_equal(s.port, 2456);
        assert_string_equal(s.name, "Dedicated");
        conf_errors_free(&errors);
        conf_free(table, ELEMENTSOF(table), &s);
}

static void test_syntax_error_position(void **state) {
        ConfErrors errors = {};
        _cleanup_free_ char *text = NULL;
        Settings s;

        assert_int_equal(load(&s, "world:\n  name: [unclosed\n", &errors), -EINVAL);
        assert_int_equal(errors.n, 1);
        assert_int_equal(errors.items[0].line, 3);
        text = errors_text(&errors);
        assert_non_null(strstr(text, "agent.yaml:3:1: YAML syntax error: "));
        conf_errors_free(&errors);
        conf_free(table, ELEMENTSOF(table), &s);
}

static void test_custom_and_types(void **state) {
        ConfErrors errors = {};
        _cleanup_free_ char *text = NULL;
        Settings s;

        assert_int_equal(load(&s, "api:\n  key: abc\n  listen: {a: b}\n  body_max: 2M\n- x\n", &errors), -EINVAL);
        conf_errors_free(&errors);
        conf_free(table, ELEMENTSOF(table), &s);

        assert_int_equal(load(&s, "api:\n  key: abc\n  listen: {a: b}\n  body_max: 2M\n", &errors), -EINVAL);
        text = errors_text(&errors);
        assert_string_equal(text,
                            "agent.yaml:2:8: api.key: must be 8 hex digits\n"
                            "agent.yaml:3:11: api.listen: expected a list, got a mapping\n"
                            "agent.yaml:4:13: api.body_max: 2M is out of range 1..1048576 bytes\n");
        conf_errors_free(&errors);
        conf_free(table, ELEMENTSOF(table), &s);
}

static void test_root_must_be_mapping(void **state) {
        ConfErrors errors = {};
        Settings s;

        assert_int_equal(load(&s, "- a\n- b\n", &errors), -EINVAL);
        assert_int_equal(errors.n, 1);
        assert_string_equal(errors.items[0].message, "the configuration must be a mapping of settings");
        conf_errors_free(&errors);
        conf_free(table, ELEMENTSOF(table), &s);
}

static void test_missing_file(void **state) {
        ConfErrors errors = {};
        Settings s = {};

        assert_int_equal(conf_load_file(table, ELEMENTSOF(table), &s, "/nonexistent/agent.yaml", &errors), -ENOENT);
        assert_int_equal(errors.n, 1);
        assert_string_equal(errors.items[0].message, "cannot open: No such file or directory");
        conf_errors_free(&errors);
}

static void test_help_lists_every_key(void **state) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        conf_print_help(table, ELEMENTSOF(table), f);
        fclose(f);
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                assert_non_null(strstr(buf, table[i].name));
        assert_non_null(strstr(buf, "watchdog.action (one of poweroff|ec2-stop|exec|none, default: poweroff)"));
        free(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_all_errors_reported),
                cmocka_unit_test(test_syntax_error_position),
                cmocka_unit_test(test_custom_and_types),
                cmocka_unit_test(test_root_must_be_mapping),
                cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_help_lists_every_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
