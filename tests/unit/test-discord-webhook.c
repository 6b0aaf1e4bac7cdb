/* SPDX-License-Identifier: MIT */
/* Discord webhook messages as Discord will read them, and 429 parsing. */
#include <string.h>
#include <jansson.h>
#include "tests/unit/unit.h"

#include "watchdog/discord.h"

static json_t *build(const char *title, const char *description, uint32_t color) {
        _cleanup_free_ char *s = NULL;
        json_t *j;

        assert_int_equal(discord_build_message(title, description, color, &s), 0);
        j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(j);
        return j;
}

static size_t utf8_chars(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char) *s & 0xC0) != 0x80)
                        n++;
        return n;
}

static void test_message_is_one_embed_without_pings(void **state) {
        json_t *j = build("Server ready", "Connect to 203.0.113.5:2456 @everyone", NOTIFY_COLOR_OK);
        json_t *embeds = json_object_get(j, "embeds");
        json_t *embed = json_array_get(embeds, 0);

        assert_int_equal(json_array_size(embeds), 1);
        assert_string_equal(json_string_value(json_object_get(embed, "title")), "Server ready");
        assert_string_equal(json_string_value(json_object_get(embed, "description")),
                            "Connect to 203.0.113.5:2456 @everyone");
        assert_int_equal(json_integer_value(json_object_get(embed, "color")), 0x2ecc71);
        /* @everyone in a message must not ping the whole server */
        assert_int_equal(json_array_size(json_object_get(json_object_get(j, "allowed_mentions"), "parse")), 0);
        assert_null(json_object_get(j, "content"));
        json_decref(j);
}

static void test_quotes_and_controls_are_escaped(void **state) {
        json_t *j = build("a \"quoted\" \\ title", "line1\nline2\t\x01", 0);
        json_t *embed = json_array_get(json_object_get(j, "embeds"), 0);

        assert_string_equal(json_string_value(json_object_get(embed, "title")), "a \"quoted\" \\ title");
        assert_string_equal(json_string_value(json_object_get(embed, "description")), "line1\nline2\t\x01");
        json_decref(j);
}

static void test_long_text_is_cut_on_a_character_boundary(void **state) {
        char title[1024] = "";
        json_t *j;
        const char *t;

        /* 300 two-byte characters: Discord allows 256 characters in a title */
        for (int i = 0; i < 300; i++)
                strcat(title, "\xc3\xa9");
        j = build(title, NULL, 1);
        t = json_string_value(json_object_get(json_array_get(json_object_get(j, "embeds"), 0), "title"));
        assert_non_null(t);
        assert_int_equal(utf8_chars(t), DISCORD_TITLE_MAX);
        /* ends with the ellipsis, after whole characters */
        assert_string_equal(t + strlen(t) - 3, "\xe2\x80\xa6");
        assert_memory_equal(t, "\xc3\xa9\xc3\xa9", 4);
        assert_null(json_object_get(json_array_get(json_object_get(j, "embeds"), 0), "description"));
        json_decref(j);
}

static void test_short_text_is_untouched_at_the_limit(void **state) {
        char title[DISCORD_TITLE_MAX + 1];
        json_t *j;

        memset(title, 'x', DISCORD_TITLE_MAX);
        title[DISCORD_TITLE_MAX] = 0;
        j = build(title, "d", 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "embeds"), 0),
                                                              "title")), title);
        json_decref(j);
}

static void test_invalid_utf8_still_makes_a_message(void **state) {
        json_t *j = build("Ragnar\xff joined", NULL, 1);
        const char *t = json_string_value(json_object_get(json_array_get(json_object_get(j, "embeds"), 0), "title"));

        assert_string_equal(t, "Ragnar? joined");
        json_decref(j);
}

static void test_retry_after_from_body(void **state) {
        const char *body = "{\"message\": \"You are being rate limited.\", \"retry_after\": 1.5, \"global\": false}";

        assert_int_equal(discord_parse_retry_after(body, strlen(body), "7"), 1500 * USEC_PER_MSEC);
}

