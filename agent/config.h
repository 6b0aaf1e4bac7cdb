/* SPDX-License-Identifier: MIT */
/*
 * The agent's configuration (/etc/sigrun/agent.yaml): one struct, filled from
 * one table of keys (agent/config.c) with types, ranges, defaults and help.
 * Every part of the agent reads its settings from here.
 */
#pragma once

#include "common/conf.h"

#define AGENT_CONFIG_PATH "/etc/sigrun/agent.yaml"
#define AGENT_API_KEY_SIZE 32

typedef enum WatchdogAction {
        WATCHDOG_ACTION_POWEROFF,
        WATCHDOG_ACTION_EC2_STOP,
        WATCHDOG_ACTION_EXEC,
        WATCHDOG_ACTION_NONE,
} WatchdogAction;

typedef enum LogSourceKind {
        LOG_SOURCE_JOURNAL,
        LOG_SOURCE_FILE,
        LOG_SOURCE_OFF,
} LogSourceKind;

typedef struct AgentConfig {
        /* game */
        char *game_profile;      /* "valheim", "enshrouded" or a path to a profile YAML */
        uint64_t game_port;      /* 0: the profile's default */
        bool crossplay;
        char *world_name;
        char *server_name;
        bool public_server;      /* A2S answers only when public */

        /* capture */
        char *capture_interface; /* "" = the interface of the default route; "any" works */
        uint64_t capture_peer_limit;
        usec_t capture_peer_timeout;   /* silence after which a player has left */
        usec_t capture_confirm_time;   /* both-ways data needed to adopt a mid-session peer */
        uint64_t capture_buffer_size;
        bool capture_local_only;

        /* log source */
        int log_source;          /* LogSourceKind */
        char *log_unit;          /* journal: the game unit */
        char *log_file;          /* file: path */

        /* A2S source */
        bool a2s_enabled;
        usec_t a2s_interval;
        usec_t a2s_timeout;

        /* connection API */
        char **api_listen;
        uint8_t api_key[AGENT_API_KEY_SIZE];
        bool api_key_set;
        uint64_t api_max_connections;
        uint64_t api_max_connections_per_ip;
        usec_t api_connection_timeout;

        /* watchdog */
        usec_t watchdog_startup_grace;
        usec_t watchdog_idle_timeout;
        usec_t watchdog_warn_before;
        usec_t watchdog_max_unknown;
        int watchdog_action;     /* WatchdogAction */
        char *watchdog_exec;
        char *watchdog_game_unit;
        usec_t watchdog_game_stop_timeout;
        usec_t watchdog_action_retry;

        /* notifications */
        char *discord_webhook;
        bool discord_notify_joins;
        char *public_address;    /* "" = ask IMDS */
        char *imds_endpoint;
        char *ec2_endpoint;      /* "" = the regional endpoint */

        /* daemon */
        char *user;
        char *state_directory;
        int log_level;
} AgentConfig;

extern const ConfKey agent_config_table[];
extern const size_t agent_config_table_size;

/* Fill *ret with the defaults. */
int agent_config_new(AgentConfig **ret);
AgentConfig *agent_config_free(AgentConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(AgentConfig *, agent_config_free);

/* Load path over the defaults into a new config. A missing file at the default
 * path is not an error (the built-in defaults apply); any other problem fills
 * *errors and returns -EINVAL, leaving *ret untouched. */
int agent_config_load(const char *path, bool missing_ok, AgentConfig **ret, ConfErrors *errors);
