/* SPDX-License-Identifier: MIT */
/*
 * The graceful stop (see shutdown.h), as a chain of callbacks on the loop:
 *
 *   shutdown_start -> StopUnit(game, "replace") -> JobRemoved for that job
 *                                               or game_stop_timeout
 *                  -> action (PowerOff | IMDS + StopInstances | command | none)
 *                  -> done, or shutdown_failed + retry with backoff
 *
 * The JobRemoved match is installed before StopUnit is sent, and removals of
 * the unit's jobs that arrive before StopUnit's reply (a fast stop) are kept,
 * so a quick job is never missed. Nothing reaches the action before the game
 * stopped or its timeout fired.
 */
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>

#include <systemd/sd-bus.h>

#include "common/aws.h"
#include "common/ec2.h"
#include "common/imds.h"
#include "common/log.h"
#include "common/parse.h"
#include "watchdog/shutdown.h"

extern char **environ;

#define EARLY_JOBS_MAX 8

typedef enum ShutdownPhase {
        PHASE_IDLE,
        PHASE_STOPPING_GAME,
        PHASE_ACTING,
        PHASE_RETRYING,
        PHASE_DONE,
} ShutdownPhase;

struct Shutdown {
        sd_event *event;
        CurlEvent *curl_event;
        Notifier *notifier;

        /* settings, copied */
        WatchdogAction action;
        char *exec;
        char *game_unit;
        usec_t game_stop_timeout;
        char *imds_endpoint;
        char *ec2_endpoint;
        usec_t retry_first, retry_max;

        ShutdownPhase phase;
        char *reason;
        unsigned attempts;

        sd_bus *bus;
        sd_bus_slot *job_removed_slot;
        sd_bus_slot *subscribe_slot;
        sd_bus_slot *stop_unit_slot;
        sd_bus_slot *action_slot;
        char *job_path;
        char *early_jobs[EARLY_JOBS_MAX]; /* "path result" removed before StopUnit answered */
        size_t n_early_jobs;
        sd_event_source *game_timer;
        sd_event_source *retry_timer;

        sd_event_source *child;
        sd_event_source *exec_timer;
        bool exec_timed_out;
        ImdsQuery *imds;
        AwsRequest *ec2_request;
};

static const char *const phase_names[] = {
        [PHASE_IDLE] = "idle",
        [PHASE_STOPPING_GAME] = "stopping_game",
        [PHASE_ACTING] = "acting",
        [PHASE_RETRYING] = "retrying",
        [PHASE_DONE] = "done",
};

const char *watchdog_action_to_string(WatchdogAction a) {
        switch (a) {
        case WATCHDOG_ACTION_POWEROFF:
                return "poweroff";
        case WATCHDOG_ACTION_EC2_STOP:
                return "ec2-stop";
        case WATCHDOG_ACTION_EXEC:
                return "exec";
        case WATCHDOG_ACTION_NONE:
                return "none";
        }
        return "unknown";
}

const char *shutdown_phase(const Shutdown *s) {
        return s ? phase_names[s->phase] : "idle";
}

void shutdown_set_retry_interval(Shutdown *s, usec_t first, usec_t max) {
        if (!s || first == 0)
                return;
        s->retry_first = first;
        s->retry_max = MAX(first, max);
}

static void notify(Shutdown *s, const char *title, uint32_t color, const char *format, ...) _printf_(4, 5);
static void notify(Shutdown *s, const char *title, uint32_t color, const char *format, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;

        if (!s->notifier)
                return;
        va_start(ap, format);
        if (vasprintf(&text, format, ap) < 0)
                text = NULL;
        va_end(ap);
        notifier_post(s->notifier, title, text, color);
}

static const char *action_name(const Shutdown *s) {
        return watchdog_action_to_string(s->action);
}

/* ---- the action ---------------------------------------------------------- */

static void action_begin(Shutdown *s);

static int on_retry_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        Shutdown *s = userdata;

        s->retry_timer = sd_event_source_disable_unref(s->retry_timer);
        action_begin(s);
        return 0;
}

