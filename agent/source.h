/* SPDX-License-Identifier: MIT */
/*
 * What every player source (capture, log, A2S) reports to the agent core: a
 * count, names where the source has them, and its health. The policy counts
 * only HEALTHY sources; UNKNOWN and FAILED mean "cannot tell", never zero, so
 * a broken source can never make a busy server look idle.
 */
#pragma once

#include <stdbool.h>

typedef enum SourceHealth {
        SOURCE_UNKNOWN,
        SOURCE_HEALTHY,
        SOURCE_FAILED,
} SourceHealth;

static inline const char *source_health_to_string(SourceHealth h) {
        switch (h) {
        case SOURCE_HEALTHY:
                return "healthy";
        case SOURCE_FAILED:
                return "failed";
        case SOURCE_UNKNOWN:
        default:
                return "unknown";
        }
}

typedef struct SourceReport {
        const char *name;         /* "capture", "log", "a2s" */
        SourceHealth health;
        unsigned players;         /* meaningful only when health is SOURCE_HEALTHY */
        const char *const *names; /* NULL-terminated player names, or NULL; valid until the source next changes */
        const char *detail;       /* short human reason: "journal of valheim-server.service", "no answer within 3s" */
} SourceReport;

/* Called whenever a source's report may have changed. */
typedef void (*source_changed_t)(void *userdata);
