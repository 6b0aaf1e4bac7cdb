/* SPDX-License-Identifier: MIT */
/*
 * libcurl's multi interface driven by an sd-event loop, so that HTTP client
 * calls (Discord webhooks, IMDS, EC2) never block the agent.
 *
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to wake it up (CURLMOPT_TIMERFUNCTION); we turn those into sd_event_add_io()
 * sources and one timer, and hand readiness back through
 * curl_multi_socket_action(). Each transfer has a completion callback that
 * runs from the loop, never from inside a libcurl call, so it may start new
 * transfers.
 *
 * Two kinds of transfers: curl_event_add() takes the easy handle over,
 * collects the response body (capped) and frees everything afterwards;
 * curl_event_add_borrowed() leaves the handle and its options to the caller
 * (the AWS request layer owns its handle and its body buffer).
 */
#pragma once

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "common/macro.h"

/* Responses larger than this fail the transfer with CURLE_WRITE_ERROR. */
#define CURL_EVENT_BODY_MAX (1024U * 1024U)

typedef struct CurlEvent CurlEvent;

int curl_event_new(sd_event *e, CurlEvent **ret);
/* Cancels every transfer still running (their callbacks do not run). */
CurlEvent *curl_event_free(CurlEvent *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(CurlEvent *, curl_event_free);

/* Called once per transfer, from the event loop. http_status is 0 when no
 * response arrived. The easy handle is still valid during the call; an owned
 * one is freed when the callback returns. */
typedef void (*curl_event_done_t)(CURL *easy, CURLcode result, long http_status, void *userdata);

/* Start a transfer; the easy handle is taken over in every case (freed on
 * failure too). The response body is collected for curl_event_body(). */
int curl_event_add(CurlEvent *c, CURL *easy, curl_event_done_t done, void *userdata);
/* The same, and the header list is set as CURLOPT_HTTPHEADER and freed with
 * the handle (also on failure). */
int curl_event_add_with_headers(CurlEvent *c, CURL *easy, struct curl_slist *headers,
                                curl_event_done_t done, void *userdata);
/* Start a transfer on a handle the caller keeps owning, options untouched. It
 * must stay alive until its callback ran or curl_event_cancel(). */
int curl_event_add_borrowed(CurlEvent *c, CURL *easy, curl_event_done_t done, void *userdata);

/* Stop a transfer without calling its callback; frees an owned handle. A
 * handle curl-event does not know is ignored. */
void curl_event_cancel(CurlEvent *c, CURL *easy);

/* During the callback of an owned transfer: the response body, NUL-terminated
 * (the NUL is not counted). Never NULL for a handle added by curl_event_add();
 * NULL otherwise. */
const char *curl_event_body(CurlEvent *c, CURL *easy, size_t *ret_len);

/* Number of transfers running (for tests and status). */
size_t curl_event_running(const CurlEvent *c);

