/* test_store.c — the sqlite store against its contract in store/store.h: migrations,
 * persistence across reopen for every kind of row, the file's mode, outbox, resume,
 * nudges, rooms, transactions and refusal of bad input. Export and forget are tested in
 * test_store_privacy.c. */
#include "store_fixture.h"

#include "schema.h"

#include <sys/stat.h>

static const char *const tables[] = {"people", "sessions", "journal", "ratings",
                                     "exercise_log", "settings", "rooms", "room_flags",
                                     "outbox", "resume", "nudges"};

static void assert_schema(const char *path)
{
    char sql[160];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
                 tables[i]);
        assert_int_equal(raw_int(path, sql), 1);
    }
    assert_int_equal(raw_int(path, "PRAGMA user_version"), schema_latest());
}

/* --- migrations --- */

static void test_migrate_new_file(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->path);
    assert_true(schema_latest() > 0);
    assert_int_equal(store_schema_version(s), schema_latest());
    store_close(s);
    assert_schema(f->path);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_journal_mode"
                                      " WHERE journal_mode = 'wal'"), 1);
}

static void test_reopen_keeps_data(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->path);
    int64_t id = person(s, "ada");
    store_close(s);
    for (int round = 0; round < 3; round++) {
        s = open_ok(f->path);
        assert_int_equal(store_schema_version(s), schema_latest());
        int64_t again = 0;
        assert_int_equal(store_person_find(s, "console", "ada", &again), SB_OK);
        assert_int_equal(again, id);
        store_close(s);
    }
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM people"), 1);
    assert_schema(f->path);
}

/* A file some other tool created: a valid database at user_version 0 with no tables. */
static void test_migrate_version_zero_file(void **state)
{
    fixture *f = *state;
    raw_exec(f->path, "CREATE TABLE scratch (x); DROP TABLE scratch; PRAGMA user_version = 0;");
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master"), 0);
    store *s = open_ok(f->path);
    assert_int_equal(store_schema_version(s), schema_latest());
    person(s, "ada");
    store_close(s);
    assert_schema(f->path);
}

/* A file made by schema version 1 (the outbox without its transient column) moves to
 * version 2 keeping its rows; transient rows lose their text once sent; pruning deletes
 * sent rows only, and ids are never handed out again. */
static void test_migrate_v1_outbox_transient_prune(void **state)
{
    fixture *f = *state;
    store_close(open_ok(f->path));
    /* Undo steps 3 and 2 by hand: what a file written by the version-1 program looks like. */
    raw_exec(f->path,
             "DROP TABLE adapter_state;"
             "DROP INDEX outbox_sent; ALTER TABLE outbox DROP COLUMN transient;"
             "INSERT INTO outbox (adapter, room, text, created) VALUES ('matrix', '!r', 'old', 1);"
             "PRAGMA user_version = 1;");
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_table_info('outbox')"
                                      " WHERE name = 'transient'"), 0);
    store *s = open_ok(f->path);
    assert_int_equal(store_schema_version(s), schema_latest());
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox WHERE text = 'old'"), 1);
    assert_int_equal(store_adapter_state_set(s, "matrix", "account", NULL, "pickle"), SB_OK);
    int64_t keep, gone, born, unsent;
    assert_int_equal(store_outbox_add(s, "matrix", "!r", "you said: my secret", 100, &gone), SB_OK);
    assert_int_equal(store_outbox_set_transient(s, gone), SB_OK);
    /* transient from the insert: the router's way, one write */
    assert_int_equal(store_outbox_add_transient(s, "matrix", "!r", "you said: other secret", 100,
                                                &born), SB_OK);
    assert_int_equal(store_outbox_mark_sent(s, born, 200), SB_OK);
    assert_int_equal(store_outbox_add(s, "matrix", "!r", "kept reply", 100, &keep), SB_OK);
    assert_int_equal(store_outbox_add(s, "matrix", "!r", "not yet sent", 100, &unsent), SB_OK);
    assert_int_equal(store_outbox_set_transient(s, 999999), SB_ENOTFOUND);
    assert_int_equal(store_outbox_mark_sent(s, gone, 200), SB_OK);
    assert_int_equal(store_outbox_mark_sent(s, keep, 300), SB_OK);
    store_close(s);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox WHERE text LIKE '%secret%'"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox WHERE text = 'kept reply'"), 1);
    s = open_ok(f->path);
    assert_int_equal(store_outbox_prune(s, 250), SB_OK); /* the row sent at 200 goes */
    store_close(s);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox"), 3);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox WHERE id IN (2, 3)"), 0);
    s = open_ok(f->path);
    assert_int_equal(store_outbox_prune(s, 1000), SB_OK); /* sent rows go, unsent stay */
    int64_t next;
    assert_int_equal(store_outbox_add(s, "matrix", "!r", "new", 400, &next), SB_OK);
    assert_true(next > unsent);
    store_close(s);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox WHERE text = 'not yet sent'"), 1);
}

