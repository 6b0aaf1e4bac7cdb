/* SPDX-License-Identifier: MIT */
/*
 * The agent API's request signing: canonical string and signature against
 * fixed vectors, the 60 s window, replays, and the bound on the nonce table.
 *
 * The vectors were computed once, independently of this code, with Python's
 * hmac and hashlib (Debian 12, Python 3.11):
 *
 *   m = f"{ts}\n{nonce}\n{method}\n{path}\n{hashlib.sha256(body).hexdigest()}".encode()
 *   hmac.new(key, m, hashlib.sha256).hexdigest()
 *
 * and are kept here as literals.
 */
#include <string.h>

#include "common/sigauth.h"
#include "tests/unit/unit.h"

/* key = bytes(range(32)) */
static const uint8_t key0[SIGAUTH_KEY_SIZE] = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

typedef struct Vector {
        const uint8_t *key;
        int64_t ts;
        const char *nonce, *method, *path, *body;
        const char *canonical, *signature;
} Vector;

static uint8_t key_a5[SIGAUTH_KEY_SIZE];

static const Vector vectors[] = {
        {
                key0, 1700000000, "0123456789abcdef0123456789abcdef", "GET", "/v1/players", "",
                "1700000000\n0123456789abcdef0123456789abcdef\nGET\n/v1/players\n"
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "318741169aa790abc4332f4df6e404b7cb94a8080ed3cdfbcc1a73603cf3bae9",
        },
        {
                key0, 1700000060, "ffeeddccbbaa99887766554433221100", "POST", "/v1/shutdown?x=1",
                "{\"force\": false}",
                "1700000060\nffeeddccbbaa99887766554433221100\nPOST\n/v1/shutdown?x=1\n"
                "04415e7c9197fed7cec2fb36d1018d3acebde3013d4369f7a2f117f9a912aeb8",
                "ac789363992643fbd2be912279098d6c9e915c2f7ca17f1c6b2cd82b488d9570",
        },
        {
                /* key = bytes.fromhex("a5" * 32) */
                key_a5, 0, "00000000000000000000000000000000", "POST", "/v1/inhibit",
                "{\"seconds\":7200}",
                "0\n00000000000000000000000000000000\nPOST\n/v1/inhibit\n"
                "7d714c7c389d7f853f65d0755a02b2ea3110f1399f339559906cfb975a35996c",
                "0126a23f7386f536c4d0bb8da0c19f12f380fa2a4e614ffc10c8993891260a52",
        },
};

static int setup(void **state) {
        memset(key_a5, 0xa5, sizeof(key_a5));
        return 0;
}

static void test_vectors(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(vectors); i++) {
                const Vector *t = vectors + i;
                char sig[SIGAUTH_SIGNATURE_HEX_LEN + 1];
                char *m = NULL;

                assert_int_equal(sigauth_canonical(t->ts, t->nonce, t->method, t->path, t->body,
                                                   strlen(t->body), &m), 0);
                assert_string_equal(m, t->canonical);
                free(m);

                assert_int_equal(sigauth_sign(t->key, t->ts, t->nonce, t->method, t->path, t->body,
                                              strlen(t->body), sig), 0);
                assert_string_equal(sig, t->signature);
        }
}

