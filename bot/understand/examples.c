/* examples.c — reads the example files of dialogs/intents/ for examples.h: with a size cap,
 * keeping each utterance trimmed and its line number for the checks that name it. */
#include "examples.h"

#include "sb.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXAMPLES_FILE_MAX (512 * 1024) /* bytes of one example file */

static int txt_filter(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 4 && e->d_name[0] != '.' && strcmp(e->d_name + n - 4, ".txt") == 0;
}

/* Adds the utterances of bytes[0..len) (file name) under intent. SB_ENOMEM or SB_OK. */
static int add_lines(validate_ctx *v, const char *name, char *bytes, size_t len,
                     json_t *texts, json_t *numbers)
{
    size_t number = 0;
    char *p = bytes, *end = bytes + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        number++;
        while (stop > p && (stop[-1] == '\r' || stop[-1] == ' ' || stop[-1] == '\t'))
            stop--;
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        size_t n = (size_t)(stop - p);
        if (n > 0 && *p != '#') {
            char *line = sb_strndup(p, n);
            char *clean = line ? text_utf8_clean(line, n) : NULL;
            int bad = clean && strcmp(clean, line) != 0;
            if (!line || !clean) {
                free(line);
                free(clean);
                return SB_ENOMEM;
            }
            if (bad)
                validate_problem(v, name, "-", "line %zu: not valid UTF-8 text", number);
            else if (n > EXAMPLES_LINE_MAX)
                validate_problem(v, name, "-", "line %zu: longer than %d bytes", number,
                                 EXAMPLES_LINE_MAX);
            else if (json_array_append_new(texts, json_string(line)) ||
                     json_array_append_new(numbers, json_integer((json_int_t)number))) {
                free(line);
                free(clean);
                return SB_ENOMEM;
            }
            free(line);
            free(clean);
        }
        p = nl ? nl + 1 : end;
    }
    return SB_OK;
}

static int read_one(validate_ctx *v, const char *dir, const char *name, json_t *examples,
                    json_t *lines)
{
    char *path = sb_asprintf("%s/%s", dir, name);
    const char *folder = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir; /* "intents", "safety" */
    char *shown = sb_asprintf("%s/%s", folder, name);
    char *intent = sb_strndup(name, strlen(name) - 4);
    json_t *texts = json_array(), *numbers = json_array();
    char *bytes = NULL;
    int rc = SB_ENOMEM;
    FILE *fp = NULL;
    if (!path || !shown || !intent || !texts || !numbers)
        goto done;
    rc = SB_OK;
    fp = fopen(path, "rb");
    bytes = malloc(EXAMPLES_FILE_MAX + 1);
    if (!bytes) {
        rc = SB_ENOMEM;
        goto done;
    }
    size_t len = fp ? fread(bytes, 1, EXAMPLES_FILE_MAX + 1, fp) : 0;
    if (!fp || ferror(fp)) {
        validate_problem(v, shown, "-", "cannot read the file: %s", strerror(errno));
        goto done;
    }
    if (len > EXAMPLES_FILE_MAX) {
        validate_problem(v, shown, "-", "file is larger than %d bytes", EXAMPLES_FILE_MAX);
        goto done;
    }
    rc = add_lines(v, shown, bytes, len, texts, numbers);
    if (rc == SB_OK && (json_object_set(examples, intent, texts) ||
                        json_object_set(lines, intent, numbers)))
        rc = SB_ENOMEM;
done:
    if (fp)
        fclose(fp);
    json_decref(texts);
    json_decref(numbers);
    free(bytes);
    free(intent);
    free(shown);
    free(path);
    return rc;
}

int examples_read(const char *dir, validate_ctx *v, json_t **examples, json_t **lines)
{
    *examples = json_object();
    *lines = json_object();
    int rc = *examples && *lines ? SB_OK : SB_ENOMEM;
    struct dirent **entries = NULL;
    int n = rc == SB_OK ? scandir(dir, &entries, txt_filter, alphasort) : 0;
    for (int i = 0; i < n; i++) {
        if (rc == SB_OK)
            rc = read_one(v, dir, entries[i]->d_name, *examples, *lines);
        free(entries[i]);
    }
    free(entries);
    if (rc != SB_OK) {
        json_decref(*examples);
        json_decref(*lines);
        *examples = *lines = NULL;
    }
    return rc;
}
