/* matrix_json.h — loads JSON from a homeserver so that no valid document is refused.
 * jansson rejects two things RFC 8259 allows and Synapse relays from people's messages:
 * the escape \u0000 and lone UTF-16 surrogates (\ud800 without its pair). One such body
 * must never make a whole /sync answer unreadable, so both become U+FFFD, as do bytes that
 * are not UTF-8. Pure: bytes in, a jansson value out. */
#ifndef SB_MATRIX_JSON_H
#define SB_MATRIX_JSON_H

#include <jansson.h>
#include <stddef.h>

/* The JSON document in json[0..len) (any value at the top, as json_loadb with
 * JSON_DECODE_ANY). Valid input parses with \u0000, lone surrogates and invalid UTF-8
 * replaced by U+FFFD; input that is not JSON gives NULL. The result is owned by the caller
 * (json_decref). NULL also on ENOMEM. */
json_t *matrix_json_load(const char *json, size_t len);

/* The repaired text matrix_json_load parses when jansson refuses the original: a copy of
 * json[0..len) with the replacements above, NUL-terminated, *out_len its length. Owned by
 * the caller; NULL on ENOMEM. Exposed for tests. */
char *matrix_json_repair(const char *json, size_t len, size_t *out_len);

#endif
