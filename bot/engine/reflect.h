/* reflect.h — reflective listening by the rules of reflection.json: the person's words
 * turned around ("I feel my ..." -> "you feel your ..."), capped, and the feeling word
 * they used (if any), put into a template. The engine adds the check question and
 * handles the yes/no/correction that follows (engine.c). */
#ifndef SB_REFLECT_H
#define SB_REFLECT_H

#include <jansson.h>
#include <stddef.h>

#define REFLECT_ECHO_MAX 200 /* bytes of echo before it is cut with "…" */

/* The echo of text (without the "hedges" that open or close a clause, pronouns swapped by
 * "swaps", "object_swaps" for a word that is not the first of its clause, trailing
 * punctuation trimmed, capped at REFLECT_ECHO_MAX on a word
 * and UTF-8 boundary) in *echo, and the first feeling word of "feelings" that text uses
 * without a negation before it (right before, or before "linking_words" such as "feel",
 * "was", "being") in *feeling (NULL when none). Both owned by the caller.
 * *echo may be "" when text has no words. Returns SB_OK or SB_ENOMEM (both NULL). */
int reflect_parts(const json_t *reflection, const char *text, char **echo, char **feeling);
/* 1 when text names a feeling of reflection ("sad", "numb": reflect_parts' feeling), 0 when
 * not (or reflection is NULL), SB_ENOMEM. */
int reflect_names_feeling(const json_t *reflection, const char *text);

/* The reflection: template number pick (modulo the list) of "feeling_templates" when
 * feeling is non-NULL, else of "templates", with {echo} and {feeling} filled in as given
 * (for a reply, pass the echo through text_escape_markdown first: it is the person's text).
 * Caller frees; NULL on ENOMEM. */
char *reflect_render(const json_t *reflection, const char *echo, const char *feeling, size_t pick);

#endif
