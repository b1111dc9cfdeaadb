/* crisis.h — the crisis check (design.md invariant 5) as a matcher compiled once from
 * crisis.json: its phrases by category and its figure-of-speech exclusions, in phrase form
 * (text.h). A phrase matches at word boundaries; a "*" word in it stands for 0-3 arbitrary
 * words. Exclusions ("not") are cut out of the input first and no phrase matches across a
 * cut. A match reports the categories found as a bit set (bit i: category i of the data). */
#ifndef SB_CRISIS_H
#define SB_CRISIS_H

#include "dialog.h"

#include <jansson.h>

#define CRISIS_CATEGORIES_MAX 16 /* categories one matcher tells apart */

typedef struct crisis_matcher crisis_matcher;

/* Compiles a phrase list object (NULL: a matcher that never matches): either "categories",
 * an array of objects each with its "phrases" (category i is the i-th), or one "phrases"
 * list (category 0); and the "not" list of exclusions. Categories past
 * CRISIS_CATEGORIES_MAX and non-string entries are skipped. Returns SB_ENOMEM (*out NULL)
 * or SB_OK. */
int crisis_compile(const json_t *crisis, crisis_matcher **out);
void crisis_free(crisis_matcher *m);

/* The categories whose phrases occur in text, as bits (1 << i for category i; 0 for none),
 * or SB_ENOMEM when it could not tell. Pure. The text is folded first (crisis_fold), and
 * read a second time with emoji inside words dropped; a word of the input also matches
 * with its repeated letters squeezed ("dieeee", "killlll"). */
int crisis_match(const crisis_matcher *m, const char *text);

/* crisis_match that also tells, in *figure, whether a figure of speech of the "not" list
 * was found ("this deadline is killing me", "i cut myself shaving"). */
int crisis_check(const crisis_matcher *m, const char *text, int *figure);

/* What the crisis check reads of one text, folded and put in phrase form once and shared
 * by every list matched against it (a turn reads the crisis phrases, then "ask",
 * "downplay" or "restate", and its language): without and with emoji inside words dropped.
 * Starts empty ({0}); a different text empties it first. Freed by crisis_text_free. */
typedef struct crisis_text {
    char *text;        /* the text read (owned copy) */
    char *folded;      /* crisis_fold(text, 0), NULL until read or on ENOMEM */
    char *norm;        /* its phrase form (of text itself when it could not be folded) */
    char *joined;      /* crisis_fold(text, 1) */
    char *joined_norm; /* its phrase form */
} crisis_text;

/* crisis_check through c: the same answer, each fold made once for all lists. */
int crisis_check_text(const crisis_matcher *m, crisis_text *c, const char *text, int *figure);

/* The phrase form of crisis_fold(text, 1), kept in c; NULL on ENOMEM. */
const char *crisis_text_joined(crisis_text *c, const char *text);
void crisis_text_free(crisis_text *c);

/* crisis_match of text already folded by crisis_fold (read once, as it is). */
int crisis_match_folded(const crisis_matcher *m, const char *text);

/* What the crisis check reads of text (all of it, not only what normalize_fold looks at
 * in one go): Unicode folded (NFKC: full-width letters are letters; case folded; accents
 * and other marks stripped; zero-width and other invisible characters dropped), then every
 * character that is no letter, digit or apostrophe a space; with join, a symbol or emoji
 * between two letters is dropped instead ("d😭ie" reads "die"). Owned by the caller; NULL
 * on ENOMEM. */
char *crisis_fold(const char *text, int join);

/* The set's compiled matcher (never NULL for a loaded set). Defined in dialog.c, which
 * owns the matcher: compiled at load, freed with the set. */
const crisis_matcher *dialogs_crisis_matcher(const sb_dialogs *d);

/* The other lists of crisis.json, compiled the same way: what safety.h does after a crisis
 * answer (ask, downplay, restate). */
typedef enum safety_list {
    SAFETY_ASK,      /* crisis.json "ask": unclear risk */
    SAFETY_DOWNPLAY, /* "downplay": taking it back */
    SAFETY_RESTATE,  /* "restate": meaning it after all */
    SAFETY_LISTS
} safety_list;

/* The compiled lists of crisis.json (never NULL for a loaded set; a list the file lacks
 * never matches). Defined in dialog.c, which compiles them at load. */
const crisis_matcher *dialogs_safety_matcher(const sb_dialogs *d, safety_list which);

#endif
