/* crisis.h — the crisis check (design.md invariant 5) as a matcher compiled once from
 * crisis.json: its phrases and its figure-of-speech exclusions, in phrase form (text.h).
 * A phrase matches at word boundaries; a "*" word in it stands for 0-3 arbitrary words.
 * Exclusions ("not") are cut out of the input first and no phrase matches across a cut. */
#ifndef SB_CRISIS_H
#define SB_CRISIS_H

#include "dialog.h"

#include <jansson.h>

typedef struct crisis_matcher crisis_matcher;

/* Compiles the "phrases" and "not" lists of a crisis data file (NULL: a matcher that never
 * matches). Non-string entries are skipped. Returns SB_ENOMEM (*out NULL) or SB_OK. */
int crisis_compile(const json_t *crisis, crisis_matcher **out);
void crisis_free(crisis_matcher *m);

/* 1 when text signals a crisis, 0 when not, SB_ENOMEM when it could not tell. Pure. */
int crisis_match(const crisis_matcher *m, const char *text);

/* The set's compiled matcher (never NULL for a loaded set). Defined in dialog.c, which
 * owns the matcher: compiled at load, freed with the set. */
const crisis_matcher *dialogs_crisis_matcher(const sb_dialogs *d);

#endif
