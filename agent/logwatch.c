/* SPDX-License-Identifier: MIT */
/*
 * The `log` player source. Two halves:
 *
 * LogTracker turns parsed log lines into "who is on". It does no I/O, so the
 * counting rules are unit-tested directly. Steam mode counts connected
 * SteamIDs ("Got connection" adds, "Closing socket" and "has wrong password"
 * remove). Crossplay mode trusts the game's own "now N player(s)". Names come
 * from "Got character ZDOID" lines, which never count as joins: respawns
 * repeat them and ": 0:0" is a death.
 *
 * LogWatch feeds the tracker from the game's log inside sd-event:
 *
 * - journal: sd-journal on the system journal, matched on _SYSTEMD_UNIT=<unit>
 *   or UNIT=<unit> (PID 1's lines about the unit). To count people who joined
 *   before the agent started, it reads from the start of the unit's current
 *   invocation, found in the journal itself (no D-Bus round trip): the newest
 *   entry's _SYSTEMD_INVOCATION_ID (or INVOCATION_ID on PID 1's lines) names
 *   the invocation, a match on that id finds its first entry, and reading
 *   starts at that entry's cursor. An entry of another invocation, or PID 1
 *   saying the unit starts or stops, resets the tracker. The journal fd is an
 *   sd-event io source, with sd_journal_process() after each wakeup.
 *   Health: FAILED when no journal file is readable; UNKNOWN until the game
 *   itself has logged in this run (a game that logs elsewhere must not read
 *   as "0 players"); HEALTHY after that, or while the unit is stopped.
 * - file: read from the start (Valheim rewrites its -logFile each run), then
 *   follow by inotify on the directory (which also sees the file replaced or
 *   created) and, for a symlink, on the file itself; a truncated (smaller
 *   than what was read) or replaced file is a new run and resets the
 *   tracker. Where inotify cannot watch, a one-second timer polls.
 *   Health: HEALTHY while the file is open, FAILED when it cannot be opened.
 *
 * Lines longer than LOGLINE_MAX are skipped and counted. Long backlogs are
 * read in slices through a defer source so the loop stays responsive; the
 * first report is announced from that defer source too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-messages.h>

#include "agent/config.h"
#include "agent/logwatch.h"
#include "common/buffer.h"
#include "common/log.h"

/* ---- tracker ---------------------------------------------------------- */

typedef struct TrackedPlayer {
        uint64_t steam_id;        /* Steam mode: the connection */
        uint64_t zdo_user;        /* the character's ZDOID user id, once seen */
        bool has_character;
        uint64_t seq;             /* Steam: connection order; crossplay: last spawn */
        char name[LOGLINE_NAME_MAX];
} TrackedPlayer;

struct LogTracker {
        bool crossplay;
        bool ready;
        unsigned crossplay_count;
        uint64_t seq;
        uint64_t generation;      /* bumped on every change a report could show */
        size_t n_players;
        TrackedPlayer players[LOG_TRACKER_MAX_PLAYERS];
        const char *names[LOG_TRACKER_MAX_PLAYERS + 1];
};

int log_tracker_new(bool crossplay, LogTracker **ret) {
        LogTracker *t;

        if (!ret)
                return -EINVAL;
        t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        t->crossplay = crossplay;
        *ret = t;
        return 0;
}

LogTracker *log_tracker_free(LogTracker *t) {
        free(t);
        return NULL;
}

void log_tracker_reset(LogTracker *t) {
        if (!t)
                return;
        if (t->n_players > 0 || t->crossplay_count > 0 || t->ready)
                t->generation++;
        t->n_players = 0;
        t->crossplay_count = 0;
        t->ready = false;
}

static TrackedPlayer *tracker_find_steam(LogTracker *t, uint64_t steam_id) {
        for (size_t i = 0; i < t->n_players; i++)
                if (t->players[i].steam_id == steam_id)
                        return &t->players[i];
        return NULL;
}

static TrackedPlayer *tracker_find_character(LogTracker *t, uint64_t zdo_user) {
        for (size_t i = 0; i < t->n_players; i++)
                if (t->players[i].has_character && t->players[i].zdo_user == zdo_user)
                        return &t->players[i];
        return NULL;
}

