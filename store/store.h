/* store.h — every person's state in one sqlite file (WAL), owned by the core thread alone.
 * The store knows rows, not dialogs: people, their engine state (opaque JSON text),
 * journal, ratings, exercise log, settings, rooms, the outbox and adapter resume
 * positions. The schema is created and migrated with PRAGMA user_version steps; every
 * statement is prepared once at open and bound. The file is created 0600.
 * All functions return SB_OK or a negative SB_E* code: SB_EDB for sqlite failures, or the
 * storage fault by name (SB_EREADONLY, SB_EFULL, SB_ECORRUPT, SB_EACCES, SB_EIO) so an
 * operator reads "the disk is full", not "database error". */
#ifndef SB_STORE_H
#define SB_STORE_H

#include <jansson.h>
#include <stdint.h>

typedef struct store store;

/* Opens (creating 0600 if needed) and migrates the database at path. ":memory:" works.
 * A file that cannot be written is SB_EREADONLY (sqlite would open it read-only and lose
 * every message). On failure *out is NULL. */
int store_open(const char *path, store **out);
void store_close(store *s);
/* The schema version the file is at (PRAGMA user_version). */
int store_schema_version(store *s);
/* The last sqlite error message (names no row contents), "" when none yet. Borrowed,
 * valid until the next store call. */
const char *store_errmsg(store *s);

/* How many statements the store has run on this connection since it was opened
 * (sqlite's own per-statement run counters summed: nothing is counted on the hot path).
 * For benchmarks and tests; BEGIN, COMMIT and ROLLBACK count too. */
int64_t store_statements_run(store *s);

/* A number that changes whenever a write may have changed what store_person_visit reads
 * (a state saved, the setting it was last asked for set or deleted, a room set or left,
 * a person forgotten) and at every rollback or failed commit; writes that cannot (the
 * outbox, resume positions, adapter state, journal, ratings, exercise log, nudges, room
 * flags, other settings, a new person's row) leave it. A cache of visits (the router's) is valid while it has seen
 * every change: it compares this number with the one its own last write left. */
uint64_t store_generation(store *s);

/* One transaction per inbound batch. begin/commit/rollback nest not. */
int store_begin(store *s);
int store_commit(store *s);
int store_rollback(store *s);

/* --- people --- */
/* Finds or creates the person known on adapter as platform_id; returns their id. */
int store_person_get(store *s, const char *adapter, const char *platform_id, int64_t now,
                     int64_t *person_id);
/* Looks a person up without creating; SB_ENOTFOUND when absent. */
int store_person_find(store *s, const char *adapter, const char *platform_id, int64_t *person_id);
/* What handling a message from a known person reads, in one statement: their id, their
 * engine state (NULL for none), the person a direct room belongs to (0 when room is no
 * direct room of anyone's) and their setting key (NULL for none). */
typedef struct store_visit {
    int64_t person;
    char *state;       /* owned; free with store_visit_free */
    int64_t room_person;
    char *setting;     /* owned */
} store_visit;
/* Fills v for the person known on adapter as platform_id writing in room; SB_ENOTFOUND
 * (v zeroed) when there is no such person yet. */
int store_person_visit(store *s, const char *adapter, const char *platform_id, const char *room,
                       const char *setting_key, store_visit *v);
void store_visit_free(store_visit *v);
/* The adapter and platform id of a person (caller frees both). */
int store_person_identity(store *s, int64_t person, char **adapter, char **platform_id);
/* Records when the person last wrote (for nudge quiet rules). Saving their state does so
 * too: last_seen is the later of this and the session row's "updated", so the router
 * writes one row per message, not two. */
int store_person_touch(store *s, int64_t person, int64_t now);
int store_person_last_seen(store *s, int64_t person, int64_t *when);

/* --- engine state: opaque JSON text --- */
/* *json is NULL (and SB_OK) when the person has no state yet. Caller frees. */
int store_state_load(store *s, int64_t person, char **json);
int store_state_save(store *s, int64_t person, const char *json, int64_t now);

/* --- journal --- */
int store_journal_add(store *s, int64_t person, const char *prompt, const char *text, int64_t now);
/* Calls fn for the newest `limit` entries, newest first. fn returning non-zero stops early. */
typedef int (*store_journal_fn)(void *ctx, int64_t when, const char *prompt, const char *text);
int store_journal_list(store *s, int64_t person, int limit, store_journal_fn fn, void *ctx);
/* The same, skipping the newest `offset` entries first (a page further back). SB_EINVAL for
 * a negative offset. */
int store_journal_page(store *s, int64_t person, int offset, int limit, store_journal_fn fn,
                       void *ctx);

/* --- ratings (1..7 self-ratings per measure) --- */
int store_rating_add(store *s, int64_t person, const char *measure, int value, int64_t now);
/* Calls fn for every rating of the person, oldest first (all measures). */
typedef int (*store_rating_fn)(void *ctx, int64_t when, const char *measure, int value);
int store_rating_list(store *s, int64_t person, store_rating_fn fn, void *ctx);

