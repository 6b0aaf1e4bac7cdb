/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the log-line parser and the player tracker behind it: the input is a
 * log, one line per '\n'. Besides not crashing, a parsed character name must
 * be printable, NUL-terminated and within bounds, and the tracker must never
 * count more players than its cap.
 */
#include <string.h>

#include "agent/logwatch.h"
#include "tests/fuzz/fuzz.h"

static void check_name(const char *name) {
        size_t n = strnlen(name, LOGLINE_NAME_MAX);

        if (n >= LOGLINE_NAME_MAX)
                abort();
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) name[i] < 0x20 || name[i] == 0x7F)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        LogTracker *steam = NULL, *crossplay = NULL;
        const char *p = (const char *) data, *end = p + size;

        if (log_tracker_new(false, &steam) < 0 || log_tracker_new(true, &crossplay) < 0)
                abort();

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = (size_t) ((nl ? nl : end) - p);
                LogLine l;

                if (logline_parse(p, len, &l) < 0)
                        abort();
                if (l.type == LOGLINE_CHARACTER)
                        check_name(l.name);
                else if (l.name[0])
                        abort();
                log_tracker_feed(steam, &l);
                log_tracker_feed(crossplay, &l);
                p = nl ? nl + 1 : end;
        }

        if (log_tracker_players(steam) > LOG_TRACKER_MAX_PLAYERS)
                abort();
        for (const char *const *n = log_tracker_names(steam); n && *n; n++)
                check_name(*n);
        for (const char *const *n = log_tracker_names(crossplay); n && *n; n++)
                check_name(*n);

        log_tracker_free(steam);
        log_tracker_free(crossplay);
        return 0;
}
