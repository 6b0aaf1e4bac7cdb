/* SPDX-License-Identifier: MIT */
#include <string.h>
#include "tests/unit/unit.h"

#include "common/log.h"

/* Capture what log_*() writes to stderr. */
static char *capture_stderr(void (*fn)(void)) {
        char *out = calloc(1, 4096);
        int saved = dup(STDERR_FILENO);
        FILE *tmp = tmpfile();

        assert_non_null(tmp);
        fflush(stderr);
        dup2(fileno(tmp), STDERR_FILENO);
        fn();
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        rewind(tmp);
        (void) !fread(out, 1, 4095, tmp);
        fclose(tmp);
        return out;
}

static int returned;

static void log_enoent(void) {
        returned = log_error_errno(ENOENT, "Failed to open %s: %m", "/nope");
}

static void test_errno_return_and_percent_m(void **state) {
        _cleanup_free_ char *out = NULL;

        log_set_target(LOG_TARGET_STDERR);
        log_set_max_level(LOG_INFO);
        out = capture_stderr(log_enoent);
        assert_int_equal(returned, -ENOENT);
        assert_string_equal(out, "Failed to open /nope: No such file or directory\n");
}

static void log_negative(void) {
        returned = log_warning_errno(-EPERM, "denied: %m");
}

static void test_negative_errno_accepted(void **state) {
        _cleanup_free_ char *out = NULL;

        log_set_target(LOG_TARGET_STDERR);
        out = capture_stderr(log_negative);
        assert_int_equal(returned, -EPERM);
        assert_string_equal(out, "denied: Operation not permitted\n");
}

static void log_debug_line(void) {
        returned = log_debug_errno(EIO, "hidden");
        log_struct(LOG_INFO, LOG_FIELDS("SIGRUN_EVENT=test", "SIGRUN_PLAYERS=2"), "%d players", 2);
}

static void test_level_filter_and_struct_on_stderr(void **state) {
        _cleanup_free_ char *out = NULL;

        log_set_target(LOG_TARGET_STDERR);
        log_set_max_level(LOG_INFO);
        out = capture_stderr(log_debug_line);
        /* filtered out, but still returns the error */
        assert_int_equal(returned, -EIO);
        /* structured fields are for the journal; stderr gets the message */
        assert_string_equal(out, "2 players\n");
}

static void test_level_names(void **state) {
        assert_int_equal(log_level_from_string("debug"), LOG_DEBUG);
        assert_int_equal(log_level_from_string("WARNING"), LOG_WARNING);
        assert_int_equal(log_level_from_string("error"), LOG_ERR);
        assert_int_equal(log_level_from_string("loud"), -EINVAL);
        assert_string_equal(log_level_to_string(LOG_NOTICE), "notice");
        assert_null(log_level_to_string(42));
}

static void test_auto_target_is_stderr_without_journal_stream(void **state) {
        unsetenv("JOURNAL_STREAM");
        log_set_target(LOG_TARGET_AUTO);
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);
        setenv("JOURNAL_STREAM", "1:1", 1);
        log_set_target(LOG_TARGET_AUTO);
        /* stderr here is not device 1 inode 1 */
        assert_int_equal(log_get_target(), LOG_TARGET_STDERR);
        unsetenv("JOURNAL_STREAM");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_return_and_percent_m),
                cmocka_unit_test(test_negative_errno_accepted),
                cmocka_unit_test(test_level_filter_and_struct_on_stderr),
                cmocka_unit_test(test_level_names),
                cmocka_unit_test(test_auto_target_is_stderr_without_journal_stream),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
