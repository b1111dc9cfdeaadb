/* test_matrix_crypto.c — the libolm boundary: canonical JSON as a table, accounts that
 * pickle and unpickle (and refuse a wrong pickle key), device and one-time keys that verify
 * and stop verifying when touched, an Olm conversation between two accounts in both
 * directions across pickles, Megolm from a sender to a reader (an export from a later index
 * reads nothing earlier), and where the pickle key comes from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "matrix_crypto.h"
#include "sb.h"

#define PICKLE_KEY "a pickle key of at least thirty-two bytes"
#define KEYLEN (sizeof PICKLE_KEY - 1)

typedef struct canonical_case {
    const char *in;
    const char *want;
} canonical_case;

static const canonical_case canonical_cases[] = {
    {"{}", "{}"},
    {"{\"one\": 1, \"two\": \"Two\"}", "{\"one\":1,\"two\":\"Two\"}"},
    {"{\"b\": \"2\", \"a\": \"1\"}", "{\"a\":\"1\",\"b\":\"2\"}"},
    {"{\"auth\": {\"success\": true, \"mxid\": \"@john.doe:example.com\", \"profile\": "
     "{\"display_name\": \"John Doe\", \"three_pids\": [{\"medium\": \"email\", \"address\": "
     "\"john.doe@example.org\"}]}}}",
     "{\"auth\":{\"mxid\":\"@john.doe:example.com\",\"profile\":{\"display_name\":\"John Doe\","
     "\"three_pids\":[{\"address\":\"john.doe@example.org\",\"medium\":\"email\"}]},"
     "\"success\":true}}"},
    {"{\"a\": \"\\u65E5\\u672C\\u8A9E\"}", "{\"a\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"}"},
    {"{\"\\u672C\": 2, \"\\u65E5\": 1}", "{\"\xe6\x97\xa5\":1,\"\xe6\x9c\xac\":2}"},
    {"{\"a\": \"\\u0000\"}", "{\"a\":\"\\u0000\"}"},
    {"{\"a\": null}", "{\"a\":null}"},
};

static void test_canonical_json(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof canonical_cases / sizeof canonical_cases[0]; i++) {
        json_t *v = json_loads(canonical_cases[i].in, JSON_ALLOW_NUL, NULL);
        assert_non_null(v);
        char *got = matrix_canonical_json(v);
        assert_string_equal(got, canonical_cases[i].want);
        free(got);
        json_decref(v);
    }
}

static void test_account_pickle(void **state)
{
    (void)state;
    matrix_account *a = NULL, *b = NULL;
    assert_int_equal(matrix_account_new(&a), SB_OK);
    assert_int_equal(strlen(matrix_account_curve25519(a)), 43);
    assert_int_equal(strlen(matrix_account_ed25519(a)), 43);
    char *pickle = matrix_account_pickle(a, PICKLE_KEY, KEYLEN);
    assert_non_null(pickle);
    assert_null(strstr(pickle, matrix_account_ed25519(a))); /* encrypted, not plain keys */
    assert_int_equal(matrix_account_unpickle(pickle, PICKLE_KEY, KEYLEN, &b), SB_OK);
    assert_string_equal(matrix_account_curve25519(a), matrix_account_curve25519(b));
    assert_string_equal(matrix_account_ed25519(a), matrix_account_ed25519(b));
    matrix_account_free(b);
    assert_int_equal(matrix_account_unpickle(pickle, "another key of at least 32 bytes", 32, &b),
                     SB_EAUTH);
    assert_null(b);
    assert_int_not_equal(matrix_account_unpickle("not a pickle", PICKLE_KEY, KEYLEN, &b), SB_OK);
    assert_null(b);
    free(pickle);
    matrix_account_free(a);
}

