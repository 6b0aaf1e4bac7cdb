/* SPDX-License-Identifier: MIT */
/*
 * Discord interactions: signature check, the fields Sigrun reads, and the
 * answers. Verification comes first and is all-or-nothing: Discord probes
 * endpoints with bad signatures and drops those that accept them.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "lambda/discord.h"

int discord_verify(const uint8_t public_key[DISCORD_PUBLIC_KEY_SIZE], const char *signature_hex,
                   const char *timestamp, const uint8_t *body, size_t len) {
        uint8_t sig[crypto_sign_BYTES];
        _cleanup_free_ uint8_t *msg = NULL;
        size_t sig_len = 0, ts_len;

        if (!public_key || !signature_hex || !timestamp || (!body && len > 0))
                return -EACCES;
        if (strlen(signature_hex) != 2 * crypto_sign_BYTES ||
            sodium_hex2bin(sig, sizeof sig, signature_hex, 2 * crypto_sign_BYTES, NULL, &sig_len, NULL) != 0 ||
            sig_len != sizeof sig)
                return -EACCES;
        ts_len = strlen(timestamp);
        if (ts_len == 0 || len > DISCORD_BODY_MAX || ts_len > 64)
                return -EACCES;

        msg = malloc(ts_len + len + 1);
        if (!msg)
                return -ENOMEM;
        memcpy(msg, timestamp, ts_len);
        if (len > 0)
                memcpy(msg + ts_len, body, len);
        if (crypto_sign_verify_detached(sig, msg, ts_len + len, public_key) != 0)
                return -EACCES;
        return 0;
}

void interaction_done(Interaction *i) {
        if (!i)
                return;
        free(i->command);
        free(i->world);
        free(i->focused);
        free(i->focused_value);
        free(i->user_id);
        strv_free(i->roles);
        *i = (Interaction) {};
}

static int dup_string(json_t *v, char **field) {
        char *s;

        if (!json_is_string(v))
                return -EBADMSG;
        s = strndup(json_string_value(v), json_string_length(v));
        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int parse_options(json_t *options, Interaction *i) {
        size_t idx;
        json_t *o;
        int r;

        if (!options)
                return 0;
        if (!json_is_array(options))
                return -EBADMSG;
        json_array_foreach(options, idx, o) {
                json_t *name = json_object_get(o, "name"), *value = json_object_get(o, "value");
                const char *n;

                if (!json_is_string(name))
                        return -EBADMSG;
                n = json_string_value(name);
                if (json_is_true(json_object_get(o, "focused"))) {
                        r = dup_string(name, &i->focused);
                        if (r < 0)
                                return r;
                        /* While typing, Discord sends what is there as a string. */
                        if (json_is_string(value)) {
                                r = dup_string(value, &i->focused_value);
                                if (r < 0)
                                        return r;
                        }
                }
                if (streq(n, "world")) {
                        if (!json_is_string(value))
                                return -EBADMSG;
                        r = dup_string(value, &i->world);
                        if (r < 0)
                                return r;
                } else if (streq(n, "force")) {
                        if (!json_is_boolean(value))
                                return -EBADMSG;
                        i->force = json_is_true(value);
                }
        }
        return 0;
}

