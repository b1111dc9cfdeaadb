/* test_router.c — the router through its real interface with the real dialogs and an
 * in-memory store: one outbox row per answered message, committed with the resume
 * position; group rooms stay impersonal; the encrypted-room notice goes out once; and a
 * crisis reply goes out even when the batch cannot be committed; the router's memory of
 * recent visits is trusted only while nobody else changed what a visit reads. */
#include "dialog.h"
#include "router.h"
#include "sb.h"
#include "store.h"
#include "understand.h"
#include "visits.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct sent {
    int n;
    int64_t ids[32];
    char *rooms[32];
    char *texts[32];
} sent;

static void on_send(void *ctx, int64_t id, const char *adapter, const char *room, const char *text)
{
    sent *s = ctx;
    assert_string_equal(adapter, "test");
    assert_true(s->n < 32);
    s->ids[s->n] = id;
    s->rooms[s->n] = strdup(room);
    s->texts[s->n] = strdup(text);
    s->n++;
}

static void sent_clear(sent *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->rooms[i]);
        free(s->texts[i]);
    }
    s->n = 0;
}

typedef struct fixture {
    store *st;
    sb_dialogs *d;
    router *r;
    sent out;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(store_open(":memory:", &f->st), SB_OK);
    assert_int_equal(dialogs_load("dialogs", &f->d, NULL, NULL), SB_OK);
    f->r = router_new(f->st, f->d);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sent_clear(&f->out);
    router_free(f->r);
    dialogs_free(f->d);
    store_close(f->st);
    free(f);
    return 0;
}

static int say(fixture *f, const char *room, const char *sender, const char *text, int direct,
               int addressed, const char *resume)
{
    sb_inbound ev = {.kind = SB_IN_MESSAGE, .room = (char *)room, .sender = (char *)sender,
                     .text = (char *)text, .direct = direct, .addressed = addressed};
    sb_batch b = {.events = &ev, .count = 1, .resume_key = resume ? "next_batch" : NULL,
                  .resume_value = (char *)resume};
    return router_batch(f->r, "test", &b, 1795000000, on_send, &f->out);
}

static void one_row_per_message_with_resume(void **state)
{
    fixture *f = *state;
    assert_int_equal(say(f, "!dm", "@ann:x", "hi", 1, 0, "s1"), SB_OK);
    assert_int_equal(f->out.n, 1);
    assert_true(f->out.ids[0] > 0);
    assert_string_equal(f->out.rooms[0], "!dm");
    assert_non_null(strstr(f->out.texts[0], "coach"));
    char *pos = NULL;
    assert_int_equal(store_resume_get(f->st, "test", "next_batch", &pos), SB_OK);
    assert_string_equal(pos, "s1");
    free(pos);
    int64_t sent_rows, unsent;
    assert_int_equal(store_outbox_count(f->st, "test", &sent_rows, &unsent), SB_OK);
    assert_int_equal(unsent, 1);
}

static void group_rooms_stay_impersonal(void **state)
{
    fixture *f = *state;
    /* Consent and a journal entry in the direct chat ... */
    assert_int_equal(say(f, "!dm", "@ann:x", "hi", 1, 0, NULL), SB_OK);
    assert_int_equal(say(f, "!dm", "@ann:x", "1", 1, 0, NULL), SB_OK);
    assert_int_equal(say(f, "!dm", "@ann:x", "!journal my secret about the lighthouse", 1, 0, NULL), SB_OK);
    sent_clear(&f->out);
    /* ... chatter in a group is not ours ... */
    assert_int_equal(say(f, "!group", "@ann:x", "nice weather", 0, 0, NULL), SB_OK);
    assert_int_equal(f->out.n, 0);
    /* ... and a personal command there shows nothing personal. */
    assert_int_equal(say(f, "!group", "@ann:x", "!journal", 0, 0, NULL), SB_OK);
    assert_int_equal(f->out.n, 1);
    assert_string_equal(f->out.rooms[0], "!group");
    assert_null(strstr(f->out.texts[0], "lighthouse"));
    assert_int_equal(say(f, "!group", "@ann:x", "!export", 0, 0, NULL), SB_OK);
    assert_null(strstr(f->out.texts[1], "lighthouse"));
    /* The direct chat still has it. */
    assert_int_equal(say(f, "!dm", "@ann:x", "!journal", 1, 0, NULL), SB_OK);
    assert_non_null(strstr(f->out.texts[2], "lighthouse"));
}

static void encrypted_notice_once_per_room(void **state)
{
    fixture *f = *state;
    sb_inbound ev = {.kind = SB_IN_ENCRYPTED, .room = "!enc", .sender = "@ann:x"};
    sb_batch b = {.events = &ev, .count = 1};
    assert_int_equal(router_batch(f->r, "test", &b, 1795000000, on_send, &f->out), SB_OK);
    assert_int_equal(router_batch(f->r, "test", &b, 1795000001, on_send, &f->out), SB_OK);
    assert_int_equal(f->out.n, 1);
    assert_non_null(strstr(f->out.texts[0], "encrypt"));
}

