/* backoff.c — exponential reconnect delay with jitter (backoff.h). */
#include "backoff.h"

int64_t backoff_ms(unsigned attempt, int64_t min_ms, int64_t max_ms, uint32_t random)
{
    if (min_ms < 1)
        min_ms = 1;
    if (max_ms < min_ms)
        max_ms = min_ms;
    int64_t delay = min_ms;
    for (unsigned i = 0; i < attempt && delay < max_ms; i++)
        delay = delay > max_ms / 2 ? max_ms : delay * 2;
    int64_t half = delay / 2;
    return delay - half + (int64_t)(random % (uint64_t)(half + 1));
}
