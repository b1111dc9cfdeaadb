/* crisis_fold.c — what the crisis check reads (crisis_fold, crisis.h): the text folded so
 * that no way of writing hides a statement: full-width letters, case and accents made
 * plain, invisible characters dropped, every other mark a space; with join, a symbol or
 * emoji between two letters dropped ("d😭ie" reads "die"). */
#include "crisis.h"

#include "normalize.h"
#include "sb.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define FOLD_PIECE 960   /* bytes folded at a time (normalize_fold reads NORM_INPUT_MAX) */

static int is_kept(utf8proc_category_t c)
{
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_NO);
}

static int is_letter(int32_t c)
{
    utf8proc_category_t cat = utf8proc_category(c);
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

static int is_symbol(utf8proc_category_t c)
{
    return c >= UTF8PROC_CATEGORY_SM && c <= UTF8PROC_CATEGORY_SO;
}

/* The plain letters of a letter Unicode does not decompose (so folding keeps it) but people
 * often type without its stroke or dot: Polish "ł", Turkish "ı", Danish "ø", "æ", "œ";
 * NULL for any other. "głową" and "glowa", "kıymak" and "kiymak" then read the same. */
static const char *plain_letters(int32_t c)
{
    switch (c) {
    case 0x0142: /* ł */
        return "l";
    case 0x0131: /* ı */
        return "i";
    case 0x00f8: /* ø */
        return "o";
    case 0x0111: /* đ */
        return "d";
    case 0x00e6: /* æ */
        return "ae";
    case 0x0153: /* œ */
        return "oe";
    default:
        return NULL;
    }
}

/* Appends folded s[0..len) to b, piece by piece (cut after a space where one is near). */
static int fold_pieces(sb_buf *b, const char *s, size_t len)
{
    char piece[FOLD_PIECE + 1], out[NORM_BYTES_MAX];
    while (len > 0) {
        size_t n = text_utf8_cut(s, len, FOLD_PIECE);
        for (size_t k = n; n < len && k > n / 2; k--)
            if (s[k - 1] == ' ' || s[k - 1] == '\n') {
                n = k;
                break;
            }
        if (n == 0)
            n = len; /* a single character longer than a piece cannot be */
        memcpy(piece, s, n);
        piece[n] = '\0';
        size_t got = normalize_fold(piece, out, sizeof out);
        if (sb_buf_append(b, out, got) != SB_OK || sb_buf_append(b, " ", 1) != SB_OK)
            return SB_ENOMEM;
        s += n;
        len -= n;
    }
    return SB_OK;
}

char *crisis_fold(const char *text, int join)
{
    sb_buf folded = {0}, out = {0};
    int rc = sb_buf_append(&folded, "", 0);
    if (rc == SB_OK)
        rc = fold_pieces(&folded, text, strlen(text));
    if (rc == SB_OK)
        rc = sb_buf_append(&out, "", 0);
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)(folded.data ? folded.data : "");
    int32_t last = 0; /* the last character kept, 0 after a space */
    while (rc == SB_OK && *p) {
        int32_t c = 0;
        utf8proc_ssize_t k = utf8proc_iterate(p, -1, &c);
        if (k <= 0)
            break;
        utf8proc_category_t cat = utf8proc_category(c);
        if (is_kept(cat) || c == '\'') {
            const char *plain = plain_letters(c);
            rc = plain ? sb_buf_puts(&out, plain) : sb_buf_append(&out, (const char *)p, (size_t)k);
            last = c;
            p += k;
            continue;
        }
        const utf8proc_uint8_t *q = p;
        int32_t next = 0;
        utf8proc_ssize_t j = 0;
        while (*q && (j = utf8proc_iterate(q, -1, &next)) > 0 && is_symbol(utf8proc_category(next)))
            q += j; /* a run of symbols: an emoji with its skin tone, say */
        if (join && q > p && is_letter(last) && *q && is_letter(next)) {
            p = q; /* "d😭ie" reads "die" */
            continue;
        }
        rc = sb_buf_append(&out, " ", 1);
        last = 0;
        p = q > p ? q : p + k;
    }
    sb_buf_free(&folded);
    if (rc != SB_OK) {
        sb_buf_free(&out);
        return NULL;
    }
    return sb_buf_take(&out);
}
