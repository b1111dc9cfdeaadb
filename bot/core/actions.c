/* actions.c — the commands that need the person's rows: journal, progress, export, forget,
 * exercise; and applying a step's effects to the store. Wording comes from
 * dialogs/views.json; this file adds only the person's own data and numbers. Nudge
 * settings are delegated to nudge.c. Nothing personal is shown outside a direct chat. */
#include "actions.h"
#include "exercise_pick.h"
#include "nudge.h"
#include "person.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *view(action_ctx *a, const char *key)
{
    return dialogs_view(a->dialogs, key, (unsigned)a->now);
}

/* Keeps the first failure to append to the reply (action_ctx.rc). */
static void keep(action_ctx *a, int rc)
{
    if (rc != SB_OK && a->rc == SB_OK)
        a->rc = rc;
}

static void say(action_ctx *a, const char *text)
{
    keep(a, sb_buf_paragraph(a->reply, text));
}

static int consented(action_ctx *a)
{
    return person_consents(*a->state);
}

/* --- journal --- */

/* A page of the journal: at most this many entries, and no further entry once this many
 * bytes are shown (a reader's page; Matrix splits a longer text into events anyway). */
#define JOURNAL_PAGE_ENTRIES 10
#define JOURNAL_PAGE_BYTES 6000

typedef struct journal_page {
    action_ctx *a;
    size_t start; /* reply length before the first entry */
    int shown;
    int more;     /* an older entry exists beyond this page */
} journal_page;

static int journal_line(void *ctx, int64_t when, const char *prompt, const char *text)
{
    journal_page *page = ctx;
    action_ctx *a = page->a;
    if (page->shown >= JOURNAL_PAGE_ENTRIES ||
        (page->shown > 0 && a->reply->len - page->start >= JOURNAL_PAGE_BYTES)) {
        page->more = 1;
        return 1;
    }
    char day[16];
    time_t t = (time_t)when;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    /* Shown exactly as written: the person's words are escaped, never read as Markdown. */
    char *safe = text_escape_markdown(text ? text : "");
    char *safe_prompt = text_escape_markdown(prompt ? prompt : "");
    if (!safe || !safe_prompt) {
        free(safe);
        free(safe_prompt);
        return SB_ENOMEM;
    }
    keep(a, sb_buf_printf(a->reply, "\n- **%s**%s%s: %s", day, *safe_prompt ? " · " : "", safe_prompt,
                          safe));
    free(safe);
    free(safe_prompt);
    page->shown++;
    return 0;
}

/* "journal more": the arguments that ask for the next page rather than add an entry. */
static int asks_more(const char *arg)
{
    static const char *const words[] = {"more", "next", "older", "more please"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(arg, words[i]) == 0)
            return 1;
    return 0;
}

static int do_journal(action_ctx *a, const char *arg)
{
    int offset = 0;
    if (arg && *arg && asks_more(arg)) {
        int64_t next = person_journal_next(*a->state);
        if (next <= 0) {
            say(a, view(a, "journal_no_more"));
            return SB_OK;
        }
        offset = (int)next;
    } else if (arg && *arg) {
        if (!consented(a)) {
            say(a, view(a, "journal_no_consent"));
            return SB_OK;
        }
        int rc = store_journal_add(a->store, a->person, "journal", arg, a->now);
        if (rc == SB_OK)
            say(a, view(a, "journal_added"));
        return rc;
    }
    if (!consented(a) && offset == 0) {
        /* Older entries may exist from before consent was withdrawn; show those, but
         * don't promise that new answers land here. */
        say(a, view(a, "journal_off"));
    }
    size_t before = a->reply->len;
    if (offset == 0)
        say(a, view(a, "journal_header"));
    else
        say(a, view(a, "journal_header_older"));
    journal_page page = {.a = a, .start = a->reply->len};
    int rc = store_journal_page(a->store, a->person, offset, JOURNAL_PAGE_ENTRIES + 1,
                                journal_line, &page);
    if (rc != SB_OK)
        return rc;
    if (page.more) {
        person_set_journal_next(*a->state, offset + page.shown);
        say(a, view(a, "journal_more"));
    } else {
        person_set_journal_next(*a->state, 0);
    }
    if (page.shown == 0) {
        a->reply->len = before;
        if (a->reply->data)
            a->reply->data[before] = '\0';
        if (offset > 0) {
            say(a, view(a, "journal_no_more"));
            return SB_OK;
        }
        if (!consented(a))
            return SB_OK;
        say(a, view(a, "journal_empty"));
    }
    return SB_OK;
}

/* --- progress --- */

#define MAX_POINTS 64

typedef struct series {
    char measure[64];
    int values[MAX_POINTS];
    int n;        /* stored points (the newest MAX_POINTS) */
    int first;    /* the very first rating */
    int count;    /* all ratings */
} series;

typedef struct progress {
    series s[16];
    int n;
} progress;