static void test_newer_version_refused(void **state)
{
    fixture *f = *state;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d;", schema_latest() + 1);
    raw_exec(f->path, sql);
    store *s = (store *)1;
    assert_int_equal(store_open(f->path, &s), SB_EDB);
    assert_null(s);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), schema_latest() + 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master"), 0);
}

static void test_not_a_database(void **state)
{
    fixture *f = *state;
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an sqlite file at all. ", fp);
    fclose(fp);
    store *s = NULL;
    assert_int_equal(store_open(f->path, &s), SB_ECORRUPT); /* named, not "database error" */
    assert_null(s);
    assert_int_equal(store_open(NULL, &s), SB_EINVAL);
    assert_int_equal(store_open("/nonexistent-dir/x.db", &s), SB_EIO);
}

/* --- file mode --- */

static int file_mode(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void test_file_mode(void **state)
{
    fixture *f = *state;
    static const mode_t umasks[] = {022, 0, 077, 0277};
    for (size_t i = 0; i < sizeof umasks / sizeof umasks[0]; i++) {
        char path[160], wal[170], shm[170];
        snprintf(path, sizeof path, "%s/mode%zu.db", f->dir, i);
        snprintf(wal, sizeof wal, "%s-wal", path);
        snprintf(shm, sizeof shm, "%s-shm", path);
        mode_t old = umask(umasks[i]);
        store *s = open_ok(path);
        int64_t id = person(s, "ada");
        assert_int_equal(store_journal_add(s, id, "p", "t", 1), SB_OK);
        umask(old);
        assert_int_equal(file_mode(path), 0600);
        assert_int_equal(file_mode(wal), 0600); /* exist while the store is open */
        assert_int_equal(file_mode(shm), 0600);
        store_close(s);
    }
    /* an existing file keeps the mode its owner gave it */
    store_close(open_ok(f->path));
    assert_int_equal(chmod(f->path, 0640), 0);
    store_close(open_ok(f->path));
    assert_int_equal(file_mode(f->path), 0640);
}

/* --- every kind of row survives close and reopen --- */

typedef struct collected {
    int n;
    int64_t when[8];
    char text[8][64];
    int value[8];
} collected;

static int collect_journal(void *ctx, int64_t when, const char *prompt, const char *text)
{
    collected *c = ctx;
    c->when[c->n] = when;
    snprintf(c->text[c->n++], sizeof c->text[0], "%s|%s", prompt, text);
    return c->n == 8;
}

static int collect_rating(void *ctx, int64_t when, const char *measure, int value)
{
    collected *c = ctx;
    c->when[c->n] = when;
    c->value[c->n] = value;
    snprintf(c->text[c->n++], sizeof c->text[0], "%s", measure);
    return c->n == 8;
}

static int collect_exercise(void *ctx, int64_t when, const char *exercise, const char *event)
{
    collected *c = ctx;
    c->when[c->n] = when;
    snprintf(c->text[c->n++], sizeof c->text[0], "%s|%s", exercise, event);
    return c->n == 8;
}

static int collect_outbox(void *ctx, int64_t id, const char *room, const char *text)
{
    collected *c = ctx;
    c->when[c->n] = id;
    snprintf(c->text[c->n++], sizeof c->text[0], "%s|%s", room, text);
    return c->n == 8;
}

static int collect_nudge(void *ctx, int64_t who, int64_t due)
{
    collected *c = ctx;
    c->when[c->n] = due;
    c->value[c->n++] = (int)who;
    return c->n == 8;
}

static void test_persistence_every_row(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->path);
    int64_t id = person(s, "ada");
    fill_one_of_each(s, id);
    store_close(s);

    s = open_ok(f->path);
    int64_t again = 0, when = 0, sent = -1, unsent = -1, due = 0;
    char *a = NULL, *b = NULL;
    assert_int_equal(store_person_find(s, "console", "ada", &again), SB_OK);
    assert_int_equal(again, id);
    assert_int_equal(store_person_identity(s, id, &a, &b), SB_OK);
    assert_string_equal(a, "console");
    assert_string_equal(b, "ada");
    free(a);
    free(b);
    assert_int_equal(store_person_last_seen(s, id, &when), SB_OK);
    assert_int_equal(when, 2001); /* the later of the touch (2000) and the state saved (2001) */
    assert_int_equal(store_state_load(s, id, &a), SB_OK);
    assert_string_equal(a, "{\"dialog\":\"intro\"}");
    free(a);

    collected c = {0};
    assert_int_equal(store_journal_list(s, id, 10, collect_journal, &c), SB_OK);
    assert_int_equal(c.n, 2); /* newest first */
    assert_string_equal(c.text[0], "what comes up|a wall");
    assert_string_equal(c.text[1], "when do you withdraw|at work");
    assert_int_equal(c.when[0], 2003);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_journal_list(s, id, 1, collect_journal, &c), SB_OK);
    assert_int_equal(c.n, 1);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_rating_list(s, id, collect_rating, &c), SB_OK);
    assert_int_equal(c.n, 2); /* oldest first */
    assert_int_equal(c.value[0], 3);
    assert_int_equal(c.value[1], 5);
    assert_string_equal(c.text[1], "closeness");
    memset(&c, 0, sizeof c);
    assert_int_equal(store_exercise_list(s, id, 10, collect_exercise, &c), SB_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.text[0], "reach-out|done");
    assert_string_equal(c.text[1], "reach-out|given");

    assert_int_equal(store_setting_get(s, id, "tz", &a), SB_OK);
    assert_string_equal(a, "Europe/Berlin");
    free(a);
    int direct = -1, set = -1;
    assert_int_equal(store_room_get(s, "console", "room-ada", &direct), SB_OK);
    assert_int_equal(direct, 1);
    assert_int_equal(store_room_flag_get(s, "console", "room-ada", "greeted", &set), SB_OK);
    assert_int_equal(set, 1);
    assert_int_equal(store_person_direct_room(s, id, &a), SB_OK);
    assert_string_equal(a, "room-ada");
    free(a);
    assert_int_equal(store_outbox_count(s, "console", &sent, &unsent), SB_OK);
    assert_int_equal(sent, 0);
    assert_int_equal(unsent, 1);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_outbox_pending(s, "console", collect_outbox, &c), SB_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.text[0], "room-ada|hello ada");
    assert_int_equal(store_resume_get(s, "console", "next_batch", &a), SB_OK);
    assert_string_equal(a, "s72_1");
    free(a);
    assert_int_equal(store_nudge_get(s, id, &due), SB_OK);
    assert_int_equal(due, 9000);
    store_close(s);
}

