/* SPDX-License-Identifier: MIT */
/*
 * YAML configuration loader driven by one table of keys, in the spirit of
 * tmux's options-table.c: each key has a dotted name ("api.key"), a type, a
 * range, a default and a line of help, and lands in a struct field at a fixed
 * offset. Unknown keys, wrong types, out-of-range values and YAML syntax errors
 * are all collected (not just the first) as
 *
 *         file:line:column: key: message
 *
 * so that `--check-config` can show every mistake at once. Loading never
 * half-applies: the caller loads into a fresh struct and swaps on success.
 */
#pragma once

#include "common/macro.h"

typedef enum ConfType {
        CONF_STRING,   /* char *, max = longest length (0: 4096) */
        CONF_BOOL,     /* bool */
        CONF_UINT,     /* uint64_t in [min, max] */
        CONF_DURATION, /* usec_t in [min, max] */
        CONF_SIZE,     /* uint64_t bytes in [min, max] */
        CONF_ENUM,     /* int: index into choices */
        CONF_STRV,     /* char **, NULL-terminated; YAML sequence or one scalar */
        CONF_CUSTOM,   /* parse() decides */
} ConfType;

struct ConfKey;

/* Parse one scalar into the field. On error return negative errno and, where
 * useful, set *ret_message to an allocated explanation. */
typedef int (*conf_parse_t)(const struct ConfKey *key, const char *value, void *field, char **ret_message);
/* Free what a CONF_CUSTOM field owns. */
typedef void (*conf_free_t)(void *field);

typedef struct ConfKey {
        const char *name;
        ConfType type;
        size_t offset;
        uint64_t min, max;
        const char *default_value; /* in config syntax; NULL: zero/NULL */
        const char *help;
        const char *const *choices; /* CONF_ENUM, NULL-terminated */
        conf_parse_t parse;         /* CONF_CUSTOM */
        conf_free_t free;           /* CONF_CUSTOM, optional */
} ConfKey;

typedef struct ConfError {
        char *file;
        unsigned line, column; /* 1-based; 0 when unknown */
        char *key;             /* NULL for syntax errors */
        char *message;
} ConfError;

typedef struct ConfErrors {
        ConfError *items;
        size_t n;
} ConfErrors;

/* Apply every default. Fails only on a bad default (a programming error) or OOM. */
int conf_set_defaults(const ConfKey *table, size_t n_table, void *obj);
/* Load YAML text over obj (which should hold the defaults). Returns 0 when
 * there were no errors, -EINVAL when errors were collected, -ENOMEM. */
int conf_load_string(const ConfKey *table, size_t n_table, void *obj, const char *filename,
                     const char *text, size_t len, ConfErrors *errors);
int conf_load_file(const ConfKey *table, size_t n_table, void *obj, const char *path, ConfErrors *errors);
/* Free every string/strv/custom field the table owns in obj. */
void conf_free(const ConfKey *table, size_t n_table, void *obj);
const ConfKey *conf_find_key(const ConfKey *table, size_t n_table, const char *name);

int conf_error_add(ConfErrors *errors, const char *file, unsigned line, unsigned column, const char *key,
                   const char *format, ...) _printf_(6, 7);
void conf_errors_print(const ConfErrors *errors, FILE *f);
void conf_errors_free(ConfErrors *errors);

/* "  api.key  (hex, default: none)\n      help..." for --help-config. */
void conf_print_help(const ConfKey *table, size_t n_table, FILE *f);
/* A YAML file with every key commented out at its default, grouped by
 * section, each with its help: the shipped configuration file. */
void conf_print_yaml(const ConfKey *table, size_t n_table, FILE *f);
/* The keys as a troff .TP list, for the man page. */
void conf_print_man(const ConfKey *table, size_t n_table, FILE *f);
