/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the Lambda's event handling: the function URL event, the interaction
 * body (parsed directly too, since a fuzzer cannot forge the Ed25519
 * signature that guards it in the handler), the replies built from what was
 * parsed, and the agent's answers. No AWS credentials and no region are
 * configured, so nothing here touches the network.
 */
#include <sodium.h>
#include <string.h>

#include "lambda/agent-client.h"
#include "lambda/discord.h"
#include "lambda/event.h"
#include "lambda/handler.h"
#include "tests/fuzz/fuzz.h"

static void build_replies(const Interaction *i) {
        char *choices[] = { i->world, i->focused_value, NULL };
        Reply r = REPLY_INIT;
        json_t *j;
        char *s = NULL;

        if (reply_set(&r, REPLY_RUNNING, i->force, i->command, "%s", i->world ? i->world : "") < 0)
                return;
        r.address = i->user_id ? strdup(i->user_id) : NULL;
        j = discord_reply_to_json(&r);
        json_decref(j);
        if (reply_to_text(&r, 0, &s) >= 0)
                free(s);
        reply_done(&r);
        if (i->world) {
                j = discord_autocomplete_to_json(choices);
                json_decref(j);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static LambdaConfig config;
        static Commands commands;
        static bool initialised;
        char *roles[] = { "700000000000000007", NULL };
        FunctionUrlEvent e = {};
        Interaction i = {};
        AgentStatus st = {};
        char **names = NULL, *response = NULL;

        if (!initialised) {
                if (sodium_init() < 0)
                        abort();
                /* RFC 8032 test 1 public key; no AWS, no region: offline. */
                static const uint8_t pk[32] = {
                        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
                        0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
                };
                memcpy(config.public_key, pk, sizeof pk);
                config.has_public_key = true;
                config.world_tag = (char *) "sigrun:world";
                config.operator_roles = roles;
                commands.config = &config;
                initialised = true;
        }

        if (handler_handle_event(&commands, data, size, &response) >= 0)
                free(response);

        if (function_url_event_parse(data, size, DISCORD_BODY_MAX, &e) >= 0) {
                (void) discord_verify(config.public_key, e.signature, e.timestamp, e.body, e.body_len);
                if (interaction_parse(e.body, e.body_len, &i) >= 0) {
                        build_replies(&i);
                        interaction_done(&i);
                }
                function_url_event_done(&e);
        }

        if (interaction_parse(data, size, &i) >= 0) {
                (void) interaction_is_operator(&i, roles);
                build_replies(&i);
                interaction_done(&i);
        }

        if (agent_status_parse((const char *) data, size, &st) >= 0)
                agent_status_done(&st);
        if (agent_players_parse((const char *) data, size, &names) >= 0)
                strv_free(names);
        return 0;
}
