/* nudge_conf.h — one person's nudge settings as the nudge files use them, read from and
 * written back to the store's "nudge" and "timezone" settings (format in nudge.h), with
 * the store's next-due instant kept in step. Private to the nudge module: included only
 * by nudge.c (the commands), nudge_due.c (the due pass, the preview) and nudge_text.c. */
#ifndef SB_NUDGE_CONF_H
#define SB_NUDGE_CONF_H

#include "schedule.h"
#include "store.h"
#include "tz.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nudge_conf {
    schedule_settings sch;  /* zone borrowed from the tz cache; NULL while unset */
    int on;                 /* the person turned nudges on */
    int paused;             /* paused until !resume, no end date */
    char zone[TZ_NAME_MAX]; /* the zone's name, "" while unset */
    json_t *recent;         /* owned array of the last wordings' tags ("n3", "e1", ...) */
    int64_t crisis;         /* UTC of a crisis answer not yet followed by a check on how
                               the person is (the next nudge is that check); 0 for none */
} nudge_conf;

/* Reads the person's settings into *c (with_zone = 0 skips the zone, for the cheap
 * inbound path). Unreadable or missing settings read as "off". Returns SB_OK, SB_EDB or
 * SB_ENOMEM; *c is always safe to pass to nudge_conf_free. */
int nudge_conf_load(store *s, int64_t person, nudge_conf *c, int with_zone);

/* Writes the "nudge" setting (not the zone, which the timezone command stores itself).
 * SB_OK, SB_EDB, SB_ENOMEM. */
int nudge_conf_save(store *s, int64_t person, const nudge_conf *c);

/* Stores the next instant the settings give after now, or none; *next (may be NULL)
 * receives it, 0 for none. SB_OK, SB_EDB. */
int nudge_conf_reschedule(store *s, int64_t person, const nudge_conf *c, int64_t now,
                          int64_t *next);

/* Brings sch.enabled in line with on, paused and the chosen time. Cannot fail. */
void nudge_conf_refresh(nudge_conf *c);

/* Frees what *c owns. */
void nudge_conf_free(nudge_conf *c);

/* "09:30" for minute 570, "" for a minute outside 0..1439 (no time set). */
void nudge_conf_format_time(int minute, char *buf, size_t size);

#endif
