/* SPDX-License-Identifier: MIT */
/*
 * The log source: the tracker's counting rules fed parsed lines, then the
 * file follower on a real file in a temporary directory under a real
 * sd-event loop (append, partial and overlong lines, truncation, rotation,
 * deletion).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "tests/unit/unit.h"

#include "agent/config.h"
#include "agent/logwatch.h"

static void feed(LogTracker *t, const char *line) {
        LogLine l;

        assert_int_equal(logline_parse(line, strlen(line), &l), 0);
        log_tracker_feed(t, &l);
}

/* "A, B" or "" */
static const char *names_joined(LogTracker *t) {
        static char buf[1024];
        const char *const *names = log_tracker_names(t);

        buf[0] = 0;
        for (size_t i = 0; names && names[i]; i++) {
                if (i > 0)
                        strcat(buf, ", ");
                strcat(buf, names[i]);
        }
        return buf;
}

static void test_steam_join_respawn_leave(void **state) {
        _cleanup_(log_tracker_freep) LogTracker *t = NULL;

        assert_int_equal(log_tracker_new(false, &t), 0);
        assert_int_equal(log_tracker_players(t), 0);
        assert_null(log_tracker_names(t));
        assert_false(log_tracker_server_ready(t));

        feed(t, "12/04/2026 20:14:13: Game server connected");
        assert_true(log_tracker_server_ready(t));

        feed(t, "12/04/2026 20:15:03: Got connection SteamID 76561198000000001");
        feed(t, "12/04/2026 20:15:03: Got handshake from client 76561198000000001");
        assert_int_equal(log_tracker_players(t), 1);
        assert_null(log_tracker_names(t));   /* no character yet */
        feed(t, "12/04/2026 20:15:31: Got character ZDOID from Ragnar : -1437896420:1");
        assert_int_equal(log_tracker_players(t), 1);
        assert_string_equal(names_joined(t), "Ragnar");

        /* the same connection twice is one player */
        feed(t, "Got connection SteamID 76561198000000001");
        assert_int_equal(log_tracker_players(t), 1);

        feed(t, "Got connection SteamID 76561198000000002");
        feed(t, "Got character ZDOID from Freya : 1730451269:1");
        assert_int_equal(log_tracker_players(t), 2);
        assert_string_equal(names_joined(t), "Ragnar, Freya");

        /* death and respawn: not joins, names unchanged */
        feed(t, "Got character ZDOID from Ragnar : 0:0");
        feed(t, "Got character ZDOID from Ragnar : -1437896420:2");
        feed(t, "Got character ZDOID from Ragnar : 0:0");
        feed(t, "Got character ZDOID from Ragnar : -1437896420:3");
        assert_int_equal(log_tracker_players(t), 2);
        assert_string_equal(names_joined(t), "Ragnar, Freya");

        /* leave: the count drops and the name goes with its connection */
        feed(t, "  Closing socket 76561198000000001");
        assert_int_equal(log_tracker_players(t), 1);
        assert_string_equal(names_joined(t), "Freya");
        /* closing an unknown socket changes nothing */
        feed(t, "Closing socket 42");
        assert_int_equal(log_tracker_players(t), 1);
        feed(t, "Closing socket 76561198000000002");
        assert_int_equal(log_tracker_players(t), 0);
        assert_null(log_tracker_names(t));
}

static void test_steam_wrong_password(void **state) {
        _cleanup_(log_tracker_freep) LogTracker *t = NULL;

        assert_int_equal(log_tracker_new(false, &t), 0);
        feed(t, "Got connection SteamID 76561198000000001");
        feed(t, "Got character ZDOID from Ragnar : 5:1");

        /* a handshake alone is not a join */
        feed(t, "Got handshake from client 76561198000000003");
        assert_int_equal(log_tracker_players(t), 1);

        /* a stranger connects, fails the password: after it, one player again */
        feed(t, "Got connection SteamID 76561198000000003");
        feed(t, "Got handshake from client 76561198000000003");
        feed(t, "Peer 76561198000000003 has wrong password");
        assert_int_equal(log_tracker_players(t), 1);
        assert_string_equal(names_joined(t), "Ragnar");
        feed(t, "Closing socket 76561198000000003");
        assert_int_equal(log_tracker_players(t), 1);
}