static void test_memory_store(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    assert_int_equal(store_schema_version(s), schema_latest());
    int64_t id = person(s, "ada");
    fill_one_of_each(s, id);
    json_t *e = NULL;
    assert_int_equal(store_export(s, id, &e), SB_OK);
    json_decref(e);
    assert_int_equal(store_forget(s, id), SB_OK);
    store_close(s);
}

/* --- people, state, settings details --- */

static void test_people_and_settings(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    int64_t ada = person(s, "ada"), bob = person(s, "bob"), found = 0;
    assert_true(ada != bob);
    assert_int_equal(person(s, "ada"), ada); /* found, not created twice */
    assert_int_equal(store_person_find(s, "matrix", "ada", &found), SB_ENOTFOUND);
    assert_int_equal(store_person_touch(s, 999, 5), SB_ENOTFOUND);
    char *v = (char *)1;
    assert_int_equal(store_state_load(s, ada, &v), SB_OK);
    assert_null(v);
    assert_int_equal(store_state_save(s, ada, "{\"a\":1}", 3), SB_OK);
    assert_int_equal(store_state_save(s, ada, "{\"a\":2}", 4), SB_OK);
    assert_int_equal(store_state_load(s, ada, &v), SB_OK);
    assert_string_equal(v, "{\"a\":2}");
    free(v);
    assert_int_equal(store_setting_set(s, ada, "consent", "no"), SB_OK);
    assert_int_equal(store_setting_set(s, ada, "consent", "yes"), SB_OK);
    assert_int_equal(store_setting_get(s, ada, "consent", &v), SB_OK);
    assert_string_equal(v, "yes");
    free(v);
    assert_int_equal(store_setting_get(s, bob, "consent", &v), SB_OK);
    assert_null(v);
    assert_int_equal(store_setting_delete(s, ada, "consent"), SB_OK);
    assert_int_equal(store_setting_get(s, ada, "consent", &v), SB_OK);
    assert_null(v);
    store_close(s);
}

