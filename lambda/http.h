/* SPDX-License-Identifier: MIT */
/*
 * One blocking HTTP exchange through libcurl, with a deadline and a capped
 * answer: the Lambda and the CLI make a handful of calls per invocation, each
 * with its own timeout taken from what is left of the budget, so blocking is
 * the simple and right shape here (the agent uses curl-multi instead).
 */
#pragma once

#include <curl/curl.h>

#include "common/macro.h"

#define HTTP_ANSWER_MAX (256U * 1024U)

typedef struct HttpAnswer {
        long status;
        char *body; /* NUL-terminated */
        size_t len;
} HttpAnswer;

void http_answer_done(HttpAnswer *a);

/* headers: NULL-terminated "Name: value" strings or NULL. body may be NULL.
 * Returns 0 with any HTTP status, or -ETIMEDOUT, -ECONNREFUSED,
 * -EHOSTUNREACH, -ENOBUFS (answer over HTTP_ANSWER_MAX), -EIO. */
int http_request(const char *method, const char *url, const char *const *headers, const char *body,
                 long timeout_ms, HttpAnswer *ret);

DEFINE_TRIVIAL_CLEANUP_FUNC(CURL *, curl_easy_cleanup);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all);
