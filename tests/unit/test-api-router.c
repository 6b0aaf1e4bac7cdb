/* SPDX-License-Identifier: MIT */
/*
 * The connection API's request handling without sockets: routes and their
 * status codes, error bodies, early refusal from the head alone, the body
 * limit, authentication (signed here with common/sigauth, whose vectors are
 * checked independently in test-sigauth.c), the failure rate limit, and what
 * the core's handlers' answers turn into.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <string.h>

#include "agent/api-router.h"
#include "common/sigauth.h"
#include "tests/unit/unit.h"

#define NOW 1700000000

static const uint8_t key[SIGAUTH_KEY_SIZE] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                               17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

typedef struct Core {
        int shutdown_result;
        int inhibit_result;
        bool last_force;
        uint64_t last_seconds;
        unsigned calls;
} Core;

static json_t *core_status(void *userdata) {
        return json_pack("{s:s,s:i,s:b}", "world", "Midgard", "players", 2, "ready", 1);
}

static json_t *core_players(void *userdata) {
        return json_pack("{s:[{s:s}]}", "players", "name", "Ragnar");
}

static json_t *core_status_fails(void *userdata) {
        return NULL;
}

static int core_shutdown(void *userdata, bool force, char **ret_message) {
        Core *c = userdata;

        c->calls++;
        c->last_force = force;
        if (c->shutdown_result == -EBUSY)
                *ret_message = strdup("2 players are connected (Ragnar, Freya)");
        return c->shutdown_result;
}

static int core_inhibit(void *userdata, uint64_t seconds, json_t **ret_body) {
        Core *c = userdata;

        c->calls++;
        c->last_seconds = seconds;
        if (c->inhibit_result == 0)
                *ret_body = json_pack("{s:I}", "inhibit_seconds", (json_int_t) seconds);
        return c->inhibit_result;
}

static const ApiHandlers handlers = {
        .status = core_status,
        .players = core_players,
        .shutdown = core_shutdown,
        .inhibit = core_inhibit,
};

typedef struct Fixture {
        ApiRouter *router;
        Core core;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(api_router_new(key, 4096, &handlers, &f->core, &f->router), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        api_router_free(f->router);
        free(f);
        return 0;
}

static ApiPeer peer_v4(const char *s) {
        struct sockaddr_in in = { .sin_family = AF_INET };
        ApiPeer p;

        assert_int_equal(inet_pton(AF_INET, s, &in.sin_addr), 1);
        assert_int_equal(api_peer_from_sockaddr((struct sockaddr *) &in, sizeof(in), &p), 0);
        return p;
}

/* Run a request through the router; return the status, and the parsed body in *ret_json. */
static unsigned run(ApiRouter *r, const ApiRequest *req, int64_t now, json_t **ret_json, ApiResponse *ret_resp) {
        ApiResponse resp = {};
        json_error_t err;
        json_t *j;
        unsigned status;

        assert_int_equal(api_router_handle(r, req, now, &resp), 0);
        assert_non_null(resp.body);
        j = json_loads(resp.body, 0, &err);
        assert_non_null(j);
        assert_true(json_is_object(j));
        /* every error is {"error": "..."} */
        if (resp.status >= 400) {
                assert_int_equal(json_object_size(j), 1);
                assert_true(json_is_string(json_object_get(j, "error")));
        }
        status = resp.status;
        if (ret_resp)
                *ret_resp = resp;
        else
                api_response_done(&resp);
        if (ret_json)
                *ret_json = j;
        else
                json_decref(j);
        return status;
}

static unsigned run_simple(ApiRouter *r, const char *method, const char *target, const char *body) {
        ApiRequest req = {
                .method = method,
                .target = target,
                .body = body,
                .body_len = body ? strlen(body) : 0,
        };
        return run(r, &req, NOW, NULL, NULL);
}

/* A request signed as a client would sign it. */
typedef struct Signed {
        SigauthHeaders h;
        ApiRequest req;
} Signed;

static void sign(Signed *s, const uint8_t *k, int64_t when, const char *method, const char *target, const char *body) {
        size_t len = body ? strlen(body) : 0;

        assert_int_equal(sigauth_make_headers(k, when, method, target, body, len, &s->h), 0);
        s->req = (ApiRequest) {
                .method = method,
                .target = target,
                .timestamp = s->h.timestamp,
                .nonce = s->h.nonce,
                .signature = s->h.signature,
                .body = body,
                .body_len = len,
                .peer = peer_v4("192.0.2.1"),
        };
}

