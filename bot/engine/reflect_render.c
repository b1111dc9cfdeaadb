/* reflect_render.c — a reflection put into words (reflect.h): the echo and the feeling
 * reflect.c found, set into one of reflection.json's templates; engine_reflect, the whole
 * reflection as the person reads it, is defined here. */
#include "reflect.h"

#include "engine.h"
#include "sb.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

typedef struct parts {
    const char *echo, *feeling;
} parts;

static const char *lookup_part(void *ctx, const char *name, size_t len)
{
    const parts *p = ctx;
    if (len == 4 && memcmp(name, "echo", 4) == 0)
        return p->echo;
    if (len == 7 && memcmp(name, "feeling", 7) == 0)
        return p->feeling;
    return NULL;
}

/* A copy of tmpl without the full stop after each "{echo}" (for an echo cut with "…"). */
static char *drop_stop_after_echo(const char *tmpl)
{
    static const char mark[] = "{echo}.";
    sb_buf b = {0};
    int rc = sb_buf_append(&b, "", 0);
    const char *p = tmpl;
    for (const char *at = strstr(p, mark); at && rc == SB_OK; at = strstr(p, mark)) {
        rc = sb_buf_append(&b, p, (size_t)(at - p) + sizeof mark - 2);
        p = at + sizeof mark - 1;
    }
    if (rc == SB_OK)
        rc = sb_buf_puts(&b, p);
    if (rc != SB_OK) {
        sb_buf_free(&b);
        return NULL;
    }
    return sb_buf_take(&b);
}

char *reflect_render(const json_t *reflection, const char *echo, const char *feeling, size_t pick)
{
    const json_t *list = json_object_get(reflection, feeling ? "feeling_templates" : "templates");
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    const json_t *t = n ? json_array_get(list, pick % n) : list;
    const char *tmpl = json_string_value(t) ? json_string_value(t) : "{echo}";
    size_t elen = echo ? strlen(echo) : 0;
    int cut = elen >= 3 && memcmp(echo + elen - 3, "\xE2\x80\xA6", 3) == 0; /* "…." reads wrong */
    char *own = cut ? drop_stop_after_echo(tmpl) : NULL;
    if (cut && !own)
        return NULL;
    parts p = {echo, feeling};
    char *out = text_substitute(own ? own : tmpl, lookup_part, &p);
    free(own);
    return out;
}

/* The reflection as the person reads it: the echo goes in unescaped, so the table tests see
 * their words. The engine's replies put the Markdown-escaped echo in (flow.c, exercise.c). */
char *engine_reflect(const sb_dialogs *d, const char *text)
{
    const json_t *r = dialogs_data(d, "reflection");
    char *echo = NULL, *feeling = NULL;
    if (reflect_parts(r, text, &echo, &feeling) != SB_OK)
        return NULL;
    const char *s = text ? text : "";
    size_t pick = (size_t)text_hash(s, strlen(s), TEXT_HASH_SEED);
    char *out = *echo ? reflect_render(r, echo, feeling, pick) : sb_strdup("");
    free(echo);
    free(feeling);
    return out;
}
