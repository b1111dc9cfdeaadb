/* matrix_crypto.c — libolm behind matrix_crypto.h: memory for libolm's objects, the random
 * bytes they need, their pickles, canonical JSON and signatures. libolm destroys several of
 * its input buffers (base64 decoded in place), so every input is copied first; every object
 * is wiped before its memory is freed. Which keys to use when is matrix_e2ee's business. */
#include "matrix_crypto.h"

#include "sb.h"

#include <errno.h>
#include <olm/olm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define KEY_TEXT_MAX 64 /* a base64 curve25519 or ed25519 key is 43 characters */
#define ID_TEXT_MAX 128
#define PICKLE_KEY_FILE_MAX 4096

struct matrix_account {
    OlmAccount *olm;
    char curve25519[KEY_TEXT_MAX];
    char ed25519[KEY_TEXT_MAX];
};

struct matrix_olm {
    OlmSession *olm;
    char id[ID_TEXT_MAX];
};

struct matrix_megolm_out {
    OlmOutboundGroupSession *olm;
    char id[ID_TEXT_MAX];
};

struct matrix_megolm_in {
    OlmInboundGroupSession *olm;
    char id[ID_TEXT_MAX];
};

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

/* n random bytes in a fresh buffer (at least one byte, so never NULL on success). */
static int random_bytes(size_t n, unsigned char **out)
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

static int from_olm_error(enum OlmErrorCode code)
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

/* A writable copy of s (libolm decodes base64 in place); NULL on ENOMEM. */
static char *copy_of(const char *s, size_t *len)
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
        snprintf(path, sizeof path, "%s/pickle_key", dir);
        source = path;
        rc = read_key_file(path, key, len);
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
    if (rc == SB_ENOTFOUND && !path[0])
        snprintf(why, why_size, "set SECUREBASE_PICKLE_KEY or give the systemd credential "
                 "pickle_key (LoadCredential=)");
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
    char *signature = copy_of(json_string_value(sig), &sig_len);
    void *memory = malloc(olm_utility_size());
    int rc = SB_ENOMEM;
    if (message && signature && memory) {
        OlmUtility *u = olm_utility(memory);
        size_t r = olm_ed25519_verify(u, ed25519, strlen(ed25519), message, strlen(message),
                                      signature, sig_len);
        rc = r == olm_error() ? from_olm_error(olm_utility_last_error_code(u)) : SB_OK;
        if (rc == SB_EPARSE && strlen(ed25519) == 43)
            rc = SB_EAUTH; /* a signature that is not base64 is simply a bad signature */
        olm_clear_utility(u);
    }
    free(memory);
    free(message);
    free(signature);
    return rc;
}

/* ---- pickles, shared by every kind of object ---- */

typedef size_t (*pickle_length_fn)(const void *obj);
typedef size_t (*pickle_fn)(void *obj, const void *key, size_t key_len, void *out, size_t len);

static char *pickle_with(void *obj, size_t length, pickle_fn fn, const char *key, size_t key_len)
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
    rc = random_bytes(n, &random);
    if (rc == SB_OK && olm_create_account(a->olm, random, n) == olm_error())
        rc = from_olm_error(olm_account_last_error_code(a->olm));
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
    return pickle_with(a->olm, account_pickle_length(a->olm), account_pickle, key, key_len);
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
    char *copy = copy_of(pickle, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_unpickle_account(a->olm, key, key_len, copy, n) == olm_error())
        rc = from_olm_error(olm_account_last_error_code(a->olm));
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
            rc = from_olm_error(olm_account_last_error_code(a->olm));
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
    int rc = random_bytes(len, &random);
    if (rc == SB_OK && olm_account_generate_one_time_keys(a->olm, n, random, len) == olm_error())
        rc = from_olm_error(olm_account_last_error_code(a->olm));
    matrix_crypto_wipe_free(random, len);
    return rc;
}

