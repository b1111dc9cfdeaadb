/* fuzz_matrix_event.c — libFuzzer target: any bytes as one timeline event must classify or be
 * refused cleanly; also feeds the bytes to the /messages, error-body and Retry-After readers.
 * A valid JSON object is never refused as malformed text (json_valid.h). Seeds:
 * tests/fuzz/corpus/fuzz_matrix_event, single events from the Synapse recordings. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_valid.h"
#include "matrix_http.h"
#include "matrix_invite.h"
#include "matrix_parse.h"
#include "sb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *self = "@bot:example.org";
    matrix_event e;
    int rc = matrix_event_parse((const char *)data, size, self, &e);
    if (rc == SB_EPARSE && json_valid(data, size) && size && data[0] == '{')
        abort(); /* a valid object refused */
    if (rc == SB_OK) {
        if (e.kind == MATRIX_EVENT_TEXT) {
            if (!e.body)
                abort();
            (void)matrix_addressed(e.body, e.mentions_bot, self, "Bot");
        }
        if (e.kind == MATRIX_EVENT_IGNORED && !e.reason)
            abort();
        matrix_event_clear(&e);
    }
    matrix_event *page = NULL;
    size_t count = 0;
    char *end = NULL;
    if (matrix_messages_parse((const char *)data, size, self, &page, &count, &end) == SB_OK) {
        for (size_t i = 0; i < count; i++)
            matrix_event_clear(&page[i]);
        free(page);
        free(end);
    }
    char code[64];
    long ms;
    (void)matrix_error_parse((const char *)data, size, code, sizeof code, &ms);
    if (ms < -1)
        abort();
    char header[128];
    size_t n = size < sizeof header - 1 ? size : sizeof header - 1;
    memcpy(header, data, n);
    header[n] = '\0';
    (void)matrix_retry_after_ms(header, 1445412480);
    (void)matrix_user_allowed(header, "@a:b", "c.d", self);
    return 0;
}
