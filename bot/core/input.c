/* input.c — cleaning a person's text at the door (input.h). It strips only what no person
 * means to send (control characters) and cuts only what no chat message needs (more than
 * INPUT_MAX_BYTES); the kind word about a cut is the router's, from dialogs/views.json. */
#include "input.h"

#include "sb.h"
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t count_words(const char *s, size_t len)
{
    size_t n = 0;
    int in_word = 0;
    for (size_t i = 0; i < len; i++) {
        int space = s[i] == ' ' || s[i] == '\n' || s[i] == '\t';
        if (!space && !in_word)
            n++;
        in_word = !space;
    }
    return n;
}

int input_clean(const char *text, size_t max, input_clean_result *out)
{
    memset(out, 0, sizeof *out);
    /* Valid UTF-8 first (bad bytes become U+FFFD): then a C1 control is always a whole
     * two-byte character, and taking one out can never join its neighbours into another
     * ("C2 C2 9B 8E" would leave "C2 8E", U+008E, after the CSI was cut). */
    char *valid = text_utf8_clean(text ? text : "", SIZE_MAX);
    if (!valid)
        return SB_ENOMEM;
    text = valid;
    size_t len = strlen(text);
    char *clean = malloc(len + 1);
    if (!clean) {
        free(valid);
        return SB_ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\r') {
            if (text[i + 1] != '\n')
                clean[n++] = '\n';
            continue;
        }
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
            out->stripped = 1;
            continue;
        }
        /* C1 controls U+0080..U+009F are C2 80..C2 9F in UTF-8 (CSI, for one, is C2 9B) */
        if (c == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80 &&
            (unsigned char)text[i + 1] <= 0x9F) {
            out->stripped = 1;
            i++;
            continue;
        }
        clean[n++] = (char)c;
    }
    clean[n] = '\0';
    free(valid);
    if (n > max) {
        size_t end = max;
        while (end > 0 && ((unsigned char)clean[end] & 0xC0) == 0x80)
            end--; /* never inside a UTF-8 sequence */
        size_t word_end = end;
        while (word_end > 0 && clean[word_end] != ' ' && clean[word_end] != '\n' &&
               clean[word_end] != '\t')
            word_end--;
        if (word_end > 0)
            end = word_end; /* one endless word is cut where it must be */
        while (end > 0 && (clean[end - 1] == ' ' || clean[end - 1] == '\n' ||
                           clean[end - 1] == '\t'))
            end--;
        clean[end] = '\0';
        n = end;
        out->cut = 1;
        out->kept_words = count_words(clean, n);
    }
    out->text = clean;
    return SB_OK;
}
