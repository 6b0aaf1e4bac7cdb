/* SPDX-License-Identifier: MIT */
/*
 * IMDSv2: the answer parsers, and a whole query through curl-event against a
 * tiny IMDS served from the same sd-event loop on loopback (it insists on the
 * token, as the real one does).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "tests/unit/unit.h"

#include "common/imds.h"

static void test_parse_text_trims_and_checks(void **state) {
        _cleanup_free_ char *s = NULL;

        assert_int_equal(imds_parse_text("  i-0123456789abcdef0\n", 22, &s), 0);
        assert_string_equal(s, "i-0123456789abcdef0");
        assert_int_equal(imds_parse_text("", 0, &s), -EBADMSG);
        assert_int_equal(imds_parse_text(" \n", 2, &s), -EBADMSG);
        assert_int_equal(imds_parse_text("eu west", 7, &s), -EBADMSG);
        assert_int_equal(imds_parse_text("a\0b", 3, &s), -EBADMSG);
}

static void test_parse_role_list_takes_the_first(void **state) {
        _cleanup_free_ char *role = NULL;

        assert_int_equal(imds_parse_role_list("sigrun-world\nother\n", 19, &role), 0);
        assert_string_equal(role, "sigrun-world");
        assert_int_equal(imds_parse_role_list("\n", 1, &role), -ENOENT);
        assert_int_equal(imds_parse_role_list("", 0, &role), -ENOENT);
}

static void test_parse_credentials(void **state) {
        const char *json = "{\"Code\":\"Success\",\"LastUpdated\":\"2026-12-04T10:00:00Z\",\"Type\":\"AWS-HMAC\","
                           "\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"c2VjcmV0\","
                           "\"Token\":\"IQoJb3JpZ2luX2VjE\",\"Expiration\":\"2026-12-04T16:00:00Z\"}";
        AwsCredentials c = {};
        _cleanup_free_ char *expiration = NULL;

        assert_int_equal(imds_parse_credentials(json, strlen(json), &c, &expiration), 0);
        assert_string_equal(c.access_key_id, "ASIAEXAMPLE");
        assert_string_equal(c.secret_access_key, "c2VjcmV0");
        assert_string_equal(c.session_token, "IQoJb3JpZ2luX2VjE");
        assert_string_equal(expiration, "2026-12-04T16:00:00Z");
        aws_credentials_done(&c);
}

static void test_parse_credentials_rejects(void **state) {
        static const char *const bad[] = {
                "",
                "[]",
                "{\"Code\":\"Success\"",
                "{\"Code\":\"Failure\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}",
                "{\"AccessKeyId\":\"A\"}",
                "{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"S\"}",
                "{\"AccessKeyId\":1,\"SecretAccessKey\":\"S\"}",
                "{\"AccessKeyId\":\"A\",\"AccessKeyId\":\"B\",\"SecretAccessKey\":\"S\"}",
        };
        AwsCredentials c = {};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(imds_parse_credentials(bad[i], strlen(bad[i]), &c, NULL), -EBADMSG);
        assert_null(c.access_key_id);

        /* No token (long-term keys) is fine: no X-Amz-Security-Token then. */
        const char *plain = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":\"\"}";
        assert_int_equal(imds_parse_credentials(plain, strlen(plain), &c, NULL), 0);
        assert_null(c.session_token);
        aws_credentials_done(&c);
}

/* ---- a fake IMDS on the loop ------------------------------------------------ */

typedef struct FakeImds {
        sd_event *event;
        int listen_fd;
        sd_event_source *listener;
        bool has_public_ip;
        bool refuse_token;
        unsigned requests;
        unsigned unauthorized;
        /* results */
        bool done;
        int result;
        ImdsInfo info;
        ImdsQuery *query;
} FakeImds;

