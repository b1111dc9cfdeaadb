/* fuzz_matrix_e2ee.c — libFuzzer target for everything encrypted that comes from outside:
 * the first byte chooses what the rest is — to-device events (Olm messages carrying room
 * keys), an m.room.encrypted content (Megolm), or a homeserver answer to /keys/query,
 * /keys/claim, joined_members or /keys/upload. The bot's machine is rebuilt for every input
 * from one stored state (made at start with deterministic randomness, after a person's
 * device shared a room key with it), so every input meets the same sessions; its changes
 * must always be storable and load back.
 * Seeds: tests/fuzz/corpus/fuzz_matrix_e2ee, written by this binary itself with
 * FUZZ_E2EE_SEEDS=<folder> (valid messages of that deterministic person, and their shapes). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix_crypto.h"
#include "matrix_e2ee.h"
#include "sb.h"

#define ROOM "!room:example.org"
#define BOT "@bot:example.org"
#define PERSON "@ann:example.org"
#define KEY "a pickle key for the fuzzer, 32 bytes or more"

static uint64_t rng = 0x5eed;

static int fixed_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) {
        rng += 0x9e3779b97f4a7c15ull;
        uint64_t z = rng;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        p[i] = (unsigned char)(z ^ (z >> 31));
    }
    return SB_OK;
}

static sb_state_change *stored;
static size_t nstored;
static char *seed_to_device, *seed_room_event, *seed_query;

static matrix_e2ee *fresh_bot(void)
{
    matrix_e2ee *e = matrix_e2ee_new(BOT, "BOTDEV", KEY, strlen(KEY));
    for (size_t i = 0; e && i < nstored; i++)
        if (stored[i].value)
            matrix_e2ee_load(e, stored[i].key, stored[i].value);
    if (e && matrix_e2ee_ready(e) != SB_OK) {
        matrix_e2ee_free(e);
        return NULL;
    }
    return e;
}

static void drop_changes(sb_state_change *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].key);
        free(c[i].value);
        free(c[i].owner);
    }
    free(c);
}

/* An Olm to-device event from the person's device carrying an m.room_key. */
static char *room_key_event(matrix_account *ann, matrix_olm *s, const char *bot_curve,
                            const char *bot_ed, matrix_megolm_out *out)
{
    char *key = matrix_megolm_out_key(out);
    json_t *payload = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:{s:s}, s:{s:s}}",
                                "type", "m.room_key", "content", "algorithm",
                                MATRIX_MEGOLM_ALGORITHM, "room_id", ROOM, "session_id",
                                matrix_megolm_out_id(out), "session_key", key, "sender", PERSON,
                                "recipient", BOT, "recipient_keys", "ed25519", bot_ed, "keys",
                                "ed25519", matrix_account_ed25519(ann));
    char *plain = json_dumps(payload, JSON_COMPACT);
    int type = 0;
    char *body = NULL;
    matrix_olm_encrypt(s, plain, &type, &body);
    json_t *ev = json_pack("[{s:s, s:s, s:{s:s, s:s, s:{s:{s:i, s:s}}}}]", "type",
                           "m.room.encrypted", "sender", PERSON, "content", "algorithm",
                           MATRIX_OLM_ALGORITHM, "sender_key", matrix_account_curve25519(ann),
                           "ciphertext", bot_curve, "type", type, "body", body);
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    json_decref(payload);
    free(plain);
    free(body);
    free(key);
    return text;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    matrix_crypto_set_random(fixed_random);
    matrix_e2ee *e = matrix_e2ee_new(BOT, "BOTDEV", KEY, strlen(KEY));
    matrix_e2ee_ready(e);
    json_t *upload = matrix_e2ee_upload_body(e); /* one-time keys for the person to claim */
    const char *name;
    json_t *otk, *first = NULL;
    json_object_foreach(json_object_get(upload, "one_time_keys"), name, otk)
        if (!first)
            first = otk;
    matrix_account *ann = NULL;
    matrix_account_new(&ann);
    matrix_olm *s = NULL;
    matrix_olm_outbound(ann, matrix_e2ee_curve25519(e), json_string_value(json_object_get(first, "key")),
                        &s);
    matrix_e2ee_uploaded(e, "{\"one_time_key_counts\":{\"signed_curve25519\":50}}", 49);
    json_decref(upload);
    matrix_megolm_out *out = NULL;
    matrix_megolm_out_new(&out);
    /* The bot knows the person's device, and has her room key: the stored state. */
    json_t *dk = matrix_account_device_keys(ann, PERSON, "ANNDEV");
    json_t *query = json_pack("{s:{s:{s:O}}}", "device_keys", PERSON, "ANNDEV", dk);
    seed_query = json_dumps(query, JSON_COMPACT);
    json_t *body = NULL;
    matrix_e2ee_need need;
    matrix_e2ee_members(e, ROOM, "{\"joined\":{\"@ann:example.org\":{}}}", 35);
    matrix_e2ee_prepare(e, ROOM, &need, &body);
    json_decref(body);
    matrix_e2ee_query_result(e, seed_query, strlen(seed_query));
    char *first_key = room_key_event(ann, s, matrix_e2ee_curve25519(e), matrix_e2ee_ed25519(e), out);
    json_t *events = json_loads(first_key, 0, NULL);
    matrix_e2ee_to_device(e, events);
    json_decref(events);
    free(first_key);
    matrix_e2ee_changes(e, &stored, &nstored);
    /* Seeds: a second room key over the same Olm session, and a room message. */
    matrix_megolm_out *second = NULL;
    matrix_megolm_out_new(&second);
    seed_to_device = room_key_event(ann, s, matrix_e2ee_curve25519(e), matrix_e2ee_ed25519(e),
                                    second);
    char *cipher = NULL;
    matrix_megolm_out_encrypt(out, "{\"type\":\"m.room.message\",\"content\":{\"msgtype\":"
                                   "\"m.text\",\"body\":\"hi\"},\"room_id\":\"" ROOM "\"}",
                              &cipher);
    json_t *content = json_pack("{s:s, s:s, s:s, s:s, s:s}", "algorithm", MATRIX_MEGOLM_ALGORITHM,
                                "sender_key", matrix_account_curve25519(ann), "ciphertext",
                                cipher, "session_id", matrix_megolm_out_id(out), "device_id",
                                "ANNDEV");
    seed_room_event = json_dumps(content, JSON_COMPACT);
    json_decref(content);
    json_decref(query);
    json_decref(dk);
    free(cipher);
    matrix_megolm_out_free(second);
    matrix_megolm_out_free(out);
    matrix_olm_free(s);
    matrix_account_free(ann);
    matrix_e2ee_free(e);
    /* The seeds are what they say: the room message reads, the second key is taken. */
    matrix_e2ee *check = fresh_bot();
    char *plain = NULL;
    json_t *second_key = json_loads(seed_to_device, 0, NULL);
    if (!check || matrix_e2ee_decrypt(check, ROOM, PERSON, seed_room_event, &plain) != SB_OK ||
        !strstr(plain, "\"hi\"") || matrix_e2ee_to_device(check, second_key) != 1)
        abort();
    json_decref(second_key);
    free(plain);
    matrix_e2ee_free(check);
    const char *dir = getenv("FUZZ_E2EE_SEEDS");
    if (dir) {
        const char *seeds[][2] = {{"0", seed_to_device}, {"1", seed_room_event},
                                  {"2", seed_query}, {"3", "{\"one_time_keys\":{}}"},
                                  {"4", "{\"joined\":{\"@x:y\":{}}}"},
                                  {"5", "{\"one_time_key_counts\":{\"signed_curve25519\":3}}"}};
        for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/seed-%s", dir, seeds[i][0]);
            FILE *f = fopen(path, "wb");
            if (f) {
                fputs(seeds[i][0], f);
                fputs(seeds[i][1], f);
                fclose(f);
            }
        }
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    matrix_e2ee *e = fresh_bot();
    if (!e)
        abort();
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    switch (data[0] % 6) {
    case 0: {
        json_t *events = json_loads(text, 0, NULL);
        matrix_e2ee_to_device(e, events);
        json_decref(events);
        break;
    }
    case 1: {
        char *plain = NULL;
        if (matrix_e2ee_decrypt(e, ROOM, PERSON, text, &plain) == SB_OK && !plain)
            abort();
        free(plain);
        break;
    }
    case 2: {
        /* her devices changed: the bot asks again and reads the answer */
        char *changed[] = {PERSON};
        matrix_e2ee_device_lists(e, changed, 1, NULL, 0);
        matrix_e2ee_members(e, ROOM, "{\"joined\":{\"@ann:example.org\":{}}}", 35);
        json_t *body = NULL;
        matrix_e2ee_need need;
        matrix_e2ee_prepare(e, ROOM, &need, &body);
        json_decref(body);
        matrix_e2ee_query_result(e, text, size - 1);
        if (matrix_e2ee_prepare(e, ROOM, &need, &body) == SB_OK && need == MATRIX_E2EE_READY) {
            const char *contents[] = {"{\"msgtype\":\"m.notice\",\"body\":\"ok\"}"};
            char **out = NULL, *txn = NULL;
            if (matrix_e2ee_encrypt(e, ROOM, contents, 1, 1795000000000, &out, &txn) == SB_OK)
                matrix_e2ee_strings_free(out, 1);
            free(txn);
        }
        json_decref(body);
        break;
    }
    case 3:
        matrix_e2ee_claim_result(e, text, size - 1);
        break;
    case 4:
        matrix_e2ee_members(e, ROOM, text, size - 1);
        break;
    default:
        matrix_e2ee_uploaded(e, text, size - 1);
        break;
    }
    /* Whatever happened can be stored and read back. */
    sb_state_change *c = NULL;
    size_t n = 0;
    if (matrix_e2ee_changes(e, &c, &n) != SB_OK)
        abort();
    matrix_e2ee *again = matrix_e2ee_new(BOT, "BOTDEV", KEY, strlen(KEY));
    for (size_t i = 0; i < n; i++)
        if (c[i].value && matrix_e2ee_load(again, c[i].key, c[i].value) == SB_EPARSE)
            abort();
    matrix_e2ee_free(again);
    drop_changes(c, n);
    matrix_e2ee_free(e);
    free(text);
    return 0;
}
