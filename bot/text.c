/* text.c — the string routines of text.h: normal forms for matching, word-boundary search,
 * UTF-8 cleaning and cutting, {variable} handling, FNV-1a. Pure functions over bytes;
 * language knowledge (which words mean what) lives in the dialog data, not here. */
#include "text.h"

#include "sb.h"

#include <stdlib.h>
#include <string.h>

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* --- the forms of recent strings, remembered ---
 * The engine puts the same data words, labels and phrases (and the message in hand) in a
 * normal form many times a turn. Each thread remembers the forms of recent short strings in
 * a direct-mapped table keyed by the string's address and checked against a copy of its
 * bytes, so an address reused for other text is never trusted: the answer is always the one
 * computing it would give. */
#define FORM_BITS 10 /* 1 << FORM_BITS slots per form kind and thread */
#define FORM_SLOTS (1 << FORM_BITS)
#define FORM_TEXT 48    /* strings of up to FORM_TEXT - 1 bytes are remembered */

typedef struct form_slot {
    const char *key;           /* the address last put in form here, NULL when unused */
    unsigned char len;         /* strlen of text */
    unsigned char form_len;    /* strlen of form */
    char text[FORM_TEXT];      /* a copy of the string at key when it was put in form */
    char form[FORM_TEXT];      /* its form */
} form_slot;

typedef size_t (*form_fn)(const char *s, char *out, size_t cap);

static _Thread_local form_slot command_forms[FORM_SLOTS], phrase_forms[FORM_SLOTS];

static size_t norm_command_now(const char *s, char *out, size_t cap);
static size_t norm_phrase_now(const char *s, char *out, size_t cap);

/* norm(s) into out as norm would write it, from the table when the slot of s holds it.
 * A form is never longer than its string, so with cap > len + 1 it fits for certain and
 * the remembered one is the answer; near the cap it is computed, as the cap decides. */
static size_t form_of(form_slot *table, form_fn norm, const char *s, char *out, size_t cap)
{
    uintptr_t a = (uintptr_t)s;
    form_slot *slot = &table[((a >> 3) * 0x9E3779B97F4A7C15ULL) >> (64 - FORM_BITS)];
    if (slot->key == s && strcmp(slot->text, s) == 0 &&
        (size_t)slot->len + 1 < cap) {
        memcpy(out, slot->form, (size_t)slot->form_len + 1);
        return slot->form_len;
    }
    size_t n = norm(s, out, cap);
    size_t len = n != (size_t)-1 && n < FORM_TEXT ? strnlen(s, FORM_TEXT) : FORM_TEXT;
    if (len < FORM_TEXT && len + 1 < cap) {
        slot->key = s;
        slot->len = (unsigned char)len;
        slot->form_len = (unsigned char)n;
        memcpy(slot->text, s, len + 1);
        memcpy(slot->form, out, n + 1);
    }
    return n;
}

size_t text_norm_command_to(const char *s, char *out, size_t cap)
{
    return form_of(command_forms, norm_command_now, s, out, cap);
}

size_t text_norm_phrase_to(const char *s, char *out, size_t cap)
{
    return form_of(phrase_forms, norm_phrase_now, s, out, cap);
}

static size_t norm_command_now(const char *s, char *out, size_t cap)
{
    size_t len = 0;
    int pending_space = 0;
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_space(c)) {
            pending_space = len > 0;
            continue;
        }
        if (len + 2 >= cap)
            return (size_t)-1;
        if (pending_space)
            out[len++] = ' ';
        pending_space = 0;
        out[len++] = (char)lower(c);
    }
    /* trailing ".!?" runs, and any space left before them */
    while (len > 0 && (out[len - 1] == '.' || out[len - 1] == '!' || out[len - 1] == '?' ||
                       out[len - 1] == ' '))
        len--;
    if (cap == 0)
        return (size_t)-1;
    out[len] = '\0';
    return len;
}

char *text_norm_command(const char *s)
{
    size_t cap = strlen(s) + 2;
    char *out = malloc(cap);
    if (out)
        text_norm_command_to(s, out, cap);
    return out;
}

/* Length of a typographic mark at s that the phrase form treats specially: sets *drop
 * when it is removed (curly apostrophes), else it becomes a space. 0 when none. */
static size_t typographic_mark(const unsigned char *s, int *drop)
{
    if (s[0] != 0xE2 || s[1] != 0x80)
        return 0;
    switch (s[2]) {
    case 0x98: case 0x99:            /* ‘ ’ */
        *drop = 1;
        return 3;
    case 0x9C: case 0x9D:            /* “ ” */
    case 0x93: case 0x94:            /* – — */
    case 0xA6:                       /* … */
        *drop = 0;
        return 3;
    default:
        return 0;
    }
}

static size_t norm_phrase_now(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    const unsigned char *p = (const unsigned char *)s;
    size_t len = 0;
    int pending_space = 0;
    if (cap == 0)
        return (size_t)-1;
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        int drop = 0;
        size_t mark = (c == 0xE2 && i + 2 < n) ? typographic_mark(p + i, &drop) : 0;
        if (mark) {
            i += mark;
            if (!drop)
                pending_space = len > 0;
            continue;
        }
        i++;
        if (c == '\'')
            continue;
        int word = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                   (c >= 'A' && c <= 'Z');
        if (!word) {
            pending_space = len > 0;
            continue;
        }
        if (len + 2 >= cap)
            return (size_t)-1;
        if (pending_space)
            out[len++] = ' ';
        pending_space = 0;
        out[len++] = (char)lower(c);
    }
    out[len] = '\0';
    return len;
}

