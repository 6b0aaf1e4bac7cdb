/* SPDX-License-Identifier: MIT */
/* Capped growable buffer; see buffer.h for why the cap matters. */
#include <string.h>

#include "common/buffer.h"

void buffer_init(Buffer *b, size_t max) {
        *b = BUFFER_INIT(max);
}

static int buffer_reserve(Buffer *b, size_t extra) {
        size_t need, cap;
        uint8_t *p;

        /* +1 keeps room for a terminating NUL without exceeding the cap's meaning. */
        if (extra > b->max || b->len > b->max - extra)
                return -ENOBUFS;
        need = b->len + extra + 1;
        if (need <= b->cap)
                return 0;
        cap = b->cap ? b->cap : 64;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > b->max + 1)
                cap = b->max + 1;
        p = realloc(b->data, cap);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->cap = cap;
        return 0;
}

int buffer_append(Buffer *b, const void *data, size_t len) {
        int r;

        if (len == 0)
                return 0;
        r = buffer_reserve(b, len);
        if (r < 0)
                return r;
        memcpy(b->data + b->len, data, len);
        b->len += len;
        return 0;
}

int buffer_append_byte(Buffer *b, uint8_t c) {
        return buffer_append(b, &c, 1);
}

int buffer_terminate(Buffer *b) {
        int r = buffer_reserve(b, 0);
        if (r < 0)
                return r;
        b->data[b->len] = 0;
        return 0;
}

void buffer_consume(Buffer *b, size_t n) {
        if (n >= b->len) {
                b->len = 0;
                return;
        }
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
}

void buffer_clear(Buffer *b) {
        b->len = 0;
}

void buffer_free(Buffer *b) {
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

char *buffer_steal_string(Buffer *b) {
        char *s;

        if (buffer_terminate(b) < 0)
                return NULL;
        s = (char *) b->data;
        b->data = NULL;
        b->len = b->cap = 0;
        return s;
}
