/* test_store_file.c — the store's file against store/store.h: migrations from every
 * older version, a newer version or a file that is no database refused, data kept across
 * close and reopen for every kind of row, and the file created 0600. */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
