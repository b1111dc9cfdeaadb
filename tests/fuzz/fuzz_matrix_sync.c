/* fuzz_matrix_sync.c — libFuzzer target: any bytes as a /sync response body must parse or be
 * refused cleanly, and what parses must be self-consistent (counts match arrays, strings set).
 * Every valid JSON document must load (json_valid.h): one odd message in a /sync answer must
 * never make the whole answer unreadable. Seeds: tests/fuzz/corpus/fuzz_matrix_sync, the
 * Synapse recordings' bodies. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_valid.h"
#include "matrix_invite.h"
#include "matrix_json.h"
#include "matrix_parse.h"
#include "sb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (json_valid(data, size)) {
        json_t *v = matrix_json_load((const char *)data, size);
        if (!v)
            abort(); /* a valid document refused */
        json_decref(v);
    }
    matrix_sync *s = NULL;
    if (matrix_sync_parse((const char *)data, size, "@bot:example.org", &s) != SB_OK)
        return 0;
    if (!s->next_batch)
        abort();
    for (size_t i = 0; i < s->joined_count; i++) {
        const matrix_room *r = &s->joined[i];
        if (!r->room_id || (r->event_count && !r->events))
            abort();
        for (size_t j = 0; j < r->event_count; j++) {
            const matrix_event *e = &r->events[j];
            if (e->kind == MATRIX_EVENT_TEXT && (!e->body || strlen(e->body) > MATRIX_BODY_MAX))
                abort();
            if (e->kind == MATRIX_EVENT_MEMBER && (!e->state_key || !e->membership))
                abort();
            if (e->kind == MATRIX_EVENT_IGNORED && !e->reason)
                abort();
            if (e->kind == MATRIX_EVENT_TEXT)
                (void)matrix_strip_address(e->body, "@bot:example.org", "Bot");
        }
    }
    for (size_t i = 0; i < s->invite_count; i++)
        if (!s->invites[i].room_id)
            abort();
    for (size_t i = 0; i < s->left_count; i++)
        if (!s->left[i])
            abort();
    matrix_sync_free(s);
    return 0;
}
