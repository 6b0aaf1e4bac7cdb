/* SPDX-License-Identifier: MIT */
/*
 * The AWS request layer shared by the Lambda, the sigrun CLI and the agent's
 * watchdog: credentials, region and endpoint resolution as the AWS SDKs do it,
 * and a libcurl easy handle prepared for one SigV4-signed EC2 Query call.
 *
 * Building a request and performing it are separate on purpose: the Lambda
 * and the CLI call aws_request_perform() (blocking, with a timeout), while the
 * agent adds aws_request_get_curl() to its curl-multi handle on the sd-event
 * loop and reads the result with aws_request_result() once curl says done.
 *
 * SigV4 is libcurl's (CURLOPT_AWS_SIGV4). With libcurl 7.88 the session token
 * must travel in an X-Amz-Security-Token header that is never empty, and EC2
 * calls go as POST with a form body (7.88 signs a GET query unsorted).
 */
#pragma once

#include <curl/curl.h>

#include "common/buffer.h"
#include "common/macro.h"

#define AWS_EC2_API_VERSION "2016-11-15"
/* EC2 answers are a few KiB per instance; this leaves room for hundreds. */
#define AWS_RESPONSE_MAX (4U * 1024U * 1024U)

typedef struct AwsCredentials {
        char *access_key_id;
        char *secret_access_key;
        char *session_token; /* NULL when there is none */
} AwsCredentials;

void aws_credentials_done(AwsCredentials *c);

/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN. -ENOKEY if unset. */
int aws_credentials_from_env(AwsCredentials *ret);
/* An INI file as ~/.aws/credentials; -ENOKEY if the profile has no keys. */
int aws_credentials_from_file(const char *path, const char *profile, AwsCredentials *ret);
/* The environment first, then $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials
 * with $AWS_PROFILE (default "default"). */
int aws_credentials_load(AwsCredentials *ret);

/* AWS_REGION, then AWS_DEFAULT_REGION. -ENOENT if neither is set. */
int aws_region_from_env(char **ret);

/* AWS_ENDPOINT_URL_<SERVICE> (service upper-cased), then AWS_ENDPOINT_URL,
 * then https://<service>.<region>.amazonaws.com/. */
int aws_endpoint_resolve(const char *service, const char *region, char **ret);

typedef struct AwsRequest AwsRequest;

/* A POST of form_body (e.g. "Action=DescribeInstances&...") to endpoint,
 * signed for service in region. "Version=2016-11-15" is appended when the body
 * has no Version. timeout_ms 0 means none. */
int aws_request_new(const AwsCredentials *creds, const char *region, const char *service,
                    const char *endpoint, const char *form_body, long timeout_ms, AwsRequest **ret);
AwsRequest *aws_request_free(AwsRequest *req);
DEFINE_TRIVIAL_CLEANUP_FUNC(AwsRequest *, aws_request_free);

/* The easy handle, for curl_multi_add_handle(). Still owned by req. */
CURL *aws_request_get_curl(AwsRequest *req);
/* Blocking curl_easy_perform(); then aws_request_result(). Returns 0, or
 * -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -ENOBUFS (answer too large), -EIO. */
int aws_request_perform(AwsRequest *req);
/* Map a CURLcode as aws_request_perform() does, for curl-multi users. */
int aws_curl_code_to_errno(CURLcode code);
/* After the transfer: HTTP status and the body (NUL-terminated, owned by req). */
int aws_request_result(AwsRequest *req, long *ret_status, const uint8_t **ret_body, size_t *ret_len);

/* Percent-encode a form value (RFC 3986 unreserved characters stay). */
int aws_form_escape(const char *s, char **ret);

/* Read $CURL_CA_BUNDLE, else use Amazon Linux's bundle when it exists, for
 * binaries carried to a system whose CA path differs from the build host's. */
void aws_curl_set_ca(CURL *curl);
