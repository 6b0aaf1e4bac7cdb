/* SPDX-License-Identifier: MIT */
/*
 * Lambda function URL events (payload format 2.0) in, HTTP-shaped answers
 * out. Only what a Discord interaction needs is kept: method, path, the two
 * signature headers and the body, base64-decoded when the event says so
 * (the signature covers the decoded bytes).
 */
#pragma once

#include "common/macro.h"

/* What the runtime hands us is bounded by Lambda (6 MB); the body we accept
 * is bounded by DISCORD_BODY_MAX after decoding. */
#define FUNCTION_URL_EVENT_MAX (6U * 1024U * 1024U)

typedef struct FunctionUrlEvent {
        char *method;           /* requestContext.http.method */
        char *raw_path;         /* rawPath */
        char *signature;        /* headers["x-signature-ed25519"] */
        char *timestamp;        /* headers["x-signature-timestamp"] */
        uint8_t *body;          /* decoded, NUL-terminated (not counted in body_len) */
        size_t body_len;
} FunctionUrlEvent;

/* -EBADMSG: not an event; -EFBIG: body larger than max_body after decoding. */
int function_url_event_parse(const uint8_t *buf, size_t len, size_t max_body, FunctionUrlEvent *ret);
void function_url_event_done(FunctionUrlEvent *e);

/* {"statusCode":status,"headers":{"content-type":"application/json"},"body":body} */
int function_url_response(int status, const char *json_body, char **ret);
/* The same, with body {"error": message}. */
int function_url_error_response(int status, const char *message, char **ret);
