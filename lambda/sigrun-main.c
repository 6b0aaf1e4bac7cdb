/* SPDX-License-Identifier: MIT */
/*
 * sigrun: the workstation tool. Registers the slash commands with Discord
 * (one bulk overwrite, so the set of commands is exactly what this binary
 * knows), lists and deletes them, and runs server-status, start-server and
 * stop-server with the same code and the same words as the Lambda.
 * Configuration: the environment, then ./sigrun.env (or --env FILE).
 */
#include <getopt.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "lambda/commands.h"
#include "lambda/env.h"
#include "lambda/http.h"

#define CLI_BUDGET_USEC (30 * USEC_PER_SEC)
#define DISCORD_TIMEOUT_MS 15000L
#define DISCORD_MAX_ATTEMPTS 5
#define DISCORD_MAX_WAIT_SEC 60.0

static const char *arg_guild;
static const char *arg_env;
static bool arg_force;

static void help(void) {
        printf("sigrun [OPTIONS] COMMAND [ARGS]\n\n"
               "Manage the Sigrun Discord commands and the Valheim worlds on EC2.\n\n"
               "Commands:\n"
               "  register              Overwrite the application's slash commands\n"
               "  list                  List the registered slash commands\n"
               "  delete NAME           Delete one slash command\n"
               "  server-status [WORLD] Show a world's state, address and players\n"
               "  start-server [WORLD]  Start a world\n"
               "  stop-server [WORLD]   Stop a world gracefully (--force with players on)\n\n"
               "Options:\n"
               "  -g --guild ID         Use the guild's commands instead of the global ones\n"
               "  -e --env FILE         Read settings from FILE (default ./sigrun.env if present)\n"
               "  -f --force            stop-server: stop even with players connected\n"
               "  -h --help             Show this help\n"
               "     --version          Show the version\n\n"
               "Environment: DISCORD_APPLICATION_ID, DISCORD_BOT_TOKEN, SIGRUN_DISCORD_API,\n"
               "SIGRUN_AGENT_KEY, SIGRUN_AGENT_PORT, SIGRUN_WORLD_TAG, AWS_REGION, AWS credentials\n"
               "(environment or ~/.aws/credentials), AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL.\n");
}

/* ---- Discord REST ---- */

static double retry_after(const HttpAnswer *a) {
        _cleanup_(json_decrefp) json_t *o = json_loadb(a->body, a->len, 0, NULL);
        json_t *v = json_object_get(o, "retry_after");
        double s = json_is_number(v) ? json_number_value(v) : 1.0;

        return s < 0 ? 0 : s > DISCORD_MAX_WAIT_SEC ? DISCORD_MAX_WAIT_SEC : s;
}

static int discord_check(const HttpAnswer *a, const char *what) {
        if (a->status >= 200 && a->status < 300)
                return 0;
        return log_error_errno(EIO, "%s: Discord answered HTTP %ld: %.*s", what, a->status, (int) MIN(a->len, 500u),
                               a->body ? a->body : "");
}

/* A Discord API call that waits out 429s (as many seconds as Discord asks);
 * any other answer but 2xx is an error, logged with what was being done. */
static int discord_call(const LambdaConfig *cfg, const char *what, const char *method, const char *path,
                        const char *body, HttpAnswer *ret) {
        _cleanup_free_ char *url = NULL, *auth = NULL;
        const char *headers[] = { NULL, "Content-Type: application/json", "Accept: application/json", NULL };
        int r;

        if (!cfg->bot_token)
                return log_error_errno(EINVAL, "DISCORD_BOT_TOKEN is not set.");
        if (asprintf(&url, "%s%s", cfg->discord_api, path) < 0 || asprintf(&auth, "Authorization: Bot %s", cfg->bot_token) < 0)
                return log_oom();
        headers[0] = auth;

        for (int attempt = 1;; attempt++) {
                HttpAnswer a = {};
                double wait;

                r = http_request(method, url, headers, body, DISCORD_TIMEOUT_MS, &a);
                if (r < 0)
                        return log_error_errno(r, "Discord API %s %s failed: %m", method, path);
                if (a.status != 429 || attempt >= DISCORD_MAX_ATTEMPTS) {
                        r = discord_check(&a, what);
                        if (r < 0) {
                                http_answer_done(&a);
                                return r;
                        }
                        *ret = a;
                        return 0;
                }
                wait = retry_after(&a);
                log_info("Discord rate limit: waiting %.2f s before retrying.", wait);
                http_answer_done(&a);
                struct timespec ts = { .tv_sec = (time_t) wait, .tv_nsec = (long) ((wait - (double) (time_t) wait) * 1e9) };
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
        }
}

