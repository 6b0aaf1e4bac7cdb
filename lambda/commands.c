/* SPDX-License-Identifier: MIT */
/*
 * The three commands and the world autocomplete; see commands.h. The EC2
 * state decides what each command does, and every state has its own answer
 * (the old bot said "already initiated" for a stopped server and a running
 * one alike). Failures of EC2 or the agent become a Reply here, so callers
 * never have to turn an errno into words.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "lambda/agent-client.h"
#include "lambda/commands.h"

/* Keep this much of the budget for answering once the last call returns. */
#define ANSWER_RESERVE_USEC (150 * USEC_PER_MSEC)
#define MIN_CALL_MSEC 50

usec_t now_monotonic(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

int commands_init(Commands *c, const LambdaConfig *config) {
        int r;

        *c = (Commands) { .config = config };
        r = aws_credentials_load(&c->credentials);
        if (r < 0 && r != -ENOKEY)
                return r;
        c->has_credentials = r >= 0;
        r = aws_endpoint_resolve("ec2", config->region ? config->region : "us-east-1", &c->endpoint);
        if (r < 0) {
                commands_done(c);
                return r;
        }
        commands_set_deadline(c, COMMAND_BUDGET_USEC, 0);
        return 0;
}

void commands_done(Commands *c) {
        if (!c)
                return;
        aws_credentials_done(&c->credentials);
        free(c->endpoint);
        c->endpoint = NULL;
}

void commands_set_deadline(Commands *c, usec_t budget, usec_t external_deadline) {
        c->deadline = now_monotonic() + budget;
        if (external_deadline > 0 && external_deadline < c->deadline)
                c->deadline = external_deadline;
}

/* Milliseconds the next outbound call may take, 0 when there is no time left. */
static long call_timeout_ms(const Commands *c) {
        usec_t now = now_monotonic();
        long ms;

        if (now + ANSWER_RESERVE_USEC >= c->deadline)
                return 0;
        ms = (long) ((c->deadline - ANSWER_RESERVE_USEC - now) / USEC_PER_MSEC);
        return ms >= MIN_CALL_MSEC ? ms : 0;
}

/* ---- EC2 ---- */

static int ec2_failure(Reply *ret, const char *title, const char *action, int error, long status,
                       const uint8_t *body, size_t len) {
        Ec2Error e = {};
        int r;

        if (error == -ENOKEY)
                return reply_set(ret, REPLY_ERROR, true, title,
                                 "No AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                                 "(or use ~/.aws/credentials).");
        if (error == -ENOTCONN)
                return reply_set(ret, REPLY_ERROR, true, title, "No AWS region: set AWS_REGION.");
        if (error == -ETIMEDOUT)
                return reply_set(ret, REPLY_ERROR, true, title, "EC2 did not answer in time. Try again in a moment.");
        if (error < 0)
                return reply_set(ret, REPLY_ERROR, true, title, "Could not reach EC2 (%s).", strerror(-error));

        if (ec2_parse_error(body, len, &e) < 0)
                return reply_set(ret, REPLY_ERROR, true, title, "EC2 answered %s with HTTP %ld.", action, status);
        if (ec2_error_is_throttling(e.code))
                r = reply_set(ret, REPLY_ERROR, true, title,
                              "AWS is throttling requests right now (%s). Try again in a few seconds.", e.code);
        else if (streq(e.code, "UnauthorizedOperation"))
                r = reply_set(ret, REPLY_ERROR, true, title,
                              "The bot is not allowed to call %s (UnauthorizedOperation). Check its IAM policy.",
                              action);
        else if (streq(e.code, "AuthFailure"))
                r = reply_set(ret, REPLY_ERROR, true, title,
                              "AWS did not accept the bot's credentials (AuthFailure).");
        else if (streq(e.code, "IncorrectInstanceState"))
                r = reply_set(ret, REPLY_ERROR, true, title,
                              "The instance is not in a state that allows this right now (IncorrectInstanceState). "
                              "Try again in a minute.");
        else
                r = reply_set(ret, REPLY_ERROR, true, title, "EC2 refused %s: %s%s%s", action, e.code,
                              e.message ? ": " : "", e.message ? e.message : "");
        ec2_error_done(&e);
        return r;
}

/* 0 with the XML of a 200 answer; 1 when the failure was written to *fail. */
static int ec2_exchange(Commands *c, const char *title, const char *action, const char *body, Reply *fail,
                        uint8_t **ret_xml, size_t *ret_len) {
        _cleanup_(aws_request_freep) AwsRequest *req = NULL;
        const uint8_t *answer;
        size_t len;
        long status, timeout;
        int r;

        if (!c->has_credentials)
                return ec2_failure(fail, title, action, -ENOKEY, 0, NULL, 0) ?: 1;
        if (!c->config->region)
                return ec2_failure(fail, title, action, -ENOTCONN, 0, NULL, 0) ?: 1;
        timeout = call_timeout_ms(c);
        if (timeout == 0)
                return ec2_failure(fail, title, action, -ETIMEDOUT, 0, NULL, 0) ?: 1;

        r = aws_request_new(&c->credentials, c->config->region, "ec2", c->endpoint, body, timeout, &req);
        if (r < 0)
                return ec2_failure(fail, title, action, r, 0, NULL, 0) ?: 1;
        r = aws_request_perform(req);
        if (r >= 0)
                r = aws_request_result(req, &status, &answer, &len);
        if (r < 0) {
                log_debug_errno(r, "EC2 %s failed: %m", action);
                return ec2_failure(fail, title, action, r, 0, NULL, 0) ?: 1;
        }
        if (status != 200) {
                log_debug("EC2 %s: HTTP %ld: %.*s", action, status, (int) MIN(len, 512u), (const char *) answer);
                return ec2_failure(fail, title, action, 0, status, answer, len) ?: 1;
        }
        *ret_xml = malloc(len + 1);
        if (!*ret_xml)
                return -ENOMEM;
        memcpy(*ret_xml, answer, len + 1);
        *ret_len = len;
        return 0;
}

/* Instances carrying the world tag, without terminated ones. */
static int describe_worlds(Commands *c, const char *title, Ec2InstanceList *ret, Reply *fail) {
        _cleanup_free_ char *body = NULL;
        _cleanup_free_ uint8_t *xml = NULL;
        Ec2InstanceList l = {};
        size_t len = 0, kept = 0;
        int r;

        r = ec2_describe_instances_body(c->config->world_tag, &body);
        if (r < 0)
                return r;
        r = ec2_exchange(c, title, "DescribeInstances", body, fail, &xml, &len);
        if (r != 0)
                return r;
        r = ec2_parse_describe_instances(xml, len, c->config->world_tag, &l);
        if (r < 0)
                return reply_set(fail, REPLY_ERROR, true, title, "EC2's answer to DescribeInstances could not be read.") ?: 1;

        for (size_t i = 0; i < l.n; i++) {
                Ec2Instance *in = &l.items[i];
                if (in->state == EC2_STATE_TERMINATED || !in->world || !*in->world) {
                        free(in->instance_id);
                        free(in->ip_address);
                        free(in->world);
                        free(in->launch_time);
                        continue;
                }
                l.items[kept++] = *in;
        }
        l.n = kept;
        *ret = l;
        return 0;
}

static int world_names(const Ec2InstanceList *l, const char *sep, char **ret) {
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, "%s%s", i ? sep : "", l->items[i].world);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}

/* The world to act on, or NULL with *fail written. */
static const Ec2Instance *select_world(const Commands *c, const Ec2InstanceList *l, const char *name, Reply *fail,
                                       int *ret_error) {
        _cleanup_free_ char *names = NULL;

        *ret_error = 0;
        if (l->n == 0) {
                *ret_error = reply_set(fail, REPLY_ERROR, true, "No world found",
                                       "No EC2 instance carries the tag `%s`, so there is no world to manage.",
                                       c->config->world_tag);
                return NULL;
        }
        if (name && *name) {
                for (size_t i = 0; i < l->n; i++)
                        if (strcasecmp(l->items[i].world, name) == 0)
                                return &l->items[i];
        } else if (l->n == 1)
                return &l->items[0];

        if (world_names(l, ", ", &names) < 0) {
                *ret_error = -ENOMEM;
                return NULL;
        }
        if (name && *name)
                *ret_error = reply_set(fail, REPLY_ERROR, true, "Unknown world",
                                       "There is no world called \"%s\". Worlds: %s.", name, names);
        else
                *ret_error = reply_set(fail, REPLY_ERROR, true, "Which world?",
                                       "There are several worlds; name one of: %s.", names);
        return NULL;
}

/* ---- the agent ---- */

static int set_address(Reply *r, const Ec2Instance *w) {
        if (!w->ip_address)
                return 0;
        free(r->address);
        if (asprintf(&r->address, "%s:%d", w->ip_address, SIGRUN_GAME_PORT) < 0) {
                r->address = NULL;
                return -ENOMEM;
        }
        return 0;
}

static const char *agent_error_text(int r) {
        switch (r) {
        case -ETIMEDOUT:
                return "did not answer in time";
        case -ECONNREFUSED:
                return "is not listening";
        case -EACCES:
                return "refused the API key (check SIGRUN_AGENT_KEY)";
        case -EPROTO:
                return "gave an answer that could not be read";
        default:
                return "could not be reached";
        }
}

/* A running world: its address, then players, uptime and idle stop from the
 * agent into r. Returns 0, or 1 when the agent could not be asked (r->note
 * says why), or -ENOMEM. */
static int fill_from_agent(Commands *c, const Ec2Instance *w, Reply *r, bool *ret_ready) {
        AgentStatus s = { .players = -1 };
        long timeout;
        int k;

        *ret_ready = false;
        k = set_address(r, w);
        if (k < 0)
                return k;
        if (!w->ip_address)
                return reply_set_note(r, "The instance has no public address.") ?: 1;
        timeout = call_timeout_ms(c);
        if (timeout == 0)
                return reply_set_note(r, "No time was left to ask the agent for players.") ?: 1;
        k = agent_get_status(w->ip_address, c->config->agent_port, timeout, &s);
        if (k < 0)
                return reply_set_note(r, "The agent %s; players unknown.", agent_error_text(k)) ?: 1;

        r->players = s.players;
        r->has_uptime = s.has_uptime;
        r->uptime_sec = s.uptime_sec;
        r->stop_at = s.stop_at;
        *ret_ready = s.ready;
        agent_status_done(&s);

        if (r->players > 0 && c->config->has_agent_key) {
                char **names = NULL;

                timeout = call_timeout_ms(c);
                if (timeout == 0)
                        return reply_set_note(r, "No time was left to ask the agent for player names.");
                k = agent_get_players(w->ip_address, c->config->agent_port, c->config->agent_key, timeout, &names);
                if (k == -ENOMEM)
                        return k;
                if (k < 0)
                        return reply_set_note(r, "The agent %s when asked for names.", agent_error_text(k));
                strv_free(r->player_names);
                r->player_names = names;
        }
        return 0;
}

static const char *plural(int n) {
        return n == 1 ? "" : "s";
}

/* ---- commands ---- */

static int server_status(Commands *c, const Ec2Instance *w, Reply *ret) {
        _cleanup_free_ char *title = NULL;
        bool ready;
        int r;

        switch (w->state) {
        case EC2_STATE_RUNNING:
                if (asprintf(&title, "%s is running", w->world) < 0)
                        return -ENOMEM;
                r = fill_from_agent(c, w, ret, &ready);
                if (r < 0)
                        return r;
                if (r == 0 && !ready)
                        return reply_set(ret, REPLY_STARTING, false, title,
                                         "The instance is up; the game is still loading the world.");
                return reply_set(ret, REPLY_RUNNING, false, title, "Join at the address below.");
        case EC2_STATE_PENDING:
                if (asprintf(&title, "%s is starting", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_STARTING, false, title,
                                 "The instance is booting; the game follows in a few minutes.");
        case EC2_STATE_STOPPING:
        case EC2_STATE_SHUTTING_DOWN:
                if (asprintf(&title, "%s is shutting down", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_STOPPING, false, title, "The world is saved before the instance stops.");
        case EC2_STATE_STOPPED:
                if (asprintf(&title, "%s is stopped", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_STOPPED, false, title, "Use /start-server to start it.");
        default:
                if (asprintf(&title, "%s", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_INFO, false, title, "EC2 reports a state Sigrun does not know.");
        }
}

static int start_server(Commands *c, const Ec2Instance *w, Reply *ret) {
        _cleanup_free_ char *title = NULL, *body = NULL;
        _cleanup_free_ uint8_t *xml = NULL;
        Ec2StateChange change = {};
        size_t len = 0;
        bool ready;
        int r;

        switch (w->state) {
        case EC2_STATE_STOPPED:
                if (asprintf(&title, "Starting %s", w->world) < 0)
                        return -ENOMEM;
                r = ec2_start_instances_body(w->instance_id, &body);
                if (r < 0)
                        return r;
                r = ec2_exchange(c, title, "StartInstances", body, ret, &xml, &len);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (ec2_parse_state_change(xml, len, &change) < 0)
                        (void) reply_set_note(ret, "EC2's answer could not be read; check /server-status.");
                ec2_state_change_done(&change);
                return reply_set(ret, REPLY_STARTING, false, title,
                                 "%s is starting, I will post when it is ready. This takes a few minutes.", w->world);
        case EC2_STATE_PENDING:
                if (asprintf(&title, "%s is already starting", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_STARTING, false, title,
                                 "Someone started it already; it will be ready in a few minutes.");
        case EC2_STATE_RUNNING:
                if (asprintf(&title, "%s is already running", w->world) < 0)
                        return -ENOMEM;
                r = fill_from_agent(c, w, ret, &ready);
                if (r < 0)
                        return r;
                if (ret->players >= 0)
                        return reply_set(ret, REPLY_RUNNING, false, title, "%s is already running at `%s` with %d player%s.",
                                         w->world, ret->address, ret->players, plural(ret->players));
                return reply_set(ret, REPLY_RUNNING, false, title, "%s is already running at `%s`.", w->world,
                                 ret->address ? ret->address : "an unknown address");
        case EC2_STATE_STOPPING:
        case EC2_STATE_SHUTTING_DOWN:
                if (asprintf(&title, "%s is shutting down", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_STOPPING, true, title,
                                 "%s is shutting down, try again in a minute.", w->world);
        default:
                return reply_set(ret, REPLY_ERROR, true, "Cannot start",
                                 "EC2 reports a state for %s that Sigrun does not know.", w->world);
        }
}

static int stop_with_ec2(Commands *c, const Ec2Instance *w, const char *why, Reply *ret) {
        _cleanup_free_ char *title = NULL, *body = NULL;
        _cleanup_free_ uint8_t *xml = NULL;
        size_t len = 0;
        int r;

        if (asprintf(&title, "Stopping %s", w->world) < 0)
                return -ENOMEM;
        r = ec2_stop_instances_body(w->instance_id, &body);
        if (r < 0)
                return r;
        r = ec2_exchange(c, title, "StopInstances", body, ret, &xml, &len);
        if (r != 0)
                return r < 0 ? r : 0;
        return reply_set(ret, REPLY_STOPPING, false, title,
                         "%s, so I asked EC2 to stop %s. The instance shuts down cleanly and the game saves the world first.",
                         why, w->world);
}

static int stop_server(Commands *c, const CommandRequest *req, const Ec2Instance *w, Reply *ret) {
        _cleanup_free_ char *title = NULL, *error = NULL, *why = NULL;
        bool force = req->force && req->is_operator;
        long status = 0, timeout;
        int r;

        switch (w->state) {
        case EC2_STATE_RUNNING:
                break;
        case EC2_STATE_STOPPED:
                if (asprintf(&title, "%s is already stopped", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_STOPPED, false, title, "Nothing to do.");
        case EC2_STATE_STOPPING:
        case EC2_STATE_SHUTTING_DOWN:
                if (asprintf(&title, "%s is already shutting down", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_STOPPING, false, title, "The world is saved before the instance stops.");
        case EC2_STATE_PENDING:
                if (asprintf(&title, "%s is still starting", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_STARTING, true, title,
                                 "It cannot be stopped while it boots; try again in a minute.");
        default:
                return reply_set(ret, REPLY_ERROR, true, "Cannot stop",
                                 "EC2 reports a state for %s that Sigrun does not know.", w->world);
        }

        if (!w->ip_address)
                return stop_with_ec2(c, w, "The instance has no public address to reach the agent", ret);
        if (!c->config->has_agent_key)
                return reply_set(ret, REPLY_ERROR, true, "Cannot stop gracefully",
                                 "SIGRUN_AGENT_KEY is not set, so I cannot ask the agent to stop %s.", w->world);

        timeout = call_timeout_ms(c);
        if (timeout == 0)
                return reply_set(ret, REPLY_ERROR, true, "Out of time",
                                 "No time was left to ask the agent to stop %s. Try again.", w->world);
        r = agent_request_shutdown(w->ip_address, c->config->agent_port, c->config->agent_key, force, timeout,
                                   &status, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (asprintf(&why, "The agent %s", agent_error_text(r)) < 0)
                        return -ENOMEM;
                return stop_with_ec2(c, w, why, ret);
        }

        if (asprintf(&title, "Stopping %s", w->world) < 0)
                return -ENOMEM;
        switch (status) {
        case 200:
        case 202:
                return reply_set(ret, REPLY_STOPPING, false, title,
                                 "The agent is stopping the game; it saves the world and then the instance powers off.");
        case 409:
                free(title);
                title = NULL;
                if (asprintf(&title, "%s still has players", w->world) < 0)
                        return -ENOMEM;
                return reply_set(ret, REPLY_RUNNING, true, title, "Not stopping: %s.%s",
                                 error ? error : "players are connected",
                                 req->is_operator ? " Use the force option to stop anyway." : "");
        case 401:
                return reply_set(ret, REPLY_ERROR, true, title,
                                 "The agent refused the API key (check SIGRUN_AGENT_KEY).");
        default:
                return reply_set(ret, REPLY_ERROR, true, title, "The agent answered HTTP %ld%s%s.", status,
                                 error ? ": " : "", error ? error : "");
        }
}

int commands_run(Commands *c, const CommandRequest *req, Reply *ret) {
        Ec2InstanceList worlds = {};
        const Ec2Instance *w;
        Reply reply = REPLY_INIT;
        bool is_start, is_stop;
        int r, k;

        is_start = streq_ptr(req->command, "start-server");
        is_stop = streq_ptr(req->command, "stop-server");
        if (!is_start && !is_stop && !streq_ptr(req->command, "server-status")) {
                r = reply_set(&reply, REPLY_ERROR, true, "Unknown command", "Sigrun does not know /%s.",
                              req->command ? req->command : "?");
                goto out;
        }
        if ((is_start || is_stop) && !req->is_operator) {
                r = reply_set(&reply, REPLY_ERROR, true, "Not allowed",
                              "Only members with an operator role may start or stop the server.");
                goto out;
        }

        r = describe_worlds(c, "Cannot look up the worlds", &worlds, &reply);
        if (r != 0)
                goto out;
        w = select_world(c, &worlds, req->world, &reply, &k);
        if (!w) {
                r = k;
                goto out;
        }
        if (is_start)
                r = start_server(c, w, &reply);
        else if (is_stop)
                r = stop_server(c, req, w, &reply);
        else
                r = server_status(c, w, &reply);
out:
        ec2_instance_list_done(&worlds);
        if (r < 0) {
                reply_done(&reply);
                return r;
        }
        *ret = reply;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcasecmp(*(char *const *) a, *(char *const *) b);
}

int commands_autocomplete(Commands *c, const char *typed, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        Ec2InstanceList worlds = {};
        Reply ignored = REPLY_INIT;
        size_t n = 0;
        int r;

        r = describe_worlds(c, "autocomplete", &worlds, &ignored);
        reply_done(&ignored);
        if (r < 0)
                return r;
        names = calloc(worlds.n + 1, sizeof *names);
        if (!names) {
                ec2_instance_list_done(&worlds);
                return -ENOMEM;
        }
        for (size_t i = 0; i < worlds.n && n < DISCORD_CHOICES_MAX; i++) {
                const char *name = worlds.items[i].world;
                bool dup = false;

                if (typed && *typed && !strcasestr(name, typed))
                        continue;
                for (size_t j = 0; j < n; j++)
                        dup = dup || streq(names[j], name);
                if (dup)
                        continue;
                names[n] = strdup(name);
                if (!names[n]) {
                        ec2_instance_list_done(&worlds);
                        return -ENOMEM;
                }
                n++;
        }
        ec2_instance_list_done(&worlds);
        qsort(names, n, sizeof *names, cmp_str);
        *ret = TAKE_PTR(names);
        return 0;
}

int commands_count_worlds(Commands *c) {
        Ec2InstanceList worlds = {};
        Reply ignored = REPLY_INIT;
        int r;

        r = describe_worlds(c, "count", &worlds, &ignored);
        reply_done(&ignored);
        if (r < 0)
                return r;
        if (r > 0)
                return -EIO;
        r = (int) worlds.n;
        ec2_instance_list_done(&worlds);
        return r;
}
