/* matrix_parse.c — turns Matrix Client-Server API bytes into the values the adapter acts on.
 * Every event is classified here (what to answer, what to ignore and why), so the rules of
 * "never answer notices, own events, edits, redactions" are tested on recorded transcripts
 * without a network. The adapter (matrix.c) owns the HTTP, timing and room bookkeeping. */
#include "matrix_parse.h"
#include "matrix_invite.h"
#include "matrix_json.h"

#include "sb.h"
#include "sb_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_string(const json_t *v)
{
    return json_is_string(v) ? sb_strndup(json_string_value(v), json_string_length(v)) : NULL;
}

static int string_is(const json_t *obj, const char *key, const char *want)
{
    const char *s = sb_json_str(obj, key);
    return s && strcmp(s, want) == 0;
}

static const json_t *path_get(const json_t *obj, const char *a, const char *b)
{
    const json_t *v = json_object_get(obj, a);
    return b ? json_object_get(v, b) : v;
}

void matrix_event_clear(matrix_event *e)
{
    if (!e)
        return;
    free(e->event_id);
    free(e->sender);
    free(e->body);
    free(e->state_key);
    free(e->membership);
    free(e->prev_membership);
    free(e->encrypted);
    memset(e, 0, sizeof *e);
}

/* ---- events ---- */

static int mentions_list_has(const json_t *content, const char *self)
{
    const json_t *ids = path_get(content, "m.mentions", "user_ids");
    size_t i;
    const json_t *id;
    if (!self || !json_is_array(ids))
        return 0;
    json_array_foreach(ids, i, id)
        if (json_is_string(id) && strcmp(json_string_value(id), self) == 0)
            return 1;
    return 0;
}

/* A reply's body starts with the quoted original ("> ..." lines, then a blank line). */
static const char *strip_reply_fallback(const json_t *content, const char *body)
{
    if (!json_is_object(path_get(content, "m.relates_to", "m.in_reply_to")) || body[0] != '>')
        return body;
    const char *p = body;
    while (*p == '>') {
        const char *nl = strchr(p, '\n');
        if (!nl)
            return body; /* nothing but a quote: keep it all */
        p = nl + 1;
    }
    if (*p == '\n')
        p++;
    return p;
}

static int classify_message(const json_t *ev, const char *self, matrix_event *out)
{
    const json_t *content = json_object_get(ev, "content");
    const json_t *unsigned_ = json_object_get(ev, "unsigned");
    const char *msgtype = sb_json_str(content, "msgtype");
    const char *body = sb_json_str(content, "body");
    const char *rel = sb_json_str(path_get(content, "m.relates_to", NULL), "rel_type");

    if (json_object_get(unsigned_, "redacted_because") || json_object_get(ev, "redacted_because") ||
        (json_is_object(content) && json_object_size(content) == 0)) {
        out->reason = "redacted";
    } else if ((rel && strcmp(rel, "m.replace") == 0) || json_object_get(content, "m.new_content")) {
        out->reason = "edit";
    } else if (!msgtype || !body) {
        out->reason = "malformed";
    } else if (strcmp(msgtype, "m.notice") == 0) {
        out->reason = "notice";
    } else if (strcmp(msgtype, "m.emote") == 0) {
        out->reason = "emote";
    } else if (strcmp(msgtype, "m.text") != 0) {
        out->reason = "not text";
    } else if (json_string_length(json_object_get(content, "body")) > MATRIX_BODY_MAX) {
        out->reason = "too long";
    } else if (strlen(body) != json_string_length(json_object_get(content, "body"))) {
        out->reason = "malformed"; /* an embedded NUL: the core takes C strings */
    }
    if (out->reason) {
        out->kind = MATRIX_EVENT_IGNORED;
        return SB_OK;
    }
    out->kind = MATRIX_EVENT_TEXT;
    out->body = sb_strdup(strip_reply_fallback(content, body));
    if (!out->body)
        return SB_ENOMEM;
    out->mentions_bot = mentions_list_has(content, self) || matrix_names_bot(out->body, self, NULL);
    return SB_OK;
}

