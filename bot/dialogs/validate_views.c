/* validate_views.c — views.json: every view the code says, with the variables its text may
 * use (validate.h). Adding a text the code says means adding its key here. */
#include "validate.h"

#include <string.h>

static const char *const no_vars[] = {NULL};
static const char *const settings_vars[] = {"time",  "zone",      "days",         "next_local",
                                            "next_utc", "until", "now_local", "example_date", NULL};
static const char *const zone_vars[] = {"given", "suggestion", NULL};
static const char *const words_vars[] = {"words", NULL};
static const char *const nudge_vars[] = {"exercise", "topic", "days", NULL};

/* Every view the code says, with the variables its text may use. All are required, so no
 * English waits in C as a fallback (design.md invariant 2: every word lives in dialogs/). */
static const struct {
    const char *key;
    const char *const *vars;
} view_keys[] = {
    {"journal_header", no_vars},       {"journal_empty", no_vars},
    {"journal_added", no_vars},        {"journal_off", no_vars},
    {"journal_header_older", no_vars}, {"journal_more", no_vars},
    {"journal_no_more", no_vars},      {"journal_no_consent", no_vars},
    {"progress_empty", no_vars},       {"progress_header", no_vars},
    {"progress_single", no_vars},      {"progress_up", no_vars},
    {"progress_down", no_vars},        {"progress_same", no_vars},
    {"progress_footer", no_vars},      {"export_intro", no_vars},
    {"forget_done", no_vars},          {"exercise_topics", no_vars},
    {"exercise_unknown_topic", no_vars}, {"exercise_none", no_vars},
    {"input_cut", words_vars},         {"group_private", no_vars},
    {"encrypted", no_vars},            {"unreadable", no_vars},
    {"unknown_action", no_vars},       {"nudge_days_daily", no_vars},
    {"nudge_days_weekdays", no_vars},  {"nudge_show", settings_vars},
    {"nudge_show_off", settings_vars}, {"nudge_on", settings_vars},
    {"nudge_on_quiet", settings_vars}, {"nudge_off", settings_vars},
    {"nudge_days", settings_vars},     {"nudge_bad_time", no_vars},
    {"nudge_need_zone", settings_vars}, {"nudge_next", settings_vars},
    {"nudge_paused", settings_vars},   {"nudge_paused_open", settings_vars},
    {"nudge_fallback", nudge_vars},    {"timezone_show", settings_vars},
    {"timezone_unset", no_vars},       {"timezone_set", settings_vars},
    {"timezone_suggest", zone_vars},   {"timezone_unknown", zone_vars},
    {"pause_set", settings_vars},      {"pause_open", settings_vars},
    {"pause_bad", settings_vars},      {"resume", settings_vars},
    {"resume_off", settings_vars},     {"resume_not_paused", settings_vars},
};

void validate_views(validate_ctx *v, const char *f, const json_t *views)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)views, key, value) {
        size_t k = 0;
        while (k < sizeof view_keys / sizeof view_keys[0] && strcmp(view_keys[k].key, key) != 0)
            k++;
        if (k == sizeof view_keys / sizeof view_keys[0] && strcmp(key, "kind") != 0 &&
            !validate_is_comment(key))
            validate_problem(v, f, "-", "unknown view \"%.60s\": nothing says it", key);
    }
    for (size_t k = 0; k < sizeof view_keys / sizeof view_keys[0]; k++)
        validate_texts(v, f, "-", view_keys[k].key, json_object_get(views, view_keys[k].key),
                       view_keys[k].vars, NULL);
}