/* What a message reads of its sender in one statement: the same as the reads it stands for. */
static void test_person_visit(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    store_visit v;
    assert_int_equal(store_person_visit(s, "console", "ada", "room-a", "nudge", &v), SB_ENOTFOUND);
    assert_int_equal(v.person, 0);
    assert_null(v.state);
    int64_t ada = person(s, "ada"), bob = person(s, "bob");
    assert_int_equal(store_person_visit(s, "console", "ada", "room-a", "nudge", &v), SB_OK);
    assert_int_equal(v.person, ada);
    assert_null(v.state);
    assert_null(v.setting);
    assert_int_equal(v.room_person, 0); /* no such room yet */
    store_visit_free(&v);
    assert_int_equal(store_state_save(s, ada, "{\"a\":1}", 3), SB_OK);
    assert_int_equal(store_setting_set(s, ada, "nudge", "{\"unanswered\":2}"), SB_OK);
    assert_int_equal(store_setting_set(s, ada, "consent", "yes"), SB_OK);
    assert_int_equal(store_room_set(s, "console", "room-a", 1, ada), SB_OK);
    assert_int_equal(store_room_set(s, "console", "room-g", 0, 0), SB_OK);
    assert_int_equal(store_person_visit(s, "console", "ada", "room-a", "nudge", &v), SB_OK);
    assert_int_equal(v.person, ada);
    assert_string_equal(v.state, "{\"a\":1}");
    assert_string_equal(v.setting, "{\"unanswered\":2}");
    assert_int_equal(v.room_person, ada);
    store_visit_free(&v);
    assert_null(v.state);
    /* a group room is nobody's direct room; bob in ada's room sees her there */
    assert_int_equal(store_person_visit(s, "console", "ada", "room-g", "nudge", &v), SB_OK);
    assert_int_equal(v.room_person, 0);
    store_visit_free(&v);
    assert_int_equal(store_person_visit(s, "console", "bob", "room-a", "nudge", &v), SB_OK);
    assert_int_equal(v.person, bob);
    assert_int_equal(v.room_person, ada);
    assert_null(v.setting);
    store_visit_free(&v);
    assert_int_equal(store_person_visit(s, "matrix", "ada", "room-a", "nudge", &v), SB_ENOTFOUND);
    assert_int_equal(store_person_visit(NULL, "console", "ada", "room-a", "nudge", &v), SB_EINVAL);
    store_close(s);
}

