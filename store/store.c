/* store.c — the row operations of store.h: people, engine state, journal, ratings,
 * exercise log, settings, rooms, outbox, resume positions and nudges. Each is one or
 * two prepared statements of db.h, bound and stepped; input the schema would refuse
 * (NULL text, a rating outside 1..7) is refused here first with SB_EINVAL, and a
 * missing person with SB_ENOTFOUND. Export and forget live in privacy.c. */
#include "db.h"

#include "sb.h"

#include <stdlib.h>
#include <string.h>

/* --- people --- */

int store_person_find(store *s, const char *adapter, const char *platform_id, int64_t *person_id)
{
    if (!s || !adapter || !platform_id || !person_id)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_PERSON_FIND];
    int rc = db_bind(s, q, "tt", adapter, platform_id);
    return rc != SB_OK ? rc : db_fetch_int(s, q, person_id);
}

int store_person_get(store *s, const char *adapter, const char *platform_id, int64_t now,
                     int64_t *person_id)
{
    int rc = store_person_find(s, adapter, platform_id, person_id);
    if (rc != SB_ENOTFOUND)
        return rc;
    rc = db_exec(s, ST_PERSON_ADD, "tti", adapter, platform_id, now);
    if (rc == SB_OK)
        *person_id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int store_person_visit(store *s, const char *adapter, const char *platform_id, const char *room,
                       const char *setting_key, store_visit *v)
{
    if (v)
        memset(v, 0, sizeof *v);
    if (!s || !adapter || !platform_id || !room || !setting_key || !v)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_PERSON_VISIT];
    if (strlen(setting_key) < sizeof s->visit_key)
        memcpy(s->visit_key, setting_key, strlen(setting_key) + 1);
    else
        s->visit_key[0] = '\0'; /* every setting moves store_generation */
    int rc = db_bind(s, q, "tttt", adapter, platform_id, room, setting_key);
    if (rc == SB_OK)
        rc = db_step(s, q);
    if (rc == 0)
        rc = SB_ENOTFOUND;
    if (rc > 0) {
        const char *state = db_text(q, 1), *setting = db_text(q, 3);
        v->person = sqlite3_column_int64(q, 0);
        v->room_person = sqlite3_column_int64(q, 2); /* NULL reads as 0 */
        v->state = state ? sb_strdup(state) : NULL;
        v->setting = setting ? sb_strdup(setting) : NULL;
        rc = (state && !v->state) || (setting && !v->setting) ? SB_ENOMEM : SB_OK;
    }
    db_finish(q);
    if (rc != SB_OK)
        store_visit_free(v);
    return rc;
}

void store_visit_free(store_visit *v)
{
    if (!v)
        return;
    free(v->state);
    free(v->setting);
    memset(v, 0, sizeof *v);
}

int store_person_identity(store *s, int64_t person, char **adapter, char **platform_id)
{
    if (!s || !adapter || !platform_id)
        return SB_EINVAL;
    *adapter = *platform_id = NULL;
    sqlite3_stmt *q = s->stmt[ST_PERSON_IDENTITY];
    int rc = db_bind(s, q, "i", person);
    if (rc == SB_OK)
        rc = db_step(s, q);
    if (rc == 0)
        rc = SB_ENOTFOUND;
    if (rc > 0) {
        const char *a = db_text(q, 0), *p = db_text(q, 1);
        *adapter = a ? sb_strdup(a) : NULL;
        *platform_id = p ? sb_strdup(p) : NULL;
        rc = *adapter && *platform_id ? SB_OK : SB_ENOMEM;
    }
    db_finish(q);
    if (rc != SB_OK) {
        free(*adapter);
        free(*platform_id);
        *adapter = *platform_id = NULL;
    }
    return rc;
}

int store_person_touch(store *s, int64_t person, int64_t now)
{
    if (!s)
        return SB_EINVAL;
    int rc = db_exec(s, ST_PERSON_TOUCH, "ii", person, now);
    return rc == SB_OK && sqlite3_changes(s->db) == 0 ? SB_ENOTFOUND : rc;
}

int store_person_last_seen(store *s, int64_t person, int64_t *when)
{
    if (!s || !when)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_PERSON_LAST_SEEN];
    int rc = db_bind(s, q, "i", person);
    return rc != SB_OK ? rc : db_fetch_int(s, q, when);
}

/* --- engine state --- */

int store_state_load(store *s, int64_t person, char **json)
{
    if (!s || !json)
        return SB_EINVAL;
    *json = NULL;
    sqlite3_stmt *q = s->stmt[ST_STATE_LOAD];
    int rc = db_bind(s, q, "i", person);
    return rc != SB_OK ? rc : db_fetch_text(s, q, json);
}

