/* actions.h — the store-backed commands the engine asks for with SB_FX_ACTION: journal,
 * progress, export, forget, exercise (and the nudge settings, which live in nudge.c).
 * Texts come from dialogs/views.json; only numbers and the person's own rows are added. */
#ifndef SB_ACTIONS_H
#define SB_ACTIONS_H

#include "dialog.h"
#include "engine.h"
#include "sb.h"
#include "store.h"

#include <jansson.h>

typedef struct action_ctx {
    store *store;
    const sb_dialogs *dialogs;
    int64_t person;
    int64_t now;
    int direct;          /* 0 in a group room: nothing personal is shown */
    json_t **state;      /* the person's engine state; exercise replaces it */
    const sb_input *input;
    sb_buf *reply;       /* Markdown appended here */
    int forgotten;       /* set by "forget": the person no longer exists */
    int rc;              /* the first failure to append to reply (SB_ENOMEM), returned by
                            actions_run and actions_apply: a reply is never cut silently */
} action_ctx;

/* Runs action name with arg (may be NULL). Returns SB_OK, or SB_EDB/SB_ENOMEM (the
 * caller rolls the batch back). Unknown actions append a gentle text and succeed. */
int actions_run(action_ctx *a, const char *name, const char *arg);

/* Applies the effects of a step (journal, rating, setting, exercise log, action, crisis)
 * to the store and appends action replies. */
int actions_apply(action_ctx *a, const sb_step *step);

#endif
