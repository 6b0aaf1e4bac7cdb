/* SPDX-License-Identifier: MIT */
/*
 * Signing and verifying requests to the agent's connection API (design brief
 * §3). This is the one implementation of the canonical string: the agent
 * verifies with it, and the Lambda, the `sigrun-agent status` CLI and the
 * tests sign with it, so the two sides cannot drift apart.
 *
 *   M = timestamp "\n" nonce "\n" METHOD "\n" path-and-query "\n" hex(SHA-256(body))
 *   X-Sigrun-Signature = lowercase hex of HMAC-SHA-256(key, M)
 *
 * The verifier keeps the nonces it accepted in a fixed-size table: a nonce is
 * remembered until its timestamp has left the window (after which the request
 * would be refused as stale anyway), and when the table is full of nonces
 * still inside the window, new requests are refused with -ENOBUFS rather than
 * forgetting one (forgetting would allow a replay).
 */
#pragma once

#include "common/macro.h"

#define SIGAUTH_KEY_SIZE 32
#define SIGAUTH_NONCE_SIZE 16
#define SIGAUTH_NONCE_HEX_LEN 32
#define SIGAUTH_SIGNATURE_HEX_LEN 64
#define SIGAUTH_WINDOW_SEC 60

#define SIGAUTH_HEADER_TIMESTAMP "X-Sigrun-Timestamp"
#define SIGAUTH_HEADER_NONCE "X-Sigrun-Nonce"
#define SIGAUTH_HEADER_SIGNATURE "X-Sigrun-Signature"

/* The canonical string M, newly allocated. -EINVAL if the nonce is not 32 hex
 * digits, the timestamp is negative, or method/path are empty or contain a
 * newline (which would make M ambiguous). */
int sigauth_canonical(int64_t timestamp, const char *nonce_hex, const char *method,
                      const char *path_and_query, const void *body, size_t body_len, char **ret);

/* Lowercase hex HMAC-SHA-256(key, M) into ret_hex. */
int sigauth_sign(const uint8_t key[SIGAUTH_KEY_SIZE], int64_t timestamp, const char *nonce_hex,
                 const char *method, const char *path_and_query, const void *body, size_t body_len,
                 char ret_hex[SIGAUTH_SIGNATURE_HEX_LEN + 1]);

typedef struct SigauthHeaders {
        char timestamp[24];
        char nonce[SIGAUTH_NONCE_HEX_LEN + 1];
        char signature[SIGAUTH_SIGNATURE_HEX_LEN + 1];
} SigauthHeaders;

/* Fresh random nonce (libsodium randombytes), the given Unix time; values for
 * X-Sigrun-Timestamp/-Nonce/-Signature. */
int sigauth_make_headers(const uint8_t key[SIGAUTH_KEY_SIZE], int64_t now, const char *method,
                         const char *path_and_query, const void *body, size_t body_len,
                         SigauthHeaders *ret);

/* Parse a timestamp header: decimal digits only, no sign, no leading zeros,
 * so that exactly one spelling is signed for each value. */
int sigauth_parse_timestamp(const char *s, int64_t *ret);

typedef struct SigauthVerifier SigauthVerifier;

/* max_nonces: how many accepted requests may be remembered within one window
 * (at most one window's worth of legitimate traffic is ever stored). */
int sigauth_verifier_new(const uint8_t key[SIGAUTH_KEY_SIZE], size_t max_nonces, SigauthVerifier **ret);
SigauthVerifier *sigauth_verifier_free(SigauthVerifier *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(SigauthVerifier *, sigauth_verifier_free);

/* 0 ok; -EBADMSG missing/malformed header; -EACCES wrong signature; -ETIME
 * timestamp more than SIGAUTH_WINDOW_SEC away from now; -EALREADY nonce seen
 * within the window; -ENOBUFS nonce table full. The signature is checked
 * before the nonce table is touched, so only holders of the key can fill it. */
int sigauth_verify(SigauthVerifier *v, int64_t now, const char *timestamp, const char *nonce,
                   const char *signature, const char *method, const char *path_and_query,
                   const void *body, size_t body_len);

/* Nonces currently remembered (for tests and the status line). */
size_t sigauth_verifier_nonces(const SigauthVerifier *v);
