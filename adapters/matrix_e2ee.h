/* matrix_e2ee.h — end-to-end encryption for the Matrix adapter, as a state machine over
 * parsed data: the device's account and its key uploads, other people's device lists, Olm
 * sessions with their devices, the Megolm sessions that read their room messages and the
 * one per room that encrypts ours, and the to-device messages that carry room keys. It
 * decides what to upload, query, claim and send, and keeps track of what changed so the
 * adapter can commit it with its next batch (design.md invariant 4). It does no I/O, reads
 * no clock (times come in as arguments) and never touches the store: the adapter moves the
 * bytes (matrix_poll.c, matrix_work.c) and the primitives are matrix_crypto's.
 *
 * The rules that keep "nothing lost, nothing twice" true with encryption:
 * - every change to a ratchet is in matrix_e2ee_changes() before the ciphertext it produced
 *   may leave the process (the adapter commits, then sends), so a restart never reuses an
 *   Olm chain key or a Megolm message index;
 * - a room key shared with a device is a committed pending to-device message (re-sent with
 *   the same txnId until the homeserver says 200), so a session counts as shared once the
 *   share is durable;
 * - what a sync decrypted (Olm sessions, one-time keys used, room keys) commits with that
 *   sync's batch; a crash before the commit replays the same sync against the old state. */
#ifndef SB_MATRIX_E2EE_H
#define SB_MATRIX_E2EE_H

#include "adapter.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct matrix_e2ee matrix_e2ee;

/* What an encrypted send still needs before matrix_e2ee_encrypt can run (matrix_e2ee_prepare). */
typedef enum matrix_e2ee_need {
    MATRIX_E2EE_READY,   /* everything known: encrypt now */
    MATRIX_E2EE_MEMBERS, /* GET /rooms/{room}/joined_members, then matrix_e2ee_members */
    MATRIX_E2EE_QUERY,   /* POST /keys/query with the body, then matrix_e2ee_query_result */
    MATRIX_E2EE_CLAIM    /* POST /keys/claim with the body, then matrix_e2ee_claim_result */
} matrix_e2ee_need;

/* A new machine for the bot's user and device (copied) with the pickle key (copied; wiped
 * on free). Nothing loaded yet. NULL on ENOMEM. */
matrix_e2ee *matrix_e2ee_new(const char *user, const char *device, const char *pickle_key,
                             size_t key_len);
void matrix_e2ee_free(matrix_e2ee *e);

/* Feeds one stored state value (as the adapter's batches committed them). SB_OK; SB_EAUTH
 * when the account does not open with this pickle key (the operator changed it: fatal, or
 * every session would be lost); SB_EPARSE for a value that cannot be read (the caller logs
 * and goes on without it); SB_ENOMEM. Unknown keys are ignored. */
int matrix_e2ee_load(matrix_e2ee *e, const char *key, const char *value);
/* After loading: makes a new account when none was stored, or when the stored one belongs
 * to another device (then Olm and outbound sessions, bound to the old identity, go).
 * SB_OK, SB_ENOMEM, SB_EIO. */
int matrix_e2ee_ready(matrix_e2ee *e);
/* The identity keys (borrowed), for logs and tests; NULL before matrix_e2ee_ready. */
const char *matrix_e2ee_curve25519(const matrix_e2ee *e);
const char *matrix_e2ee_ed25519(const matrix_e2ee *e);

/* Appends every change since the last call to *changes (a realloc'd array of *count
 * entries, owned by the caller as in sb_batch) and forgets them. SB_OK or SB_ENOMEM (then
 * nothing is taken: the same changes come next time). */
int matrix_e2ee_changes(matrix_e2ee *e, sb_state_change **changes, size_t *count);

/* ---- keys of this device ---- */

/* 1 when /keys/upload has something to do: device keys never uploaded, keys not yet
 * published, fewer one-time keys on the server than half of what the account can hold, or
 * no unused fallback key there. */
int matrix_e2ee_needs_upload(matrix_e2ee *e);
/* The /keys/upload body, making the keys it needs first (the account changes: commit
 * matrix_e2ee_changes before sending it, so a key the server hands out is one we keep).
 * Calling it again before matrix_e2ee_uploaded makes nothing new. New reference, or NULL
 * when there is nothing to upload or memory runs out. */
json_t *matrix_e2ee_upload_body(matrix_e2ee *e);
/* The upload succeeded with this answer: what was sent is published. */
void matrix_e2ee_uploaded(matrix_e2ee *e, const char *answer, size_t len);
/* The homeserver refused the upload (4xx). Returns 0 when device keys were in it: without
 * them nothing works. Else 1: the refused keys are dropped (counted as published, as a store
 * restored from an old backup may clash with ids the server holds) and new ones follow. */
