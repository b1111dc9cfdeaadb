/* match_number.c — the numbers of match.h an answer holds: a 1-7 rating ("5", "five",
 * "i'd say 5/7") and a clock time ("8pm", "at 7:30", "8 p.m."). Apart from match.c's
 * word and label matching: these read digits, not the words of the data (except the English
 * number words of a rating and a command's "argument_time" words). */
#include "match.h"

#include "sb.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const number_words[] = {"one", "two",  "three", "four",
                                           "five", "six", "seven", NULL};

/* 1..7 for a digit or number word token of length n, else 0. */
static int rating_token(const char *t, size_t n, int words_too)
{
    if (n == 1 && t[0] >= '1' && t[0] <= '7')
        return t[0] - '0';
    for (int i = 0; words_too && number_words[i]; i++)
        if (strlen(number_words[i]) == n && memcmp(t, number_words[i], n) == 0)
            return i + 1;
    return 0;
}

static int ends_with(const char *s, size_t *len, const char *suffix)
{
    size_t k = strlen(suffix);
    if (*len >= k && memcmp(s + *len - k, suffix, k) == 0) {
        *len -= k;
        while (*len > 0 && s[*len - 1] == ' ')
            (*len)--;
        return 1;
    }
    return 0;
}

#define TIME_WORDS_MAX 64 /* words of a message looked at for a clock time */

/* 1 when the lowercase word w (len n) is one of list. */
static int word_in(const json_t *list, const char *w, size_t n)
{
    size_t i;
    const json_t *x;
    json_array_foreach(list, i, x) {
        const char *s = json_string_value(x);
        if (s && strlen(s) == n && strncasecmp(s, w, n) == 0)
            return 1;
    }
    return 0;
}

/* Reads "H", "H:MM", "H.MM", each with "am"/"pm" attached or not, from w (len n). Returns
 * the hour, or -1; *minute, *half ('a', 'p' or 0). */
static int clock_word(const char *w, size_t n, int *minute, char *half)
{
    size_t i = 0;
    int hour = 0, digits = 0;
    while (i < n && w[i] >= '0' && w[i] <= '9' && digits < 3)
        hour = hour * 10 + (w[i++] - '0'), digits++;
    if (digits == 0 || digits > 2)
        return -1;
    *minute = -1;
    if (i + 2 < n && (w[i] == ':' || w[i] == '.') && w[i + 1] >= '0' && w[i + 1] <= '9' &&
        w[i + 2] >= '0' && w[i + 2] <= '9') {
        *minute = (w[i + 1] - '0') * 10 + (w[i + 2] - '0');
        i += 3;
    }
    *half = 0;
    if (i + 2 == n && (w[i] == 'a' || w[i] == 'p' || w[i] == 'A' || w[i] == 'P') &&
        (w[i + 1] == 'm' || w[i + 1] == 'M')) {
        *half = (char)(w[i] | 0x20);
        i += 2;
    }
    if (i != n || hour > 23 || *minute > 59 || (*half && (hour < 1 || hour > 12)))
        return -1;
    return hour;
}

int match_time(const json_t *cmd, const char *text, char *out, size_t size)
{
    const json_t *spec = json_object_get(cmd, "argument_time");
    if (!json_is_object(spec) || !text)
        return 0;
    const char *start[TIME_WORDS_MAX];
    size_t len[TIME_WORDS_MAX], n = 0;
    for (const char *p = text; *p && n < TIME_WORDS_MAX;) {
        p += strspn(p, " \t\r\n,;!?()\"");
        size_t k = strcspn(p, " \t\r\n,;!?()\"");
        while (k > 0 && p[k - 1] == '.') /* "at 8." */
            k--;
        if (k > 0) {
            start[n] = p;
            len[n++] = k;
        }
        p += k;
        p += strspn(p, ".");
    }
    int pm_context = 0;
    for (size_t i = 0; i < n; i++)
        pm_context |= word_in(json_object_get(spec, "pm"), start[i], len[i]);
    for (size_t i = 0; i < n; i++) {
        int minute;
        char half;
        int hour = clock_word(start[i], len[i], &minute, &half);
        if (hour < 0)
            continue;
        if (!half && i + 1 < n) { /* "8 pm", "8 a.m." */
            char next[8] = {0};
            size_t m = 0;
            for (size_t k = 0; k < len[i + 1] && m + 1 < sizeof next; k++)
                if (start[i + 1][k] != '.')
                    next[m++] = (char)(start[i + 1][k] | 0x20);
            if ((strcmp(next, "am") == 0 || strcmp(next, "pm") == 0) && hour >= 1 && hour <= 12)
                half = next[0];
        }
        int after_word = i > 0 && word_in(json_object_get(spec, "before"), start[i - 1], len[i - 1]);
        if (minute < 0 && !half && !after_word)
            continue; /* "2 kids", "in 3 days": a bare number is no time */
        if (!half && pm_context && hour >= 1 && hour <= 11)
            half = 'p';
        snprintf(out, size, "%d:%02d%s", hour, minute < 0 ? 0 : minute,
                 half == 'p' ? " pm" : half == 'a' ? " am" : "");
        return 1;
    }
    return 0;
}

int match_rating(const char *text)
{
    char *norm = text_norm_command(text ? text : "");
    if (!norm)
        return SB_ENOMEM;
    size_t len = strlen(norm);
    if (!ends_with(norm, &len, "/7") && !ends_with(norm, &len, "/ 7") &&
        !ends_with(norm, &len, "out of 7") && !ends_with(norm, &len, "of 7"))
        ends_with(norm, &len, "out of seven");
    norm[len] = '\0';
    int rating = rating_token(norm, len, 1);
    if (!rating) {
        /* a short answer with exactly one digit token: "i'd say 5", "maybe a 4" */
        size_t tokens = 0;
        int found = 0, numbers = 0;
        for (size_t i = 0; i < len;) {
            size_t j = i;
            while (j < len && norm[j] != ' ')
                j++;
            size_t a = i, b = j; /* strip marks around the token: "5," "(5)" */
            while (a < b && strchr(",;:()\"'", norm[a]))
                a++;
            while (b > a && strchr(",;:()\"'", norm[b - 1]))
                b--;
            tokens++;
            if (b > a && norm[a] >= '0' && norm[a] <= '9') {
                numbers++;
                found = rating_token(norm + a, b - a, 0);
            }
            i = j + 1;
        }
        if (numbers == 1 && tokens <= 6)
            rating = found;
    }
    free(norm);
    return rating;
}

int match_zone_shaped(const char *w, size_t n)
{
    size_t parts = 1, run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (c == '/') {
            if (run == 0)
                return 0;
            parts++;
            run = 0;
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
            run++;
        } else if (c != '_' && c != '-' && c != '+') {
            return 0;
        }
    }
    return run > 0 && parts >= 2 && parts <= 3;
}

int match_zone(const json_t *cmd, const char *text, char *out, size_t size)
{
    if (!json_is_true(json_object_get(cmd, "argument_zone")) || !text || size == 0)
        return 0;
    for (const char *p = text; *p;) {
        p += strspn(p, " \t\r\n,;!?()\"'");
        size_t k = strcspn(p, " \t\r\n,;!?()\"'");
        while (k > 0 && p[k - 1] == '.') /* "in europe/madrid." */
            k--;
        if (k > 0 && k < size && match_zone_shaped(p, k)) { /* the zone table decides */
            memcpy(out, p, k);
            out[k] = '\0';
            return 1;
        }
        p += k;
        p += strspn(p, ".");
    }
    return 0;
}
