/* SPDX-License-Identifier: MIT */
/*
 * The inhibit state file (see inhibit.h). Plain decimal text so that an
 * operator can read it with cat; anything else in it is corrupt and ignored
 * rather than trusted, since a wrong deadline could keep a server running
 * (and billing) for ever.
 */
#include "watchdog/inhibit.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/parse.h"

static int inhibit_path(const char *state_dir, char **ret) {
        char *path;

        if (!state_dir || !*state_dir)
                return -EINVAL;
        if (asprintf(&path, "%s/" INHIBIT_FILE_NAME, state_dir) < 0)
                return -ENOMEM;
        *ret = path;
        return 0;
}

static usec_t now_realtime(void) {
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return 0;
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

int inhibit_load_at(const char *state_dir, usec_t realtime_now, usec_t *ret_realtime_until) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char buf[INHIBIT_FILE_MAX + 1];
        size_t len = 0;
        usec_t until;
        int r;

        r = inhibit_path(state_dir, &path);
        if (r < 0)
                return r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;

        /* Read one byte more than a valid file can hold, to tell "too long". */
        while (len < sizeof(buf)) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len >= sizeof(buf))
                return -EBADMSG;
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = '\0';
        if (memchr(buf, '\0', len))
                return -EBADMSG;

        if (parse_uint64(buf, 1, USEC_INFINITY - 1, &until) < 0)
                return -EBADMSG;
        if (until <= realtime_now)
                return -ENOENT;

        *ret_realtime_until = until;
        return 0;
}

int inhibit_load(const char *state_dir, usec_t *ret_realtime_until) {
        return inhibit_load_at(state_dir, now_realtime(), ret_realtime_until);
}

int inhibit_save(const char *state_dir, usec_t realtime_until) {
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        char line[INHIBIT_FILE_MAX];
        int r, len;

        r = inhibit_path(state_dir, &path);
        if (r < 0)
                return r;

        if (realtime_until == 0) {
                struct stat st;

                /* Tell a missing directory from a missing file. */
                if (stat(state_dir, &st) < 0)
                        return -errno;
                if (unlink(path) < 0 && errno != ENOENT)
                        return -errno;
                return 0;
        }
        if (realtime_until == USEC_INFINITY)
                return -ERANGE;

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        len = snprintf(line, sizeof(line), "%llu\n", (unsigned long long) realtime_until);
        errno = 0;
        if (fchmod(fd, 0644) < 0 ||
            write(fd, line, (size_t) len) != len ||
            fsync(fd) < 0 ||
            rename(tmp, path) < 0) {
                r = errno > 0 ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}