int matrix_e2ee_upload_refused(matrix_e2ee *e);
/* From /sync: device_one_time_keys_count.signed_curve25519 (-1 when absent) and whether
 * device_unused_fallback_key_types lists signed_curve25519 (-1 when the field is absent). */
void matrix_e2ee_key_counts(matrix_e2ee *e, long one_time_keys, int fallback_unused);

/* ---- what a sync says ---- */

/* device_lists: users whose devices changed (queried again before the next share) and
 * users the bot no longer shares a room with (their device lists are dropped). */
void matrix_e2ee_device_lists(matrix_e2ee *e, char *const *changed, size_t nchanged,
                              char *const *left, size_t nleft);
/* The sync's to_device.events (a JSON array, borrowed): Olm messages are decrypted and
 * their room keys kept; everything else is ignored. Returns how many room keys were added. */
int matrix_e2ee_to_device(matrix_e2ee *e, const json_t *events);
/* Decrypts an m.room.encrypted event's content (JSON text) sent by sender in room into
 * *plain, the decrypted event ({"type", "content", "room_id"} as JSON text; caller frees).
 * SB_OK; SB_ENOTFOUND when the room key never came (a key request is queued, once per
 * session) or the key held starts after this message (forget); SB_EAUTH when it does not check out (another room's or another sender's
 * session, a bad MAC); SB_EPARSE for a malformed content; SB_ENOMEM. */
int matrix_e2ee_decrypt(matrix_e2ee *e, const char *room, const char *sender,
                        const char *content, char **plain);
/* Someone's membership in room changed; left: they left or were removed, so the room's
 * outbound session is retired (the next message starts a new one, as the spec says). */
void matrix_e2ee_membership(matrix_e2ee *e, const char *room, int left);
/* The room's m.room.encryption settings: rotate the outbound session after period_ms or
 * messages, whichever comes first (<= 0: the spec's defaults, a week and 100 messages). */
void matrix_e2ee_rotation(matrix_e2ee *e, const char *room, int64_t period_ms, long messages);
/* The person (a user id) was forgotten: every inbound session of theirs is replaced by one
 * that cannot read anything before their next message (the store already deleted the old
 * ones; the new ones are in the next changes). */
void matrix_e2ee_forget(matrix_e2ee *e, const char *person);

/* ---- sending ---- */

/* What a send to room still needs; for QUERY and CLAIM *body is the request body (new
 * reference). SB_OK or SB_ENOMEM. */
int matrix_e2ee_prepare(matrix_e2ee *e, const char *room, matrix_e2ee_need *need, json_t **body);
/* Answers to the requests prepare asked for (a refused or unusable answer: call with NULL,
 * and the users or devices asked about count as having none, so prepare moves on). */
void matrix_e2ee_members(matrix_e2ee *e, const char *room, const char *answer, size_t len);
void matrix_e2ee_query_result(matrix_e2ee *e, const char *answer, size_t len);
void matrix_e2ee_claim_result(matrix_e2ee *e, const char *answer, size_t len);
/* Encrypts the n event contents (JSON texts of m.room.message contents) for room, at now_ms:
 * the room's outbound session (new or rotated as needed) is first shared with every device
 * of every member that lacks it, as a pending to-device message whose txn id is returned in
 * *share_txn (NULL when nobody needed it); then *out gets n m.room.encrypted contents (JSON
 * texts; free with matrix_e2ee_strings_free). Commit matrix_e2ee_changes before sending
 * either. SB_OK, SB_ENOMEM. */
int matrix_e2ee_encrypt(matrix_e2ee *e, const char *room, const char *const *contents,
                        size_t n, int64_t now_ms, char ***out, char **share_txn);
void matrix_e2ee_strings_free(char **strings, size_t n);

/* ---- to-device messages waiting to be sent ---- */

/* Txn ids of pending to-device messages not handed out before (after a restart: all of
 * them; then key requests and shares as they are made), oldest first, into *txns (caller
 * frees with matrix_e2ee_strings_free). Returns how many; 0 on ENOMEM too. */
size_t matrix_e2ee_take_pending(matrix_e2ee *e, char ***txns);
/* The event type and the PUT /sendToDevice body of pending txn (borrowed / new reference),
 * SB_ENOTFOUND when it was sent already. */
int matrix_e2ee_pending_body(matrix_e2ee *e, const char *txn, const char **type, json_t **body);
/* The homeserver took txn: it is no longer pending. */
void matrix_e2ee_pending_sent(matrix_e2ee *e, const char *txn);

#endif
