/* SPDX-License-Identifier: MIT */
/*
 * Discord's side of the Lambda: Ed25519 verification of an interaction
 * request, parsing the few interaction fields Sigrun uses, and building the
 * answers (PONG, a message with one embed, autocomplete choices).
 *
 * Commands do not build Discord JSON themselves: they fill a Reply, which
 * discord_reply_to_json() renders as an embed and the sigrun CLI prints as
 * text, so both front ends say the same thing.
 */
#pragma once

#include <jansson.h>

#include "common/macro.h"

#define DISCORD_PUBLIC_KEY_SIZE 32
#define DISCORD_BODY_MAX (64U * 1024U)
#define DISCORD_FLAG_EPHEMERAL 64
#define DISCORD_CHOICES_MAX 25
#define SIGRUN_GAME_PORT 2456

typedef enum InteractionType {
        INTERACTION_PING = 1,
        INTERACTION_APPLICATION_COMMAND = 2,
        INTERACTION_MESSAGE_COMPONENT = 3,
        INTERACTION_AUTOCOMPLETE = 4,
        INTERACTION_MODAL_SUBMIT = 5,
} InteractionType;

/* 0 when signature_hex (128 hex digits) is a valid Ed25519 signature by
 * public_key over timestamp followed by body; -EACCES otherwise, including
 * missing or malformed inputs. */
int discord_verify(const uint8_t public_key[DISCORD_PUBLIC_KEY_SIZE], const char *signature_hex,
                   const char *timestamp, const uint8_t *body, size_t len);

typedef struct Interaction {
        int type;
        char *command;       /* data.name */
        char *world;         /* option "world", NULL when absent */
        bool force;          /* option "force" */
        char *focused;       /* autocomplete: the focused option's name */
        char *focused_value; /* autocomplete: what has been typed so far */
        char *user_id;       /* member.user.id, or user.id outside a guild */
        char **roles;        /* member.roles, NULL-terminated, never NULL after parse */
} Interaction;

/* -EBADMSG for anything that is not an interaction object; unknown fields
 * and option types are ignored. ret untouched on failure. */
int interaction_parse(const uint8_t *body, size_t len, Interaction *ret);
void interaction_done(Interaction *i);
/* Whether the caller holds one of operator_roles; true when that is NULL or empty. */
bool interaction_is_operator(const Interaction *i, char *const *operator_roles);

typedef enum ReplyTone {
        REPLY_INFO,
        REPLY_RUNNING,
        REPLY_STARTING,
        REPLY_STOPPING,
        REPLY_STOPPED,
        REPLY_ERROR,
} ReplyTone;

typedef struct Reply {
        ReplyTone tone;
        bool ephemeral;
        char *title;
        char *text;
        char *address;        /* "ip:port", shown in a code span */
        int players;          /* -1 unknown */
        char **player_names;  /* NULL unknown */
        bool has_uptime;
        uint64_t uptime_sec;
        int64_t stop_at;      /* Unix seconds of a scheduled idle stop, 0 none */
        char *note;           /* footer: what could not be found out */
} Reply;

#define REPLY_INIT ((Reply) { .players = -1 })

void reply_done(Reply *r);
/* Set title/text/note with printf formats; -ENOMEM. */
int reply_set(Reply *r, ReplyTone tone, bool ephemeral, const char *title, const char *fmt, ...) _printf_(5, 6);
int reply_set_note(Reply *r, const char *fmt, ...) _printf_(2, 3);
uint32_t reply_tone_colour(ReplyTone tone);

/* {"type":4,"data":{"embeds":[...],"flags":64?,"allowed_mentions":{"parse":[]}}} */
json_t *discord_reply_to_json(const Reply *r);
/* {"type":8,"data":{"choices":[{"name":..,"value":..}...]}} (at most 25). */
json_t *discord_autocomplete_to_json(char *const *choices);
/* Plain text for a terminal. */
int reply_to_text(const Reply *r, int64_t now, char **ret);

