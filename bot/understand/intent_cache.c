/* intent_cache.c — an intent model of intent.h on disk: written after training, read back
 * instead of training again when its key (intent_key: the data it was trained from) still
 * fits. Binary, this machine's byte order; a file that does not fit is not found. */
#include "intent_impl.h"

#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char magic[8] = {'S', 'B', 'I', 'N', 'T', 'N', 'T', '2'};

int intent_save(const intent_model *m, uint64_t key, const char *path)
{
    char *tmp = sb_asprintf("%s.%ld.tmp", path, (long)getpid());
    if (!tmp)
        return SB_EIO;
    FILE *fp = fopen(tmp, "wb");
    int ok = fp != NULL;
    uint32_t head[4] = {FEATURE_VERSION, (uint32_t)m->n, m->nfeatures, m->nclasses};
    ok = ok && fwrite(magic, sizeof magic, 1, fp) == 1 && fwrite(&key, sizeof key, 1, fp) == 1 &&
         fwrite(head, sizeof head, 1, fp) == 1;
    for (size_t i = 0; ok && i < m->n; i++) {
        uint32_t len = (uint32_t)strlen(m->names[i]);
        ok = fwrite(&len, sizeof len, 1, fp) == 1 && fwrite(m->names[i], 1, len, fp) == len;
    }
    size_t bytes = (size_t)m->nfeatures * m->rec;
    ok = ok && fwrite(m->label, sizeof *m->label, m->nclasses, fp) == m->nclasses &&
         fwrite(m->bias, sizeof *m->bias, m->nw, fp) == m->nw &&
         fwrite(m->rows, 1, bytes, fp) == bytes && fwrite(m->known, 1, KNOWN_BYTES, fp) == KNOWN_BYTES;
    if (fp && fclose(fp) != 0)
        ok = 0;
    if (ok && rename(tmp, path) != 0)
        ok = 0;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok ? SB_OK : SB_EIO;
}

int intent_load(const json_t *examples, uint64_t key, const char *path, intent_model **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return SB_ENOTFOUND;
    int rc = SB_ENOTFOUND;
    intent_model *m = intent_model_new(examples);
    char got_magic[sizeof magic];
    uint64_t got_key = 0;
    uint32_t head[4];
    if (!m) {
        rc = SB_ENOMEM;
        goto done;
    }
    if (fread(got_magic, sizeof got_magic, 1, fp) != 1 || memcmp(got_magic, magic, sizeof magic) ||
        fread(&got_key, sizeof got_key, 1, fp) != 1 || got_key != key ||
        fread(head, sizeof head, 1, fp) != 1 || head[0] != FEATURE_VERSION || head[1] != m->n ||
        head[2] == 0 || head[2] > BUCKETS || head[3] < 2 || head[3] > m->n)
        goto done;
    for (size_t i = 0; i < m->n; i++) {
        char name[NAME_MAX_LEN + 1];
        uint32_t len = 0;
        if (fread(&len, sizeof len, 1, fp) != 1 || len > NAME_MAX_LEN || fread(name, 1, len, fp) != len)
            goto done;
        name[len] = '\0';
        if (strcmp(name, m->names[i]) != 0)
            goto done;
    }
    m->nfeatures = head[2];
    m->nclasses = head[3];
    m->nw = m->nclasses == 2 ? 1 : m->nclasses;
    if (intent_model_alloc(m) != SB_OK) {
        rc = SB_ENOMEM;
        goto done;
    }
    size_t bytes = (size_t)m->nfeatures * m->rec;
    if (fread(m->label, sizeof *m->label, m->nclasses, fp) != m->nclasses ||
        fread(m->bias, sizeof *m->bias, m->nw, fp) != m->nw ||
        fread(m->rows, 1, bytes, fp) != bytes || fread(m->known, 1, KNOWN_BYTES, fp) != KNOWN_BYTES ||
        fgetc(fp) != EOF)
        goto done;
    for (uint32_t c = 0; c < m->nclasses; c++)
        if (m->label[c] < 0 || (size_t)m->label[c] >= m->n)
            goto done;
    for (uint32_t i = 0; i < m->nfeatures; i++)
        if (intent_row_bucket(m, i) >= BUCKETS || (i > 0 && intent_row_bucket(m, i) <= intent_row_bucket(m, i - 1)))
            goto done;
    intent_index_rows(m);
    *out = m;
    m = NULL;
    rc = SB_OK;
done:
    intent_free(m);
    fclose(fp);
    return rc;
}
