/* understand.c — compiles and asks the understanding of understand.h: the normalizer, the
 * intent model (with its cache on disk) and the language detector. The routing that
 * follows from a guess is route.c's. */
#include "understand.h"

#include "sb.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *cache_dir; /* set once at start, before any load (understand_set_cache) */

int understand_set_cache(const char *dir)
{
    char *copy = dir ? sb_strdup(dir) : NULL;
    if (dir && !copy)
        return SB_ENOMEM;
    free(cache_dir);
    cache_dir = copy;
    return SB_OK;
}

double understand_cost(const json_t *understanding)
{
    double c = json_number_value(json_object_get(understanding, "cost"));
    return c > 0 ? c : INTENT_C_DEFAULT;
}

/* Removes the cache's models that no load has used for CACHE_UNUSED_DAYS (a load marks
 * its file used by its time of change), and leftovers of interrupted writes as old: each
 * change of the examples trains a model under a new name, so without this the folder
 * only grows (a developer's reached 500 MB). Only names this file writes are touched. */
static void cache_prune(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    time_t cutoff = time(NULL) - (time_t)CACHE_UNUSED_DAYS * 24 * 60 * 60;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        int model = len > 7 && strncmp(e->d_name, "intents-", 8) == 0 &&
                    (strcmp(e->d_name + len - 6, ".model") == 0 ||
                     strcmp(e->d_name + len - 4, ".tmp") == 0);
        struct stat st;
        if (model && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode) && st.st_mtime < cutoff)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

static int model_of(const json_t *examples, const json_t *spellings, double c, normalizer *n,
                    intent_model **m)
{
    uint64_t key = intent_key(examples, spellings, c);
    char *path = cache_dir ? sb_asprintf("%s/intents-%016" PRIx64 ".model", cache_dir, key) : NULL;
    if (cache_dir && !path)
        return SB_ENOMEM;
    int rc = path ? intent_load(examples, key, path, m) : SB_ENOTFOUND;
    if (rc == SB_OK)
        utimensat(AT_FDCWD, path, NULL, 0); /* used: kept by cache_prune */
    if (rc == SB_ENOTFOUND) {
        rc = intent_train(n, examples, c, m);
        if (rc == SB_OK && path && intent_save(*m, key, path) == SB_OK) /* a cache that */
            cache_prune(cache_dir); /* cannot be written only costs time */
    }
    free(path);
    return rc;
}

int understand_train(const json_t *examples, const json_t *spellings, double c, normalizer *n,
                     intent_model **m)
{
    *m = NULL;
    return model_of(examples, spellings, c, n, m);
}

int understand_compile(const json_t *examples, const json_t *spellings,
                       const json_t *understanding, const json_t *languages, normalizer **n,
                       intent_model **m, language **l)
{
    *n = NULL;
    *m = NULL;
    *l = NULL;
    int rc = normalizer_new(spellings, n);
    if (rc == SB_OK && json_object_size(examples) >= 2)
        rc = model_of(examples, spellings, understand_cost(understanding), *n, m);
    if (rc == SB_OK)
        rc = language_new(languages, examples, *n, l);
    if (rc != SB_OK) {
        intent_free(*m);
        normalizer_free(*n);
        *m = NULL;
        *n = NULL;
    }
    return rc;
}

size_t understand_guess(const sb_dialogs *d, const char *text, intent_guess *top)
{
    const intent_model *m = dialogs_intents(d);
    if (!m)
        return 0;
    return intent_classify(m, dialogs_normalizer(d), text, top, INTENT_TOP_MAX);
}

size_t understand_language(const sb_dialogs *d, const char *text, const char **codes, size_t max)
{
    return language_detect(dialogs_language(d), dialogs_normalizer(d), text, codes, max);
}