int store_state_save(store *s, int64_t person, const char *json, int64_t now)
{
    if (!s || !json)
        return SB_EINVAL;
    return db_exec(s, ST_STATE_SAVE, "iti", person, json, now);
}

/* --- journal, ratings, exercise log --- */

int store_journal_add(store *s, int64_t person, const char *prompt, const char *text, int64_t now)
{
    if (!s || !prompt || !text)
        return SB_EINVAL;
    return db_exec(s, ST_JOURNAL_ADD, "iitt", person, now, prompt, text);
}

/* Rows of (time, text, text) for a person, newest first: the journal and the exercise log
 * have the same shape, so one loop serves both. */
typedef int (*two_texts_fn)(void *ctx, int64_t when, const char *a, const char *b);

static int list_two_texts(store *s, enum statement id, int64_t person, int offset, int limit,
                          two_texts_fn fn, void *ctx)
{
    if (!s || !fn || offset < 0)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[id];
    int rc = db_iterate_begin(s, id);
    if (rc != SB_OK)
        return rc;
    rc = db_bind(s, q, "iii", person, (int64_t)limit, (int64_t)offset);
    while (rc == SB_OK) {
        rc = db_step(s, q);
        if (rc <= 0)
            break;
        const char *a = db_text(q, 1), *b = db_text(q, 2);
        rc = a && b ? fn(ctx, sqlite3_column_int64(q, 0), a, b) : SB_ENOMEM;
    }
    return db_iterate_end(s, id, rc > 0 ? SB_OK : rc);
}

int store_journal_list(store *s, int64_t person, int limit, store_journal_fn fn, void *ctx)
{
    return list_two_texts(s, ST_JOURNAL_LIST, person, 0, limit, fn, ctx);
}

int store_journal_page(store *s, int64_t person, int offset, int limit, store_journal_fn fn,
                       void *ctx)
{
    return list_two_texts(s, ST_JOURNAL_LIST, person, offset, limit, fn, ctx);
}

int store_rating_add(store *s, int64_t person, const char *measure, int value, int64_t now)
{
    if (!s || !measure || value < 1 || value > 7)
        return SB_EINVAL;
    return db_exec(s, ST_RATING_ADD, "iiti", person, now, measure, (int64_t)value);
}

int store_rating_list(store *s, int64_t person, store_rating_fn fn, void *ctx)
{
    if (!s || !fn)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_RATING_LIST];
    int rc = db_iterate_begin(s, ST_RATING_LIST);
    if (rc != SB_OK)
        return rc;
    rc = db_bind(s, q, "i", person);
    while (rc == SB_OK) {
        rc = db_step(s, q);
        if (rc <= 0)
            break;
        const char *measure = db_text(q, 1);
        rc = measure ? fn(ctx, sqlite3_column_int64(q, 0), measure, sqlite3_column_int(q, 2))
                     : SB_ENOMEM;
    }
    return db_iterate_end(s, ST_RATING_LIST, rc > 0 ? SB_OK : rc);
}

int store_exercise_log(store *s, int64_t person, const char *exercise, const char *event,
                       int64_t now)
{
    if (!s || !exercise || !event || (strcmp(event, "given") != 0 && strcmp(event, "done") != 0 &&
                                            strcmp(event, "stopped") != 0))
        return SB_EINVAL;
    return db_exec(s, ST_EXERCISE_ADD, "iitt", person, now, exercise, event);
}

int store_exercise_list(store *s, int64_t person, int limit, store_exercise_fn fn, void *ctx)
{
    return list_two_texts(s, ST_EXERCISE_LIST, person, 0, limit, fn, ctx);
}

/* --- settings --- */

int store_setting_set(store *s, int64_t person, const char *key, const char *value)
{
    if (!s || !key || !value)
        return SB_EINVAL;
    db_setting_changed(s, key);
    return db_exec(s, ST_SETTING_SET, "itt", person, key, value);
}

int store_setting_get(store *s, int64_t person, const char *key, char **value)
{
    if (!s || !key || !value)
        return SB_EINVAL;
    *value = NULL;
    sqlite3_stmt *q = s->stmt[ST_SETTING_GET];
    int rc = db_bind(s, q, "it", person, key);
    return rc != SB_OK ? rc : db_fetch_text(s, q, value);
}

int store_setting_delete(store *s, int64_t person, const char *key)
{
    if (!s || !key)
        return SB_EINVAL;
    db_setting_changed(s, key);
    return db_exec(s, ST_SETTING_DELETE, "it", person, key);
}

/* --- rooms --- */

