/* SPDX-License-Identifier: MIT */
/*
 * The libmicrohttpd glue (agent/api.c) on a real loopback socket, without the
 * rest of the agent: the server runs in an sd-event loop in this process, a
 * forked child plays the HTTP client with plain sockets, and the loop ends
 * when the child does. Checks the bound port of "127.0.0.1:0", that the raw
 * path-and-query reaches the signature check, and that a request is answered
 * while the loop is the only thing driving libmicrohttpd.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "agent/api.h"
#include "common/sigauth.h"
#include "tests/unit/unit.h"

static const uint8_t key[SIGAUTH_KEY_SIZE] = { 7 };

static json_t *status(void *userdata) {
        return json_pack("{s:i}", "players", 3);
}

static json_t *players(void *userdata) {
        return json_pack("{s:[]}", "list");
}

/* In the child: one request, the whole answer into buf. */
static int http_exchange(int port, const char *request, char *buf, size_t size) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        size_t used = 0;
        ssize_t n;
        int fd;

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -1;
        if (write(fd, request, strlen(request)) != (ssize_t) strlen(request))
                return -1;
        while (used + 1 < size && (n = read(fd, buf + used, size - used - 1)) > 0)
                used += (size_t) n;
        buf[used] = 0;
        close(fd);
        return 0;
}

static int client(int port) {
        char buf[4096], req[512];
        SigauthHeaders h;

        if (http_exchange(port, "GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf)) < 0 ||
            !strstr(buf, "HTTP/1.1 200") || !strstr(buf, "{\"players\":3}") ||
            !strstr(buf, "Content-Type: application/json"))
                return 1;

        if (http_exchange(port, "GET /v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf)) < 0 ||
            !strstr(buf, "HTTP/1.1 404") || !strstr(buf, "{\"error\":"))
                return 2;

        /* signed over the query as sent, %-escapes included */
        if (sigauth_make_headers(key, (int64_t) time(NULL), "GET", "/v1/players?a=%41&b", NULL, 0, &h) < 0)
                return 3;
        snprintf(req, sizeof(req),
                 "GET /v1/players?a=%%41&b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "X-Sigrun-Timestamp: %s\r\nX-Sigrun-Nonce: %s\r\nX-Sigrun-Signature: %s\r\n\r\n",
                 h.timestamp, h.nonce, h.signature);
        if (http_exchange(port, req, buf, sizeof(buf)) < 0 || !strstr(buf, "HTTP/1.1 200") ||
            !strstr(buf, "{\"list\":[]}"))
                return 4;
        /* and the same again is a replay */
        if (http_exchange(port, req, buf, sizeof(buf)) < 0 || !strstr(buf, "HTTP/1.1 401"))
                return 5;
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), si->si_code == CLD_EXITED ? si->si_status : 100);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 101);
}

static void test_serve_in_event_loop(void **state) {
        char *listen[] = { (char *) "127.0.0.1:0", NULL };
        const ApiConfig config = { .listen = listen, .key = key };
        const ApiHandlers handlers = { .status = status, .players = players };
        sd_event *e = NULL;
        ApiServer *s = NULL;
        sigset_t mask;
        pid_t pid;
        int port;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        assert_int_equal(sigprocmask(SIG_BLOCK, &mask, NULL), 0);

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(api_server_new(e, &config, &handlers, NULL, &s), 0);
        port = api_server_port(s, 0);
        assert_true(port > 0);
        assert_int_equal(api_server_port(s, 1), -ENOENT);

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(client(port));

        assert_true(sd_event_add_child(e, NULL, pid, WEXITED, on_child, NULL) >= 0);
        assert_true(sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, 10 * USEC_PER_SEC, 0, on_timeout, NULL) >= 0);
        assert_int_equal(sd_event_loop(e), 0);

        api_server_free(s);
        sd_event_unref(e);
}

static void test_bad_address(void **state) {
        char *listen[] = { (char *) "127.0.0.1:0", (char *) "nowhere:80", NULL };
        const ApiConfig config = { .listen = listen };
        sd_event *e = NULL;
        ApiServer *s = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(api_server_new(e, &config, NULL, NULL, &s), -EINVAL);
        assert_null(s);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_serve_in_event_loop),
                cmocka_unit_test(test_bad_address),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
