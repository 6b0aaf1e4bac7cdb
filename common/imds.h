/* SPDX-License-Identifier: MIT */
/*
 * EC2 instance metadata (IMDSv2), asynchronously through curl-event: what the
 * agent needs to stop its own instance (instance id, region, the instance
 * role's temporary credentials) and to tell players where to connect (the
 * public IPv4 address).
 *
 * IMDSv2 is a session protocol: PUT /latest/api/token with a TTL header gives
 * a token that every GET carries. A query fetches the token, then each item
 * asked for, one request after another (IMDS answers in microseconds; the
 * sequence keeps the code a straight line). The endpoint is configurable so
 * tests can point it at a fake.
 *
 * The parsers of the answers are pure functions, tested on their own.
 */
#pragma once

#include "common/aws.h"
#include "common/curl-event.h"

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_TOKEN_TTL_SECONDS 21600
/* IMDS is link-local and fast; a slow answer means there is no IMDS here. */
#define IMDS_REQUEST_TIMEOUT_MS 3000L

typedef enum ImdsWant {
        IMDS_WANT_INSTANCE_ID = 1U << 0,
        IMDS_WANT_REGION = 1U << 1,
        IMDS_WANT_PUBLIC_IPV4 = 1U << 2,
        IMDS_WANT_CREDENTIALS = 1U << 3,
} ImdsWant;

typedef struct ImdsInfo {
        char *instance_id;
        char *region;
        char *public_ipv4;       /* NULL when the instance has none (IMDS answers 404) */
        char *role;              /* the instance profile's role name */
        AwsCredentials credentials;
        char *expiration;        /* of the credentials, as IMDS wrote it (ISO 8601) */
} ImdsInfo;

/* Free the fields (not info itself) and zero them. */
void imds_info_done(ImdsInfo *info);

/* r is 0 on success or a negative errno: -ETIMEDOUT, -ECONNREFUSED, -EACCES
 * (token refused), -ENOENT (an item is missing, e.g. no role attached),
 * -EBADMSG (an answer did not parse), -EIO. info is valid only during the
 * call; a callback may take fields over (set them to NULL) and may free the
 * query. */
typedef void (*imds_done_t)(int r, ImdsInfo *info, void *userdata);

typedef struct ImdsQuery ImdsQuery;

/* Start fetching the items in want (ImdsWant bits). endpoint NULL or "" means
 * IMDS_DEFAULT_ENDPOINT. */
int imds_query_start(CurlEvent *ce, const char *endpoint, unsigned want, imds_done_t done,
                     void *userdata, ImdsQuery **ret);
/* Cancels a query still running; its callback does not run. */
ImdsQuery *imds_query_free(ImdsQuery *q);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImdsQuery *, imds_query_free);

/* meta-data/iam/security-credentials/ lists role names one per line: the
 * first one. -ENOENT when empty. */
int imds_parse_role_list(const char *body, size_t len, char **ret_role);
/* meta-data/iam/security-credentials/<role>: {"Code":"Success",
 * "AccessKeyId":..., "SecretAccessKey":..., "Token":..., "Expiration":...}.
 * -EBADMSG when malformed or Code is not Success. ret_expiration may be NULL. */
int imds_parse_credentials(const char *body, size_t len, AwsCredentials *ret,
                           char **ret_expiration);
/* A plain-text item (instance id, region, address): trimmed of surrounding
 * whitespace; -EBADMSG when empty, too long or not printable ASCII. */
int imds_parse_text(const char *body, size_t len, char **ret);