static int classify_member(const json_t *ev, matrix_event *out)
{
    const json_t *content = json_object_get(ev, "content");
    const json_t *state_key = json_object_get(ev, "state_key");
    const json_t *membership = json_object_get(content, "membership");
    if (!json_is_string(state_key) || !json_is_string(membership)) {
        out->kind = MATRIX_EVENT_IGNORED;
        out->reason = "malformed";
        return SB_OK;
    }
    out->kind = MATRIX_EVENT_MEMBER;
    out->state_key = dup_string(state_key);
    out->membership = dup_string(membership);
    const json_t *prev = path_get(json_object_get(ev, "unsigned"), "prev_content", "membership");
    if (json_is_string(prev) && !(out->prev_membership = dup_string(prev)))
        return SB_ENOMEM;
    out->is_direct = json_is_true(json_object_get(content, "is_direct"));
    return out->state_key && out->membership ? SB_OK : SB_ENOMEM;
}

/* Classifies a parsed event into *out (zeroed first). SB_OK or SB_ENOMEM. */
static int classify(const json_t *ev, const char *self, matrix_event *out)
{
    memset(out, 0, sizeof *out);
    const char *type = sb_json_str(ev, "type");
    const json_t *id = json_object_get(ev, "event_id");
    const json_t *sender = json_object_get(ev, "sender");
    if ((json_is_string(id) && !(out->event_id = dup_string(id))) ||
        (json_is_string(sender) && !(out->sender = dup_string(sender))))
        goto nomem;
    int rc = SB_OK;
    if (!json_is_object(ev) || !type || !json_is_object(json_object_get(ev, "content"))) {
        out->kind = MATRIX_EVENT_IGNORED;
        out->reason = "malformed";
    } else if (strcmp(type, "m.room.member") == 0) {
        rc = classify_member(ev, out);
    } else if (self && out->sender && strcmp(out->sender, self) == 0) {
        out->kind = MATRIX_EVENT_IGNORED;
        out->reason = "own";
    } else if (strcmp(type, "m.room.message") == 0) {
        rc = classify_message(ev, self, out);
    } else if (strcmp(type, "m.room.encrypted") == 0) {
        out->kind = MATRIX_EVENT_ENCRYPTED;
        out->encrypted = json_dumps(json_object_get(ev, "content"), JSON_COMPACT);
        rc = out->encrypted ? SB_OK : SB_ENOMEM;
    } else {
        out->kind = MATRIX_EVENT_IGNORED;
        out->reason = strcmp(type, "m.room.redaction") == 0 ? "redaction" : "type";
    }
    if (rc == SB_OK)
        return SB_OK;
nomem:
    matrix_event_clear(out);
    return SB_ENOMEM;
}

int matrix_event_decrypted(matrix_event *e, const char *plain, const char *self)
{
    json_t *ev = matrix_json_load(plain, strlen(plain));
    if (!json_is_object(ev) || !json_is_string(json_object_get(ev, "type")) ||
        !json_is_object(json_object_get(ev, "content"))) {
        json_decref(ev);
        return SB_EPARSE;
    }
    /* What the server says about the event (id, sender) stays; the rest is the sender's. */
    json_object_del(ev, "state_key");
    int rc = (e->event_id && json_object_set_new(ev, "event_id", json_string(e->event_id))) ||
                     (e->sender && json_object_set_new(ev, "sender", json_string(e->sender)))
                 ? SB_ENOMEM
                 : SB_OK;
    matrix_event fresh;
    if (rc == SB_OK)
        rc = classify(ev, self, &fresh);
    json_decref(ev);
    if (rc != SB_OK) {
        matrix_event_clear(e);
        return rc;
    }
    if (fresh.kind == MATRIX_EVENT_MEMBER) { /* membership is never encrypted: a forgery */
        matrix_event_clear(&fresh);
        fresh.kind = MATRIX_EVENT_IGNORED;
        fresh.reason = "malformed";
    }
    matrix_event_clear(e);
    *e = fresh;
    return SB_OK;
}

int matrix_event_parse(const char *json, size_t len, const char *self, matrix_event *out)
{
    memset(out, 0, sizeof *out);
    json_t *root = matrix_json_load(json, len);
    if (!json_is_object(root)) {
        json_decref(root);
        return SB_EPARSE;
    }
    int rc = classify(root, self, out);
    json_decref(root);
    return rc;
}

/* ---- /sync ---- */

static void room_free(matrix_room *r)
{
    free(r->room_id);
    free(r->prev_batch);
    for (size_t i = 0; i < r->event_count; i++)
        matrix_event_clear(&r->events[i]);
    free(r->events);
}