/* --- exercise log --- */
/* event is "given", "done" or "stopped" (left before the last step). */
int store_exercise_log(store *s, int64_t person, const char *exercise, const char *event,
                       int64_t now);
/* Newest first. */
typedef int (*store_exercise_fn)(void *ctx, int64_t when, const char *exercise, const char *event);
int store_exercise_list(store *s, int64_t person, int limit, store_exercise_fn fn, void *ctx);

/* --- settings (key/value per person) --- */
int store_setting_set(store *s, int64_t person, const char *key, const char *value);
/* *value NULL (SB_OK) when unset. Caller frees. */
int store_setting_get(store *s, int64_t person, const char *key, char **value);
int store_setting_delete(store *s, int64_t person, const char *key);

/* --- rooms --- */
/* Remembers a room of an adapter: whether it is a one-to-one conversation, and for a
 * direct room, whose it is. person 0 means "not known here": a direct room keeps the
 * owner it had (an adapter re-announcing its rooms after a restart must not make the
 * coach forget whose chat it is); a room that becomes a group room loses its owner. */
int store_room_set(store *s, const char *adapter, const char *room, int direct, int64_t person);
/* direct: 1 direct, 0 group, SB_ENOTFOUND when unknown. */
int store_room_get(store *s, const char *adapter, const char *room, int *direct);
/* Per-room flags (e.g. "encrypted_notice_sent"). */
int store_room_flag_set(store *s, const char *adapter, const char *room, const char *flag);
int store_room_flag_get(store *s, const char *adapter, const char *room, const char *flag, int *set);
int store_room_forget(store *s, const char *adapter, const char *room);
/* The person's direct room on their adapter, for nudges; caller frees; SB_ENOTFOUND. */
int store_person_direct_room(store *s, int64_t person, char **room);

/* --- outbox --- */
/* Queues a reply; *id is the row id (the adapter derives its transaction id from it). */
int store_outbox_add(store *s, const char *adapter, const char *room, const char *text,
                     int64_t now, int64_t *id);
/* Calls fn for every unsent row of adapter, oldest first. */
typedef int (*store_outbox_fn)(void *ctx, int64_t id, const char *room, const char *text);
int store_outbox_pending(store *s, const char *adapter, store_outbox_fn fn, void *ctx);
int store_outbox_mark_sent(store *s, int64_t id, int64_t now);
/* As store_outbox_add, the row transient from the start (one write, not two). */
int store_outbox_add_transient(store *s, const char *adapter, const char *room,
                               const char *text, int64_t now, int64_t *id);
/* Marks row id transient: its text is blanked when it is marked sent (a reply that may
 * echo the words of a person who has not agreed that the coach keeps them). */
int store_outbox_set_transient(store *s, int64_t id);
/* Deletes every sent row sent before `before` (ids are never reused: AUTOINCREMENT). */
int store_outbox_prune(store *s, int64_t before);
/* Counts rows (sent and unsent) of an adapter; for tests and stats. */
int store_outbox_count(store *s, const char *adapter, int64_t *sent, int64_t *unsent);

/* --- adapter resume positions (Matrix next_batch, ...) --- */
int store_resume_set(store *s, const char *adapter, const char *key, const char *value);
int store_resume_get(store *s, const char *adapter, const char *key, char **value); /* NULL when unset */
/* Calls fn(ctx, key, value, "") for every resume position of adapter, in key order; fn
 * returning non-zero stops the walk with that code. (fn's type is below.) */
typedef int (*store_adapter_state_fn)(void *ctx, const char *key, const char *value,
                                      const char *owner);
int store_resume_each(store *s, const char *adapter, store_adapter_state_fn fn, void *ctx);

/* --- adapter state: what an adapter keeps besides its resume position (adapter.h) --- */
/* Sets key to value, belonging to the person with platform id owner (NULL or "": nobody),
 * whose forget deletes it; value NULL deletes key. SB_OK or a store error. */
int store_adapter_state_set(store *s, const char *adapter, const char *key, const char *owner,
                            const char *value);
/* Calls fn for every key of adapter in key order (owner "" for nobody); fn returning
 * non-zero stops the walk with that code. */
int store_adapter_state_each(store *s, const char *adapter, store_adapter_state_fn fn, void *ctx);

/* --- nudges: next due UTC instant per person, indexed --- */
/* due 0 clears (no nudge scheduled). */
int store_nudge_set(store *s, int64_t person, int64_t due);
int store_nudge_get(store *s, int64_t person, int64_t *due); /* 0 when none */
/* Calls fn for people whose due <= until, earliest first, at most limit. */
typedef int (*store_nudge_fn)(void *ctx, int64_t person, int64_t due);
int store_nudge_due(store *s, int64_t until, int limit, store_nudge_fn fn, void *ctx);
/* Earliest due instant of anyone, 0 when none. */
int store_nudge_next(store *s, int64_t *due);

/* --- privacy --- */
/* Everything the store holds about the person, as one JSON object (caller decrefs). */
int store_export(store *s, int64_t person, json_t **out);
/* Deletes every row of the person (secure_delete is on), adapter state they own included. */
int store_forget(store *s, int64_t person);

#endif
