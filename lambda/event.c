/* SPDX-License-Identifier: MIT */
/* Function URL event (payload 2.0) parsing and response building; see event.h. */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "lambda/discord.h"
#include "lambda/event.h"

void function_url_event_done(FunctionUrlEvent *e) {
        if (!e)
                return;
        free(e->method);
        free(e->raw_path);
        free(e->signature);
        free(e->timestamp);
        free(e->body);
        *e = (FunctionUrlEvent) {};
}

static int optional_string(json_t *v, char **ret) {
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return -EBADMSG;
        *ret = strndup(json_string_value(v), json_string_length(v));
        return *ret ? 0 : -ENOMEM;
}

static int decode_body(const char *s, size_t n, bool base64, size_t max_body, uint8_t **ret, size_t *ret_len) {
        size_t out_len = 0;
        _cleanup_free_ uint8_t *out = NULL;

        if (!base64) {
                if (n > max_body)
                        return -EFBIG;
                out = malloc(n + 1);
                if (!out)
                        return -ENOMEM;
                memcpy(out, s, n);
                out[n] = 0;
                *ret = TAKE_PTR(out);
                *ret_len = n;
                return 0;
        }
        /* Refuse before decoding: base64 is 4 characters per 3 bytes. */
        if (n / 4 * 3 > max_body + 3)
                return -EFBIG;
        out = malloc(n / 4 * 3 + 4);
        if (!out)
                return -ENOMEM;
        if (sodium_base642bin(out, n / 4 * 3 + 3, s, n, "\n\r ", &out_len, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0)
                return -EBADMSG;
        if (out_len > max_body)
                return -EFBIG;
        out[out_len] = 0;
        *ret = TAKE_PTR(out);
        *ret_len = out_len;
        return 0;
}

int function_url_event_parse(const uint8_t *buf, size_t len, size_t max_body, FunctionUrlEvent *ret) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        FunctionUrlEvent e = {};
        json_t *headers, *ctx, *http, *body, *b64;
        int r;

        if (len > FUNCTION_URL_EVENT_MAX)
                return -EFBIG;
        root = json_loadb((const char *) buf, len, 0, NULL);
        if (!json_is_object(root))
                return -EBADMSG;

        headers = json_object_get(root, "headers");
        if (headers && !json_is_object(headers))
                return -EBADMSG;
        ctx = json_object_get(root, "requestContext");
        http = json_is_object(ctx) ? json_object_get(ctx, "http") : NULL;
        body = json_object_get(root, "body");
        b64 = json_object_get(root, "isBase64Encoded");
        if ((body && !json_is_string(body) && !json_is_null(body)) || (b64 && !json_is_boolean(b64)))
                return -EBADMSG;

        if ((r = optional_string(json_is_object(http) ? json_object_get(http, "method") : NULL, &e.method)) < 0 ||
            (r = optional_string(json_object_get(root, "rawPath"), &e.raw_path)) < 0 ||
            (r = optional_string(json_object_get(headers, "x-signature-ed25519"), &e.signature)) < 0 ||
            (r = optional_string(json_object_get(headers, "x-signature-timestamp"), &e.timestamp)) < 0)
                goto fail;

        if (json_is_string(body))
                r = decode_body(json_string_value(body), json_string_length(body), json_is_true(b64), max_body,
                                &e.body, &e.body_len);
        else
                r = decode_body("", 0, false, max_body, &e.body, &e.body_len);
        if (r < 0)
                goto fail;

        *ret = e;
        return 0;
fail:
        function_url_event_done(&e);
        return r;
}

int function_url_response(int status, const char *json_body, char **ret) {
        _cleanup_(json_decrefp) json_t *o = NULL;
        char *s;

        o = json_pack("{s:i, s:{s:s}, s:s}", "statusCode", status, "headers", "content-type", "application/json",
                      "body", json_body);
        if (!o)
                return -ENOMEM;
        s = json_dumps(o, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int function_url_error_response(int status, const char *message, char **ret) {
        _cleanup_(json_decrefp) json_t *o = json_pack("{s:s}", "error", message);
        _cleanup_free_ char *body = NULL;

        if (!o)
                return -ENOMEM;
        body = json_dumps(o, JSON_COMPACT);
        if (!body)
                return -ENOMEM;
        return function_url_response(status, body, ret);
}
