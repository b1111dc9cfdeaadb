/* test_resume.c — the adapters' resume positions in memory: a value per adapter and key,
 * replaced by the next one, copies handed out, nothing for an unknown key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "resume.h"
#include "sb.h"

static void test_positions(void **state)
{
    (void)state;
    resume_positions *r = resume_new();
    assert_non_null(r);
    assert_null(resume_get(r, "matrix", "next_batch"));
    assert_int_equal(resume_set(r, "matrix", "next_batch", "s1"), SB_OK);
    assert_int_equal(resume_set(r, "matrix", "device_id", "DEV"), SB_OK);
    assert_int_equal(resume_set(r, "irc", "next_batch", "other"), SB_OK);
    assert_int_equal(resume_set(r, "matrix", "next_batch", "s2"), SB_OK); /* replaces */
    char *v = resume_get(r, "matrix", "next_batch");
    assert_string_equal(v, "s2");
    free(v);
    v = resume_get(r, "irc", "next_batch"); /* adapters do not see each other's */
    assert_string_equal(v, "other");
    free(v);
    v = resume_get(r, "matrix", "device_id");
    assert_string_equal(v, "DEV");
    free(v);
    assert_null(resume_get(r, "console", "device_id"));
    resume_free(r);
    resume_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
