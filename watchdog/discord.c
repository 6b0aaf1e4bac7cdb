/* SPDX-License-Identifier: MIT */
/*
 * Discord webhook notifier (see discord.h). One message is in flight at a
 * time, in the order posted: Discord rate-limits per webhook anyway, and a
 * strict order keeps "stopping" after "idle warning" in the channel.
 *
 * The queue is a small array whose first entry is the one being sent. A 429
 * or a transient failure arms a timer that holds the queue; everything else
 * moves on to the next message at once.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "common/log.h"
#include "watchdog/discord.h"

#define RETRY_BACKOFF_FIRST (2 * USEC_PER_SEC)
#define RETRY_AFTER_MIN (50 * USEC_PER_MSEC)

struct Notifier {
        sd_event *event;
        CurlEvent *curl_event;
        char *url;
        char *queue[NOTIFIER_QUEUE_MAX]; /* JSON bodies; [0] is the next or in flight */
        size_t n_queued;
        uint64_t dropped;
        unsigned attempts;       /* failed attempts of queue[0] */
        CURL *in_flight;
        sd_event_source *hold;   /* armed while the queue waits (429, backoff) */
};

/* Copy at most max_chars UTF-8 characters of s (marking a cut with "…") into
 * a JSON string. Text that is not valid UTF-8 (a name from a game log, say)
 * gets its non-ASCII bytes replaced rather than dropping the message. */
static json_t *json_text(const char *s, size_t max_chars) {
        size_t chars = 0, i, cut = 0;
        bool truncated = false;
        _cleanup_free_ char *copy = NULL;
        json_t *j;

        for (i = 0; s[i]; i++) {
                if (((unsigned char) s[i] & 0xC0) == 0x80)
                        continue;
                if (chars == max_chars - 1)
                        cut = i;
                if (chars == max_chars) {
                        truncated = true;
                        break;
                }
                chars++;
        }
        if (!truncated)
                cut = i;

        /* Room for "…" (3 bytes) and the NUL. */
        copy = malloc(cut + 4);
        if (!copy)
                return NULL;
        memcpy(copy, s, cut);
        copy[cut] = 0;
        if (truncated)
                strcat(copy, "\xe2\x80\xa6");

        j = json_string(copy);
        if (j)
                return j;

        for (char *p = copy; *p; p++)
                if ((unsigned char) *p >= 0x80)
                        *p = '?';
        return json_string(copy);
}

int discord_build_message(const char *title, const char *description, uint32_t color, char **ret) {
        json_t *embed = NULL, *root = NULL;
        char *s = NULL;
        int r = -ENOMEM;

        if (!ret)
                return -EINVAL;

        embed = json_object();
        if (!embed)
                goto finish;
        if (title && *title && json_object_set_new(embed, "title", json_text(title, DISCORD_TITLE_MAX)) < 0)
                goto finish;
        if (description && *description &&
            json_object_set_new(embed, "description", json_text(description, DISCORD_DESCRIPTION_MAX)) < 0)
                goto finish;
        if (json_object_set_new(embed, "color", json_integer(color & 0xFFFFFFU)) < 0)
                goto finish;

        root = json_pack("{s:[O],s:{s:[]}}", "embeds", embed, "allowed_mentions", "parse");
        if (!root)
                goto finish;

        s = json_dumps(root, JSON_COMPACT);
        if (!s)
                goto finish;
        *ret = s;
        r = 0;
finish:
        json_decref(embed);
        json_decref(root);
        return r;
}

static usec_t seconds_to_usec(double seconds) {
        if (!isfinite(seconds) || seconds <= 0)
                return RETRY_AFTER_MIN;
        if (seconds >= (double) (DISCORD_RETRY_AFTER_MAX / USEC_PER_SEC))
                return DISCORD_RETRY_AFTER_MAX;
        return MAX((usec_t) (seconds * (double) USEC_PER_SEC), RETRY_AFTER_MIN);
}

usec_t discord_parse_retry_after(const char *body, size_t len, const char *retry_after_header) {
        if (body && len > 0) {
                json_t *root = json_loadb(body, len, 0, NULL);
                json_t *v = json_is_object(root) ? json_object_get(root, "retry_after") : NULL;

                if (json_is_number(v)) {
                        double seconds = json_number_value(v);
                        json_decref(root);
                        return seconds_to_usec(seconds);
                }
                json_decref(root);
        }

        if (retry_after_header && *retry_after_header) {
                char *end;
                double seconds = strtod(retry_after_header, &end);

                while (*end == ' ' || *end == '\t')
                        end++;
                if (end != retry_after_header && *end == 0)
                        return seconds_to_usec(seconds);
        }

        return DISCORD_RETRY_AFTER_DEFAULT;
}

static void queue_drop(Notifier *n, size_t i) {
        free(n->queue[i]);
        memmove(n->queue + i, n->queue + i + 1, (n->n_queued - i - 1) * sizeof(n->queue[0]));
        n->n_queued--;
        if (i == 0)
                n->attempts = 0;
}

static void notifier_send_next(Notifier *n);

static int on_hold_over(sd_event_source *s, uint64_t usec, void *userdata) {
        Notifier *n = userdata;

        n->hold = sd_event_source_disable_unref(n->hold);
        notifier_send_next(n);
        return 0;
}

