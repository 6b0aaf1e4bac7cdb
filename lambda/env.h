/* SPDX-License-Identifier: MIT */
/*
 * The Lambda's and the CLI's configuration, read from the environment (design
 * brief §4). Lambda sets the variables itself; on a workstation, sigrun reads
 * a sigrun.env file first (KEY=VALUE lines, as systemd's EnvironmentFile=),
 * and variables already in the environment win over the file.
 */
#pragma once

#include "common/macro.h"
#include "lambda/discord.h"

#define SIGRUN_AGENT_PORT_DEFAULT 8456
#define SIGRUN_WORLD_TAG_DEFAULT "sigrun:world"
#define SIGRUN_DISCORD_API_DEFAULT "https://discord.com/api/v10"

typedef struct LambdaConfig {
        bool has_public_key;
        uint8_t public_key[DISCORD_PUBLIC_KEY_SIZE];
        char *application_id;
        char *bot_token;       /* DISCORD_BOT_TOKEN, for sigrun register/list/delete */
        bool has_agent_key;
        uint8_t agent_key[32];
        uint16_t agent_port;
        char *world_tag;
        char **operator_roles; /* never NULL after load; empty = everyone */
        char *region;          /* NULL when unset */
        char *discord_api;
} LambdaConfig;

/* require_public_key: the Lambda cannot run without DISCORD_PUBLIC_KEY.
 * On failure *ret_error (if given) says which variable and what is wrong. */
int lambda_config_load(LambdaConfig *ret, bool require_public_key, char **ret_error);
void lambda_config_done(LambdaConfig *c);

/* Set each KEY=VALUE of path that is not yet in the environment. Blank lines
 * and # comments are skipped; a value may be in single or double quotes.
 * -ENOENT if the file does not exist; -EINVAL (with *ret_line) for a line
 * that is not KEY=VALUE. */
int env_file_load(const char *path, unsigned *ret_line);