int store_room_set(store *s, const char *adapter, const char *room, int direct, int64_t person)
{
    if (!s || !adapter || !room || person < 0)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_ROOM_SET];
    int rc = db_bind(s, q, "tti", adapter, room, (int64_t)(direct != 0));
    if (rc != SB_OK)
        return rc;
    /* no owner is NULL, not 0, so the foreign key lets it be */
    int brc = person ? sqlite3_bind_int64(q, 4, person) : sqlite3_bind_null(q, 4);
    if (brc != SQLITE_OK) {
        db_finish(q);
        return db_fail(s, brc);
    }
    return db_run(s, q);
}

int store_room_get(store *s, const char *adapter, const char *room, int *direct)
{
    if (!s || !adapter || !room || !direct)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_ROOM_GET];
    int64_t v = 0;
    int rc = db_bind(s, q, "tt", adapter, room);
    if (rc == SB_OK)
        rc = db_fetch_int(s, q, &v);
    if (rc == SB_OK)
        *direct = (int)v;
    return rc;
}

int store_room_flag_set(store *s, const char *adapter, const char *room, const char *flag)
{
    if (!s || !adapter || !room || !flag)
        return SB_EINVAL;
    return db_exec(s, ST_ROOM_FLAG_SET, "ttt", adapter, room, flag);
}

int store_room_flag_get(store *s, const char *adapter, const char *room, const char *flag, int *set)
{
    if (!s || !adapter || !room || !flag || !set)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_ROOM_FLAG_GET];
    int rc = db_bind(s, q, "ttt", adapter, room, flag);
    if (rc == SB_OK)
        rc = db_step(s, q);
    db_finish(q);
    if (rc < 0)
        return rc;
    *set = rc;
    return SB_OK;
}

int store_room_forget(store *s, const char *adapter, const char *room)
{
    if (!s || !adapter || !room)
        return SB_EINVAL;
    int rc = db_op_begin(s);
    if (rc != SB_OK)
        return rc;
    rc = db_exec(s, ST_ROOM_FLAGS_DELETE, "tt", adapter, room);
    if (rc == SB_OK)
        rc = db_exec(s, ST_ROOM_DELETE, "tt", adapter, room);
    return db_op_end(s, rc);
}

int store_person_direct_room(store *s, int64_t person, char **room)
{
    if (!s || !room)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_DIRECT_ROOM];
    int rc = db_bind(s, q, "i", person);
    if (rc == SB_OK)
        rc = db_fetch_text(s, q, room);
    return rc == SB_OK && !*room ? SB_ENOTFOUND : rc;
}

/* --- outbox --- */

static int outbox_add(store *s, const char *adapter, const char *room, const char *text,
                      int64_t now, int transient, int64_t *id)
{
    if (!s || !adapter || !room || !text)
        return SB_EINVAL;
    int rc = db_exec(s, ST_OUTBOX_ADD, "tttii", adapter, room, text, now, (int64_t)(transient != 0));
    if (rc == SB_OK && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

int store_outbox_add(store *s, const char *adapter, const char *room, const char *text,
                     int64_t now, int64_t *id)
{
    return outbox_add(s, adapter, room, text, now, 0, id);
}

int store_outbox_add_transient(store *s, const char *adapter, const char *room,
                               const char *text, int64_t now, int64_t *id)
{
    return outbox_add(s, adapter, room, text, now, 1, id);
}

int store_outbox_pending(store *s, const char *adapter, store_outbox_fn fn, void *ctx)
{
    if (!s || !adapter || !fn)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_OUTBOX_PENDING];
    int rc = db_iterate_begin(s, ST_OUTBOX_PENDING);
    if (rc != SB_OK)
        return rc;
    rc = db_bind(s, q, "t", adapter);
    while (rc == SB_OK) {
        rc = db_step(s, q);
        if (rc <= 0)
            break;
        const char *room = db_text(q, 1), *text = db_text(q, 2);
        rc = room && text ? fn(ctx, sqlite3_column_int64(q, 0), room, text) : SB_ENOMEM;
    }
    return db_iterate_end(s, ST_OUTBOX_PENDING, rc > 0 ? SB_OK : rc);
}

int store_outbox_mark_sent(store *s, int64_t id, int64_t now)
{
    if (!s)
        return SB_EINVAL;
    int rc = db_exec(s, ST_OUTBOX_MARK_SENT, "ii", id, now);
    return rc == SB_OK && sqlite3_changes(s->db) == 0 ? SB_ENOTFOUND : rc;
}

int store_outbox_set_transient(store *s, int64_t id)
{
    if (!s)
        return SB_EINVAL;
    int rc = db_exec(s, ST_OUTBOX_TRANSIENT, "i", id);
    return rc == SB_OK && sqlite3_changes(s->db) == 0 ? SB_ENOTFOUND : rc;
}

int store_outbox_prune(store *s, int64_t before)
{
    return s ? db_exec(s, ST_OUTBOX_PRUNE, "i", before) : SB_EINVAL;
}

int store_outbox_count(store *s, const char *adapter, int64_t *sent, int64_t *unsent)
{
    if (!s || !adapter || !sent || !unsent)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_OUTBOX_COUNT];
    int rc = db_bind(s, q, "t", adapter);
    if (rc == SB_OK)
        rc = db_step(s, q);
    if (rc > 0) {
        *sent = sqlite3_column_int64(q, 0);
        *unsent = sqlite3_column_int64(q, 1);
        rc = SB_OK;
    } else if (rc == 0) {
        rc = SB_EDB; /* an aggregate always has a row */
    }
    db_finish(q);
    return rc;
}

