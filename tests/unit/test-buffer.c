/* SPDX-License-Identifier: MIT */
#include <string.h>
#include "tests/unit/unit.h"

#include "common/buffer.h"

static void test_append_within_cap(void **state) {
        _cleanup_(buffer_free) Buffer b = BUFFER_INIT(10);

        assert_int_equal(buffer_append(&b, "hello", 5), 0);
        assert_int_equal(buffer_append(&b, "world", 5), 0);
        assert_int_equal(b.len, 10);
        assert_memory_equal(b.data, "helloworld", 10);
        assert_int_equal(buffer_terminate(&b), 0);
        assert_string_equal((char *) b.data, "helloworld");
}

static void test_cap_refuses_and_keeps_contents(void **state) {
        _cleanup_(buffer_free) Buffer b = BUFFER_INIT(8);

        assert_int_equal(buffer_append(&b, "12345", 5), 0);
        assert_int_equal(buffer_append(&b, "6789", 4), -ENOBUFS);
        assert_int_equal(b.len, 5);
        assert_memory_equal(b.data, "12345", 5);
        assert_int_equal(buffer_append(&b, "678", 3), 0);
        assert_int_equal(buffer_append_byte(&b, '9'), -ENOBUFS);
        assert_int_equal(b.len, 8);
        /* a huge length must not overflow the check */
        assert_int_equal(buffer_append(&b, "x", SIZE_MAX), -ENOBUFS);
        assert_true(b.cap <= 9);
}

static void test_consume_and_steal(void **state) {
        _cleanup_(buffer_free) Buffer b = BUFFER_INIT(1024);
        _cleanup_free_ char *s = NULL;

        assert_int_equal(buffer_append(&b, "line1\nline2", 11), 0);
        buffer_consume(&b, 6);
        assert_int_equal(b.len, 5);
        assert_memory_equal(b.data, "line2", 5);
        s = buffer_steal_string(&b);
        assert_string_equal(s, "line2");
        assert_null(b.data);
        assert_int_equal(b.len, 0);
        buffer_consume(&b, 100);
        assert_int_equal(b.len, 0);
}

static void test_growth(void **state) {
        _cleanup_(buffer_free) Buffer b = BUFFER_INIT(100000);

        for (int i = 0; i < 100000; i++)
                assert_int_equal(buffer_append_byte(&b, (uint8_t) i), 0);
        assert_int_equal(b.len, 100000);
        assert_int_equal(b.data[99999], (uint8_t) 99999);
        assert_int_equal(buffer_append_byte(&b, 0), -ENOBUFS);
        buffer_clear(&b);
        assert_int_equal(b.len, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_append_within_cap),
                cmocka_unit_test(test_cap_refuses_and_keeps_contents),
                cmocka_unit_test(test_consume_and_steal),
                cmocka_unit_test(test_growth),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