static const char *fake_answer(FakeImds *f, const char *req, int *ret_status) {
        char method[8], path[256];

        *ret_status = 200;
        if (sscanf(req, "%7s %255s", method, path) != 2) {
                *ret_status = 400;
                return "";
        }
        if (streq(path, "/latest/api/token")) {
                if (!streq(method, "PUT") || !strstr(req, "X-aws-ec2-metadata-token-ttl-seconds: 21600")) {
                        *ret_status = 400;
                        return "";
                }
                if (f->refuse_token) {
                        *ret_status = 403;
                        return "";
                }
                return "TOKEN123";
        }
        if (!strstr(req, "\r\nX-aws-ec2-metadata-token: TOKEN123\r\n")) {
                f->unauthorized++;
                *ret_status = 401;
                return "";
        }
        if (streq(path, "/latest/meta-data/instance-id"))
                return "i-0abc";
        if (streq(path, "/latest/meta-data/placement/region"))
                return "eu-north-1";
        if (streq(path, "/latest/meta-data/public-ipv4")) {
                if (f->has_public_ip)
                        return "203.0.113.9";
                *ret_status = 404;
                return "Not Found";
        }
        if (streq(path, "/latest/meta-data/iam/security-credentials/"))
                return "world-role";
        if (streq(path, "/latest/meta-data/iam/security-credentials/world-role"))
                return "{\"Code\":\"Success\",\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"SECRET\","
                       "\"Token\":\"TOK\",\"Expiration\":\"2030-01-01T00:00:00Z\"}";
        *ret_status = 404;
        return "Not Found";
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FakeImds *f = userdata;
        char req[4096];
        ssize_t n = recv(fd, req, sizeof(req) - 1, 0);
        char resp[1024];
        const char *body;
        int status;

        if (n <= 0) {
                /* floating: the loop owns it and closes the fd when freed */
                sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return 0;
        }
        req[n] = 0;
        if (!strstr(req, "\r\n\r\n"))
                return 0; /* the test's requests fit one read */
        f->requests++;
        body = fake_answer(f, req, &status);
        snprintf(resp, sizeof(resp), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 status, strlen(body), body);
        assert_true(send(fd, resp, strlen(resp), MSG_NOSIGNAL) > 0);
        shutdown(fd, SHUT_WR);
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FakeImds *f = userdata;
        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        sd_event_source *src;

        if (c < 0)
                return 0;
        assert_int_equal(sd_event_add_io(f->event, &src, c, EPOLLIN, on_client, f), 0);
        assert_int_equal(sd_event_source_set_io_fd_own(src, true), 0);
        assert_true(sd_event_source_set_floating(src, true) >= 0);
        sd_event_source_unref(src);
        return 0;
}

static void on_query_done(int r, ImdsInfo *info, void *userdata) {
        FakeImds *f = userdata;

        f->done = true;
        f->result = r;
        f->info = *info;
        *info = (ImdsInfo) {};
        /* a callback may free its query */
        f->query = imds_query_free(f->query);
        sd_event_exit(f->event, 0);
}

static int run_query(FakeImds *f, unsigned want) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        char endpoint[64];
        CurlEvent *ce = NULL;

        assert_int_equal(sd_event_new(&f->event), 0);
        f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(f->listen_fd >= 0);
        assert_int_equal(bind(f->listen_fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(f->listen_fd, 16), 0);
        assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *) &sa, &len), 0);
        snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u/", ntohs(sa.sin_port));
        assert_int_equal(sd_event_add_io(f->event, &f->listener, f->listen_fd, EPOLLIN, on_accept, f), 0);
        assert_int_equal(sd_event_add_time_relative(f->event, NULL, CLOCK_MONOTONIC, 10 * USEC_PER_SEC, 0,
                                                    NULL, (void *) (intptr_t) -ETIMEDOUT), 0);

        assert_int_equal(curl_event_new(f->event, &ce), 0);
        assert_int_equal(imds_query_start(ce, endpoint, want, on_query_done, f, &f->query), 0);
        assert_int_equal(sd_event_loop(f->event), 0);
        assert_true(f->done);
        assert_null(f->query);
        assert_int_equal(curl_event_running(ce), 0);

        curl_event_free(ce);
        sd_event_source_disable_unref(f->listener);
        close(f->listen_fd);
        f->event = sd_event_unref(f->event);
        return f->result;
}