static int commands_path(const LambdaConfig *cfg, const char *suffix, char **ret) {
        if (!cfg->application_id)
                return log_error_errno(EINVAL, "DISCORD_APPLICATION_ID is not set.");
        if (arg_guild) {
                if (asprintf(ret, "/applications/%s/guilds/%s/commands%s", cfg->application_id, arg_guild, suffix) < 0)
                        return log_oom();
        } else if (asprintf(ret, "/applications/%s/commands%s", cfg->application_id, suffix) < 0)
                return log_oom();
        return 0;
}

static json_t *command_definitions(bool world_required) {
        json_t *world = json_pack("{s:i, s:s, s:s, s:b, s:b}", "type", 3, "name", "world", "description",
                                  "Which world (autocompletes)", "required", world_required, "autocomplete", true);
        json_t *force = json_pack("{s:i, s:s, s:s, s:b}", "type", 5, "name", "force", "description",
                                  "Stop even with players on (operators only)", "required", false);

        if (!world || !force) {
                json_decref(world);
                json_decref(force);
                return NULL;
        }
        /* default_member_permissions null: visible to everyone; who may
         * start and stop is decided by SIGRUN_OPERATOR_ROLES. */
        json_t *defs = json_pack("[{s:s, s:i, s:s, s:[O], s:n, s:b}, {s:s, s:i, s:s, s:[O], s:n, s:b},"
                         " {s:s, s:i, s:s, s:[O,o], s:n, s:b}]",
                         "name", "server-status", "type", 1, "description",
                         "Show whether the Valheim server runs, its address and who is playing", "options", world,
                         "default_member_permissions", "dm_permission", false,
                         "name", "start-server", "type", 1, "description", "Start the Valheim server", "options", world,
                         "default_member_permissions", "dm_permission", false,
                         "name", "stop-server", "type", 1, "description",
                         "Stop the Valheim server (the world is saved first)", "options", world, force,
                         "default_member_permissions", "dm_permission", false);
        json_decref(world);
        return defs;
}

static int verb_register(const LambdaConfig *cfg) {
        _cleanup_(json_decrefp) json_t *defs = NULL;
        _cleanup_(http_answer_done) HttpAnswer a = {};
        _cleanup_free_ char *path = NULL, *body = NULL;
        Commands c = {};
        bool required = false;
        int r, n;

        r = commands_path(cfg, "", &path);
        if (r < 0)
                return r;
        /* The world option is required when there is more than one world. */
        if (commands_init(&c, cfg) >= 0) {
                commands_set_deadline(&c, CLI_BUDGET_USEC, 0);
                n = commands_count_worlds(&c);
                if (n >= 0)
                        required = n > 1;
                else
                        log_notice("Could not count the worlds on EC2; the world option is registered as optional.");
                commands_done(&c);
        }
        defs = command_definitions(required);
        if (!defs)
                return log_oom();
        body = json_dumps(defs, JSON_COMPACT);
        if (!body)
                return log_oom();
        r = discord_call(cfg, "register", "PUT", path, body, &a);
        if (r < 0)
                return r;
        printf("Registered %zu commands%s%s (world option %s).\n", json_array_size(defs),
               arg_guild ? " in guild " : " globally", arg_guild ? arg_guild : "", required ? "required" : "optional");
        return 0;
}

static int fetch_commands(const LambdaConfig *cfg, json_t **ret) {
        _cleanup_(http_answer_done) HttpAnswer a = {};
        _cleanup_free_ char *path = NULL;
        json_t *list;
        int r;

        r = commands_path(cfg, "", &path);
        if (r < 0)
                return r;
        r = discord_call(cfg, "list", "GET", path, NULL, &a);
        if (r < 0)
                return r;
        list = json_loadb(a.body, a.len, 0, NULL);
        if (!json_is_array(list)) {
                json_decref(list);
                return log_error_errno(EBADMSG, "Discord's command list could not be read.");
        }
        *ret = list;
        return 0;
}

static int verb_list(const LambdaConfig *cfg) {
        _cleanup_(json_decrefp) json_t *list = NULL;
        size_t i;
        json_t *cmd;
        int r;

        r = fetch_commands(cfg, &list);
        if (r < 0)
                return r;
        json_array_foreach(list, i, cmd)
                printf("%-16s %-22s %s\n", json_string_value(json_object_get(cmd, "name")) ?: "?",
                       json_string_value(json_object_get(cmd, "id")) ?: "?",
                       json_string_value(json_object_get(cmd, "description")) ?: "");
        return 0;
}

