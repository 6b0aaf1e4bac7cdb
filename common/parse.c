/* SPDX-License-Identifier: MIT */
/*
 * Number parsing for configuration and command lines. strtoull() alone
 * accepts "-1", leading spaces and trailing garbage; these wrappers do not.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/parse.h"

/* Parse the leading unsigned decimal digits of s; *end points after them. */
static int parse_digits(const char *s, uint64_t *ret, const char **end) {
        uint64_t v = 0;
        const char *p = s;

        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                unsigned d = (unsigned) (*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        *end = p;
        return 0;
}

int parse_uint64(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        const char *end;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (*end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret) {
        bool negative = false;
        uint64_t u;
        int64_t v;
        int r;

        if (!s)
                return -EINVAL;
        if (*s == '-' || *s == '+') {
                negative = *s == '-';
                s++;
        }
        r = parse_uint64(s, 0, UINT64_MAX, &u);
        if (r < 0)
                return r;
        if (negative) {
                if (u > (uint64_t) INT64_MAX + 1)
                        return -ERANGE;
                v = u == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) u;
        } else {
                if (u > (uint64_t) INT64_MAX)
                        return -ERANGE;
                v = (int64_t) u;
        }
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "y", "true", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

typedef struct Unit {
        const char *suffix;
        uint64_t factor;
} Unit;

/* Sum of "<number><unit>" terms separated by optional spaces. */
static int parse_with_units(const char *s, const Unit *units, size_t n_units, uint64_t default_factor,
                            uint64_t *ret) {
        uint64_t total = 0;
        const char *p = s;
        bool any = false;

        if (!s)
                return -EINVAL;
        for (;;) {
                uint64_t v, factor = 0;
                const char *end;
                size_t len = 0;
                int r;

                while (*p == ' ')
                        p++;
                if (*p == '\0')
                        break;
                r = parse_digits(p, &v, &end);
                if (r < 0)
                        return r;
                p = end;
                while (isalpha((unsigned char) p[len]))
                        len++;
                if (len == 0) {
                        /* A bare number is only valid alone. */
                        if (any)
                                return -EINVAL;
                        factor = default_factor;
                } else {
                        for (size_t i = 0; i < n_units; i++)
                                if (strlen(units[i].suffix) == len && strncmp(p, units[i].suffix, len) == 0) {
                                        factor = units[i].factor;
                                        break;
                                }
                        if (factor == 0)
                                return -EINVAL;
                }
                p += len;
                if (v > UINT64_MAX / factor || total > UINT64_MAX - v * factor)
                        return -ERANGE;
                total += v * factor;
                if (len == 0) {
                        while (*p == ' ')
                                p++;
                        if (*p != '\0')
                                return -EINVAL;
                }
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

int parse_duration(const char *s, usec_t min, usec_t max, usec_t *ret) {
        static const Unit units[] = {
                { "us", 1 },
                { "ms", USEC_PER_MSEC },
                { "s", USEC_PER_SEC },       { "sec", USEC_PER_SEC },
                { "m", USEC_PER_MINUTE },    { "min", USEC_PER_MINUTE },
                { "h", USEC_PER_HOUR },      { "hour", USEC_PER_HOUR },   { "hours", USEC_PER_HOUR },
                { "d", USEC_PER_DAY },       { "day", USEC_PER_DAY },     { "days", USEC_PER_DAY },
        };
        uint64_t v;
        int r;

        r = parse_with_units(s, units, ELEMENTSOF(units), USEC_PER_SEC, &v);
        if (r < 0)
                return r;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *ret) {
        static const Unit units[] = {
                { "B", 1 },
                { "K", 1024ULL },  { "KiB", 1024ULL },  { "kB", 1000ULL },
                { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 }, { "MB", 1000000ULL },
                { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 }, { "GB", 1000000000ULL },
        };
        uint64_t v;
        int r;

        r = parse_with_units(s, units, ELEMENTSOF(units), 1, &v);
        if (r < 0)
                return r;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int parse_hex(const char *s, uint8_t *ret, size_t len) {
        if (!s || strlen(s) != 2 * len)
                return -EINVAL;
        for (size_t i = 0; i < 2 * len; i++)
                if (unhex(s[i]) < 0)
                        return -EINVAL;
        for (size_t i = 0; i < len; i++)
                ret[i] = (uint8_t) (unhex(s[2 * i]) << 4 | unhex(s[2 * i + 1]));
        return 0;
}

char *format_duration(char *buf, size_t size, usec_t t) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } table[] = {
                { "d", USEC_PER_DAY },
                { "h", USEC_PER_HOUR },
                { "min", USEC_PER_MINUTE },
                { "s", USEC_PER_SEC },
        };
        size_t used = 0;

        if (size == 0)
                return buf;
        buf[0] = '\0';
        if (t == USEC_INFINITY) {
                snprintf(buf, size, "infinity");
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(table) && used < size; i++) {
                usec_t n = t / table[i].usec;
                if (n == 0)
                        continue;
                t -= n * table[i].usec;
                used += (size_t) snprintf(buf + used, size - used, "%s%llu%s", used ? " " : "",
                                          (unsigned long long) n, table[i].suffix);
        }
        if (buf[0] == '\0')
                snprintf(buf, size, "0s");
        return buf;
}
