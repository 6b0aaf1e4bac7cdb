/* SPDX-License-Identifier: MIT */
/* Fuzz the A2S reply parser: any datagram, and every string it returns must end inside its field. */
#include <stdlib.h>
#include <string.h>

#include "agent/a2s.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t challenge[4];
        A2sReplyType type;
        A2sInfo info;

        if (a2s_parse_reply(data, size, &type, challenge, &info) < 0)
                return 0;
        if (type == A2S_REPLY_INFO &&
            (strnlen(info.name, sizeof info.name) == sizeof info.name ||
             strnlen(info.map, sizeof info.map) == sizeof info.map ||
             strnlen(info.folder, sizeof info.folder) == sizeof info.folder ||
             strnlen(info.game, sizeof info.game) == sizeof info.game ||
             strnlen(info.version, sizeof info.version) == sizeof info.version))
                abort();
        return 0;
}