static void test_steam_names_follow_connections(void **state) {
        _cleanup_(log_tracker_freep) LogTracker *t = NULL;

        assert_int_equal(log_tracker_new(false, &t), 0);
        /* a character with no connection waiting for one is not a player */
        feed(t, "Got character ZDOID from Ghost : 9:1");
        assert_int_equal(log_tracker_players(t), 0);
        assert_null(log_tracker_names(t));

        /* two connect, spawn in order: each name on its own connection */
        feed(t, "Got connection SteamID 1");
        feed(t, "Got connection SteamID 2");
        feed(t, "Got character ZDOID from Alf : 11:1");
        feed(t, "Got character ZDOID from Bera : 22:1");
        feed(t, "Closing socket 1");
        assert_string_equal(names_joined(t), "Bera");
        feed(t, "Closing socket 2");

        /* untrusted names arrive cleaned */
        feed(t, "Got connection SteamID 3");
        feed(t, "Got character ZDOID from \x1b]0;pwned\x07 : 33:1");
        assert_string_equal(names_joined(t), "?]0;pwned?");
}

static void test_steam_bounded(void **state) {
        _cleanup_(log_tracker_freep) LogTracker *t = NULL;
        char line[128];

        assert_int_equal(log_tracker_new(false, &t), 0);
        for (unsigned i = 1; i <= 1000; i++) {
                snprintf(line, sizeof line, "Got connection SteamID %u", i);
                feed(t, line);
        }
        assert_int_equal(log_tracker_players(t), LOG_TRACKER_MAX_PLAYERS);
        for (unsigned i = 1; i <= LOG_TRACKER_MAX_PLAYERS; i++) {
                snprintf(line, sizeof line, "Closing socket %u", i);
                feed(t, line);
        }
        assert_int_equal(log_tracker_players(t), 0);
}

static void test_reset(void **state) {
        _cleanup_(log_tracker_freep) LogTracker *t = NULL;

        assert_int_equal(log_tracker_new(false, &t), 0);
        feed(t, "Game server connected");
        feed(t, "Got connection SteamID 1");
        feed(t, "Got character ZDOID from Alf : 11:1");
        log_tracker_reset(t);
        assert_int_equal(log_tracker_players(t), 0);
        assert_null(log_tracker_names(t));
        assert_false(log_tracker_server_ready(t));
}

static void test_crossplay(void **state) {
        _cleanup_(log_tracker_freep) LogTracker *t = NULL;

        assert_int_equal(log_tracker_new(true, &t), 0);
        feed(t, "Session \"Midgard\" registered with join code 738419");
        assert_true(log_tracker_server_ready(t));

        /* Steam lines do not count in crossplay mode */
        feed(t, "Got connection SteamID 1");
        assert_int_equal(log_tracker_players(t), 0);

        feed(t, "Player joined server \"Midgard\" that has join code 738419, now 1 player(s)");
        feed(t, "Got character ZDOID from Ragnar : 2013557041:1");
        assert_int_equal(log_tracker_players(t), 1);
        assert_string_equal(names_joined(t), "Ragnar");

        feed(t, "Player joined server \"Midgard\" that has join code 738419, now 2 player(s)");
        assert_int_equal(log_tracker_players(t), 2);
        feed(t, "Got character ZDOID from Astrid : -98812733:1");
        feed(t, "Got character ZDOID from Ragnar : 0:0");
        feed(t, "Got character ZDOID from Ragnar : 2013557041:3");
        assert_int_equal(log_tracker_players(t), 2);
        assert_string_equal(names_joined(t), "Astrid, Ragnar");

        /* the count is authoritative; names shrink to the most recent ones */
        feed(t, "Player connection lost server \"Midgard\" that has join code 738419, now 1 player(s)");
        assert_int_equal(log_tracker_players(t), 1);
        assert_string_equal(names_joined(t), "Ragnar");
        feed(t, "Player connection lost server \"Midgard\" that has join code 738419, now 0 player(s)");
        assert_int_equal(log_tracker_players(t), 0);
        assert_null(log_tracker_names(t));

        /* a count can also jump (lines lost): we follow the game */
        feed(t, "Player joined server \"Midgard\" that has join code 738419, now 5 player(s)");
        assert_int_equal(log_tracker_players(t), 5);
}

