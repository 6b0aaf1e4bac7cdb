/* SPDX-License-Identifier: MIT */
#include "tests/unit/unit.h"

#include "common/parse.h"

static void test_uint64(void **state) {
        uint64_t v = 7;

        assert_int_equal(parse_uint64("0", 0, 10, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_uint64("18446744073709551615", 0, UINT64_MAX, &v), 0);
        assert_true(v == UINT64_MAX);
        v = 7;
        assert_int_equal(parse_uint64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
        assert_int_equal(parse_uint64("11", 0, 10, &v), -ERANGE);
        assert_int_equal(parse_uint64("-1", 0, 10, &v), -EINVAL);
        assert_int_equal(parse_uint64(" 1", 0, 10, &v), -EINVAL);
        assert_int_equal(parse_uint64("1x", 0, 10, &v), -EINVAL);
        assert_int_equal(parse_uint64("", 0, 10, &v), -EINVAL);
        assert_int_equal(parse_uint64(NULL, 0, 10, &v), -EINVAL);
        /* untouched on failure */
        assert_int_equal(v, 7);
}

static void test_int64(void **state) {
        int64_t v = 0;

        assert_int_equal(parse_int64("-5", -10, 10, &v), 0);
        assert_int_equal(v, -5);
        assert_int_equal(parse_int64("+5", -10, 10, &v), 0);
        assert_int_equal(v, 5);
        assert_int_equal(parse_int64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
        assert_true(v == INT64_MIN);
        assert_int_equal(parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &v), -ERANGE);
        assert_int_equal(parse_int64("-11", -10, 10, &v), -ERANGE);
        assert_int_equal(parse_int64("--1", -10, 10, &v), -EINVAL);
}

static void test_bool(void **state) {
        bool b = false;

        assert_int_equal(parse_bool("yes", &b), 0);
        assert_true(b);
        assert_int_equal(parse_bool("OFF", &b), 0);
        assert_false(b);
        assert_int_equal(parse_bool("true", &b), 0);
        assert_true(b);
        assert_int_equal(parse_bool("maybe", &b), -EINVAL);
        assert_true(b);
}

static void test_duration(void **state) {
        usec_t t = 0;

        assert_int_equal(parse_duration("30", 0, USEC_INFINITY, &t), 0);
        assert_true(t == 30 * USEC_PER_SEC);
        assert_int_equal(parse_duration("10min", 0, USEC_INFINITY, &t), 0);
        assert_true(t == 10 * USEC_PER_MINUTE);
        assert_int_equal(parse_duration("1h30m", 0, USEC_INFINITY, &t), 0);
        assert_true(t == 90 * USEC_PER_MINUTE);
        assert_int_equal(parse_duration("1h 30min 5s", 0, USEC_INFINITY, &t), 0);
        assert_true(t == 90 * USEC_PER_MINUTE + 5 * USEC_PER_SEC);
        assert_int_equal(parse_duration("250ms", 0, USEC_INFINITY, &t), 0);
        assert_true(t == 250 * USEC_PER_MSEC);
        assert_int_equal(parse_duration("2d", 0, USEC_INFINITY, &t), 0);
        assert_true(t == 2 * USEC_PER_DAY);
        t = 1;
        assert_int_equal(parse_duration("10 min", 0, USEC_INFINITY, &t), -EINVAL);
        assert_int_equal(parse_duration("5 5", 0, USEC_INFINITY, &t), -EINVAL);
        assert_int_equal(parse_duration("5parsecs", 0, USEC_INFINITY, &t), -EINVAL);
        assert_int_equal(parse_duration("", 0, USEC_INFINITY, &t), -EINVAL);
        assert_int_equal(parse_duration("h", 0, USEC_INFINITY, &t), -EINVAL);
        assert_int_equal(parse_duration("3h", 0, 2 * USEC_PER_HOUR, &t), -ERANGE);
        assert_int_equal(parse_duration("1s", USEC_PER_MINUTE, USEC_INFINITY, &t), -ERANGE);
        assert_int_equal(parse_duration("99999999999999999999d", 0, USEC_INFINITY, &t), -ERANGE);
        assert_int_equal(parse_duration("999999999999d", 0, USEC_INFINITY, &t), -ERANGE);
        assert_true(t == 1);
}

static void test_size(void **state) {
        uint64_t v = 0;

        assert_int_equal(parse_size("4096", 0, UINT64_MAX, &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(parse_size("4K", 0, UINT64_MAX, &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(parse_size("8MiB", 0, UINT64_MAX, &v), 0);
        assert_int_equal(v, 8 << 20);
        assert_int_equal(parse_size("1MB", 0, UINT64_MAX, &v), 0);
        assert_int_equal(v, 1000000);
        assert_int_equal(parse_size("4Q", 0, UINT64_MAX, &v), -EINVAL);
        assert_int_equal(parse_size("5K", 0, 4096, &v), -ERANGE);
}

static void test_hex(void **state) {
        uint8_t buf[4] = {};

        assert_int_equal(parse_hex("deadBEEF", buf, 4), 0);
        assert_int_equal(buf[0], 0xde);
        assert_int_equal(buf[3], 0xef);
        assert_int_equal(parse_hex("deadbee", buf, 4), -EINVAL);
        assert_int_equal(parse_hex("deadbeefaa", buf, 4), -EINVAL);
        assert_int_equal(parse_hex("deadbeeg", buf, 4), -EINVAL);
}

static void test_format_duration(void **state) {
        char buf[FORMAT_DURATION_MAX];

        assert_string_equal(format_duration(buf, sizeof(buf), 0), "0s");
        assert_string_equal(format_duration(buf, sizeof(buf), 72 * USEC_PER_MINUTE), "1h 12min");
        assert_string_equal(format_duration(buf, sizeof(buf), 45 * USEC_PER_SEC + 300), "45s");
        assert_string_equal(format_duration(buf, sizeof(buf), USEC_PER_DAY + 1 * USEC_PER_SEC), "1d 1s");
        assert_string_equal(format_duration(buf, sizeof(buf), USEC_INFINITY), "infinity");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_uint64),   cmocka_unit_test(test_int64),
                cmocka_unit_test(test_bool),     cmocka_unit_test(test_duration),
                cmocka_unit_test(test_size),     cmocka_unit_test(test_hex),
                cmocka_unit_test(test_format_duration),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