static void tracker_remove(LogTracker *t, TrackedPlayer *p) {
        size_t i = (size_t) (p - t->players);

        /* keep the order: names are listed in the order people came */
        memmove(&t->players[i], &t->players[i + 1], (t->n_players - i - 1) * sizeof *p);
        t->n_players--;
        t->generation++;
}

static void tracker_set_name(LogTracker *t, TrackedPlayer *p, const LogLine *l) {
        if (p->has_character && p->zdo_user == l->zdo_user && streq(p->name, l->name))
                return;
        p->has_character = true;
        p->zdo_user = l->zdo_user;
        memcpy(p->name, l->name, sizeof p->name);
        t->generation++;
}

static void tracker_feed_steam(LogTracker *t, const LogLine *l) {
        TrackedPlayer *p;

        switch (l->type) {
        case LOGLINE_STEAM_CONNECTED:
                if (tracker_find_steam(t, l->id))
                        return;
                if (t->n_players >= LOG_TRACKER_MAX_PLAYERS)
                        return;   /* Valheim allows 10; more is noise, and we never undercount below the cap */
                t->players[t->n_players++] = (TrackedPlayer) { .steam_id = l->id, .seq = ++t->seq };
                t->generation++;
                return;

        case LOGLINE_STEAM_CLOSED:
        case LOGLINE_WRONG_PASSWORD:
                p = tracker_find_steam(t, l->id);
                if (p)
                        tracker_remove(t, p);
                return;

        case LOGLINE_CHARACTER:
                if (l->dead)
                        return;
                /* A respawn keeps its ZDOID user id. A new character belongs to
                 * the connection that has waited longest for one: the log
                 * does not name the SteamID, and people spawn in about the
                 * order they connect. */
                p = tracker_find_character(t, l->zdo_user);
                if (!p)
                        for (size_t i = 0; i < t->n_players; i++)
                                if (!t->players[i].has_character) {
                                        p = &t->players[i];
                                        break;
                                }
                if (p)
                        tracker_set_name(t, p, l);
                return;

        default:
                return;
        }
}

static void tracker_feed_crossplay(LogTracker *t, const LogLine *l) {
        TrackedPlayer *p;

        switch (l->type) {
        case LOGLINE_CROSSPLAY_JOINED:
        case LOGLINE_CROSSPLAY_LEFT:
                if (l->count != t->crossplay_count)
                        t->generation++;
                t->crossplay_count = l->count;
                if (l->count == 0 && t->n_players > 0) {
                        t->n_players = 0;
                        t->generation++;
                }
                return;

        case LOGLINE_CHARACTER:
                if (l->dead)
                        return;
                /* Crossplay leave lines name nobody, so names are the characters
                 * seen most recently, as many as the game says are on. */
                p = tracker_find_character(t, l->zdo_user);
                if (!p) {
                        if (t->n_players < LOG_TRACKER_MAX_PLAYERS)
                                p = &t->players[t->n_players++];
                        else {
                                p = &t->players[0];
                                for (size_t i = 1; i < t->n_players; i++)
                                        if (t->players[i].seq < p->seq)
                                                p = &t->players[i];
                        }
                        *p = (TrackedPlayer) {};
                }
                p->seq = ++t->seq;
                tracker_set_name(t, p, l);
                t->generation++;
                return;

        default:
                return;
        }
}

void log_tracker_feed(LogTracker *t, const LogLine *l) {
        if (!t || !l)
                return;

        if (l->type == LOGLINE_SERVER_READY) {
                if (!t->ready)
                        t->generation++;
                t->ready = true;
                return;
        }

        if (t->crossplay)
                tracker_feed_crossplay(t, l);
        else
                tracker_feed_steam(t, l);
}

unsigned log_tracker_players(const LogTracker *t) {
        if (!t)
                return 0;
        return t->crossplay ? t->crossplay_count : (unsigned) t->n_players;
}

bool log_tracker_server_ready(const LogTracker *t) {
        return t && t->ready;
}

