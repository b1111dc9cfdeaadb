/* matrix_crypto.c — libolm behind matrix_crypto.h, part one: memory, the random bytes libolm
 * needs, the pickle key, canonical JSON and signatures, and the account (identity, one-time
 * and fallback keys). Olm and Megolm sessions are matrix_crypto_session.c. libolm destroys
 * several of its input buffers (base64 decoded in place), so every input is copied first;
 * every object is wiped before its memory is freed. Which keys to use when is matrix_e2ee's. */
#include "matrix_crypto_impl.h"

#include "sb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define PICKLE_KEY_FILE_MAX 4096

/* ---- memory, randomness, errors ---- */

void matrix_crypto_wipe_free(void *p, size_t n)
{
    if (!p)
        return;
    explicit_bzero(p, n);
    free(p);
}

void matrix_crypto_wipe_string(char *s)
{
    if (s)
        matrix_crypto_wipe_free(s, strlen(s));
}

static int system_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return SB_EIO;
        }
        p += got;
        n -= (size_t)got;
    }
    return SB_OK;
}

static matrix_random_fn random_source = system_random;

void matrix_crypto_set_random(matrix_random_fn fn)
{
    random_source = fn ? fn : system_random;
}

int crypto_random_bytes(size_t n, unsigned char **out)
{
    *out = malloc(n ? n : 1);
    if (!*out)
        return SB_ENOMEM;
    int rc = n ? random_source(*out, n) : SB_OK;
    if (rc != SB_OK) {
        matrix_crypto_wipe_free(*out, n);
        *out = NULL;
    }
    return rc;
}

int crypto_olm_error(enum OlmErrorCode code)
{
    switch (code) {
    case OLM_SUCCESS:
        return SB_OK;
    case OLM_BAD_MESSAGE_MAC:
    case OLM_BAD_ACCOUNT_KEY:
    case OLM_BAD_SIGNATURE:
        return SB_EAUTH;
    case OLM_BAD_MESSAGE_KEY_ID:
    case OLM_UNKNOWN_MESSAGE_INDEX:
        return SB_ENOTFOUND;
    case OLM_NOT_ENOUGH_RANDOM:
    case OLM_OUTPUT_BUFFER_TOO_SMALL:
        return SB_EINVAL;
    default: /* bad base64, format, version, pickle, session key */
        return SB_EPARSE;
    }
}

char *crypto_copy(const char *s, size_t *len)
{
    *len = s ? strlen(s) : 0;
    return sb_strndup(s ? s : "", *len);
}

/* ---- pickle key ---- */

static void trim_end(char *s, size_t *len)
{
    while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == '\r' || s[*len - 1] == ' ' ||
                        s[*len - 1] == '\t'))
        s[--*len] = '\0';
}

static int read_key_file(const char *path, char **key, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? SB_ENOTFOUND : errno == EACCES ? SB_EACCES : SB_EIO;
    char *buf = malloc(PICKLE_KEY_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, PICKLE_KEY_FILE_MAX + 1, f) : 0;
    int failed = ferror(f);
    fclose(f);
    if (!buf)
        return SB_ENOMEM;
    if (failed || n > PICKLE_KEY_FILE_MAX) {
        matrix_crypto_wipe_free(buf, PICKLE_KEY_FILE_MAX + 1);
        return failed ? SB_EIO : SB_EINVAL;
    }
    buf[n] = '\0';
    *key = buf;
    *len = n;
    return SB_OK;
}