/* --- outbox --- */

static void test_outbox(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    int64_t ids[4], sent = 0, unsent = 0;
    static const char *const rooms[] = {"r1", "r2", "r1", "r3"};
    for (int i = 0; i < 4; i++) {
        char text[32];
        snprintf(text, sizeof text, "reply %d", i);
        assert_int_equal(store_outbox_add(s, "matrix", rooms[i], text, 100 + i, &ids[i]), SB_OK);
        if (i > 0)
            assert_true(ids[i] > ids[i - 1]);
    }
    assert_int_equal(store_outbox_add(s, "irc", "#x", "other adapter", 200, NULL), SB_OK);
    assert_int_equal(store_outbox_mark_sent(s, ids[1], 300), SB_OK);
    assert_int_equal(store_outbox_mark_sent(s, ids[1], 301), SB_OK); /* idempotent */
    assert_int_equal(store_outbox_mark_sent(s, 99999, 300), SB_ENOTFOUND);

    collected c = {0};
    assert_int_equal(store_outbox_pending(s, "matrix", collect_outbox, &c), SB_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.when[0], ids[0]);
    assert_int_equal(c.when[1], ids[2]);
    assert_int_equal(c.when[2], ids[3]);
    assert_string_equal(c.text[1], "r1|reply 2");
    assert_int_equal(store_outbox_count(s, "matrix", &sent, &unsent), SB_OK);
    assert_int_equal(sent, 1);
    assert_int_equal(unsent, 3);
    assert_int_equal(store_outbox_count(s, "irc", &sent, &unsent), SB_OK);
    assert_int_equal(sent, 0);
    assert_int_equal(unsent, 1);
    store_close(s);
}

/* --- resume positions --- */

static void test_resume(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->path);
    char *v = (char *)1;
    assert_int_equal(store_resume_get(s, "matrix", "next_batch", &v), SB_OK);
    assert_null(v);
    assert_int_equal(store_resume_set(s, "matrix", "next_batch", "s1"), SB_OK);
    assert_int_equal(store_resume_set(s, "matrix", "next_batch", "s2"), SB_OK);
    assert_int_equal(store_resume_set(s, "irc", "next_batch", "other"), SB_OK);
    store_close(s);
    s = open_ok(f->path);
    assert_int_equal(store_resume_get(s, "matrix", "next_batch", &v), SB_OK);
    assert_string_equal(v, "s2");
    free(v);
    assert_int_equal(store_resume_get(s, "irc", "next_batch", &v), SB_OK);
    assert_string_equal(v, "other");
    free(v);
    store_close(s);
}

/* --- nudges --- */

static void test_nudges(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    static const struct { const char *who; int64_t due; } plan[] = {
        {"a", 500}, {"b", 100}, {"c", 300}, {"d", 100}, {"e", 900},
    };
    int64_t ids[5], next = -1, due = -1;
    assert_int_equal(store_nudge_next(s, &next), SB_OK);
    assert_int_equal(next, 0);
    for (int i = 0; i < 5; i++) {
        ids[i] = person(s, plan[i].who);
        assert_int_equal(store_nudge_set(s, ids[i], plan[i].due), SB_OK);
    }
    assert_int_equal(store_nudge_next(s, &next), SB_OK);
    assert_int_equal(next, 100);

    collected c = {0};
    assert_int_equal(store_nudge_due(s, 500, 10, collect_nudge, &c), SB_OK);
    assert_int_equal(c.n, 4); /* b and d (100, by person), c (300), a (500); not e */
    assert_int_equal(c.value[0], ids[1]);
    assert_int_equal(c.value[1], ids[3]);
    assert_int_equal(c.value[2], ids[2]);
    assert_int_equal(c.value[3], ids[0]);
    assert_int_equal(c.when[3], 500);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_nudge_due(s, 1000, 2, collect_nudge, &c), SB_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.when[1], 100);

    assert_int_equal(store_nudge_set(s, ids[1], 0), SB_OK); /* clear */
    assert_int_equal(store_nudge_set(s, ids[3], 950), SB_OK); /* move */
    assert_int_equal(store_nudge_get(s, ids[1], &due), SB_OK);
    assert_int_equal(due, 0);
    assert_int_equal(store_nudge_next(s, &next), SB_OK);
    assert_int_equal(next, 300);
    assert_int_equal(store_nudge_set(s, 4242, 10), SB_ENOTFOUND);
    store_close(s);
}

