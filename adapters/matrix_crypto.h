/* matrix_crypto.h — the one module that speaks libolm: the device's account (identity keys,
 * one-time and fallback keys, signing), Olm sessions with other devices, and Megolm sessions
 * for rooms, each as an opaque object that pickles to text encrypted with the pickle key.
 * Everything Matrix-specific above the primitives (which session for which event, what to
 * upload, what to persist) is matrix_e2ee's; nothing here does I/O except reading random
 * bytes and, in matrix_pickle_key_load, the pickle key. libolm is deprecated upstream
 * (docs/matrix.md): this boundary is where vodozemac's C bindings would take its place.
 * Keys and ids are unpadded base64 text, as Matrix carries them. Errors: SB_EPARSE for input
 * that is not a key, message or pickle of the right shape, SB_EAUTH when a MAC or signature
 * does not check out (or a pickle key is wrong), SB_ENOTFOUND when a message needs a key
 * this object does not have, SB_ENOMEM, SB_EIO when no random bytes could be read. */
#ifndef SB_MATRIX_CRYPTO_H
#define SB_MATRIX_CRYPTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define MATRIX_OLM_ALGORITHM "m.olm.v1.curve25519-aes-sha2"
#define MATRIX_MEGOLM_ALGORITHM "m.megolm.v1.aes-sha2"
#define MATRIX_PICKLE_KEY_MIN 32 /* bytes: as strong as the keys the pickles hold */

typedef struct matrix_account matrix_account;       /* this device's identity */
typedef struct matrix_olm matrix_olm;               /* an Olm session with one other device */
typedef struct matrix_megolm_out matrix_megolm_out; /* our sending session for one room */
typedef struct matrix_megolm_in matrix_megolm_in;   /* someone's sending session, to read */

/* Where random bytes come from: fills buf with n bytes, returns SB_OK or SB_EIO. The default
 * reads getrandom(2); tests and fuzzers install a deterministic one. Not thread-safe: set it
 * before any thread uses this module. NULL restores the default. */
typedef int (*matrix_random_fn)(void *buf, size_t n);
void matrix_crypto_set_random(matrix_random_fn fn);

/* The pickle key: the environment variable SECUREBASE_PICKLE_KEY, else the file pickle-key
 * (or pickle_key) in $CREDENTIALS_DIRECTORY (a systemd credential, LoadCredential=),
 * trailing white space removed. Never the database or the config: whoever holds the database alone cannot read
 * the keys in it. Returns SB_OK with *key (caller wipes and frees) and *len; SB_ENOTFOUND when
 * neither is set; SB_EINVAL when shorter than MATRIX_PICKLE_KEY_MIN; SB_EIO/SB_EACCES when the
 * file cannot be read. why (why_size bytes) says which, for the operator. */
int matrix_pickle_key_load(char **key, size_t *len, char *why, size_t why_size);

/* Matrix canonical JSON of v (keys sorted, no white space, UTF-8 unescaped), the bytes that
 * are signed. Caller frees; NULL on ENOMEM. */
char *matrix_canonical_json(const json_t *v);

/* Checks the ed25519 signature obj carries under signatures.<user>.<key_id> against the
 * base64 public key ed25519, over the canonical JSON of obj without "signatures" and
 * "unsigned". SB_OK when it verifies, SB_EAUTH when it does not, SB_ENOTFOUND when there is
 * no such signature, SB_EPARSE for a malformed key, SB_ENOMEM. */
int matrix_verify_json(const json_t *obj, const char *user, const char *key_id,
                       const char *ed25519);

/* ---- the account ---- */

/* A new account with fresh identity keys. SB_OK, SB_ENOMEM or SB_EIO. */
int matrix_account_new(matrix_account **out);
/* An account from matrix_account_pickle's text. SB_OK; SB_EAUTH for a wrong key; SB_EPARSE. */
int matrix_account_unpickle(const char *pickle, const char *key, size_t key_len,
                            matrix_account **out);
/* The account as text encrypted with key. Caller frees; NULL on ENOMEM. */
char *matrix_account_pickle(matrix_account *a, const char *key, size_t key_len);
/* Wipes the secrets and frees; NULL is fine. */
void matrix_account_free(matrix_account *a);
/* The public identity keys; borrowed, valid while a lives. */
const char *matrix_account_curve25519(const matrix_account *a);
const char *matrix_account_ed25519(const matrix_account *a);
/* Signs obj (a JSON object) in place: adds signatures.<user>."ed25519:<device>" over its
 * canonical JSON without "signatures" and "unsigned". SB_OK or SB_ENOMEM/SB_EINVAL. */
int matrix_account_sign(matrix_account *a, json_t *obj, const char *user, const char *device);
/* The signed DeviceKeys object for /keys/upload. New reference; NULL on ENOMEM. */
json_t *matrix_account_device_keys(matrix_account *a, const char *user, const char *device);
/* How many one-time keys the account holds at most (older ones are dropped beyond it). */
size_t matrix_account_max_one_time_keys(const matrix_account *a);
/* Makes n new one-time keys (unpublished until matrix_account_mark_published). */
int matrix_account_generate_one_time_keys(matrix_account *a, size_t n);
/* Makes a new fallback key (unpublished); the previous one stays usable until the next. */
int matrix_account_generate_fallback_key(matrix_account *a);
/* The unpublished one-time keys, signed, as /keys/upload wants them:
 * {"signed_curve25519:<id>": {"key": ..., "signatures": ...}}. *fallback likewise for an
 * unpublished fallback key (with "fallback": true), an empty object when there is none.
 * SB_OK or SB_ENOMEM (then both are NULL). Caller decrefs. */
