/* SPDX-License-Identifier: MIT */
/*
 * sigrun-agent's command line: the daemon (default), --replay, --check-config,
 * and the client subcommands `status` and `inhibit` that talk to a running
 * agent through its API.
 */
#include <getopt.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/cli-status.h"
#include "agent/config.h"
#include "agent/profile.h"
#include "common/log.h"

static void help(void) {
        printf("Usage: sigrun-agent [OPTIONS]\n"
               "       sigrun-agent [--config FILE] --replay CAPTURE [--output json|text]\n"
               "       sigrun-agent --check-config [FILE]\n"
               "       sigrun-agent [--config FILE] status [--json]\n"
               "       sigrun-agent [--config FILE] inhibit DURATION|0\n"
               "\n"
               "Counts the players of a game server from their UDP traffic, its log and A2S,\n"
               "serves the connection API, and stops the server when nobody has played for a while.\n"
               "\n"
               "Options:\n"
               "  -c, --config FILE      configuration file (default %s)\n"
               "      --replay CAPTURE   replay a pcap/pcapng file on its own clock and print the\n"
               "                         timeline as JSON lines (nothing is carried out)\n"
               "      --output FORMAT    replay output: json (default) or text\n"
               "      --check-config     check the configuration, print 'configuration OK' or every error\n"
               "      --help-config[=yaml|man]\n"
               "                         list every configuration key with its type, default and help\n"
               "                         (as a commented agent.yaml, or as man page source)\n"
               "      --log-level LEVEL  debug, info, notice, warning, err\n"
               "      --log-target TARGET\n"
               "                         auto (the journal when stderr is connected to it), journal, stderr\n"
               "  -h, --help             show this help\n"
               "      --version          show the version\n"
               "\n"
               "Commands:\n"
               "  status [--json]        ask the running agent who is on and when it will stop\n"
               "  inhibit DURATION|0     hold off idle stops for DURATION (e.g. 2h); 0 clears\n"
               "\n"
               "See sigrun-agent(8) and sigrun-agent.yaml(5).\n",
               AGENT_CONFIG_PATH);
}

static int load_config(const char *path, bool explicit_path, AgentConfig **ret) {
        ConfErrors errors = {};
        int r;

        r = agent_config_load(path, !explicit_path, ret, &errors);
        if (r < 0) {
                conf_errors_print(&errors, stderr);
                conf_errors_free(&errors);
        }
        return r;
}