static void test_canonical_rejects_ambiguous(void **state) {
        char *m = (char *) 0x1;
        const char *n = "0123456789abcdef0123456789abcdef";

        assert_int_equal(sigauth_canonical(1, "0123", "GET", "/", NULL, 0, &m), -EINVAL);
        assert_int_equal(sigauth_canonical(1, "0123456789abcdef0123456789abcdeg", "GET", "/", NULL, 0, &m), -EINVAL);
        assert_int_equal(sigauth_canonical(1, n, "GET\n", "/", NULL, 0, &m), -EINVAL);
        assert_int_equal(sigauth_canonical(1, n, "GET", "/a\nb", NULL, 0, &m), -EINVAL);
        assert_int_equal(sigauth_canonical(1, n, "", "/", NULL, 0, &m), -EINVAL);
        assert_int_equal(sigauth_canonical(-1, n, "GET", "/", NULL, 0, &m), -EINVAL);
        assert_ptr_equal(m, (char *) 0x1);

        /* NULL body of length 0 is the empty body. */
        assert_int_equal(sigauth_canonical(1, n, "GET", "/", NULL, 0, &m), 0);
        assert_string_equal(m, "1\n0123456789abcdef0123456789abcdef\nGET\n/\n"
                               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        free(m);
}

static void test_parse_timestamp(void **state) {
        int64_t t = 42;

        assert_int_equal(sigauth_parse_timestamp("1700000000", &t), 0);
        assert_int_equal(t, 1700000000);
        assert_int_equal(sigauth_parse_timestamp("0", &t), 0);
        assert_int_equal(t, 0);
        t = 42;
        assert_int_equal(sigauth_parse_timestamp("", &t), -EBADMSG);
        assert_int_equal(sigauth_parse_timestamp("01", &t), -EBADMSG);
        assert_int_equal(sigauth_parse_timestamp("+1", &t), -EBADMSG);
        assert_int_equal(sigauth_parse_timestamp("-1", &t), -EBADMSG);
        assert_int_equal(sigauth_parse_timestamp(" 1", &t), -EBADMSG);
        assert_int_equal(sigauth_parse_timestamp("1.5", &t), -EBADMSG);
        assert_int_equal(sigauth_parse_timestamp("9999999999999999999999", &t), -EBADMSG);
        assert_int_equal(sigauth_parse_timestamp(NULL, &t), -EBADMSG);
        assert_int_equal(t, 42);
}

static void test_make_headers_verify(void **state) {
        _cleanup_(sigauth_verifier_freep) SigauthVerifier *v = NULL;
        SigauthHeaders h1, h2;
        const char *body = "{\"force\":true}";

        assert_int_equal(sigauth_make_headers(key0, 1700000000, "POST", "/v1/shutdown", body, strlen(body), &h1), 0);
        assert_int_equal(sigauth_make_headers(key0, 1700000000, "POST", "/v1/shutdown", body, strlen(body), &h2), 0);
        assert_string_equal(h1.timestamp, "1700000000");
        assert_int_equal(strlen(h1.nonce), SIGAUTH_NONCE_HEX_LEN);
        assert_int_equal(strlen(h1.signature), SIGAUTH_SIGNATURE_HEX_LEN);
        /* fresh nonce each time, hence a different signature */
        assert_string_not_equal(h1.nonce, h2.nonce);
        assert_string_not_equal(h1.signature, h2.signature);

        assert_int_equal(sigauth_verifier_new(key0, 16, &v), 0);
        assert_int_equal(sigauth_verify(v, 1700000000, h1.timestamp, h1.nonce, h1.signature, "POST",
                                        "/v1/shutdown", body, strlen(body)), 0);
        assert_int_equal(sigauth_verify(v, 1700000000, h2.timestamp, h2.nonce, h2.signature, "POST",
                                        "/v1/shutdown", body, strlen(body)), 0);
        assert_int_equal(sigauth_verifier_nonces(v), 2);
}

static void test_verify_vector_and_tampering(void **state) {
        _cleanup_(sigauth_verifier_freep) SigauthVerifier *v = NULL;
        const Vector *t = vectors + 1;
        const size_t len = strlen(t->body);
        char upper[SIGAUTH_SIGNATURE_HEX_LEN + 1];

        assert_int_equal(sigauth_verifier_new(key0, 16, &v), 0);

        /* every part of M is covered */
        assert_int_equal(sigauth_verify(v, t->ts, "1700000061", t->nonce, t->signature, t->method, t->path, t->body, len), -EACCES);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", "ffeeddccbbaa99887766554433221101", t->signature, t->method, t->path, t->body, len), -EACCES);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", t->nonce, t->signature, "GET", t->path, t->body, len), -EACCES);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", t->nonce, t->signature, t->method, "/v1/shutdown?x=2", t->body, len), -EACCES);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", t->nonce, t->signature, t->method, t->path, "{\"force\": true}", len - 1), -EACCES);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", t->nonce,
                                        "0000000000000000000000000000000000000000000000000000000000000000",
                                        t->method, t->path, t->body, len), -EACCES);
        /* the wrong key */
        {
                _cleanup_(sigauth_verifier_freep) SigauthVerifier *w = NULL;
                assert_int_equal(sigauth_verifier_new(key_a5, 16, &w), 0);
                assert_int_equal(sigauth_verify(w, t->ts, "1700000060", t->nonce, t->signature, t->method, t->path, t->body, len), -EACCES);
        }
        /* failures leave nothing behind */
        assert_int_equal(sigauth_verifier_nonces(v), 0);

        /* malformed or missing headers */
        assert_int_equal(sigauth_verify(v, t->ts, NULL, t->nonce, t->signature, t->method, t->path, t->body, len), -EBADMSG);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", NULL, t->signature, t->method, t->path, t->body, len), -EBADMSG);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", t->nonce, NULL, t->method, t->path, t->body, len), -EBADMSG);
        assert_int_equal(sigauth_verify(v, t->ts, "01700000060", t->nonce, t->signature, t->method, t->path, t->body, len), -EBADMSG);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", "ffee", t->signature, t->method, t->path, t->body, len), -EBADMSG);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", t->nonce, "ac78", t->method, t->path, t->body, len), -EBADMSG);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", t->nonce,
                                        "zz789363992643fbd2be912279098d6c9e915c2f7ca17f1c6b2cd82b488d9570",
                                        t->method, t->path, t->body, len), -EBADMSG);

        /* the genuine one passes, and uppercase hex means the same bytes */
        for (size_t i = 0; i <= SIGAUTH_SIGNATURE_HEX_LEN; i++)
                upper[i] = (char) (t->signature[i] >= 'a' ? t->signature[i] - 32 : t->signature[i]);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000060", t->nonce, upper, t->method, t->path, t->body, len), 0);
}

