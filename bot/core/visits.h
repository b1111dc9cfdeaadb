/* visits.h — the router's memory of recently active people: for a sender writing in a
 * room, what store_person_visit would read (their id, whose direct room the room is,
 * whether nudges went unanswered) and their engine state as a parsed object, so that a
 * person who writes again is neither read back nor parsed again. Bounded (VISITS_MAX
 * people, the least recently used leaving first) and never the truth: the store is. An
 * entry is trusted only while store_generation is where the router's own last write left
 * it; any other write to people, sessions, settings or rooms (a forget, a setting, a nudge
 * pass, a rollback, another caller's state save) empties the whole memory. */
#ifndef SB_VISITS_H
#define SB_VISITS_H

#include "store.h"

#include <jansson.h>
#include <stdint.h>

#define VISITS_MAX 256

typedef struct visits visits;

typedef struct visit_hit {
    int64_t person, room_person;
    int nudge_pending;
    json_t *state; /* the one reference, given to the caller */
} visit_hit;

visits *visits_new(void);
void visits_free(visits *v);
/* Takes the entry of sender in room on adapter out of the memory into *hit: 1 when there
 * was a trusted one, else 0 (*hit zeroed). The memory is emptied first when the store
 * changed since the router last looked (store_generation). */
int visits_take(visits *v, store *s, const char *adapter, const char *sender, const char *room,
                visit_hit *hit);
/* The generation the router reads before a message's writes; visits_put compares it. */
uint64_t visits_mark(visits *v, store *s);
/* Remembers hit (its state's reference is taken, always) after the router's own state save,
 * when the only change to the store since mark is that save; otherwise forgets everything
 * (someone else wrote too). */
void visits_put(visits *v, store *s, uint64_t mark, const char *adapter, const char *sender,
                const char *room, const visit_hit *hit);
/* Forgets everything (a failed batch, a forget). */
void visits_clear(visits *v);

#endif