const char *const *log_tracker_names(LogTracker *t) {
        size_t n = 0;

        if (!t)
                return NULL;

        if (!t->crossplay) {
                for (size_t i = 0; i < t->n_players; i++)
                        if (t->players[i].has_character && t->players[i].name[0])
                                t->names[n++] = t->players[i].name;
        } else {
                /* the crossplay_count most recently spawned, listed oldest first */
                for (size_t i = 0; i < t->n_players; i++) {
                        size_t newer = 0;

                        if (!t->players[i].name[0])
                                continue;
                        for (size_t k = 0; k < t->n_players; k++)
                                if (t->players[k].seq > t->players[i].seq && t->players[k].name[0])
                                        newer++;
                        if (newer < t->crossplay_count)
                                t->names[n++] = t->players[i].name;
                }
                /* order by seq (insertion sort; n is small) */
                for (size_t i = 1; i < n; i++)
                        for (size_t k = i; k > 0; k--) {
                                const TrackedPlayer *a = (const TrackedPlayer *) (t->names[k - 1] - offsetof(TrackedPlayer, name));
                                const TrackedPlayer *b = (const TrackedPlayer *) (t->names[k] - offsetof(TrackedPlayer, name));
                                const char *tmp;

                                if (a->seq <= b->seq)
                                        break;
                                tmp = t->names[k - 1];
                                t->names[k - 1] = t->names[k];
                                t->names[k] = tmp;
                        }
        }

        t->names[n] = NULL;
        return n > 0 ? t->names : NULL;
}

/* ---- watcher ---------------------------------------------------------- */

#define LOG_WATCH_JOURNAL_SLICE 2048            /* entries per loop iteration */
#define LOG_WATCH_FILE_SLICE (1024 * 1024)      /* bytes per loop iteration */
#define LOG_WATCH_POLL_USEC USEC_PER_SEC        /* fallback poll, and the fastest journal timeout we accept */
#define LOG_WATCH_INVOCATION_LOOKBACK 10000     /* entries searched backwards for an invocation id */

struct LogWatch {
        sd_event *event;
        int kind;
        char *unit, *file, *journal_directory;
        source_changed_t cb;
        void *userdata;
        LogTracker *tracker;

        SourceHealth health;
        char detail[256];
        uint64_t lines_skipped;
        uint64_t generation, notified_generation;

        sd_event_source *pump;

        /* journal */
        sd_journal *journal;
        sd_event_source *journal_io, *journal_timer;
        sd_id128_t invocation;
        bool game_seen;           /* a line from the game itself in this invocation */
        bool backlog;             /* a slice was full: older lines are still unread */
        bool unit_stopped;        /* PID 1 said the unit stopped, and nothing since */

        /* file */
        int fd;
        dev_t dev;
        ino_t ino;
        uint64_t offset;
        sd_event_source *file_inotify, *file_timer;
        sd_event_source *file_target_inotify;   /* the file itself, when the path is a symlink */
        Buffer partial;
        bool skipping;
};

static void log_watch_set_health(LogWatch *w, SourceHealth h, const char *format, ...) _printf_(3, 4);
static void log_watch_set_health(LogWatch *w, SourceHealth h, const char *format, ...) {
        char detail[sizeof w->detail];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(detail, sizeof detail, format, ap);
        va_end(ap);

        if (w->health == h && streq(w->detail, detail))
                return;
        if (h != w->health)
                log_debug("log source %s: %s", source_health_to_string(h), detail);
        w->health = h;
        memcpy(w->detail, detail, sizeof detail);
        w->generation++;
}

static void log_watch_notify(LogWatch *w) {
        uint64_t g = w->generation + w->tracker->generation;

        if (g == w->notified_generation)
                return;
        w->notified_generation = g;
        if (w->cb)
                w->cb(w->userdata);
}

static void log_watch_feed_line(LogWatch *w, const char *line, size_t len) {
        LogLine l;

        if (len > LOGLINE_MAX) {
                w->lines_skipped++;
                return;
        }
        if (logline_parse(line, len, &l) < 0 || l.type == LOGLINE_IGNORED)
                return;
        log_debug("log line: %s", logline_type_to_string(l.type));
        log_tracker_feed(w->tracker, &l);
}

