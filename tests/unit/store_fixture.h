/* store_fixture.h — what the store's unit tests share: a temporary directory per test,
 * opening a store that must open, a raw sqlite look at the file, and one row of every
 * kind for a person, callbacks that collect what the store lists. Included by test_store.c,
 * test_store_file.c and test_store_privacy.c only. */
#ifndef SB_STORE_FIXTURE_H
#define SB_STORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sb.h"
#include "store.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static inline int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test_store.XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/sb.db", f->dir);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    DIR *d = opendir(f->dir);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        char p[512];
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
            unlink(p);
        }
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

static inline store *open_ok(const char *path)
{
    store *s = NULL;
    assert_int_equal(store_open(path, &s), SB_OK);
    assert_non_null(s);
    return s;
}

static inline int64_t person(store *s, const char *who)
{
    int64_t id = 0;
    assert_int_equal(store_person_get(s, "console", who, 1000, &id), SB_OK);
    assert_true(id > 0);
    return id;
}

/* Runs one statement on a raw connection and returns the first column of its first
 * row as an integer (-1 when there is no row). */
static inline int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

static inline void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static inline void fill_one_of_each(store *s, int64_t id)
{
    assert_int_equal(store_person_touch(s, id, 2000), SB_OK);
    assert_int_equal(store_state_save(s, id, "{\"dialog\":\"intro\"}", 2001), SB_OK);
    assert_int_equal(store_journal_add(s, id, "when do you withdraw", "at work", 2002), SB_OK);
    assert_int_equal(store_journal_add(s, id, "what comes up", "a wall", 2003), SB_OK);
    assert_int_equal(store_rating_add(s, id, "closeness", 3, 2004), SB_OK);
    assert_int_equal(store_rating_add(s, id, "closeness", 5, 2005), SB_OK);
    assert_int_equal(store_exercise_log(s, id, "reach-out", "given", 2006), SB_OK);
    assert_int_equal(store_exercise_log(s, id, "reach-out", "done", 2007), SB_OK);
    assert_int_equal(store_setting_set(s, id, "consent", "yes"), SB_OK);
    assert_int_equal(store_setting_set(s, id, "tz", "Europe/Berlin"), SB_OK);
    assert_int_equal(store_room_set(s, "console", "room-ada", 1, id), SB_OK);
    assert_int_equal(store_room_flag_set(s, "console", "room-ada", "greeted"), SB_OK);
    assert_int_equal(store_outbox_add(s, "console", "room-ada", "hello ada", 2008, NULL), SB_OK);
    assert_int_equal(store_resume_set(s, "console", "next_batch", "s72_1"), SB_OK);
    assert_int_equal(store_nudge_set(s, id, 9000), SB_OK);
}

/* --- callbacks that collect what the store lists --- */

typedef struct collected {
    int n;
    int64_t when[8];
    char text[8][64];
    int value[8];
} collected;

static inline int collect_journal(void *ctx, int64_t when, const char *prompt, const char *text)
{
    collected *c = ctx;
    c->when[c->n] = when;
    snprintf(c->text[c->n++], sizeof c->text[0], "%s|%s", prompt, text);
    return c->n == 8;
}

static inline int collect_rating(void *ctx, int64_t when, const char *measure, int value)
{
    collected *c = ctx;
    c->when[c->n] = when;
    c->value[c->n] = value;
    snprintf(c->text[c->n++], sizeof c->text[0], "%s", measure);
    return c->n == 8;
}

static inline int collect_exercise(void *ctx, int64_t when, const char *exercise, const char *event)
{
    collected *c = ctx;
    c->when[c->n] = when;
    snprintf(c->text[c->n++], sizeof c->text[0], "%s|%s", exercise, event);
    return c->n == 8;
}

static inline int collect_outbox(void *ctx, int64_t id, const char *room, const char *text)
{
    collected *c = ctx;
    c->when[c->n] = id;
    snprintf(c->text[c->n++], sizeof c->text[0], "%s|%s", room, text);
    return c->n == 8;
}

static inline int collect_nudge(void *ctx, int64_t who, int64_t due)
{
    collected *c = ctx;
    c->when[c->n] = due;
    c->value[c->n++] = (int)who;
    return c->n == 8;
}

#endif