static void test_sample_steam_log(void **state) {
        _cleanup_(log_tracker_freep) LogTracker *t = NULL;
        _cleanup_fclose_ FILE *f = fopen(SIGRUN_TESTDATA "/valheim-steam.log", "re");
        unsigned max_players = 0;
        bool saw_both = false;
        char *buf = NULL;
        size_t size = 0;
        ssize_t len;

        assert_non_null(f);
        assert_int_equal(log_tracker_new(false, &t), 0);
        while ((len = getline(&buf, &size, f)) >= 0) {
                LogLine l;

                assert_int_equal(logline_parse(buf, (size_t) len, &l), 0);
                log_tracker_feed(t, &l);
                max_players = MAX(max_players, log_tracker_players(t));
                if (strstr(buf, "20:40:03: Closing socket"))
                        saw_both = streq(names_joined(t), "Ragnar, Freya Ironside") && log_tracker_players(t) == 2;
        }
        free(buf);
        /* the stranger with the wrong password was briefly connected, never more */
        assert_int_equal(max_players, 3);
        assert_true(saw_both);
        assert_int_equal(log_tracker_players(t), 0);
        assert_true(log_tracker_server_ready(t));
}

/* ---- the file follower ---- */

typedef struct Fixture {
        char dir[64];
        char path[128];
        sd_event *event;
        LogWatch *watch;
        unsigned changes;
} Fixture;

static void on_change(void *userdata) {
        Fixture *f = userdata;

        f->changes++;
}

static int fixture_setup(void **state) {
        Fixture *f = calloc(1, sizeof *f);

        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-logwatch-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof f->path, "%s/valheim.log", f->dir);
        assert_int_equal(sd_event_new(&f->event), 0);
        *state = f;
        return 0;
}

static int fixture_teardown(void **state) {
        Fixture *f = *state;
        DIR *d;

        log_watch_free(f->watch);
        sd_event_unref(f->event);
        /* our own mkdtemp() directory: everything in it is ours */
        d = opendir(f->dir);
        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_name[0] != '.')
                        assert_int_equal(unlinkat(dirfd(d), de->d_name, 0), 0);
        closedir(d);
        assert_int_equal(rmdir(f->dir), 0);
        free(f);
        return 0;
}

