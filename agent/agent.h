/* SPDX-License-Identifier: MIT */
/*
 * The Agent: the one object that owns the event loop and every part of
 * sigrun-agent — the capture and its peer table, the log and A2S sources,
 * the watchdog's policy and shutdown, the connection API. Live and replay
 * share it; they differ only in the clock (monotonic time vs capture time)
 * and the packet source (an interface vs a file), as systemd-timesyncd's
 * Manager owns everything of that daemon.
 */
#pragma once

#include <systemd/sd-event.h>

#include "agent/config.h"
#include "agent/profile.h"

typedef enum AgentMode {
        AGENT_LIVE,
        AGENT_REPLAY,
} AgentMode;

typedef enum OutputFormat {
        OUTPUT_JSON,  /* the replay contract: one JSON object per line */
        OUTPUT_TEXT,  /* a readable timeline, for people */
} OutputFormat;

typedef struct Agent Agent;

int agent_new(AgentMode mode, AgentConfig *config /* taken */, const char *config_path, Agent **ret);
Agent *agent_free(Agent *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(Agent *, agent_free);

/* Replay a capture file, print the timeline to out. */
int agent_replay(Agent *a, const char *path, OutputFormat format, FILE *out);
/* Open the capture and the API, drop privileges, then run the loop until SIGTERM. */
int agent_run(Agent *a);