static void action_succeeded(Shutdown *s, const char *what) {
        char f_action[64];

        snprintf(f_action, sizeof(f_action), "SIGRUN_ACTION=%s", action_name(s));
        s->phase = PHASE_DONE;
        log_struct(LOG_NOTICE, LOG_FIELDS("SIGRUN_EVENT=shutdown_done", f_action),
                   "Shutdown complete: %s.", what);
        notify(s, "Server stopped", NOTIFY_COLOR_INFO, "%s.", what);
}

static void action_failed(Shutdown *s, const char *format, ...) _printf_(2, 3);
static void action_failed(Shutdown *s, const char *format, ...) {
        _cleanup_free_ char *why = NULL;
        char f_action[64], f_attempt[64], f_error[512], delay_text[64];
        usec_t delay = s->retry_first;
        va_list ap;
        int r;

        va_start(ap, format);
        if (vasprintf(&why, format, ap) < 0)
                why = NULL;
        va_end(ap);

        for (unsigned i = 1; i < s->attempts && delay < s->retry_max; i++)
                delay *= 2;
        delay = MIN(delay, s->retry_max);
        (void) format_duration(delay_text, sizeof(delay_text), delay);

        snprintf(f_action, sizeof(f_action), "SIGRUN_ACTION=%s", action_name(s));
        snprintf(f_attempt, sizeof(f_attempt), "SIGRUN_ATTEMPT=%u", s->attempts);
        snprintf(f_error, sizeof(f_error), "SIGRUN_ERROR=%s", why ?: "unknown");
        log_struct(LOG_ERR, LOG_FIELDS("SIGRUN_EVENT=shutdown_failed", f_action, f_attempt, f_error),
                   "Shutdown action %s FAILED (attempt %u): %s. Retrying in %s.",
                   action_name(s), s->attempts, why ?: "unknown error", delay_text);
        notify(s, "Shutdown failed", NOTIFY_COLOR_ERROR,
               "The %s action failed (attempt %u): %s. Retrying in %s; the server is still running.",
               action_name(s), s->attempts, why ?: "unknown error", delay_text);

        /* A dead bus connection is reopened on the next attempt. */
        if (s->bus && !sd_bus_is_open(s->bus))
                s->bus = sd_bus_close_unref(s->bus);

        s->phase = PHASE_RETRYING;
        r = sd_event_add_time_relative(s->event, &s->retry_timer, CLOCK_MONOTONIC, delay, 0,
                                       on_retry_timer, s);
        if (r < 0) {
                /* Without a timer, try again right away rather than never. */
                log_error_errno(r, "Failed to arm the shutdown retry timer: %m");
                action_begin(s);
        }
}

static int bus_connect(Shutdown *s) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (s->bus)
                return 0;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, s->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        s->bus = TAKE_PTR(bus);
        return 0;
}

static int on_poweroff_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Shutdown *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        s->action_slot = sd_bus_slot_unref(s->action_slot);
        if (e) {
                action_failed(s, "logind PowerOff: %s", e->message ?: e->name);
                return 0;
        }
        action_succeeded(s, "logind is powering the machine off");
        return 0;
}