/* --- adapter resume positions --- */

int store_resume_set(store *s, const char *adapter, const char *key, const char *value)
{
    if (!s || !adapter || !key || !value)
        return SB_EINVAL;
    return db_exec(s, ST_RESUME_SET, "ttt", adapter, key, value);
}

int store_resume_get(store *s, const char *adapter, const char *key, char **value)
{
    if (!s || !adapter || !key || !value)
        return SB_EINVAL;
    *value = NULL;
    sqlite3_stmt *q = s->stmt[ST_RESUME_GET];
    int rc = db_bind(s, q, "tt", adapter, key);
    return rc != SB_OK ? rc : db_fetch_text(s, q, value);
}

/* --- adapter state --- */

int store_adapter_state_set(store *s, const char *adapter, const char *key, const char *owner,
                            const char *value)
{
    if (!s || !adapter || !key)
        return SB_EINVAL;
    if (!value)
        return db_exec(s, ST_ADAPTER_STATE_DELETE, "tt", adapter, key);
    return db_exec(s, ST_ADAPTER_STATE_SET, "tttt", adapter, key, owner ? owner : "", value);
}

/* Walks the (key, value, owner) rows of statement stmt for adapter (resume, state). */
static int each_key(store *s, enum statement stmt, const char *adapter,
                    store_adapter_state_fn fn, void *ctx)
{
    if (!s || !adapter || !fn)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[stmt];
    int rc = db_iterate_begin(s, stmt);
    if (rc != SB_OK)
        return rc;
    rc = db_bind(s, q, "t", adapter);
    while (rc == SB_OK) {
        rc = db_step(s, q);
        if (rc <= 0)
            break;
        const char *key = db_text(q, 0), *value = db_text(q, 1), *owner = db_text(q, 2);
        rc = key && value && owner ? fn(ctx, key, value, owner) : SB_ENOMEM;
    }
    return db_iterate_end(s, stmt, rc > 0 ? SB_OK : rc);
}

int store_adapter_state_each(store *s, const char *adapter, store_adapter_state_fn fn, void *ctx)
{
    return each_key(s, ST_ADAPTER_STATE_LIST, adapter, fn, ctx);
}

int store_resume_each(store *s, const char *adapter, store_adapter_state_fn fn, void *ctx)
{
    return each_key(s, ST_RESUME_LIST, adapter, fn, ctx);
}

/* --- nudges --- */

int store_nudge_set(store *s, int64_t person, int64_t due)
{
    if (!s || due < 0)
        return SB_EINVAL;
    if (due == 0)
        return db_exec(s, ST_NUDGE_CLEAR, "i", person);
    return db_exec(s, ST_NUDGE_SET, "ii", person, due);
}

int store_nudge_get(store *s, int64_t person, int64_t *due)
{
    if (!s || !due)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_NUDGE_GET];
    int rc = db_bind(s, q, "i", person);
    if (rc == SB_OK)
        rc = db_fetch_int(s, q, due);
    if (rc == SB_ENOTFOUND) {
        *due = 0;
        rc = SB_OK;
    }
    return rc;
}

int store_nudge_due(store *s, int64_t until, int limit, store_nudge_fn fn, void *ctx)
{
    if (!s || !fn)
        return SB_EINVAL;
    sqlite3_stmt *q = s->stmt[ST_NUDGE_DUE];
    int rc = db_iterate_begin(s, ST_NUDGE_DUE);
    if (rc != SB_OK)
        return rc;
    rc = db_bind(s, q, "ii", until, (int64_t)limit);
    while (rc == SB_OK) {
        rc = db_step(s, q);
        if (rc <= 0)
            break;
        rc = fn(ctx, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1));
    }
    return db_iterate_end(s, ST_NUDGE_DUE, rc > 0 ? SB_OK : rc);
}

int store_nudge_next(store *s, int64_t *due)
{
    if (!s || !due)
        return SB_EINVAL;
    int rc = db_fetch_int(s, s->stmt[ST_NUDGE_NEXT], due); /* min() of nothing is NULL: 0 */
    return rc;
}
