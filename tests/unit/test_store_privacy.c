/* test_store_privacy.c — store_export and store_forget against store/store.h: the export
 * holds every kind of row of the person and nothing of anyone else; after a forget
 * nothing of theirs remains, not even in the bytes of the database file and its WAL. */
#include "store_fixture.h"

#define SECRET "zebra-quokka-7731 my private words"
#define OTHER "heron-lantern-4402 someone else's words"

/* --- export --- */

static const char *str_at(json_t *o, const char *array, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(o, array), i), key));
}

static void test_export(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    int64_t ada = person(s, "ada"), bob = person(s, "bob");
    fill_one_of_each(s, ada);
    assert_int_equal(store_journal_add(s, bob, "p", OTHER, 5), SB_OK);
    assert_int_equal(store_room_set(s, "console", "room-bob", 1, bob), SB_OK);
    assert_int_equal(store_outbox_add(s, "console", "room-bob", OTHER, 6, NULL), SB_OK);

    json_t *e = NULL;
    assert_int_equal(store_export(s, ada, &e), SB_OK);
    assert_non_null(e);
    json_t *p = json_object_get(e, "person");
    assert_int_equal(json_integer_value(json_object_get(p, "id")), ada);
    assert_string_equal(json_string_value(json_object_get(p, "platform_id")), "ada");
    /* times as ISO 8601 UTC; last seen when the state was last saved (2001), after the touch */
    assert_string_equal(json_string_value(json_object_get(p, "last_seen")), "1970-01-01T00:33:21Z");
    json_t *st = json_object_get(json_object_get(e, "session"), "state");
    assert_true(json_is_object(st));
    assert_string_equal(json_string_value(json_object_get(st, "dialog")), "intro");
    assert_int_equal(json_array_size(json_object_get(e, "journal")), 2);
    assert_string_equal(str_at(e, "journal", 0, "text"), "at work"); /* oldest first */
    assert_string_equal(str_at(e, "journal", 1, "prompt"), "what comes up");
    assert_int_equal(json_array_size(json_object_get(e, "ratings")), 2);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(e, "ratings"), 1), "value")), 5);
    assert_int_equal(json_array_size(json_object_get(e, "exercise_log")), 2);
    assert_string_equal(str_at(e, "exercise_log", 1, "event"), "done");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "settings"), "tz")),
                        "Europe/Berlin");
    assert_int_equal(json_array_size(json_object_get(e, "rooms")), 1);
    assert_string_equal(str_at(e, "rooms", 0, "room"), "room-ada");
    assert_string_equal(str_at(e, "room_flags", 0, "flag"), "greeted");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "nudge"), "due")),
                        "1970-01-01T02:30:00Z");
    assert_true(json_is_string(json_object_get(json_object_get(e, "session"), "updated")));
    assert_string_equal(str_at(e, "journal", 0, "at"), "1970-01-01T00:33:22Z");
    assert_string_equal(str_at(e, "ratings", 1, "at"), "1970-01-01T00:33:25Z");
    /* issue 11: the coach's replies (earlier exports among them) are not the person's rows */
    assert_null(json_object_get(e, "outbox"));
    char *dump = json_dumps(e, 0);
    assert_non_null(dump);
    assert_null(strstr(dump, "heron-lantern")); /* nothing of bob's */
    free(dump);
    json_decref(e);

    /* a state that is not JSON is exported as the string it is; no nudge is null */
    assert_int_equal(store_state_save(s, bob, "not json {", 7), SB_OK);
    assert_int_equal(store_export(s, bob, &e), SB_OK);
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "session"), "state")),
                        "not json {");
    assert_true(json_is_null(json_object_get(e, "nudge")));
    json_decref(e);
    assert_int_equal(store_export(s, 4242, &e), SB_ENOTFOUND);
    assert_null(e);
    store_close(s);
}

/* --- forget leaves nothing, down to the bytes of the file --- */

static char *read_file(const char *path, size_t *len)
{
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    sb_buf b = {0};
    char chunk[65536];
    for (size_t n = fread(chunk, 1, sizeof chunk, fp); n > 0; n = fread(chunk, 1, sizeof chunk, fp))
        assert_int_equal(sb_buf_append(&b, chunk, n), SB_OK);
    fclose(fp);
    *len = b.len;
    return b.data;
}

/* Whether needle occurs in the database file or its WAL. */
static int on_disk(const char *path, const char *needle)
{
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", path);
    const char *files[] = {path, wal};
    int found = 0;
    for (int i = 0; i < 2; i++) {
        size_t len = 0;
        char *data = read_file(files[i], &len);
        if (data && memmem(data, len, needle, strlen(needle)))
            found = 1;
        free(data);
    }
    return found;
}