static int progress_point(void *ctx, int64_t when, const char *measure, int value)
{
    (void)when;
    progress *p = ctx;
    int i = 0;
    while (i < p->n && strcmp(p->s[i].measure, measure) != 0)
        i++;
    if (i == p->n) {
        if (p->n == 16)
            return 0;
        snprintf(p->s[i].measure, sizeof p->s[i].measure, "%s", measure);
        p->s[i].first = value;
        p->n++;
    }
    series *s = &p->s[i];
    if (s->n == MAX_POINTS) {
        memmove(s->values, s->values + 1, (MAX_POINTS - 1) * sizeof s->values[0]);
        s->n--;
    }
    s->values[s->n++] = value;
    s->count++;
    return 0;
}

static const char *measure_label(action_ctx *a, const char *id)
{
    const json_t *list = json_object_get(dialogs_data(a->dialogs, "measures"), "measures");
    size_t i;
    const json_t *m;
    json_array_foreach(list, i, m) {
        if (strcmp(json_string_value(json_object_get(m, "id")) ?: "", id) == 0) {
            const char *label = json_string_value(json_object_get(m, "label"));
            return label ? label : id;
        }
    }
    return id;
}

/* Appends a sparkline of values 1..7 using the eight block characters. */
static int sparkline(sb_buf *b, const int *v, int n)
{
    static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    int rc = SB_OK;
    for (int i = 0; i < n && rc == SB_OK; i++) {
        int level = (v[i] - 1) * 7 / 6; /* 1 -> 0, 7 -> 7 */
        rc = sb_buf_puts(b, bars[level < 0 ? 0 : level > 7 ? 7 : level]);
    }
    return rc;
}

static int do_progress(action_ctx *a)
{
    progress p = {0};
    int rc = store_rating_list(a->store, a->person, progress_point, &p);
    if (rc != SB_OK)
        return rc;
    if (p.n == 0) {
        say(a, view(a, "progress_empty"));
        return SB_OK;
    }
    say(a, view(a, "progress_header"));
    for (int i = 0; i < p.n; i++) {
        series *s = &p.s[i];
        int last = s->values[s->n - 1];
        int change = last - s->first;
        keep(a, sb_buf_printf(a->reply, "\n- **%s**: %d → %d (%+d) ", measure_label(a, s->measure),
                              s->first, last, change));
        keep(a, sparkline(a->reply, s->values, s->n));
        const char *trend;
        if (s->count < 2)
            trend = view(a, "progress_single");
        else if (change > 0)
            trend = view(a, "progress_up");
        else if (change < 0)
            trend = view(a, "progress_down");
        else
            trend = view(a, "progress_same");
        keep(a, sb_buf_printf(a->reply, " — %s", trend));
    }
    say(a, view(a, "progress_footer"));
    return SB_OK;
}

/* --- export / forget --- */

