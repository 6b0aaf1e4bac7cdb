/* SPDX-License-Identifier: MIT */
/*
 * The `status` and `inhibit` subcommands: one blocking libcurl request per
 * endpoint to the agent's API on loopback, signed with common/sigauth when
 * the key is readable, and a short human rendering of the answer. Field
 * names follow the agent's handlers (agent/agent.c); unknown or missing
 * fields are skipped rather than treated as errors, so an older or newer
 * agent still gets a useful summary.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include "agent/api-router.h"
#include "agent/cli-status.h"
#include "common/buffer.h"
#include "common/parse.h"
#include "common/sigauth.h"

#define CLI_TIMEOUT_SEC 5L
#define CLI_ANSWER_MAX ((size_t) 1024 * 1024)

static void curl_easy_cleanupp(CURL **c) {
        if (*c)
                curl_easy_cleanup(*c);
}

static void curl_slist_free_allp(struct curl_slist **l) {
        if (*l)
                curl_slist_free_all(*l);
}

/* http://127.0.0.1:8456 for "0.0.0.0:8456", http://[::1]:8456 for "[::]:8456". */
static int base_url_from_listen(const char *const *listen, char **ret) {
        struct sockaddr_storage ss;
        socklen_t len;
        char host[INET6_ADDRSTRLEN];
        unsigned port;
        int r;

        if (!listen || !listen[0]) {
                fprintf(stderr, "No API listen address in the configuration (api.listen).\n");
                return -EINVAL;
        }
        r = api_listen_parse(listen[0], &ss, &len);
        if (r < 0) {
                fprintf(stderr, "Invalid API listen address \"%s\".\n", listen[0]);
                return r;
        }
        if (ss.ss_family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *) &ss;
                if (in->sin_addr.s_addr == htonl(INADDR_ANY))
                        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
                port = ntohs(in->sin_port);
                r = asprintf(ret, "http://%s:%u", host, port);
        } else {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;
                if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
                        in6->sin6_addr = in6addr_loopback;
                inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
                port = ntohs(in6->sin6_port);
                r = asprintf(ret, "http://[%s]:%u", host, port);
        }
        if (port == 0) {
                free(*ret);
                fprintf(stderr, "The API listens on port 0 (a random port): cannot find it.\n");
                return -EINVAL;
        }
        return r < 0 ? -ENOMEM : 0;
}

static size_t collect(char *data, size_t size, size_t n, void *userdata) {
        Buffer *b = userdata;

        if (buffer_append(b, data, size * n) < 0)
                return 0;   /* curl fails the transfer */
        return size * n;
}

typedef struct Answer {
        long status;
        json_t *json;      /* NULL if the body was not JSON */
} Answer;

/* One request; prints why and returns < 0 if there was no HTTP answer at all. */
static int call(const char *base, const char *method, const char *path, const uint8_t *key,
                const char *body, Answer *ret) {
        _cleanup_(curl_easy_cleanupp) CURL *c = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        _cleanup_(buffer_free) Buffer answer = BUFFER_INIT(CLI_ANSWER_MAX);
        _cleanup_free_ char *url = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        CURLcode cc;
        int r;

        if (asprintf(&url, "%s%s", base, path) < 0)
                return -ENOMEM;
        c = curl_easy_init();
        if (!c)
                return -ENOMEM;

        if (key) {
                SigauthHeaders h;
                char line[128];

                r = sigauth_make_headers(key, (int64_t) time(NULL), method, path, body,
                                         body ? strlen(body) : 0, &h);
                if (r < 0)
                        return r;
                (void) snprintf(line, sizeof(line), SIGAUTH_HEADER_TIMESTAMP ": %s", h.timestamp);
                headers = curl_slist_append(headers, line);
                (void) snprintf(line, sizeof(line), SIGAUTH_HEADER_NONCE ": %s", h.nonce);
                headers = curl_slist_append(headers, line);
                (void) snprintf(line, sizeof(line), SIGAUTH_HEADER_SIGNATURE ": %s", h.signature);
                headers = curl_slist_append(headers, line);
        }
        if (body)
                headers = curl_slist_append(headers, "Content-Type: application/json");
        headers = curl_slist_append(headers, "Expect:");
        if (!headers)
                return -ENOMEM;

        if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_TIMEOUT, CLI_TIMEOUT_SEC) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK)
                return -EIO;
        if (body && (curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
                     curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) strlen(body)) != CURLE_OK))
                return -EIO;

        cc = curl_easy_perform(c);
        if (cc != CURLE_OK) {
                fprintf(stderr, "Failed to reach the agent at %s: %s\n", base,
                        errbuf[0] ? errbuf : curl_easy_strerror(cc));
                return -ECONNREFUSED;
        }
        *ret = (Answer) {};
        (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ret->status);
        ret->json = json_loadb((const char *) answer.data, answer.len, 0, NULL);
        return 0;
}

static const char *error_text(const Answer *a) {
        const char *e = json_string_value(json_object_get(a->json, "error"));
        return e ?: "unexpected answer";
}

static void print_duration_sec(const char *prefix, json_t *seconds) {
        char buf[FORMAT_DURATION_MAX];

        if (json_is_integer(seconds) && json_integer_value(seconds) >= 0)
                printf("%s%s", prefix,
                       format_duration(buf, sizeof(buf), (usec_t) json_integer_value(seconds) * USEC_PER_SEC));
}

