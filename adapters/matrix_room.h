/* matrix_room.h — the rooms the Matrix bot is in, and what one /sync means for the core:
 * which events become a batch (direct chats fully, group rooms only "!" commands and
 * mentions), which rooms to join, decline or leave, where to show typing and send receipts.
 * Pure bookkeeping over parsed syncs (matrix_parse.h): no I/O, no clock, one thread. */
#ifndef SB_MATRIX_ROOM_H
#define SB_MATRIX_ROOM_H

#include "adapter.h"
#include "matrix_parse.h"

typedef struct matrix_rooms matrix_rooms;

/* Core events being collected for one batch. */
typedef struct matrix_batch {
    sb_inbound *events; /* owned */
    size_t count, cap;
} matrix_batch;

typedef enum matrix_action_kind {
    MATRIX_ACT_JOIN,    /* accept an invite from an allowed person */
    MATRIX_ACT_DECLINE, /* reject an invite from anyone else (POST leave) */
    MATRIX_ACT_LEAVE,   /* the bot is alone in the room */
    MATRIX_ACT_TYPING,  /* on: the core is composing replies; off: they are sent */
    MATRIX_ACT_RECEIPT  /* read receipt for event_id, the last handled event of the room */
} matrix_action_kind;

typedef struct matrix_action {
    matrix_action_kind kind;
    char *room;     /* owned */
    char *event_id; /* RECEIPT (owned); else NULL */
    int on;         /* TYPING */
} matrix_action;

typedef struct matrix_actions {
    matrix_action *items; /* owned */
    size_t count, cap;
} matrix_actions;

typedef struct matrix_policy {
    const char *self;            /* the bot's user id */
    const char *allowed_users;   /* who may invite (see matrix_user_allowed) */
    const char *allowed_servers;
} matrix_policy;

/* NULL when memory runs out. */
matrix_rooms *matrix_rooms_new(void);
void matrix_rooms_free(matrix_rooms *r);

/* Applies one parsed sync. boot: the sync had no since token (a full state at start):
 * its timelines are history and are not answered; announce: post SB_IN_ROOM for every
 * joined room (the first start), else only when a room is new or changes between direct
 * and group. Appends the core's events to batch, the actions to take now (join, decline,
 * leave, typing on) to now, and those for after the batch is committed and its replies
 * queued (receipts, typing off) to later. Returns SB_OK or SB_ENOMEM (then the rooms may
 * be partly updated; the caller retries the same sync, which is idempotent). */
int matrix_rooms_apply(matrix_rooms *r, const matrix_sync *s, const matrix_policy *p, int boot,
                       int announce, matrix_batch *batch, matrix_actions *now,
                       matrix_actions *later);

/* 1 direct, 0 group, -1 unknown room. A room is direct when exactly two people are in
 * it; with the count unknown, when the invite said is_direct or m.direct lists it. Three
 * or more people make a group whatever the flags say (privacy first). */
int matrix_rooms_direct(const matrix_rooms *r, const char *room);

/* 1 when room is encrypted (m.room.encryption seen in it; never undone), 0 when not, -1
 * for an unknown room. */
int matrix_rooms_encrypted(const matrix_rooms *r, const char *room);

/* Puts older events (oldest first; the events and the array are taken over and freed, also
 * on failure) before jr's timeline: the part of a limited timeline fetched with /messages.
 * Events the timeline already holds (same event id) are dropped; membership changes are
 * counted into member_delta. Returns SB_OK or SB_ENOMEM (jr unchanged then). */
int matrix_room_prepend(matrix_room *jr, matrix_event *older, size_t n);

void matrix_batch_clear(matrix_batch *b);
void matrix_actions_clear(matrix_actions *a);

#endif