static void test_retry_after_from_header_when_body_has_none(void **state) {
        const char *body = "{\"message\": \"slow down\"}";

        assert_int_equal(discord_parse_retry_after(body, strlen(body), "3"), 3 * USEC_PER_SEC);
        assert_int_equal(discord_parse_retry_after("not json", 8, "2"), 2 * USEC_PER_SEC);
        assert_int_equal(discord_parse_retry_after(NULL, 0, "0.25"), 250 * USEC_PER_MSEC);
}

static void test_retry_after_default_and_bounds(void **state) {
        const char *huge = "{\"retry_after\": 1e12}";
        const char *negative = "{\"retry_after\": -4}";
        const char *text = "{\"retry_after\": \"soon\"}";

        assert_int_equal(discord_parse_retry_after(NULL, 0, NULL), DISCORD_RETRY_AFTER_DEFAULT);
        assert_int_equal(discord_parse_retry_after(NULL, 0, "Wed, 21 Oct 2015 07:28:00 GMT"),
                         DISCORD_RETRY_AFTER_DEFAULT);
        assert_int_equal(discord_parse_retry_after(huge, strlen(huge), NULL), DISCORD_RETRY_AFTER_MAX);
        /* never zero or negative: that would spin */
        assert_true(discord_parse_retry_after(negative, strlen(negative), NULL) > 0);
        assert_true(discord_parse_retry_after(negative, strlen(negative), NULL) < USEC_PER_SEC);
        assert_int_equal(discord_parse_retry_after(text, strlen(text), "4"), 4 * USEC_PER_SEC);
}

static void test_disabled_notifier_posts_nothing(void **state) {
        sd_event *e = NULL;
        Notifier *n = NULL;

        assert_true(sd_event_default(&e) >= 0);
        assert_int_equal(notifier_new(e, NULL, "", &n), 0);
        assert_false(notifier_enabled(n));
        notifier_post(n, "t", "d", 1);
        assert_int_equal(notifier_queued(n), 0);
        notifier_free(n);

        /* An enabled notifier needs a curl-event */
        assert_int_equal(notifier_new(e, NULL, "http://127.0.0.1:9/hook", &n), -EINVAL);
        sd_event_unref(e);
}

static void test_queue_is_bounded_and_counts_drops(void **state) {
        sd_event *e = NULL;
        CurlEvent *ce = NULL;
        Notifier *n = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(curl_event_new(e, &ce), 0);
        /* Nothing runs the loop, so the first post stays in flight. */
        assert_int_equal(notifier_new(e, ce, "http://127.0.0.1:9/hook", &n), 0);
        for (unsigned i = 0; i < NOTIFIER_QUEUE_MAX + 5; i++)
                notifier_post(n, "t", "d", i);
        assert_int_equal(notifier_queued(n), NOTIFIER_QUEUE_MAX);
        assert_int_equal(notifier_dropped(n), 5);
        assert_int_equal(curl_event_running(ce), 1);
        notifier_free(n);
        assert_int_equal(curl_event_running(ce), 0);
        curl_event_free(ce);
        sd_event_unref(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_message_is_one_embed_without_pings),
                cmocka_unit_test(test_quotes_and_controls_are_escaped),
                cmocka_unit_test(test_long_text_is_cut_on_a_character_boundary),
                cmocka_unit_test(test_short_text_is_untouched_at_the_limit),
                cmocka_unit_test(test_invalid_utf8_still_makes_a_message),
                cmocka_unit_test(test_retry_after_from_body),
                cmocka_unit_test(test_retry_after_from_header_when_body_has_none),
                cmocka_unit_test(test_retry_after_default_and_bounds),
                cmocka_unit_test(test_disabled_notifier_posts_nothing),
                cmocka_unit_test(test_queue_is_bounded_and_counts_drops),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