static void log_watch_reset(LogWatch *w, const char *why) {
        log_debug("log source: %s, starting the count over", why);
        log_tracker_reset(w->tracker);
}

static void log_watch_pump_more(LogWatch *w) {
        (void) sd_event_source_set_enabled(w->pump, SD_EVENT_ONESHOT);
}

/* ---- journal ---- */

/* The unit invocation an entry belongs to: its own _SYSTEMD_INVOCATION_ID, or
 * INVOCATION_ID on PID 1's lines about the unit. */
static int journal_entry_invocation(sd_journal *j, sd_id128_t *ret) {
        static const char *const fields[] = { "_SYSTEMD_INVOCATION_ID", "INVOCATION_ID" };

        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const void *data;
                size_t len, n = strlen(fields[i]) + 1;
                char s[SD_ID128_STRING_MAX];

                if (sd_journal_get_data(j, fields[i], &data, &len) < 0)
                        continue;
                if (len != n + 32)
                        continue;
                memcpy(s, (const char *) data + n, 32);
                s[32] = 0;
                if (sd_id128_from_string(s, ret) >= 0)
                        return 1;
        }
        return 0;
}

static bool journal_field_equals(sd_journal *j, const char *field, const char *value) {
        const void *data;
        size_t len, n = strlen(field) + 1, vlen = strlen(value);

        if (sd_journal_get_data(j, field, &data, &len) < 0)
                return false;
        return len == n + vlen && memcmp((const char *) data + n, value, vlen) == 0;
}

static int journal_add_unit_matches(LogWatch *w) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        int r;

        if (asprintf(&a, "_SYSTEMD_UNIT=%s", w->unit) < 0 || asprintf(&b, "UNIT=%s", w->unit) < 0)
                return -ENOMEM;
        sd_journal_flush_matches(w->journal);
        r = sd_journal_add_match(w->journal, a, 0);
        if (r >= 0)
                r = sd_journal_add_disjunction(w->journal);
        if (r >= 0)
                r = sd_journal_add_match(w->journal, b, 0);
        return r;
}

/* Position the journal just before the first entry of the unit's newest
 * invocation, or at the tail if there is none yet. */
static int journal_seek_current_invocation(LogWatch *w) {
        sd_journal *j = w->journal;
        _cleanup_free_ char *cursor = NULL;
        sd_id128_t id = SD_ID128_NULL;
        bool found = false;
        int r;

        r = sd_journal_seek_tail(j);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < LOG_WATCH_INVOCATION_LOOKBACK; i++) {
                r = sd_journal_previous(j);
                if (r <= 0)
                        break;
                if (journal_entry_invocation(j, &id) > 0) {
                        found = true;
                        break;
                }
        }
        if (!found) {
                log_debug("log source: no invocation of %s in the journal yet, following new entries", w->unit);
                w->invocation = SD_ID128_NULL;
                return sd_journal_seek_tail(j);
        }

        {
                char a[sizeof "_SYSTEMD_INVOCATION_ID=" + SD_ID128_STRING_MAX];
                char b[sizeof "INVOCATION_ID=" + SD_ID128_STRING_MAX];
                char s[SD_ID128_STRING_MAX];

                sd_id128_to_string(id, s);
                (void) snprintf(a, sizeof a, "_SYSTEMD_INVOCATION_ID=%s", s);
                (void) snprintf(b, sizeof b, "INVOCATION_ID=%s", s);
                sd_journal_flush_matches(j);
                r = sd_journal_add_match(j, a, 0);
                if (r >= 0)
                        r = sd_journal_add_disjunction(j);
                if (r >= 0)
                        r = sd_journal_add_match(j, b, 0);
                if (r >= 0)
                        r = sd_journal_seek_head(j);
                if (r >= 0)
                        r = sd_journal_next(j);
                if (r > 0)
                        r = sd_journal_get_cursor(j, &cursor);
                if (r < 0)
                        return r;
        }

        r = journal_add_unit_matches(w);
        if (r < 0)
                return r;
        w->invocation = id;
        if (!cursor)
                return sd_journal_seek_tail(j);
        log_debug("log source: reading invocation %s of %s from its start", SD_ID128_TO_STRING(id), w->unit);
        return sd_journal_seek_cursor(j, cursor);
}

