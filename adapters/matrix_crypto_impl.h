/* matrix_crypto_impl.h — what matrix_crypto.c and matrix_crypto_session.c share: the objects
 * behind matrix_crypto.h's opaque types and the helpers around libolm's calling convention.
 * Not a public header: libolm appears nowhere else. */
#ifndef SB_MATRIX_CRYPTO_IMPL_H
#define SB_MATRIX_CRYPTO_IMPL_H

#include "matrix_crypto.h"

#include <olm/olm.h>
#include <stddef.h>

#define KEY_TEXT_MAX 64 /* a base64 curve25519 or ed25519 key is 43 characters */
#define ID_TEXT_MAX 128

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

/* n random bytes in a fresh buffer (at least one byte, so never NULL on success); SB_OK,
 * SB_ENOMEM, SB_EIO. Wipe and free with matrix_crypto_wipe_free(*out, n). */
int crypto_random_bytes(size_t n, unsigned char **out);
/* An SB_E* code for a libolm error (see matrix_crypto.h for which means what). */
int crypto_olm_error(enum OlmErrorCode code);
/* A writable copy of s (libolm decodes base64 in place), its length in *len; NULL on ENOMEM. */
char *crypto_copy(const char *s, size_t *len);
/* libolm's pickle call for one kind of object. */
typedef size_t (*pickle_fn)(void *obj, const void *key, size_t key_len, void *out, size_t len);
/* The pickle of obj (length bytes at most) as a string; NULL on ENOMEM. Caller frees. */
char *crypto_pickle(void *obj, size_t length, pickle_fn fn, const char *key, size_t key_len);

#endif
