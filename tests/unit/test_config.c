/* test_config.c — the INI configuration: defaults, values, environment secrets, and bad
 * files named by file, line and key. */
#include "config.h"
#include "sb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/sb-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void defaults_without_file(void **state)
{
    (void)state;
    sb_config *c = NULL;
    char err[256];
    assert_int_equal(config_load(NULL, &c, err, sizeof err), SB_OK);
    assert_string_equal(config_get(c, "store", "path"), "securebase.db");
    assert_string_equal(config_get(c, "matrix", "msgtype"), "notice");
    assert_null(config_get(c, "matrix", "homeserver"));
    assert_false(config_has_section(c, "matrix"));
    assert_int_equal(config_get_long(c, "irc", "burst", 0), 4);
    config_free(c);
}

static void values_and_sections(void **state)
{
    (void)state;
    char *path = write_temp("; a comment\n# another\n[store]\npath = /tmp/x.db\n\n"
                            "[matrix]\nhomeserver = http://127.0.0.1:8008\n"
                            "[irc]\nsasl_required = yes\nburst = 9\n");
    sb_config *c = NULL;
    char err[256];
    assert_int_equal(config_load(path, &c, err, sizeof err), SB_OK);
    assert_string_equal(config_get(c, "store", "path"), "/tmp/x.db");
    assert_true(config_has_section(c, "matrix"));
    assert_true(config_has_section(c, "irc"));
    assert_true(config_get_bool(c, "irc", "sasl_required", 0));
    assert_int_equal(config_get_long(c, "irc", "burst", 0), 9);
    config_free(c);
    unlink(path);
}

static void secrets_from_environment(void **state)
{
    (void)state;
    setenv("SECUREBASE_MATRIX_PASSWORD", "from-env", 1);
    sb_config *c = NULL;
    char err[256];
    assert_int_equal(config_load(NULL, &c, err, sizeof err), SB_OK);
    assert_string_equal(config_get(c, "matrix", "password"), "from-env");
    config_free(c);
    /* The file wins over the environment. */
    char *path = write_temp("[matrix]\npassword = from-file\n");
    assert_int_equal(config_load(path, &c, err, sizeof err), SB_OK);
    assert_string_equal(config_get(c, "matrix", "password"), "from-file");
    config_free(c);
    unlink(path);
    unsetenv("SECUREBASE_MATRIX_PASSWORD");
}

#define LONG10 "abcdefghij"
#define LONG100 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10
#define LONG300 LONG100 LONG100 LONG100

/* Each bad file must name the file, the line and the key. */
static void bad_files_name_file_line_key(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *line;
        const char *key;
    } cases[] = {
        {"[store]\npath = a\ncolour = blue\n", ":3:", "'colour'"},
        {"[nowhere]\nkey = 1\n", ":2:", "'key'"},
        {"[irc]\n\nburst = lots\n", ":3:", "'burst'"},
        {"[irc]\nsasl_required = perhaps\n", ":2:", "'sasl_required'"},
        {"[matrix]\nthis line has no equals sign\n", ":2:", "key"},
        /* issue 11: a line longer than inih's buffer is named by its own line and key */
        {"[store]\n\npath = /tmp/" LONG300 "\n[dialogs]\npath = d\n", ":3:", "'path'"},
        {"[matrix]\nallowed_users = " LONG300 "\n", ":2:", "'allowed_users'"},
        /* a key given twice, named on its second line */
        {"[store]\npath = a\n\npath = b\n", ":4:", "'path'"},
        {"[matrix]\nhomeserver = matrix.example.org\n", ":2:", "'homeserver'"},
        {"[matrix]\nhomeserver = https://\n", ":2:", "'homeserver'"},
        {"[matrix]\nhomeserver = ftp://matrix.example.org\n", ":2:", "'homeserver'"},
        {"[matrix]\n\nuser_id = coach:example.org\n", ":3:", "'user_id'"},
        {"[matrix]\nuser_id = @coach\n", ":2:", "'user_id'"},
        {"[matrix]\nuser_id = @:example.org\n", ":2:", "'user_id'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_temp(cases[i].text);
        sb_config *c = (sb_config *)1;
        char err[256] = "";
        assert_int_equal(config_load(path, &c, err, sizeof err), SB_EPARSE);
        assert_null(c);
        if (!strstr(err, path) || !strstr(err, cases[i].line) || !strstr(err, cases[i].key))
            fail_msg("case %zu: message '%s' lacks file, line %s or key %s", i, err,
                     cases[i].line, cases[i].key);
        unlink(path);
    }
}

static void accepted_matrix_values(void **state)
{
    (void)state;
    char *path = write_temp("[matrix]\nhomeserver = https://matrix.example.org:8448/\n"
                            "user_id = @coach:example.org\n");
    sb_config *c = NULL;
    char err[256] = "";
    assert_int_equal(config_load(path, &c, err, sizeof err), SB_OK);
    assert_string_equal(config_get(c, "matrix", "user_id"), "@coach:example.org");
    config_free(c);
    unlink(path);
}

/* A file holding a secret and readable by others gets a warning; 0600 gets none. */
static void secret_in_open_file_warns(void **state)
{
    (void)state;
    char *path = write_temp("[matrix]\npassword = hunter2\n");
    sb_config *c = NULL;
    char err[256] = "";
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(config_load(path, &c, err, sizeof err), SB_OK);
    assert_non_null(config_warning(c));
    assert_non_null(strstr(config_warning(c), "chmod 600"));
    assert_null(strstr(config_warning(c), "hunter2"));
    config_free(c);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(config_load(path, &c, err, sizeof err), SB_OK);
    assert_null(config_warning(c));
    config_free(c);
    unlink(path);
    path = write_temp("[store]\npath = x.db\n"); /* nothing secret: no warning */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(config_load(path, &c, err, sizeof err), SB_OK);
    assert_null(config_warning(c));
    config_free(c);
    unlink(path);
}

static void missing_file_is_io_error(void **state)
{
    (void)state;
    sb_config *c = NULL;
    char err[256];
    assert_int_equal(config_load("/nonexistent/securebase.conf", &c, err, sizeof err), SB_EIO);
    assert_non_null(strstr(err, "/nonexistent/securebase.conf"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_without_file),
        cmocka_unit_test(values_and_sections),
        cmocka_unit_test(secrets_from_environment),
        cmocka_unit_test(bad_files_name_file_line_key),
        cmocka_unit_test(missing_file_is_io_error),
        cmocka_unit_test(accepted_matrix_values),
        cmocka_unit_test(secret_in_open_file_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
