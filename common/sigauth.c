/* SPDX-License-Identifier: MIT */
/*
 * Request signing for the agent API: see sigauth.h for the scheme. Crypto is
 * libsodium's (HMAC-SHA-256, SHA-256, randombytes, sodium_memcmp); this file
 * only builds the canonical string and keeps the replay table.
 *
 * The replay table is a plain array scanned linearly: only requests with a
 * valid signature reach it, so its size is bounded by what key holders send
 * in one window (a few requests a minute from the Lambda), and a scan of a few
 * thousand 24-byte entries costs microseconds. A hash table would buy nothing
 * here but code.
 */
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "common/sigauth.h"

typedef struct NonceEntry {
        uint8_t nonce[SIGAUTH_NONCE_SIZE];
        int64_t expires;         /* forgettable once now > expires */
        bool used;
} NonceEntry;

struct SigauthVerifier {
        uint8_t key[SIGAUTH_KEY_SIZE];
        NonceEntry *nonces;
        size_t max_nonces;
};

static bool is_hex_string(const char *s, size_t len) {
        if (strlen(s) != len)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                      (s[i] >= 'A' && s[i] <= 'F')))
                        return false;
        return true;
}

static int hex_decode(const char *s, uint8_t *ret, size_t len) {
        size_t n = 0;

        if (!is_hex_string(s, 2 * len))
                return -EBADMSG;
        if (sodium_hex2bin(ret, len, s, 2 * len, NULL, &n, NULL) < 0 || n != len)
                return -EBADMSG;
        return 0;
}

static bool is_canonical_field(const char *s) {
        return s && *s && !strchr(s, '\n');
}