int matrix_account_unpublished_keys(matrix_account *a, const char *user, const char *device,
                                    json_t **one_time, json_t **fallback);
/* Marks the keys returned so far as published: the next call returns only newer ones. */
void matrix_account_mark_published(matrix_account *a);

/* ---- Olm sessions ---- */

/* A session we start with the device whose identity key is their_curve, using one of its
 * claimed one-time keys. SB_OK, SB_EPARSE (bad keys), SB_ENOMEM, SB_EIO. */
int matrix_olm_outbound(matrix_account *a, const char *their_curve, const char *their_one_time_key,
                        matrix_olm **out);
/* A session another device started: from its pre-key message body (type 0). The one-time key
 * it used is removed from a (a fallback key stays). SB_OK; SB_EPARSE; SB_ENOTFOUND when the
 * message names a one-time key a does not hold; SB_ENOMEM. */
int matrix_olm_inbound(matrix_account *a, const char *their_curve, const char *body,
                       matrix_olm **out);
/* 1 when the pre-key message body (type 0) from their_curve belongs to s, else 0. */
int matrix_olm_matches(matrix_olm *s, const char *their_curve, const char *body);
/* Encrypts plain: *type 0 (pre-key) or 1, *body the base64 ciphertext (caller frees).
 * Advances the session: pickle it before the ciphertext leaves. SB_OK, SB_ENOMEM, SB_EIO. */
int matrix_olm_encrypt(matrix_olm *s, const char *plain, int *type, char **body);
/* Decrypts a message of type 0 or 1 into *plain (NUL-terminated, caller frees). A failed
 * attempt leaves s as it was, so each candidate session can be tried in turn. SB_OK,
 * SB_EAUTH (not for this session), SB_ENOTFOUND, SB_EPARSE, SB_ENOMEM. */
int matrix_olm_decrypt(matrix_olm *s, int type, const char *body, char **plain);
/* 1 once s has decrypted a message from the other side. */
int matrix_olm_has_received(const matrix_olm *s);
/* The session id; borrowed, valid while s lives. */
const char *matrix_olm_id(const matrix_olm *s);
char *matrix_olm_pickle(matrix_olm *s, const char *key, size_t key_len);
int matrix_olm_unpickle(const char *pickle, const char *key, size_t key_len, matrix_olm **out);
void matrix_olm_free(matrix_olm *s);

/* ---- Megolm: our sending session for a room ---- */

int matrix_megolm_out_new(matrix_megolm_out **out);
/* The session id; borrowed. */
const char *matrix_megolm_out_id(const matrix_megolm_out *s);
/* The index the next message gets (messages sent so far). */
uint32_t matrix_megolm_out_index(matrix_megolm_out *s);
/* The session key at the current index, for m.room_key. Caller wipes and frees; NULL on
 * ENOMEM. */
char *matrix_megolm_out_key(matrix_megolm_out *s);
/* Encrypts plain into *cipher (base64, caller frees) and advances the index: pickle the
 * session before the ciphertext leaves, or an index could be used twice. */
int matrix_megolm_out_encrypt(matrix_megolm_out *s, const char *plain, char **cipher);
char *matrix_megolm_out_pickle(matrix_megolm_out *s, const char *key, size_t key_len);
int matrix_megolm_out_unpickle(const char *pickle, const char *key, size_t key_len,
                               matrix_megolm_out **out);
void matrix_megolm_out_free(matrix_megolm_out *s);

/* ---- Megolm: someone's session, to read their room messages ---- */

/* From an m.room_key session_key. SB_OK, SB_EPARSE, SB_ENOMEM. */
int matrix_megolm_in_new(const char *session_key, matrix_megolm_in **out);
/* From an exported key (m.forwarded_room_key, or matrix_megolm_in_export). */
int matrix_megolm_in_import(const char *exported, matrix_megolm_in **out);
const char *matrix_megolm_in_id(const matrix_megolm_in *s);
/* The first message index this session can read. */
uint32_t matrix_megolm_in_first_index(const matrix_megolm_in *s);
/* Decrypts cipher into *plain (caller frees) and its message index into *index. SB_OK;
 * SB_ENOTFOUND (sent before our first index); SB_EAUTH (bad MAC); SB_EPARSE; SB_ENOMEM. */
int matrix_megolm_in_decrypt(matrix_megolm_in *s, const char *cipher, char **plain,
                             uint32_t *index);
/* The session from message index on, as an importable key (caller wipes and frees): what
 * is imported from it cannot read anything sent before index. NULL on ENOMEM or when index
 * is before the first known one. */
char *matrix_megolm_in_export(matrix_megolm_in *s, uint32_t index);
char *matrix_megolm_in_pickle(matrix_megolm_in *s, const char *key, size_t key_len);
int matrix_megolm_in_unpickle(const char *pickle, const char *key, size_t key_len,
                              matrix_megolm_in **out);
void matrix_megolm_in_free(matrix_megolm_in *s);

/* Overwrites n bytes at p in a way the compiler keeps; then free(p). NULL is fine. */
void matrix_crypto_wipe_free(void *p, size_t n);
/* The same for a NUL-terminated string. */
void matrix_crypto_wipe_string(char *s);

#endif
