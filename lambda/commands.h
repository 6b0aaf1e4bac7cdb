/* SPDX-License-Identifier: MIT */
/*
 * server-status, start-server, stop-server and the world autocomplete, shared
 * by the Lambda and the sigrun CLI. Each command runs against a deadline:
 * every outbound call (EC2, the agent) gets a timeout from what is left, and
 * when time runs out the reply says what is known rather than nothing.
 * Every failure becomes a Reply (ephemeral when only the caller should see
 * it); commands_run() itself fails only for out-of-memory.
 */
#pragma once

#include "common/aws.h"
#include "common/ec2.h"
#include "lambda/discord.h"
#include "lambda/env.h"

/* Discord wants the first answer within 3 s; keep room for the way back. */
#define COMMAND_BUDGET_USEC (2500 * USEC_PER_MSEC)

typedef struct Commands {
        const LambdaConfig *config;
        AwsCredentials credentials;
        bool has_credentials;
        char *endpoint;
        usec_t deadline; /* CLOCK_MONOTONIC */
} Commands;

int commands_init(Commands *c, const LambdaConfig *config);
void commands_done(Commands *c);
/* Start a new budget: now + budget, but not past an external deadline (0 = none). */
void commands_set_deadline(Commands *c, usec_t budget, usec_t external_deadline);

typedef struct CommandRequest {
        const char *command;  /* "server-status", "start-server", "stop-server" */
        const char *world;    /* NULL: the only world */
        bool force;
        bool is_operator;
} CommandRequest;

int commands_run(Commands *c, const CommandRequest *req, Reply *ret);
/* World names containing typed (case-insensitive), sorted, at most 25; an
 * empty list when EC2 cannot be asked. */
int commands_autocomplete(Commands *c, const char *typed, char ***ret);
/* Number of worlds, or a negative errno (for sigrun register). */
int commands_count_worlds(Commands *c);

usec_t now_monotonic(void);
