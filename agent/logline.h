/* SPDX-License-Identifier: MIT */
/*
 * The Valheim server log lines that tell who is on (design brief §2), parsed
 * by one pure function over (line, len). Nothing here trusts the text: ids
 * must be plain decimal numbers that fit, character names are cleaned to
 * printable UTF-8 of bounded length, and every phrase must start the line
 * (after the optional "MM/DD/YYYY HH:MM:SS: " timestamp and spaces), so a
 * character or server name cannot smuggle in a fake event.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longer lines are not game lines: they are ignored (the follower skips and counts them). */
#define LOGLINE_MAX 4096
#define LOGLINE_NAME_MAX 64

typedef enum LogLineType {
        LOGLINE_IGNORED,
        LOGLINE_STEAM_CONNECTED,  /* "Got connection SteamID <id>" */
        LOGLINE_STEAM_CLOSED,     /* "Closing socket <id>" */
        LOGLINE_CHARACTER,        /* "Got character ZDOID from <Name> : <uid>:<n>" (spawn, respawn, or death when 0:0) */
        LOGLINE_HANDSHAKE,        /* "Got handshake from client <id>": before the password check, not a join */
        LOGLINE_WRONG_PASSWORD,   /* "Peer <id> has wrong password": a failed join */
        LOGLINE_CROSSPLAY_JOINED, /* "Player joined server \"<name>\" that has join code <code>, now <N> player(s)" */
        LOGLINE_CROSSPLAY_LEFT,   /* "Player connection lost server \"<name>\" that has join code <code>, now <N> player(s)" */
        LOGLINE_SERVER_READY,     /* "Game server connected", or crossplay "Session \"<name>\" registered with join code <code>" */
        _LOGLINE_TYPE_MAX,
} LogLineType;

typedef struct LogLine {
        LogLineType type;
        uint64_t id;                    /* SteamID / peer id */
        char name[LOGLINE_NAME_MAX];    /* character name, sanitized, for CHARACTER */
        uint64_t zdo_user, zdo_id;      /* ZDOID "<uid>:<n>"; a negative uid is kept as its two's complement */
        bool dead;                      /* ": 0:0" */
        unsigned count;                 /* crossplay "now N player(s)" */
} LogLine;

const char *logline_type_to_string(LogLineType t);

/* Parse one line (without or with its trailing newline). Returns 0 and fills
 * *ret (type may be LOGLINE_IGNORED); -EINVAL only for NULL arguments. Lines
 * longer than LOGLINE_MAX are LOGLINE_IGNORED. Pure and O(len). */
int logline_parse(const char *line, size_t len, LogLine *ret);

/* Copy untrusted text into a name: valid, printable UTF-8 only (controls,
 * invalid or overlong sequences become '?'), surrounding spaces trimmed,
 * truncated on a character boundary to fit size (including the NUL).
 * Returns the length written. */
size_t logline_sanitize_name(const char *s, size_t len, char *buf, size_t size);
