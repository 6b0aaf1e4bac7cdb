/* SPDX-License-Identifier: MIT */
/*
 * sigrun-agent's owning object and its event flow:
 *
 *   packet ─> decode ─> GNS class ─> peer table ─┐
 *   game log (journal/file) ─────────────────────┼─> players (largest healthy count)
 *   A2S_INFO on the query port ──────────────────┘        │
 *                                                          v
 *                               watchdog policy (pure, clocked) ─> events
 *                                                          │
 *        replay: JSON lines on stdout          live: journal, STATUS=, Discord,
 *                                                    graceful stop, API
 *
 * In replay the clock is the capture's: before each packet every deadline
 * that falls before it (peer timeouts, watchdog timers) fires at its exact
 * time, so a two-hour evening replays in milliseconds and identically on
 * every run. Live, the same deadlines drive one sd-event timer.
 */
#include <grp.h>
#include <jansson.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "agent/a2s-query.h"
#include "agent/agent.h"
#include "agent/api.h"
#include "agent/capture.h"
#include "agent/gns.h"
#include "agent/local-addr.h"
#include "agent/logwatch.h"
#include "agent/packet.h"
#include "agent/peers.h"
#include "agent/source.h"
#include "common/curl-event.h"
#include "common/imds.h"
#include "common/log.h"
#include "common/parse.h"
#include "watchdog/discord.h"
#include "watchdog/inhibit.h"
#include "watchdog/policy.h"
#include "watchdog/shutdown.h"

#define READY_CHECK_INTERVAL (2 * USEC_PER_SEC)
#define STATUS_REFRESH_INTERVAL USEC_PER_MINUTE
#define NAMES_MAX 8

/* Discord embed colours */
#define COLOR_GREEN 0x2ecc71
#define COLOR_BLUE 0x3498db
#define COLOR_ORANGE 0xe67e22
#define COLOR_RED 0xe74c3c

struct Agent {
        AgentMode mode;
        sd_event *event;
        AgentConfig *config;
        char *config_path;
        GameProfile *profile;
        uint16_t query_port;

        /* output of replay */
        OutputFormat format;
        FILE *out;

        /* clock: replay time is capture time since the first packet */
        bool clock_started;
        usec_t origin;       /* replay: first packet's timestamp */
        usec_t now;          /* replay: the virtual clock */
        usec_t start_mono;   /* live: when the agent started (uptime) */

        Capture *capture;
        int linktype;
        PeerTable *peers;
        LogWatch *log;
        A2sQuery *a2s;

        Policy *policy;
        CurlEvent *curl;
        Notifier *notifier;
        Shutdown *shutdown;
        ApiServer *api;
        ImdsQuery *imds;         /* the public address for "server ready" */

        sd_event_source *deadline_timer;
        sd_event_source *ready_timer;
        sd_event_source *status_timer;
        sd_event_source *capture_retry_timer;
        char *capture_error;     /* why the live capture is not open, for the report */

        LocalAddrs local;        /* live: the server side of a game datagram must be one of these */
        uint64_t packets, malformed;
        int players;  /* combined; < 0 unknown */
        bool ready;
        bool shutdown_decided;
        bool running;            /* the loop is set up: READY=1 may go once the capture is open */
        bool notified_ready;
        char status[256];
};

static const char *const watchdog_action_names[] = { "poweroff", "ec2-stop", "exec", "none" };

/* ---- clock ------------------------------------------------------------- */

static usec_t agent_now(Agent *a) {
        uint64_t t;

        if (a->mode == AGENT_REPLAY)
                return a->now;
        if (sd_event_now(a->event, CLOCK_MONOTONIC, &t) < 0)
                return 0;
        return t;
}

static usec_t realtime_now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* Policy time (monotonic, or capture time in replay) to Unix time in usec. */
static usec_t agent_to_realtime(Agent *a, usec_t t) {
        usec_t now = agent_now(a);

        if (a->mode == AGENT_REPLAY)
                return a->origin + t;
        return t >= now ? realtime_now() + (t - now) : realtime_now() - (now - t);
}

