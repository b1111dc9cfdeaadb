/* test_service.c — secrets handed over by systemd as credentials ($CREDENTIALS_DIRECTORY):
 * the name derived from the variable, the file read without its newline, and the order
 * file value > environment > credential; nothing outside systemd. */
#include "config.h"
#include "sb.h"
#include "service.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static void put(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sb-creds-XXXXXX");
    assert_non_null(mkdtemp(dir));
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    unsetenv("SECUREBASE_MATRIX_PASSWORD");
    unsetenv("SECUREBASE_IRC_PASSWORD");
    unsetenv("SECUREBASE_MATRIX_TOKEN");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    static const char *const names[] = {"matrix-password", "irc-password", "matrix-token",
                                        "empty", "huge", "conf"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    unsetenv("CREDENTIALS_DIRECTORY");
    unsetenv("SECUREBASE_MATRIX_PASSWORD");
    return 0;
}

static void names_follow_the_variable(void **state)
{
    (void)state;
    char name[32];
    assert_int_equal(service_credential_name("SECUREBASE_MATRIX_PASSWORD", name, sizeof name), SB_OK);
    assert_string_equal(name, "matrix-password");
    assert_int_equal(service_credential_name("SECUREBASE_IRC_PASSWORD", name, sizeof name), SB_OK);
    assert_string_equal(name, "irc-password");
    assert_int_equal(service_credential_name("HOME", name, sizeof name), SB_EINVAL);
    assert_int_equal(service_credential_name("SECUREBASE_MATRIX_PASSWORD", name, 8), SB_EINVAL);
}

static void file_read_without_newline(void **state)
{
    (void)state;
    put("matrix-password", "s3cret pass\n");
    char *s = service_credential("matrix-password");
    assert_non_null(s);
    assert_string_equal(s, "s3cret pass");
    free(s);
    put("empty", "\n");
    assert_null(service_credential("empty"));
    assert_null(service_credential("missing"));
    assert_null(service_credential("../etc/passwd"));
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put("huge", big);
    assert_null(service_credential("huge"));
}

static void config_takes_credentials_last(void **state)
{
    (void)state;
    put("matrix-password", "from-credential\n");
    put("irc-password", "irc-credential");
    sb_config *c = NULL;
    char err[256];
    assert_int_equal(config_load(NULL, &c, err, sizeof err), SB_OK);
    assert_string_equal(config_get(c, "matrix", "password"), "from-credential");
    assert_string_equal(config_get(c, "irc", "sasl_password"), "irc-credential");
    assert_null(config_get(c, "matrix", "access_token"));
    assert_false(config_has_section(c, "matrix")); /* a secret starts no adapter */
    config_free(c);

    setenv("SECUREBASE_MATRIX_PASSWORD", "from-env", 1);
    assert_int_equal(config_load(NULL, &c, err, sizeof err), SB_OK);
    assert_string_equal(config_get(c, "matrix", "password"), "from-env");
    config_free(c);

    char path[128];
    snprintf(path, sizeof path, "%s/conf", dir);
    put("conf", "[matrix]\npassword = from-file\n");
    assert_int_equal(config_load(path, &c, err, sizeof err), SB_OK);
    assert_string_equal(config_get(c, "matrix", "password"), "from-file");
    config_free(c);
    unsetenv("SECUREBASE_MATRIX_PASSWORD");
}

static void nothing_outside_systemd(void **state)
{
    (void)state;
    unsetenv("CREDENTIALS_DIRECTORY");
    put("matrix-password", "unused\n");
    assert_null(service_credential("matrix-password"));
    assert_int_equal(service_watchdog_interval_ms(), 0);
    service_ready("test");      /* no NOTIFY_SOCKET: nothing happens, nothing fails */
    service_watchdog_ping();
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_follow_the_variable),
        cmocka_unit_test(file_read_without_newline),
        cmocka_unit_test(config_takes_credentials_last),
        cmocka_unit_test(nothing_outside_systemd),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