char *text_norm_phrase(const char *s)
{
    size_t cap = strlen(s) + 2;
    char *out = malloc(cap);
    if (out)
        text_norm_phrase_to(s, out, cap);
    return out;
}

long text_find_words(const char *hay, const char *needle)
{
    size_t nlen = strlen(needle);
    if (nlen == 0)
        return -1;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
        int start_ok = p == hay || p[-1] == ' ';
        int end_ok = p[nlen] == '\0' || p[nlen] == ' ';
        if (start_ok && end_ok)
            return (long)(p - hay);
    }
    return -1;
}

void text_word_starts(const char *hay, unsigned char starts[256])
{
    memset(starts, 0, 256);
    for (const char *p = hay; *p; p++)
        if (p == hay || p[-1] == ' ')
            starts[(unsigned char)*p] = 1;
}

size_t text_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Length of the valid UTF-8 sequence at p (at most avail bytes), or 0 when invalid. */
static size_t utf8_valid_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    size_t need;
    unsigned long cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

char *text_utf8_clean(const char *s, size_t max)
{
    if (!s)
        return NULL;
    static const char replacement[] = "\xEF\xBF\xBD";
    size_t n = strlen(s);
    sb_buf b = {0};
    if (sb_buf_append(&b, "", 0) != SB_OK)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_valid_len(p + i, n - i);
        const char *piece = k ? s + i : replacement;
        size_t plen = k ? k : 3;
        if (b.len + plen > max)
            break;
        if (sb_buf_append(&b, piece, plen) != SB_OK) {
            sb_buf_free(&b);
            return NULL;
        }
        i += k ? k : 1;
    }
    return sb_buf_take(&b);
}

static int is_var_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Length of the {name} at s (including braces) or 0 when s holds no variable there. */
static size_t var_at(const char *s)
{
    if (s[0] != '{')
        return 0;
    size_t i = 1;
    while (i <= 41 && is_var_char((unsigned char)s[i]))
        i++;
    if (i == 1 || i > 41 || s[i] != '}')
        return 0;
    return i + 1;
}

int text_each_var(const char *s, text_var_fn fn, void *ctx)
{
    for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{')) {
        size_t k = var_at(p);
        if (!k)
            continue;
        int rc = fn(ctx, p + 1, k - 2);
        if (rc)
            return rc;
        p += k - 1;
    }
    return 0;
}

/* How much of a variable's value to put where the template goes on with rest: all of it,
 * but its closing full stops (Markdown-escaped or not) where the template has its own
 * punctuation next, past any emphasis, or goes on with the sentence ("**{step}**, {when}."
 * with "...come back." and "tonight." reads "...come back**, tonight."; "If {feeling}
 * could speak" with "fear." reads "If fear could speak"). */
static size_t value_len(const char *value, const char *rest)
{
    size_t n = strlen(value);
    rest += strspn(rest, "*_");
    int goes_on = *rest && (strchr(".,;:!?", *rest) || (rest[0] == ' ' && rest[1] >= 'a' && rest[1] <= 'z'));
    if (!goes_on)
        return n;
    /* before the template's own full stop or comma a question or exclamation mark goes
     * too ("really?." is no sentence); before its "?" or "!" only full stops do */
    const char *drop = strchr(".,;:", *rest) ? " .!?" : " .";
    while (n > 0 && strchr(drop, value[n - 1])) {
        n--;
        if (n > 0 && value[n - 1] == '\\' && value[n] != ' ')
            n--;
    }
    return n;
}

int text_substitute_to(sb_buf *out, const char *tmpl, text_lookup_fn lookup, void *ctx,
                       int keep_unknown)
{
    int rc = sb_buf_append(out, "", 0);
    const char *p = tmpl;
    while (rc == SB_OK && *p) {
        const char *brace = strchr(p, '{');
        if (!brace) {
            rc = sb_buf_puts(out, p);
            break;
        }
        size_t k = var_at(brace);
        rc = sb_buf_append(out, p, (size_t)(brace - p) + (k ? 0 : 1));
        if (rc != SB_OK)
            break;
        if (k) {
            const char *value = lookup(ctx, brace + 1, k - 2);
            if (value)
                rc = sb_buf_append(out, value, value_len(value, brace + k));
            else if (keep_unknown)
                rc = sb_buf_append(out, brace, k);
        }
        p = brace + (k ? k : 1);
    }
    return rc;
}

char *text_substitute(const char *tmpl, text_lookup_fn lookup, void *ctx)
{
    sb_buf b = {0};
    if (text_substitute_to(&b, tmpl, lookup, ctx, 0) != SB_OK) {
        sb_buf_free(&b);
        return NULL;
    }
    return sb_buf_take(&b);
}

/* ASCII punctuation, the characters CommonMark lets a backslash escape (no locale). */
static int is_ascii_punct(unsigned char c)
{
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
}

char *text_escape_markdown(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s), marks = 0;
    for (size_t i = 0; i < n; i++)
        marks += is_ascii_punct((unsigned char)s[i]);
    char *out = malloc(n + marks + 1);
    if (!out)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_ascii_punct(c))
            out[k++] = '\\';
        out[k++] = (char)c;
    }
    out[k] = '\0';
    return out;
}

uint64_t text_hash(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = seed;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int text_is_blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}
