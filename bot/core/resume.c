/* resume.c — the adapters' resume positions in memory (resume.h): a short list under a
 * lock, a handful of keys per adapter. Reading and writing the store is the core's. */
#include "resume.h"
#include "sb.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct resume_entry {
    char *adapter, *key, *value; /* owned */
    struct resume_entry *next;
} resume_entry;

struct resume_positions {
    pthread_mutex_t mu;   /* guards list: the core writes, adapter threads read */
    resume_entry *list;
};

resume_positions *resume_new(void)
{
    resume_positions *r = calloc(1, sizeof *r);
    if (r)
        pthread_mutex_init(&r->mu, NULL);
    return r;
}

void resume_free(resume_positions *r)
{
    if (!r)
        return;
    while (r->list) {
        resume_entry *next = r->list->next;
        free(r->list->adapter);
        free(r->list->key);
        free(r->list->value);
        free(r->list);
        r->list = next;
    }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static resume_entry *find(resume_positions *r, const char *adapter, const char *key)
{
    resume_entry *e = r->list;
    while (e && !(strcmp(e->adapter, adapter) == 0 && strcmp(e->key, key) == 0))
        e = e->next;
    return e;
}

int resume_set(resume_positions *r, const char *adapter, const char *key, const char *value)
{
    int rc = SB_ENOMEM;
    char *copy = sb_strdup(value);
    if (!copy)
        return SB_ENOMEM;
    pthread_mutex_lock(&r->mu);
    resume_entry *e = find(r, adapter, key);
    if (!e && (e = calloc(1, sizeof *e))) {
        e->adapter = sb_strdup(adapter);
        e->key = sb_strdup(key);
        if (!e->adapter || !e->key) {
            free(e->adapter);
            free(e->key);
            free(e);
            e = NULL;
        } else {
            e->next = r->list;
            r->list = e;
        }
    }
    if (e) {
        free(e->value);
        e->value = copy;
        copy = NULL;
        rc = SB_OK;
    }
    pthread_mutex_unlock(&r->mu);
    free(copy);
    return rc;
}

char *resume_get(resume_positions *r, const char *adapter, const char *key)
{
    pthread_mutex_lock(&r->mu);
    resume_entry *e = find(r, adapter, key);
    char *v = e ? sb_strdup(e->value) : NULL;
    pthread_mutex_unlock(&r->mu);
    return v;
}