/* --- rooms --- */

static void test_rooms(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    int64_t ada = person(s, "ada");
    int direct = -1, set = -1;
    char *room = NULL;
    assert_int_equal(store_room_get(s, "console", "nowhere", &direct), SB_ENOTFOUND);
    assert_int_equal(store_person_direct_room(s, ada, &room), SB_ENOTFOUND);
    assert_int_equal(store_room_set(s, "console", "#group", 0, 0), SB_OK);
    assert_int_equal(store_room_set(s, "console", "dm-old", 1, ada), SB_OK);
    assert_int_equal(store_room_set(s, "console", "dm-new", 1, ada), SB_OK);
    assert_int_equal(store_room_set(s, "matrix", "!elsewhere", 1, ada), SB_OK);
    assert_int_equal(store_room_set(s, "console", "dm-ghost", 1, 777), SB_ENOTFOUND);
    assert_int_equal(store_room_get(s, "console", "#group", &direct), SB_OK);
    assert_int_equal(direct, 0);
    assert_int_equal(store_room_get(s, "console", "dm-old", &direct), SB_OK);
    assert_int_equal(direct, 1);
    /* the newest direct room on the person's own adapter */
    assert_int_equal(store_person_direct_room(s, ada, &room), SB_OK);
    assert_string_equal(room, "dm-new");
    free(room);
    /* An adapter re-announcing the room after a restart (owner unknown to it) does not
     * make the store forget whose chat it is; becoming a group room does. */
    assert_int_equal(store_room_set(s, "console", "dm-new", 1, 0), SB_OK);
    assert_int_equal(store_person_direct_room(s, ada, &room), SB_OK);
    assert_string_equal(room, "dm-new");
    free(room);
    assert_int_equal(store_room_set(s, "console", "dm-new", 0, 0), SB_OK);
    assert_int_equal(store_person_direct_room(s, ada, &room), SB_OK);
    assert_string_equal(room, "dm-old");
    free(room);

    assert_int_equal(store_room_flag_get(s, "console", "#group", "notice", &set), SB_OK);
    assert_int_equal(set, 0);
    assert_int_equal(store_room_flag_set(s, "console", "#group", "notice"), SB_OK);
    assert_int_equal(store_room_flag_set(s, "console", "#group", "notice"), SB_OK);
    assert_int_equal(store_room_flag_get(s, "console", "#group", "notice", &set), SB_OK);
    assert_int_equal(set, 1);
    assert_int_equal(store_room_flag_get(s, "console", "#group", "other", &set), SB_OK);
    assert_int_equal(set, 0);
    assert_int_equal(store_room_forget(s, "console", "#group"), SB_OK);
    assert_int_equal(store_room_get(s, "console", "#group", &direct), SB_ENOTFOUND);
    assert_int_equal(store_room_flag_get(s, "console", "#group", "notice", &set), SB_OK);
    assert_int_equal(set, 0);
    store_close(s);
}

/* --- transactions --- */