static int action_poweroff(Shutdown *s) {
        int r;

        r = bus_connect(s);
        if (r < 0)
                return r;
        log_notice("Asking logind to power off.");
        return sd_bus_call_method_async(s->bus, &s->action_slot, "org.freedesktop.login1",
                                        "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                                        "PowerOff", on_poweroff_reply, s, "b", 0);
}

static int on_child_exit(sd_event_source *es, const siginfo_t *si, void *userdata) {
        Shutdown *s = userdata;

        s->child = sd_event_source_disable_unref(s->child);
        s->exec_timer = sd_event_source_disable_unref(s->exec_timer);
        if (s->exec_timed_out) {
                char timeout[64];

                s->exec_timed_out = false;
                (void) format_duration(timeout, sizeof(timeout), SHUTDOWN_EXEC_TIMEOUT);
                action_failed(s, "the command did not finish within %s and was killed", timeout);
                return 0;
        }
        if (si->si_code == CLD_EXITED && si->si_status == 0) {
                action_succeeded(s, "the shutdown command succeeded");
                return 0;
        }
        if (si->si_code == CLD_EXITED)
                action_failed(s, "the command exited with status %d", si->si_status);
        else
                action_failed(s, "the command was killed by signal %s", strsignal(si->si_status));
        return 0;
}

static int on_exec_timeout(sd_event_source *es, uint64_t usec, void *userdata) {
        Shutdown *s = userdata;

        s->exec_timer = sd_event_source_disable_unref(s->exec_timer);
        s->exec_timed_out = true;
        /* Its exit (by SIGKILL) is reported through on_child_exit(). */
        (void) sd_event_source_send_child_signal(s->child, SIGKILL, NULL, 0);
        return 0;
}

static int action_exec(Shutdown *s) {
        _cleanup_free_ char *reason_env = NULL;
        _cleanup_free_ char **envp = NULL;
        posix_spawnattr_t attr;
        sigset_t mask, empty;
        size_t n = 0;
        pid_t pid;
        int r;

        /* sd-event watches children only with SIGCHLD blocked; the command
         * gets a clean mask and default handlers. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;

        if (asprintf(&reason_env, "SIGRUN_SHUTDOWN_REASON=%s", s->reason ?: "") < 0)
                return -ENOMEM;
        while (environ[n])
                n++;
        envp = calloc(n + 2, sizeof(char *));
        if (!envp)
                return -ENOMEM;
        for (size_t i = 0, j = 0; i < n; i++)
                if (strncmp(environ[i], "SIGRUN_SHUTDOWN_REASON=", 23) != 0)
                        envp[j++] = environ[i], envp[j] = NULL;
        for (n = 0; envp[n]; n++)
                ;
        envp[n] = reason_env;

        sigemptyset(&empty);
        sigemptyset(&mask);
        sigaddset(&mask, SIGPIPE);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        r = posix_spawnattr_init(&attr);
        if (r != 0)
                return -r;
        r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (r == 0)
                r = posix_spawnattr_setsigmask(&attr, &empty);
        if (r == 0)
                r = posix_spawnattr_setsigdefault(&attr, &mask);
        if (r == 0)
                r = posix_spawn(&pid, "/bin/sh", NULL, &attr,
                                (char *const[]) { (char *) "/bin/sh", (char *) "-c", s->exec, NULL }, envp);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return -r;

        log_notice("Running the shutdown command (pid %d): %s", (int) pid, s->exec);
        r = sd_event_add_child(s->event, &s->child, pid, WEXITED, on_child_exit, s);
        if (r < 0) {
                /* We cannot learn its result; do not leave it behind unwatched. */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        r = sd_event_add_time_relative(s->event, &s->exec_timer, CLOCK_MONOTONIC, SHUTDOWN_EXEC_TIMEOUT, 0,
                                       on_exec_timeout, s);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the shutdown command's timeout, waiting without one: %m");
        return 0;
}

static void on_ec2_done(CURL *easy, CURLcode result, long status_unused, void *userdata) {
        Shutdown *s = userdata;
        _cleanup_(aws_request_freep) AwsRequest *req = TAKE_PTR(s->ec2_request);
        const uint8_t *body;
        size_t len;
        long status;
        int r;

        if (result != CURLE_OK) {
                action_failed(s, "EC2 StopInstances: %s", curl_easy_strerror(result));
                return;
        }
        r = aws_request_result(req, &status, &body, &len);
        if (r < 0) {
                action_failed(s, "EC2 StopInstances: %s", strerror(-r));
                return;
        }

        if (status == 200) {
                Ec2StateChange change = {};
                char what[256];

                if (ec2_parse_state_change(body, len, &change) >= 0) {
                        snprintf(what, sizeof(what), "EC2 is stopping instance %s (%s -> %s)",
                                 change.instance_id ?: "?", ec2_state_to_string(change.previous),
                                 ec2_state_to_string(change.current));
                        ec2_state_change_done(&change);
                } else
                        snprintf(what, sizeof(what), "EC2 accepted StopInstances");
                action_succeeded(s, what);
                return;
        }

        Ec2Error e = {};
        if (ec2_parse_error(body, len, &e) >= 0) {
                action_failed(s, "EC2 StopInstances: HTTP %ld %s: %s", status, e.code ?: "?", e.message ?: "");
                ec2_error_done(&e);
        } else
                action_failed(s, "EC2 StopInstances: HTTP %ld", status);
}

static void on_imds_done(int r, ImdsInfo *answer, void *userdata) {
        Shutdown *s = userdata;
        _cleanup_free_ char *endpoint = NULL, *body = NULL;
        _cleanup_(aws_request_freep) AwsRequest *req = NULL;
        _cleanup_(imds_info_done) ImdsInfo info_copy = *answer;
        ImdsInfo *info = &info_copy;

        /* Take the answer over: freeing the query frees what it holds. */
        *answer = (ImdsInfo) {};
        s->imds = imds_query_free(s->imds);
        if (r < 0) {
                action_failed(s, "instance metadata (IMDSv2): %s", strerror(-r));
                return;
        }

        if (s->ec2_endpoint && *s->ec2_endpoint)
                endpoint = strdup(s->ec2_endpoint);
        else if (aws_endpoint_resolve("ec2", info->region, &endpoint) < 0)
                endpoint = NULL;
        if (!endpoint) {
                action_failed(s, "no EC2 endpoint for region %s", info->region);
                return;
        }

        r = ec2_stop_instances_body(info->instance_id, &body);
        if (r >= 0)
                r = aws_request_new(&info->credentials, info->region, "ec2", endpoint, body,
                                    SHUTDOWN_EC2_TIMEOUT_MS, &req);
        if (r < 0) {
                action_failed(s, "cannot build the StopInstances request: %s", strerror(-r));
                return;
        }

        log_notice("Asking EC2 (%s) to stop instance %s in %s.", endpoint, info->instance_id, info->region);
        r = curl_event_add_borrowed(s->curl_event, aws_request_get_curl(req), on_ec2_done, s);
        if (r < 0) {
                action_failed(s, "cannot start the StopInstances request: %s", strerror(-r));
                return;
        }
        s->ec2_request = TAKE_PTR(req);
}

static int action_ec2_stop(Shutdown *s) {
        /* Credentials expire; fetch them afresh on every attempt. */
        return imds_query_start(s->curl_event, s->imds_endpoint,
                                IMDS_WANT_INSTANCE_ID | IMDS_WANT_REGION | IMDS_WANT_CREDENTIALS,
                                on_imds_done, s, &s->imds);
}

static void action_begin(Shutdown *s) {
        char f_action[64];
        int r;

        s->phase = PHASE_ACTING;
        s->attempts++;
        snprintf(f_action, sizeof(f_action), "SIGRUN_ACTION=%s", action_name(s));
        log_struct(LOG_NOTICE, LOG_FIELDS("SIGRUN_EVENT=shutdown_action", f_action),
                   "Running the shutdown action %s (attempt %u).", action_name(s), s->attempts);

        switch (s->action) {
        case WATCHDOG_ACTION_POWEROFF:
                r = action_poweroff(s);
                break;
        case WATCHDOG_ACTION_EC2_STOP:
                r = action_ec2_stop(s);
                break;
        case WATCHDOG_ACTION_EXEC:
                r = action_exec(s);
                break;
        case WATCHDOG_ACTION_NONE:
        default:
                action_succeeded(s, "action none: the machine stays up (log only)");
                return;
        }
        if (r < 0)
                action_failed(s, "%s", strerror(-r));
}

/* ---- stopping the game --------------------------------------------------- */

static void game_stop_cleanup(Shutdown *s) {
        s->game_timer = sd_event_source_disable_unref(s->game_timer);
        s->job_removed_slot = sd_bus_slot_unref(s->job_removed_slot);
        s->subscribe_slot = sd_bus_slot_unref(s->subscribe_slot);
        s->stop_unit_slot = sd_bus_slot_unref(s->stop_unit_slot);
        for (size_t i = 0; i < s->n_early_jobs; i++) {
                free(s->early_jobs[i]);
                s->early_jobs[i] = NULL;
        }
        s->n_early_jobs = 0;
}

static void game_stopped(Shutdown *s, const char *result) {
        char f_unit[300], f_result[64];

        game_stop_cleanup(s);
        snprintf(f_unit, sizeof(f_unit), "SIGRUN_UNIT=%s", s->game_unit);
        snprintf(f_result, sizeof(f_result), "SIGRUN_RESULT=%s", result);
        if (streq(result, "done") || streq(result, "not-loaded"))
                log_struct(LOG_NOTICE, LOG_FIELDS("SIGRUN_EVENT=game_stopped", f_unit, f_result),
                           "Game unit %s stopped (%s).", s->game_unit, result);
        else
                log_struct(LOG_WARNING, LOG_FIELDS("SIGRUN_EVENT=game_stopped", f_unit, f_result),
                           "Game unit %s stop job finished with result \"%s\"; going on.", s->game_unit, result);
        action_begin(s);
}

static int on_game_stop_timeout(sd_event_source *es, uint64_t usec, void *userdata) {
        Shutdown *s = userdata;
        char f_unit[300], timeout[64];

        (void) format_duration(timeout, sizeof(timeout), s->game_stop_timeout);
        snprintf(f_unit, sizeof(f_unit), "SIGRUN_UNIT=%s", s->game_unit);
        log_struct(LOG_ERR, LOG_FIELDS("SIGRUN_EVENT=game_stop_timeout", f_unit),
                   "Game unit %s did not stop within %s (game stop timed out); going on with %s anyway. "
                   "The world may not have been saved.", s->game_unit, timeout, action_name(s));
        notify(s, "Game did not stop in time", NOTIFY_COLOR_ERROR,
               "%s did not stop within %s; going on with %s anyway. The world may not have been saved.",
               s->game_unit, timeout, action_name(s));
        game_stop_cleanup(s);
        action_begin(s);
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Shutdown *s = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        char *entry;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (!streq(unit, s->game_unit))
                return 0;

        if (s->job_path) {
                if (streq(path, s->job_path))
                        game_stopped(s, result);
                return 0;
        }

        /* StopUnit has not answered yet: keep it for when it does. */
        if (s->n_early_jobs < EARLY_JOBS_MAX && asprintf(&entry, "%s %s", path, result) >= 0)
                s->early_jobs[s->n_early_jobs++] = entry;
        return 0;
}

static int on_stop_unit_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Shutdown *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *path;
        size_t n;

        s->stop_unit_slot = sd_bus_slot_unref(s->stop_unit_slot);

        if (e) {
                if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit")) {
                        log_notice("Game unit %s is not loaded: nothing to stop.", s->game_unit);
                        game_stopped(s, "not-loaded");
                        return 0;
                }
                log_error("Failed to stop game unit %s: %s. Waiting for the game stop timeout before going on.",
                          s->game_unit, e->message ?: e->name);
                notify(s, "Cannot stop the game", NOTIFY_COLOR_ERROR,
                       "Stopping %s failed: %s. Going on with %s after the game stop timeout.",
                       s->game_unit, e->message ?: e->name, action_name(s));
                return 0;
        }

        if (sd_bus_message_read(m, "o", &path) < 0) {
                log_error("Unexpected StopUnit reply; waiting for the game stop timeout.");
                return 0;
        }
        s->job_path = strdup(path);
        if (!s->job_path) {
                log_oom();
                return 0;
        }
        log_info("Stopping game unit %s (job %s).", s->game_unit, s->job_path);

        n = strlen(path);
        for (size_t i = 0; i < s->n_early_jobs; i++)
                if (strncmp(s->early_jobs[i], path, n) == 0 && s->early_jobs[i][n] == ' ') {
                        _cleanup_free_ char *result = strdup(s->early_jobs[i] + n + 1);
                        game_stopped(s, result ?: "done");
                        return 0;
                }
        return 0;
}