static int verb_delete(const LambdaConfig *cfg, const char *name) {
        _cleanup_(json_decrefp) json_t *list = NULL;
        _cleanup_(http_answer_done) HttpAnswer a = {};
        _cleanup_free_ char *path = NULL, *suffix = NULL;
        const char *id = NULL;
        size_t i;
        json_t *cmd;
        int r;

        r = fetch_commands(cfg, &list);
        if (r < 0)
                return r;
        json_array_foreach(list, i, cmd)
                if (streq_ptr(json_string_value(json_object_get(cmd, "name")), name))
                        id = json_string_value(json_object_get(cmd, "id"));
        if (!id)
                return log_error_errno(ENOENT, "No command named %s is registered.", name);
        if (asprintf(&suffix, "/%s", id) < 0)
                return log_oom();
        r = commands_path(cfg, suffix, &path);
        if (r < 0)
                return r;
        r = discord_call(cfg, "delete", "DELETE", path, NULL, &a);
        if (r < 0)
                return r;
        printf("Deleted %s.\n", name);
        return 0;
}

static int verb_server(const LambdaConfig *cfg, const char *command, const char *world) {
        _cleanup_free_ char *text = NULL;
        Commands c = {};
        Reply reply = REPLY_INIT;
        CommandRequest req = { .command = command, .world = world, .force = arg_force, .is_operator = true };
        int r;

        r = commands_init(&c, cfg);
        if (r < 0)
                return log_error_errno(r, "Failed to read AWS credentials: %m");
        commands_set_deadline(&c, CLI_BUDGET_USEC, 0);
        r = commands_run(&c, &req, &reply);
        commands_done(&c);
        if (r < 0)
                return log_oom();
        /* An ephemeral reply is a refusal or an error: nothing was done. */
        r = reply_to_text(&reply, (int64_t) time(NULL), &text);
        if (r >= 0)
                fputs(text, reply.ephemeral ? stderr : stdout);
        r = reply.ephemeral ? -EIO : 0;
        reply_done(&reply);
        return r;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "guild", required_argument, NULL, 'g' },
                { "env", required_argument, NULL, 'e' },
                { "force", no_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        _cleanup_free_ char *error = NULL;
        LambdaConfig cfg = {};
        const char *verb;
        unsigned line = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "g:e:fh", options, NULL)) >= 0)
                switch (c) {
                case 'g':
                        arg_guild = optarg;
                        break;
                case 'e':
                        arg_env = optarg;
                        break;
                case 'f':
                        arg_force = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        puts(PACKAGE_STRING);
                        return 0;
                default:
                        return 2;
                }
        if (optind >= argc) {
                help();
                return 2;
        }
        verb = argv[optind++];

        r = env_file_load(arg_env ? arg_env : "sigrun.env", &line);
        if (r == -EINVAL)
                return log_error_errno(r, "%s:%u: not a KEY=VALUE line", arg_env ? arg_env : "sigrun.env", line), 1;
        if (r < 0 && (arg_env || r != -ENOENT))
                return log_error_errno(r, "Failed to read %s: %m", arg_env ? arg_env : "sigrun.env"), 1;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || sodium_init() < 0)
                return log_error("Failed to initialise libcurl or libsodium."), 1;
        r = lambda_config_load(&cfg, false, &error);
        if (r < 0)
                return log_error("Bad configuration: %s", error ? error : strerror(-r)), 1;

        if (streq(verb, "register") && optind == argc)
                r = verb_register(&cfg);
        else if (streq(verb, "list") && optind == argc)
                r = verb_list(&cfg);
        else if (streq(verb, "delete") && optind + 1 == argc)
                r = verb_delete(&cfg, argv[optind]);
        else if ((streq(verb, "server-status") || streq(verb, "start-server") || streq(verb, "stop-server")) &&
                 optind + 1 >= argc)
                r = verb_server(&cfg, verb, optind < argc ? argv[optind] : NULL);
        else {
                log_error("Unknown command or wrong arguments: %s (see sigrun --help)", verb);
                r = -EINVAL;
        }
        lambda_config_done(&cfg);
        curl_global_cleanup();
        return r < 0 ? 1 : 0;
}