static void print_summary(json_t *status, json_t *players) {
        json_t *world = json_object_get(status, "world"), *game = json_object_get(status, "game"),
               *count = json_object_get(status, "players"), *watchdog = json_object_get(status, "watchdog");
        const char *w = json_string_value(world), *g = json_string_value(game);
        json_t *list = json_object_get(players, "list"), *sources = json_object_get(players, "sources");
        size_t i;
        json_t *v;

        printf("%s", w && *w ? w : "(unnamed world)");
        if (g && *g)
                printf(" (%s)", g);
        if (json_is_boolean(json_object_get(status, "ready")))
                printf(", %s", json_is_true(json_object_get(status, "ready")) ? "ready" : "not ready");
        print_duration_sec(", up ", json_object_get(status, "uptime"));
        printf("\n");

        if (json_is_integer(count))
                printf("Players: %" JSON_INTEGER_FORMAT, json_integer_value(count));
        else
                printf("Players: unknown (no player source has data)");
        if (json_array_size(list) > 0) {
                bool first = true;
                printf(" (");
                json_array_foreach(list, i, v) {
                        const char *name = json_string_value(json_object_get(v, "name"));
                        printf("%s%s", first ? "" : ", ", name && *name ? name : "unnamed");
                        first = false;
                }
                printf(")");
        }
        printf("\n");

        if (json_is_object(watchdog)) {
                const char *summary = json_string_value(json_object_get(watchdog, "summary")),
                           *state = json_string_value(json_object_get(watchdog, "state")),
                           *stop_at = json_string_value(json_object_get(watchdog, "stop_at")),
                           *inhibited = json_string_value(json_object_get(watchdog, "inhibited_until")),
                           *action = json_string_value(json_object_get(watchdog, "action"));

                printf("Watchdog: %s", summary ?: state ?: "not running");
                if (action)
                        printf(" (then %s)", action);
                printf("\n");
                if (stop_at) {
                        printf("Stop at: %s", stop_at);
                        print_duration_sec(", in ", json_object_get(watchdog, "stop_in"));
                        printf("\n");
                }
                if (inhibited)
                        printf("Idle stop inhibited until: %s\n", inhibited);
        }

        if (json_array_size(sources) > 0) {
                printf("Sources:");
                json_array_foreach(sources, i, v) {
                        const char *name = json_string_value(json_object_get(v, "name")),
                                   *health = json_string_value(json_object_get(v, "health"));
                        json_t *n = json_object_get(v, "players");
                        printf("%s %s %s", i ? "," : "", name ?: "?", health ?: "?");
                        if (json_is_integer(n))
                                printf(" (%" JSON_INTEGER_FORMAT ")", json_integer_value(n));
                }
                printf("\n");
        }
}

int cli_status(const char *const *listen, const uint8_t *key, bool json) {
        _cleanup_free_ char *base = NULL;
        Answer status = {}, players = {};
        int r, ret = 1;

        if (base_url_from_listen(listen, &base) < 0)
                return 1;
        curl_global_init(CURL_GLOBAL_DEFAULT);

        r = call(base, "GET", "/v1/status", NULL, NULL, &status);
        if (r < 0)
                goto finish;
        if (status.status != 200 || !json_is_object(status.json)) {
                fprintf(stderr, "The agent answered %ld: %s\n", status.status, error_text(&status));
                goto finish;
        }

        if (key) {
                r = call(base, "GET", "/v1/players", key, NULL, &players);
                if (r >= 0 && players.status != 200) {
                        fprintf(stderr, "Player details unavailable (%ld: %s)\n", players.status, error_text(&players));
                        json_decref(players.json);
                        players.json = NULL;
                }
        }

        if (json) {
                json_t *o = json_pack("{s:O,s:O?}", "status", status.json, "players", players.json);
                if (!o || json_dumpf(o, stdout, JSON_INDENT(2)) < 0) {
                        json_decref(o);
                        goto finish;
                }
                printf("\n");
                json_decref(o);
        } else
                print_summary(status.json, players.json);
        ret = 0;

finish:
        json_decref(status.json);
        json_decref(players.json);
        curl_global_cleanup();
        return ret;
}

int cli_inhibit(const char *const *listen, const uint8_t *key, const char *duration) {
        _cleanup_free_ char *base = NULL, *body = NULL;
        Answer a = {};
        usec_t t;
        uint64_t seconds;
        int r, ret = 1;

        if (parse_duration(duration, 0, API_INHIBIT_MAX_SEC * USEC_PER_SEC, &t) < 0) {
                fprintf(stderr, "Invalid duration \"%s\" (e.g. 2h, 90min, 0 to clear; at most 31 days).\n", duration);
                return 2;
        }
        seconds = (t + USEC_PER_SEC - 1) / USEC_PER_SEC;
        if (!key) {
                fprintf(stderr, "inhibit needs the API key (api.key), and the configuration holding it is not readable.\n");
                return 1;
        }
        if (base_url_from_listen(listen, &base) < 0)
                return 1;
        if (asprintf(&body, "{\"seconds\":%" PRIu64 "}", seconds) < 0)
                return 1;

        curl_global_init(CURL_GLOBAL_DEFAULT);
        r = call(base, "POST", "/v1/inhibit", key, body, &a);
        if (r < 0)
                goto finish;
        if (a.status != 200) {
                fprintf(stderr, "The agent answered %ld: %s\n", a.status, error_text(&a));
                goto finish;
        }
        if (seconds == 0)
                printf("Idle stop inhibit cleared.\n");
        else {
                const char *until = json_string_value(json_object_get(a.json, "inhibited_until"));
                char buf[FORMAT_DURATION_MAX];
                printf("Idle stops held off for %s", format_duration(buf, sizeof(buf), seconds * USEC_PER_SEC));
                if (until)
                        printf(", until %s", until);
                printf(".\n");
        }
        ret = 0;

finish:
        json_decref(a.json);
        curl_global_cleanup();
        return ret;
}