int main(int argc, char *argv[]) {
        enum { ARG_REPLAY = 0x100, ARG_OUTPUT, ARG_CHECK_CONFIG, ARG_HELP_CONFIG, ARG_VERSION, ARG_LOG_LEVEL, ARG_LOG_TARGET, ARG_JSON };
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "replay", required_argument, NULL, ARG_REPLAY },
                { "output", required_argument, NULL, ARG_OUTPUT },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "help-config", optional_argument, NULL, ARG_HELP_CONFIG },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "json", no_argument, NULL, ARG_JSON },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        _cleanup_(agent_config_freep) AgentConfig *config = NULL;
        _cleanup_(agent_freep) Agent *agent = NULL;
        const char *config_path = NULL, *replay = NULL, *command = NULL;
        OutputFormat format = OUTPUT_JSON;
        bool check_config = false, json = false;
        int log_level = -1, c, r;

        while ((c = getopt_long(argc, argv, "+c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        config_path = optarg;
                        break;
                case ARG_REPLAY:
                        replay = optarg;
                        break;
                case ARG_OUTPUT:
                        if (streq(optarg, "json"))
                                format = OUTPUT_JSON;
                        else if (streq(optarg, "text"))
                                format = OUTPUT_TEXT;
                        else {
                                fprintf(stderr, "--output: expected json or text, got \"%s\"\n", optarg);
                                return 2;
                        }
                        break;
                case ARG_CHECK_CONFIG:
                        check_config = true;
                        break;
                case ARG_HELP_CONFIG:
                        if (!optarg)
                                conf_print_help(agent_config_table, agent_config_table_size, stdout);
                        else if (streq(optarg, "yaml"))
                                conf_print_yaml(agent_config_table, agent_config_table_size, stdout);
                        else if (streq(optarg, "man"))
                                conf_print_man(agent_config_table, agent_config_table_size, stdout);
                        else {
                                fprintf(stderr, "--help-config: expected yaml or man, got \"%s\"\n", optarg);
                                return 2;
                        }
                        return 0;
                case ARG_LOG_LEVEL:
                        log_level = log_level_from_string(optarg);
                        if (log_level < 0) {
                                fprintf(stderr, "--log-level: unknown level \"%s\"\n", optarg);
                                return 2;
                        }
                        break;
                case ARG_LOG_TARGET:
                        if (streq(optarg, "auto"))
                                log_set_target(LOG_TARGET_AUTO);
                        else if (streq(optarg, "journal"))
                                log_set_target(LOG_TARGET_JOURNAL);
                        else if (streq(optarg, "stderr"))
                                log_set_target(LOG_TARGET_STDERR);
                        else {
                                fprintf(stderr, "--log-target: expected auto, journal or stderr, got \"%s\"\n", optarg);
                                return 2;
                        }
                        break;
                case ARG_JSON:
                        json = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("sigrun-agent %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return 2;
                }

        /* `--check-config FILE` and subcommands take positional arguments. */
        if (optind < argc) {
                if (check_config && !config_path)
                        config_path = argv[optind++];
                else
                        command = argv[optind++];
        }
        /* Options may also follow the subcommand: `status --json`. */
        if (command) {
                optind--;
                argv[optind] = (char *) command;
                int sub_argc = argc - optind;
                char **sub_argv = argv + optind;
                optind = 1;
                while ((c = getopt_long(sub_argc, sub_argv, "+c:h", options, NULL)) >= 0)
                        switch (c) {
                        case ARG_JSON:
                                json = true;
                                break;
                        case 'c':
                                config_path = optarg;
                                break;
                        default:
                                return 2;
                        }
                argc = sub_argc;
                argv = sub_argv;
        }

        if (log_level >= 0)
                log_set_max_level(log_level);

        if (check_config) {
                _cleanup_(game_profile_freep) GameProfile *profile = NULL;
                ConfErrors errors = {};

                /* Never check one file while the user meant another. */
                if (command || optind < argc) {
                        fprintf(stderr, "--check-config takes one file (or --config FILE), got \"%s\" too.\n",
                                command ? command : argv[optind]);
                        return 2;
                }
                r = load_config(config_path ? config_path : AGENT_CONFIG_PATH, true, &config);
                if (r < 0)
                        return 1;
                /* The profile is part of the configuration: a bad one would only fail at start. */
                r = game_profile_load(config->game_profile, &profile, &errors);
                if (r < 0) {
                        conf_errors_print(&errors, stderr);
                        conf_errors_free(&errors);
                        return 1;
                }
                printf("configuration OK\n");
                return 0;
        }

        if (command) {
                const uint8_t *key;
                /* An unreadable configuration (it holds the key) still lets status show the public part. */
                r = load_config(config_path ? config_path : AGENT_CONFIG_PATH, config_path != NULL, &config);
                if (r < 0 && r != -EACCES)
                        return 1;
                if (r == -EACCES)
                        (void) agent_config_new(&config);
                key = config->api_key_set ? config->api_key : NULL;
                if (streq(command, "status")) {
                        if (optind < argc) {
                                fprintf(stderr, "status: unexpected argument \"%s\"\n", argv[optind]);
                                return 2;
                        }
                        return cli_status((const char *const *) config->api_listen, key, json);
                }
                if (streq(command, "inhibit")) {
                        if (optind + 1 != argc) {
                                fprintf(stderr, "usage: sigrun-agent inhibit DURATION|0 (e.g. 2h)\n");
                                return 2;
                        }
                        return cli_inhibit((const char *const *) config->api_listen, key, argv[optind]);
                }
                fprintf(stderr, "Unknown command \"%s\"; see --help.\n", command);
                return 2;
        }

        if (replay) {
                /* Without --config, replay uses the built-in defaults, never /etc. */
                r = load_config(config_path, config_path != NULL, &config);
                if (r < 0)
                        return 1;
                if (log_level < 0)
                        log_set_max_level(config->log_level < LOG_WARNING ? config->log_level : LOG_WARNING);
                r = agent_new(AGENT_REPLAY, TAKE_PTR(config), config_path, &agent);
                if (r < 0)
                        return 1;
                r = agent_replay(agent, replay, format, stdout);
                return r < 0 ? 1 : 0;
        }

        r = load_config(config_path ? config_path : AGENT_CONFIG_PATH, config_path != NULL, &config);
        if (r < 0)
                return 1;
        if (log_level < 0)
                log_set_max_level(config->log_level);
        r = agent_new(AGENT_LIVE, TAKE_PTR(config), config_path ? config_path : AGENT_CONFIG_PATH, &agent);
        if (r < 0)
                return 1;
        r = agent_run(agent);
        return r < 0 ? 1 : 0;
}
