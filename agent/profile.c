/* SPDX-License-Identifier: MIT */
/*
 * Loading game profiles with the same table-driven YAML loader as the
 * configuration. The built-in ones are the YAML files in agent/games/, turned
 * into C strings at build time (agent/games-builtin.c), so there is one
 * source of truth for each game.
 */
#include <string.h>

#include "agent/profile.h"
#include "common/parse.h"

typedef struct BuiltinProfile {
        const char *name;
        const char *text;
} BuiltinProfile;

/* Generated from agent/games/ by Makefile.am. */
extern const BuiltinProfile builtin_profiles[];

static const char *const protocols[] = { "gns", "traffic", NULL };
static const char *const log_formats[] = { "valheim", "none", NULL };

static const ConfKey profile_table[] = {
        { "name", CONF_STRING, offsetof(GameProfile, name), 1, 64, NULL, "Display name of the game." },
        { "ports", CONF_STRV, offsetof(GameProfile, port_list), 0, 0, NULL, "The game's UDP ports." },
        { "query_port_offset", CONF_UINT, offsetof(GameProfile, query_port_offset), 0, 100, "0",
          "A2S query port relative to the first game port; 0: none." },
        { "protocol", CONF_ENUM, offsetof(GameProfile, protocol), 0, 0, "traffic",
          "How to read the traffic: gns (handshake-aware) or traffic (two-way flows).", protocols },
        { "log_format", CONF_ENUM, offsetof(GameProfile, log_format), 0, 0, "none",
          "Which log parser understands the game's log.", log_formats },
};

GameProfile *game_profile_free(GameProfile *p) {
        if (!p)
                return NULL;
        conf_free(profile_table, ELEMENTSOF(profile_table), p);
        free(p);
        return NULL;
}

const char *const *game_profile_builtin_names(void) {
        static const char *names[16];

        if (!names[0])
                for (size_t i = 0; builtin_profiles[i].name && i < ELEMENTSOF(names) - 1; i++)
                        names[i] = builtin_profiles[i].name;
        return names;
}

int game_profile_load(const char *name, GameProfile **ret, ConfErrors *errors) {
        _cleanup_(game_profile_freep) GameProfile *p = NULL;
        const char *filename = name;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        r = conf_set_defaults(profile_table, ELEMENTSOF(profile_table), p);
        if (r < 0)
                return r;

        if (strchr(name, '/'))
                r = conf_load_file(profile_table, ELEMENTSOF(profile_table), p, name, errors);
        else {
                const BuiltinProfile *b = NULL;
                for (size_t i = 0; builtin_profiles[i].name; i++)
                        if (streq(builtin_profiles[i].name, name))
                                b = &builtin_profiles[i];
                if (!b) {
                        conf_error_add(errors, name, 0, 0, NULL,
                                       "unknown game profile (built in: valheim, enshrouded; or a file path)");
                        return -ENOENT;
                }
                r = conf_load_string(profile_table, ELEMENTSOF(profile_table), p, name, b->text, strlen(b->text),
                                     errors);
        }
        /* Syntax and type errors still let the checks below add theirs: report them all. */
        if (r < 0 && r != -EINVAL)
                return r;
        bool failed = r < 0;

        if (!p->name)
                conf_error_add(errors, filename, 0, 0, "name", "missing");
        if (!p->port_list || !p->port_list[0])
                conf_error_add(errors, filename, 0, 0, "ports", "at least one UDP port is needed");
        for (size_t i = 0; p->port_list && p->port_list[i]; i++) {
                uint64_t port;
                if (p->n_ports >= PROFILE_PORTS_MAX) {
                        conf_error_add(errors, filename, 0, 0, "ports", "at most %d ports", PROFILE_PORTS_MAX);
                        break;
                }
                if (parse_uint64(p->port_list[i], 1, 65535, &port) < 0) {
                        conf_error_add(errors, filename, 0, 0, "ports", "\"%s\" is not a port number", p->port_list[i]);
                        continue;
                }
                p->ports[p->n_ports++] = (uint16_t) port;
        }
        if (failed || !p->name || p->n_ports == 0 || (p->port_list && p->n_ports != strv_length(p->port_list)))
                return -EINVAL;
        *ret = TAKE_PTR(p);
        return 0;
}

bool game_profile_is_game_port(const GameProfile *p, uint16_t port) {
        for (size_t i = 0; i < p->n_ports; i++)
                if (p->ports[i] == port)
                        return true;
        return false;
}

int game_profile_bpf_filter(const GameProfile *p, char **ret) {
        char buf[256] = "udp and (";
        size_t used = strlen(buf);

        for (size_t i = 0; i < p->n_ports; i++)
                used += (size_t) snprintf(buf + used, sizeof(buf) - used, "%sport %u", i ? " or " : "", p->ports[i]);
        if (used + 2 >= sizeof(buf))
                return -E2BIG;
        strcat(buf, ")");
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}
