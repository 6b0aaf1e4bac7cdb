/* SPDX-License-Identifier: MIT */
/*
 * Range-checked parsing of the numbers people type into configuration files
 * and command lines: integers, booleans, durations ("90s", "10min", "1h30m")
 * and sizes ("4K", "8MiB"). Every function returns 0 or a negative errno
 * (-EINVAL malformed, -ERANGE outside [min, max]) and leaves *ret untouched
 * on failure.
 */
#pragma once

#include "common/macro.h"

int parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret);
int parse_bool(const char *s, bool *ret);
/* A bare number is seconds. Units: us, ms, s/sec, m/min, h/hour, d/day; they
 * may be combined ("1h 30min"). */
int parse_duration(const char *s, usec_t min, usec_t max, usec_t *ret);
/* A bare number is bytes. K/M/G are powers of 1024, as are KiB/MiB/GiB; kB/MB/GB are powers of 1000. */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
/* Exactly len bytes as 2*len hex digits. */
int parse_hex(const char *s, uint8_t *ret, size_t len);

/* "1h 12min", "45s", "0s" into buf; returns buf. */
char *format_duration(char *buf, size_t size, usec_t t);
#define FORMAT_DURATION_MAX 64
