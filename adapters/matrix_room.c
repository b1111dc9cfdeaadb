/* matrix_room.c — what the Matrix bot knows about its rooms (how many people, direct or
 * group, invited as a direct chat, listed in m.direct) and the translation of one parsed
 * /sync into core events and actions. The rules of privacy live here: in a group room only
 * "!" commands and mentions reach the core. Sending the actions is matrix.c's job. */
#include "matrix_room.h"

#include "matrix_invite.h"
#include "sb.h"

#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024

typedef struct room {
    char *id;
    long joined;       /* people in the room including the bot; -1 unknown */
    int invite_direct; /* the invite carried is_direct */
    int listed_direct; /* the bot's m.direct names the room */
    int reported;      /* direct value last announced to the core; -1 never */
    int leaving;       /* a leave was asked for */
    int encrypted;     /* m.room.encryption was seen: replies must be encrypted, for good */
    struct room *next;
} room;

struct matrix_rooms {
    room *bucket[BUCKETS];
};

static size_t hash(const char *s)
{
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % BUCKETS;
}

matrix_rooms *matrix_rooms_new(void)
{
    return calloc(1, sizeof(matrix_rooms));
}

void matrix_rooms_free(matrix_rooms *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < BUCKETS; i++)
        while (r->bucket[i]) {
            room *next = r->bucket[i]->next;
            free(r->bucket[i]->id);
            free(r->bucket[i]);
            r->bucket[i] = next;
        }
    free(r);
}

static room *find(const matrix_rooms *r, const char *id)
{
    for (room *x = r->bucket[hash(id)]; x; x = x->next)
        if (strcmp(x->id, id) == 0)
            return x;
    return NULL;
}

static room *get(matrix_rooms *r, const char *id)
{
    room *x = find(r, id);
    if (x)
        return x;
    x = calloc(1, sizeof *x);
    if (!x || !(x->id = sb_strdup(id))) {
        free(x);
        return NULL;
    }
    x->joined = -1;
    x->reported = -1;
    size_t h = hash(id);
    x->next = r->bucket[h];
    r->bucket[h] = x;
    return x;
}

static void forget(matrix_rooms *r, const char *id)
{
    for (room **p = &r->bucket[hash(id)]; *p; p = &(*p)->next)
        if (strcmp((*p)->id, id) == 0) {
            room *x = *p;
            *p = x->next;
            free(x->id);
            free(x);
            return;
        }
}

static int is_direct(const room *x)
{
    if (x->joined >= 0)
        return x->joined == 2;
    return x->invite_direct || x->listed_direct;
}

int matrix_rooms_direct(const matrix_rooms *r, const char *id)
{
    const room *x = find(r, id);
    return x ? is_direct(x) : -1;
}

int matrix_rooms_encrypted(const matrix_rooms *r, const char *id)
{
    const room *x = find(r, id);
    return x ? x->encrypted : -1;
}

void matrix_batch_clear(matrix_batch *b)
{
    if (!b)
        return;
    sb_inbound_free_all(b->events, b->count);
    memset(b, 0, sizeof *b);
}

void matrix_actions_clear(matrix_actions *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->count; i++) {
        free(a->items[i].room);
        free(a->items[i].event_id);
    }
    free(a->items);
    memset(a, 0, sizeof *a);
}

static int in_timeline(const matrix_room *jr, const char *event_id)
{
    for (size_t i = 0; event_id && i < jr->event_count; i++)
        if (jr->events[i].event_id && strcmp(jr->events[i].event_id, event_id) == 0)
            return 1;
    return 0;
}

int matrix_room_prepend(matrix_room *jr, matrix_event *older, size_t n)
{
    matrix_event *all = calloc(n + jr->event_count + 1, sizeof *all);
    if (!all) {
        for (size_t i = 0; i < n; i++)
            matrix_event_clear(&older[i]);
        free(older);
        return SB_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (in_timeline(jr, older[i].event_id)) {
            matrix_event_clear(&older[i]);
            continue;
        }
        if (older[i].kind == MATRIX_EVENT_MEMBER)
            jr->member_delta += (older[i].membership && strcmp(older[i].membership, "join") == 0) -
                                (older[i].prev_membership &&
                                 strcmp(older[i].prev_membership, "join") == 0);
        all[k++] = older[i];
    }
    if (jr->event_count)
        memcpy(all + k, jr->events, jr->event_count * sizeof *all);
    free(jr->events);
    free(older);
    jr->events = all;
    jr->event_count += k;
    return SB_OK;
}

static int push_event(matrix_batch *b, sb_inbound_kind kind, const char *room_id,
                      const char *sender, const char *text, const char *event_id, int direct,
                      int addressed)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        sb_inbound *grown = realloc(b->events, cap * sizeof *grown);
        if (!grown)
            return SB_ENOMEM;
        b->events = grown;
        b->cap = cap;
    }
    sb_inbound *e = &b->events[b->count];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->direct = direct;
    e->addressed = addressed;
    e->room = sb_strdup(room_id);
    e->sender = sb_strdup(sender);
    e->text = sb_strdup(text);
    e->event_id = sb_strdup(event_id);
    b->count++; /* counted before the checks so that clear frees what was copied */
    if (!e->room || (sender && !e->sender) || (text && !e->text) || (event_id && !e->event_id))
        return SB_ENOMEM;
    return SB_OK;
}