static void test_status_public(void **state) {
        Fixture *f = *state;
        json_t *j;
        ApiRequest req = { .method = "GET", .target = "/v1/status" };

        assert_int_equal(run(f->router, &req, NOW, &j, NULL), 200);
        assert_string_equal(json_string_value(json_object_get(j, "world")), "Midgard");
        assert_int_equal(json_integer_value(json_object_get(j, "players")), 2);
        json_decref(j);

        /* a query string does not change the route */
        assert_int_equal(run_simple(f->router, "GET", "/v1/status?verbose=1", NULL), 200);
}

static void test_not_found(void **state) {
        Fixture *f = *state;
        static const char *const targets[] = {
                "/", "/v1", "/v1/", "/v1/status/", "/v1/statusx", "/v2/status", "/v1/Status",
                "//v1/status", "/v1/%73tatus", "v1/status", "*", "http://localhost/v1/status", "",
        };

        for (size_t i = 0; i < ELEMENTSOF(targets); i++)
                assert_int_equal(run_simple(f->router, "GET", targets[i], NULL), 404);
        assert_int_equal(run_simple(f->router, "POST", "/v1/nothing", "{}"), 404);
        assert_int_equal(f->core.calls, 0);
}

static void test_wrong_method(void **state) {
        Fixture *f = *state;
        ApiRequest req = { .method = "POST", .target = "/v1/status" };
        ApiResponse resp;

        assert_int_equal(run(f->router, &req, NOW, NULL, &resp), 405);
        assert_string_equal(resp.allow, "GET");
        api_response_done(&resp);

        req = (ApiRequest) { .method = "GET", .target = "/v1/shutdown" };
        assert_int_equal(run(f->router, &req, NOW, NULL, &resp), 405);
        assert_string_equal(resp.allow, "POST");
        api_response_done(&resp);

        assert_int_equal(run_simple(f->router, "DELETE", "/v1/players", NULL), 405);
        assert_int_equal(run_simple(f->router, "HEAD", "/v1/inhibit", NULL), 405);
        assert_int_equal(run_simple(f->router, "get", "/v1/status", NULL), 405);
        assert_int_equal(f->core.calls, 0);
}

