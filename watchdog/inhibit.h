/* SPDX-License-Identifier: MIT */
/*
 * The inhibit state file: "no idle stop until ..." must survive an agent
 * restart, so the deadline is kept in a small file under the state directory.
 *
 * It holds wall-clock time (CLOCK_REALTIME, usec since the epoch, decimal,
 * one line), because monotonic time starts over on every boot; the caller
 * converts it to and from its policy clock. It is written atomically (temp
 * file in the same directory, fsync, rename), so a reader sees the old
 * deadline or the new one, never half of one.
 */
#pragma once

#include "common/macro.h"

#define INHIBIT_FILE_NAME "inhibit"
#define INHIBIT_FILE_MAX 64

/* -ENOENT when none; an expired file is treated as none (-ENOENT), a corrupt
 * one too but reported as -EBADMSG. Other errors (unreadable directory...) as
 * they come. *ret_realtime_until is untouched on failure. */
int inhibit_load(const char *state_dir, usec_t *ret_realtime_until);
/* As inhibit_load(), with "now" given (tests, and callers that hold the time). */
int inhibit_load_at(const char *state_dir, usec_t realtime_now, usec_t *ret_realtime_until);

/* 0 removes the file (no file is fine). A missing state directory is an
 * error (-ENOENT): it is the service manager's to create. */
int inhibit_save(const char *state_dir, usec_t realtime_until);