static void journal_handle_entry(LogWatch *w) {
        sd_journal *j = w->journal;
        sd_id128_t id;
        const void *data;
        size_t len;

        if (journal_entry_invocation(j, &id) > 0 && !sd_id128_equal(id, w->invocation)) {
                if (!sd_id128_is_null(w->invocation))
                        log_watch_reset(w, "the game unit was started again");
                w->invocation = id;
                w->game_seen = w->unit_stopped = false;
        }

        if (!journal_field_equals(j, "_SYSTEMD_UNIT", w->unit)) {
                /* PID 1 about the unit: starting or stopping means nobody is on */
                if (journal_field_equals(j, "MESSAGE_ID", SD_MESSAGE_UNIT_STARTING_STR)) {
                        log_watch_reset(w, "the game unit is starting");
                        w->game_seen = w->unit_stopped = false;
                } else if (journal_field_equals(j, "MESSAGE_ID", SD_MESSAGE_UNIT_STOPPED_STR) ||
                           journal_field_equals(j, "MESSAGE_ID", SD_MESSAGE_UNIT_SUCCESS_STR) ||
                           journal_field_equals(j, "MESSAGE_ID", SD_MESSAGE_UNIT_FAILURE_RESULT_STR)) {
                        log_watch_reset(w, "the game unit stopped");
                        w->unit_stopped = true;
                }
                return;
        }
        w->game_seen = true;
        w->unit_stopped = false;

        if (sd_journal_get_data(j, "MESSAGE", &data, &len) < 0 || len < strlen("MESSAGE="))
                return;
        data = (const char *) data + strlen("MESSAGE=");
        len -= strlen("MESSAGE=");

        /* one entry is normally one line, but nothing forbids several */
        for (const char *p = data, *end = p + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *e = nl ? nl : end;

                log_watch_feed_line(w, p, (size_t) (e - p));
                p = nl ? nl + 1 : end;
        }
}

static void journal_rearm_timer(LogWatch *w) {
        uint64_t t = UINT64_MAX, now = 0;

        if (sd_journal_get_timeout(w->journal, &t) < 0 || t == UINT64_MAX) {
                (void) sd_event_source_set_enabled(w->journal_timer, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_now(w->event, CLOCK_MONOTONIC, &now);
        (void) sd_event_source_set_time(w->journal_timer, MAX(t, now + LOG_WATCH_POLL_USEC));
        (void) sd_event_source_set_enabled(w->journal_timer, SD_EVENT_ONESHOT);
}

/* The journal can be read and still not hold the game's lines (it may log to
 * a file instead): only its own output in this run, or the unit being
 * stopped, makes the count trustworthy. Until then it is unknown, not 0. */
static void journal_update_health(LogWatch *w) {
        if (w->game_seen || w->unit_stopped)
                log_watch_set_health(w, SOURCE_HEALTHY, "journal of %s", w->unit);
        else
                log_watch_set_health(w, SOURCE_UNKNOWN, "no lines from %s in the journal yet", w->unit);
}

static void journal_read(LogWatch *w) {
        unsigned n;
        int r = 0;

        for (n = 0; n < LOG_WATCH_JOURNAL_SLICE; n++) {
                r = sd_journal_next(w->journal);
                if (r <= 0)
                        break;
                journal_handle_entry(w);
        }
        if (r < 0)
                log_watch_set_health(w, SOURCE_FAILED, "cannot read the journal of %s: %s", w->unit, strerror(-r));
        else
                journal_update_health(w);
        w->backlog = n == LOG_WATCH_JOURNAL_SLICE;
        if (w->backlog)
                log_watch_pump_more(w);
}

static int journal_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        LogWatch *w = userdata;

        (void) sd_journal_process(w->journal);
        journal_read(w);
        journal_rearm_timer(w);
        log_watch_notify(w);
        return 0;
}

static int journal_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        return journal_on_io(s, -1, 0, userdata);
}

