/* SPDX-License-Identifier: MIT */
/*
 * Logging for every Sigrun program. Under systemd (stderr connected to the
 * journal, as $JOURNAL_STREAM says) records go to the journal with their
 * priority and any structured fields; otherwise they go to stderr as plain
 * lines. log_*_errno() return the negative errno they were given, so the layer
 * that decides can log and return in one statement:
 *
 *         return log_error_errno(r, "Failed to open %s: %m", path);
 *
 * %m expands to strerror() of the error passed in, not of the global errno.
 * Library code logs at debug level at most.
 */
#pragma once

#include <syslog.h>

#include "common/macro.h"

typedef enum LogTarget {
        LOG_TARGET_AUTO,    /* journal when stderr is the journal stream, else stderr */
        LOG_TARGET_STDERR,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_NULL,
} LogTarget;

void log_set_target(LogTarget target);
LogTarget log_get_target(void);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Parse "debug", "info", "notice", "warning", "err"/"error", "crit"... */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);

/* Always returns -abs(error) (or 0 if error is 0). */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

/* Structured record: the formatted message plus extra journal fields given as
 * a NULL-terminated array of "FIELD=value" strings (see LOG_FIELDS()). On
 * stderr only the message is printed. Returns -abs(error). */
int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *const *fields, const char *format, ...) _printf_(7, 8);

#define LOG_FIELDS(...) ((const char *const[]) { __VA_ARGS__, NULL })

#define log_full_errno(level, error, ...)                                     \
        ({                                                                    \
                int _level = (level), _e = (error);                           \
                _level <= log_get_max_level()                                 \
                        ? log_internal(_level, _e, __FILE__, __LINE__, __func__, __VA_ARGS__) \
                        : -abs(_e);                                           \
        })
#define log_full(level, ...) (void) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, (e), __VA_ARGS__)

/* log_struct(LOG_INFO, LOG_FIELDS("SIGRUN_EVENT=player_joined", players), "%s joined", name) */
#define log_struct(level, fields, ...)                                        \
        (void) ({                                                             \
                int _level = (level);                                         \
                _level <= log_get_max_level()                                 \
                        ? log_struct_internal(_level, 0, __FILE__, __LINE__, __func__, (fields), __VA_ARGS__) \
                        : 0;                                                  \
        })

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")
