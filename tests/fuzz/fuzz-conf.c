/* SPDX-License-Identifier: MIT */
/* Fuzz the YAML config loader with a table that has every key type. */
#include <string.h>

#include "common/conf.h"
#include "tests/fuzz/fuzz.h"

typedef struct Fuzz {
        char *s;
        bool b;
        uint64_t u, size;
        usec_t d;
        int e;
        char **l;
} Fuzz;

static const char *const choices[] = { "one", "two", NULL };

static const ConfKey table[] = {
        { "a.s", CONF_STRING, offsetof(Fuzz, s), 0, 16, "x", "string" },
        { "a.b", CONF_BOOL, offsetof(Fuzz, b), 0, 0, "no", "bool" },
        { "u", CONF_UINT, offsetof(Fuzz, u), 1, 100, "5", "uint" },
        { "d", CONF_DURATION, offsetof(Fuzz, d), 0, USEC_PER_DAY, "10min", "duration" },
        { "z", CONF_SIZE, offsetof(Fuzz, size), 0, 1 << 20, "4K", "size" },
        { "e", CONF_ENUM, offsetof(Fuzz, e), 0, 0, "one", "enum", choices },
        { "l", CONF_STRV, offsetof(Fuzz, l), 0, 0, NULL, "list" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FILE *devnull;
        ConfErrors errors = {};
        Fuzz f = {};

        if (!devnull)
                devnull = fopen("/dev/null", "we");

        if (conf_set_defaults(table, ELEMENTSOF(table), &f) < 0)
                abort();
        (void) conf_load_string(table, ELEMENTSOF(table), &f, "fuzz.yaml", (const char *) data, size, &errors);
        conf_errors_print(&errors, devnull ? devnull : stderr);
        conf_errors_free(&errors);
        conf_free(table, ELEMENTSOF(table), &f);
        return 0;
}