static void unreadable_notice_once_per_room(void **state)
{
    fixture *f = *state;
    sb_inbound ev = {.kind = SB_IN_UNREADABLE, .room = "!enc", .sender = "@ann:x"};
    sb_batch b = {.events = &ev, .count = 1};
    assert_int_equal(router_batch(f->r, "test", &b, 1795000000, on_send, &f->out), SB_OK);
    assert_int_equal(router_batch(f->r, "test", &b, 1795000001, on_send, &f->out), SB_OK);
    assert_int_equal(f->out.n, 1);
    assert_string_equal(f->out.texts[0], "I couldn't read your last message; try sending it again.");
    ev.room = "!other";
    assert_int_equal(router_batch(f->r, "test", &b, 1795000002, on_send, &f->out), SB_OK);
    assert_int_equal(f->out.n, 2);
}

typedef struct state_row {
    char key[64], value[64], owner[64];
} state_row;

typedef struct state_rows {
    int n;
    state_row rows[8];
} state_rows;

static int collect_state(void *ctx, const char *key, const char *value, const char *owner)
{
    state_rows *r = ctx;
    assert_true(r->n < 8);
    snprintf(r->rows[r->n].key, 64, "%s", key);
    snprintf(r->rows[r->n].value, 64, "%s", value);
    snprintf(r->rows[r->n].owner, 64, "%s", owner);
    r->n++;
    return 0;
}

static void on_forgot(void *ctx, const char *adapter, const char *person)
{
    char *who = ctx;
    assert_string_equal(adapter, "test");
    snprintf(who, 64, "%s", person);
}

/* State changes commit with the batch, in order (a NULL value deletes); a forget deletes
 * what the person owns, and the adapter hears of it after the commit. */
static void state_changes_commit_and_forget_takes_owned(void **state)
{
    fixture *f = *state;
    sb_state_change changes[] = {{"account", "A1", NULL}, {"in|!dm|s1", "S1", "@ann:x"},
                                 {"in|!dm|s2", "S2", "@bo:x"}, {"gone", "x", NULL},
                                 {"gone", NULL, NULL}, {"account", "A2", NULL}};
    sb_batch b = {.changes = changes, .change_count = 6};
    assert_int_equal(router_batch(f->r, "test", &b, 1795000000, on_send, &f->out), SB_OK);
    state_rows rows = {0};
    assert_int_equal(store_adapter_state_each(f->st, "test", collect_state, &rows), SB_OK);
    assert_int_equal(rows.n, 3);
    assert_string_equal(rows.rows[0].key, "account");
    assert_string_equal(rows.rows[0].value, "A2");
    assert_string_equal(rows.rows[0].owner, "");
    assert_string_equal(rows.rows[1].owner, "@ann:x");

    char who[64] = "";
    router_on_forget(f->r, on_forgot, who);
    assert_int_equal(say(f, "!dm", "@ann:x", "hi", 1, 0, NULL), SB_OK);
    assert_int_equal(say(f, "!dm", "@ann:x", "forget", 1, 0, NULL), SB_OK);
    assert_int_equal(say(f, "!dm", "@ann:x", "yes", 1, 0, NULL), SB_OK);
    assert_string_equal(who, "@ann:x");
    rows.n = 0;
    assert_int_equal(store_adapter_state_each(f->st, "test", collect_state, &rows), SB_OK);
    assert_int_equal(rows.n, 2);
    assert_string_equal(rows.rows[0].key, "account");
    assert_string_equal(rows.rows[1].key, "in|!dm|s2"); /* someone else's stays */
}

/* Remembers a visit of @ann:x after a save of her state, as the router does. */
static void remember(visits *v, store *st, int64_t person)
{
    visit_hit seen = {0};
    assert_int_equal(visits_take(v, st, "test", "@ann:x", "!dm", &seen), 0);
    uint64_t mark = visits_mark(v, st);
    assert_int_equal(store_state_save(st, person, "{}", 1795000000), SB_OK);
    seen = (visit_hit){.person = person, .room_person = person, .state = json_object()};
    visits_put(v, st, mark, "test", "@ann:x", "!dm", &seen);
}

static int remembered(visits *v, store *st)
{
    visit_hit seen;
    int hit = visits_take(v, st, "test", "@ann:x", "!dm", &seen);
    json_decref(seen.state);
    return hit;
}