static void test_body_limit(void **state) {
        Fixture *f = *state;
        ApiResponse resp = {};
        ApiRequest req = { .method = "POST", .target = "/v1/shutdown", .content_length = "4097" };
        char big[4098];

        /* declared too large: refused from the head, before authentication */
        assert_int_equal(api_router_check_head(f->router, &req, NOW, &resp), 1);
        assert_int_equal(resp.status, 413);
        api_response_done(&resp);
        assert_int_equal(run(f->router, &req, NOW, NULL, NULL), 413);

        /* exactly the limit is fine as far as size goes (then 401: unsigned) */
        req.content_length = "4096";
        assert_int_equal(api_router_check_head(f->router, &req, NOW, &resp), 1);
        assert_int_equal(resp.status, 401);
        api_response_done(&resp);

        /* an undeclared (chunked) body that grew too large */
        req = (ApiRequest) { .method = "POST", .target = "/v1/inhibit", .body_too_large = true };
        assert_int_equal(run(f->router, &req, NOW, NULL, NULL), 413);

        /* and one that is simply too long, on a public endpoint too */
        memset(big, ' ', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_int_equal(run_simple(f->router, "GET", "/v1/status", big), 413);
        assert_int_equal(f->core.calls, 0);
}

static void test_check_head(void **state) {
        Fixture *f = *state;
        ApiResponse resp = {};
        Signed s;

        /* a good GET needs no body: the head check lets it through */
        ApiRequest req = { .method = "GET", .target = "/v1/status" };
        assert_int_equal(api_router_check_head(f->router, &req, NOW, &resp), 0);

        req.target = "/nope";
        assert_int_equal(api_router_check_head(f->router, &req, NOW, &resp), 1);
        assert_int_equal(resp.status, 404);
        api_response_done(&resp);

        /* missing credentials are refused before the body */
        req = (ApiRequest) { .method = "POST", .target = "/v1/shutdown", .content_length = "15" };
        assert_int_equal(api_router_check_head(f->router, &req, NOW, &resp), 1);
        assert_int_equal(resp.status, 401);
        api_response_done(&resp);

        /* present credentials wait for the body they cover */
        sign(&s, key, NOW, "POST", "/v1/shutdown", "{\"force\":false}");
        assert_int_equal(api_router_check_head(f->router, &s.req, NOW, &resp), 0);
}

static void test_authenticated_ok(void **state) {
        Fixture *f = *state;
        json_t *j;
        Signed s;

        sign(&s, key, NOW, "GET", "/v1/players", NULL);
        assert_int_equal(run(f->router, &s.req, NOW, &j, NULL), 200);
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "players"), 0), "name")), "Ragnar");
        json_decref(j);

        /* the query is signed too */
        sign(&s, key, NOW, "GET", "/v1/players?x=1", NULL);
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 200);

        sign(&s, key, NOW, "POST", "/v1/shutdown", "{\"force\": true}");
        assert_int_equal(run(f->router, &s.req, NOW, &j, NULL), 202);
        assert_string_equal(json_string_value(json_object_get(j, "status")), "stopping");
        json_decref(j);
        assert_true(f->core.last_force);

        /* an empty body is {}: force defaults to false */
        sign(&s, key, NOW, "POST", "/v1/shutdown", "");
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 202);
        assert_false(f->core.last_force);

        sign(&s, key, NOW, "POST", "/v1/inhibit", "{\"seconds\": 7200}");
        assert_int_equal(run(f->router, &s.req, NOW, &j, NULL), 200);
        assert_int_equal(json_integer_value(json_object_get(j, "inhibit_seconds")), 7200);
        json_decref(j);
        assert_int_equal(f->core.last_seconds, 7200);

        sign(&s, key, NOW, "POST", "/v1/inhibit", "{\"seconds\": 0}");
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 200);
        assert_int_equal(f->core.last_seconds, 0);
}

static void test_authentication_failures(void **state) {
        Fixture *f = *state;
        static const uint8_t other_key[SIGAUTH_KEY_SIZE] = { 0xff };
        Signed s;

        /* missing headers, one at a time */
        sign(&s, key, NOW, "GET", "/v1/players", NULL);
        s.req.timestamp = NULL;
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);
        sign(&s, key, NOW, "GET", "/v1/players", NULL);
        s.req.nonce = NULL;
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);
        sign(&s, key, NOW, "GET", "/v1/players", NULL);
        s.req.signature = NULL;
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);

        /* wrong key */
        sign(&s, other_key, NOW, "GET", "/v1/players", NULL);
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);

        /* stale, and from the future */
        sign(&s, key, NOW - 61, "GET", "/v1/players", NULL);
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);
        sign(&s, key, NOW + 61, "GET", "/v1/players", NULL);
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);

        /* the body is covered */
        sign(&s, key, NOW, "POST", "/v1/shutdown", "{\"force\":false}");
        s.req.body = "{\"force\":true} ";
        s.req.body_len = strlen(s.req.body);
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);

        /* signed for another path */
        sign(&s, key, NOW, "POST", "/v1/inhibit", "{\"force\":true}");
        s.req.target = "/v1/shutdown";
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);

        /* replay */
        sign(&s, key, NOW, "GET", "/v1/players", NULL);
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 200);
        assert_int_equal(run(f->router, &s.req, NOW + 1, NULL, NULL), 401);

        assert_int_equal(f->core.calls, 0);
}

static void test_rate_limit(void **state) {
        Fixture *f = *state;
        ApiResponse resp;
        Signed s;

        for (int i = 0; i < API_AUTH_FAILURE_MAX; i++) {
                sign(&s, key, NOW - 600, "GET", "/v1/players", NULL);   /* stale */
                assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);
        }
        /* now even a good request from that client waits */
        sign(&s, key, NOW, "GET", "/v1/players", NULL);
        assert_int_equal(run(f->router, &s.req, NOW + 1, NULL, &resp), 429);
        assert_int_equal(resp.retry_after, API_AUTH_FAILURE_WINDOW_SEC - 1);
        api_response_done(&resp);

        /* another client is not affected, nor are public endpoints */
        s.req.peer = peer_v4("192.0.2.2");
        assert_int_equal(run(f->router, &s.req, NOW + 1, NULL, NULL), 200);
        s.req = (ApiRequest) { .method = "GET", .target = "/v1/status", .peer = peer_v4("192.0.2.1") };
        assert_int_equal(run(f->router, &s.req, NOW + 1, NULL, NULL), 200);

        /* after the window the client may try again */
        sign(&s, key, NOW + 60, "GET", "/v1/players", NULL);
        assert_int_equal(run(f->router, &s.req, NOW + 60, NULL, NULL), 200);
}