static void test_device_keys_signed(void **state)
{
    (void)state;
    matrix_account *a = NULL;
    assert_int_equal(matrix_account_new(&a), SB_OK);
    json_t *dk = matrix_account_device_keys(a, "@bot:example.org", "DEV1");
    assert_non_null(dk);
    assert_string_equal(json_string_value(json_object_get(dk, "device_id")), "DEV1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(dk, "keys"),
                                                          "ed25519:DEV1")),
                        matrix_account_ed25519(a));
    const char *ed = matrix_account_ed25519(a);
    assert_int_equal(matrix_verify_json(dk, "@bot:example.org", "ed25519:DEV1", ed), SB_OK);
    /* unsigned data is not covered; anything else is */
    json_object_set_new(dk, "unsigned", json_pack("{s:s}", "device_display_name", "x"));
    assert_int_equal(matrix_verify_json(dk, "@bot:example.org", "ed25519:DEV1", ed), SB_OK);
    json_object_set_new(dk, "device_id", json_string("DEV2"));
    assert_int_equal(matrix_verify_json(dk, "@bot:example.org", "ed25519:DEV1", ed), SB_EAUTH);
    assert_int_equal(matrix_verify_json(dk, "@other:example.org", "ed25519:DEV1", ed),
                     SB_ENOTFOUND);
    json_decref(dk);
    matrix_account_free(a);
}

static void test_one_time_keys(void **state)
{
    (void)state;
    matrix_account *a = NULL;
    assert_int_equal(matrix_account_new(&a), SB_OK);
    assert_true(matrix_account_max_one_time_keys(a) >= 50);
    json_t *otk, *fallback;
    assert_int_equal(matrix_account_unpublished_keys(a, "@b:x", "D", &otk, &fallback), SB_OK);
    assert_int_equal(json_object_size(otk), 0);
    assert_int_equal(json_object_size(fallback), 0);
    json_decref(otk);
    json_decref(fallback);
    assert_int_equal(matrix_account_generate_one_time_keys(a, 5), SB_OK);
    assert_int_equal(matrix_account_generate_fallback_key(a), SB_OK);
    assert_int_equal(matrix_account_unpublished_keys(a, "@b:x", "D", &otk, &fallback), SB_OK);
    assert_int_equal(json_object_size(otk), 5);
    assert_int_equal(json_object_size(fallback), 1);
    const char *name;
    json_t *key;
    json_object_foreach(otk, name, key) {
        assert_int_equal(strncmp(name, "signed_curve25519:", 18), 0);
        assert_int_equal(matrix_verify_json(key, "@b:x", "ed25519:D", matrix_account_ed25519(a)),
                         SB_OK);
        assert_null(json_object_get(key, "fallback"));
    }
    json_object_foreach(fallback, name, key) {
        assert_true(json_is_true(json_object_get(key, "fallback")));
        assert_int_equal(matrix_verify_json(key, "@b:x", "ed25519:D", matrix_account_ed25519(a)),
                         SB_OK);
    }
    json_decref(otk);
    json_decref(fallback);
    matrix_account_mark_published(a);
    assert_int_equal(matrix_account_unpublished_keys(a, "@b:x", "D", &otk, &fallback), SB_OK);
    assert_int_equal(json_object_size(otk), 0);
    assert_int_equal(json_object_size(fallback), 0);
    json_decref(otk);
    json_decref(fallback);
    matrix_account_free(a);
}

/* One unpublished one-time key of a, its text copied into key (at least 64 bytes). */
static void take_one_time_key(matrix_account *a, char *key)
{
    assert_int_equal(matrix_account_generate_one_time_keys(a, 1), SB_OK);
    json_t *otk, *fallback;
    assert_int_equal(matrix_account_unpublished_keys(a, "@b:x", "B", &otk, &fallback), SB_OK);
    const char *name;
    json_t *obj;
    json_object_foreach(otk, name, obj)
        snprintf(key, 64, "%s", json_string_value(json_object_get(obj, "key")));
    json_decref(otk);
    json_decref(fallback);
    matrix_account_mark_published(a);
}