static int journal_open(LogWatch *w) {
        int r, fd;

        if (w->journal_directory)
                r = sd_journal_open_directory(&w->journal, w->journal_directory, 0);
        else
                /* system journal only: the agent's own user journal must not make an
                 * unreadable system journal look like an empty one */
                r = sd_journal_open(&w->journal, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r < 0) {
                log_watch_set_health(w, SOURCE_FAILED, "cannot open the journal: %s", strerror(-r));
                return 0;
        }
        if (!w->journal_directory &&
            sd_journal_has_runtime_files(w->journal) <= 0 && sd_journal_has_persistent_files(w->journal) <= 0) {
                log_watch_set_health(w, SOURCE_FAILED,
                                     "no journal files readable (is the agent's user in group systemd-journal?)");
                return 0;
        }

        /* longer messages come back cut at the threshold: we see them as overlong and skip them */
        (void) sd_journal_set_data_threshold(w->journal, strlen("MESSAGE=") + LOGLINE_MAX + 1);

        r = journal_seek_current_invocation(w);
        if (r < 0) {
                log_watch_set_health(w, SOURCE_FAILED, "cannot find %s in the journal: %s", w->unit, strerror(-r));
                return 0;
        }

        fd = sd_journal_get_fd(w->journal);
        if (fd < 0) {
                log_watch_set_health(w, SOURCE_FAILED, "cannot watch the journal: %s", strerror(-fd));
                return 0;
        }
        r = sd_event_add_io(w->event, &w->journal_io, fd, (uint32_t) sd_journal_get_events(w->journal),
                            journal_on_io, w);
        if (r < 0)
                return r;
        r = sd_event_add_time(w->event, &w->journal_timer, CLOCK_MONOTONIC, UINT64_MAX, USEC_PER_SEC / 4,
                              journal_on_timer, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(w->journal_timer, SD_EVENT_OFF);

        journal_read(w);
        journal_rearm_timer(w);
        return 0;
}

/* ---- file ---- */

static void file_feed_bytes(LogWatch *w, const char *p, size_t n) {
        while (n > 0) {
                const char *nl = memchr(p, '\n', n);
                size_t k = nl ? (size_t) (nl - p) : n;

                if (!nl) {
                        if (!w->skipping && buffer_append(&w->partial, p, k) < 0) {
                                w->skipping = true;
                                buffer_clear(&w->partial);
                        }
                        return;
                }

                if (w->skipping) {
                        w->lines_skipped++;
                        w->skipping = false;
                } else if (w->partial.len == 0)
                        log_watch_feed_line(w, p, k);
                else if (buffer_append(&w->partial, p, k) < 0)
                        w->lines_skipped++;
                else
                        log_watch_feed_line(w, (const char *) w->partial.data, w->partial.len);
                buffer_clear(&w->partial);
                p += k + 1;
                n -= k + 1;
        }
}

static void file_close(LogWatch *w) {
        w->backlog = false;
        w->fd = (closep(&w->fd), -EBADF);
        w->offset = 0;
        w->skipping = false;
        buffer_clear(&w->partial);
}

/* Read what is there, at most one slice; returns true if more may be left. */
static bool file_read(LogWatch *w) {
        char buf[64 * 1024];
        size_t total = 0;

        while (total < LOG_WATCH_FILE_SLICE) {
                ssize_t k = read(w->fd, buf, sizeof buf);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                log_watch_set_health(w, SOURCE_FAILED, "cannot read %s: %m", w->file);
                        w->backlog = false;
                        return false;
                }
                if (k == 0) {
                        w->backlog = false;
                        return false;
                }
                file_feed_bytes(w, buf, (size_t) k);
                w->offset += (uint64_t) k;
                total += (size_t) k;
        }
        w->backlog = true;
        return true;
}

static void file_check(LogWatch *w);