static int on_subscribe_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Shutdown *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        s->subscribe_slot = sd_bus_slot_unref(s->subscribe_slot);
        /* Without a subscription systemd may not send JobRemoved: the timeout
         * still bounds the wait. */
        if (e)
                log_debug("systemd Subscribe failed: %s", e->message ?: e->name);
        return 0;
}

static int game_stop_begin(Shutdown *s) {
        int r;

        r = sd_event_add_time_relative(s->event, &s->game_timer, CLOCK_MONOTONIC, s->game_stop_timeout,
                                       0, on_game_stop_timeout, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->game_timer, "game-stop-timeout");

        r = bus_connect(s);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus to stop %s: %m. "
                                       "Waiting for the game stop timeout before going on.", s->game_unit);

        r = sd_bus_match_signal_async(s->bus, &s->job_removed_slot, "org.freedesktop.systemd1",
                                      "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                      "JobRemoved", on_job_removed, NULL, s);
        if (r >= 0)
                r = sd_bus_call_method_async(s->bus, &s->subscribe_slot, "org.freedesktop.systemd1",
                                             "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                             "Subscribe", on_subscribe_reply, s, NULL);
        if (r >= 0)
                r = sd_bus_call_method_async(s->bus, &s->stop_unit_slot, "org.freedesktop.systemd1",
                                             "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                             "StopUnit", on_stop_unit_reply, s, "ss", s->game_unit, "replace");
        if (r < 0)
                return log_error_errno(r, "Failed to ask systemd to stop %s: %m. "
                                       "Waiting for the game stop timeout before going on.", s->game_unit);
        return 0;
}

int shutdown_start(Shutdown *s, const char *reason) {
        char f_reason[128], f_action[64], timeout[64];
        int r;

        if (!s)
                return -EINVAL;
        if (s->phase != PHASE_IDLE)
                return 0;

        s->reason = strdup(reason && *reason ? reason : "unspecified");
        if (!s->reason)
                return -ENOMEM;

        s->phase = PHASE_STOPPING_GAME;
        (void) format_duration(timeout, sizeof(timeout), s->game_stop_timeout);
        snprintf(f_reason, sizeof(f_reason), "SIGRUN_REASON=%s", s->reason);
        snprintf(f_action, sizeof(f_action), "SIGRUN_ACTION=%s", action_name(s));
        log_struct(LOG_NOTICE, LOG_FIELDS("SIGRUN_EVENT=shutdown_started", f_reason, f_action),
                   "Shutting down (%s): stopping game unit %s (up to %s), then %s.",
                   s->reason, s->game_unit, timeout, action_name(s));

        /* Errors are logged there; the timer still moves the stop on. */
        r = game_stop_begin(s);
        if (r < 0 && !s->game_timer) {
                /* Not even a timer: go on now rather than never stop. */
                game_stop_cleanup(s);
                action_begin(s);
        }
        return 0;
}

/* ---- lifetime ------------------------------------------------------------ */

int shutdown_new(sd_event *e, const AgentConfig *c, CurlEvent *ce, Notifier *n, Shutdown **ret) {
        _cleanup_(shutdown_freep) Shutdown *s = NULL;

        if (!e || !c || !ret)
                return -EINVAL;
        if (c->watchdog_action == WATCHDOG_ACTION_EC2_STOP && !ce)
                return -EINVAL;
        if (c->watchdog_action == WATCHDOG_ACTION_EXEC && (!c->watchdog_exec || !*c->watchdog_exec))
                return -EINVAL;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(e);
        s->curl_event = ce;
        s->notifier = n;
        s->action = c->watchdog_action;
        s->game_stop_timeout = c->watchdog_game_stop_timeout;
        s->retry_first = SHUTDOWN_RETRY_FIRST;
        s->retry_max = SHUTDOWN_RETRY_MAX;

        s->exec = strdup(c->watchdog_exec ?: "");
        s->game_unit = strdup(c->watchdog_game_unit ?: "valheim-server.service");
        s->imds_endpoint = strdup(c->imds_endpoint ?: "");
        s->ec2_endpoint = strdup(c->ec2_endpoint ?: "");
        if (!s->exec || !s->game_unit || !s->imds_endpoint || !s->ec2_endpoint)
                return -ENOMEM;

        *ret = TAKE_PTR(s);
        return 0;
}

Shutdown *shutdown_free(Shutdown *s) {
        if (!s)
                return NULL;

        game_stop_cleanup(s);
        s->retry_timer = sd_event_source_disable_unref(s->retry_timer);
        s->action_slot = sd_bus_slot_unref(s->action_slot);
        /* A running command is left to finish on its own. */
        s->child = sd_event_source_disable_unref(s->child);
        s->exec_timer = sd_event_source_disable_unref(s->exec_timer);
        s->imds = imds_query_free(s->imds);
        if (s->ec2_request)
                curl_event_cancel(s->curl_event, aws_request_get_curl(s->ec2_request));
        aws_request_free(s->ec2_request);
        /* Not flushed: that could block the loop (a reload frees us). */
        sd_bus_close_unref(s->bus);
        sd_event_unref(s->event);
        free(s->job_path);
        free(s->reason);
        free(s->exec);
        free(s->game_unit);
        free(s->imds_endpoint);
        free(s->ec2_endpoint);
        free(s);
        return NULL;
}
