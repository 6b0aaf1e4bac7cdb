/* SPDX-License-Identifier: MIT */
/*
 * Log sink: the journal (native protocol, with priority, code location and
 * structured fields) when stderr is connected to it, stderr otherwise. The
 * choice is made once, lazily, from $JOURNAL_STREAM as systemd documents it.
 */
#define SD_JOURNAL_SUPPRESS_LOCATION 1

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "common/log.h"

static LogTarget log_target = LOG_TARGET_AUTO;
static int log_max_level = LOG_INFO;

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
        [LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

void log_set_target(LogTarget target) {
        log_target = target;
}

/* stderr is the journal stream when its device:inode match $JOURNAL_STREAM. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

LogTarget log_get_target(void) {
        if (log_target == LOG_TARGET_AUTO)
                log_target = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
        return log_target;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

int log_level_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        if (strcasecmp(s, "error") == 0)
                return LOG_ERR;
        if (strcasecmp(s, "warn") == 0)
                return LOG_WARNING;
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (strcasecmp(s, level_names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

const char *log_level_to_string(int level) {
        if (level < 0 || (size_t) level >= ELEMENTSOF(level_names))
                return NULL;
        return level_names[level];
}

static int log_dispatch(int level, int error, const char *file, int line, const char *func,
                        const char *const *fields, const char *format, va_list ap) {
        char message[2048];
        LogTarget target = log_get_target();

        /* %m must expand to the error we were given. */
        errno = abs(error);
        vsnprintf(message, sizeof(message), format, ap);

        if (target == LOG_TARGET_NULL)
                return -abs(error);

        if (target == LOG_TARGET_JOURNAL) {
                struct iovec iov[32];
                char buf_msg[sizeof(message) + 16], buf_prio[32], buf_file[512], buf_line[32],
                        buf_func[256], buf_errno[32];
                size_t n = 0;

#define ADD(buf, ...)                                                         \
        do {                                                                  \
                int _k = snprintf(buf, sizeof(buf), __VA_ARGS__);             \
                iov[n].iov_base = buf;                                        \
                iov[n].iov_len = (size_t) MIN(_k, (int) sizeof(buf) - 1);     \
                n++;                                                          \
        } while (0)

                ADD(buf_msg, "MESSAGE=%s", message);
                ADD(buf_prio, "PRIORITY=%i", level & LOG_PRIMASK);
                ADD(buf_file, "CODE_FILE=%s", file);
                ADD(buf_line, "CODE_LINE=%i", line);
                ADD(buf_func, "CODE_FUNC=%s", func);
                if (error != 0)
                        ADD(buf_errno, "ERRNO=%i", abs(error));
#undef ADD
                for (size_t i = 0; fields && fields[i] && n < ELEMENTSOF(iov); i++) {
                        iov[n].iov_base = (void *) fields[i];
                        iov[n].iov_len = strlen(fields[i]);
                        n++;
                }
                if (sd_journal_sendv(iov, (int) n) >= 0)
                        return -abs(error);
                /* The journal is gone: fall back to stderr, never lose the line. */
        }

        fprintf(stderr, "%s\n", message);
        return -abs(error);
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        int saved_errno = errno, r;
        va_list ap;

        /* Logging never changes the caller's errno. */
        va_start(ap, format);
        r = log_dispatch(level, error, file, line, func, NULL, format, ap);
        va_end(ap);
        errno = saved_errno;
        return r;
}

int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *const *fields, const char *format, ...) {
        int saved_errno = errno, r;
        va_list ap;

        va_start(ap, format);
        r = log_dispatch(level, error, file, line, func, fields, format, ap);
        va_end(ap);
        errno = saved_errno;
        return r;
}