void matrix_sync_free(matrix_sync *s)
{
    if (!s)
        return;
    free(s->next_batch);
    for (size_t i = 0; i < s->invite_count; i++) {
        free(s->invites[i].room_id);
        free(s->invites[i].inviter);
    }
    free(s->invites);
    for (size_t i = 0; i < s->joined_count; i++)
        room_free(&s->joined[i]);
    free(s->joined);
    for (size_t i = 0; i < s->left_count; i++)
        free(s->left[i]);
    free(s->left);
    for (size_t i = 0; i < s->direct_count; i++)
        free(s->direct_rooms[i]);
    free(s->direct_rooms);
    json_decref(s->to_device);
    for (size_t i = 0; i < s->keys_changed_count; i++)
        free(s->keys_changed[i]);
    free(s->keys_changed);
    for (size_t i = 0; i < s->keys_left_count; i++)
        free(s->keys_left[i]);
    free(s->keys_left);
    free(s);
}

static int has_event_id(const matrix_room *r, const char *id)
{
    for (size_t i = 0; id && i < r->event_count; i++)
        if (r->events[i].event_id && strcmp(r->events[i].event_id, id) == 0)
            return 1;
    return 0;
}

static int is_joined(const char *m)
{
    return m && strcmp(m, "join") == 0;
}

/* Counts users whose last membership event (state, then timeline) says "join". */
static long count_joined(const json_t *state, const json_t *timeline)
{
    json_t *last = json_object(); /* user -> membership, borrowed strings kept as json */
    long joined = 0;
    const json_t *lists[2] = {state, timeline};
    for (int l = 0; l < 2 && last; l++) {
        size_t i;
        const json_t *ev;
        json_array_foreach(lists[l], i, ev) {
            const char *key = sb_json_str(ev, "state_key");
            const char *m = sb_json_str(json_object_get(ev, "content"), "membership");
            if (string_is(ev, "type", "m.room.member") && key && m)
                json_object_set_new(last, key, json_string(m));
        }
    }
    const char *key;
    json_t *m;
    json_object_foreach(last, key, m)
        joined += is_joined(json_string_value(m));
    json_decref(last);
    return joined;
}

static int has_encryption(const json_t *events)
{
    size_t i;
    const json_t *ev;
    json_array_foreach(events, i, ev)
        if (string_is(ev, "type", "m.room.encryption"))
            return 1;
    return 0;
}

/* A positive integer content field of the last m.room.encryption event in events, or -1. */
static long encryption_setting(const json_t *events, const char *key, long found)
{
    size_t i;
    const json_t *ev;
    json_array_foreach(events, i, ev) {
        const json_t *v = json_object_get(json_object_get(ev, "content"), key);
        if (string_is(ev, "type", "m.room.encryption"))
            found = json_is_integer(v) && json_integer_value(v) > 0 &&
                            json_integer_value(v) < 0x7fffffffL
                        ? (long)json_integer_value(v)
                        : -1;
    }
    return found;
}

static int parse_joined_room(const char *room_id, const json_t *room, const char *self,
                             matrix_room *r)
{
    const json_t *state = path_get(room, "state", "events");
    const json_t *timeline = path_get(room, "timeline", "events");
    const json_t *count = path_get(room, "summary", "m.joined_member_count");
    memset(r, 0, sizeof *r);
    r->room_id = sb_strdup(room_id);
    if (!r->room_id)
        return SB_ENOMEM;
    r->joined_count = json_is_integer(count) && json_integer_value(count) >= 0
                          ? (long)json_integer_value(count)
                          : -1;
    r->joined_seen = count_joined(state, timeline);
    r->encrypted = has_encryption(state) || has_encryption(timeline);
    r->rotation_ms = encryption_setting(timeline, "rotation_period_ms",
                                        encryption_setting(state, "rotation_period_ms", -1));
    r->rotation_msgs = encryption_setting(timeline, "rotation_period_msgs",
                                          encryption_setting(state, "rotation_period_msgs", -1));
    r->limited = json_is_true(path_get(room, "timeline", "limited"));
    const json_t *prev = path_get(room, "timeline", "prev_batch");
    if (json_is_string(prev) && !(r->prev_batch = dup_string(prev)))
        return SB_ENOMEM;
    size_t n = json_array_size(timeline);
    if (n == 0)
        return SB_OK;
    r->events = calloc(n, sizeof *r->events);
    if (!r->events)
        return SB_ENOMEM;
    size_t i;
    const json_t *ev;
    json_array_foreach(timeline, i, ev) {
        if (has_event_id(r, sb_json_str(ev, "event_id")))
            continue; /* Synapse repeats the bot's own join right after joining */
        matrix_event *e = &r->events[r->event_count];
        if (classify(ev, self, e) != SB_OK)
            return SB_ENOMEM;
        r->event_count++;
        if (e->kind == MATRIX_EVENT_MEMBER)
            r->member_delta += is_joined(e->membership) - is_joined(e->prev_membership);
    }
    return SB_OK;
}