/* Pickles s and gives back the unpickled copy (s is freed): state survives a restart. */
static matrix_olm *restart_olm(matrix_olm *s)
{
    char *pickle = matrix_olm_pickle(s, PICKLE_KEY, KEYLEN);
    assert_non_null(pickle);
    matrix_olm *back = NULL;
    assert_int_equal(matrix_olm_unpickle(pickle, PICKLE_KEY, KEYLEN, &back), SB_OK);
    assert_string_equal(matrix_olm_id(back), matrix_olm_id(s));
    free(pickle);
    matrix_olm_free(s);
    return back;
}

static void test_olm_round_trip(void **state)
{
    (void)state;
    matrix_account *alice = NULL, *bob = NULL;
    assert_int_equal(matrix_account_new(&alice), SB_OK);
    assert_int_equal(matrix_account_new(&bob), SB_OK);
    char bob_otk[64];
    take_one_time_key(bob, bob_otk);

    matrix_olm *a = NULL, *b = NULL;
    assert_int_equal(matrix_olm_outbound(alice, matrix_account_curve25519(bob), bob_otk, &a),
                     SB_OK);
    int type;
    char *body = NULL, *plain = NULL;
    assert_int_equal(matrix_olm_encrypt(a, "{\"hello\":\"bob\"}", &type, &body), SB_OK);
    assert_int_equal(type, 0); /* pre-key until alice hears back */
    a = restart_olm(a);

    assert_int_equal(matrix_olm_inbound(bob, matrix_account_curve25519(alice), body, &b), SB_OK);
    assert_string_equal(matrix_olm_id(a), matrix_olm_id(b));
    assert_int_equal(matrix_olm_matches(b, matrix_account_curve25519(alice), body), 1);
    assert_int_equal(matrix_olm_decrypt(b, type, body, &plain), SB_OK);
    assert_string_equal(plain, "{\"hello\":\"bob\"}");
    free(plain);
    /* the one-time key is gone: a second session from the same message fails */
    matrix_olm *again = NULL;
    assert_int_equal(matrix_olm_inbound(bob, matrix_account_curve25519(alice), body, &again),
                     SB_ENOTFOUND);
    free(body);
    b = restart_olm(b);

    /* bob answers; alice reads it; then normal messages both ways */
    assert_int_equal(matrix_olm_encrypt(b, "reply", &type, &body), SB_OK);
    assert_int_equal(type, 1);
    assert_int_equal(matrix_olm_decrypt(a, type, body, &plain), SB_OK);
    assert_string_equal(plain, "reply");
    assert_true(matrix_olm_has_received(a));
    free(plain);
    /* the same message twice: the key was used, the session is unchanged */
    assert_int_not_equal(matrix_olm_decrypt(a, type, body, &plain), SB_OK);
    free(body);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(matrix_olm_encrypt(a, "ping", &type, &body), SB_OK);
        assert_int_equal(type, 1);
        a = restart_olm(a);
        assert_int_equal(matrix_olm_decrypt(b, type, body, &plain), SB_OK);
        assert_string_equal(plain, "ping");
        free(plain);
        free(body);
    }
    /* a stranger's session cannot read it */
    matrix_account *eve = NULL;
    matrix_olm *e = NULL;
    assert_int_equal(matrix_account_new(&eve), SB_OK);
    char eve_otk[64];
    take_one_time_key(eve, eve_otk);
    assert_int_equal(matrix_olm_outbound(bob, matrix_account_curve25519(eve), eve_otk, &e), SB_OK);
    assert_int_equal(matrix_olm_encrypt(a, "secret", &type, &body), SB_OK);
    assert_int_not_equal(matrix_olm_decrypt(e, type, body, &plain), SB_OK);
    assert_null(plain);
    assert_int_equal(matrix_olm_decrypt(b, type, body, &plain), SB_OK);
    free(plain);
    free(body);
    assert_int_equal(matrix_olm_decrypt(b, 1, "!!not base64!!", &plain), SB_EPARSE);
    matrix_olm_free(e);
    matrix_olm_free(a);
    matrix_olm_free(b);
    matrix_account_free(eve);
    matrix_account_free(alice);
    matrix_account_free(bob);
}