static int parse_roles(json_t *roles, char ***ret) {
        size_t idx, n;
        json_t *v;
        char **l;

        n = json_is_array(roles) ? json_array_size(roles) : 0;
        if (roles && !json_is_array(roles))
                return -EBADMSG;
        l = calloc(n + 1, sizeof *l);
        if (!l)
                return -ENOMEM;
        json_array_foreach(roles, idx, v) {
                if (!json_is_string(v)) {
                        strv_free(l);
                        return -EBADMSG;
                }
                l[idx] = strdup(json_string_value(v));
                if (!l[idx]) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        *ret = l;
        return 0;
}

int interaction_parse(const uint8_t *body, size_t len, Interaction *ret) {
        _cleanup_(json_decrefp) json_t *root = NULL;
        Interaction i = {};
        json_t *type, *data, *member, *user;
        int r;

        if (len > DISCORD_BODY_MAX)
                return -EBADMSG;
        root = json_loadb((const char *) body, len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(root))
                return -EBADMSG;
        type = json_object_get(root, "type");
        if (!json_is_integer(type) || json_integer_value(type) < 1 || json_integer_value(type) > 255)
                return -EBADMSG;
        i.type = (int) json_integer_value(type);

        data = json_object_get(root, "data");
        if (data) {
                if (!json_is_object(data)) {
                        r = -EBADMSG;
                        goto fail;
                }
                if (json_object_get(data, "name")) {
                        r = dup_string(json_object_get(data, "name"), &i.command);
                        if (r < 0)
                                goto fail;
                }
                r = parse_options(json_object_get(data, "options"), &i);
                if (r < 0)
                        goto fail;
        }

        member = json_object_get(root, "member");
        user = json_is_object(member) ? json_object_get(member, "user") : json_object_get(root, "user");
        if (json_is_object(user) && json_object_get(user, "id")) {
                r = dup_string(json_object_get(user, "id"), &i.user_id);
                if (r < 0)
                        goto fail;
        }
        r = parse_roles(json_is_object(member) ? json_object_get(member, "roles") : NULL, &i.roles);
        if (r < 0)
                goto fail;

        if ((i.type == INTERACTION_APPLICATION_COMMAND || i.type == INTERACTION_AUTOCOMPLETE) && !i.command) {
                r = -EBADMSG;
                goto fail;
        }
        *ret = i;
        return 0;
fail:
        interaction_done(&i);
        return r;
}

bool interaction_is_operator(const Interaction *i, char *const *operator_roles) {
        if (!operator_roles || !operator_roles[0])
                return true;
        for (char *const *want = operator_roles; *want; want++)
                for (char **have = i->roles; have && *have; have++)
                        if (streq(*want, *have))
                                return true;
        return false;
}

void reply_done(Reply *r) {
        if (!r)
                return;
        free(r->title);
        free(r->text);
        free(r->address);
        strv_free(r->player_names);
        free(r->note);
        *r = REPLY_INIT;
}

int reply_set(Reply *r, ReplyTone tone, bool ephemeral, const char *title, const char *fmt, ...) {
        char *t = NULL, *s = NULL;
        va_list ap;
        int n;

        if (title) {
                t = strdup(title);
                if (!t)
                        return -ENOMEM;
        }
        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0) {
                free(t);
                return -ENOMEM;
        }
        free(r->title);
        free(r->text);
        r->title = t;
        r->text = s;
        r->tone = tone;
        r->ephemeral = ephemeral;
        return 0;
}

int reply_set_note(Reply *r, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        free(r->note);
        r->note = s;
        return 0;
}

uint32_t reply_tone_colour(ReplyTone tone) {
        switch (tone) {
        case REPLY_RUNNING:
                return 0x2ecc71; /* green */
        case REPLY_STARTING:
                return 0xf1c40f; /* yellow */
        case REPLY_STOPPING:
                return 0xe67e22; /* orange */
        case REPLY_STOPPED:
                return 0x95a5a6; /* grey */
        case REPLY_ERROR:
                return 0xe74c3c; /* red */
        default:
                return 0x3498db; /* blue */
        }
}

static char *format_uptime(uint64_t sec) {
        char *s = NULL;
        int r;

        if (sec >= 86400)
                r = asprintf(&s, "%" PRIu64 " d %" PRIu64 " h", sec / 86400, (sec % 86400) / 3600);
        else if (sec >= 3600)
                r = asprintf(&s, "%" PRIu64 " h %" PRIu64 " min", sec / 3600, (sec % 3600) / 60);
        else
                r = asprintf(&s, "%" PRIu64 " min", sec / 60);
        return r < 0 ? NULL : s;
}

static char *format_players(const Reply *r) {
        _cleanup_free_ char *s = NULL;
        size_t len = 0;
        FILE *f;

        if (r->player_names && r->player_names[0]) {
                f = open_memstream(&s, &len);
                if (!f)
                        return NULL;
                for (char **p = r->player_names; *p; p++)
                        fprintf(f, "%s• %s", p == r->player_names ? "" : "\n", *p);
                if (fclose(f) != 0)
                        return NULL;
                return TAKE_PTR(s);
        }
        if (asprintf(&s, "%d", r->players) < 0)
                return NULL;
        return TAKE_PTR(s);
}

/* Discord rejects a whole answer over one too-long string; cut at a UTF-8
 * character boundary instead (world names come from tags of up to 256). */
static json_t *json_string_capped(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n <= max)
                return json_string(s);
        n = max;
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        return json_stringn(s, n);
}

#define EMBED_TITLE_MAX 256
#define EMBED_DESCRIPTION_MAX 4096
#define EMBED_FIELD_MAX 1024
#define CHOICE_MAX 100

