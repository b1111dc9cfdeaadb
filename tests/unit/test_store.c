/* test_store.c — the sqlite store against its contract in store/store.h: people and
 * settings, a visit, outbox, resume, nudges, rooms, transactions, callbacks and refusal of
 * bad input. The file itself (migrations, reopening, its mode) is test_store_file.c's;
 * export and forget are test_store_privacy.c's. */
#include "store_fixture.h"

#include "schema.h"

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