int matrix_pickle_key_load(char **key, size_t *len, char *why, size_t why_size)
{
    *key = NULL;
    *len = 0;
    const char *env = getenv("SECUREBASE_PICKLE_KEY");
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    const char *source = "SECUREBASE_PICKLE_KEY";
    char path[4096] = "";
    int rc = SB_ENOTFOUND;
    if (env && *env) {
        *len = strlen(env);
        *key = sb_strndup(env, *len);
        rc = *key ? SB_OK : SB_ENOMEM;
    } else if (dir && *dir) {
        /* "pickle-key" as securebase names credentials after their variable (service.c);
         * "pickle_key" is also read */
        static const char *const names[] = {"pickle-key", "pickle_key"};
        for (size_t i = 0; i < 2 && rc == SB_ENOTFOUND; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            source = path;
            rc = read_key_file(path, key, len);
        }
    }
    if (rc == SB_OK) {
        trim_end(*key, len);
        if (*len < MATRIX_PICKLE_KEY_MIN)
            rc = SB_EINVAL;
    }
    if (rc == SB_OK)
        return SB_OK;
    if (*key)
        matrix_crypto_wipe_free(*key, *len);
    *key = NULL;
    *len = 0;
    if (rc == SB_ENOTFOUND)
        snprintf(why, why_size, "set SECUREBASE_PICKLE_KEY or give the systemd credential "
                 "pickle-key (LoadCredential=)%s%s", dir && *dir ? "; there is none in " : "",
                 dir && *dir ? dir : "");
    else if (rc == SB_EINVAL)
        snprintf(why, why_size, "the pickle key in %s is too short or too long: use %d to %d "
                 "characters, e.g. from openssl rand -base64 32", source, MATRIX_PICKLE_KEY_MIN,
                 PICKLE_KEY_FILE_MAX);
    else
        snprintf(why, why_size, "cannot read the pickle key from %s: %s", source,
                 sb_strerror(rc));
    return rc;
}

/* ---- canonical JSON and signatures ---- */

