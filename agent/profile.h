/* SPDX-License-Identifier: MIT */
/*
 * Game profiles: what the agent must know about a game to count its players
 * (UDP ports, how to read its traffic, how to read its log). They are data —
 * YAML files like agent/games/valheim.yaml — so another UDP game needs no
 * code. The files in agent/games/ are compiled in as the built-in profiles.
 */
#pragma once

#include "common/conf.h"

#define PROFILE_PORTS_MAX 8

typedef enum ProfileProtocol {
        PROFILE_PROTOCOL_GNS,     /* Valve GameNetworkingSockets: handshake-aware */
        PROFILE_PROTOCOL_TRAFFIC, /* any two-way flow, confirmed for a while, is a player */
} ProfileProtocol;

typedef enum ProfileLogFormat {
        PROFILE_LOG_VALHEIM,
        PROFILE_LOG_NONE,
} ProfileLogFormat;

typedef struct GameProfile {
        char *name;
        char **port_list;       /* as written */
        uint16_t ports[PROFILE_PORTS_MAX];
        size_t n_ports;
        uint64_t query_port_offset;
        int protocol;           /* ProfileProtocol */
        int log_format;         /* ProfileLogFormat */
} GameProfile;

/* name: a built-in profile name or a path to a profile file (contains '/').
 * Errors are collected like config errors. */
int game_profile_load(const char *name, GameProfile **ret, ConfErrors *errors);
GameProfile *game_profile_free(GameProfile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(GameProfile *, game_profile_free);

bool game_profile_is_game_port(const GameProfile *p, uint16_t port);
/* "udp and (port 2456 or port 2457)" */
int game_profile_bpf_filter(const GameProfile *p, char **ret);
/* Names of the built-in profiles, NULL-terminated. */
const char *const *game_profile_builtin_names(void);
