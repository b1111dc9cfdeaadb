/* exercise_pick.c — the choice of an exercise (exercise_pick.h): recency first, then a
 * tie-break drawn from the spread for each candidate. It knows nothing of the store or
 * the clock: what was given and the spread come in. */
#include "exercise_pick.h"

#include <string.h>

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL /* splitmix64's step */

/* splitmix64's finaliser: every bit of x moves about half the bits of the result. */
static uint64_t mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t exercise_pick_spread(int64_t person, int64_t day)
{
    return mix(mix((uint64_t)person + GOLDEN_GAMMA) + (uint64_t)day * GOLDEN_GAMMA);
}

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
    long best_age = -1;
    uint64_t best_draw = 0;
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
        long age = pos < 0 ? (long)nrecent : pos; /* never given beats given long ago */
        /* The draw is the candidate's own: its place in the list mixed with the spread,
         * so equals are ordered differently for each spread. */
        uint64_t draw = mix(spread + (uint64_t)(i + 1) * GOLDEN_GAMMA);
        if (!best || age > best_age || (age == best_age && draw > best_draw)) {
            best_age = age;
            best_draw = draw;
            best = id;
        }
    }
    return best;
}

void exercise_topic_score(const json_t *topics, const char *const *intents, const double *p,
                          size_t n, double *score)
{
    size_t i, k;
    json_t *topic, *intent;
    json_array_foreach(topics, i, topic) {
        json_array_foreach(json_object_get(topic, "intents"), k, intent) {
            for (size_t g = 0; g < n; g++)
                if (intents[g] && json_is_string(intent) &&
                    strcmp(json_string_value(intent), intents[g]) == 0)
                    score[i] += p[g];
        }
    }
}

const char *exercise_topic_best(const json_t *topics, const double *score, double bar)
{
    const char *best = NULL;
    double top = bar;
    size_t i;
    json_t *topic;
    json_array_foreach(topics, i, topic) {
        if (score[i] >= top) {
            top = score[i];
            best = json_string_value(json_object_get(topic, "id"));
        }
    }
    return best;
}
