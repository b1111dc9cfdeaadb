/* metrics.h — the process's counters for operators: how many messages came and went, what
 * is pending, retried and given up, crisis answers, nudges, dialog reloads, how long a
 * batch takes to commit, and when each adapter last had a batch committed. Counts and
 * times only: never a person, a room or a word. Every call is thread-safe (atomics) and
 * cannot fail, so any module may count without caring whether anyone listens. */
#ifndef SB_METRICS_H
#define SB_METRICS_H

#include "sb.h"

#include <stdint.h>

typedef enum metric {
    METRIC_MESSAGES_RECEIVED,  /* by adapter: messages people wrote (group chatter included) */
    METRIC_REPLIES_SENT,       /* by adapter: replies and nudges the platform accepted */
    METRIC_REPLY_RETRIES,      /* by adapter: sends tried again after a transient failure */
    METRIC_REPLIES_GIVEN_UP,   /* by adapter: replies dropped for good (room gone, refused) */
    METRIC_REPLIES_PENDING,    /* by adapter, a gauge: handed to the adapter, not yet done */
    METRIC_CRISIS_ANSWERS,     /* by adapter */
    METRIC_NUDGES_SENT,        /* by adapter */
    METRIC_NUDGES_SKIPPED,     /* by reason (label: off, paused, late, ...) */
    METRIC_DIALOG_RELOADS,     /* by result (label: ok, refused) */
    METRIC_COUNT
} metric;

/* Adds n to the metric for label (an adapter name, a skip reason or a reload result; an
 * unknown label counts under "other"). A gauge may go down (n < 0). */
void metrics_add(metric m, const char *label, long n);
/* One batch from adapter committed at wall time now (UTC seconds), after seconds of work. */
void metrics_batch_committed(const char *adapter, int64_t now, double seconds);
/* The adapter heard from its platform at wall time now (a Matrix sync answer, an IRC
 * line): it is connected, whether or not anyone wrote. */
void metrics_adapter_contact(const char *adapter, int64_t now);
/* The core is turning (called from its tick), at wall time now. */
void metrics_core_alive(int64_t now);
/* How many dialogs are serving (after start and each reload). */
void metrics_dialogs(long count);

/* Appends every metric in the Prometheus text format (version 0.0.4) to out. SB_OK or
 * SB_ENOMEM (out may then hold part of it). */
int metrics_render(sb_buf *out);
/* Appends the health report (JSON) to out: the core's last turn, each adapter's last
 * contact with its platform and last committed batch, and the replies pending. *healthy is 1 when the core turned within
 * stale_seconds. SB_OK or SB_ENOMEM. */
int metrics_health(sb_buf *out, int64_t now, int64_t stale_seconds, int *healthy);

#endif