static void test_window(void **state) {
        _cleanup_(sigauth_verifier_freep) SigauthVerifier *v = NULL;
        const Vector *t = vectors + 0;      /* ts 1700000000 */

        assert_int_equal(sigauth_verifier_new(key0, 16, &v), 0);
        /* 61 s either way is out; exactly 60 s is in */
        assert_int_equal(sigauth_verify(v, t->ts + 61, "1700000000", t->nonce, t->signature, "GET", "/v1/players", "", 0), -ETIME);
        assert_int_equal(sigauth_verify(v, t->ts - 61, "1700000000", t->nonce, t->signature, "GET", "/v1/players", "", 0), -ETIME);
        assert_int_equal(sigauth_verifier_nonces(v), 0);
        assert_int_equal(sigauth_verify(v, t->ts - 60, "1700000000", t->nonce, t->signature, "GET", "/v1/players", "", 0), 0);
}

static void test_replay(void **state) {
        _cleanup_(sigauth_verifier_freep) SigauthVerifier *v = NULL;
        const Vector *t = vectors + 0;

        assert_int_equal(sigauth_verifier_new(key0, 16, &v), 0);
        assert_int_equal(sigauth_verify(v, t->ts, "1700000000", t->nonce, t->signature, "GET", "/v1/players", "", 0), 0);
        /* the same request again, at any time inside the window */
        assert_int_equal(sigauth_verify(v, t->ts, "1700000000", t->nonce, t->signature, "GET", "/v1/players", "", 0), -EALREADY);
        assert_int_equal(sigauth_verify(v, t->ts + 60, "1700000000", t->nonce, t->signature, "GET", "/v1/players", "", 0), -EALREADY);
        /* the same nonce spelt in uppercase is the same nonce (signature differs, so
         * this is not a valid request either way, and it must not pass) */
        assert_int_not_equal(sigauth_verify(v, t->ts, "1700000000", "0123456789ABCDEF0123456789ABCDEF", t->signature, "GET", "/v1/players", "", 0), 0);
        /* past the window it is stale, not a replay */
        assert_int_equal(sigauth_verify(v, t->ts + 61, "1700000000", t->nonce, t->signature, "GET", "/v1/players", "", 0), -ETIME);
}

static void test_nonce_table_bound(void **state) {
        _cleanup_(sigauth_verifier_freep) SigauthVerifier *v = NULL;
        const int64_t now = 1700000000;
        SigauthHeaders h;

        assert_int_equal(sigauth_verifier_new(key0, 4, &v), 0);
        for (int i = 0; i < 4; i++) {
                assert_int_equal(sigauth_make_headers(key0, now + i, "GET", "/v1/players", NULL, 0, &h), 0);
                assert_int_equal(sigauth_verify(v, now + i, h.timestamp, h.nonce, h.signature, "GET", "/v1/players", NULL, 0), 0);
        }
        assert_int_equal(sigauth_verifier_nonces(v), 4);

        /* full of nonces still inside the window: refuse rather than forget */
        assert_int_equal(sigauth_make_headers(key0, now + 4, "GET", "/v1/players", NULL, 0, &h), 0);
        assert_int_equal(sigauth_verify(v, now + 4, h.timestamp, h.nonce, h.signature, "GET", "/v1/players", NULL, 0), -ENOBUFS);
        assert_int_equal(sigauth_verify(v, now + 60, h.timestamp, h.nonce, h.signature, "GET", "/v1/players", NULL, 0), -ENOBUFS);
        assert_int_equal(sigauth_verifier_nonces(v), 4);

        /* once the oldest nonce (ts = now) is out of the window, its slot is free again */
        assert_int_equal(sigauth_verify(v, now + 61, h.timestamp, h.nonce, h.signature, "GET", "/v1/players", NULL, 0), 0);
        assert_int_equal(sigauth_verifier_nonces(v), 4);
        /* and only that one: the table is full again */
        assert_int_equal(sigauth_make_headers(key0, now + 61, "GET", "/v1/players", NULL, 0, &h), 0);
        assert_int_equal(sigauth_verify(v, now + 61, h.timestamp, h.nonce, h.signature, "GET", "/v1/players", NULL, 0), -ENOBUFS);
        /* much later everything has expired */
        assert_int_equal(sigauth_make_headers(key0, now + 1000, "GET", "/v1/players", NULL, 0, &h), 0);
        assert_int_equal(sigauth_verify(v, now + 1000, h.timestamp, h.nonce, h.signature, "GET", "/v1/players", NULL, 0), 0);
        assert_int_equal(sigauth_verifier_nonces(v), 1);
}

static void test_verifier_new_invalid(void **state) {
        SigauthVerifier *v = (SigauthVerifier *) 0x1;

        assert_int_equal(sigauth_verifier_new(key0, 0, &v), -EINVAL);
        assert_ptr_equal(v, (SigauthVerifier *) 0x1);
        assert_null(sigauth_verifier_free(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_canonical_rejects_ambiguous),
                cmocka_unit_test(test_parse_timestamp),
                cmocka_unit_test(test_make_headers_verify),
                cmocka_unit_test(test_verify_vector_and_tampering),
                cmocka_unit_test(test_window),
                cmocka_unit_test(test_replay),
                cmocka_unit_test(test_nonce_table_bound),
                cmocka_unit_test(test_verifier_new_invalid),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
