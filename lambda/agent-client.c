/* SPDX-License-Identifier: MIT */
/* The agent API client; see agent-client.h. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/sigauth.h"
#include "lambda/agent-client.h"
#include "lambda/discord.h"
#include "lambda/http.h"

void agent_status_done(AgentStatus *s) {
        if (!s)
                return;
        free(s->watchdog);
        *s = (AgentStatus) { .players = -1 };
}

static int64_t json_time(json_t *v) {
        /* Unix seconds as a number; an ISO 8601 UTC string is accepted too. */
        struct tm tm = {};
        const char *s, *end;

        if (json_is_integer(v))
                return json_integer_value(v) > 0 ? json_integer_value(v) : 0;
        if (json_is_real(v))
                return json_real_value(v) > 0 ? (int64_t) json_real_value(v) : 0;
        if (!json_is_string(v))
                return 0;
        s = json_string_value(v);
        end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end)
                return 0;
        return (int64_t) timegm(&tm);
}

int agent_status_parse(const char *json, size_t len, AgentStatus *ret) {
        _cleanup_(json_decrefp) json_t *root = json_loadb(json, len, 0, NULL);
        AgentStatus s = { .players = -1 };
        json_t *v, *wd;

        if (!json_is_object(root))
                return -EBADMSG;
        v = json_object_get(root, "players");
        if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < 100000)
                s.players = (int) json_integer_value(v);
        else if (json_is_array(v))
                s.players = (int) json_array_size(v);
        s.ready = json_is_true(json_object_get(root, "ready"));
        v = json_object_get(root, "uptime");
        if (!v)
                v = json_object_get(root, "uptime_sec");
        if (json_is_number(v) && json_number_value(v) >= 0) {
                s.has_uptime = true;
                s.uptime_sec = (uint64_t) json_number_value(v);
        }
        wd = json_object_get(root, "watchdog");
        if (json_is_object(wd)) {
                v = json_object_get(wd, "state");
                s.stop_at = json_time(json_object_get(wd, "stop_at"));
        } else
                v = wd;
        if (json_is_string(v)) {
                s.watchdog = strdup(json_string_value(v));
                if (!s.watchdog)
                        return -ENOMEM;
        }
        if (s.stop_at == 0)
                s.stop_at = json_time(json_object_get(root, "stop_at"));
        *ret = s;
        return 0;
}

int agent_players_parse(const char *json, size_t len, char ***ret_names) {
        _cleanup_(json_decrefp) json_t *root = json_loadb(json, len, 0, NULL);
        _cleanup_strv_free_ char **names = NULL;
        json_t *list, *p;
        size_t i, n = 0;

        if (!json_is_object(root))
                return -EBADMSG;
        /* The agent sends the count as "players" and the people as "list". */
        list = json_object_get(root, "list");
        if (!list)
                list = json_object_get(root, "players");
        if (!json_is_array(list))
                return -EBADMSG;
        names = calloc(json_array_size(list) + 1, sizeof *names);
        if (!names)
                return -ENOMEM;
        json_array_foreach(list, i, p) {
                json_t *name = json_object_get(p, "name");
                names[n] = strdup(json_is_string(name) && json_string_length(name) > 0 ? json_string_value(name)
                                                                                      : "unknown player");
                if (!names[n])
                        return -ENOMEM;
                n++;
        }
        *ret_names = TAKE_PTR(names);
        return 0;
}

static int agent_call(const char *method, const char *ip, uint16_t port, const char *path, const uint8_t *key,
                      const char *body, long timeout_ms, HttpAnswer *ret) {
        char url[128], h_ts[64], h_nonce[80], h_sig[128];
        const char *headers[6] = { "Accept: application/json" };
        size_t n = 1;
        SigauthHeaders sh;
        int r;

        if (!ip || strchr(ip, '/') || strlen(ip) > 64)
                return -EINVAL;
        snprintf(url, sizeof url, "http://%s:%u%s", ip, port, path);
        if (key) {
                r = sigauth_make_headers(key, (int64_t) time(NULL), method, path, body, body ? strlen(body) : 0, &sh);
                if (r < 0)
                        return r;
                snprintf(h_ts, sizeof h_ts, SIGAUTH_HEADER_TIMESTAMP ": %s", sh.timestamp);
                snprintf(h_nonce, sizeof h_nonce, SIGAUTH_HEADER_NONCE ": %s", sh.nonce);
                snprintf(h_sig, sizeof h_sig, SIGAUTH_HEADER_SIGNATURE ": %s", sh.signature);
                headers[n++] = h_ts;
                headers[n++] = h_nonce;
                headers[n++] = h_sig;
        }
        if (body)
                headers[n++] = "Content-Type: application/json";
        headers[n] = NULL;
        return http_request(method, url, headers, body, timeout_ms, ret);
}

int agent_get_status(const char *ip, uint16_t port, long timeout_ms, AgentStatus *ret) {
        _cleanup_(http_answer_done) HttpAnswer a = {};
        int r;

        r = agent_call("GET", ip, port, "/v1/status", NULL, NULL, timeout_ms, &a);
        if (r < 0)
                return r;
        if (a.status != 200)
                return -EPROTO;
        r = agent_status_parse(a.body, a.len, ret);
        return r == -EBADMSG ? -EPROTO : r;
}

int agent_get_players(const char *ip, uint16_t port, const uint8_t key[32], long timeout_ms, char ***ret_names) {
        _cleanup_(http_answer_done) HttpAnswer a = {};
        int r;

        r = agent_call("GET", ip, port, "/v1/players", key, NULL, timeout_ms, &a);
        if (r < 0)
                return r;
        if (a.status == 401)
                return -EACCES;
        if (a.status != 200)
                return -EPROTO;
        r = agent_players_parse(a.body, a.len, ret_names);
        return r == -EBADMSG ? -EPROTO : r;
}

int agent_request_shutdown(const char *ip, uint16_t port, const uint8_t key[32], bool force, long timeout_ms,
                           long *ret_status, char **ret_error) {
        _cleanup_(http_answer_done) HttpAnswer a = {};
        _cleanup_(json_decrefp) json_t *root = NULL;
        json_t *e;
        int r;

        r = agent_call("POST", ip, port, "/v1/shutdown", key, force ? "{\"force\":true}" : "{\"force\":false}",
                       timeout_ms, &a);
        if (r < 0)
                return r;
        *ret_error = NULL;
        root = json_loadb(a.body, a.len, 0, NULL);
        e = json_object_get(root, "error");
        if (json_is_string(e)) {
                *ret_error = strdup(json_string_value(e));
                if (!*ret_error)
                        return -ENOMEM;
        }
        *ret_status = a.status;
        return 0;
}