static void test_query_fetches_everything_with_the_token(void **state) {
        FakeImds f = { .has_public_ip = true };

        assert_int_equal(run_query(&f, IMDS_WANT_INSTANCE_ID | IMDS_WANT_REGION | IMDS_WANT_PUBLIC_IPV4 |
                                       IMDS_WANT_CREDENTIALS), 0);
        assert_string_equal(f.info.instance_id, "i-0abc");
        assert_string_equal(f.info.region, "eu-north-1");
        assert_string_equal(f.info.public_ipv4, "203.0.113.9");
        assert_string_equal(f.info.role, "world-role");
        assert_string_equal(f.info.credentials.access_key_id, "AKID");
        assert_string_equal(f.info.credentials.secret_access_key, "SECRET");
        assert_string_equal(f.info.credentials.session_token, "TOK");
        assert_string_equal(f.info.expiration, "2030-01-01T00:00:00Z");
        assert_int_equal(f.requests, 6);
        assert_int_equal(f.unauthorized, 0);
        imds_info_done(&f.info);
}

static void test_query_without_public_address(void **state) {
        FakeImds f = { .has_public_ip = false };

        assert_int_equal(run_query(&f, IMDS_WANT_PUBLIC_IPV4 | IMDS_WANT_REGION), 0);
        assert_null(f.info.public_ipv4);
        assert_string_equal(f.info.region, "eu-north-1");
        assert_null(f.info.instance_id);
        assert_int_equal(f.requests, 3);
        imds_info_done(&f.info);
}

static void test_query_token_refused(void **state) {
        FakeImds f = { .refuse_token = true };

        assert_int_equal(run_query(&f, IMDS_WANT_INSTANCE_ID), -EACCES);
        assert_null(f.info.instance_id);
        assert_int_equal(f.requests, 1);
        imds_info_done(&f.info);
}

static void test_query_nobody_listening(void **state) {
        sd_event *e = NULL;
        CurlEvent *ce = NULL;
        FakeImds f = {};
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        char endpoint[64];
        int fd;

        /* a port that was just free */
        fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        close(fd);
        snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u", ntohs(sa.sin_port));

        assert_int_equal(sd_event_new(&e), 0);
        f.event = e;
        assert_int_equal(curl_event_new(e, &ce), 0);
        assert_int_equal(imds_query_start(ce, endpoint, IMDS_WANT_REGION, on_query_done, &f, &f.query), 0);
        assert_int_equal(sd_event_loop(e), 0);
        assert_int_equal(f.result, -ECONNREFUSED);
        curl_event_free(ce);
        sd_event_unref(e);
}

static void test_query_cancelled_by_free(void **state) {
        sd_event *e = NULL;
        CurlEvent *ce = NULL;
        ImdsQuery *q = NULL;
        FakeImds f = {};

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(curl_event_new(e, &ce), 0);
        assert_int_equal(imds_query_start(ce, "http://127.0.0.1:9", IMDS_WANT_REGION, on_query_done, &f, &q), 0);
        assert_int_equal(curl_event_running(ce), 1);
        imds_query_free(q);
        assert_int_equal(curl_event_running(ce), 0);
        assert_false(f.done);
        assert_int_equal(imds_query_start(ce, NULL, 0, on_query_done, &f, &q), -EINVAL);
        curl_event_free(ce);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_text_trims_and_checks),
                cmocka_unit_test(test_parse_role_list_takes_the_first),
                cmocka_unit_test(test_parse_credentials),
                cmocka_unit_test(test_parse_credentials_rejects),
                cmocka_unit_test(test_query_fetches_everything_with_the_token),
                cmocka_unit_test(test_query_without_public_address),
                cmocka_unit_test(test_query_token_refused),
                cmocka_unit_test(test_query_nobody_listening),
                cmocka_unit_test(test_query_cancelled_by_free),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