static void test_olm_fallback_key(void **state)
{
    (void)state;
    matrix_account *alice = NULL, *bob = NULL;
    assert_int_equal(matrix_account_new(&alice), SB_OK);
    assert_int_equal(matrix_account_new(&bob), SB_OK);
    assert_int_equal(matrix_account_generate_fallback_key(bob), SB_OK);
    json_t *otk, *fallback;
    assert_int_equal(matrix_account_unpublished_keys(bob, "@b:x", "B", &otk, &fallback), SB_OK);
    const char *name;
    json_t *obj;
    char key[64] = "";
    json_object_foreach(fallback, name, obj)
        snprintf(key, sizeof key, "%s", json_string_value(json_object_get(obj, "key")));
    json_decref(otk);
    json_decref(fallback);
    /* two devices use the same fallback key: both sessions work, the key stays */
    for (int i = 0; i < 2; i++) {
        matrix_olm *a = NULL, *b = NULL;
        char *body = NULL, *plain = NULL;
        int type;
        assert_int_equal(matrix_olm_outbound(alice, matrix_account_curve25519(bob), key, &a),
                         SB_OK);
        assert_int_equal(matrix_olm_encrypt(a, "via fallback", &type, &body), SB_OK);
        assert_int_equal(matrix_olm_inbound(bob, matrix_account_curve25519(alice), body, &b),
                         SB_OK);
        assert_int_equal(matrix_olm_decrypt(b, type, body, &plain), SB_OK);
        assert_string_equal(plain, "via fallback");
        free(plain);
        free(body);
        matrix_olm_free(a);
        matrix_olm_free(b);
    }
    matrix_account_free(alice);
    matrix_account_free(bob);
}

static void test_megolm(void **state)
{
    (void)state;
    matrix_megolm_out *out = NULL;
    matrix_megolm_in *in = NULL, *late = NULL;
    assert_int_equal(matrix_megolm_out_new(&out), SB_OK);
    assert_int_equal(matrix_megolm_out_index(out), 0);
    char *key = matrix_megolm_out_key(out);
    assert_non_null(key);
    assert_int_equal(matrix_megolm_in_new(key, &in), SB_OK);
    matrix_crypto_wipe_string(key);
    assert_string_equal(matrix_megolm_in_id(in), matrix_megolm_out_id(out));
    char *ciphers[4];
    for (int i = 0; i < 4; i++) {
        char text[32];
        snprintf(text, sizeof text, "message %d", i);
        assert_int_equal(matrix_megolm_out_encrypt(out, text, &ciphers[i]), SB_OK);
        /* pickled after each message, as the adapter does before sending */
        char *pickle = matrix_megolm_out_pickle(out, PICKLE_KEY, KEYLEN);
        matrix_megolm_out *back = NULL;
        assert_int_equal(matrix_megolm_out_unpickle(pickle, PICKLE_KEY, KEYLEN, &back), SB_OK);
        assert_int_equal(matrix_megolm_out_index(back), (uint32_t)i + 1);
        free(pickle);
        matrix_megolm_out_free(out);
        out = back;
    }
    for (int i = 0; i < 4; i++) {
        char *plain = NULL;
        uint32_t index = 99;
        assert_int_equal(matrix_megolm_in_decrypt(in, ciphers[i], &plain, &index), SB_OK);
        char want[32];
        snprintf(want, sizeof want, "message %d", i);
        assert_string_equal(plain, want);
        assert_int_equal(index, (uint32_t)i);
        free(plain);
    }
    /* an export from index 2 reads 2 and 3, not 0 and 1 (forget relies on it) */
    char *exported = matrix_megolm_in_export(in, 2);
    assert_non_null(exported);
    assert_int_equal(matrix_megolm_in_import(exported, &late), SB_OK);
    matrix_crypto_wipe_string(exported);
    assert_int_equal(matrix_megolm_in_first_index(late), 2);
    char *pickle = matrix_megolm_in_pickle(late, PICKLE_KEY, KEYLEN);
    matrix_megolm_in_free(late);
    assert_int_equal(matrix_megolm_in_unpickle(pickle, PICKLE_KEY, KEYLEN, &late), SB_OK);
    free(pickle);
    char *plain = NULL;
    uint32_t index;
    assert_int_equal(matrix_megolm_in_decrypt(late, ciphers[1], &plain, &index), SB_ENOTFOUND);
    assert_int_equal(matrix_megolm_in_decrypt(late, ciphers[3], &plain, &index), SB_OK);
    assert_string_equal(plain, "message 3");
    free(plain);
    /* tampered ciphertext fails the MAC or the format */
    ciphers[0][10] = ciphers[0][10] == 'A' ? 'B' : 'A';
    assert_int_not_equal(matrix_megolm_in_decrypt(in, ciphers[0], &plain, &index), SB_OK);
    assert_int_equal(matrix_megolm_in_new("not a session key", &late), SB_EPARSE);
    for (int i = 0; i < 4; i++)
        free(ciphers[i]);
    matrix_megolm_in_free(late);
    matrix_megolm_in_free(in);
    matrix_megolm_out_free(out);
}

