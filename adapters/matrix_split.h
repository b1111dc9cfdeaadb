/* matrix_split.h — a long reply as several Matrix events: a homeserver refuses an event
 * over 65536 bytes of JSON (413 M_TOO_LARGE), and body plus formatted_body of a long
 * journal or export reach that. Pure: Markdown in, parts out. */
#ifndef SB_MATRIX_SPLIT_H
#define SB_MATRIX_SPLIT_H

#include <stddef.h>

/* Markdown bytes per event: its body and HTML stay far below the 64 KiB limit even when
 * escaping doubles the HTML. */
#define MATRIX_PART_MAX 8000

/* Splits Markdown text into parts of at most max bytes (max >= 64), cutting at a blank
 * line between paragraphs where it can, else at a line break, else at a space, else at a
 * UTF-8 character boundary; the whitespace at a cut is dropped. A code fence cut in two is
 * closed at the end of one part and opened again at the start of the next. The same text
 * always gives the same parts (re-sends stay idempotent). Returns the number of parts
 * (1 for a text that fits, even an empty one) and sets *parts to an array of that many
 * strings (caller frees each and the array with matrix_split_free), or 0 on ENOMEM with
 * *parts NULL. */
size_t matrix_split(const char *text, size_t max, char ***parts);
void matrix_split_free(char **parts, size_t count);

#endif