static void notifier_hold(Notifier *n, usec_t delay) {
        int r;

        r = sd_event_add_time_relative(n->event, &n->hold, CLOCK_MONOTONIC, delay, 0, on_hold_over, n);
        if (r < 0) {
                /* Without a timer the message cannot wait: drop it rather than spin. */
                log_warning_errno(r, "Failed to arm the Discord retry timer, dropping a message: %m");
                queue_drop(n, 0);
                notifier_send_next(n);
                return;
        }
        (void) sd_event_source_set_description(n->hold, "discord-hold");
}

static void on_post_done(CURL *easy, CURLcode result, long status, void *userdata) {
        Notifier *n = userdata;
        struct curl_header *h = NULL;
        const char *body;
        size_t len = 0;

        n->in_flight = NULL;

        if (result == CURLE_OK && status >= 200 && status < 300) {
                queue_drop(n, 0);
                notifier_send_next(n);
                return;
        }

        if (result == CURLE_OK && status == 429) {
                usec_t delay;

                body = curl_event_body(n->curl_event, easy, &len);
                if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
                        h = NULL;
                delay = discord_parse_retry_after(body, len, h ? h->value : NULL);
                log_notice("Discord rate limit hit, next post in %.1fs (%zu queued)",
                           (double) delay / USEC_PER_SEC, n->n_queued);
                notifier_hold(n, delay);
                return;
        }

        if (result != CURLE_OK || status >= 500) {
                n->attempts++;
                if (n->attempts < NOTIFIER_ATTEMPTS_MAX) {
                        usec_t delay = RETRY_BACKOFF_FIRST << (n->attempts - 1);

                        log_warning("Discord webhook post failed (%s), retrying in %.0fs",
                                    result != CURLE_OK ? curl_easy_strerror(result) : "server error",
                                    (double) delay / USEC_PER_SEC);
                        notifier_hold(n, delay);
                        return;
                }
                log_warning("Discord webhook post failed %u times (%s, HTTP %ld), dropping it",
                            n->attempts, result != CURLE_OK ? curl_easy_strerror(result) : "server error",
                            status);
        } else
                /* 4xx: the webhook is wrong or gone; retrying will not help. */
                log_warning("Discord webhook refused a post with HTTP %ld, dropping it", status);

        queue_drop(n, 0);
        notifier_send_next(n);
}

static void notifier_send_next(Notifier *n) {
        struct curl_slist *headers = NULL;
        CURL *easy;
        int r;

        if (n->in_flight || n->hold || n->n_queued == 0)
                return;

        headers = curl_slist_append(NULL, "Content-Type: application/json");
        easy = curl_easy_init();
        if (!headers || !easy ||
            curl_easy_setopt(easy, CURLOPT_URL, n->url) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, n->queue[0]) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_USERAGENT, "DiscordBot (sigrun-agent, " PACKAGE_VERSION ")") != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, NOTIFIER_REQUEST_TIMEOUT_MS) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
                curl_slist_free_all(headers);
                if (easy)
                        curl_easy_cleanup(easy);
                log_warning("Failed to prepare a Discord webhook post, dropping it");
                queue_drop(n, 0);
                return;
        }

        r = curl_event_add_with_headers(n->curl_event, easy, headers, on_post_done, n);
        if (r < 0) {
                log_warning_errno(r, "Failed to start a Discord webhook post, dropping it: %m");
                queue_drop(n, 0);
                return;
        }
        n->in_flight = easy;
}

int notifier_new(sd_event *e, CurlEvent *ce, const char *webhook_url, Notifier **ret) {
        Notifier *n;

        if (!e || !ret)
                return -EINVAL;
        if (webhook_url && *webhook_url && !ce)
                return -EINVAL;

        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        n->event = sd_event_ref(e);
        n->curl_event = ce;
        if (webhook_url && *webhook_url) {
                n->url = strdup(webhook_url);
                if (!n->url)
                        return notifier_free(n), -ENOMEM;
        }
        *ret = n;
        return 0;
}

Notifier *notifier_free(Notifier *n) {
        if (!n)
                return NULL;
        if (n->in_flight)
                curl_event_cancel(n->curl_event, n->in_flight);
        sd_event_source_disable_unref(n->hold);
        while (n->n_queued > 0)
                queue_drop(n, n->n_queued - 1);
        free(n->url);
        sd_event_unref(n->event);
        free(n);
        return NULL;
}

bool notifier_enabled(const Notifier *n) {
        return n && n->url;
}

size_t notifier_queued(const Notifier *n) {
        return n ? n->n_queued : 0;
}

uint64_t notifier_dropped(const Notifier *n) {
        return n ? n->dropped : 0;
}

void notifier_post(Notifier *n, const char *title, const char *description, uint32_t color) {
        char *json;
        int r;

        if (!notifier_enabled(n))
                return;

        r = discord_build_message(title, description, color, &json);
        if (r < 0) {
                log_warning_errno(r, "Failed to build a Discord message: %m");
                return;
        }

        if (n->n_queued == NOTIFIER_QUEUE_MAX) {
                /* Drop the oldest that is not already on the wire. */
                queue_drop(n, n->in_flight ? 1 : 0);
                n->dropped++;
                log_warning("Discord queue full, dropped the oldest message (%" PRIu64 " so far)",
                            n->dropped);
        }
        n->queue[n->n_queued++] = json;
        notifier_send_next(n);
}