static int push_action(matrix_actions *a, matrix_action_kind kind, const char *room_id,
                       const char *event_id, int on)
{
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        matrix_action *grown = realloc(a->items, cap * sizeof *grown);
        if (!grown)
            return SB_ENOMEM;
        a->items = grown;
        a->cap = cap;
    }
    matrix_action *x = &a->items[a->count++];
    x->kind = kind;
    x->on = on;
    x->room = sb_strdup(room_id);
    x->event_id = sb_strdup(event_id);
    return x->room && (!event_id || x->event_id) ? SB_OK : SB_ENOMEM;
}

static void update_count(room *x, const matrix_room *jr, int boot)
{
    if (jr->joined_count >= 0)
        x->joined = jr->joined_count;
    else if (boot && jr->joined_seen > 0)
        x->joined = jr->joined_seen;
    else if (x->joined >= 0)
        x->joined = x->joined + jr->member_delta < 0 ? 0 : x->joined + jr->member_delta;
}

/* The timeline's events for the core; returns the last handled event id through *last. */
static int room_events(const matrix_room *jr, const matrix_policy *p, int direct,
                       matrix_batch *b, const char **last, int *texts)
{
    int rc = SB_OK;
    for (size_t i = 0; i < jr->event_count && rc == SB_OK; i++) {
        const matrix_event *e = &jr->events[i];
        if (e->kind == MATRIX_EVENT_TEXT) {
            int addressed = matrix_addressed(e->body, e->mentions_bot, p->self, NULL);
            if (!direct && !addressed)
                continue; /* a group conversation among people: not for the bot */
            const char *text = matrix_strip_address(e->body, p->self, NULL);
            rc = push_event(b, SB_IN_MESSAGE, jr->room_id, e->sender, text, e->event_id, direct,
                            addressed);
            (*texts)++;
        } else if (e->kind == MATRIX_EVENT_ENCRYPTED) {
            rc = push_event(b, e->unreadable ? SB_IN_UNREADABLE : SB_IN_ENCRYPTED, jr->room_id,
                            e->sender, NULL, e->event_id, direct, 0);
        } else {
            continue;
        }
        if (e->event_id)
            *last = e->event_id;
    }
    return rc;
}

static int apply_joined(matrix_rooms *r, const matrix_room *jr, const matrix_policy *p,
                        int boot, int announce, matrix_batch *b, matrix_actions *now,
                        matrix_actions *later)
{
    room *x = get(r, jr->room_id);
    if (!x)
        return SB_ENOMEM;
    update_count(x, jr, boot);
    x->encrypted |= jr->encrypted;
    for (size_t i = 0; i < jr->event_count; i++) {
        const matrix_event *e = &jr->events[i];
        if (e->kind == MATRIX_EVENT_MEMBER && e->is_direct && p->self &&
            strcmp(e->state_key, p->self) == 0)
            x->invite_direct = 1;
    }
    if (x->joined == 1) { /* everyone else left */
        int rc = x->leaving ? SB_OK : push_action(now, MATRIX_ACT_LEAVE, x->id, NULL, 0);
        x->leaving = 1;
        return rc;
    }
    x->leaving = 0;
    int direct = is_direct(x);
    int rc = SB_OK;
    if ((!boot || announce) && (announce || x->reported != direct)) {
        rc = push_event(b, SB_IN_ROOM, x->id, NULL, NULL, NULL, direct, 0);
        x->reported = direct;
    }
    if (boot || rc != SB_OK)
        return rc; /* history from before this start is not answered */
    const char *last = NULL;
    int texts = 0;
    rc = room_events(jr, p, direct, b, &last, &texts);
    if (rc == SB_OK && texts)
        rc = push_action(now, MATRIX_ACT_TYPING, x->id, NULL, 1);
    if (rc == SB_OK && last)
        rc = push_action(later, MATRIX_ACT_RECEIPT, x->id, last, 0);
    if (rc == SB_OK && texts)
        rc = push_action(later, MATRIX_ACT_TYPING, x->id, NULL, 0);
    return rc;
}

int matrix_rooms_apply(matrix_rooms *r, const matrix_sync *s, const matrix_policy *p, int boot,
                       int announce, matrix_batch *batch, matrix_actions *now,
                       matrix_actions *later)
{
    int rc = SB_OK;
    if (s->has_direct) {
        for (size_t i = 0; i < BUCKETS; i++)
            for (room *x = r->bucket[i]; x; x = x->next)
                x->listed_direct = 0;
        for (size_t i = 0; i < s->direct_count && rc == SB_OK; i++) {
            room *x = get(r, s->direct_rooms[i]);
            if (x)
                x->listed_direct = 1;
            else
                rc = SB_ENOMEM;
        }
    }
    for (size_t i = 0; i < s->invite_count && rc == SB_OK; i++) {
        const matrix_invite *inv = &s->invites[i];
        room *x = get(r, inv->room_id);
        if (!x)
            return SB_ENOMEM;
        x->invite_direct = inv->is_direct;
        x->encrypted |= inv->encrypted;
        int allowed = matrix_user_allowed(inv->inviter, p->allowed_users, p->allowed_servers,
                                          p->self);
        rc = push_action(now, allowed ? MATRIX_ACT_JOIN : MATRIX_ACT_DECLINE, inv->room_id,
                         NULL, 0);
    }
    for (size_t i = 0; i < s->joined_count && rc == SB_OK; i++)
        rc = apply_joined(r, &s->joined[i], p, boot, announce, batch, now, later);
    for (size_t i = 0; i < s->left_count && rc == SB_OK; i++) {
        forget(r, s->left[i]);
        if (!boot)
            rc = push_event(batch, SB_IN_LEFT, s->left[i], NULL, NULL, NULL, 0, 0);
    }
    return rc;
}
