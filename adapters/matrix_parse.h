/* matrix_parse.h — the Matrix Client-Server API as data: /sync responses, single events,
 * error bodies, login and other small answers go in as bytes and come out as C values, with
 * each timeline event already classified (answer it, say "encrypted", track membership, or
 * ignore it and why). Also the small pure rules the adapter applies to what it parsed:
 * who may invite the bot, whether a message addresses it. No I/O, no clock, no globals. */
#ifndef SB_MATRIX_PARSE_H
#define SB_MATRIX_PARSE_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#define MATRIX_BODY_MAX 65536 /* longer message bodies are ignored ("too long") */

typedef enum matrix_event_kind {
    MATRIX_EVENT_TEXT,      /* m.room.message m.text from someone else: the core gets it */
    MATRIX_EVENT_ENCRYPTED, /* m.room.encrypted from someone else: the bot cannot read it */
    MATRIX_EVENT_MEMBER,    /* m.room.member: someone's membership changed */
    MATRIX_EVENT_IGNORED    /* never answered; reason says why */
} matrix_event_kind;

typedef struct matrix_event {
    matrix_event_kind kind;
    const char *reason;    /* IGNORED: static word ("own", "notice", "edit", "redacted", "emote",
                              "not text", "redaction", "type", "malformed", "too long"); else NULL */
    char *event_id;        /* owned; NULL for stripped state */
    char *sender;          /* owned; NULL when absent */
    char *body;            /* TEXT: the message, reply fallback removed (owned); else NULL */
    char *state_key;       /* MEMBER: whose membership (owned); else NULL */
    char *membership;      /* MEMBER: "join", "invite", "leave", "ban", "knock" (owned) */
    char *prev_membership; /* MEMBER: from unsigned.prev_content, NULL when absent (owned) */
    int is_direct;         /* MEMBER: content.is_direct is true */
    int mentions_bot;      /* TEXT: m.mentions.user_ids holds the bot, or the body names it */
    char *encrypted;       /* ENCRYPTED: the event's content as JSON text, to decrypt (owned) */
    int unreadable;        /* ENCRYPTED: the adapter tried to decrypt it and could not */
} matrix_event;

typedef struct matrix_invite {
    char *room_id;  /* owned */
    char *inviter;  /* sender of the bot's invite membership event; NULL when not found (owned) */
    int is_direct;  /* the invite's content.is_direct */
    int encrypted;  /* m.room.encryption is in the invite state */
} matrix_invite;

typedef struct matrix_room {
    char *room_id;         /* owned */
    long joined_count;     /* summary m.joined_member_count; -1 when the server left it out */
    long joined_seen;      /* distinct users whose last membership event here (state or
                              timeline) is "join": the count when a full state was sent */
    long member_delta;     /* sum over timeline membership events of (now joined) - (was joined) */
    int encrypted;         /* m.room.encryption appears in state or timeline */
    long rotation_ms;      /* its content's rotation_period_ms, -1 when absent */
    long rotation_msgs;    /* its content's rotation_period_msgs, -1 when absent */
    int limited;           /* timeline.limited: events between since and this timeline were skipped */
    char *prev_batch;      /* timeline.prev_batch (owned), NULL when absent */
    matrix_event *events;  /* timeline events in order, repeated event ids dropped (owned) */
    size_t event_count;
} matrix_room;

typedef struct matrix_sync {
    char *next_batch;        /* owned; never NULL in a parsed sync */
    matrix_invite *invites;  /* rooms.invite (owned) */
    size_t invite_count;
    matrix_room *joined;     /* rooms.join (owned) */
    size_t joined_count;
    char **left;             /* rooms.leave room ids (owned) */
    size_t left_count;
    int has_direct;          /* the m.direct account data event is in this response */
    char **direct_rooms;     /* every room id listed in m.direct (owned) */
    size_t direct_count;
    json_t *to_device;       /* to_device.events, a JSON array (owned), NULL when absent */
    char **keys_changed;     /* device_lists.changed user ids (owned) */
    size_t keys_changed_count;
    char **keys_left;        /* device_lists.left user ids (owned) */
    size_t keys_left_count;
    long one_time_keys;      /* device_one_time_keys_count.signed_curve25519, -1 when absent */
    int fallback_unused;     /* device_unused_fallback_key_types lists signed_curve25519: 1/0,
                                -1 when the field is absent */
} matrix_sync;

/* Parses a /sync response body. self is the bot's user id (for "own" events and mentions).
 * Returns SB_OK and *out (free with matrix_sync_free), SB_EPARSE when the bytes are not a
 * JSON object with a string next_batch (*out NULL), SB_ENOMEM. Parts of the response with
 * unexpected shapes are skipped, not fatal: one odd room never blocks the others. */
int matrix_sync_parse(const char *json, size_t len, const char *self, matrix_sync **out);
void matrix_sync_free(matrix_sync *s);

/* Classifies e again from the decrypted form of its m.room.encrypted event: plain is the
 * decrypted {"type", "content", ...} (JSON text). The event id and sender stay; everything
 * else comes from plain, exactly as for an unencrypted event of that type. SB_OK,
 * SB_EPARSE (plain is not an event: e is left as it was), SB_ENOMEM (e is cleared). */
int matrix_event_decrypted(matrix_event *e, const char *plain, const char *self);

/* Parses and classifies one event (as found in a timeline). Returns SB_OK with *out filled
 * (free its fields with matrix_event_clear), SB_EPARSE when the bytes are not a JSON object
 * (*out zeroed), SB_ENOMEM. */
int matrix_event_parse(const char *json, size_t len, const char *self, matrix_event *out);
void matrix_event_clear(matrix_event *e);

/* Parses a GET /rooms/{roomId}/messages answer: the chunk's events classified as in a
 * timeline, in the order sent (newest first for dir=b), into *events (*count of them; free
 * each with matrix_event_clear, then the array), and the "end" token into *end (NULL when
 * the server sent none: no more pages). Returns SB_OK, SB_EPARSE (not an object with a chunk
 * array; outputs NULL/0), SB_ENOMEM. */
int matrix_messages_parse(const char *json, size_t len, const char *self, matrix_event **events,
                          size_t *count, char **end);

/* Reads the string member key of a JSON object body (filter_id, user_id, event_id, ...).
 * Returns SB_OK with a malloc'd *out, SB_ENOTFOUND when absent or not a string,
 * SB_EPARSE when the body is not a JSON object, SB_ENOMEM. */
int matrix_field_parse(const char *json, size_t len, const char *key, char **out);

#endif
