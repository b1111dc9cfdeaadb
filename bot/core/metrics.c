/* metrics.c — the counters of metrics.h in fixed tables of atomics, and their rendering as
 * Prometheus text and as the /healthz report. Labels come from small fixed lists, so the
 * output never grows with the number of people, and nothing here can name one. Serving
 * the text over HTTP is monitor.c's. */
#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static const char *const adapters[] = {"console", "matrix", "irc", "other"};
static const char *const reasons[] = {"off",         "paused",         "late", "wrote-recently",
                                      "quiet-hours", "no-direct-room", "other"};
static const char *const results[] = {"ok", "refused", "other"};
#define NADAPTERS (sizeof adapters / sizeof adapters[0])
#define MAX_LABELS 8

typedef struct family {
    const char *name;
    const char *type;  /* "counter" or "gauge" */
    const char *help;
    const char *label; /* the label's name */
    const char *const *values;
    size_t nvalues;
} family;

#define LABELS(list) list, sizeof list / sizeof list[0]
static const family families[METRIC_COUNT] = {
    [METRIC_MESSAGES_RECEIVED] = {"securebase_messages_received_total", "counter",
                                  "Messages people wrote, by adapter.", "adapter", LABELS(adapters)},
    [METRIC_REPLIES_SENT] = {"securebase_replies_sent_total", "counter",
                             "Replies and nudges the platform accepted, by adapter.", "adapter",
                             LABELS(adapters)},
    [METRIC_REPLY_RETRIES] = {"securebase_reply_retries_total", "counter",
                              "Sends tried again after a transient failure, by adapter.",
                              "adapter", LABELS(adapters)},
    [METRIC_REPLIES_GIVEN_UP] = {"securebase_replies_given_up_total", "counter",
                                 "Replies given up for good, by adapter.", "adapter",
                                 LABELS(adapters)},
    [METRIC_REPLIES_PENDING] = {"securebase_replies_pending", "gauge",
                                "Replies handed to an adapter and not yet sent or given up.",
                                "adapter", LABELS(adapters)},
    [METRIC_CRISIS_ANSWERS] = {"securebase_crisis_answers_total", "counter",
                               "Crisis answers, by adapter.", "adapter", LABELS(adapters)},
    [METRIC_NUDGES_SENT] = {"securebase_nudges_sent_total", "counter",
                            "Daily nudges queued, by adapter.", "adapter", LABELS(adapters)},
    [METRIC_NUDGES_SKIPPED] = {"securebase_nudges_skipped_total", "counter",
                               "Due nudges not sent, by reason.", "reason", LABELS(reasons)},
    [METRIC_DIALOG_RELOADS] = {"securebase_dialog_reloads_total", "counter",
                               "Dialog reloads (SIGHUP), by result.", "result", LABELS(results)},
};

static atomic_llong values[METRIC_COUNT][MAX_LABELS];

/* Batch commit latency: cumulative buckets in seconds, as Prometheus histograms count. */
static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])
static atomic_llong bucket_counts[NBOUNDS + 1]; /* the last is +Inf */
static atomic_llong commit_micros;              /* the sum, in microseconds */
static atomic_llong last_batch[NADAPTERS];      /* UTC seconds, 0 never */
static atomic_llong last_contact[NADAPTERS];    /* UTC seconds, 0 never */
static atomic_llong core_alive, started, dialogs_serving;

static size_t label_index(const family *f, const char *label)
{
    for (size_t i = 0; label && i + 1 < f->nvalues; i++)
        if (strcmp(f->values[i], label) == 0)
            return i;
    return f->nvalues - 1; /* "other" */
}

void metrics_add(metric m, const char *label, long n)
{
    if ((unsigned)m >= METRIC_COUNT)
        return;
    atomic_fetch_add(&values[m][label_index(&families[m], label)], n);
}

void metrics_batch_committed(const char *adapter, int64_t now, double seconds)
{
    size_t i = 0;
    while (i < NBOUNDS && seconds > bounds[i])
        i++;
    atomic_fetch_add(&bucket_counts[i], 1);
    atomic_fetch_add(&commit_micros, (long long)(seconds * 1e6));
    atomic_store(&last_batch[label_index(&families[METRIC_MESSAGES_RECEIVED], adapter)], now);
}

void metrics_adapter_contact(const char *adapter, int64_t now)
{
    atomic_store(&last_contact[label_index(&families[METRIC_MESSAGES_RECEIVED], adapter)], now);
}

void metrics_core_alive(int64_t now)
{
    long long zero = 0;
    atomic_compare_exchange_strong(&started, &zero, now);
    atomic_store(&core_alive, now);
}

void metrics_dialogs(long count)
{
    atomic_store(&dialogs_serving, count);
}

