/* adapter.c — freeing what crosses the adapter seam (adapter.h): inbound events and
 * batches, which an adapter builds and the core frees once it has applied them. */
#include "adapter.h"

#include <stdlib.h>

void sb_inbound_free_all(sb_inbound *events, size_t count)
{
    for (size_t i = 0; events && i < count; i++) {
        free(events[i].room);
        free(events[i].sender);
        free(events[i].text);
        free(events[i].event_id);
    }
    free(events);
}

void sb_batch_free(sb_batch *b)
{
    if (!b)
        return;
    sb_inbound_free_all(b->events, b->count);
    for (size_t i = 0; i < b->change_count; i++) {
        free(b->changes[i].key);
        free(b->changes[i].value);
        free(b->changes[i].owner);
    }
    free(b->changes);
    free(b->resume_key);
    free(b->resume_value);
    free(b);
}
