/* SPDX-License-Identifier: MIT */
/* Blocking libcurl helper for the Lambda and the CLI; see http.h. */
#include <string.h>

#include "common/aws.h"
#include "common/buffer.h"
#include "lambda/http.h"

void http_answer_done(HttpAnswer *a) {
        if (!a)
                return;
        free(a->body);
        *a = (HttpAnswer) {};
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Buffer *b = userdata;
        size_t n = size * nmemb;

        return buffer_append(b, ptr, n) < 0 ? 0 : n;
}

int http_request(const char *method, const char *url, const char *const *headers, const char *body,
                 long timeout_ms, HttpAnswer *ret) {
        _cleanup_(curl_easy_cleanupp) CURL *c = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *list = NULL;
        _cleanup_(buffer_free) Buffer answer = BUFFER_INIT(HTTP_ANSWER_MAX);
        CURLcode code;
        long status = 0;

        c = curl_easy_init();
        if (!c)
                return -ENOMEM;
        /* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
        list = curl_slist_append(NULL, "Expect:");
        if (!list)
                return -ENOMEM;
        for (const char *const *h = headers; h && *h; h++) {
                struct curl_slist *l = curl_slist_append(list, *h);
                if (!l)
                        return -ENOMEM;
                list = l;
        }
        if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, list) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_USERAGENT, "sigrun/" PACKAGE_VERSION) != CURLE_OK)
                return -EIO;
        if (body &&
            (curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
             curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) strlen(body)) != CURLE_OK))
                return -EIO;
        if (timeout_ms > 0) {
                (void) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
                (void) curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        }
        aws_curl_set_ca(c);

        code = curl_easy_perform(c);
        if (code == CURLE_WRITE_ERROR)
                return -ENOBUFS;
        if (code != CURLE_OK)
                return aws_curl_code_to_errno(code);
        if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
                return -EIO;
        if (buffer_terminate(&answer) < 0)
                return -ENOMEM;
        ret->status = status;
        ret->len = answer.len;
        ret->body = buffer_steal_string(&answer);
        return ret->body ? 0 : -ENOMEM;
}