static int add_field(json_t *fields, const char *name, const char *value, bool inline_) {
        return json_array_append_new(fields, json_pack("{s:s, s:o, s:b}", "name", name, "value",
                                                       json_string_capped(value, EMBED_FIELD_MAX), "inline", inline_));
}

json_t *discord_reply_to_json(const Reply *r) {
        _cleanup_(json_decrefp) json_t *embed = NULL, *fields = NULL, *data = NULL;
        _cleanup_free_ char *uptime = NULL, *players = NULL, *addr = NULL, *stop = NULL;

        embed = json_pack("{s:o, s:I}", "title", json_string_capped(r->title ? r->title : "Sigrun", EMBED_TITLE_MAX),
                          "color", (json_int_t) reply_tone_colour(r->tone));
        fields = json_array();
        if (!embed || !fields)
                return NULL;
        if (r->text && json_object_set_new(embed, "description", json_string_capped(r->text, EMBED_DESCRIPTION_MAX)) < 0)
                return NULL;
        if (r->address) {
                if (asprintf(&addr, "`%s`", r->address) < 0 || add_field(fields, "Address", addr, true) < 0)
                        return NULL;
        }
        if (r->players >= 0 || r->player_names) {
                players = format_players(r);
                if (!players || add_field(fields, "Players", players, true) < 0)
                        return NULL;
        }
        if (r->has_uptime) {
                uptime = format_uptime(r->uptime_sec);
                if (!uptime || add_field(fields, "Uptime", uptime, true) < 0)
                        return NULL;
        }
        if (r->stop_at > 0) {
                /* Discord shows <t:N:R> as "in 12 minutes" in the reader's locale. */
                if (asprintf(&stop, "<t:%" PRId64 ":R>", r->stop_at) < 0 || add_field(fields, "Idle stop", stop, true) < 0)
                        return NULL;
        }
        if (json_array_size(fields) > 0 && json_object_set(embed, "fields", fields) < 0)
                return NULL;
        if (r->note && json_object_set_new(embed, "footer", json_pack("{s:o}", "text",
                                                                      json_string_capped(r->note, 2048))) < 0)
                return NULL;

        data = json_pack("{s:[O], s:{s:[]}}", "embeds", embed, "allowed_mentions", "parse");
        if (!data)
                return NULL;
        if (r->ephemeral && json_object_set_new(data, "flags", json_integer(DISCORD_FLAG_EPHEMERAL)) < 0)
                return NULL;
        return json_pack("{s:i, s:O}", "type", 4, "data", data);
}

json_t *discord_autocomplete_to_json(char *const *choices) {
        _cleanup_(json_decrefp) json_t *list = json_array();
        size_t n = 0;

        if (!list)
                return NULL;
        for (char *const *c = choices; c && *c && n < DISCORD_CHOICES_MAX; c++) {
                /* A choice cannot be cut short: its value must name the world. */
                if (strlen(*c) > CHOICE_MAX)
                        continue;
                if (json_array_append_new(list, json_pack("{s:s, s:s}", "name", *c, "value", *c)) < 0)
                        return NULL;
                n++;
        }
        return json_pack("{s:i, s:{s:O}}", "type", 8, "data", "choices", list);
}

int reply_to_text(const Reply *r, int64_t now, char **ret) {
        _cleanup_free_ char *s = NULL, *players = NULL, *uptime = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&s, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "%s\n", r->title ? r->title : "sigrun");
        if (r->text)
                fprintf(f, "%s\n", r->text);
        if (r->address)
                fprintf(f, "Address:   %s\n", r->address);
        if (r->players >= 0 || r->player_names) {
                players = format_players(r);
                if (r->player_names && r->player_names[0])
                        fprintf(f, "Players:\n%s\n", players ? players : "?");
                else
                        fprintf(f, "Players:   %s\n", players ? players : "?");
        }
        if (r->has_uptime) {
                uptime = format_uptime(r->uptime_sec);
                fprintf(f, "Uptime:    %s\n", uptime ? uptime : "?");
        }
        if (r->stop_at > 0) {
                if (r->stop_at > now)
                        fprintf(f, "Idle stop: in %" PRId64 " min\n", (r->stop_at - now + 59) / 60);
                else
                        fprintf(f, "Idle stop: due now\n");
        }
        if (r->note)
                fprintf(f, "Note:      %s\n", r->note);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 0;
}