static json_t *json_time(usec_t realtime) {
        char buf[32];
        time_t s = (time_t) (realtime / USEC_PER_SEC);
        struct tm tm;

        gmtime_r(&s, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return json_string(buf);
}

/* ---- players ------------------------------------------------------------ */

static void agent_capture_report(Agent *a, SourceReport *ret) {
        *ret = (SourceReport) { .name = "capture", .health = SOURCE_HEALTHY };
        if (a->config->crossplay) {
                /* Crossplay traffic goes through PlayFab relays, not the game port:
                 * silence here means nothing. */
                ret->health = SOURCE_UNKNOWN;
                ret->detail = "crossplay: the game port carries no player traffic";
                return;
        }
        if (!a->peers || (a->mode == AGENT_LIVE && (!a->capture || capture_failed(a->capture)))) {
                ret->health = SOURCE_FAILED;
                ret->detail = a->capture_error ? a->capture_error : "capture is not open";
                return;
        }
        ret->players = peer_table_players(a->peers);
        ret->detail = a->mode == AGENT_REPLAY ? "replay" : capture_ifname(a->capture);
}

/* Fill up to 3 reports; returns how many. */
static size_t agent_reports(Agent *a, SourceReport reports[static 3]) {
        size_t n = 0;

        agent_capture_report(a, &reports[n++]);
        if (a->log) {
                log_watch_report(a->log, &reports[n]);
                reports[n++].name = "log";
        }
        if (a->a2s) {
                a2s_query_report(a->a2s, &reports[n]);
                reports[n].name = "a2s";
                if (a->config->crossplay && reports[n].health == SOURCE_HEALTHY) {
                        /* A2S says 0 under crossplay whoever plays. */
                        reports[n].health = SOURCE_UNKNOWN;
                        reports[n].detail = "crossplay: A2S always reports 0";
                }
                n++;
        }
        return n;
}

/* The largest count among healthy sources; -1 when none is healthy. */
static int agent_count_players(Agent *a, const char *const **ret_names) {
        SourceReport reports[3];
        size_t n = agent_reports(a, reports);
        int players = -1;

        if (ret_names)
                *ret_names = NULL;
        for (size_t i = 0; i < n; i++) {
                if (reports[i].health != SOURCE_HEALTHY)
                        continue;
                players = MAX(players, (int) reports[i].players);
                if (ret_names && reports[i].names && reports[i].names[0])
                        *ret_names = reports[i].names;
        }
        return players;
}

static void agent_update_status(Agent *a);
static void agent_arm_deadline(Agent *a);

static void agent_players_changed(Agent *a) {
        int players = agent_count_players(a, NULL);

        if (players == a->players)
                return;
        a->players = players;
        if (a->policy)
                policy_set_players(a->policy, agent_now(a), players);
        agent_update_status(a);
}

static void agent_set_ready(Agent *a, const char *why);

static void agent_source_changed(void *userdata) {
        Agent *a = userdata;

        if (!a->ready && a->log && log_watch_server_ready(a->log))
                agent_set_ready(a, "the game's log says the server is up");
        agent_players_changed(a);
        agent_arm_deadline(a);
        /* Names can change without the count. */
        agent_update_status(a);
}

/* ---- events: timeline (replay) or journal + Discord (live) -------------- */

static void emit_json(Agent *a, json_t *o) {
        _cleanup_free_ char *s = NULL;

        s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        json_decref(o);
        if (s)
                fprintf(a->out, "%s\n", s);
}

static double seconds(usec_t t) {
        /* Milliseconds are plenty, and rounding keeps the output short and stable. */
        return (double) (t / USEC_PER_MSEC) / 1000.0;
}

static void emit_text(Agent *a, usec_t t, const char *mark, const char *format, ...) _printf_(4, 5);
static void emit_text(Agent *a, usec_t t, const char *mark, const char *format, ...) {
        unsigned long long s = t / USEC_PER_SEC;
        va_list ap;

        fprintf(a->out, "  %02llu:%02llu:%02llu  %-2s ", s / 3600, s / 60 % 60, s % 60, mark);
        va_start(ap, format);
        vfprintf(a->out, format, ap);
        va_end(ap);
        fputc('\n', a->out);
}

static const char *players_word(int n) {
        return n == 1 ? "player" : "players";
}

static void agent_on_player(Agent *a, const PacketAddr *peer, bool joined, const char *reason, usec_t now) {
        char addr[PACKET_ADDR_STRLEN];
        int players;

        packet_addr_to_string(peer, addr);
        /* The event first, then the watchdog's reaction to it. */
        players = MAX(agent_count_players(a, NULL), 0);

        if (a->mode == AGENT_REPLAY) {
                if (a->format == OUTPUT_TEXT)
                        emit_text(a, now, joined ? "+" : "-", "%s %-24s %s%s%s — %d %s on", joined ? "joined" : "left  ",
                                  addr, reason ? "(" : "", reason ? reason : "", reason ? ")" : "", players,
                                  players_word(players));
                else if (joined)
                        emit_json(a, json_pack("{s:f,s:s,s:s,s:i}", "t", seconds(now), "event", "player_joined", "peer",
                                               addr, "players", players));
                else
                        emit_json(a, json_pack("{s:f,s:s,s:s,s:s,s:i}", "t", seconds(now), "event", "player_left",
                                               "peer", addr, "reason", reason, "players", players));
                agent_players_changed(a);
                return;
        }

        {
                char f_players[32], f_peer[PACKET_ADDR_STRLEN + 16];
                snprintf(f_players, sizeof(f_players), "SIGRUN_PLAYERS=%d", players);
                snprintf(f_peer, sizeof(f_peer), "SIGRUN_PEER=%s", addr);
                if (joined)
                        log_struct(LOG_INFO, LOG_FIELDS("SIGRUN_EVENT=player_joined", f_players, f_peer),
                                   "Player joined from %s, %d %s on.", addr, players, players_word(players));
                else
                        log_struct(LOG_INFO,
                                   LOG_FIELDS("SIGRUN_EVENT=player_left", f_players, f_peer,
                                              streq(reason, "closed") ? "SIGRUN_REASON=closed" : "SIGRUN_REASON=timeout"),
                                   "Player at %s left (%s), %d %s on.", addr, reason, players, players_word(players));
        }
        if (a->config->discord_notify_joins && a->notifier) {
                char text[128];
                snprintf(text, sizeof(text), "%d %s on now.", players, players_word(players));
                notifier_post(a->notifier, joined ? "A player joined" : "A player left", text,
                              joined ? COLOR_GREEN : COLOR_BLUE);
        }
        agent_players_changed(a);
}

static void on_peer_joined(const PacketAddr *peer, usec_t now, void *userdata) {
        agent_on_player(userdata, peer, true, NULL, now);
}

static void on_peer_left(const PacketAddr *peer, PeerLeaveReason reason, usec_t now, void *userdata) {
        agent_on_player(userdata, peer, false, peer_leave_reason_to_string(reason), now);
}

static void on_policy_event(const PolicyEvent *ev, void *userdata) {
        Agent *a = userdata;
        const char *name = policy_event_to_string(ev->type);
        const char *action = watchdog_action_names[a->config->watchdog_action];
        char in[FORMAT_DURATION_MAX] = "";

        if (ev->stop_at != USEC_INFINITY && ev->stop_at >= ev->at)
                format_duration(in, sizeof(in), ev->stop_at - ev->at);

        if (a->mode == AGENT_REPLAY) {
                if (a->format == OUTPUT_TEXT) {
                        switch (ev->type) {
                        case POLICY_EVENT_SHUTDOWN:
                                emit_text(a, ev->at, "!!", "SHUTDOWN (%s): stop the game, save the world, then %s "
                                          "(not carried out in replay)", ev->reason, action);
                                break;
                        case POLICY_EVENT_IDLE_STARTED:
                                if (streq_ptr(ev->reason, "startup_grace"))
                                        emit_text(a, ev->at, "..", "startup grace: stop in %s unless someone joins", in);
                                else
                                        emit_text(a, ev->at, "..", "nobody on: stop in %s (%s)", in, ev->reason);
                                break;
                        case POLICY_EVENT_READY:
                                emit_text(a, ev->at, "..", "the game answers on UDP %u", a->profile->ports[0]);
                                break;
                        case POLICY_EVENT_IDLE_CANCELLED:
                                emit_text(a, ev->at, "..", "stop cancelled (%s)", ev->reason);
                                break;
                        case POLICY_EVENT_IDLE_WARNING:
                                emit_text(a, ev->at, "!", "warning: stopping in %s", in);
                                break;
                        default:
                                emit_text(a, ev->at, "..", "%s%s%s", name, ev->reason ? ": " : "", ev->reason ? ev->reason : "");
                        }
                        return;
                }
                json_t *o = json_pack("{s:f,s:s}", "t", seconds(ev->at), "event", name);
                if (ev->reason)
                        json_object_set_new(o, "reason", json_string(ev->reason));
                if (ev->type == POLICY_EVENT_SHUTDOWN)
                        json_object_set_new(o, "action", json_string(action));
                else if (ev->stop_at != USEC_INFINITY)
                        json_object_set_new(o, "stop_at", json_real(seconds(ev->stop_at)));
                emit_json(a, o);
                if (ev->type == POLICY_EVENT_SHUTDOWN)
                        a->shutdown_decided = true;
                return;
        }

        {
                char f_event[64], f_reason[96];
                snprintf(f_event, sizeof(f_event), "SIGRUN_EVENT=%s", name);
                snprintf(f_reason, sizeof(f_reason), "SIGRUN_REASON=%s", ev->reason ? ev->reason : "");
                switch (ev->type) {
                case POLICY_EVENT_SHUTDOWN:
                        log_struct(LOG_NOTICE, LOG_FIELDS(f_event, f_reason), "Stopping the server (%s): game first, then %s.",
                                   ev->reason, action);
                        break;
                case POLICY_EVENT_UNKNOWN_ALERT:
                        log_struct(LOG_WARNING, LOG_FIELDS(f_event, f_reason),
                                   "No source can count players; not stopping while that lasts.");
                        break;
                default:
                        log_struct(LOG_INFO, LOG_FIELDS(f_event, f_reason), "Watchdog: %s%s%s%s%s%s.", name,
                                   ev->reason ? " (" : "", ev->reason ? ev->reason : "", ev->reason ? ")" : "",
                                   in[0] ? ", stop in " : "", in);
                }
        }

        if (a->notifier) {
                char text[256];
                switch (ev->type) {
                case POLICY_EVENT_IDLE_WARNING:
                        snprintf(text, sizeof(text), "Nobody is playing: the server stops in %s. Join to keep it up.", in);
                        notifier_post(a->notifier, "Stopping soon", text, COLOR_ORANGE);
                        break;
                case POLICY_EVENT_UNKNOWN_ALERT:
                        notifier_post(a->notifier, "Cannot count players",
                                      "No player source works; the server stays up until that is fixed.", COLOR_RED);
                        break;
                case POLICY_EVENT_SHUTDOWN:
                        snprintf(text, sizeof(text), "Stopping the server (%s). The world is saved first.", ev->reason);
                        notifier_post(a->notifier, "Server stopping", text, COLOR_RED);
                        break;
                default:
                        break;
                }
        }

        if (ev->type == POLICY_EVENT_SHUTDOWN) {
                a->shutdown_decided = true;
                if (a->shutdown)
                        (void) shutdown_start(a->shutdown, ev->reason);
        }
        agent_update_status(a);
}

/* ---- deadlines ----------------------------------------------------------- */

static usec_t agent_next_deadline(Agent *a) {
        usec_t d = USEC_INFINITY;

        if (a->peers)
                d = MIN(d, peer_table_next_deadline(a->peers));
        if (a->policy)
                d = MIN(d, policy_next_deadline(a->policy));
        return d;
}

/* Fire every deadline before `until` (or up to and including it), each at its
 * own time. Before a packet, only the deadlines strictly before it fire: a
 * player whose packet arrives exactly at the stop deadline wins. */
static void agent_advance(Agent *a, usec_t until, bool inclusive) {
        for (;;) {
                usec_t d = agent_next_deadline(a);
                if (d == USEC_INFINITY || d > until || (!inclusive && d == until))
                        break;
                if (a->mode == AGENT_REPLAY)
                        a->now = MAX(a->now, d);
                if (a->peers)
                        peer_table_expire(a->peers, d);
                if (a->policy)
                        policy_tick(a->policy, d);
                if (agent_next_deadline(a) <= d) {
                        /* A component that does not move its deadline forward would spin us. */
                        log_debug("Deadline %llu did not advance.", (unsigned long long) d);
                        break;
                }
        }
        if (a->mode == AGENT_REPLAY)
                a->now = MAX(a->now, until);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        agent_advance(a, agent_now(a), true);
        agent_arm_deadline(a);
        return 0;
}

static void agent_arm_deadline(Agent *a) {
        usec_t d;

        if (a->mode != AGENT_LIVE || !a->deadline_timer)
                return;
        d = agent_next_deadline(a);
        if (d == USEC_INFINITY) {
                sd_event_source_set_enabled(a->deadline_timer, SD_EVENT_OFF);
                return;
        }
        sd_event_source_set_time(a->deadline_timer, d);
        sd_event_source_set_enabled(a->deadline_timer, SD_EVENT_ONESHOT);
}

/* ---- packets ------------------------------------------------------------- */

static void agent_on_packet(usec_t ts, const uint8_t *data, size_t caplen, void *userdata) {
        Agent *a = userdata;
        UdpDatagram d;
        const PacketAddr *peer;
        bool to_server, from_server;
        GnsKind kind;
        usec_t now;
        int r;

        if (a->mode == AGENT_REPLAY) {
                if (!a->clock_started) {
                        a->clock_started = true;
                        a->origin = ts;
                }
                /* Timestamps that go backwards (merged captures) do not move the clock back. */
                now = ts > a->origin ? ts - a->origin : 0;
                agent_advance(a, MAX(now, a->now), false);
                now = a->now;
        } else
                now = agent_now(a);

        a->packets++;
        r = packet_decode_udp(a->linktype, data, caplen, &d);
        if (r == -ENOMSG)  /* not UDP over IP: nothing to do with the game */
                return;
        if (r < 0) {
                a->malformed++;
                return;
        }

        to_server = game_profile_is_game_port(a->profile, d.dst.port);
        from_server = !to_server && game_profile_is_game_port(a->profile, d.src.port);
        if (!to_server && !from_server)
                return;
        /* Live, the server's side must be this host: a spoofed "server" address
         * cannot make players. (A replayed capture has no host to ask.) */
        if (a->mode == AGENT_LIVE && a->config->capture_local_only &&
            !local_addrs_contain(&a->local, to_server ? &d.dst : &d.src))
                return;
        peer = to_server ? &d.src : &d.dst;

        if (a->profile->protocol == PROFILE_PROTOCOL_GNS)
                kind = gns_classify_udp(&d);
        else
                kind = d.wire_len > 0 ? GNS_DATA : GNS_MALFORMED;
        if (kind == GNS_MALFORMED) {
                a->malformed++;
                return;
        }

        /* In replay the server answering on its game port is what "ready" means. */
        if (a->mode == AGENT_REPLAY && from_server && !a->ready)
                agent_set_ready(a, "the server answers on its game port");

        peer_table_observe(a->peers, now, peer, from_server, kind);
        if (a->mode == AGENT_LIVE)
                agent_arm_deadline(a);
}

/* ---- status -------------------------------------------------------------- */

static void agent_update_status(Agent *a) {
        char status[256], phrase[128] = "", up[FORMAT_DURATION_MAX], names_buf[128] = "";
        const char *const *names = NULL;
        int players;
        size_t used = 0;

        if (a->mode != AGENT_LIVE)
                return;
        players = agent_count_players(a, &names);
        for (size_t i = 0; names && names[i] && i < NAMES_MAX && used < sizeof(names_buf); i++)
                used += (size_t) snprintf(names_buf + used, sizeof(names_buf) - used, "%s%s", i ? ", " : " (", names[i]);
        if (used > 0 && used < sizeof(names_buf) - 1)
                strcat(names_buf, ")");
        if (a->policy)
                policy_describe(a->policy, agent_now(a), phrase, sizeof(phrase));
        format_duration(up, sizeof(up), (agent_now(a) - a->start_mono) / USEC_PER_MINUTE * USEC_PER_MINUTE);
        if (players < 0)
                snprintf(status, sizeof(status), "players unknown · %s · up %s", phrase, up);
        else
                snprintf(status, sizeof(status), "%d %s%s · %s · up %s", players, players_word(players), names_buf,
                         phrase, up);
        if (streq(status, a->status))
                return;
        snprintf(a->status, sizeof(a->status), "%s", status);
        (void) sd_notifyf(false, "STATUS=%s", status);
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        /* Addresses change (DHCP, a new interface); the once-a-minute refresh
         * follows them. Also notices sources that broke without telling. */
        (void) local_addrs_refresh(&a->local);
        agent_players_changed(a);
        agent_arm_deadline(a);
        agent_update_status(a);
        sd_event_source_set_time(s, usec + STATUS_REFRESH_INTERVAL);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* The game is ready once its UDP port is bound (the kernel's socket table says so). */
static bool udp_port_bound(uint16_t port) {
        static const char *const tables[] = { "/proc/self/net/udp", "/proc/self/net/udp6" };

        for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                _cleanup_fclose_ FILE *f = fopen(tables[i], "re");
                char line[512];
                if (!f)
                        continue;
                while (fgets(line, sizeof(line), f)) {
                        char local[64];
                        unsigned p;
                        const char *colon;
                        if (sscanf(line, " %*d: %63s", local) != 1)
                                continue;
                        colon = strrchr(local, ':');
                        if (colon && sscanf(colon + 1, "%x", &p) == 1 && p == port)
                                return true;
                }
        }
        return false;
}

static void agent_post_ready(Agent *a, const char *address) {
        char text[256];

        if (address)
                snprintf(text, sizeof(text), "Connect to `%s:%u`.", address, a->profile->ports[0]);
        else
                snprintf(text, sizeof(text), "The game listens on UDP port %u.", a->profile->ports[0]);
        notifier_post(a->notifier, "Server ready", text, COLOR_GREEN);
}

static void on_imds_address(int r, ImdsInfo *info, void *userdata) {
        Agent *a = userdata;

        if (r < 0)
                log_info_errno(r, "No public address from IMDS (%m); the ready message goes without it.");
        agent_post_ready(a, r >= 0 ? info->public_ipv4 : NULL);
        a->imds = imds_query_free(a->imds);
}

/* The game accepts players: the startup grace starts, Discord hears where to connect. */
static void agent_set_ready(Agent *a, const char *why) {
        int r;

        if (a->ready)
                return;
        a->ready = true;
        if (a->mode == AGENT_REPLAY) {
                if (a->policy)
                        policy_set_ready(a->policy, agent_now(a));
                return;
        }
        log_struct(LOG_INFO, LOG_FIELDS("SIGRUN_EVENT=game_ready"), "The game is ready: %s.", why);
        if (a->policy)
                policy_set_ready(a->policy, agent_now(a));
        if (a->config->public_address && a->config->public_address[0])
                agent_post_ready(a, a->config->public_address);
        else if (notifier_enabled(a->notifier) && !a->imds) {
                /* Ask IMDS for the public address; post when it answers (or does not). */
                r = imds_query_start(a->curl, a->config->imds_endpoint, IMDS_WANT_PUBLIC_IPV4, on_imds_address, a,
                                     &a->imds);
                if (r < 0)
                        agent_post_ready(a, NULL);
        }
        agent_arm_deadline(a);
        agent_update_status(a);
}

static int on_ready_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        if (!a->ready && udp_port_bound(a->profile->ports[0])) {
                char why[64];
                snprintf(why, sizeof(why), "it listens on UDP port %u", a->profile->ports[0]);
                agent_set_ready(a, why);
        }
        if (a->ready)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        sd_event_source_set_time(s, usec + READY_CHECK_INTERVAL);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* ---- API handlers --------------------------------------------------------- */

static json_t *api_status(void *userdata) {
        Agent *a = userdata;
        usec_t now = agent_now(a), stop_at;
        json_t *o, *w;

        o = json_object();
        json_object_set_new(o, "world", json_string(a->config->world_name ? a->config->world_name : ""));
        json_object_set_new(o, "game", json_string(a->profile->name));
        json_object_set_new(o, "players", a->players >= 0 ? json_integer(a->players) : json_null());
        json_object_set_new(o, "ready", json_boolean(a->ready));
        json_object_set_new(o, "uptime", json_integer((json_int_t) ((now - a->start_mono) / USEC_PER_SEC)));
        json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
        w = json_object();
        if (a->policy) {
                char phrase[128];
                json_object_set_new(w, "state", json_string(policy_state_to_string(policy_state(a->policy))));
                stop_at = policy_stop_at(a->policy);
                json_object_set_new(w, "stop_at", stop_at != USEC_INFINITY ? json_time(agent_to_realtime(a, stop_at)) : json_null());
                json_object_set_new(w, "stop_in", stop_at != USEC_INFINITY
                                                          ? json_integer((json_int_t) ((stop_at > now ? stop_at - now : 0) / USEC_PER_SEC))
                                                          : json_null());
                usec_t inhibit = policy_inhibit_until(a->policy);
                json_object_set_new(w, "inhibited_until",
                                    inhibit != 0 && inhibit != USEC_INFINITY && inhibit > now
                                            ? json_time(agent_to_realtime(a, inhibit)) : json_null());
                json_object_set_new(w, "summary", json_string(policy_describe(a->policy, now, phrase, sizeof(phrase))));
        }
        json_object_set_new(w, "action", json_string(watchdog_action_names[a->config->watchdog_action]));
        json_object_set_new(o, "watchdog", w);
        return o;
}

typedef struct PlayerList {
        Agent *agent;
        json_t *list;
} PlayerList;

static void add_capture_player(const PacketAddr *peer, usec_t since, void *userdata) {
        PlayerList *l = userdata;
        /* Never the address: it stays on the host. */
        json_array_append_new(l->list, json_pack("{s:n,s:o,s:[s]}", "name", "since",
                                                 json_time(agent_to_realtime(l->agent, since)), "sources", "capture"));
}

static json_t *api_players(void *userdata) {
        Agent *a = userdata;
        SourceReport reports[3];
        size_t n = agent_reports(a, reports);
        PlayerList l = { .agent = a, .list = json_array() };
        json_t *o, *sources = json_array();
        size_t named = 0;

        for (size_t i = 0; i < n; i++) {
                json_t *s = json_pack("{s:s,s:s}", "name", reports[i].name, "health",
                                      source_health_to_string(reports[i].health));
                json_object_set_new(s, "players", reports[i].health == SOURCE_HEALTHY ? json_integer(reports[i].players)
                                                                                     : json_null());
                if (reports[i].detail)
                        json_object_set_new(s, "detail", json_string(reports[i].detail));
                json_array_append_new(sources, s);
                for (size_t k = 0; reports[i].health == SOURCE_HEALTHY && reports[i].names && reports[i].names[k]; k++) {
                        json_array_append_new(l.list, json_pack("{s:s,s:n,s:[s]}", "name", reports[i].names[k], "since",
                                                                "sources", reports[i].name));
                        named++;
                }
        }
        /* Capture players that no named source accounts for. */
        if (a->peers && !a->config->crossplay && peer_table_players(a->peers) > named) {
                PlayerList extra = { .agent = a, .list = json_array() };
                peer_table_foreach_player(a->peers, add_capture_player, &extra);
                for (size_t i = named; i < json_array_size(extra.list); i++)
                        json_array_append(l.list, json_array_get(extra.list, i));
                json_decref(extra.list);
        }
        o = json_object();
        json_object_set_new(o, "players", a->players >= 0 ? json_integer(a->players) : json_null());
        json_object_set_new(o, "list", l.list);
        json_object_set_new(o, "sources", sources);
        return o;
}

static int api_shutdown(void *userdata, bool force, char **ret_message) {
        Agent *a = userdata;
        const char *const *names = NULL;
        int players = agent_count_players(a, &names), r;

        if (!a->policy)
                return -EOPNOTSUPP;
        if (players < 0 && !force) {
                *ret_message = strdup("no source can tell who is on; use force to stop anyway");
                return -EBUSY;
        }
        if (players > 0 && !force) {
                char buf[256];
                size_t used = (size_t) snprintf(buf, sizeof(buf), "%d %s on", players, players_word(players));
                for (size_t i = 0; names && names[i] && used < sizeof(buf); i++)
                        used += (size_t) snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? ", " : ": ", names[i]);
                *ret_message = strdup(buf);
                return -EBUSY;
        }
        r = policy_request_shutdown(a->policy, agent_now(a), force);
        if (r == -EBUSY) {
                *ret_message = strdup("players are on");
                return r;
        }
        return r;
}

static int api_inhibit(void *userdata, uint64_t secs, json_t **ret_body) {
        Agent *a = userdata;
        usec_t now = agent_now(a), until = 0, real_until = 0;
        int r;

        if (!a->policy)
                return -EOPNOTSUPP;
        if (secs > 0) {
                until = now + secs * USEC_PER_SEC;
                real_until = realtime_now() + secs * USEC_PER_SEC;
        }
        policy_set_inhibit(a->policy, now, until);
        r = inhibit_save(a->config->state_directory, real_until);
        if (r < 0)
                log_warning_errno(r, "Failed to save the inhibit under %s, it will not survive a restart: %m",
                                  a->config->state_directory);
        if (secs > 0)
                log_struct(LOG_INFO, LOG_FIELDS("SIGRUN_EVENT=inhibit"), "Idle stops held off for %llu s.",
                           (unsigned long long) secs);
        else
                log_struct(LOG_INFO, LOG_FIELDS("SIGRUN_EVENT=inhibit"), "Idle stop inhibit cleared.");
        agent_arm_deadline(a);
        agent_update_status(a);
        *ret_body = json_pack("{s:o}", "inhibited_until", secs ? json_time(real_until) : json_null());
        return 0;
}

static const ApiHandlers api_handlers = {
        .status = api_status,
        .players = api_players,
        .shutdown = api_shutdown,
        .inhibit = api_inhibit,
};

/* ---- setup ---------------------------------------------------------------- */

Agent *agent_free(Agent *a) {
        if (!a)
                return NULL;
        api_server_free(a->api);
        imds_query_free(a->imds);
        shutdown_free(a->shutdown);
        notifier_free(a->notifier);
        curl_event_free(a->curl);
        policy_free(a->policy);
        a2s_query_free(a->a2s);
        log_watch_free(a->log);
        peer_table_free(a->peers);
        capture_free(a->capture);
        sd_event_source_disable_unref(a->deadline_timer);
        sd_event_source_disable_unref(a->ready_timer);
        sd_event_source_disable_unref(a->status_timer);
        sd_event_source_disable_unref(a->capture_retry_timer);
        free(a->capture_error);
        sd_event_unref(a->event);
        game_profile_free(a->profile);
        agent_config_free(a->config);
        free(a->config_path);
        free(a);
        return NULL;
}

static int agent_setup_policy(Agent *a, usec_t now) {
        PolicyConfig pc = {
                .startup_grace = a->config->watchdog_startup_grace,
                .idle_timeout = a->config->watchdog_idle_timeout,
                .warn_before = a->config->watchdog_warn_before,
                .max_unknown = a->config->watchdog_max_unknown,
        };

        return policy_new(&pc, now, on_policy_event, a, &a->policy);
}

int agent_new(AgentMode mode, AgentConfig *config, const char *config_path, Agent **ret) {
        _cleanup_(agent_freep) Agent *a = NULL;
        ConfErrors errors = {};
        PeerTableConfig pc;
        static const PeerCallbacks callbacks = { .joined = on_peer_joined, .left = on_peer_left };
        int r;

        a = calloc(1, sizeof(*a));
        if (!a) {
                agent_config_free(config);
                return log_oom();
        }
        a->mode = mode;
        a->config = config;
        a->players = -2; /* neither a count nor "unknown": the first update always lands */
        a->out = stdout;
        if (config_path) {
                a->config_path = strdup(config_path);
                if (!a->config_path)
                        return log_oom();
        }

        r = game_profile_load(config->game_profile, &a->profile, &errors);
        if (r < 0) {
                conf_errors_print(&errors, stderr);
                conf_errors_free(&errors);
                return log_error_errno(r, "Failed to load game profile %s.", config->game_profile);
        }
        if (config->game_port > 0)
                a->profile->ports[0] = (uint16_t) config->game_port;
        if (a->profile->query_port_offset > 0)
                a->query_port = (uint16_t) (a->profile->ports[0] + a->profile->query_port_offset);

        pc = (PeerTableConfig) {
                .max_peers = config->capture_peer_limit,
                .silence_timeout = config->capture_peer_timeout,
                .confirm_time = config->capture_confirm_time,
                .unestablished_timeout = MIN(config->capture_peer_timeout, PEER_UNESTABLISHED_TIMEOUT_DEFAULT),
        };
        r = peer_table_new(&pc, &callbacks, a, &a->peers);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the peer table: %m");

        r = sd_event_default(&a->event);
        if (r < 0)
                return log_error_errno(r, "Failed to get the event loop: %m");

        *ret = TAKE_PTR(a);
        return 0;
}

int agent_replay(Agent *a, const char *path, OutputFormat format, FILE *out) {
        _cleanup_free_ char *error = NULL;
        int r;

        a->format = format;
        a->out = out;
        r = capture_open_offline(path, &a->capture, &error);
        if (r < 0)
                return log_error_errno(r, "Failed to open capture %s: %s", path, error ? error : "unknown error");
        a->linktype = capture_linktype(a->capture);
        if (!packet_linktype_supported(a->linktype))
                return log_error_errno(EPROTONOSUPPORT, "Capture %s has link type %s, which sigrun-agent cannot decode "
                                       "(Ethernet, Linux cooked v1/v2, raw IPv4/IPv6, BSD loopback).",
                                       path, capture_linktype_name(a->capture));

        /* The watchdog runs on capture time, from the first packet on. Replay never acts. */
        r = agent_setup_policy(a, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the watchdog: %m");

        if (format == OUTPUT_TEXT) {
                char idle[FORMAT_DURATION_MAX];
                fprintf(out, "Replaying %s (%s), game %s on UDP %u, watchdog: stop %s after the last player leaves\n\n",
                        path, capture_linktype_name(a->capture), a->profile->name, a->profile->ports[0],
                        format_duration(idle, sizeof(idle), a->config->watchdog_idle_timeout));
        }

        r = capture_run_offline(a->capture, agent_on_packet, a, &error);
        /* What is due at the last packet's time happens before the summary. */
        agent_advance(a, a->now, true);
        if (r < 0)
                log_warning("Capture %s is damaged after %llu packets (%s); the timeline stops there.", path,
                            (unsigned long long) a->packets, error ? error : "read error");

        if (format == OUTPUT_TEXT) {
                int players = MAX(a->players, 0);
                fprintf(out, "\n  %llu packets, %llu peers seen, %llu malformed; %d %s on at the end%s\n",
                        (unsigned long long) a->packets, (unsigned long long) peer_table_peers_seen(a->peers),
                        (unsigned long long) a->malformed, players, players_word(players),
                        a->shutdown_decided ? "; the watchdog stopped the server." : ".");
        } else
                emit_json(a, json_pack("{s:f,s:s,s:i,s:I,s:I,s:I}", "t", seconds(a->now), "event", "summary", "players",
                                       MAX(a->players, 0), "peers_seen", (json_int_t) peer_table_peers_seen(a->peers),
                                       "packets", (json_int_t) a->packets, "malformed", (json_int_t) a->malformed));
        fflush(out);
        if (ferror(out))
                return log_error_errno(EIO, "Failed to write the timeline.");
        return 0;
}

/* ---- privileges ------------------------------------------------------------ */

/* Keep CAP_NET_RAW only in the permitted and effective sets: the capture may
 * have to be reopened (an interface that went away), but nothing we run
 * (the exec action) inherits it. Started as root with `user` set, become that
 * user (with its groups: systemd-journal lets it read the game's log) and
 * drop every other capability from the bounding set as well. */
static int drop_privileges(const char *user) {
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = {};
        struct passwd *pw;

        /* Whatever we are, children get no ambient capabilities. */
        (void) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

        if (!user || !user[0] || geteuid() != 0)
                return 0;
        errno = 0;
        pw = getpwnam(user);
        if (!pw)
                return log_error_errno(errno ? errno : ESRCH, "Cannot drop privileges: no user \"%s\".", user);
        for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
                if (cap != CAP_NET_RAW && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return log_error_errno(errno, "Failed to drop capability %d from the bounding set: %m", cap);
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return log_error_errno(errno, "PR_SET_KEEPCAPS failed: %m");
        if (initgroups(user, pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
                return log_error_errno(errno, "Failed to become %s: %m", user);
        data[CAP_TO_INDEX(CAP_NET_RAW)].permitted = CAP_TO_MASK(CAP_NET_RAW);
        data[CAP_TO_INDEX(CAP_NET_RAW)].effective = CAP_TO_MASK(CAP_NET_RAW);
        if (syscall(SYS_capset, &hdr, data) < 0)
                return log_error_errno(errno, "Failed to keep CAP_NET_RAW: %m");
        (void) prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return log_error_errno(errno, "Failed to set no_new_privs: %m");
        log_info("Running as %s with CAP_NET_RAW only.", user);
        return 0;
}

/* ---- live ------------------------------------------------------------------- */

static int on_signal_exit(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Agent *a = userdata;

        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(a->event, 0);
}

static int agent_start_sources(Agent *a) {
        int r;

        /* Only what is not running yet: a reload frees what changed. */
        if (!a->log && a->config->log_source != LOG_SOURCE_OFF && a->profile->log_format == PROFILE_LOG_VALHEIM) {
                LogWatchConfig lc = {
                        .kind = a->config->log_source,
                        .unit = a->config->log_unit,
                        .file = a->config->log_file,
                        .crossplay = a->config->crossplay,
                };
                r = log_watch_new(a->event, &lc, agent_source_changed, a, &a->log);
                if (r < 0)
                        log_warning_errno(r, "The game log source is not available, counting without it: %m");
        } else if (!a->log && a->config->crossplay)
                log_warning("Crossplay is on but the log source is off: no source can count players.");

        if (!a->a2s && a->config->a2s_enabled && a->config->public_server && a->query_port > 0) {
                r = a2s_query_new(a->event, "127.0.0.1", a->query_port, a->config->a2s_interval, a->config->a2s_timeout,
                                  agent_source_changed, a, &a->a2s);
                if (r < 0)
                        log_warning_errno(r, "A2S queries are not available, counting without them: %m");
        }
        return 0;
}

static void agent_log_trust(Agent *a) {
        if (a->config->crossplay)
                log_notice("Crossplay mode: only the game's log (%s) can count players; capture and A2S are not trusted.",
                           a->log ? (a->config->log_source == LOG_SOURCE_FILE ? a->config->log_file : a->config->log_unit)
                                  : "not available");
        else
                log_info("Counting players from: capture on %s%s%s.", a->capture ? capture_ifname(a->capture) : "(not open)",
                         a->log ? ", the game's log" : "", a->a2s ? ", A2S" : "");
}

static int agent_start_api(Agent *a) {
        ApiConfig ac = {
                .listen = a->config->api_listen,
                .key = a->config->api_key_set ? a->config->api_key : NULL,
                .max_connections = (unsigned) a->config->api_max_connections,
                .max_connections_per_ip = (unsigned) a->config->api_max_connections_per_ip,
                .connection_timeout_sec = (unsigned) (a->config->api_connection_timeout / USEC_PER_SEC),
                .body_max = 4096,
        };

        if (!a->config->api_listen || !a->config->api_listen[0])
                return 0;
        return api_server_new(a->event, &ac, &api_handlers, a, &a->api);
}

static void agent_load_inhibit(Agent *a) {
        char left[FORMAT_DURATION_MAX];
        usec_t until, rt = realtime_now();
        int r;

        r = inhibit_load(a->config->state_directory, &until);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                log_warning_errno(r, "Ignoring the saved inhibit in %s: %m", a->config->state_directory);
                return;
        }
        if (until <= rt)
                return;
        /* A damaged state file must not hold off stops for ever: the API allows 31 days. */
        if (until - rt > 31 * USEC_PER_DAY) {
                log_warning("Ignoring the saved inhibit in %s: it ends more than 31 days from now.",
                            a->config->state_directory);
                return;
        }
        policy_set_inhibit(a->policy, agent_now(a), agent_now(a) + (until - rt));
        log_info("Idle stops stay inhibited for %s more (saved before the restart).",
                 format_duration(left, sizeof(left), until - rt));
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata);

#define CAPTURE_RETRY_INTERVAL (10 * USEC_PER_SEC)

static void on_capture_failed(void *userdata);

/* READY=1 means the capture is open and the API listens. Until the capture
 * opens the agent keeps running (the watchdog counts players as unknown),
 * but systemd keeps the unit "activating" and STATUS= says why. */
static void agent_notify_ready(Agent *a) {
        if (!a->running || a->notified_ready || !a->capture || capture_failed(a->capture))
                return;
        a->notified_ready = true;
        (void) sd_notify(false, "READY=1");
}

static int agent_open_capture(Agent *a) {
        _cleanup_(capture_freep) Capture *c = NULL;
        _cleanup_free_ char *filter = NULL, *error = NULL;
        int r;

        r = game_profile_bpf_filter(a->profile, &filter);
        if (r < 0)
                return log_error_errno(r, "Failed to build the capture filter: %m");
        r = capture_open_live(a->config->capture_interface, filter, a->config->capture_buffer_size, &c, &error);
        if (r >= 0 && !packet_linktype_supported(capture_linktype(c))) {
                r = -EPROTONOSUPPORT;
                if (asprintf(&error, "cannot decode the link type of %s (%s)", capture_ifname(c),
                             capture_linktype_name(c)) < 0)
                        error = NULL;
        }
        if (r >= 0)
                r = capture_attach(c, a->event, agent_on_packet, on_capture_failed, a);
        if (r < 0) {
                char *msg = error ? TAKE_PTR(error) : strdup(strerror(-r));
                if (!streq_ptr(msg, a->capture_error))
                        log_struct(LOG_ERR, LOG_FIELDS("SIGRUN_EVENT=capture_failed"),
                                   "Capture is off: %s. Counting without it; retrying every %llus.",
                                   msg ? msg : "out of memory",
                                   (unsigned long long) (CAPTURE_RETRY_INTERVAL / USEC_PER_SEC));
                free(a->capture_error);
                a->capture_error = msg;
                return r;
        }

        r = local_addrs_refresh(&a->local);
        if (r < 0)
                log_warning_errno(r, "Failed to read this host's addresses: %m");
        capture_free(a->capture);
        a->capture = TAKE_PTR(c);
        a->linktype = capture_linktype(a->capture);
        a->capture_error = mfree(a->capture_error);
        log_info("Capturing \"%s\" on %s (%s).", filter, capture_ifname(a->capture), capture_linktype_name(a->capture));
        agent_notify_ready(a);
        return 0;
}

static void agent_retry_capture_later(Agent *a) {
        sd_event_source_set_time_relative(a->capture_retry_timer, CAPTURE_RETRY_INTERVAL);
        sd_event_source_set_enabled(a->capture_retry_timer, SD_EVENT_ONESHOT);
}

static int on_capture_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Agent *a = userdata;

        if (agent_open_capture(a) < 0)
                agent_retry_capture_later(a);
        agent_source_changed(a);
        return 0;
}

/* The interface went away under a running capture. The Capture cannot be
 * freed from inside its own callback: the retry timer replaces it. */
static void on_capture_failed(void *userdata) {
        Agent *a = userdata;
        const char *why = capture_error(a->capture);

        free(a->capture_error);
        a->capture_error = strdup(why ? why : "the capture failed");
        log_struct(LOG_ERR, LOG_FIELDS("SIGRUN_EVENT=capture_failed"),
                   "Capture on %s failed: %s. Counting without it; retrying every %llus.", capture_ifname(a->capture),
                   why ? why : "unknown error", (unsigned long long) (CAPTURE_RETRY_INTERVAL / USEC_PER_SEC));
        agent_retry_capture_later(a);
        agent_source_changed(a);
}

int agent_run(Agent *a) {
        const char *state_dir = getenv("STATE_DIRECTORY");
        int r;

        if (state_dir && state_dir[0]) {
                char *s = strdup(state_dir);
                if (!s)
                        return log_oom();
                /* systemd may pass several, colon-separated: the first is ours. */
                s[strcspn(s, ":")] = '\0';
                free(a->config->state_directory);
                a->config->state_directory = s;
        }

        /* A capture that cannot open is a failed source, not a reason to exit:
         * an agent that is not running can never stop the instance. */
        r = sd_event_add_time(a->event, &a->capture_retry_timer, CLOCK_MONOTONIC, USEC_INFINITY, USEC_PER_SEC,
                              on_capture_retry, a);
        if (r < 0)
                return log_error_errno(r, "Failed to add a timer: %m");
        if (agent_open_capture(a) < 0)
                agent_retry_capture_later(a);

        r = sd_event_now(a->event, CLOCK_MONOTONIC, &a->start_mono);
        if (r < 0)
                return log_error_errno(r, "Failed to read the clock: %m");

        r = curl_event_new(a->event, &a->curl);
        if (r < 0)
                return log_error_errno(r, "Failed to set up HTTP requests: %m");
        r = notifier_new(a->event, a->curl, a->config->discord_webhook, &a->notifier);
        if (r < 0)
                return log_error_errno(r, "Failed to set up Discord notifications: %m");
        r = shutdown_new(a->event, a->config, a->curl, a->notifier, &a->shutdown);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the shutdown actions: %m");
        shutdown_set_retry_interval(a->shutdown, a->config->watchdog_action_retry, SHUTDOWN_RETRY_MAX);
        r = agent_setup_policy(a, a->start_mono);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the watchdog: %m");

        r = agent_start_api(a);
        if (r < 0)
                /* api_server_new() said which address and why. Counting and stopping
                 * matter more than the API: go on without it. */
                log_warning("Running without the connection API.");

        r = drop_privileges(a->config->user);
        if (r < 0)
                return r;

        agent_start_sources(a);
        agent_log_trust(a);
        agent_load_inhibit(a);

        r = sd_event_add_time(a->event, &a->deadline_timer, CLOCK_MONOTONIC, USEC_INFINITY, 100 * USEC_PER_MSEC,
                              on_deadline, a);
        if (r < 0)
                return log_error_errno(r, "Failed to add a timer: %m");
        r = sd_event_add_time(a->event, &a->ready_timer, CLOCK_MONOTONIC, 0, USEC_PER_SEC, on_ready_timer, a);
        if (r < 0)
                return log_error_errno(r, "Failed to add a timer: %m");
        r = sd_event_add_time_relative(a->event, &a->status_timer, CLOCK_MONOTONIC, STATUS_REFRESH_INTERVAL,
                                       USEC_PER_SEC, on_status_timer, a);
        if (r < 0)
                return log_error_errno(r, "Failed to add a timer: %m");

        if (sigprocmask(SIG_BLOCK, &(sigset_t) {}, NULL) < 0)
                return log_error_errno(errno, "sigprocmask: %m");
        {
                sigset_t mask;
                sigemptyset(&mask);
                sigaddset(&mask, SIGTERM);
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGHUP);
                sigprocmask(SIG_BLOCK, &mask, NULL);
        }
        r = sd_event_add_signal(a->event, NULL, SIGTERM, on_signal_exit, a);
        if (r >= 0)
                r = sd_event_add_signal(a->event, NULL, SIGINT, on_signal_exit, a);
        if (r >= 0)
                r = sd_event_add_signal(a->event, NULL, SIGHUP, on_sighup, a);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");
        r = sd_event_set_watchdog(a->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the service watchdog: %m");

        agent_players_changed(a);
        agent_arm_deadline(a);
        agent_update_status(a);
        a->running = true;
        agent_notify_ready(a);

        r = sd_event_loop(a->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}

/* SIGHUP: read the configuration again; a bad one is reported and the running
 * one kept. Settings that need the capture or the API reopened are applied by a
 * restart; everything else takes effect now. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Agent *a = userdata;
        _cleanup_(agent_config_freep) AgentConfig *c = NULL;
        ConfErrors errors = {};
        AgentConfig *old;
        int r;

        if (a->shutdown_decided) {
                log_warning("Ignoring SIGHUP: the server is stopping.");
                return 0;
        }
        r = agent_config_load(a->config_path, false, &c, &errors);
        if (r < 0) {
                for (size_t i = 0; i < errors.n; i++)
                        log_error("%s:%u:%u: %s%s%s", errors.items[i].file, errors.items[i].line, errors.items[i].column,
                                  errors.items[i].key ? errors.items[i].key : "", errors.items[i].key ? ": " : "",
                                  errors.items[i].message ? errors.items[i].message : "");
                conf_errors_free(&errors);
                log_error("Keeping the running configuration: %s has errors.", a->config_path ? a->config_path : "the configuration");
                return 0;
        }
        old = a->config;
        if (!streq_ptr(c->capture_interface, old->capture_interface) || c->game_port != old->game_port ||
            !streq_ptr(c->game_profile, old->game_profile) || c->capture_peer_limit != old->capture_peer_limit ||
            c->capture_buffer_size != old->capture_buffer_size || !streq_ptr(c->user, old->user))
                log_warning("capture.interface, capture.peer_limit, capture.buffer_size, game.profile, game.port and "
                            "agent.user take effect on restart only.");
        peer_table_set_timeouts(a->peers, c->capture_peer_timeout, c->capture_confirm_time,
                                MIN(c->capture_peer_timeout, PEER_UNESTABLISHED_TIMEOUT_DEFAULT));

        /* Keep what the running process resolved or cannot change. */
        free(c->state_directory);
        c->state_directory = strdup(old->state_directory);
        if (!c->state_directory)
                return log_oom();
        log_set_max_level(c->log_level);

        /* Rebuild only what the change touches, new before old, so a failure
         * keeps the running part; untouched parts keep their state (the API its
         * nonce cache, the notifier its queue, the watchdog its countdown). */
        bool notify_changed = !streq_ptr(c->discord_webhook, old->discord_webhook);
        if (notify_changed) {
                Notifier *n = NULL;
                r = notifier_new(a->event, a->curl, c->discord_webhook, &n);
                if (r < 0)
                        log_error_errno(r, "Keeping the old Discord webhook: %m");
                else {
                        notifier_free(a->notifier);
                        a->notifier = n;
                }
        }
        if (notify_changed || c->watchdog_action != old->watchdog_action || !streq_ptr(c->watchdog_exec, old->watchdog_exec) ||
            !streq_ptr(c->watchdog_game_unit, old->watchdog_game_unit) ||
            c->watchdog_game_stop_timeout != old->watchdog_game_stop_timeout ||
            c->watchdog_action_retry != old->watchdog_action_retry || !streq_ptr(c->imds_endpoint, old->imds_endpoint) ||
            !streq_ptr(c->ec2_endpoint, old->ec2_endpoint)) {
                Shutdown *sd = NULL;
                r = shutdown_new(a->event, c, a->curl, a->notifier, &sd);
                if (r < 0)
                        log_error_errno(r, "Keeping the old shutdown actions: %m");
                else {
                        shutdown_set_retry_interval(sd, c->watchdog_action_retry, SHUTDOWN_RETRY_MAX);
                        shutdown_free(a->shutdown);
                        a->shutdown = sd;
                }
        }
        bool api_changed = !strv_equal(c->api_listen, old->api_listen) || c->api_key_set != old->api_key_set ||
                memcmp(c->api_key, old->api_key, sizeof(c->api_key)) != 0 ||
                c->api_max_connections != old->api_max_connections ||
                c->api_max_connections_per_ip != old->api_max_connections_per_ip ||
                c->api_connection_timeout != old->api_connection_timeout;
        bool log_changed = c->log_source != old->log_source || !streq_ptr(c->log_unit, old->log_unit) ||
                !streq_ptr(c->log_file, old->log_file) || c->crossplay != old->crossplay;
        bool a2s_changed = c->a2s_enabled != old->a2s_enabled || c->a2s_interval != old->a2s_interval ||
                c->a2s_timeout != old->a2s_timeout || c->public_server != old->public_server || c->crossplay != old->crossplay;
        bool policy_changed = c->watchdog_startup_grace != old->watchdog_startup_grace ||
                c->watchdog_idle_timeout != old->watchdog_idle_timeout ||
                c->watchdog_warn_before != old->watchdog_warn_before || c->watchdog_max_unknown != old->watchdog_max_unknown;

        a->config = TAKE_PTR(c);
        if (api_changed) {
                /* The listening ports may be the same: the old server must go first. */
                a->api = api_server_free(a->api);
                r = agent_start_api(a);
                if (r < 0)
                        log_error_errno(r, "The connection API is off after the reload: %m");
        }
        if (log_changed)
                a->log = log_watch_free(a->log);
        if (a2s_changed)
                a->a2s = a2s_query_free(a->a2s);
        if (log_changed || a2s_changed)
                agent_start_sources(a);
        if (policy_changed)
                policy_set_config(a->policy, agent_now(a), &(PolicyConfig) {
                        .startup_grace = a->config->watchdog_startup_grace,
                        .idle_timeout = a->config->watchdog_idle_timeout,
                        .warn_before = a->config->watchdog_warn_before,
                        .max_unknown = a->config->watchdog_max_unknown,
                });
        agent_config_free(old);
        a->players = -2;
        agent_players_changed(a);
        agent_arm_deadline(a);
        agent_update_status(a);
        log_info("Configuration reloaded.");
        return 0;
}
