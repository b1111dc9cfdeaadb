/* content_fixture.h — shared by the tests of the real content in dialogs/ (test_content.c,
 * test_content_tables.c): the set loaded as the coach loads it, once per program, and the
 * texts of a JSON value gathered. */
#ifndef CONTENT_FIXTURE_H
#define CONTENT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "engine.h"
#include "match.h"
#include "reflect.h"
#include "safety.h"
#include "sb.h"
#include "understand.h"

#define DIALOGS "dialogs"

static sb_dialogs *set;

static inline void report(void *ctx, const char *file, const char *state, const char *message)
{
    int *n = ctx;
    (*n)++;
    print_message("# %s: %s: %s\n", file, state, message);
}

static inline int setup(void **state)
{
    (void)state;
    int problems = 0;
    int rc = dialogs_load(DIALOGS, &set, report, &problems);
    if (rc != SB_OK)
        print_message("# dialogs/ did not load: %s (%d problems)\n", sb_strerror(rc), problems);
    return 0; /* test_load_clean reports the failure; the others skip without a set */
}

static inline int teardown(void **state)
{
    (void)state;
    dialogs_free(set);
    set = NULL;
    return 0;
}

static inline void need_set(void)
{
    if (!set)
        skip();
}

/* All texts of a JSON value joined (dialog "say" texts, data lists). */
static inline void gather(const json_t *j, sb_buf *b)
{
    if (json_is_string(j)) {
        sb_buf_puts(b, json_string_value(j));
        sb_buf_puts(b, "\n");
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) gather(v, b);
    } else if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) gather(v, b);
    }
}

/* First contact and "about" say what the coach is not, and give the crisis line. */

/* dialogs/ loads with its trained models from tests/run's cache (as test_router does), not a
 * training of the whole set under ASan at each run. */
static inline void use_model_cache(void)
{
    if (getenv("SECUREBASE_MODEL_CACHE"))
        understand_set_cache(getenv("SECUREBASE_MODEL_CACHE"));
}

/* The next file of dir (opened on DIALOGS) whose name ends in ".json", loaded (owned; NULL
 * for one that does not parse), or NULL with *done set when there is none. */
static inline json_t *next_json_file(DIR *dir, int *done)
{
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", DIALOGS, e->d_name);
        return json_load_file(path, 0, NULL);
    }
    *done = 1;
    return NULL;
}

#endif
