/* resume.h — the adapters' committed resume positions, kept in memory for them to read
 * (design.md invariant 4). The core fills it at start from the store and after each
 * committed batch; an adapter's thread reads it through sb_core_resume_get, so it never
 * touches the store. Thread-safe; it knows nothing of what the keys mean. */
#ifndef SB_RESUME_H
#define SB_RESUME_H

typedef struct resume_positions resume_positions;

/* An empty set. NULL on ENOMEM. */
resume_positions *resume_new(void);
/* Frees r and every value in it (NULL is fine). */
void resume_free(resume_positions *r);
/* Records value (copied) for adapter's key, replacing what was there. Returns SB_OK or
 * SB_ENOMEM (then the old value, if any, stays). */
int resume_set(resume_positions *r, const char *adapter, const char *key, const char *value);
/* A copy of adapter's value for key, or NULL (none, or ENOMEM). Caller frees. */
char *resume_get(resume_positions *r, const char *adapter, const char *key);

#endif
