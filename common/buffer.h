/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer with a hard cap. Everything that input drives (HTTP
 * bodies, Lambda payloads, log lines) is collected in one of these, so an
 * attacker can make us allocate at most `max` bytes: past it, appends fail
 * with -ENOBUFS and the buffer stays as it was.
 */
#pragma once

#include "common/macro.h"

typedef struct Buffer {
        uint8_t *data;
        size_t len;
        size_t cap;
        size_t max;
} Buffer;

#define BUFFER_INIT(max_size) ((Buffer) { .max = (max_size) })

void buffer_init(Buffer *b, size_t max);
int buffer_append(Buffer *b, const void *data, size_t len);
int buffer_append_byte(Buffer *b, uint8_t c);
/* Ensure the contents are NUL-terminated (the NUL is not counted in len). */
int buffer_terminate(Buffer *b);
/* Drop the first n bytes. */
void buffer_consume(Buffer *b, size_t n);
void buffer_clear(Buffer *b);
void buffer_free(Buffer *b);
/* Hand the contents over (NUL-terminated) and reset the buffer. */
char *buffer_steal_string(Buffer *b);