static int parse_invite(const char *room_id, const json_t *room, const char *self,
                        matrix_invite *inv)
{
    const json_t *events = path_get(room, "invite_state", "events");
    memset(inv, 0, sizeof *inv);
    inv->room_id = sb_strdup(room_id);
    if (!inv->room_id)
        return SB_ENOMEM;
    inv->encrypted = has_encryption(events);
    size_t i;
    const json_t *ev;
    json_array_foreach(events, i, ev) {
        const json_t *content = json_object_get(ev, "content");
        if (!string_is(ev, "type", "m.room.member") || !self || !string_is(ev, "state_key", self) ||
            !string_is(content, "membership", "invite"))
            continue;
        free(inv->inviter);
        inv->inviter = dup_string(json_object_get(ev, "sender"));
        inv->is_direct = json_is_true(json_object_get(content, "is_direct"));
    }
    return SB_OK;
}

static int parse_direct(const json_t *account_data, matrix_sync *s)
{
    size_t i;
    const json_t *ev;
    json_array_foreach(path_get(account_data, "events", NULL), i, ev) {
        if (!string_is(ev, "type", "m.direct"))
            continue;
        s->has_direct = 1;
        const char *user;
        const json_t *rooms;
        json_object_foreach((json_t *)json_object_get(ev, "content"), user, rooms) {
            size_t j;
            const json_t *room;
            json_array_foreach(rooms, j, room) {
                if (!json_is_string(room))
                    continue;
                char **grown = realloc(s->direct_rooms, (s->direct_count + 1) * sizeof *grown);
                if (!grown)
                    return SB_ENOMEM;
                s->direct_rooms = grown;
                if (!(s->direct_rooms[s->direct_count] = dup_string(room)))
                    return SB_ENOMEM;
                s->direct_count++;
            }
        }
    }
    return SB_OK;
}

static int parse_rooms(const json_t *rooms, const char *self, matrix_sync *s)
{
    const json_t *join = json_object_get(rooms, "join");
    const json_t *invite = json_object_get(rooms, "invite");
    const json_t *leave = json_object_get(rooms, "leave");
    const char *id;
    const json_t *room;
    if (json_object_size(join) && !(s->joined = calloc(json_object_size(join), sizeof *s->joined)))
        return SB_ENOMEM;
    json_object_foreach((json_t *)join, id, room) {
        if (!json_is_object(room))
            continue;
        int rc = parse_joined_room(id, room, self, &s->joined[s->joined_count]);
        s->joined_count++; /* counted even on failure so that free releases the parts */
        if (rc != SB_OK)
            return rc;
    }
    if (json_object_size(invite) &&
        !(s->invites = calloc(json_object_size(invite), sizeof *s->invites)))
        return SB_ENOMEM;
    json_object_foreach((json_t *)invite, id, room) {
        if (!json_is_object(room))
            continue;
        int rc = parse_invite(id, room, self, &s->invites[s->invite_count]);
        s->invite_count++;
        if (rc != SB_OK)
            return rc;
    }
    if (json_object_size(leave) && !(s->left = calloc(json_object_size(leave), sizeof *s->left)))
        return SB_ENOMEM;
    json_object_foreach((json_t *)leave, id, room) {
        if (!(s->left[s->left_count] = sb_strdup(id)))
            return SB_ENOMEM;
        s->left_count++;
    }
    return SB_OK;
}

/* The strings of a JSON array into *list (owned), non-strings skipped. */
static int string_list(const json_t *array, char ***list, size_t *count)
{
    size_t n = json_array_size(array);
    if (n == 0)
        return SB_OK;
    if (!(*list = calloc(n, sizeof **list)))
        return SB_ENOMEM;
    size_t i;
    const json_t *v;
    json_array_foreach(array, i, v) {
        if (!json_is_string(v))
            continue;
        if (!((*list)[*count] = dup_string(v)))
            return SB_ENOMEM;
        (*count)++;
    }
    return SB_OK;
}