static void append(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

/* Run the loop until the callback fired, at most ~3 s. */
static void wait_change(Fixture *f) {
        unsigned before = f->changes;

        for (unsigned i = 0; i < 30 && f->changes == before; i++)
                assert_true(sd_event_run(f->event, 100 * USEC_PER_MSEC) >= 0);
        assert_true(f->changes > before);
}

static void watch_start(Fixture *f, bool crossplay) {
        LogWatchConfig c = { .kind = LOG_SOURCE_FILE, .file = f->path, .crossplay = crossplay };

        assert_int_equal(log_watch_new(f->event, &c, on_change, f, &f->watch), 0);
        /* the first report is announced from the loop, once we hold the watch */
        assert_int_equal(f->changes, 0);
        wait_change(f);
        assert_int_equal(f->changes, 1);
        f->changes = 0;
}

static SourceReport report(Fixture *f) {
        SourceReport r;

        log_watch_report(f->watch, &r);
        assert_string_equal(r.name, "log");
        return r;
}

/* A log longer than one read slice: until the end is read the count is
 * unknown, never the count of the first slice (here 2 instead of 1). */
static void test_file_backlog_is_unknown_until_read(void **state) {
        Fixture *f = *state;
        LogWatchConfig c = { .kind = LOG_SOURCE_FILE, .file = f->path };
        _cleanup_free_ char *filler = NULL;
        size_t filler_len = 3 * 1024 * 1024;
        SourceReport r;

        append(f->path, "Game server connected\n"
                        "Got connection SteamID 76561198000000001\n"
                        "Got connection SteamID 76561198000000002\n");
        filler = malloc(filler_len + 1);
        assert_non_null(filler);
        static const char line[] = "12/04/2026 20:15:03: Unrelated line of the server's log .......\n";
        assert_int_equal(sizeof(line) - 1, 64);
        for (size_t i = 0; i < filler_len; i += 64)
                memcpy(filler + i, line, 64);
        filler[filler_len] = 0;
        append(f->path, filler);
        append(f->path, "  Closing socket 76561198000000002\n");

        assert_int_equal(log_watch_new(f->event, &c, on_change, f, &f->watch), 0);
        r = report(f);
        assert_int_equal(r.health, SOURCE_UNKNOWN);
        assert_string_equal(r.detail, "catching up with the log");

        for (unsigned i = 0; i < 50 && report(f).health != SOURCE_HEALTHY; i++)
                assert_true(sd_event_run(f->event, 100 * USEC_PER_MSEC) >= 0);
        r = report(f);
        assert_int_equal(r.health, SOURCE_HEALTHY);
        assert_int_equal(r.players, 1);
}

static void test_file_follow(void **state) {
        Fixture *f = *state;
        SourceReport r;

        /* people joined before the agent started: counted from the file's start */
        append(f->path, "12/04/2026 20:14:13: Game server connected\n"
                        "12/04/2026 20:15:03: Got connection SteamID 76561198000000001\n"
                        "12/04/2026 20:15:31: Got character ZDOID from Ragnar : -1437896420:1\n");
        watch_start(f, false);
        r = report(f);
        assert_int_equal(r.health, SOURCE_HEALTHY);
        assert_int_equal(r.players, 1);
        assert_non_null(r.names);
        assert_string_equal(r.names[0], "Ragnar");
        assert_null(r.names[1]);
        assert_true(log_watch_server_ready(f->watch));
        assert_non_null(strstr(r.detail, f->path));

        append(f->path, "12/04/2026 20:21:40: Got connection SteamID 76561198000000002\n");
        wait_change(f);
        assert_int_equal(report(f).players, 2);

        /* half a line waits for its end */
        append(f->path, "12/04/2026 21:02:11:   Closing socket 765611980");
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_int_equal(report(f).players, 2);
        append(f->path, "00000001\n");
        wait_change(f);
        r = report(f);
        assert_int_equal(r.players, 1);
        assert_null(r.names);

        /* an overlong line is skipped and counted; the next line still counts */
        {
                _cleanup_free_ char *big = malloc(3 * LOGLINE_MAX);

                assert_non_null(big);
                memset(big, 'x', 3 * LOGLINE_MAX - 1);
                big[3 * LOGLINE_MAX - 1] = 0;
                memcpy(big, "Closing socket 76561198000000002 ", 33);
                append(f->path, big);
                append(f->path, "\nGot connection SteamID 3\n");
        }
        wait_change(f);
        assert_int_equal(log_watch_lines_skipped(f->watch), 1);
        assert_int_equal(report(f).players, 2);
}

static void test_file_truncate_and_rotate(void **state) {
        Fixture *f = *state;
        char old[160];

        append(f->path, "Got connection SteamID 1\nGot connection SteamID 2\nGot connection SteamID 3\n");
        watch_start(f, false);
        assert_int_equal(report(f).players, 3);

        /* truncated: a new run of the game */
        assert_int_equal(truncate(f->path, 0), 0);
        append(f->path, "Got connection SteamID 9\n");
        wait_change(f);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_int_equal(report(f).players, 1);

        /* rotated: the file is replaced by a new one */
        snprintf(old, sizeof old, "%s.1", f->path);
        assert_int_equal(rename(f->path, old), 0);
        append(f->path, "Game server connected\n");
        wait_change(f);
        for (unsigned i = 0; i < 3; i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        assert_int_equal(report(f).health, SOURCE_HEALTHY);
        assert_int_equal(report(f).players, 0);
        assert_true(log_watch_server_ready(f->watch));

        /* deleted: cannot tell any more, which is not zero */
        assert_int_equal(unlink(f->path), 0);
        wait_change(f);
        assert_int_equal(report(f).health, SOURCE_FAILED);
        assert_non_null(strstr(report(f).detail, "No such file"));
}

static void test_file_missing_then_created(void **state) {
        Fixture *f = *state;
        SourceReport r;

        watch_start(f, false);
        r = report(f);
        assert_int_equal(r.health, SOURCE_FAILED);
        assert_non_null(strstr(r.detail, "cannot open"));

        append(f->path, "Got connection SteamID 1\n");
        wait_change(f);
        for (unsigned i = 0; i < 3 && report(f).players == 0; i++)
                assert_true(sd_event_run(f->event, 50 * USEC_PER_MSEC) >= 0);
        r = report(f);
        assert_int_equal(r.health, SOURCE_HEALTHY);
        assert_int_equal(r.players, 1);
}

static void test_file_crossplay(void **state) {
        Fixture *f = *state;

        append(f->path, "Player joined server \"M\" that has join code 1, now 4 player(s)\n");
        watch_start(f, true);
        assert_int_equal(report(f).players, 4);
        append(f->path, "Player connection lost server \"M\" that has join code 1, now 3 player(s)\n");
        wait_change(f);
        assert_int_equal(report(f).players, 3);
}

static void test_file_symlink(void **state) {
        Fixture *f = *state;
        char target[160];

        /* the log is a link to a file with another name (the directory watch
         * alone would filter its writes out) */
        snprintf(target, sizeof target, "%s/serverlog.txt", f->dir);
        append(target, "Got connection SteamID 1\n");
        assert_int_equal(symlink("serverlog.txt", f->path), 0);
        watch_start(f, false);
        assert_int_equal(report(f).players, 1);
        append(target, "Got connection SteamID 2\n");
        wait_change(f);
        assert_int_equal(report(f).players, 2);
}

static void test_file_polling_fallback(void **state) {
        Fixture *f = *state;
        char sub[160], path[200];
        LogWatchConfig c = { .kind = LOG_SOURCE_FILE, .file = path };

        /* the directory does not exist yet: no inotify watch, so it polls */
        snprintf(sub, sizeof sub, "%s/later", f->dir);
        snprintf(path, sizeof path, "%s/valheim.log", sub);
        assert_int_equal(log_watch_new(f->event, &c, on_change, f, &f->watch), 0);
        wait_change(f);
        assert_int_equal(report(f).health, SOURCE_FAILED);

        assert_int_equal(mkdir(sub, 0755), 0);
        append(path, "Got connection SteamID 1\n");
        wait_change(f);
        assert_int_equal(report(f).health, SOURCE_HEALTHY);
        assert_int_equal(report(f).players, 1);
        /* and keeps polling */
        append(path, "Got connection SteamID 2\n");
        wait_change(f);
        assert_int_equal(report(f).players, 2);

        f->watch = log_watch_free(f->watch);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(sub), 0);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void test_file_idle_no_wakeups(void **state) {
        Fixture *f = *state;
        unsigned iterations = 0;
        int r;

        append(f->path, "Got connection SteamID 1\n");
        watch_start(f, false);
        /* Nothing happens for 1.5 s: the loop must sleep until our deadline,
         * not spin or poll (each sd_event_run() dispatches one wakeup). */
        assert_int_equal(sd_event_add_time_relative(f->event, NULL, CLOCK_MONOTONIC, 1500 * USEC_PER_MSEC, 0,
                                                    on_deadline, NULL), 0);
        while ((r = sd_event_run(f->event, UINT64_MAX)) > 0 &&
               sd_event_get_state(f->event) != SD_EVENT_FINISHED)
                iterations++;
        assert_true(r >= 0);
        assert_true(iterations <= 2);
        assert_int_equal(f->changes, 0);
        assert_int_equal(report(f).players, 1);
}

/* ---- the journal follower, on a journal written by systemd-journal-remote ---- */

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"
#define UNIT "valheim-server.service"
#define INV0 "00000000000000000000000000000a00"
#define INV1 "00000000000000000000000000000a01"
#define INV2 "00000000000000000000000000000a02"
/* PID 1 about the unit */
#define PID1(inv, message_id, text) \
        "_SYSTEMD_UNIT=init.scope\n_PID=1\nUNIT=" UNIT "\nINVOCATION_ID=" inv "\nMESSAGE_ID=" message_id "\nMESSAGE=" text "\n"
#define STARTING "7d4958e842da4a758f6c1cdc7b36dcc5"
#define STARTED "39f53479d3a045ac8e11786248231fbf"
#define SUCCESS "7ad2d189f7e94e70a38c781354912448"
/* the game's own output */
#define GAME(inv, text) \
        "_SYSTEMD_UNIT=" UNIT "\n_PID=4242\n_SYSTEMD_INVOCATION_ID=" inv "\nMESSAGE=12/04/2026 20:15:03: " text "\n"
#define OTHER(unit, text) "_SYSTEMD_UNIT=" unit "\n_PID=77\nMESSAGE=" text "\n"

/* Append entries (each a block of FIELD=value lines) to the test journal. */
static void journal_append(Fixture *f, const char *const *entries, size_t n) {
        static uint64_t seq;
        char export[160], cmd[512];
        FILE *out;

        snprintf(export, sizeof export, "%s/export.txt", f->dir);
        out = fopen(export, "we");
        assert_non_null(out);
        for (size_t i = 0; i < n; i++, seq++)
                fprintf(out, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%llu\n"
                        "_BOOT_ID=0123456789abcdef0123456789abcdef\n%s\n",
                        1764879000000000ULL + seq * 1000ULL, 1000000ULL + seq * 1000ULL, entries[i]);
        assert_int_equal(fclose(out), 0);
        snprintf(cmd, sizeof cmd, JOURNAL_REMOTE " -o %s/test.journal %s 2>/dev/null", f->dir, export);
        assert_int_equal(system(cmd), 0);
}
#define JOURNAL_APPEND(f, ...) \
        journal_append((f), (const char *const[]) { __VA_ARGS__ }, ELEMENTSOF(((const char *const[]) { __VA_ARGS__ })))

static void journal_start(Fixture *f) {
        LogWatchConfig c = { .kind = LOG_SOURCE_JOURNAL, .unit = UNIT, .journal_directory = f->dir };

        assert_int_equal(log_watch_new(f->event, &c, on_change, f, &f->watch), 0);
        wait_change(f);
        f->changes = 0;
}

/* Run the loop until cond holds, at most ~3 s. */
#define RUN_UNTIL(f, cond)                                                                \
        do {                                                                              \
                for (unsigned _i = 0; _i < 60 && !(cond); _i++)                           \
                        assert_true(sd_event_run((f)->event, 50 * USEC_PER_MSEC) >= 0);   \
                assert_true(cond);                                                        \
        } while (0)

static void test_journal_current_invocation(void **state) {
        Fixture *f = *state;
        SourceReport r;

        if (access(JOURNAL_REMOTE, X_OK) < 0) {
                print_message("%s missing (Debian package systemd-journal-remote)\n", JOURNAL_REMOTE);
                skip();
        }

        JOURNAL_APPEND(f,
                       /* the previous run: Ymir never left, but that run is over */
                       PID1(INV0, STARTING, "Starting valheim-server.service..."),
                       GAME(INV0, "Got connection SteamID 76561198000000009"),
                       GAME(INV0, "Got character ZDOID from Ymir : 9:1"),
                       PID1(INV0, SUCCESS, "valheim-server.service: Deactivated successfully."),
                       /* this run: started before the agent */
                       PID1(INV1, STARTING, "Starting valheim-server.service..."),
                       PID1(INV1, STARTED, "Started valheim-server.service."),
                       GAME(INV1, "Game server connected"),
                       GAME(INV1, "Got connection SteamID 76561198000000001"),
                       OTHER("ssh.service", "Got connection SteamID 76561198000000005"),
                       GAME(INV1, "Got character ZDOID from Bera : 22:1"),
                       GAME(INV1, "Got connection SteamID 76561198000000003"),
                       GAME(INV1, "  Closing socket 76561198000000003"));

        journal_start(f);
        r = report(f);
        assert_int_equal(r.health, SOURCE_HEALTHY);
        assert_string_equal(r.detail, "journal of " UNIT);
        assert_int_equal(r.players, 1);
        assert_non_null(r.names);
        assert_string_equal(r.names[0], "Bera");
        assert_true(log_watch_server_ready(f->watch));

        /* followed live */
        JOURNAL_APPEND(f, GAME(INV1, "Got connection SteamID 76561198000000004"));
        RUN_UNTIL(f, report(f).players == 2);

        /* the game stops: nobody can be on, and that is known */
        JOURNAL_APPEND(f, PID1(INV1, SUCCESS, "valheim-server.service: Deactivated successfully."));
        RUN_UNTIL(f, report(f).players == 0);
        assert_int_equal(report(f).health, SOURCE_HEALTHY);
        assert_false(log_watch_server_ready(f->watch));

        /* a new run: unknown until the game itself speaks */
        JOURNAL_APPEND(f, PID1(INV2, STARTING, "Starting valheim-server.service..."));
        RUN_UNTIL(f, report(f).health == SOURCE_UNKNOWN);
        JOURNAL_APPEND(f, GAME(INV2, "Got connection SteamID 76561198000000007"));
        RUN_UNTIL(f, report(f).health == SOURCE_HEALTHY && report(f).players == 1);
}

static void test_journal_without_the_game(void **state) {
        Fixture *f = *state;
        SourceReport r;

        if (access(JOURNAL_REMOTE, X_OK) < 0) {
                print_message("%s missing (Debian package systemd-journal-remote)\n", JOURNAL_REMOTE);
                skip();
        }

        /* the game logs elsewhere (or never ran): a readable journal without its lines is not "0 players" */
        JOURNAL_APPEND(f, OTHER("ssh.service", "Accepted publickey for admin"));
        journal_start(f);
        r = report(f);
        assert_int_equal(r.health, SOURCE_UNKNOWN);
        assert_non_null(strstr(r.detail, "no lines from " UNIT));

        /* the game starts later and is picked up, from its first line */
        JOURNAL_APPEND(f, PID1(INV1, STARTING, "Starting valheim-server.service..."),
                       GAME(INV1, "Got connection SteamID 76561198000000001"));
        RUN_UNTIL(f, report(f).health == SOURCE_HEALTHY && report(f).players == 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_steam_join_respawn_leave),
                cmocka_unit_test(test_steam_wrong_password),
                cmocka_unit_test(test_steam_names_follow_connections),
                cmocka_unit_test(test_steam_bounded),
                cmocka_unit_test(test_reset),
                cmocka_unit_test(test_crossplay),
                cmocka_unit_test(test_sample_steam_log),
                cmocka_unit_test_setup_teardown(test_file_follow, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_file_backlog_is_unknown_until_read, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_file_truncate_and_rotate, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_file_missing_then_created, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_file_crossplay, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_file_idle_no_wakeups, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_file_symlink, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_file_polling_fallback, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_journal_current_invocation, fixture_setup, fixture_teardown),
                cmocka_unit_test_setup_teardown(test_journal_without_the_game, fixture_setup, fixture_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
