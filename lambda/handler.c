/* SPDX-License-Identifier: MIT */
/* Function URL event -> Discord interaction -> response; see handler.h. */
#include <string.h>

#include "common/log.h"
#include "lambda/event.h"
#include "lambda/handler.h"

static int json_response(json_t *o, char **ret) {
        _cleanup_free_ char *body = NULL;

        if (!o)
                return -ENOMEM;
        body = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!body)
                return -ENOMEM;
        return function_url_response(200, body, ret);
}

static int handle_command(Commands *c, const Interaction *i, char **ret) {
        CommandRequest req = {
                .command = i->command,
                .world = i->world,
                .force = i->force,
                .is_operator = interaction_is_operator(i, c->config->operator_roles),
        };
        Reply reply = REPLY_INIT;
        int r;

        r = commands_run(c, &req, &reply);
        if (r < 0)
                return r;
        log_info("/%s%s%s by %s: %s", i->command, i->world ? " " : "", i->world ? i->world : "",
                 i->user_id ? i->user_id : "?", reply.title ? reply.title : "");
        r = json_response(discord_reply_to_json(&reply), ret);
        reply_done(&reply);
        return r;
}

static int handle_autocomplete(Commands *c, const Interaction *i, char **ret) {
        _cleanup_strv_free_ char **choices = NULL;
        int r;

        if (streq_ptr(i->focused, "world")) {
                r = commands_autocomplete(c, i->focused_value, &choices);
                if (r < 0 && r != -ENOMEM)
                        choices = NULL;
                else if (r < 0)
                        return r;
        }
        return json_response(discord_autocomplete_to_json(choices), ret);
}

int handler_handle_event(Commands *c, const uint8_t *event, size_t len, char **ret_response) {
        FunctionUrlEvent e = {};
        Interaction i = {};
        int r;

        r = function_url_event_parse(event, len, DISCORD_BODY_MAX, &e);
        if (r == -EFBIG)
                return function_url_error_response(413, "request body too large", ret_response);
        if (r == -EBADMSG)
                return function_url_error_response(400, "not a function URL event", ret_response);
        if (r < 0)
                return r;

        if (!c->config->has_public_key ||
            discord_verify(c->config->public_key, e.signature, e.timestamp, e.body, e.body_len) < 0) {
                log_debug("Refusing a request with a missing or invalid signature.");
                r = function_url_error_response(401, "invalid request signature", ret_response);
                goto out;
        }

        r = interaction_parse(e.body, e.body_len, &i);
        if (r == -EBADMSG) {
                r = function_url_error_response(400, "malformed interaction", ret_response);
                goto out;
        }
        if (r < 0)
                goto out;

        switch (i.type) {
        case INTERACTION_PING:
                r = function_url_response(200, "{\"type\":1}", ret_response);
                break;
        case INTERACTION_APPLICATION_COMMAND:
                r = handle_command(c, &i, ret_response);
                break;
        case INTERACTION_AUTOCOMPLETE:
                r = handle_autocomplete(c, &i, ret_response);
                break;
        default:
                r = function_url_error_response(400, "unsupported interaction type", ret_response);
        }
out:
        interaction_done(&i);
        function_url_event_done(&e);
        return r;
}