static void test_rate_limit_table_bounded(void **state) {
        Fixture *f = *state;
        char addr[32];
        Signed s;

        /* more failing clients than slots: nothing grows, nothing breaks, and
         * the newest offender is still tracked */
        for (unsigned i = 0; i < API_AUTH_FAILURE_SLOTS + 10; i++) {
                snprintf(addr, sizeof(addr), "10.0.%u.%u", i / 250, i % 250 + 1);
                sign(&s, key, NOW - 600, "GET", "/v1/players", NULL);
                s.req.peer = peer_v4(addr);
                assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 401);
        }
        for (int i = 0; i < API_AUTH_FAILURE_MAX; i++) {
                sign(&s, key, NOW - 600, "GET", "/v1/players", NULL);
                s.req.peer = peer_v4(addr);
                run(f->router, &s.req, NOW, NULL, NULL);
        }
        sign(&s, key, NOW, "GET", "/v1/players", NULL);
        s.req.peer = peer_v4(addr);
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 429);
}

static void test_malformed_json(void **state) {
        Fixture *f = *state;
        static const char *const bodies[] = {
                "{", "not json", "[]", "42", "\"force\"", "{\"force\": false}}", "{\"force\":false,\"force\":true}",
                "{\"force\": 1}", "{\"force\": \"yes\"}",
        };
        static const char *const inhibit_bodies[] = {
                "{}", "{\"seconds\": -1}", "{\"seconds\": 1.5}", "{\"seconds\": \"2h\"}",
                "{\"seconds\": 99999999999}", "{\"seconds\": null}",
        };
        Signed s;

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
                sign(&s, key, NOW, "POST", "/v1/shutdown", bodies[i]);
                assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 400);
        }
        for (size_t i = 0; i < ELEMENTSOF(inhibit_bodies); i++) {
                sign(&s, key, NOW, "POST", "/v1/inhibit", inhibit_bodies[i]);
                assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 400);
        }
        assert_int_equal(f->core.calls, 0);
}

static void test_handler_results(void **state) {
        Fixture *f = *state;
        json_t *j;
        Signed s;

        f->core.shutdown_result = -EBUSY;
        sign(&s, key, NOW, "POST", "/v1/shutdown", "{\"force\":false}");
        assert_int_equal(run(f->router, &s.req, NOW, &j, NULL), 409);
        assert_string_equal(json_string_value(json_object_get(j, "error")), "2 players are connected (Ragnar, Freya)");
        json_decref(j);

        f->core.shutdown_result = -EOPNOTSUPP;
        sign(&s, key, NOW, "POST", "/v1/shutdown", "{\"force\":true}");
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 503);

        f->core.inhibit_result = -EOPNOTSUPP;
        sign(&s, key, NOW, "POST", "/v1/inhibit", "{\"seconds\":60}");
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 503);

        f->core.inhibit_result = -EIO;
        sign(&s, key, NOW, "POST", "/v1/inhibit", "{\"seconds\":60}");
        assert_int_equal(run(f->router, &s.req, NOW, NULL, NULL), 500);
}

static void test_no_key(void **state) {
        _cleanup_(api_router_freep) ApiRouter *r = NULL;
        Core core = {};
        Signed s;

        assert_int_equal(api_router_new(NULL, 0, &handlers, &core, &r), 0);
        assert_int_equal(run_simple(r, "GET", "/v1/status", NULL), 200);
        sign(&s, key, NOW, "GET", "/v1/players", NULL);
        assert_int_equal(run(r, &s.req, NOW, NULL, NULL), 503);
        sign(&s, key, NOW, "POST", "/v1/shutdown", "{}");
        assert_int_equal(run(r, &s.req, NOW, NULL, NULL), 503);
        assert_int_equal(core.calls, 0);
}

