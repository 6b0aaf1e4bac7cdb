/* SPDX-License-Identifier: MIT */
/*
 * One Discord interaction, from the function URL event to the function URL
 * response: size limit, signature (401 and nothing more otherwise), JSON
 * (400), then PING, a command or an autocomplete. Kept apart from the runtime
 * loop so that tests and the fuzz target can drive it directly.
 */
#pragma once

#include "lambda/commands.h"

/* Always produces a response (an error status when the request is bad);
 * fails only for out-of-memory. */
int handler_handle_event(Commands *c, const uint8_t *event, size_t len, char **ret_response);
