/* backoff.h — the reconnect and retry delay every adapter uses (IRC reconnects, Matrix
 * lanes and sync): exponential, capped, with jitter so that many clients do not retry
 * at once. Pure. */
#ifndef SB_BACKOFF_H
#define SB_BACKOFF_H

#include <stdint.h>

/* Delay for the attempt-th retry in a row (0-based): min_ms doubling per attempt up to
 * max_ms, then spread over its upper half [delay - delay/2, delay] by random (any 32-bit
 * value). min_ms below 1 counts as 1, max_ms below min_ms as min_ms; at least 1. */
int64_t backoff_ms(unsigned attempt, int64_t min_ms, int64_t max_ms, uint32_t random);

#endif
