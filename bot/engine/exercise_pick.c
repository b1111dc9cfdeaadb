/* exercise_pick.c — the choice of an exercise (exercise_pick.h). */
#include "exercise_pick.h"

#include <string.h>

/* Position of id in recent (0 = newest), or -1. */
static long recency(const char *const *recent, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (recent[i] && strcmp(recent[i], id) == 0)
            return (long)i;
    return -1;
}

const char *exercise_pick(const json_t *list, const char *topic, const char *const *recent,
                          size_t nrecent, uint64_t spread)
{
    const char *best = NULL;
    long best_score = -1000000;
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *t = json_string_value(json_object_get(e, "topic"));
        if (!id)
            continue;
        if (topic && (!t || strcmp(t, topic) != 0))
            continue;
        long pos = recency(recent, nrecent, id);
        long score = pos < 0 ? 1000 : pos * 10; /* never given beats given long ago */
        score += (long)((i * 7 + spread) % 7);
        if (score > best_score) {
            best_score = score;
            best = id;
        }
    }
    return best;
}
