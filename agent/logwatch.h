/* SPDX-License-Identifier: MIT */
/*
 * The `log` player source: follows the game's log (the journal of the game
 * unit, or a log file) and keeps track of who is on.
 *
 * The tracker is pure (fed parsed lines, no I/O) so the counting rules can be
 * unit-tested; the LogWatch around it does the reading inside sd-event.
 */
#pragma once

#include <systemd/sd-event.h>

#include "common/macro.h"

#include "agent/logline.h"
#include "agent/source.h"

/* Steam mode remembers at most this many connected SteamIDs. */
#define LOG_TRACKER_MAX_PLAYERS 256

typedef struct LogWatchConfig {
        int kind;                /* LOG_SOURCE_JOURNAL, LOG_SOURCE_FILE, LOG_SOURCE_OFF from agent/config.h */
        const char *unit;        /* journal: the game unit, e.g. "valheim-server.service" */
        const char *file;        /* file: the log file's path */
        bool crossplay;          /* count by "now N player(s)" lines instead of SteamIDs */
        const char *journal_directory; /* journal: read this directory instead of the system journal (tests); NULL normally */
} LogWatchConfig;

typedef struct LogWatch LogWatch;

int log_watch_new(sd_event *e, const LogWatchConfig *c, source_changed_t cb, void *userdata, LogWatch **ret);
LogWatch *log_watch_free(LogWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(LogWatch *, log_watch_free);

/* name "log"; HEALTHY while the log is being read (journal: once the game has
 * logged in this run, or while its unit is stopped), UNKNOWN or FAILED with a
 * detail otherwise; players and names from the tracker. The callback also
 * announces the first report, from the loop, after log_watch_new() returns. */
void log_watch_report(LogWatch *w, SourceReport *ret);
/* "Game server connected" (or crossplay's join code line) seen in this run of the game. */
bool log_watch_server_ready(const LogWatch *w);
/* Lines skipped because they were longer than LOGLINE_MAX. */
uint64_t log_watch_lines_skipped(const LogWatch *w);

/* Tracker (pure, unit-testable). */
typedef struct LogTracker LogTracker;

int log_tracker_new(bool crossplay, LogTracker **ret);
LogTracker *log_tracker_free(LogTracker *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(LogTracker *, log_tracker_free);

void log_tracker_feed(LogTracker *t, const LogLine *l);
/* The game restarted: nobody is on, the server is not ready. */
void log_tracker_reset(LogTracker *t);
unsigned log_tracker_players(const LogTracker *t);
/* NULL-terminated names of the players whose character is known, or NULL when
 * none is; valid until the next feed or reset. */
const char *const *log_tracker_names(LogTracker *t);
bool log_tracker_server_ready(const LogTracker *t);