static int do_export(action_ctx *a)
{
    json_t *all = NULL;
    int rc = store_export(a->store, a->person, &all);
    if (rc != SB_OK)
        return rc;
    person_times_iso(json_object_get(json_object_get(all, "session"), "state"));
    char *text = json_dumps(all, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(all);
    if (!text)
        return SB_ENOMEM;
    say(a, view(a, "export_intro"));
    keep(a, sb_buf_printf(a->reply, "\n\n```json\n%s\n```", text));
    free(text);
    return SB_OK;
}

static int do_forget(action_ctx *a)
{
    int rc = store_forget(a->store, a->person);
    if (rc != SB_OK)
        return rc;
    a->forgotten = 1;
    say(a, view(a, "forget_done"));
    return SB_OK;
}

/* --- exercise --- */

typedef struct recent {
    char ids[20][64];
    int n;
} recent;

static int recent_row(void *ctx, int64_t when, const char *exercise, const char *event)
{
    (void)when;
    recent *r = ctx;
    if (strcmp(event, "given") == 0 && r->n < 20)
        snprintf(r->ids[r->n++], sizeof r->ids[0], "%s", exercise);
    return 0;
}

static int do_exercise_list(action_ctx *a)
{
    const json_t *topics = json_object_get(dialogs_data(a->dialogs, "exercises"), "topics");
    say(a, view(a, "exercise_topics"));
    size_t i;
    const json_t *t;
    json_array_foreach(topics, i, t) {
        keep(a, sb_buf_printf(a->reply, "\n- **%s** — %s",
                      json_string_value(json_object_get(t, "id")) ?: "",
                              json_string_value(json_object_get(t, "title")) ?: ""));
    }
    return SB_OK;
}

/* exercise_pick with what the person was given lately, spread by person and day. */
static const char *pick_exercise(action_ctx *a, const char *topic, const recent *r)
{
    const char *ids[20];
    for (int i = 0; i < r->n; i++)
        ids[i] = r->ids[i];
    return exercise_pick(json_object_get(dialogs_data(a->dialogs, "exercises"), "exercises"),
                         topic, ids, (size_t)r->n, exercise_pick_spread(a->person, a->now / 86400));
}

static int has_topic(action_ctx *a, const char *topic)
{
    const json_t *topics = json_object_get(dialogs_data(a->dialogs, "exercises"), "topics");
    size_t i;
    const json_t *t;
    json_array_foreach(topics, i, t) {
        if (strcmp(json_string_value(json_object_get(t, "id")) ?: "", topic) == 0)
            return 1;
    }
    return 0;
}

static int do_exercise(action_ctx *a, const char *arg)
{
    if (arg && strcmp(arg, "list") == 0)
        return do_exercise_list(a);
    char topic[64] = "";
    if (arg && *arg) {
        snprintf(topic, sizeof topic, "%s", arg);
        for (char *p = topic; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        if (!has_topic(a, topic)) {
            say(a, view(a, "exercise_unknown_topic"));
            return do_exercise_list(a);
        }
    }
    recent r = {0};
    int rc = store_exercise_list(a->store, a->person, 20, recent_row, &r);
    if (rc != SB_OK)
        return rc;
    const char *id = NULL;
    if (!topic[0]) {
        char *focus = NULL;
        if ((rc = store_setting_get(a->store, a->person, "focus", &focus)) != SB_OK)
            return rc;
        if (focus && has_topic(a, focus))
            id = pick_exercise(a, focus, &r);
        free(focus);
    }
    if (!id)
        id = pick_exercise(a, topic[0] ? topic : NULL, &r);
    if (!id) {
        say(a, view(a, "exercise_none"));
        return SB_OK;
    }
    sb_step step;
    rc = engine_start_exercise(a->dialogs, *a->state, id, a->input, &step);
    if (rc != SB_OK)
        return rc;
    json_decref(*a->state);
    *a->state = step.state;
    step.state = NULL;
    for (size_t i = 0; i < step.nreplies; i++)
        say(a, step.replies[i]);
    rc = actions_apply(a, &step);
    engine_step_free(&step);
    return rc;
}

static int run(action_ctx *a, const char *name, const char *arg)
{
    if (!a->direct) {
        say(a, view(a, "group_private"));
        return SB_OK;
    }
    if (strcmp(name, "journal") == 0)
        return do_journal(a, arg);
    if (strcmp(name, "progress") == 0)
        return do_progress(a);
    if (strcmp(name, "export") == 0)
        return do_export(a);
    if (strcmp(name, "forget") == 0)
        return do_forget(a);
    if (strcmp(name, "exercise") == 0)
        return do_exercise(a, arg);
    if (strcmp(name, "focus") == 0 && arg && has_topic(a, arg))
        return store_setting_set(a->store, a->person, "focus", arg);
    sb_buf out = {0};
    int rc = nudge_action(a->store, a->dialogs, a->person, name, arg, a->now, &out);
    if (rc == SB_OK && out.len)
        say(a, out.data);
    sb_buf_free(&out);
    return rc;
}

int actions_run(action_ctx *a, const char *name, const char *arg)
{
    int rc = run(a, name, arg);
    return rc != SB_OK ? rc : a->rc;
}

int actions_apply(action_ctx *a, const sb_step *step)
{
    int rc = SB_OK;
    for (size_t i = 0; i < step->neffects && rc == SB_OK && !a->forgotten; i++) {
        const sb_effect *e = &step->effects[i];
        switch (e->kind) {
        case SB_FX_JOURNAL:
            if (a->direct && consented(a) && e->value)
                rc = store_journal_add(a->store, a->person, e->key, e->value, a->now);
            break;
        case SB_FX_RATING:
            if (a->direct && e->key)
                rc = store_rating_add(a->store, a->person, e->key, (int)e->number, a->now);
            break;
        case SB_FX_SETTING:
            if (e->key)
                rc = store_setting_set(a->store, a->person, e->key, e->value ? e->value : "");
            break;
        case SB_FX_EXERCISE_GIVEN:
        case SB_FX_EXERCISE_DONE:
        case SB_FX_EXERCISE_STOPPED:
            if (e->key && a->direct)
                rc = store_exercise_log(a->store, a->person, e->key,
                                        e->kind == SB_FX_EXERCISE_GIVEN  ? "given"
                                        : e->kind == SB_FX_EXERCISE_DONE ? "done"
                                                                         : "stopped",
                                        a->now);
            break;
        case SB_FX_ACTION:
            if (e->key)
                rc = actions_run(a, e->key, e->value);
            break;
        case SB_FX_CRISIS:
            rc = nudge_on_crisis(a->store, a->person, a->now);
            break;
        case SB_FX_CHECKED:
            rc = nudge_on_checked(a->store, a->person);
            break;
        case SB_FX_SAY:
            if (e->value)
                rc = sb_buf_paragraph(a->reply, e->value);
            break;
        }
    }
    return rc != SB_OK ? rc : a->rc;
}