static void test_pickle_key_sources(void **state)
{
    (void)state;
    char *key = NULL;
    size_t len = 0;
    char why[512];
    unsetenv("SECUREBASE_PICKLE_KEY");
    unsetenv("CREDENTIALS_DIRECTORY");
    assert_int_equal(matrix_pickle_key_load(&key, &len, why, sizeof why), SB_ENOTFOUND);
    assert_non_null(strstr(why, "SECUREBASE_PICKLE_KEY"));
    setenv("SECUREBASE_PICKLE_KEY", "short", 1);
    assert_int_equal(matrix_pickle_key_load(&key, &len, why, sizeof why), SB_EINVAL);
    assert_null(key);
    setenv("SECUREBASE_PICKLE_KEY", PICKLE_KEY "\n", 1);
    assert_int_equal(matrix_pickle_key_load(&key, &len, why, sizeof why), SB_OK);
    assert_int_equal(len, KEYLEN);
    assert_string_equal(key, PICKLE_KEY);
    matrix_crypto_wipe_free(key, len);
    unsetenv("SECUREBASE_PICKLE_KEY");

    char dir[] = "/tmp/sb-credentials-XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("CREDENTIALS_DIRECTORY", dir, 1);
    assert_int_equal(matrix_pickle_key_load(&key, &len, why, sizeof why), SB_ENOTFOUND);
    assert_non_null(strstr(why, "pickle-key"));
    char path[600];
    snprintf(path, sizeof path, "%s/pickle_key", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("credential key from systemd, 32 bytes or more\n", f);
    fclose(f);
    assert_int_equal(matrix_pickle_key_load(&key, &len, why, sizeof why), SB_OK);
    assert_string_equal(key, "credential key from systemd, 32 bytes or more");
    matrix_crypto_wipe_free(key, len);
    unlink(path);
    /* the name securebase gives credentials (SECUREBASE_PICKLE_KEY -> pickle-key) */
    snprintf(path, sizeof path, "%s/pickle-key", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("the credential under its hyphenated name, 32+\n", f);
    fclose(f);
    assert_int_equal(matrix_pickle_key_load(&key, &len, why, sizeof why), SB_OK);
    assert_string_equal(key, "the credential under its hyphenated name, 32+");
    matrix_crypto_wipe_free(key, len);
    unlink(path);
    rmdir(dir);
    unsetenv("CREDENTIALS_DIRECTORY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical_json),
        cmocka_unit_test(test_account_pickle),
        cmocka_unit_test(test_device_keys_signed),
        cmocka_unit_test(test_one_time_keys),
        cmocka_unit_test(test_olm_round_trip),
        cmocka_unit_test(test_olm_fallback_key),
        cmocka_unit_test(test_megolm),
        cmocka_unit_test(test_pickle_key_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
