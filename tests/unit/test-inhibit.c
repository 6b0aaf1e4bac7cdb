/* SPDX-License-Identifier: MIT */
/*
 * The inhibit state file: a deadline saved by one agent is found by the next;
 * expired, corrupt or absent files never hold a stop off.
 */
#include "tests/unit/unit.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "watchdog/inhibit.h"

typedef struct Dir {
        char path[64];
} Dir;

static int setup_dir(void **state) {
        Dir *d = calloc(1, sizeof(*d));

        assert_non_null(d);
        snprintf(d->path, sizeof(d->path), "/tmp/test-inhibit.XXXXXX");
        assert_non_null(mkdtemp(d->path));
        *state = d;
        return 0;
}

static int teardown_dir(void **state) {
        Dir *d = *state;
        char file[128];

        snprintf(file, sizeof(file), "%s/" INHIBIT_FILE_NAME, d->path);
        (void) unlink(file);
        assert_int_equal(rmdir(d->path), 0);   /* also proves no temp file was left behind */
        free(d);
        return 0;
}

static void write_file(const Dir *d, const char *content, size_t len) {
        char file[128];
        int fd;

        snprintf(file, sizeof(file), "%s/" INHIBIT_FILE_NAME, d->path);
        fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, len), (ssize_t) len);
        close(fd);
}

static usec_t realtime_now(void) {
        struct timespec ts;

        assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static void test_round_trip(void **state) {
        Dir *d = *state;
        usec_t until = realtime_now() + 2 * USEC_PER_HOUR + 12345, got = 0;

        assert_int_equal(inhibit_load(d->path, &got), -ENOENT);
        assert_int_equal(inhibit_save(d->path, until), 0);
        assert_int_equal(inhibit_load(d->path, &got), 0);
        assert_true(got == until);

        /* a second save replaces the first */
        assert_int_equal(inhibit_save(d->path, until + USEC_PER_HOUR), 0);
        assert_int_equal(inhibit_load(d->path, &got), 0);
        assert_true(got == until + USEC_PER_HOUR);

        /* 0 clears; clearing twice is fine */
        assert_int_equal(inhibit_save(d->path, 0), 0);
        got = 7;
        assert_int_equal(inhibit_load(d->path, &got), -ENOENT);
        assert_true(got == 7);
        assert_int_equal(inhibit_save(d->path, 0), 0);
}

static void test_expired(void **state) {
        Dir *d = *state;
        usec_t got = 7;

        assert_int_equal(inhibit_save(d->path, 1000 * USEC_PER_SEC), 0);
        assert_int_equal(inhibit_load(d->path, &got), -ENOENT);
        assert_true(got == 7);

        /* the boundary, with the clock given */
        assert_int_equal(inhibit_load_at(d->path, 1000 * USEC_PER_SEC - 1, &got), 0);
        assert_true(got == 1000 * USEC_PER_SEC);
        got = 7;
        assert_int_equal(inhibit_load_at(d->path, 1000 * USEC_PER_SEC, &got), -ENOENT);
        assert_true(got == 7);
}

static void test_corrupt(void **state) {
        static const struct {
                const char *content;
                size_t len;
        } cases[] = {
                { "", 0 },
                { "\n", 1 },
                { "abc\n", 4 },
                { "-5\n", 3 },
                { "0\n", 2 },
                { " 9999999999999999\n", 19 },
                { "9999999999999999\n\n", 18 },
                { "9999999999999999x", 17 },
                { "99999999999999999999999\n", 24 },       /* > UINT64_MAX */
                { "18446744073709551615\n", 21 },          /* USEC_INFINITY is not a deadline */
                { "9999\0" "9999\n", 10 },
                { "99999999999999999999999999999999999999999999999999999999999999999999\n", 69 },
        };
        Dir *d = *state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                usec_t got = 7;

                write_file(d, cases[i].content, cases[i].len);
                if (inhibit_load_at(d->path, 0, &got) != -EBADMSG) {
                        print_error("case %zu not reported as corrupt\n", i);
                        fail();
                }
                assert_true(got == 7);
        }

        /* without the newline is fine; saving over a corrupt file repairs it */
        usec_t got = 0;
        write_file(d, "9999999999999999", 16);
        assert_int_equal(inhibit_load_at(d->path, 0, &got), 0);
        assert_true(got == 9999999999999999ULL);
        assert_int_equal(inhibit_save(d->path, 8888888888888888ULL), 0);
        assert_int_equal(inhibit_load_at(d->path, 0, &got), 0);
        assert_true(got == 8888888888888888ULL);
}

static void test_missing_directory(void **state) {
        Dir *d = *state;
        char missing[128];
        usec_t got = 7;

        snprintf(missing, sizeof(missing), "%s/nope", d->path);
        assert_int_equal(inhibit_save(missing, realtime_now() + USEC_PER_HOUR), -ENOENT);
        assert_int_equal(inhibit_save(missing, 0), -ENOENT);
        assert_int_equal(inhibit_load(missing, &got), -ENOENT);
        assert_int_equal(inhibit_save(NULL, 1), -EINVAL);
        assert_int_equal(inhibit_save("", 1), -EINVAL);
        assert_int_equal(inhibit_load(NULL, &got), -EINVAL);
        assert_true(got == 7);
}

static void test_file_is_readable_text(void **state) {
        Dir *d = *state;
        char file[128], buf[64] = {};
        struct stat st;
        int fd;

        assert_int_equal(inhibit_save(d->path, 1764000000000000ULL), 0);
        snprintf(file, sizeof(file), "%s/" INHIBIT_FILE_NAME, d->path);
        assert_int_equal(stat(file, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
        close(fd);
        assert_string_equal(buf, "1764000000000000\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_round_trip, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_expired, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_corrupt, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_missing_directory, setup_dir, teardown_dir),
                cmocka_unit_test_setup_teardown(test_file_is_readable_text, setup_dir, teardown_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