/* Appends to a buffer and remembers whether anything failed, so a report is whole or an
 * error. Every line here is short. */
typedef struct writer {
    sb_buf *out;
    int failed;
} writer;

static void put(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(writer *w, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line || sb_buf_append(w->out, line, (size_t)n) != SB_OK)
        w->failed = 1;
}

static void header(writer *w, const char *name, const char *type, const char *help)
{
    put(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int metrics_render(sb_buf *out)
{
    writer wr = {out, 0}, *w = &wr;
    for (size_t m = 0; m < METRIC_COUNT; m++) {
        const family *f = &families[m];
        header(w, f->name, f->type, f->help);
        for (size_t i = 0; i < f->nvalues; i++)
            put(w, "%s{%s=\"%s\"} %lld\n", f->name, f->label, f->values[i],
                          (long long)atomic_load(&values[m][i]));
    }
    header(w, "securebase_batch_commit_seconds", "histogram",
           "Time to apply and commit one inbound batch.");
    long long cumulative = 0;
    for (size_t i = 0; i <= NBOUNDS; i++) {
        cumulative += atomic_load(&bucket_counts[i]);
        if (i < NBOUNDS)
            put(w, "securebase_batch_commit_seconds_bucket{le=\"%g\"} %lld\n",
                          bounds[i], cumulative);
        else
            put(w, "securebase_batch_commit_seconds_bucket{le=\"+Inf\"} %lld\n",
                          cumulative);
    }
    put(w, "securebase_batch_commit_seconds_sum %.6f\n",
                  (double)atomic_load(&commit_micros) / 1e6);
    put(w, "securebase_batch_commit_seconds_count %lld\n", cumulative);
    header(w, "securebase_last_batch_timestamp_seconds", "gauge",
           "When a batch from the adapter was last committed (0: never).");
    for (size_t i = 0; i < NADAPTERS; i++)
        put(w, "securebase_last_batch_timestamp_seconds{adapter=\"%s\"} %lld\n",
                      adapters[i], (long long)atomic_load(&last_batch[i]));
    header(w, "securebase_last_contact_timestamp_seconds", "gauge",
           "When the adapter last heard from its platform (0: never).");
    for (size_t i = 0; i < NADAPTERS; i++)
        put(w, "securebase_last_contact_timestamp_seconds{adapter=\"%s\"} %lld\n", adapters[i],
            (long long)atomic_load(&last_contact[i]));
    header(w, "securebase_core_alive_timestamp_seconds", "gauge",
           "When the core loop last turned.");
    put(w, "securebase_core_alive_timestamp_seconds %lld\n",
                  (long long)atomic_load(&core_alive));
    header(w, "securebase_start_time_seconds", "gauge", "When the core started serving.");
    put(w, "securebase_start_time_seconds %lld\n", (long long)atomic_load(&started));
    header(w, "securebase_dialogs", "gauge", "Dialogs in the set now serving.");
    put(w, "securebase_dialogs %lld\n", (long long)atomic_load(&dialogs_serving));
    header(w, "securebase_info", "gauge", "The version of securebase running.");
    put(w, "securebase_info{version=\"%s\"} 1\n", SB_VERSION);
    return w->failed ? SB_ENOMEM : SB_OK;
}

int metrics_health(sb_buf *out, int64_t now, int64_t stale_seconds, int *healthy)
{
    writer wr = {out, 0}, *w = &wr;
    long long alive = atomic_load(&core_alive);
    *healthy = alive > 0 && now - alive <= stale_seconds;
    put(w, "{\"status\":\"%s\",\"core_alive_seconds_ago\":%lld,\"adapters\":{",
                  *healthy ? "ok" : "stalled", alive > 0 ? (long long)(now - alive) : -1LL);
    int first = 1;
    for (size_t i = 0; i < NADAPTERS; i++) {
        long long batch = atomic_load(&last_batch[i]), contact = atomic_load(&last_contact[i]);
        if (!batch && !contact)
            continue;
        put(w, "%s\"%s\":{\"last_contact_seconds_ago\":%lld,\"last_batch_seconds_ago\":%lld,"
            "\"replies_pending\":%lld}", first ? "" : ",", adapters[i],
            contact ? (long long)(now - contact) : -1LL, batch ? (long long)(now - batch) : -1LL,
            (long long)atomic_load(&values[METRIC_REPLIES_PENDING][i]));
        first = 0;
    }
    long long pending = 0;
    for (size_t i = 0; i < NADAPTERS; i++)
        pending += atomic_load(&values[METRIC_REPLIES_PENDING][i]);
    put(w, "},\"replies_pending\":%lld}\n", pending);
    return w->failed ? SB_ENOMEM : SB_OK;
}