static void test_transactions(void **state)
{
    fixture *f = *state;
    store *s = open_ok(f->path);
    int64_t ada = person(s, "ada");
    collected c = {0};

    assert_int_equal(store_commit(s), SB_EINVAL);
    assert_int_equal(store_rollback(s), SB_EINVAL);
    assert_int_equal(store_begin(s), SB_OK);
    assert_int_equal(store_begin(s), SB_EINVAL); /* no nesting */
    assert_int_equal(store_journal_add(s, ada, "p", "discarded", 1), SB_OK);
    assert_int_equal(store_resume_set(s, "console", "pos", "1"), SB_OK);
    assert_int_equal(store_rollback(s), SB_OK);
    assert_int_equal(store_journal_list(s, ada, 10, collect_journal, &c), SB_OK);
    assert_int_equal(c.n, 0);
    char *v = (char *)1;
    assert_int_equal(store_resume_get(s, "console", "pos", &v), SB_OK);
    assert_null(v);

    assert_int_equal(store_begin(s), SB_OK);
    assert_int_equal(store_journal_add(s, ada, "p", "kept", 2), SB_OK);
    assert_int_equal(store_resume_set(s, "console", "pos", "2"), SB_OK);
    assert_int_equal(store_commit(s), SB_OK);
    store_close(s);

    s = open_ok(f->path);
    assert_int_equal(store_journal_list(s, ada, 10, collect_journal, &c), SB_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.text[0], "p|kept");
    assert_int_equal(store_resume_get(s, "console", "pos", &v), SB_OK);
    assert_string_equal(v, "2");
    free(v);
    store_close(s);
}

/* --- callbacks: stopping early, errors, re-entry --- */

static int stop_at_first(void *ctx, int64_t when, const char *prompt, const char *text)
{
    (void)when, (void)prompt, (void)text;
    ++*(int *)ctx;
    return 1;
}

static int fail_with_eio(void *ctx, int64_t when, const char *prompt, const char *text)
{
    (void)ctx, (void)when, (void)prompt, (void)text;
    return SB_EIO;
}

typedef struct reentry {
    store *s;
    int64_t who;
} reentry;

static int reenter(void *ctx, int64_t when, const char *prompt, const char *text)
{
    (void)when, (void)prompt, (void)text;
    reentry *r = ctx;
    int n = 0;
    return store_journal_list(r->s, r->who, 10, stop_at_first, &n) == SB_EINVAL ? SB_ETOOBIG
                                                                                : SB_OK;
}

static void test_callbacks(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    int64_t ada = person(s, "ada");
    reentry r = {s, ada};
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_journal_add(s, ada, "p", "t", i), SB_OK);
    int n = 0;
    assert_int_equal(store_journal_list(s, ada, -1, stop_at_first, &n), SB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_journal_list(s, ada, -1, fail_with_eio, NULL), SB_EIO);
    assert_int_equal(store_journal_list(s, ada, -1, reenter, &r), SB_ETOOBIG);
    n = 0; /* and the list works again afterwards */
    assert_int_equal(store_journal_list(s, ada, -1, stop_at_first, &n), SB_OK);
    assert_int_equal(n, 1);
    store_close(s);
}

/* --- bad input is refused and changes nothing --- */

typedef struct bad_call {
    const char *name;
    int (*call)(store *s, int64_t who);
    int expect;
} bad_call;

