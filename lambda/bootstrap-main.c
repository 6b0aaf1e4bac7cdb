/* SPDX-License-Identifier: MIT */
/*
 * bootstrap: the Lambda custom runtime. Reads its configuration once (a bad
 * one is reported through init/error, so the console shows why), then loops
 * on the runtime API: next invocation, handle, respond. One process serves
 * many invocations; nothing is kept between them but the configuration and
 * the AWS credentials Lambda gave us.
 */
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "lambda/commands.h"
#include "lambda/handler.h"
#include "lambda/runtime.h"

/* Leave Lambda's own deadline this much room to ship our answer. */
#define LAMBDA_DEADLINE_MARGIN_USEC (300 * USEC_PER_MSEC)

static usec_t deadline_to_monotonic(int64_t deadline_ms) {
        struct timespec ts;
        int64_t now_ms, left_ms;

        if (deadline_ms <= 0)
                return 0;
        clock_gettime(CLOCK_REALTIME, &ts);
        now_ms = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        left_ms = deadline_ms - now_ms;
        if (left_ms <= 0)
                return now_monotonic();
        return now_monotonic() + (usec_t) left_ms * USEC_PER_MSEC - MIN(LAMBDA_DEADLINE_MARGIN_USEC, (usec_t) left_ms * USEC_PER_MSEC);
}

static int serve(Runtime *rt, Commands *c) {
        for (;;) {
                _cleanup_free_ char *response = NULL;
                Invocation inv = {};
                int r;

                r = runtime_next(rt, &inv);
                if (r < 0)
                        return log_error_errno(r, "Failed to get the next invocation: %m");

                commands_set_deadline(c, COMMAND_BUDGET_USEC, deadline_to_monotonic(inv.deadline_ms));
                r = handler_handle_event(c, inv.event.data, inv.event.len, &response);
                if (r < 0) {
                        log_error_errno(r, "Failed to handle invocation %s: %m", inv.request_id);
                        r = runtime_fail(rt, inv.request_id, "Runtime.HandlerFailed", strerror(-r));
                } else
                        r = runtime_respond(rt, inv.request_id, response);
                if (r < 0)
                        log_warning_errno(r, "Failed to post the result of invocation %s: %m", inv.request_id);
                invocation_done(&inv);
        }
}

int main(int argc, char *argv[]) {
        _cleanup_(runtime_freep) Runtime *rt = NULL;
        _cleanup_free_ char *error = NULL;
        LambdaConfig config = {};
        Commands commands = {};
        const char *api;
        int r;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || sodium_init() < 0) {
                log_error("Failed to initialise libcurl or libsodium.");
                return 1;
        }
        api = getenv("AWS_LAMBDA_RUNTIME_API");
        if (!api || !*api) {
                log_error("AWS_LAMBDA_RUNTIME_API is not set: bootstrap runs inside AWS Lambda.");
                return 1;
        }
        r = runtime_new(api, &rt);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the runtime API client: %m"), 1;

        r = lambda_config_load(&config, true, &error);
        if (r < 0) {
                log_error("Bad configuration: %s", error ? error : strerror(-r));
                (void) runtime_init_error(rt, "Runtime.ConfigError", error ? error : strerror(-r));
                return 1;
        }
        r = commands_init(&commands, &config);
        if (r < 0) {
                log_error_errno(r, "Failed to read AWS credentials: %m");
                (void) runtime_init_error(rt, "Runtime.ConfigError", "cannot read AWS credentials");
                lambda_config_done(&config);
                return 1;
        }
        if (!commands.has_credentials)
                log_warning("No AWS credentials in the environment; EC2 calls will fail.");

        r = serve(rt, &commands);
        commands_done(&commands);
        lambda_config_done(&config);
        curl_global_cleanup();
        return r < 0 ? 1 : 0;
}