static void test_missing_handlers(void **state) {
        _cleanup_(api_router_freep) ApiRouter *r = NULL;
        const ApiHandlers h = { .status = core_status_fails };
        Signed s;

        assert_int_equal(api_router_new(key, 0, &h, NULL, &r), 0);
        assert_int_equal(run_simple(r, "GET", "/v1/status", NULL), 500);
        /* no watchdog yet: 503, never a fake 202 */
        sign(&s, key, NOW, "POST", "/v1/shutdown", "{}");
        assert_int_equal(run(r, &s.req, NOW, NULL, NULL), 503);
        sign(&s, key, NOW, "POST", "/v1/inhibit", "{\"seconds\":1}");
        assert_int_equal(run(r, &s.req, NOW, NULL, NULL), 503);
        sign(&s, key, NOW, "GET", "/v1/players", NULL);
        assert_int_equal(run(r, &s.req, NOW, NULL, NULL), 503);
}

static void test_peer(void **state) {
        struct sockaddr_in6 a = { .sin6_family = AF_INET6 }, b = { .sin6_family = AF_INET6 };
        ApiPeer pa, pb, p4;

        assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2::1", &a.sin6_addr), 1);
        assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2::ffff", &b.sin6_addr), 1);
        assert_int_equal(api_peer_from_sockaddr((struct sockaddr *) &a, sizeof(a), &pa), 0);
        assert_int_equal(api_peer_from_sockaddr((struct sockaddr *) &b, sizeof(b), &pb), 0);
        /* one /64, one client */
        assert_int_equal(pa.len, 8);
        assert_memory_equal(pa.bytes, pb.bytes, 8);

        /* v4-mapped is the IPv4 client */
        assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.1", &a.sin6_addr), 1);
        assert_int_equal(api_peer_from_sockaddr((struct sockaddr *) &a, sizeof(a), &pa), 0);
        p4 = peer_v4("192.0.2.1");
        assert_int_equal(pa.len, 4);
        assert_memory_equal(pa.bytes, p4.bytes, 4);
}

static void test_listen_parse(void **state) {
        struct sockaddr_storage ss;
        socklen_t len;

        assert_int_equal(api_listen_parse("0.0.0.0:8456", &ss, &len), 0);
        assert_int_equal(ss.ss_family, AF_INET);
        assert_int_equal(ntohs(((struct sockaddr_in *) &ss)->sin_port), 8456);
        assert_int_equal(api_listen_parse("[::]:8456", &ss, &len), 0);
        assert_int_equal(ss.ss_family, AF_INET6);
        assert_int_equal(len, sizeof(struct sockaddr_in6));
        assert_int_equal(api_listen_parse("127.0.0.1:0", &ss, &len), 0);
        assert_int_equal(api_listen_parse("[::1]:65535", &ss, &len), 0);

        assert_int_equal(api_listen_parse("127.0.0.1", &ss, &len), -EINVAL);
        assert_int_equal(api_listen_parse("127.0.0.1:65536", &ss, &len), -EINVAL);
        assert_int_equal(api_listen_parse("127.0.0.1:", &ss, &len), -EINVAL);
        assert_int_equal(api_listen_parse("::1:80", &ss, &len), -EINVAL);
        assert_int_equal(api_listen_parse("[::1]80", &ss, &len), -EINVAL);
        assert_int_equal(api_listen_parse("localhost:80", &ss, &len), -EINVAL);
        assert_int_equal(api_listen_parse("[127.0.0.1]:80", &ss, &len), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_status_public, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_method, setup, teardown),
                cmocka_unit_test_setup_teardown(test_body_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_check_head, setup, teardown),
                cmocka_unit_test_setup_teardown(test_authenticated_ok, setup, teardown),
                cmocka_unit_test_setup_teardown(test_authentication_failures, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rate_limit_table_bounded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
                cmocka_unit_test_setup_teardown(test_handler_results, setup, teardown),
                cmocka_unit_test(test_no_key),
                cmocka_unit_test(test_missing_handlers),
                cmocka_unit_test(test_peer),
                cmocka_unit_test(test_listen_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