int sigauth_parse_timestamp(const char *s, int64_t *ret) {
        int64_t v = 0;
        size_t len;

        if (!s)
                return -EBADMSG;
        len = strlen(s);
        if (len == 0 || len > 18 || (s[0] == '0' && len > 1))
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EBADMSG;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

int sigauth_canonical(int64_t timestamp, const char *nonce_hex, const char *method,
                      const char *path_and_query, const void *body, size_t body_len, char **ret) {
        uint8_t digest[crypto_hash_sha256_BYTES];
        char digest_hex[2 * crypto_hash_sha256_BYTES + 1];
        char *m;

        if (timestamp < 0 || !nonce_hex || !is_hex_string(nonce_hex, SIGAUTH_NONCE_HEX_LEN) ||
            !is_canonical_field(method) || !is_canonical_field(path_and_query))
                return -EINVAL;
        if (!body && body_len > 0)
                return -EINVAL;

        crypto_hash_sha256(digest, body ?: (const void *) "", body_len);
        sodium_bin2hex(digest_hex, sizeof(digest_hex), digest, sizeof(digest));

        if (asprintf(&m, "%" PRIi64 "\n%s\n%s\n%s\n%s", timestamp, nonce_hex, method,
                     path_and_query, digest_hex) < 0)
                return -ENOMEM;
        *ret = m;
        return 0;
}

static int sigauth_mac(const uint8_t key[SIGAUTH_KEY_SIZE], int64_t timestamp, const char *nonce_hex,
                       const char *method, const char *path_and_query, const void *body,
                       size_t body_len, uint8_t ret_mac[crypto_auth_hmacsha256_BYTES]) {
        _cleanup_free_ char *m = NULL;
        crypto_auth_hmacsha256_state st;
        int r;

        r = sigauth_canonical(timestamp, nonce_hex, method, path_and_query, body, body_len, &m);
        if (r < 0)
                return r;

        /* HMAC with a key of exactly SIGAUTH_KEY_SIZE bytes: crypto_auth_hmacsha256()
         * itself insists on crypto_auth_hmacsha256_KEYBYTES, the state API takes
         * any length and computes the same standard HMAC. */
        crypto_auth_hmacsha256_init(&st, key, SIGAUTH_KEY_SIZE);
        crypto_auth_hmacsha256_update(&st, (const uint8_t *) m, strlen(m));
        crypto_auth_hmacsha256_final(&st, ret_mac);
        sodium_memzero(&st, sizeof(st));
        return 0;
}

int sigauth_sign(const uint8_t key[SIGAUTH_KEY_SIZE], int64_t timestamp, const char *nonce_hex,
                 const char *method, const char *path_and_query, const void *body, size_t body_len,
                 char ret_hex[SIGAUTH_SIGNATURE_HEX_LEN + 1]) {
        uint8_t mac[crypto_auth_hmacsha256_BYTES];
        int r;

        r = sigauth_mac(key, timestamp, nonce_hex, method, path_and_query, body, body_len, mac);
        if (r < 0)
                return r;
        sodium_bin2hex(ret_hex, SIGAUTH_SIGNATURE_HEX_LEN + 1, mac, sizeof(mac));
        return 0;
}

int sigauth_make_headers(const uint8_t key[SIGAUTH_KEY_SIZE], int64_t now, const char *method,
                         const char *path_and_query, const void *body, size_t body_len,
                         SigauthHeaders *ret) {
        uint8_t nonce[SIGAUTH_NONCE_SIZE];
        SigauthHeaders h = {};
        int r;

        if (now < 0)
                return -EINVAL;
        if (sodium_init() < 0)
                return -EIO;

        randombytes_buf(nonce, sizeof(nonce));
        sodium_bin2hex(h.nonce, sizeof(h.nonce), nonce, sizeof(nonce));
        (void) snprintf(h.timestamp, sizeof(h.timestamp), "%" PRIi64, now);

        r = sigauth_sign(key, now, h.nonce, method, path_and_query, body, body_len, h.signature);
        if (r < 0)
                return r;
        *ret = h;
        return 0;
}

int sigauth_verifier_new(const uint8_t key[SIGAUTH_KEY_SIZE], size_t max_nonces, SigauthVerifier **ret) {
        SigauthVerifier *v;

        if (!key || max_nonces == 0)
                return -EINVAL;
        if (sodium_init() < 0)
                return -EIO;

        v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        v->nonces = calloc(max_nonces, sizeof(NonceEntry));
        if (!v->nonces) {
                free(v);
                return -ENOMEM;
        }
        v->max_nonces = max_nonces;
        memcpy(v->key, key, SIGAUTH_KEY_SIZE);
        *ret = v;
        return 0;
}

SigauthVerifier *sigauth_verifier_free(SigauthVerifier *v) {
        if (!v)
                return NULL;
        sodium_memzero(v->key, sizeof(v->key));
        free(v->nonces);
        free(v);
        return NULL;
}

size_t sigauth_verifier_nonces(const SigauthVerifier *v) {
        size_t n = 0;

        if (!v)
                return 0;
        for (size_t i = 0; i < v->max_nonces; i++)
                n += v->nonces[i].used;
        return n;
}

/* Remember nonce until expires. Expired entries are forgotten on the way. */
static int verifier_remember(SigauthVerifier *v, int64_t now, const uint8_t nonce[SIGAUTH_NONCE_SIZE],
                             int64_t expires) {
        NonceEntry *free_slot = NULL;

        for (size_t i = 0; i < v->max_nonces; i++) {
                NonceEntry *e = v->nonces + i;

                if (e->used && now > e->expires)
                        e->used = false;
                if (!e->used) {
                        if (!free_slot)
                                free_slot = e;
                        continue;
                }
                if (memcmp(e->nonce, nonce, SIGAUTH_NONCE_SIZE) == 0)
                        return -EALREADY;
        }
        if (!free_slot)
                return -ENOBUFS;

        memcpy(free_slot->nonce, nonce, SIGAUTH_NONCE_SIZE);
        free_slot->expires = expires;
        free_slot->used = true;
        return 0;
}

int sigauth_verify(SigauthVerifier *v, int64_t now, const char *timestamp, const char *nonce,
                   const char *signature, const char *method, const char *path_and_query,
                   const void *body, size_t body_len) {
        uint8_t nonce_bin[SIGAUTH_NONCE_SIZE], given[crypto_auth_hmacsha256_BYTES],
                expected[crypto_auth_hmacsha256_BYTES];
        int64_t ts;
        int r;

        if (!v)
                return -EINVAL;
        if (!timestamp || !nonce || !signature)
                return -EBADMSG;
        r = sigauth_parse_timestamp(timestamp, &ts);
        if (r < 0)
                return r;
        r = hex_decode(nonce, nonce_bin, sizeof(nonce_bin));
        if (r < 0)
                return r;
        r = hex_decode(signature, given, sizeof(given));
        if (r < 0)
                return r;

        /* Both ways: a clock ahead of ours is as suspicious as one behind. */
        if (ts > now + SIGAUTH_WINDOW_SEC || ts < now - SIGAUTH_WINDOW_SEC)
                return -ETIME;

        r = sigauth_mac(v->key, ts, nonce, method, path_and_query, body, body_len, expected);
        if (r < 0)
                return r == -EINVAL ? -EBADMSG : r;
        if (sodium_memcmp(given, expected, sizeof(expected)) != 0)
                return -EACCES;

        /* Once now > ts + window, this request would be refused as stale:
         * the nonce need not be remembered any longer. */
        return verifier_remember(v, now, nonce_bin, ts + SIGAUTH_WINDOW_SEC);
}
