/* nudge.h — daily nudges: the person's settings commands, and the due-nudge pass the core
 * runs from the store's index (design.md invariant 7, issue 6). Every function works
 * inside the caller's transaction and on the caller's "now"; none reads a clock.
 * Implemented by nudge.c (the commands and hooks) and nudge_due.c (the due pass and the
 * preview), over the private nudge_conf.h (settings) and nudge_text.h (wording).
 *
 * Settings kept per person (store_setting_*):
 *   "timezone"  IANA zone name as validated, e.g. "Europe/Berlin"
 *   "nudge"     JSON object: {"on":true,"time":"09:00","days":"daily"|"weekdays",
 *               "paused_until":UTC,"unanswered":N,"last":UTC,"recent":["n3","e1",...],
 *               "crisis":UTC}
 *               (paused_until/last 0 when unset; recent = last wordings used, pool
 *               letter n/e/f/c + index, newest last; crisis: a crisis answer the person
 *               has not been checked on since, absent when none)
 *   "focus"     read only here: the person's focus topic (set elsewhere)
 * and the next due instant in the store's nudge index (store_nudge_set).
 *
 * Wordings: the nudges themselves come from nudges.json ("nudges", "with_exercise" using
 * {exercise}, "with_focus" using {topic}, "after_crisis" for the first nudge after a
 * crisis, "backoff": [every-2-days notice, weekly notice] using {days}). The answers to the commands come from views.json by key (a string or a
 * list), each with a plain fallback here: nudge_show, nudge_show_off, nudge_on,
 * nudge_on_quiet, nudge_off, nudge_days, nudge_days_daily, nudge_days_weekdays,
 * nudge_need_zone, nudge_next, nudge_paused, nudge_paused_open, nudge_bad_time,
 * nudge_fallback, timezone_set, timezone_show, timezone_unset, timezone_suggest,
 * timezone_unknown, pause_set, pause_open, pause_bad, resume, resume_off,
 * resume_not_paused, unknown_action. Variables: {time} {zone} {days} {next_local}
 * {next_utc} {until} {now_local} {example_date} (a date a few weeks ahead, for
 * examples); timezone_suggest/_unknown: {given} {suggestion}. A pause while nudges are
 * off answers with nudge_show_off.
 * nudge_next should show {next_local} and {next_utc} (the issue asks for both). */
#ifndef SB_NUDGE_H
#define SB_NUDGE_H

#include "dialog.h"
#include "sb.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>

/* Receives each nudge queued by nudge_run_due: its outbox row id, the person's adapter
 * and direct room, and the Markdown text. All borrowed for the call. Called inside the
 * caller's transaction: send only after the commit. */
typedef void (*nudge_sink_fn)(void *ctx, int64_t outbox_id, const char *adapter,
                              const char *room, const char *text);

/* Performs a settings command: action "nudge" (arg NULL/"" shows the settings, "HH:MM",
 * "off", "on", "daily", "weekdays"), "timezone" (arg Area/City; NULL shows it), "pause"
 * (arg "3d", "2w", "12h" or "until 2026-12-01"), "resume". Appends the coach's answer
 * (Markdown; wording from views.json) to reply and stores the settings and the next
 * instant. Any other action name gets a gentle answer and SB_OK. Returns SB_OK, or
 * SB_EDB/SB_ENOMEM (the caller rolls back). */
int nudge_action(store *s, const sb_dialogs *d, int64_t person, const char *action,
                 const char *arg, int64_t now, sb_buf *reply);

/* The person wrote to the coach: back-off returns to the daily rhythm and the next
 * instant is recomputed. Cheap (one read) when nothing changes. SB_OK, SB_EDB, SB_ENOMEM. */
int nudge_on_inbound(store *s, int64_t person, int64_t now);
/* Whether nudge_on_inbound has anything to do for a person whose "nudge" setting, read
 * before the message, is setting (NULL for none): only when nudges went unanswered (no
 * message step raises that count; only the due pass does). */
int nudge_inbound_pending(const char *setting);

/* A crisis was detected: no nudge for the next 24 hours unless the person resumes, and the
 * next one asks how they are (nudges.json "after_crisis") instead of about an exercise. */
int nudge_on_crisis(store *s, int64_t person, int64_t now);

/* The person was asked how they are after a crisis (SB_FX_CHECKED): the next nudge is an
 * ordinary one again. SB_OK, SB_EDB, SB_ENOMEM. */
int nudge_on_checked(store *s, int64_t person);

/* Handles up to limit people whose nudge is due at or before now, earliest first: each
 * is sent (outbox row + sink) or skipped by the schedule's rules, and their next instant
 * is moved past now. Sets *more to 1 when limit people were handled (more may be due: call
 * again, in a new transaction if you like), to 0 when none are left. Returns SB_OK, or
 * SB_EINVAL/SB_EDB/SB_ENOMEM (roll back; nothing of the pass should be committed). */
int nudge_run_due(store *s, const sb_dialogs *d, int64_t now, int limit, int *more,
                  nudge_sink_fn sink, void *ctx);

/* The earliest due nudge instant of anyone, 0 when none. */
int nudge_next_due(store *s, int64_t *due);

/* Prints "PLATFORM-ID 2026-03-28T08:00:00Z" for each nudge the current settings would send
 * in [from, to), ordered by instant then person, assuming the core runs on time and nobody
 * answers (so back-off grows as it would). Writes nothing to the store. SB_OK, SB_EDB,
 * SB_ENOMEM, SB_EIO (write failed). */
int nudge_preview(store *s, int64_t from, int64_t to, FILE *out);

#endif
