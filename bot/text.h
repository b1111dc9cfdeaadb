/* text.h — small UTF-8-aware string routines shared by the dialog loader and the engine:
 * the two normal forms person-written text is matched in, word-boundary search, bounded
 * UTF-8 copies, {variable} scanning and substitution, and a stable hash.
 * Only ASCII letters are case-folded; bytes >= 0x80 pass through untouched. */
#ifndef SB_TEXT_H
#define SB_TEXT_H

#include "sb.h"

#include <stddef.h>
#include <stdint.h>

/* Command form: trimmed, ASCII lowercase, whitespace runs collapsed to one space, trailing
 * ".!?" (and spaces before them) removed. "  Help me!! " -> "help me". NULL on ENOMEM. */
char *text_norm_command(const char *s);

/* Both forms into a caller's buffer: the length written (NUL-terminated), or (size_t)-1
 * when the result would not fit in cap bytes (out is then unspecified). Never allocate. */
size_t text_norm_command_to(const char *s, char *out, size_t cap);
size_t text_norm_phrase_to(const char *s, char *out, size_t cap);

/* Phrase form, used for crisis phrases, command phrases and dialog triggers: ASCII
 * lowercase; curly single quotes and apostrophes removed altogether so "can't", "can’t"
 * and "cant" are the same word; every other ASCII punctuation mark, curly double quotes,
 * dashes and the ellipsis become a space; spaces collapsed and trimmed. NULL on ENOMEM. */
char *text_norm_phrase(const char *s);

/* Byte offset of the first occurrence of needle in hay that starts and ends at a word
 * boundary (start/end of the string or a space), or -1. Both in phrase or command form;
 * an empty needle never matches. */
long text_find_words(const char *hay, const char *needle);

/* Sets starts[c] to 1 for each byte c that a word of hay (phrase or command form) opens
 * with, others to 0: a needle whose first byte is not among them is not found by
 * text_find_words, so a long list is mostly told apart without a search. */
void text_word_starts(const char *hay, unsigned char starts[256]);

/* 1 when s holds nothing but spaces, tabs and line breaks (or nothing). */
int text_is_blank(const char *s);

/* Length of the longest prefix of s[0..len) that is at most max bytes and does not end
 * inside a UTF-8 sequence. Cannot fail. */
size_t text_utf8_cut(const char *s, size_t len, size_t max);

/* A copy of s with every invalid UTF-8 sequence replaced by U+FFFD and NULs dropped, cut to
 * at most max bytes at a character boundary. NULL on ENOMEM (or when s is NULL). */
char *text_utf8_clean(const char *s, size_t max);

/* Calls fn for every {name} in s (name: 1-40 of [a-z0-9_]); other braces are literal.
 * Stops and returns fn's value when fn returns non-zero; returns 0 otherwise. */
typedef int (*text_var_fn)(void *ctx, const char *name, size_t len);
int text_each_var(const char *s, text_var_fn fn, void *ctx);

/* The value of variable name[0..len) or NULL when unknown (then "" is substituted). */
typedef const char *(*text_lookup_fn)(void *ctx, const char *name, size_t len);
/* Copy of tmpl with each {name} replaced by lookup's value. NULL on ENOMEM. */
char *text_substitute(const char *tmpl, text_lookup_fn lookup, void *ctx);
/* The same appended to out (an sb_buf of sb.h); an unknown {name} stays as written when
 * keep_unknown, else it is "". SB_OK or SB_ENOMEM (out keeps what was appended). */
int text_substitute_to(sb_buf *out, const char *tmpl, text_lookup_fn lookup, void *ctx,
                       int keep_unknown);

/* A copy of s for inserting into the coach's Markdown so that it renders as exactly s: a
 * backslash before every ASCII punctuation character ("*hi*" -> "\\*hi\\*", "<b>" ->
 * "\\<b\\>"), everything else unchanged. Plain-text renderers drop the backslashes again.
 * NULL on ENOMEM (or when s is NULL). */
char *text_escape_markdown(const char *s);

/* FNV-1a 64 of n bytes, continuing from seed (use TEXT_HASH_SEED to start). */
#define TEXT_HASH_SEED 0xcbf29ce484222325ULL
uint64_t text_hash(const void *p, size_t n, uint64_t seed);

#endif
