/* SPDX-License-Identifier: MIT */
/*
 * The Lambda runtime API client (design brief §4): fetch the next invocation,
 * post its response or error, or report an init error. `next` has no client
 * timeout on purpose: Lambda freezes the process between invocations, and a
 * timer would fire on thaw and lose the invocation.
 */
#pragma once

#include <curl/curl.h>

#include "common/buffer.h"
#include "common/macro.h"

typedef struct Runtime Runtime;

typedef struct Invocation {
        char request_id[128];
        int64_t deadline_ms; /* Unix milliseconds, 0 when not given */
        Buffer event;
} Invocation;

void invocation_done(Invocation *inv);

/* api: the value of $AWS_LAMBDA_RUNTIME_API ("host:port"). */
int runtime_new(const char *api, Runtime **ret);
Runtime *runtime_free(Runtime *rt);
DEFINE_TRIVIAL_CLEANUP_FUNC(Runtime *, runtime_free);

int runtime_next(Runtime *rt, Invocation *ret);
int runtime_respond(Runtime *rt, const char *request_id, const char *response);
/* error_type e.g. "Runtime.HandlerFailed". */
int runtime_fail(Runtime *rt, const char *request_id, const char *error_type, const char *message);
int runtime_init_error(Runtime *rt, const char *error_type, const char *message);
