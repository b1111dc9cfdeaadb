/* matrix_crypto_session.c — libolm behind matrix_crypto.h, part two: Olm sessions with other
 * devices and Megolm sessions for rooms (ours to encrypt, others' to decrypt), each created,
 * used, pickled and wiped here. The account and the shared helpers are matrix_crypto.c's. */
#include "matrix_crypto_impl.h"

#include "sb.h"

#include <stdlib.h>
#include <string.h>

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
    rc = crypto_random_bytes(n, &random);
    if (rc == SB_OK &&
        olm_create_outbound_session(s->olm, a->olm, their_curve, strlen(their_curve),
                                    their_one_time_key, strlen(their_one_time_key), random,
                                    n) == olm_error())
        rc = crypto_olm_error(olm_session_last_error_code(s->olm));
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
    /* Not olm_create_inbound_session_from: given the sender's key, libolm 3.2 accepts a
     * pre-key message without an identity key and then reads that missing key through a
     * NULL pointer (found by fuzz_matrix_e2ee; a crafted to-device message would crash the
     * bot). Without it, libolm insists on the key in the message; that it is the sender's
     * is checked after (matrix_olm_matches). */
    size_t n;
    char *copy = crypto_copy(body, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_create_inbound_session(s->olm, a->olm, copy, n) == olm_error())
        rc = crypto_olm_error(olm_session_last_error_code(s->olm));
    else if (!matrix_olm_matches(s, their_curve, body))
        rc = SB_EAUTH; /* a session with someone other than the sender */
    free(copy);
    /* A fallback key is not removed (libolm answers BAD_MESSAGE_KEY_ID): nothing to do. */
    if (rc == SB_OK)
        olm_remove_one_time_keys(a->olm, s->olm);
    return olm_finish(s, rc, out);
}

int matrix_olm_matches(matrix_olm *s, const char *their_curve, const char *body)
{
    size_t n;
    char *copy = crypto_copy(body, &n);
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
    int rc = crypto_random_bytes(rn, &random);
    char *out = rc == SB_OK ? malloc(mn + 1) : NULL;
    if (rc == SB_OK && !out)
        rc = SB_ENOMEM;
    if (rc == SB_OK) {
        size_t got = olm_encrypt(s->olm, plain, plain_len, random, rn, out, mn);
        if (got == olm_error()) {
            rc = crypto_olm_error(olm_session_last_error_code(s->olm));
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
    char *copy = crypto_copy(body, &n);
    if (!copy)
        return SB_ENOMEM;
    size_t max = olm_decrypt_max_plaintext_length(s->olm, (size_t)type, copy, n);
    free(copy);
    if (max == olm_error())
        return crypto_olm_error(olm_session_last_error_code(s->olm));
    copy = crypto_copy(body, &n);
    char *out = copy ? malloc(max + 1) : NULL;
    int rc = out ? SB_OK : SB_ENOMEM;
    if (rc == SB_OK) {
        size_t got = olm_decrypt(s->olm, (size_t)type, copy, n, out, max);
        if (got == olm_error()) {
            rc = crypto_olm_error(olm_session_last_error_code(s->olm));
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
    return crypto_pickle(s->olm, olm_pickle_session_length(s->olm), session_pickle, key, key_len);
}

int matrix_olm_unpickle(const char *pickle, const char *key, size_t key_len, matrix_olm **out)
{
    matrix_olm *s;
    int rc = olm_alloc(&s);
    if (rc != SB_OK)
        return rc;
    size_t n;
    char *copy = crypto_copy(pickle, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_unpickle_session(s->olm, key, key_len, copy, n) == olm_error())
        rc = crypto_olm_error(olm_session_last_error_code(s->olm));
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
    rc = crypto_random_bytes(n, &random);
    if (rc == SB_OK && olm_init_outbound_group_session(s->olm, random, n) == olm_error())
        rc = crypto_olm_error(olm_outbound_group_session_last_error_code(s->olm));
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
        return crypto_olm_error(olm_outbound_group_session_last_error_code(s->olm));
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
    return crypto_pickle(s->olm, olm_pickle_outbound_group_session_length(s->olm),
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
    char *copy = crypto_copy(pickle, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_unpickle_outbound_group_session(s->olm, key, key_len, copy, n) == olm_error())
        rc = crypto_olm_error(olm_outbound_group_session_last_error_code(s->olm));
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
        rc = crypto_olm_error(olm_inbound_group_session_last_error_code(s->olm));
    return megolm_in_finish(s, rc, out);
}

int matrix_megolm_in_import(const char *exported, matrix_megolm_in **out)
{
    matrix_megolm_in *s;
    int rc = megolm_in_alloc(&s);
    if (rc != SB_OK)
        return rc;
    size_t n;
    char *copy = crypto_copy(exported, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_import_inbound_group_session(s->olm, (const uint8_t *)copy, n) == olm_error())
        rc = crypto_olm_error(olm_inbound_group_session_last_error_code(s->olm));
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
    char *copy = crypto_copy(cipher, &n);
    if (!copy)
        return SB_ENOMEM;
    size_t max = olm_group_decrypt_max_plaintext_length(s->olm, (uint8_t *)copy, n);
    free(copy);
    if (max == olm_error())
        return crypto_olm_error(olm_inbound_group_session_last_error_code(s->olm));
    copy = crypto_copy(cipher, &n);
    char *out = copy ? malloc(max + 1) : NULL;
    int rc = out ? SB_OK : SB_ENOMEM;
    if (rc == SB_OK) {
        size_t got = olm_group_decrypt(s->olm, (uint8_t *)copy, n, (uint8_t *)out, max, index);
        if (got == olm_error()) {
            rc = crypto_olm_error(olm_inbound_group_session_last_error_code(s->olm));
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
    return crypto_pickle(s->olm, olm_pickle_inbound_group_session_length(s->olm),
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
    char *copy = crypto_copy(pickle, &n);
    if (!copy)
        rc = SB_ENOMEM;
    else if (olm_unpickle_inbound_group_session(s->olm, key, key_len, copy, n) == olm_error())
        rc = crypto_olm_error(olm_inbound_group_session_last_error_code(s->olm));
    matrix_crypto_wipe_free(copy, n);
    return megolm_in_finish(s, rc, out);
}
