/* irc_text.h — IRC's rules for text: nick casemapping, lines addressed to a nick, CTCP
 * framing, cleaning what people type into valid UTF-8 plain text, and base64 for SASL.
 * Pure functions. */
#ifndef SB_IRC_TEXT_H
#define SB_IRC_TEXT_H

#include <stddef.h>

/* Compares nicks under a CASEMAPPING ("ascii", "rfc1459", "strict-rfc1459"; NULL or
 * unknown: ascii). Returns 1 when equal. */
int irc_nick_equal(const char *a, const char *b, const char *casemapping);

/* If text addresses nick ("nick: ...", "nick, ...", any case), the rest after the address
 * and its spaces (borrowed from text), else NULL. */
const char *irc_addressed(const char *text, const char *nick, const char *casemapping);

/* Splits a CTCP message "\x01COMMAND args\x01" (closing \x01 optional): copies the upper-
 * cased command into command (cap bytes, truncated) and points *args at the arguments
 * (borrowed, "" when none, without the closing \x01; *args_len bytes). Returns 1 for a
 * CTCP message, 0 for ordinary text. */
int irc_ctcp_parse(const char *text, char *command, size_t cap, const char **args,
                   size_t *args_len);

/* A copy of text as valid UTF-8 plain text: IRC formatting codes (bold, colours, ...) and
 * other control characters except tab (and LF when keep_newlines) are removed, so no CTCP
 * framing survives; bytes that are not UTF-8 (overlong, surrogates, truncated) become '?'.
 * Caller frees; NULL on ENOMEM or when text is NULL. */
char *irc_text_clean(const char *text, int keep_newlines);

/* Finds capability name in a CAP LS list ("sasl=PLAIN,EXTERNAL message-tags"). Returns 1
 * and points *value at its value (borrowed, *value_len bytes, 0 when it has none), or 0
 * when name is not offered. */
int irc_cap_find(const char *list, const char *name, const char **value, size_t *value_len);

/* Base64 (RFC 4648, with padding) of n bytes, as SASL wants it. Caller frees; NULL on
 * ENOMEM. */
char *irc_base64(const void *data, size_t n);

#endif