static void fill_for_forget(store *s, int64_t ada, int64_t bob, int64_t cy)
{
    int64_t id = 0;
    assert_int_equal(store_begin(s), SB_OK);
    fill_one_of_each(s, ada);
    assert_int_equal(store_state_save(s, ada, "{\"last\":\"" SECRET "\"}", 1), SB_OK);
    assert_int_equal(store_setting_set(s, ada, "note", SECRET), SB_OK);
    assert_int_equal(store_room_flag_set(s, "console", "room-ada", SECRET), SB_OK);
    assert_int_equal(store_outbox_add(s, "console", "room-ada", "You said: " SECRET, 1, &id), SB_OK);
    assert_int_equal(store_outbox_mark_sent(s, id, 2), SB_OK);
    /* interleaved with other people's rows, so their pages are shared */
    for (int i = 0; i < 300; i++) {
        char text[128];
        snprintf(text, sizeof text, "%s #%d", SECRET, i);
        assert_int_equal(store_journal_add(s, ada, "prompt", text, 10 + i), SB_OK);
        snprintf(text, sizeof text, "%s #%d", OTHER, i);
        assert_int_equal(store_journal_add(s, bob, "prompt", text, 10 + i), SB_OK);
        assert_int_equal(store_rating_add(s, cy, "trust", 1 + i % 7, 10 + i), SB_OK);
    }
    assert_int_equal(store_commit(s), SB_OK);
}

static void forget_and_check(fixture *f, int in_transaction)
{
    store *s = open_ok(f->path);
    int64_t ada = person(s, "ada"), bob = person(s, "bob"), cy = person(s, "cy"), found = 0;
    fill_for_forget(s, ada, bob, cy);
    assert_true(on_disk(f->path, SECRET)); /* so the check below can fail */
    if (in_transaction)
        assert_int_equal(store_begin(s), SB_OK);
    assert_int_equal(store_forget(s, ada), SB_OK);
    if (in_transaction)
        assert_int_equal(store_commit(s), SB_OK);
    assert_false(on_disk(f->path, "zebra-quokka")); /* already gone while open */
    json_t *e = NULL;
    assert_int_equal(store_export(s, ada, &e), SB_ENOTFOUND);
    assert_int_equal(store_forget(s, ada), SB_ENOTFOUND);
    assert_int_equal(store_person_find(s, "console", "ada", &found), SB_ENOTFOUND);
    assert_int_equal(store_export(s, bob, &e), SB_OK);
    assert_int_equal(json_array_size(json_object_get(e, "journal")), 300);
    json_decref(e);
    store_close(s);

    assert_false(on_disk(f->path, "zebra-quokka"));
    assert_true(on_disk(f->path, "heron-lantern"));
    static const char *const person_tables[] = {"sessions", "journal", "ratings",
                                                "exercise_log", "settings", "rooms", "nudges"};
    char sql[128];
    for (size_t i = 0; i < sizeof person_tables / sizeof person_tables[0]; i++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE person = %lld", person_tables[i],
                 (long long)ada);
        assert_int_equal(raw_int(f->path, sql), 0);
    }
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM room_flags WHERE room = 'room-ada'"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox WHERE room = 'room-ada'"
                                      " AND sent_at IS NOT NULL"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM ratings"), 300); /* cy's */
}

static void test_forget(void **state)
{
    forget_and_check(*state, 0);
}

static void test_forget_in_transaction(void **state)
{
    forget_and_check(*state, 1);
}

/* An unsent reply to the forgotten person's room still goes out (e.g. the confirmation). */
static void test_forget_keeps_unsent(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    int64_t ada = person(s, "ada"), sent = -1, unsent = -1;
    assert_int_equal(store_room_set(s, "console", "room-ada", 1, ada), SB_OK);
    assert_int_equal(store_begin(s), SB_OK);
    assert_int_equal(store_forget(s, ada), SB_OK);
    assert_int_equal(store_outbox_add(s, "console", "room-ada", "All deleted.", 1, NULL), SB_OK);
    assert_int_equal(store_commit(s), SB_OK);
    assert_int_equal(store_outbox_count(s, "console", &sent, &unsent), SB_OK);
    assert_int_equal(unsent, 1);
    store_close(s);
}

/* Ids are never handed out twice, even when a forget deleted the newest rows. */
static void test_outbox_ids_not_reused(void **state)
{
    (void)state;
    store *s = open_ok(":memory:");
    int64_t ada = person(s, "ada"), id = 0, next = 0;
    assert_int_equal(store_room_set(s, "matrix", "!ada", 1, ada), SB_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_outbox_add(s, "matrix", "!ada", "hi", 1, &id), SB_OK);
        assert_int_equal(store_outbox_mark_sent(s, id, 2), SB_OK);
    }
    assert_int_equal(store_forget(s, ada), SB_OK);
    int64_t sent = -1, unsent = -1;
    assert_int_equal(store_outbox_count(s, "matrix", &sent, &unsent), SB_OK);
    assert_int_equal(sent + unsent, 0);
    assert_int_equal(store_outbox_add(s, "matrix", "!new", "hi", 3, &next), SB_OK);
    assert_true(next > id);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export),
        cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_in_transaction, setup, teardown),
        cmocka_unit_test(test_forget_keeps_unsent),
        cmocka_unit_test(test_outbox_ids_not_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
