/* SPDX-License-Identifier: MIT */
/*
 * Fuzz what the agent reads back from HTTP services: IMDS answers (text
 * items, the role list, the credentials JSON) and Discord's 429 bodies and
 * Retry-After headers. The input is used whole as each of them.
 */
#include <stdlib.h>
#include <string.h>

#include "common/imds.h"
#include "tests/fuzz/fuzz.h"
#include "watchdog/discord.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *body = (const char *) data;
        _cleanup_free_ char *text = NULL, *role = NULL, *expiration = NULL, *header = NULL;
        AwsCredentials creds = {};
        usec_t delay;

        (void) imds_parse_text(body, size, &text);
        (void) imds_parse_role_list(body, size, &role);
        if (imds_parse_credentials(body, size, &creds, &expiration) >= 0 && !creds.access_key_id)
                abort();
        aws_credentials_done(&creds);

        header = strndup(body, size);
        if (!header)
                return 0;
        delay = discord_parse_retry_after(body, size, header);
        if (delay == 0 || delay > DISCORD_RETRY_AFTER_MAX)
                abort();
        return 0;
}