static int file_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        LogWatch *w = userdata;

        file_check(w);
        log_watch_notify(w);
        (void) sd_event_source_set_time_relative(s, LOG_WATCH_POLL_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int file_start_polling(LogWatch *w) {
        if (w->file_timer) {
                (void) sd_event_source_set_time_relative(w->file_timer, LOG_WATCH_POLL_USEC);
                return sd_event_source_set_enabled(w->file_timer, SD_EVENT_ONESHOT);
        }
        return sd_event_add_time_relative(w->event, &w->file_timer, CLOCK_MONOTONIC, LOG_WATCH_POLL_USEC,
                                          USEC_PER_SEC / 4, file_on_timer, w);
}

static int file_on_target_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        LogWatch *w = userdata;

        file_check(w);
        log_watch_notify(w);
        return 0;
}

/* The directory watch sees writes to files in that directory only; a symlink's
 * target changes elsewhere (or under another name), so watch the file itself. */
static void file_watch_target(LogWatch *w) {
        struct stat st;
        int r;

        w->file_target_inotify = sd_event_source_disable_unref(w->file_target_inotify);
        if (lstat(w->file, &st) < 0 || !S_ISLNK(st.st_mode))
                return;
        r = sd_event_add_inotify(w->event, &w->file_target_inotify, w->file,
                                 IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF,
                                 file_on_target_inotify, w);
        if (r < 0) {
                log_debug_errno(r, "log source: cannot watch %s (%m), polling every second", w->file);
                (void) file_start_polling(w);
        }
}

static void file_check(LogWatch *w) {
        struct stat st;
        bool replaced = false;

        if (w->fd >= 0) {
                if (stat(w->file, &st) < 0 || st.st_dev != w->dev || st.st_ino != w->ino) {
                        /* finish the old file, then treat whatever comes next as a new run */
                        (void) file_read(w);
                        file_close(w);
                        replaced = true;
                }
        }

        if (w->fd < 0) {
                _cleanup_close_ int fd = open(w->file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

                if (fd < 0 || fstat(fd, &st) < 0) {
                        log_watch_set_health(w, SOURCE_FAILED, "cannot open %s: %m", w->file);
                        if (replaced)
                                log_watch_reset(w, "the log file is gone");
                        return;
                }
                if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
                        log_watch_set_health(w, SOURCE_FAILED, "%s is not a regular file", w->file);
                        return;
                }
                w->fd = TAKE_FD(fd);
                w->dev = st.st_dev;
                w->ino = st.st_ino;
                w->offset = 0;
                log_watch_reset(w, "reading the log file from its start");
                log_watch_set_health(w, SOURCE_HEALTHY, "file %s", w->file);
                file_watch_target(w);
        } else if (fstat(w->fd, &st) >= 0 && S_ISREG(st.st_mode) && (uint64_t) st.st_size < w->offset) {
                log_watch_reset(w, "the log file was truncated");
                (void) lseek(w->fd, 0, SEEK_SET);
                w->offset = 0;
                w->skipping = false;
                buffer_clear(&w->partial);
        }

        if (file_read(w))
                log_watch_pump_more(w);
}

static int file_on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        LogWatch *w = userdata;
        const char *base = strrchr(w->file, '/');

        base = base ? base + 1 : w->file;
        if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW)) {
                /* the directory itself went away (or we lost events): fall back to polling */
                if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
                        w->file_inotify = sd_event_source_disable_unref(w->file_inotify);
                        (void) file_start_polling(w);
                }
        } else if (ev->len == 0 || !streq(ev->name, base))
                return 0;

        file_check(w);
        log_watch_notify(w);
        return 0;
}

static int file_open(LogWatch *w) {
        _cleanup_free_ char *dir = strdup(w->file);
        char *slash;
        int r;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                strcpy(dir, ".");
        else if (slash == dir)
                dir[1] = 0;
        else
                *slash = 0;

        r = sd_event_add_inotify(w->event, &w->file_inotify, dir,
                                 IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                 IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR,
                                 file_on_inotify, w);
        if (r < 0) {
                log_debug_errno(r, "log source: cannot watch %s (%m), polling every second", dir);
                r = file_start_polling(w);
                if (r < 0)
                        return r;
        }

        file_check(w);
        return 0;
}

