/* SPDX-License-Identifier: MIT */
/*
 * Every setting of sigrun-agent, in one table: name, type, range, default and
 * the help line that --help-config, the man page and the shipped agent.yaml
 * repeat. The loader (common/conf.c) does the rest.
 */
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/api-router.h"
#include "agent/config.h"
#include "agent/profile.h"
#include "common/log.h"
#include "common/parse.h"

static const char *const watchdog_actions[] = { "poweroff", "ec2-stop", "exec", "none", NULL };
static const char *const log_sources[] = { "journal", "file", "off", NULL };
static const char *const log_levels[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", NULL };

static int parse_api_key(const ConfKey *key, const char *value, void *field, char **ret_message) {
        AgentConfig *c = (AgentConfig *) ((uint8_t *) field - offsetof(AgentConfig, api_key));

        if (value[0] == '\0') {
                memset(c->api_key, 0, sizeof(c->api_key));
                c->api_key_set = false;
                return 0;
        }
        if (parse_hex(value, c->api_key, sizeof(c->api_key)) < 0) {
                *ret_message = strdup("expected 64 hex digits (32 bytes), e.g. from: openssl rand -hex 32");
                return -EINVAL;
        }
        c->api_key_set = true;
        return 0;
}

/* Checks of values beyond their type: field is NULL, the loader stores the value. */
static int check_listen(const ConfKey *key, const char *value, void *field, char **ret_message) {
        struct sockaddr_storage sa;
        socklen_t len;

        if (api_listen_parse(value, &sa, &len) < 0) {
                if (asprintf(ret_message, "\"%s\" is not a numeric address and port such as 0.0.0.0:8456 or [::]:8456",
                             value) < 0)
                        *ret_message = NULL;
                return -EINVAL;
        }
        return 0;
}

static int check_user(const ConfKey *key, const char *value, void *field, char **ret_message) {
        if (value[0] && !getpwnam(value)) {
                if (asprintf(ret_message, "no user \"%s\" on this system", value) < 0)
                        *ret_message = NULL;
                return -ESRCH;
        }
        return 0;
}

/* A built-in name is checked here, at the key's position; a profile file is
 * loaded by agent_config_load(), which reports its errors at their own. */
static int check_profile(const ConfKey *key, const char *value, void *field, char **ret_message) {
        const char *const *names = game_profile_builtin_names();

        if (strchr(value, '/'))
                return 0;
        for (size_t i = 0; names[i]; i++)
                if (streq(names[i], value))
                        return 0;
        if (asprintf(ret_message, "unknown game profile \"%s\" (built in: valheim, enshrouded; or a file path)", value) < 0)
                *ret_message = NULL;
        return -EINVAL;
}

#define KEY(name, type, field, min, max, def, help) \
        { name, type, offsetof(AgentConfig, field), min, max, def, help }
#define ENUM(name, field, def, choices, help) \
        { name, CONF_ENUM, offsetof(AgentConfig, field), 0, 0, def, help, choices }

const ConfKey agent_config_table[] = {
        { "game.profile", CONF_STRING, offsetof(AgentConfig, game_profile), 1, 256, "valheim",
          "Game profile: a built-in name (valheim, enshrouded) or the path of a profile YAML file.", NULL,
          check_profile },
        KEY("game.port", CONF_UINT, game_port, 0, 65535, "0",
            "The game's UDP port; 0 takes the profile's (Valheim: 2456)."),
        KEY("game.crossplay", CONF_BOOL, crossplay, 0, 0, "false",
            "The server runs with -crossplay: only the game's log can count players."),
        KEY("game.public", CONF_BOOL, public_server, 0, 0, "false",
            "The server runs with -public 1, so A2S queries are answered."),
        KEY("world.name", CONF_STRING, world_name, 0, 128, "",
            "World name, shown in the status API and Discord messages."),
        KEY("world.server_name", CONF_STRING, server_name, 0, 128, "",
            "Server name as players see it in the server list."),

        KEY("capture.interface", CONF_STRING, capture_interface, 0, 64, "",
            "Interface to capture on; empty: the one with the default route; 'any' works too."),
        KEY("capture.peer_limit", CONF_UINT, capture_peer_limit, 16, 1048576, "4096",
            "Hard cap of the peer table; peers that never completed a handshake are evicted first."),
        KEY("capture.peer_timeout", CONF_DURATION, capture_peer_timeout, USEC_PER_SEC, USEC_PER_HOUR, "30s",
            "A player whose traffic stops for this long has left."),
        KEY("capture.confirm_time", CONF_DURATION, capture_confirm_time, USEC_PER_SEC, 10 * USEC_PER_MINUTE, "5s",
            "A peer already playing when the agent starts counts after this long of data both ways."),
        KEY("capture.buffer_size", CONF_SIZE, capture_buffer_size, 65536, 256 << 20, "2MiB",
            "Kernel capture buffer size."),
        KEY("capture.local_only", CONF_BOOL, capture_local_only, 0, 0, "true",
            "Count only game traffic whose server side is an address of this host, so that spoofing the "
            "server's public address cannot fake players; turn off when the game runs in another network "
            "namespace (a container) than the agent."),

        ENUM("log.source", log_source, "journal", log_sources,
             "Where the game's log is read from: the journal of log.unit, the file log.file, or off."),
        KEY("log.unit", CONF_STRING, log_unit, 1, 256, "valheim-server.service",
            "The game's systemd unit, for log.source journal."),
        KEY("log.file", CONF_STRING, log_file, 0, 4096, "",
            "The game's log file, for log.source file."),

        KEY("a2s.enabled", CONF_BOOL, a2s_enabled, 0, 0, "true",
            "Ask the query port (game port + 1) with A2S_INFO; used only when game.public is true."),
        KEY("a2s.interval", CONF_DURATION, a2s_interval, USEC_PER_SEC, USEC_PER_HOUR, "30s",
            "How often to ask."),
        KEY("a2s.timeout", CONF_DURATION, a2s_timeout, 100 * USEC_PER_MSEC, USEC_PER_MINUTE, "3s",
            "No answer within this time makes the A2S count unknown."),

        { "api.listen", CONF_STRV, offsetof(AgentConfig, api_listen), 0, 0, "0.0.0.0:8456 [::]:8456",
          "Addresses of the connection API, e.g. [\"0.0.0.0:8456\", \"[::]:8456\"]; an empty list turns it off.", NULL,
          check_listen },
        { "api.key", CONF_CUSTOM, offsetof(AgentConfig, api_key), 0, 0, NULL,
          "32-byte key shared with the Lambda, as 64 hex digits; without it the authenticated endpoints answer 503.",
          NULL, parse_api_key },
        KEY("api.max_connections", CONF_UINT, api_max_connections, 1, 65536, "256",
            "Most simultaneous API connections."),
        KEY("api.max_connections_per_ip", CONF_UINT, api_max_connections_per_ip, 1, 65536, "16",
            "Most simultaneous API connections from one address."),
        KEY("api.connection_timeout", CONF_DURATION, api_connection_timeout, USEC_PER_SEC, 10 * USEC_PER_MINUTE, "10s",
            "Idle API connections are closed after this long."),

        KEY("watchdog.startup_grace", CONF_DURATION, watchdog_startup_grace, USEC_PER_SEC, USEC_PER_DAY, "15min",
            "After the game is ready: stop if nobody joins within this time."),
        KEY("watchdog.idle_timeout", CONF_DURATION, watchdog_idle_timeout, USEC_PER_SEC, USEC_PER_DAY, "10min",
            "Stop after the server has been empty this long."),
        KEY("watchdog.warn_before", CONF_DURATION, watchdog_warn_before, 0, USEC_PER_HOUR, "2min",
            "Warn this long before an idle stop."),
        KEY("watchdog.max_unknown", CONF_DURATION, watchdog_max_unknown, USEC_PER_MINUTE, 7 * USEC_PER_DAY, "2h",
            "When no source can count players, stop only after this long without a known player."),
        ENUM("watchdog.action", watchdog_action, "poweroff", watchdog_actions,
             "What stops the instance once the game has stopped: poweroff (logind), ec2-stop, exec, none."),
        KEY("watchdog.exec", CONF_STRING, watchdog_exec, 0, 4096, "",
            "Command for watchdog.action exec, run with /bin/sh -c."),
        KEY("watchdog.game_unit", CONF_STRING, watchdog_game_unit, 1, 256, "valheim-server.service",
            "The game's unit, stopped (and the world saved) before the action."),
        KEY("watchdog.game_stop_timeout", CONF_DURATION, watchdog_game_stop_timeout, USEC_PER_SEC, USEC_PER_HOUR, "5min",
            "How long to wait for the game to save and stop."),
        KEY("watchdog.action_retry", CONF_DURATION, watchdog_action_retry, USEC_PER_SEC, USEC_PER_HOUR, "30s",
            "A failed stop action is retried after this long, doubling up to 10 minutes."),

        KEY("discord.webhook", CONF_STRING, discord_webhook, 0, 1024, "",
            "Discord webhook URL for notifications; empty: none."),
        KEY("discord.notify_joins", CONF_BOOL, discord_notify_joins, 0, 0, "false",
            "Also post joins and leaves."),
        KEY("discord.public_address", CONF_STRING, public_address, 0, 256, "",
            "Address players connect to; empty: the instance's public IPv4 from IMDS."),

        KEY("aws.imds_endpoint", CONF_STRING, imds_endpoint, 1, 256, "http://169.254.169.254",
            "Instance metadata service (IMDSv2)."),
        KEY("aws.ec2_endpoint", CONF_STRING, ec2_endpoint, 0, 256, "",
            "EC2 endpoint for watchdog.action ec2-stop; empty: the region's."),

        { "agent.user", CONF_STRING, offsetof(AgentConfig, user), 0, 64, "",
          "Started as root, drop to this user keeping only CAP_NET_RAW; empty: stay as started.", NULL, check_user },
        KEY("agent.state_directory", CONF_STRING, state_directory, 1, 4096, "/var/lib/sigrun",
            "Where state that must survive a restart (the inhibit) is kept; $STATE_DIRECTORY overrides."),
        ENUM("agent.log_level", log_level, "info", log_levels,
             "Most verbose log level."),
};

const size_t agent_config_table_size = ELEMENTSOF(agent_config_table);

AgentConfig *agent_config_free(AgentConfig *c) {
        if (!c)
                return NULL;
        conf_free(agent_config_table, agent_config_table_size, c);
        free(c);
        return NULL;
}

int agent_config_new(AgentConfig **ret) {
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        r = conf_set_defaults(agent_config_table, agent_config_table_size, c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int agent_config_load(const char *path, bool missing_ok, AgentConfig **ret, ConfErrors *errors) {
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        int r;

        r = agent_config_new(&c);
        if (r < 0)
                return r;
        if (path) {
                if (missing_ok && access(path, F_OK) < 0 && errno == ENOENT) {
                        log_debug("%s does not exist, using the built-in defaults.", path);
                } else {
                        r = conf_load_file(agent_config_table, agent_config_table_size, c, path, errors);
                        if (r < 0)
                                return r;
                }
        }
        if (strchr(c->game_profile, '/')) {
                _cleanup_(game_profile_freep) GameProfile *p = NULL;
                r = game_profile_load(c->game_profile, &p, errors);
                if (r < 0)
                        return -EINVAL;
        }
        if (c->watchdog_action == WATCHDOG_ACTION_EXEC && (!c->watchdog_exec || !c->watchdog_exec[0])) {
                conf_error_add(errors, path, 0, 0, "watchdog.exec", "watchdog.action is exec but no command is set");
                return -EINVAL;
        }
        if (c->log_source == LOG_SOURCE_FILE && (!c->log_file || !c->log_file[0])) {
                conf_error_add(errors, path, 0, 0, "log.file", "log.source is file but no file is set");
                return -EINVAL;
        }
        *ret = TAKE_PTR(c);
        return 0;
}
