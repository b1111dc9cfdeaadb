/* sb_json.h — reading a member of a jansson object in one call, for every room: the string,
 * integer or number at obj.key, or a default when obj is no object, the key is absent or
 * the value is of another type. Never allocates, never fails. */
#ifndef SB_JSON_H
#define SB_JSON_H

#include <jansson.h>
#include <stdint.h>

/* The string at obj.key, or NULL. */
static inline const char *sb_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The integer at obj.key, or fallback. */
static inline int64_t sb_json_int(const json_t *obj, const char *key, int64_t fallback)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : fallback;
}

/* The number (integer or real) at obj.key, or fallback. */
static inline double sb_json_number(const json_t *obj, const char *key, double fallback)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : fallback;
}

#endif