static int pump_on_defer(sd_event_source *s, void *userdata) {
        LogWatch *w = userdata;

        if (w->journal && w->journal_io) {
                journal_read(w);
                journal_rearm_timer(w);
        } else if (w->fd >= 0 && file_read(w))
                log_watch_pump_more(w);
        log_watch_notify(w);
        return 0;
}

int log_watch_new(sd_event *e, const LogWatchConfig *c, source_changed_t cb, void *userdata, LogWatch **ret) {
        _cleanup_(log_watch_freep) LogWatch *w = NULL;
        int r;

        if (!e || !c || !ret)
                return -EINVAL;
        if (c->kind == LOG_SOURCE_JOURNAL && (!c->unit || !*c->unit))
                return -EINVAL;
        if (c->kind == LOG_SOURCE_FILE && (!c->file || !*c->file))
                return -EINVAL;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->fd = -EBADF;
        w->event = sd_event_ref(e);
        w->kind = c->kind;
        w->cb = cb;
        w->userdata = userdata;
        buffer_init(&w->partial, LOGLINE_MAX);
        w->health = SOURCE_UNKNOWN;

        if ((c->unit && !(w->unit = strdup(c->unit))) ||
            (c->file && !(w->file = strdup(c->file))) ||
            (c->journal_directory && !(w->journal_directory = strdup(c->journal_directory))))
                return -ENOMEM;

        r = log_tracker_new(c->crossplay, &w->tracker);
        if (r < 0)
                return r;

        r = sd_event_add_defer(e, &w->pump, pump_on_defer, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(w->pump, SD_EVENT_OFF);

        switch (c->kind) {
        case LOG_SOURCE_JOURNAL:
                r = journal_open(w);
                break;
        case LOG_SOURCE_FILE:
                r = file_open(w);
                break;
        default:
                log_watch_set_health(w, SOURCE_UNKNOWN, "log source off");
                r = 0;
        }
        if (r < 0)
                return r;

        /* The first report is announced from the loop too, once the caller
         * holds the LogWatch: a log read from its start may already say that
         * people are on and that the server is ready. */
        log_watch_pump_more(w);
        *ret = TAKE_PTR(w);
        return 0;
}

LogWatch *log_watch_free(LogWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->pump);
        sd_event_source_disable_unref(w->journal_io);
        sd_event_source_disable_unref(w->journal_timer);
        sd_event_source_disable_unref(w->file_inotify);
        sd_event_source_disable_unref(w->file_timer);
        sd_event_source_disable_unref(w->file_target_inotify);
        sd_journal_close(w->journal);
        closep(&w->fd);
        buffer_free(&w->partial);
        log_tracker_free(w->tracker);
        sd_event_unref(w->event);
        free(w->unit);
        free(w->file);
        free(w->journal_directory);
        free(w);
        return NULL;
}

void log_watch_report(LogWatch *w, SourceReport *ret) {
        if (!ret)
                return;
        if (!w) {
                *ret = (SourceReport) { .name = "log", .health = SOURCE_UNKNOWN, .detail = "log source off" };
                return;
        }
        /* Halfway through a long log the count is not yet the count. */
        if (w->backlog && w->health == SOURCE_HEALTHY) {
                *ret = (SourceReport) { .name = "log", .health = SOURCE_UNKNOWN, .detail = "catching up with the log" };
                return;
        }
        *ret = (SourceReport) {
                .name = "log",
                .health = w->health,
                .players = w->health == SOURCE_HEALTHY ? log_tracker_players(w->tracker) : 0,
                .names = w->health == SOURCE_HEALTHY ? log_tracker_names(w->tracker) : NULL,
                .detail = w->detail,
        };
}

bool log_watch_server_ready(const LogWatch *w) {
        return w && log_tracker_server_ready(w->tracker);
}

uint64_t log_watch_lines_skipped(const LogWatch *w) {
        return w ? w->lines_skipped : 0;
}
