/* reflect_impl.h — inside reflection: what reflect.c (the echo) and reflect_feeling.c (the
 * feeling named) share. Not an interface: reflect.h is. */
#ifndef SB_REFLECT_IMPL_H
#define SB_REFLECT_IMPL_H

#include <jansson.h>

/* 1 when word (phrase form) is in the data's list name (compared in phrase form too, so
 * "don't" there matches "dont" here), or in fallback (NULL-terminated) when the data has no
 * such list. *rc becomes SB_ENOMEM when a form could not be made. */
int reflect_in_list(const json_t *r, const char *name, const char *const *fallback,
                    const char *word, int *rc);

/* The first feeling of reflection.json "feelings" used in text that is the person's (not
 * negated, not someone else's); NULL for none, or on error with *rc set (SB_ENOMEM).
 * Borrowed from r. */
const char *reflect_find_feeling(const json_t *r, const char *text, int *rc);

#endif