char *matrix_canonical_json(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* The canonical JSON of obj without "signatures" and "unsigned": what a signature covers. */
static char *signed_bytes(const json_t *obj)
{
    json_t *copy = json_copy((json_t *)obj);
    if (!copy)
        return NULL;
    json_object_del(copy, "signatures");
    json_object_del(copy, "unsigned");
    char *text = matrix_canonical_json(copy);
    json_decref(copy);
    return text;
}

int matrix_verify_json(const json_t *obj, const char *user, const char *key_id,
                       const char *ed25519)
{
    const json_t *sig = json_object_get(json_object_get(json_object_get(obj, "signatures"),
                                                        user), key_id);
    if (!json_is_object(obj) || !json_is_string(sig) || !ed25519)
        return SB_ENOTFOUND;
    char *message = signed_bytes(obj);
    size_t sig_len;
    char *signature = crypto_copy(json_string_value(sig), &sig_len);
    void *memory = malloc(olm_utility_size());
    int rc = SB_ENOMEM;
    if (message && signature && memory) {
        OlmUtility *u = olm_utility(memory);
        size_t r = olm_ed25519_verify(u, ed25519, strlen(ed25519), message, strlen(message),
                                      signature, sig_len);
        rc = r == olm_error() ? crypto_olm_error(olm_utility_last_error_code(u)) : SB_OK;
        if (rc == SB_EPARSE && strlen(ed25519) == 43)
            rc = SB_EAUTH; /* a signature that is not base64 is simply a bad signature */
        olm_clear_utility(u);
    }
    free(memory);
    free(message);
    free(signature);
    return rc;
}

/* ---- pickles, shared by every kind of object (matrix_crypto_impl.h) ---- */

char *crypto_pickle(void *obj, size_t length, pickle_fn fn, const char *key, size_t key_len)
{
    char *out = malloc(length + 1);
    if (!out)
        return NULL;
    size_t n = fn(obj, key, key_len, out, length);
    if (n == olm_error()) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return out;
}

/* ---- the account ---- */

static int account_alloc(matrix_account **out)
{
    *out = NULL;
    matrix_account *a = calloc(1, sizeof *a);
    void *memory = a ? malloc(olm_account_size()) : NULL;
    if (!memory) {
        free(a);
        return SB_ENOMEM;
    }
    a->olm = olm_account(memory);
    *out = a;
    return SB_OK;
}

void matrix_account_free(matrix_account *a)
{
    if (!a)
        return;
    olm_clear_account(a->olm);
    matrix_crypto_wipe_free(a->olm, olm_account_size());
    free(a);
}

/* Reads the identity keys into a's fields. */
static int account_identity(matrix_account *a)
{
    size_t n = olm_account_identity_keys_length(a->olm);
    char *text = malloc(n + 1);
    if (!text)
        return SB_ENOMEM;
    size_t got = olm_account_identity_keys(a->olm, text, n);
    int rc = SB_EPARSE;
    if (got != olm_error()) {
        json_t *keys = json_loadb(text, got, 0, NULL);
        const char *curve = json_string_value(json_object_get(keys, "curve25519"));
        const char *ed = json_string_value(json_object_get(keys, "ed25519"));
        if (curve && ed && strlen(curve) < KEY_TEXT_MAX && strlen(ed) < KEY_TEXT_MAX) {
            snprintf(a->curve25519, sizeof a->curve25519, "%s", curve);
            snprintf(a->ed25519, sizeof a->ed25519, "%s", ed);
            rc = SB_OK;
        }
        json_decref(keys);
    }
    free(text);
    return rc;
}

int matrix_account_new(matrix_account **out)
{
    matrix_account *a;
    int rc = account_alloc(&a);
    if (rc != SB_OK)
        return rc;
    size_t n = olm_create_account_random_length(a->olm);
    unsigned char *random = NULL;
    rc = crypto_random_bytes(n, &random);
    if (rc == SB_OK && olm_create_account(a->olm, random, n) == olm_error())
        rc = crypto_olm_error(olm_account_last_error_code(a->olm));
    matrix_crypto_wipe_free(random, n);
    if (rc == SB_OK)
        rc = account_identity(a);
    if (rc != SB_OK) {
        matrix_account_free(a);
        return rc;
    }
    *out = a;
    return SB_OK;
}

static size_t account_pickle_length(const void *a)
{
    return olm_pickle_account_length(a);
}

static size_t account_pickle(void *a, const void *key, size_t key_len, void *out, size_t len)
{
    return olm_pickle_account(a, key, key_len, out, len);
}

char *matrix_account_pickle(matrix_account *a, const char *key, size_t key_len)
{
    return crypto_pickle(a->olm, account_pickle_length(a->olm), account_pickle, key, key_len);
}

int matrix_account_unpickle(const char *pickle, const char *key, size_t key_len,
                            matrix_account **out)
{
    *out = NULL;
    matrix_account *a;
    int rc = account_alloc(&a);
    if (rc != SB_OK)
        return rc;
    size_t n;
    char *copy = crypto_copy(pickle, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_unpickle_account(a->olm, key, key_len, copy, n) == olm_error())
        rc = crypto_olm_error(olm_account_last_error_code(a->olm));
    matrix_crypto_wipe_free(copy, n);
    if (rc == SB_OK)
        rc = account_identity(a);
    if (rc != SB_OK) {
        matrix_account_free(a);
        return rc;
    }
    *out = a;
    return SB_OK;
}

const char *matrix_account_curve25519(const matrix_account *a)
{
    return a->curve25519;
}

const char *matrix_account_ed25519(const matrix_account *a)
{
    return a->ed25519;
}

int matrix_account_sign(matrix_account *a, json_t *obj, const char *user, const char *device)
{
    if (!json_is_object(obj) || !user || !device)
        return SB_EINVAL;
    char *message = signed_bytes(obj);
    size_t n = olm_account_signature_length(a->olm);
    char *signature = malloc(n + 1);
    char *key_id = sb_asprintf("ed25519:%s", device);
    int rc = message && signature && key_id ? SB_OK : SB_ENOMEM;
    if (rc == SB_OK) {
        size_t got = olm_account_sign(a->olm, message, strlen(message), signature, n);
        if (got == olm_error())
            rc = crypto_olm_error(olm_account_last_error_code(a->olm));
        else
            signature[got] = '\0';
    }
    if (rc == SB_OK) {
        json_t *all = json_object_get(obj, "signatures");
        if (!json_is_object(all)) {
            all = json_object();
            if (json_object_set_new(obj, "signatures", all) != 0)
                all = NULL;
        }
        json_t *mine = json_object_get(all, user);
        if (all && !json_is_object(mine)) {
            mine = json_object();
            if (json_object_set_new(all, user, mine) != 0)
                mine = NULL;
        }
        if (!mine || json_object_set_new(mine, key_id, json_string(signature)) != 0)
            rc = SB_ENOMEM;
    }
    free(message);
    free(signature);
    free(key_id);
    return rc;
}

json_t *matrix_account_device_keys(matrix_account *a, const char *user, const char *device)
{
    char *curve_id = sb_asprintf("curve25519:%s", device);
    char *ed_id = sb_asprintf("ed25519:%s", device);
    json_t *keys = curve_id && ed_id ? json_pack("{s:s, s:s}", curve_id, a->curve25519, ed_id,
                                                 a->ed25519)
                                     : NULL;
    free(curve_id);
    free(ed_id);
    json_t *dk = keys ? json_pack("{s:s, s:s, s:[s,s], s:o}", "user_id", user, "device_id",
                                  device, "algorithms", MATRIX_OLM_ALGORITHM,
                                  MATRIX_MEGOLM_ALGORITHM, "keys", keys)
                      : NULL;
    if (dk && matrix_account_sign(a, dk, user, device) != SB_OK) {
        json_decref(dk);
        dk = NULL;
    }
    return dk;
}

size_t matrix_account_max_one_time_keys(const matrix_account *a)
{
    return olm_account_max_number_of_one_time_keys(a->olm);
}

int matrix_account_generate_one_time_keys(matrix_account *a, size_t n)
{
    size_t len = olm_account_generate_one_time_keys_random_length(a->olm, n);
    unsigned char *random = NULL;
    int rc = crypto_random_bytes(len, &random);
    if (rc == SB_OK && olm_account_generate_one_time_keys(a->olm, n, random, len) == olm_error())
        rc = crypto_olm_error(olm_account_last_error_code(a->olm));
    matrix_crypto_wipe_free(random, len);
    return rc;
}

int matrix_account_generate_fallback_key(matrix_account *a)
{
    size_t len = olm_account_generate_fallback_key_random_length(a->olm);
    unsigned char *random = NULL;
    int rc = crypto_random_bytes(len, &random);
    if (rc == SB_OK && olm_account_generate_fallback_key(a->olm, random, len) == olm_error())
        rc = crypto_olm_error(olm_account_last_error_code(a->olm));
    matrix_crypto_wipe_free(random, len);
    return rc;
}

/* {"curve25519": {"id": "key", ...}} as libolm writes it -> signed key objects. */
static json_t *signed_keys(matrix_account *a, const char *text, size_t len, const char *user,
                           const char *device, int fallback)
{
    json_t *parsed = json_loadb(text, len, 0, NULL);
    json_t *out = json_object();
    const char *id;
    json_t *key;
    int ok = parsed && out;
    json_object_foreach(json_object_get(parsed, "curve25519"), id, key) {
        json_t *obj = ok ? json_pack("{s:O}", "key", key) : NULL;
        if (obj && fallback)
            json_object_set_new(obj, "fallback", json_true());
        char *name = sb_asprintf("signed_curve25519:%s", id);
        ok = obj && name && matrix_account_sign(a, obj, user, device) == SB_OK &&
             json_object_set_new(out, name, obj) == 0;
        if (!ok)
            json_decref(obj);
        free(name);
        if (!ok)
            break;
    }
    json_decref(parsed);
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int matrix_account_unpublished_keys(matrix_account *a, const char *user, const char *device,
                                    json_t **one_time, json_t **fallback)
{
    *one_time = *fallback = NULL;
    size_t n1 = olm_account_one_time_keys_length(a->olm);
    size_t n2 = olm_account_unpublished_fallback_key_length(a->olm);
    char *t1 = malloc(n1 + 1), *t2 = malloc(n2 + 1);
    int rc = t1 && t2 ? SB_OK : SB_ENOMEM;
    size_t g1 = rc == SB_OK ? olm_account_one_time_keys(a->olm, t1, n1) : 0;
    size_t g2 = rc == SB_OK ? olm_account_unpublished_fallback_key(a->olm, t2, n2) : 0;
    if (rc == SB_OK && (g1 == olm_error() || g2 == olm_error()))
        rc = crypto_olm_error(olm_account_last_error_code(a->olm));
    if (rc == SB_OK) {
        *one_time = signed_keys(a, t1, g1, user, device, 0);
        *fallback = signed_keys(a, t2, g2, user, device, 1);
        if (!*one_time || !*fallback) {
            json_decref(*one_time);
            json_decref(*fallback);
            *one_time = *fallback = NULL;
            rc = SB_ENOMEM;
        }
    }
    free(t1);
    free(t2);
    return rc;
}

void matrix_account_mark_published(matrix_account *a)
{
    olm_account_mark_keys_as_published(a->olm);
}
