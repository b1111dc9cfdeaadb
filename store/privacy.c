/* privacy.c — the privacy half of store.h: store_export gathers every row the store
 * holds about one person into a JSON object; store_forget deletes them all and wipes
 * the freed pages and the WAL. Which rows are "theirs" is decided here, once, for both:
 * the rows that reference them, the rooms they own, and those rooms' flags and outbox.
 * The export holds the person's own rows, times as ISO 8601 UTC; the coach's replies (the
 * outbox, earlier exports among them) are not theirs and would make each export contain
 * every one before it. */
#include "db.h"

#include "sb.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A JSON string of t. Text stored from outside need not be UTF-8, which JSON cannot
 * carry: then every byte outside ASCII becomes '?'. NULL on allocation failure. */
static json_t *json_text(const char *t)
{
    json_t *j = json_string(t);
    if (j)
        return j;
    char *copy = sb_strdup(t);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++) {
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    }
    j = json_string(copy);
    free(copy);
    return j;
}

/* An instant (UTC seconds) as ISO 8601 UTC, "2026-03-02T09:00:00Z": an export is read by
 * people, who do not count seconds since 1970. NULL on allocation failure. */
static json_t *json_instant(int64_t when)
{
    char iso[32];
    time_t t = (time_t)when;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return json_integer(when);
    return json_string(iso);
}

/* Columns that hold instants. */
static int is_instant(const char *column)
{
    static const char *const names[] = {"at", "created", "last_seen", "updated", "sent_at", "due"};
    for (size_t i = 0; column && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(column, names[i]) == 0)
            return 1;
    return 0;
}

/* The current row of q as an object keyed by column name. NULL on allocation failure. */
static json_t *row_object(sqlite3_stmt *q)
{
    json_t *row = json_object();
    for (int i = 0; row && i < sqlite3_column_count(q); i++) {
        json_t *v = NULL;
        switch (sqlite3_column_type(q, i)) {
        case SQLITE_INTEGER:
            v = is_instant(sqlite3_column_name(q, i)) ? json_instant(sqlite3_column_int64(q, i))
                                                      : json_integer(sqlite3_column_int64(q, i));
            break;
        case SQLITE_NULL:
            v = json_null();
            break;
        default: { /* the schema stores only integers and text */
            const char *t = db_text(q, i);
            v = t ? json_text(t) : NULL;
        }
        }
        if (json_object_set_new(row, sqlite3_column_name(q, i), v) != 0) {
            json_decref(row);
            row = NULL;
        }
    }
    return row;
}

/* Runs statement id for person and stores its rows under key in out: an array of
 * objects, or (single=1) the first row's object or null. */
static int add_rows(store *s, json_t *out, const char *key, enum statement id, int64_t person,
                    int single)
{
    sqlite3_stmt *q = s->stmt[id];
    json_t *rows = single ? json_null() : json_array();
    int rc = db_iterate_begin(s, id);
    if (rc != SB_OK) {
        json_decref(rows);
        return rc;
    }
    rc = rows ? db_bind(s, q, "i", person) : SB_ENOMEM;
    while (rc == SB_OK) {
        rc = db_step(s, q);
        if (rc <= 0)
            break;
        json_t *row = row_object(q);
        if (single) {
            json_decref(rows);
            rows = row;
            rc = row ? 1 : SB_ENOMEM; /* stop after the first */
        } else {
            rc = json_array_append_new(rows, row) == 0 ? SB_OK : SB_ENOMEM;
        }
    }
    rc = db_iterate_end(s, id, rc > 0 ? SB_OK : rc);
    if (rc == SB_OK && json_object_set_new(out, key, rows) != 0)
        return SB_ENOMEM;
    if (rc != SB_OK)
        json_decref(rows);
    return rc;
}

/* The engine state as JSON when it parses, as the stored string when it does not, so
 * the export shows exactly what is kept either way. */