int matrix_account_generate_fallback_key(matrix_account *a)
{
    size_t len = olm_account_generate_fallback_key_random_length(a->olm);
    unsigned char *random = NULL;
    int rc = random_bytes(len, &random);
    if (rc == SB_OK && olm_account_generate_fallback_key(a->olm, random, len) == olm_error())
        rc = from_olm_error(olm_account_last_error_code(a->olm));
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
        rc = from_olm_error(olm_account_last_error_code(a->olm));
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

/* ---- Olm sessions ---- */

static int olm_alloc(matrix_olm **out)
{
    *out = NULL;
    matrix_olm *s = calloc(1, sizeof *s);
    void *memory = s ? malloc(olm_session_size()) : NULL;
    if (!memory) {
        free(s);
        return SB_ENOMEM;
    }
    s->olm = olm_session(memory);
    *out = s;
    return SB_OK;
}

void matrix_olm_free(matrix_olm *s)
{
    if (!s)
        return;
    olm_clear_session(s->olm);
    matrix_crypto_wipe_free(s->olm, olm_session_size());
    free(s);
}

/* Reads the session id into s->id; then returns rc's verdict on s (freed on failure). */
static int olm_finish(matrix_olm *s, int rc, matrix_olm **out)
{
    if (rc == SB_OK) {
        size_t n = olm_session_id_length(s->olm);
        if (n >= sizeof s->id || olm_session_id(s->olm, s->id, n) == olm_error())
            rc = SB_EPARSE;
        else
            s->id[n] = '\0';
    }
    if (rc != SB_OK) {
        matrix_olm_free(s);
        return rc;
    }
    *out = s;
    return SB_OK;
}

int matrix_olm_outbound(matrix_account *a, const char *their_curve, const char *their_one_time_key,
                        matrix_olm **out)
{
    matrix_olm *s;
    int rc = olm_alloc(&s);
    if (rc != SB_OK)
        return rc;
    size_t n = olm_create_outbound_session_random_length(s->olm);
    unsigned char *random = NULL;
    rc = random_bytes(n, &random);
    if (rc == SB_OK &&
        olm_create_outbound_session(s->olm, a->olm, their_curve, strlen(their_curve),
                                    their_one_time_key, strlen(their_one_time_key), random,
                                    n) == olm_error())
        rc = from_olm_error(olm_session_last_error_code(s->olm));
    matrix_crypto_wipe_free(random, n);
    return olm_finish(s, rc, out);
}

int matrix_olm_inbound(matrix_account *a, const char *their_curve, const char *body,
                       matrix_olm **out)
{
    matrix_olm *s;
    int rc = olm_alloc(&s);
    if (rc != SB_OK)
        return rc;
    size_t n;
    char *copy = copy_of(body, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_create_inbound_session_from(s->olm, a->olm, their_curve, strlen(their_curve),
                                             copy, n) == olm_error())
        rc = from_olm_error(olm_session_last_error_code(s->olm));
    free(copy);
    /* A fallback key is not removed (libolm answers BAD_MESSAGE_KEY_ID): nothing to do. */
    if (rc == SB_OK)
        olm_remove_one_time_keys(a->olm, s->olm);
    return olm_finish(s, rc, out);
}

int matrix_olm_matches(matrix_olm *s, const char *their_curve, const char *body)
{
    size_t n;
    char *copy = copy_of(body, &n);
    if (!copy)
        return 0;
    size_t r = olm_matches_inbound_session_from(s->olm, their_curve, strlen(their_curve), copy, n);
    free(copy);
    return r == 1;
}

int matrix_olm_encrypt(matrix_olm *s, const char *plain, int *type, char **body)
{
    *body = NULL;
    size_t plain_len = strlen(plain);
    size_t rn = olm_encrypt_random_length(s->olm);
    size_t mn = olm_encrypt_message_length(s->olm, plain_len);
    *type = (int)olm_encrypt_message_type(s->olm);
    unsigned char *random = NULL;
    int rc = random_bytes(rn, &random);
    char *out = rc == SB_OK ? malloc(mn + 1) : NULL;
    if (rc == SB_OK && !out)
        rc = SB_ENOMEM;
    if (rc == SB_OK) {
        size_t got = olm_encrypt(s->olm, plain, plain_len, random, rn, out, mn);
        if (got == olm_error()) {
            rc = from_olm_error(olm_session_last_error_code(s->olm));
        } else {
            out[got] = '\0';
            *body = out;
            out = NULL;
        }
    }
    free(out);
    matrix_crypto_wipe_free(random, rn);
    return rc;
}

int matrix_olm_decrypt(matrix_olm *s, int type, const char *body, char **plain)
{
    *plain = NULL;
    if (type != 0 && type != 1)
        return SB_EPARSE;
    size_t n;
    char *copy = copy_of(body, &n);
    if (!copy)
        return SB_ENOMEM;
    size_t max = olm_decrypt_max_plaintext_length(s->olm, (size_t)type, copy, n);
    free(copy);
    if (max == olm_error())
        return from_olm_error(olm_session_last_error_code(s->olm));
    copy = copy_of(body, &n);
    char *out = copy ? malloc(max + 1) : NULL;
    int rc = out ? SB_OK : SB_ENOMEM;
    if (rc == SB_OK) {
        size_t got = olm_decrypt(s->olm, (size_t)type, copy, n, out, max);
        if (got == olm_error()) {
            rc = from_olm_error(olm_session_last_error_code(s->olm));
        } else {
            out[got] = '\0';
            *plain = out;
            out = NULL;
        }
    }
    matrix_crypto_wipe_free(out, max + 1);
    free(copy);
    return rc;
}

int matrix_olm_has_received(const matrix_olm *s)
{
    return olm_session_has_received_message(s->olm);
}

const char *matrix_olm_id(const matrix_olm *s)
{
    return s->id;
}

static size_t session_pickle(void *s, const void *key, size_t key_len, void *out, size_t len)
{
    return olm_pickle_session(s, key, key_len, out, len);
}

char *matrix_olm_pickle(matrix_olm *s, const char *key, size_t key_len)
{
    return pickle_with(s->olm, olm_pickle_session_length(s->olm), session_pickle, key, key_len);
}

int matrix_olm_unpickle(const char *pickle, const char *key, size_t key_len, matrix_olm **out)
{
    matrix_olm *s;
    int rc = olm_alloc(&s);
    if (rc != SB_OK)
        return rc;
    size_t n;
    char *copy = copy_of(pickle, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_unpickle_session(s->olm, key, key_len, copy, n) == olm_error())
        rc = from_olm_error(olm_session_last_error_code(s->olm));
    matrix_crypto_wipe_free(copy, n);
    return olm_finish(s, rc, out);
}

/* ---- Megolm, outbound ---- */

void matrix_megolm_out_free(matrix_megolm_out *s)
{
    if (!s)
        return;
    olm_clear_outbound_group_session(s->olm);
    matrix_crypto_wipe_free(s->olm, olm_outbound_group_session_size());
    free(s);
}

static int megolm_out_alloc(matrix_megolm_out **out)
{
    *out = NULL;
    matrix_megolm_out *s = calloc(1, sizeof *s);
    void *memory = s ? malloc(olm_outbound_group_session_size()) : NULL;
    if (!memory) {
        free(s);
        return SB_ENOMEM;
    }
    s->olm = olm_outbound_group_session(memory);
    *out = s;
    return SB_OK;
}

static int megolm_out_finish(matrix_megolm_out *s, int rc, matrix_megolm_out **out)
{
    if (rc == SB_OK) {
        size_t n = olm_outbound_group_session_id_length(s->olm);
        if (n >= sizeof s->id ||
            olm_outbound_group_session_id(s->olm, (uint8_t *)s->id, n) == olm_error())
            rc = SB_EPARSE;
        else
            s->id[n] = '\0';
    }
    if (rc != SB_OK) {
        matrix_megolm_out_free(s);
        return rc;
    }
    *out = s;
    return SB_OK;
}

int matrix_megolm_out_new(matrix_megolm_out **out)
{
    matrix_megolm_out *s;
    int rc = megolm_out_alloc(&s);
    if (rc != SB_OK)
        return rc;
    size_t n = olm_init_outbound_group_session_random_length(s->olm);
    unsigned char *random = NULL;
    rc = random_bytes(n, &random);
    if (rc == SB_OK && olm_init_outbound_group_session(s->olm, random, n) == olm_error())
        rc = from_olm_error(olm_outbound_group_session_last_error_code(s->olm));
    matrix_crypto_wipe_free(random, n);
    return megolm_out_finish(s, rc, out);
}

const char *matrix_megolm_out_id(const matrix_megolm_out *s)
{
    return s->id;
}

uint32_t matrix_megolm_out_index(matrix_megolm_out *s)
{
    return olm_outbound_group_session_message_index(s->olm);
}

char *matrix_megolm_out_key(matrix_megolm_out *s)
{
    size_t n = olm_outbound_group_session_key_length(s->olm);
    char *key = malloc(n + 1);
    if (!key)
        return NULL;
    size_t got = olm_outbound_group_session_key(s->olm, (uint8_t *)key, n);
    if (got == olm_error()) {
        matrix_crypto_wipe_free(key, n + 1);
        return NULL;
    }
    key[got] = '\0';
    return key;
}

int matrix_megolm_out_encrypt(matrix_megolm_out *s, const char *plain, char **cipher)
{
    size_t len = strlen(plain);
    size_t n = olm_group_encrypt_message_length(s->olm, len);
    char *out = malloc(n + 1);
    *cipher = NULL;
    if (!out)
        return SB_ENOMEM;
    size_t got = olm_group_encrypt(s->olm, (const uint8_t *)plain, len, (uint8_t *)out, n);
    if (got == olm_error()) {
        free(out);
        return from_olm_error(olm_outbound_group_session_last_error_code(s->olm));
    }
    out[got] = '\0';
    *cipher = out;
    return SB_OK;
}

static size_t megolm_out_pickle(void *s, const void *key, size_t key_len, void *out, size_t len)
{
    return olm_pickle_outbound_group_session(s, key, key_len, out, len);
}

char *matrix_megolm_out_pickle(matrix_megolm_out *s, const char *key, size_t key_len)
{
    return pickle_with(s->olm, olm_pickle_outbound_group_session_length(s->olm),
                       megolm_out_pickle, key, key_len);
}

int matrix_megolm_out_unpickle(const char *pickle, const char *key, size_t key_len,
                               matrix_megolm_out **out)
{
    matrix_megolm_out *s;
    int rc = megolm_out_alloc(&s);
    if (rc != SB_OK)
        return rc;
    size_t n;
    char *copy = copy_of(pickle, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_unpickle_outbound_group_session(s->olm, key, key_len, copy, n) == olm_error())
        rc = from_olm_error(olm_outbound_group_session_last_error_code(s->olm));
    matrix_crypto_wipe_free(copy, n);
    return megolm_out_finish(s, rc, out);
}

/* ---- Megolm, inbound ---- */

void matrix_megolm_in_free(matrix_megolm_in *s)
{
    if (!s)
        return;
    olm_clear_inbound_group_session(s->olm);
    matrix_crypto_wipe_free(s->olm, olm_inbound_group_session_size());
    free(s);
}

static int megolm_in_alloc(matrix_megolm_in **out)
{
    *out = NULL;
    matrix_megolm_in *s = calloc(1, sizeof *s);
    void *memory = s ? malloc(olm_inbound_group_session_size()) : NULL;
    if (!memory) {
        free(s);
        return SB_ENOMEM;
    }
    s->olm = olm_inbound_group_session(memory);
    *out = s;
    return SB_OK;
}

static int megolm_in_finish(matrix_megolm_in *s, int rc, matrix_megolm_in **out)
{
    if (rc == SB_OK) {
        size_t n = olm_inbound_group_session_id_length(s->olm);
        if (n >= sizeof s->id ||
            olm_inbound_group_session_id(s->olm, (uint8_t *)s->id, n) == olm_error())
            rc = SB_EPARSE;
        else
            s->id[n] = '\0';
    }
    if (rc != SB_OK) {
        matrix_megolm_in_free(s);
        return rc;
    }
    *out = s;
    return SB_OK;
}

int matrix_megolm_in_new(const char *session_key, matrix_megolm_in **out)
{
    matrix_megolm_in *s;
    int rc = megolm_in_alloc(&s);
    if (rc != SB_OK)
        return rc;
    if (olm_init_inbound_group_session(s->olm, (const uint8_t *)session_key,
                                       strlen(session_key)) == olm_error())
        rc = from_olm_error(olm_inbound_group_session_last_error_code(s->olm));
    return megolm_in_finish(s, rc, out);
}

int matrix_megolm_in_import(const char *exported, matrix_megolm_in **out)
{
    matrix_megolm_in *s;
    int rc = megolm_in_alloc(&s);
    if (rc != SB_OK)
        return rc;
    size_t n;
    char *copy = copy_of(exported, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_import_inbound_group_session(s->olm, (const uint8_t *)copy, n) == olm_error())
        rc = from_olm_error(olm_inbound_group_session_last_error_code(s->olm));
    matrix_crypto_wipe_free(copy, n);
    return megolm_in_finish(s, rc, out);
}

const char *matrix_megolm_in_id(const matrix_megolm_in *s)
{
    return s->id;
}

uint32_t matrix_megolm_in_first_index(const matrix_megolm_in *s)
{
    return olm_inbound_group_session_first_known_index(s->olm);
}

int matrix_megolm_in_decrypt(matrix_megolm_in *s, const char *cipher, char **plain,
                             uint32_t *index)
{
    *plain = NULL;
    size_t n;
    char *copy = copy_of(cipher, &n);
    if (!copy)
        return SB_ENOMEM;
    size_t max = olm_group_decrypt_max_plaintext_length(s->olm, (uint8_t *)copy, n);
    free(copy);
    if (max == olm_error())
        return from_olm_error(olm_inbound_group_session_last_error_code(s->olm));
    copy = copy_of(cipher, &n);
    char *out = copy ? malloc(max + 1) : NULL;
    int rc = out ? SB_OK : SB_ENOMEM;
    if (rc == SB_OK) {
        size_t got = olm_group_decrypt(s->olm, (uint8_t *)copy, n, (uint8_t *)out, max, index);
        if (got == olm_error()) {
            rc = from_olm_error(olm_inbound_group_session_last_error_code(s->olm));
        } else {
            out[got] = '\0';
            *plain = out;
            out = NULL;
        }
    }
    matrix_crypto_wipe_free(out, max + 1);
    free(copy);
    return rc;
}

char *matrix_megolm_in_export(matrix_megolm_in *s, uint32_t index)
{
    size_t n = olm_export_inbound_group_session_length(s->olm);
    char *key = malloc(n + 1);
    if (!key)
        return NULL;
    size_t got = olm_export_inbound_group_session(s->olm, (uint8_t *)key, n, index);
    if (got == olm_error()) {
        matrix_crypto_wipe_free(key, n + 1);
        return NULL;
    }
    key[got] = '\0';
    return key;
}

static size_t megolm_in_pickle(void *s, const void *key, size_t key_len, void *out, size_t len)
{
    return olm_pickle_inbound_group_session(s, key, key_len, out, len);
}

char *matrix_megolm_in_pickle(matrix_megolm_in *s, const char *key, size_t key_len)
{
    return pickle_with(s->olm, olm_pickle_inbound_group_session_length(s->olm),
                       megolm_in_pickle, key, key_len);
}

int matrix_megolm_in_unpickle(const char *pickle, const char *key, size_t key_len,
                              matrix_megolm_in **out)
{
    matrix_megolm_in *s;
    int rc = megolm_in_alloc(&s);
    if (rc != SB_OK)
        return rc;
    size_t n;
    char *copy = copy_of(pickle, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_unpickle_inbound_group_session(s->olm, key, key_len, copy, n) == olm_error())
        rc = from_olm_error(olm_inbound_group_session_last_error_code(s->olm));
    matrix_crypto_wipe_free(copy, n);
    return megolm_in_finish(s, rc, out);
}
