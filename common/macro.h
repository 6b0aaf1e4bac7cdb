/* SPDX-License-Identifier: MIT */
/*
 * Small macros every Sigrun program uses: ownership through _cleanup_ and
 * TAKE_PTR (as systemd does it), array sizes, and cleanup helpers for the
 * library handles we hold (pcap_t, CURL, json_t, yaml_parser_t, ...).
 *
 * The library-specific helpers live in their own headers so that a file that
 * does not use libpcap does not have to include it: see common/cleanup-libs.h.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _sentinel_ __attribute__((sentinel))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)
#define _fallthrough_ __attribute__((fallthrough))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Take ownership of a pointer: return it and leave NULL behind, so the
 * _cleanup_ handler of the old owner does nothing. */
#define TAKE_PTR(p)                                                           \
        ({                                                                    \
                __typeof__(p) _take_ptr_ = (p);                               \
                (p) = NULL;                                                   \
                _take_ptr_;                                                   \
        })

#define TAKE_FD(fd)                                                           \
        ({                                                                    \
                int _take_fd_ = (fd);                                         \
                (fd) = -EBADF;                                                \
                _take_fd_;                                                    \
        })

/* Define "static inline void fooP(Foo **p)" that calls func(*p) if non-NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                               \
        static inline void func##p(type *p) {                                 \
                if (*p)                                                       \
                        func(*p);                                             \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* free() that returns NULL, for "p = mfree(p);" */
static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);

static inline bool strv_equal(char *const *a, char *const *b) {
        size_t i = 0;
        for (; a && b && a[i] && b[i]; i++)
                if (__builtin_strcmp(a[i], b[i]) != 0)
                        return false;
        return (!a || !a[i]) && (!b || !b[i]);
}

static inline size_t strv_length(char *const *l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        while (*a && *a == *b)
                a++, b++;
        return *a == *b;
}

#define streq(a, b) (__builtin_strcmp((a), (b)) == 0)

/* Microseconds, as sd-event counts them. */
typedef uint64_t usec_t;
#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_MINUTE (60ULL * USEC_PER_SEC)
#define USEC_PER_HOUR (60ULL * USEC_PER_MINUTE)
#define USEC_PER_DAY (24ULL * USEC_PER_HOUR)