/* The end-to-end encryption parts of a sync: to-device messages, device lists, key counts. */
static int parse_e2ee(const json_t *root, matrix_sync *s)
{
    const json_t *events = path_get(root, "to_device", "events");
    if (json_is_array(events) && json_array_size(events))
        s->to_device = json_incref((json_t *)events);
    const json_t *count = path_get(root, "device_one_time_keys_count", "signed_curve25519");
    s->one_time_keys = json_is_integer(count) && json_integer_value(count) >= 0
                           ? (long)json_integer_value(count)
                           : json_is_object(json_object_get(root, "device_one_time_keys_count"))
                                 ? 0
                                 : -1;
    const json_t *unused = json_object_get(root, "device_unused_fallback_key_types");
    if (!unused)
        unused = json_object_get(root, "org.matrix.msc2732.device_unused_fallback_key_types");
    s->fallback_unused = -1;
    if (json_is_array(unused)) {
        size_t i;
        const json_t *v;
        s->fallback_unused = 0;
        json_array_foreach(unused, i, v)
            if (json_is_string(v) && strcmp(json_string_value(v), "signed_curve25519") == 0)
                s->fallback_unused = 1;
    }
    int rc = string_list(path_get(root, "device_lists", "changed"), &s->keys_changed,
                         &s->keys_changed_count);
    if (rc == SB_OK)
        rc = string_list(path_get(root, "device_lists", "left"), &s->keys_left,
                         &s->keys_left_count);
    return rc;
}

int matrix_sync_parse(const char *json, size_t len, const char *self, matrix_sync **out)
{
    *out = NULL;
    json_t *root = matrix_json_load(json, len);
    const json_t *next = json_object_get(root, "next_batch");
    if (!json_is_object(root) || !json_is_string(next)) {
        json_decref(root);
        return SB_EPARSE;
    }
    int rc = SB_ENOMEM;
    matrix_sync *s = calloc(1, sizeof *s);
    if (!s || !(s->next_batch = dup_string(next)))
        goto done;
    rc = parse_rooms(json_object_get(root, "rooms"), self, s);
    if (rc == SB_OK)
        rc = parse_direct(json_object_get(root, "account_data"), s);
    if (rc == SB_OK)
        rc = parse_e2ee(root, s);
done:
    json_decref(root);
    if (rc != SB_OK) {
        matrix_sync_free(s);
        return rc;
    }
    *out = s;
    return SB_OK;
}

int matrix_messages_parse(const char *json, size_t len, const char *self, matrix_event **events,
                          size_t *count, char **end)
{
    *events = NULL;
    *count = 0;
    *end = NULL;
    json_t *root = matrix_json_load(json, len);
    const json_t *chunk = json_object_get(root, "chunk");
    if (!json_is_object(root) || !json_is_array(chunk)) {
        json_decref(root);
        return SB_EPARSE;
    }
    int rc = SB_OK;
    size_t n = json_array_size(chunk);
    if (n && !(*events = calloc(n, sizeof **events)))
        rc = SB_ENOMEM;
    for (size_t i = 0; i < n && rc == SB_OK; i++) {
        rc = classify(json_array_get(chunk, i), self, &(*events)[i]);
        if (rc == SB_OK)
            (*count)++;
    }
    const json_t *token = json_object_get(root, "end");
    if (rc == SB_OK && json_is_string(token) && !(*end = dup_string(token)))
        rc = SB_ENOMEM;
    json_decref(root);
    if (rc != SB_OK) {
        for (size_t i = 0; i < *count; i++)
            matrix_event_clear(&(*events)[i]);
        free(*events);
        *events = NULL;
        *count = 0;
    }
    return rc;
}

/* ---- small answers ---- */

int matrix_field_parse(const char *json, size_t len, const char *key, char **out)
{
    *out = NULL;
    json_t *root = matrix_json_load(json, len);
    if (!json_is_object(root)) {
        json_decref(root);
        return SB_EPARSE;
    }
    const json_t *v = json_object_get(root, key);
    int rc = SB_ENOTFOUND;
    if (json_is_string(v))
        rc = (*out = dup_string(v)) ? SB_OK : SB_ENOMEM;
    json_decref(root);
    return rc;
}