static int bad_rating_high(store *s, int64_t who) { return store_rating_add(s, who, "m", 9, 1); }
static int bad_rating_low(store *s, int64_t who) { return store_rating_add(s, who, "m", 0, 1); }
static int bad_rating_measure(store *s, int64_t who) { return store_rating_add(s, who, NULL, 4, 1); }
static int bad_journal_text(store *s, int64_t who) { return store_journal_add(s, who, "p", NULL, 1); }
static int bad_journal_person(store *s, int64_t who) { return store_journal_add(s, who + 100, "p", "t", 1); }
static int bad_exercise_event(store *s, int64_t who) { return store_exercise_log(s, who, "x", "maybe", 1); }
static int bad_state(store *s, int64_t who) { return store_state_save(s, who, NULL, 1); }
static int bad_state_person(store *s, int64_t who) { return store_state_save(s, who + 100, "{}", 1); }
static int bad_setting(store *s, int64_t who) { return store_setting_set(s, who, "k", NULL); }
static int bad_room(store *s, int64_t who) { return store_room_set(s, "console", NULL, 1, who); }
static int bad_room_owner(store *s, int64_t who) { return store_room_set(s, "console", "r", 1, who + 100); }
static int bad_outbox(store *s, int64_t who) { (void)who; return store_outbox_add(s, "console", "room-ada", NULL, 1, NULL); }
static int bad_nudge(store *s, int64_t who) { return store_nudge_set(s, who, -5); }
static int bad_resume(store *s, int64_t who) { (void)who; return store_resume_set(s, "console", NULL, "x"); }
static int bad_person(store *s, int64_t who) { (void)who; int64_t id; return store_person_get(s, NULL, "x", 1, &id); }
static int bad_store(store *s, int64_t who) { (void)s; return store_journal_add(NULL, who, "p", "t", 1); }
static int bad_forget(store *s, int64_t who) { return store_forget(s, who + 100); }

static const bad_call bad_calls[] = {
    {"rating 9", bad_rating_high, SB_EINVAL},
    {"rating 0", bad_rating_low, SB_EINVAL},
    {"rating without measure", bad_rating_measure, SB_EINVAL},
    {"journal without text", bad_journal_text, SB_EINVAL},
    {"journal of nobody", bad_journal_person, SB_ENOTFOUND},
    {"exercise event maybe", bad_exercise_event, SB_EINVAL},
    {"state NULL", bad_state, SB_EINVAL},
    {"state of nobody", bad_state_person, SB_ENOTFOUND},
    {"setting NULL", bad_setting, SB_EINVAL},
    {"room NULL", bad_room, SB_EINVAL},
    {"room of nobody", bad_room_owner, SB_ENOTFOUND},
    {"outbox NULL text", bad_outbox, SB_EINVAL},
    {"nudge negative", bad_nudge, SB_EINVAL},
    {"resume NULL key", bad_resume, SB_EINVAL},
    {"person NULL adapter", bad_person, SB_EINVAL},
    {"NULL store", bad_store, SB_EINVAL},
    {"forget nobody", bad_forget, SB_ENOTFOUND},
};

static void test_bad_input(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    int64_t ada = person(s, "ada"), sent = 0, unsent = 0;
    fill_one_of_each(s, ada);
    json_t *before = NULL, *after = NULL;
    assert_int_equal(store_export(s, ada, &before), SB_OK);
    for (size_t i = 0; i < sizeof bad_calls / sizeof bad_calls[0]; i++) {
        int rc = bad_calls[i].call(s, ada);
        if (rc != bad_calls[i].expect)
            fail_msg("%s: got %d (%s), want %d", bad_calls[i].name, rc, sb_strerror(rc),
                     bad_calls[i].expect);
        assert_int_equal(store_export(s, ada, &after), SB_OK);
        if (!json_equal(before, after))
            fail_msg("%s changed the person's rows", bad_calls[i].name);
        json_decref(after);
    }
    json_decref(before);
    assert_int_equal(store_outbox_count(s, "console", &sent, &unsent), SB_OK);
    assert_int_equal(sent + unsent, 1);
    int64_t nobody = 0;
    assert_int_equal(store_person_find(s, "console", "x", &nobody), SB_ENOTFOUND);
    char *r = NULL;
    assert_int_equal(store_resume_get(s, "console", "next_batch", &r), SB_OK);
    assert_string_equal(r, "s72_1");
    free(r);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_new_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_version_zero_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v1_outbox_transient_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_version_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence_every_row, setup, teardown),
        cmocka_unit_test(test_memory_store),
        cmocka_unit_test(test_people_and_settings),
        cmocka_unit_test(test_person_visit),
        cmocka_unit_test(test_outbox),
        cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
        cmocka_unit_test(test_nudges),
        cmocka_unit_test(test_rooms),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test(test_callbacks),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