static int add_state(store *s, json_t *out, int64_t person)
{
    char *text = NULL;
    int64_t updated = 0;
    sqlite3_stmt *q = s->stmt[ST_EXPORT_STATE];
    int rc = db_bind(s, q, "i", person);
    if (rc == SB_OK)
        rc = db_step(s, q);
    if (rc > 0) {
        const char *t = db_text(q, 0);
        text = t ? sb_strdup(t) : NULL;
        updated = sqlite3_column_int64(q, 1);
        rc = text ? SB_OK : SB_ENOMEM;
    }
    db_finish(q);
    if (rc < 0)
        return rc;
    json_t *session = json_null();
    if (text) {
        json_t *state = json_loads(text, JSON_DECODE_ANY, NULL);
        if (!state)
            state = json_text(text);
        session = state ? json_pack("{s:o, s:o}", "state", state, "updated", json_instant(updated))
                        : NULL;
        free(text);
    }
    return json_object_set_new(out, "session", session) == 0 ? SB_OK : SB_ENOMEM;
}

/* Settings as one object, key: value. */
static int add_settings(store *s, json_t *out, int64_t person)
{
    sqlite3_stmt *q = s->stmt[ST_EXPORT_SETTINGS];
    json_t *settings = json_object();
    int rc = settings ? db_bind(s, q, "i", person) : SB_ENOMEM;
    while (rc == SB_OK) {
        rc = db_step(s, q);
        if (rc <= 0)
            break;
        const char *key = db_text(q, 0), *value = db_text(q, 1);
        json_t *v = key && value ? json_text(value) : NULL;
        rc = v && json_object_set_new(settings, key, v) == 0 ? SB_OK : SB_ENOMEM;
    }
    db_finish(q);
    if (rc == SB_OK)
        return json_object_set_new(out, "settings", settings) == 0 ? SB_OK : SB_ENOMEM;
    json_decref(settings);
    return rc;
}

int store_export(store *s, int64_t person, json_t **out)
{
    if (!s || !out)
        return SB_EINVAL;
    *out = NULL;
    json_t *o = json_object();
    if (!o)
        return SB_ENOMEM;
    int rc = add_rows(s, o, "person", ST_EXPORT_PERSON, person, 1);
    if (rc == SB_OK && json_is_null(json_object_get(o, "person")))
        rc = SB_ENOTFOUND;
    if (rc == SB_OK)
        rc = add_state(s, o, person);
    if (rc == SB_OK)
        rc = add_rows(s, o, "journal", ST_EXPORT_JOURNAL, person, 0);
    if (rc == SB_OK)
        rc = add_rows(s, o, "ratings", ST_RATING_LIST, person, 0);
    if (rc == SB_OK)
        rc = add_rows(s, o, "exercise_log", ST_EXPORT_EXERCISE, person, 0);
    if (rc == SB_OK)
        rc = add_settings(s, o, person);
    if (rc == SB_OK)
        rc = add_rows(s, o, "rooms", ST_EXPORT_ROOMS, person, 0);
    if (rc == SB_OK)
        rc = add_rows(s, o, "room_flags", ST_EXPORT_ROOM_FLAGS, person, 0);
    if (rc == SB_OK)
        rc = add_rows(s, o, "nudge", ST_NUDGE_GET, person, 1);
    if (rc != SB_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return SB_OK;
}

/* The sent replies to their rooms and those rooms' flags carry no foreign key, so they
 * go first, while the rooms still say whose they are; deleting the person then cascades
 * to every row that references them (state, journal, ratings, exercise log, settings,
 * rooms, nudge). Adapter state they own (their inbound encryption sessions) goes too. Unsent replies stay so that a reply queued in the same batch (the
 * confirmation of this very forget) still goes out. secure_delete zeroes the freed
 * space in the file; the WAL, which still holds the old pages, is then truncated. */
int store_forget(store *s, int64_t person)
{
    if (!s)
        return SB_EINVAL;
    int rc = db_op_begin(s);
    if (rc != SB_OK)
        return rc;
    rc = db_exec(s, ST_FORGET_OUTBOX, "i", person);
    if (rc == SB_OK)
        rc = db_exec(s, ST_FORGET_ADAPTER_STATE, "i", person);
    if (rc == SB_OK)
        rc = db_exec(s, ST_FORGET_ROOM_FLAGS, "i", person);
    if (rc == SB_OK)
        rc = db_exec(s, ST_FORGET_PERSON, "i", person);
    if (rc == SB_OK && sqlite3_changes(s->db) == 0)
        rc = SB_ENOTFOUND;
    rc = db_op_end(s, rc);
    if (rc == SB_OK)
        db_wipe_wal(s);
    return rc;
}