static void visits_trusted_only_while_nothing_else_wrote(void **state)
{
    fixture *f = *state;
    visits *v = visits_new();
    int64_t ann, bo;
    store_visit seen;
    assert_int_equal(store_person_get(f->st, "test", "@ann:x", 1795000000, &ann), SB_OK);
    /* the setting a visit reads is "nudge": the store learns it from the visit */
    assert_int_equal(store_person_visit(f->st, "test", "@ann:x", "!dm", "nudge", &seen), SB_OK);
    store_visit_free(&seen);
    remember(v, f->st, ann);
    assert_int_equal(remembered(v, f->st), 1);
    assert_int_equal(remembered(v, f->st), 0); /* taken: the router puts it back */
    /* what no visit reads leaves it: a new person, another setting, the outbox */
    remember(v, f->st, ann);
    assert_int_equal(store_person_get(f->st, "test", "@bo:x", 1795000000, &bo), SB_OK);
    assert_int_equal(store_setting_set(f->st, ann, "focus", "sleep"), SB_OK);
    assert_int_equal(store_outbox_add(f->st, "test", "!dm", "hello", 1795000000, NULL), SB_OK);
    assert_int_equal(remembered(v, f->st), 1);
    /* another writer's state save, the nudge setting, a room, a rollback, a forget: gone */
    remember(v, f->st, ann);
    assert_int_equal(store_state_save(f->st, ann, "{\"x\":1}", 1795000000), SB_OK);
    assert_int_equal(remembered(v, f->st), 0);
    remember(v, f->st, ann);
    assert_int_equal(store_setting_set(f->st, ann, "nudge", "{}"), SB_OK);
    assert_int_equal(remembered(v, f->st), 0);
    remember(v, f->st, ann);
    assert_int_equal(store_room_set(f->st, "test", "!dm", 0, 0), SB_OK);
    assert_int_equal(remembered(v, f->st), 0);
    assert_int_equal(store_begin(f->st), SB_OK);
    remember(v, f->st, ann);
    assert_int_equal(store_rollback(f->st), SB_OK);
    assert_int_equal(remembered(v, f->st), 0);
    remember(v, f->st, ann);
    assert_int_equal(store_forget(f->st, bo), SB_OK);
    assert_int_equal(remembered(v, f->st), 0);
    /* a write between the mark and the save: not remembered at all */
    uint64_t mark = visits_mark(v, f->st);
    assert_int_equal(store_setting_set(f->st, ann, "nudge", "{}"), SB_OK);
    assert_int_equal(store_state_save(f->st, ann, "{}", 1795000000), SB_OK);
    visit_hit hit = {.person = ann, .state = json_object()};
    visits_put(v, f->st, mark, "test", "@ann:x", "!dm", &hit);
    assert_int_equal(remembered(v, f->st), 0);
    visits_free(v);
}

/* Through the router: a state another writer saved is the one the next message meets. */
static void router_meets_a_state_saved_elsewhere(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(say(f, "!dm", "@ann:x", "hi", 1, 0, NULL), SB_OK);
    assert_int_equal(say(f, "!dm2", "@cy:x", "hi", 1, 0, NULL), SB_OK); /* a first "hi" */
    int64_t ann, cy;
    assert_int_equal(store_person_find(f->st, "test", "@ann:x", &ann), SB_OK);
    assert_int_equal(store_person_find(f->st, "test", "@cy:x", &cy), SB_OK);
    char *first = NULL, *after = NULL;
    assert_int_equal(store_state_load(f->st, cy, &first), SB_OK);
    /* a state that is not an object is reset to a fresh one by the next message: her
     * "hi" is then a first one, as if the remembered three had never been */
    assert_int_equal(store_state_save(f->st, ann, "[]", 1795000000), SB_OK);
    assert_int_equal(say(f, "!dm", "@ann:x", "hi", 1, 0, NULL), SB_OK);
    assert_int_equal(store_state_load(f->st, ann, &after), SB_OK);
    json_t *b = json_loads(first, 0, NULL), *a = json_loads(after, 0, NULL);
    assert_non_null(a);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    free(first);
    free(after);
}

static void crisis_reply_survives_a_failed_batch(void **state)
{
    fixture *f = *state;
    /* A transaction already open makes the router's own begin fail: nothing commits. */
    assert_int_equal(store_begin(f->st), SB_OK);
    assert_int_not_equal(say(f, "!dm", "@bo:x", "I want to kill myself", 1, 0, "s9"), SB_OK);
    assert_int_equal(f->out.n, 0); /* the failed batch itself sends nothing */
    sb_inbound ev = {.kind = SB_IN_MESSAGE, .room = "!dm", .sender = "@bo:x",
                     .text = "I want to kill myself", .direct = 1};
    sb_batch b = {.events = &ev, .count = 1};
    assert_int_equal(router_crisis_fallback(f->r, "test", &b, 1795000000, on_send, &f->out), 1);
    assert_int_equal(f->out.n, 1);
    assert_true(f->out.ids[0] < 0);
    assert_non_null(strstr(f->out.texts[0], dialogs_crisis_message(f->d)));
    /* An ordinary message in a failed batch gets no reply (it is redelivered later). */
    assert_int_not_equal(say(f, "!dm", "@bo:x", "hello", 1, 0, "s10"), SB_OK);
    ev.text = "hello";
    assert_int_equal(router_crisis_fallback(f->r, "test", &b, 1795000000, on_send, &f->out), 0);
    assert_int_equal(f->out.n, 1);
    assert_int_equal(store_rollback(f->st), SB_OK);
    char *pos = NULL;
    assert_int_equal(store_resume_get(f->st, "test", "next_batch", &pos), SB_OK);
    assert_null(pos);
}

