/* SPDX-License-Identifier: MIT */
/* Lambda runtime API over one reused libcurl handle; see runtime.h. */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "common/aws.h"
#include "common/parse.h"
#include "lambda/discord.h"
#include "lambda/event.h"
#include "lambda/runtime.h"

#define RUNTIME_POST_TIMEOUT_MS 10000L

struct Runtime {
        CURL *curl; /* reused: keeps the connection to the runtime API alive */
        char *base;
};

void invocation_done(Invocation *inv) {
        if (!inv)
                return;
        buffer_free(&inv->event);
        *inv = (Invocation) {};
}

int runtime_new(const char *api, Runtime **ret) {
        Runtime *rt;

        if (!api || !*api)
                return -EINVAL;
        rt = calloc(1, sizeof *rt);
        if (!rt)
                return -ENOMEM;
        rt->curl = curl_easy_init();
        if (!rt->curl || asprintf(&rt->base, "http://%s/2018-06-01", api) < 0) {
                rt->base = NULL;
                runtime_free(rt);
                return -ENOMEM;
        }
        *ret = rt;
        return 0;
}

Runtime *runtime_free(Runtime *rt) {
        if (!rt)
                return NULL;
        if (rt->curl)
                curl_easy_cleanup(rt->curl);
        free(rt->base);
        free(rt);
        return NULL;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        size_t n = size * nmemb;
        return buffer_append(userdata, ptr, n) < 0 ? 0 : n;
}

static size_t discard_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        return size * nmemb;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata) {
        Invocation *inv = userdata;
        size_t n = size * nitems, name_len;
        const char *colon = memchr(buf, ':', n);
        char value[128];
        size_t vlen;

        if (!colon)
                return n;
        name_len = (size_t) (colon - buf);
        colon++;
        while (colon < buf + n && (*colon == ' ' || *colon == '\t'))
                colon++;
        vlen = (size_t) (buf + n - colon);
        while (vlen > 0 && (colon[vlen - 1] == '\r' || colon[vlen - 1] == '\n' || colon[vlen - 1] == ' '))
                vlen--;
        if (vlen >= sizeof value)
                return n;
        memcpy(value, colon, vlen);
        value[vlen] = 0;

        if (name_len == strlen("Lambda-Runtime-Aws-Request-Id") &&
            strncasecmp(buf, "Lambda-Runtime-Aws-Request-Id", name_len) == 0) {
                /* It goes into a URL path: letters, digits and dashes only. */
                if (vlen > 0 && strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == vlen)
                        memcpy(inv->request_id, value, vlen + 1);
        }
        else if (name_len == strlen("Lambda-Runtime-Deadline-Ms") &&
                 strncasecmp(buf, "Lambda-Runtime-Deadline-Ms", name_len) == 0) {
                uint64_t ms;
                if (parse_uint64(value, 0, INT64_MAX, &ms) >= 0)
                        inv->deadline_ms = (int64_t) ms;
        }
        return n;
}

int runtime_next(Runtime *rt, Invocation *ret) {
        _cleanup_free_ char *url = NULL;
        Invocation inv = { .event = BUFFER_INIT(FUNCTION_URL_EVENT_MAX) };
        CURL *c = rt->curl;
        long status = 0;
        CURLcode code;

        if (asprintf(&url, "%s/runtime/invocation/next", rt->base) < 0)
                return -ENOMEM;
        curl_easy_reset(c);
        (void) curl_easy_setopt(c, CURLOPT_URL, url);
        (void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
        (void) curl_easy_setopt(c, CURLOPT_WRITEDATA, &inv.event);
        (void) curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
        (void) curl_easy_setopt(c, CURLOPT_HEADERDATA, &inv);
        (void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        /* No CURLOPT_TIMEOUT: see runtime.h. */
        code = curl_easy_perform(c);
        if (code == CURLE_OK)
                (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (code != CURLE_OK || status != 200 || !inv.request_id[0] || buffer_terminate(&inv.event) < 0) {
                invocation_done(&inv);
                return code == CURLE_WRITE_ERROR ? -ENOBUFS : code != CURLE_OK ? aws_curl_code_to_errno(code) : -EPROTO;
        }
        *ret = inv;
        return 0;
}

static int runtime_post(Runtime *rt, const char *path, const char *error_type, const char *body) {
        _cleanup_free_ char *url = NULL, *type_header = NULL;
        struct curl_slist *headers = NULL, *l;
        CURL *c = rt->curl;
        long status = 0;
        CURLcode code;

        if (asprintf(&url, "%s%s", rt->base, path) < 0)
                return -ENOMEM;
        l = curl_slist_append(headers, "Content-Type: application/json");
        if (!l)
                return -ENOMEM;
        headers = l;
        if (error_type) {
                if (asprintf(&type_header, "Lambda-Runtime-Function-Error-Type: %s", error_type) < 0) {
                        curl_slist_free_all(headers);
                        return -ENOMEM;
                }
                l = curl_slist_append(headers, type_header);
                if (!l) {
                        curl_slist_free_all(headers);
                        return -ENOMEM;
                }
                headers = l;
        }
        curl_easy_reset(c);
        (void) curl_easy_setopt(c, CURLOPT_URL, url);
        (void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        (void) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
        (void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        (void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
        (void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, RUNTIME_POST_TIMEOUT_MS);
        code = curl_easy_perform(c);
        if (code == CURLE_OK)
                (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(headers);
        if (code != CURLE_OK)
                return aws_curl_code_to_errno(code);
        return status == 202 || status == 200 ? 0 : -EPROTO;
}

int runtime_respond(Runtime *rt, const char *request_id, const char *response) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "/runtime/invocation/%s/response", request_id) < 0)
                return -ENOMEM;
        return runtime_post(rt, path, NULL, response);
}

static int error_body(const char *error_type, const char *message, char **ret) {
        json_t *o = json_pack("{s:s, s:s, s:[]}", "errorMessage", message, "errorType", error_type, "stackTrace");
        char *s;

        if (!o)
                return -ENOMEM;
        s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int runtime_fail(Runtime *rt, const char *request_id, const char *error_type, const char *message) {
        _cleanup_free_ char *path = NULL, *body = NULL;
        int r;

        r = error_body(error_type, message, &body);
        if (r < 0)
                return r;
        if (asprintf(&path, "/runtime/invocation/%s/error", request_id) < 0)
                return -ENOMEM;
        return runtime_post(rt, path, error_type, body);
}

int runtime_init_error(Runtime *rt, const char *error_type, const char *message) {
        _cleanup_free_ char *body = NULL;
        int r;

        r = error_body(error_type, message, &body);
        if (r < 0)
                return r;
        return runtime_post(rt, "/runtime/init/error", error_type, body);
}
