/* nudge_text.h — the words of the nudge module: the answers to the settings commands
 * (views.json by key) with their variables, and the daily
 * nudge itself (nudges.json, rotating, about the person's exercise or focus). No store,
 * no clock: dialogs and values in, Markdown out. Private to the nudge files. */
#ifndef SB_NUDGE_TEXT_H
#define SB_NUDGE_TEXT_H

#include "dialog.h"
#include "nudge_conf.h"
#include "sb.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nudge_var {
    const char *name;  /* without braces: "time" fills {time} */
    const char *value; /* borrowed */
} nudge_var;

/* Appends tmpl to out with each {name} of vars replaced by its value; unknown names and
 * a "{" without "}" stay as written. SB_OK or SB_ENOMEM (out keeps what was appended). */
int nudge_text_fill(sb_buf *out, const char *tmpl, const nudge_var *vars, size_t n);

/* Appends a paragraph to reply (a blank line first when reply is not empty): the view
 * under key (its list varied by now), filled with vars. SB_OK or SB_ENOMEM. */
int nudge_text_say(sb_buf *reply, const sb_dialogs *d, const char *key, int64_t now,
                   const nudge_var *vars, size_t n);

/* The variables every settings answer may use, as text: {time} {zone} {days}
 * {next_local} {next_utc} {until} {now_local}; times "YYYY-MM-DD HH:MM" in the person's
 * zone (UTC while unset); an unknown instant (next 0, no pause) is "". {example_date} is
 * a date "YYYY-MM-DD" 15 to 45 days ahead (the first of a month), for examples like
 * `!pause until {example_date}` that must still work on the day they are read. */
typedef struct nudge_answer_vars {
    char time[16], next_local[32], next_utc[32], until[32], now_local[32], example_date[16];
    nudge_var v[8]; /* points into this struct and into c and d: don't copy it */
    size_t n;
} nudge_answer_vars;

/* Fills *w for the settings c at now, with next the next nudge instant (0: none). c and
 * d must outlive *w. Cannot fail. */
void nudge_text_answer_vars(const sb_dialogs *d, const nudge_conf *c, int64_t now,
                            int64_t next, nudge_answer_vars *w);

/* Appends the nudge to text: after_crisis set, a check on how the person is (nudges.json
 * "after_crisis", when it has any); else a wording about the exercise exercise_id (shown
 * by its title from exercises.json) when not NULL, else about the focus topic focus when
 * not NULL, else a general one; then the back-off notice when backoff_days > 0 (this nudge changes
 * the rhythm to every backoff_days days). The wording is chosen, varied by person and
 * due, among those not in recent (tags like "n3"), and its tag is appended to recent,
 * which keeps the last few. SB_OK or SB_ENOMEM. */
int nudge_text_compose(const sb_dialogs *d, int after_crisis, const char *exercise_id,
                       const char *focus, int64_t person, int64_t due, int backoff_days,
                       json_t *recent, sb_buf *text);

#endif