/* Abuse at home: the fallback carries the services for it too, after the crisis message. */
static void abuse_reply_survives_a_failed_batch(void **state)
{
    fixture *f = *state;
    assert_int_equal(dialogs_set_abuse_message(f->d, "Call the Harbour Line on 0800 111."), SB_OK);
    sb_inbound ev = {.kind = SB_IN_MESSAGE, .room = "!dm", .sender = "@di:x",
                     .text = "my husband choked me again last night", .direct = 1};
    sb_batch b = {.events = &ev, .count = 1};
    assert_int_equal(router_crisis_fallback(f->r, "test", &b, 1795000000, on_send, &f->out), 1);
    assert_int_equal(f->out.n, 2);
    assert_non_null(strstr(f->out.texts[0], dialogs_crisis_message(f->d)));
    assert_string_equal(f->out.texts[1], "Call the Harbour Line on 0800 111.");
    assert_true(f->out.ids[0] < 0 && f->out.ids[1] < 0 && f->out.ids[0] != f->out.ids[1]);
}

static void crisis_first_with_configured_message(void **state)
{
    fixture *f = *state;
    assert_int_equal(dialogs_set_crisis_message(f->d, "Call the Lighthouse Line on 0800 000."), SB_OK);
    assert_int_equal(say(f, "!dm", "@cy:x", "everyone would be better off without me", 1, 0, NULL), SB_OK);
    assert_int_equal(f->out.n, 1);
    assert_non_null(strstr(f->out.texts[0], "Call the Lighthouse Line on 0800 000."));
}

/* Without consent, every reply row is transient: once sent, no echo of the person's words
 * stays in the outbox (design.md invariant 6). With consent, rows keep their text. */
static void replies_without_consent_are_transient(void **state)
{
    fixture *f = *state;
    assert_int_equal(say(f, "!dm", "@di:x", "hi", 1, 0, NULL), SB_OK);
    assert_int_equal(say(f, "!dm", "@di:x", "2", 1, 0, NULL), SB_OK); /* no, don't keep */
    assert_int_equal(say(f, "!dm", "@di:x", "!journal zanzibar", 1, 0, NULL), SB_OK);
    for (int i = 0; i < f->out.n; i++)
        assert_int_equal(store_outbox_mark_sent(f->st, f->out.ids[i], 1795000100), SB_OK);
    int64_t sent_rows, unsent;
    assert_int_equal(store_outbox_count(f->st, "test", &sent_rows, &unsent), SB_OK);
    assert_int_equal(sent_rows, f->out.n);
    json_t *all = NULL;
    int64_t person;
    assert_int_equal(store_person_find(f->st, "test", "@di:x", &person), SB_OK);
    assert_int_equal(store_export(f->st, person, &all), SB_OK);
    char *dump = json_dumps(all, 0);
    assert_null(strstr(dump, "zanzibar"));
    assert_null(strstr(dump, "Hello"));
    free(dump);
    json_decref(all);
}

int main(void)
{
    /* Every setup loads dialogs/: the trained model comes from tests/run's cache, not a
     * training under ASan per test. */
    if (getenv("SECUREBASE_MODEL_CACHE"))
        understand_set_cache(getenv("SECUREBASE_MODEL_CACHE"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_row_per_message_with_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(group_rooms_stay_impersonal, setup, teardown),
        cmocka_unit_test_setup_teardown(encrypted_notice_once_per_room, setup, teardown),
        cmocka_unit_test_setup_teardown(unreadable_notice_once_per_room, setup, teardown),
        cmocka_unit_test_setup_teardown(state_changes_commit_and_forget_takes_owned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(crisis_reply_survives_a_failed_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(abuse_reply_survives_a_failed_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(crisis_first_with_configured_message, setup, teardown),
        cmocka_unit_test_setup_teardown(replies_without_consent_are_transient, setup, teardown),
        cmocka_unit_test_setup_teardown(visits_trusted_only_while_nothing_else_wrote, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(router_meets_a_state_saved_elsewhere, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
