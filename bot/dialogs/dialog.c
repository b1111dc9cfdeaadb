/* dialog.c — loads dialogs/ (or one buffer) into an immutable sb_dialogs: reads each *.json
 * with a size cap, parses it, files it by kind and id, runs the validation of validate.c,
 * has dialog_compile.c compile what the engine matches often, and answers the getters of
 * dialog.h. The checks themselves live in validate*.c; interpretation lives in the engine. */
#include "dialog.h"

#include "log.h"

#include "crisis.h"
#include "crisis_model.h"
#include "examples.h"
#include "intent.h"
#include "sb.h"
#include "text.h"
#include "typo.h"
#include "understand.h"
#include "validate.h"
#include "dialog_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (1024 * 1024) /* bytes in one dialog file */

static const char *const data_kinds[DATA_KINDS + 1] = {
    "commands", "crisis", "reflection", "exercises", "measures", "nudges", "views",
    "spellings", "languages", "understanding", NULL};

/* The index of kind in data_kinds, or -1. */
static int data_kind(const char *kind)
{
    for (int i = 0; data_kinds[i]; i++)
        if (kind[0] == data_kinds[i][0] && strcmp(kind, data_kinds[i]) == 0)
            return i;
    return -1;
}

static sb_dialogs *set_new(void)
{
    sb_dialogs *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->dialogs = json_object();
    d->dialog_files = json_object();
    d->data = json_object();
    d->data_files = json_object();
    d->triggers = json_array();
    d->command_words = json_array();
    d->command_phrases = json_array();
    d->commands_by_name = json_object();
    d->vocabulary = json_object();
    d->used_vars = json_object();
    if (!d->dialogs || !d->dialog_files || !d->data || !d->data_files || !d->triggers ||
        !d->command_words || !d->command_phrases || !d->commands_by_name ||
        !d->vocabulary || !d->used_vars) {
        dialogs_free(d);
        return NULL;
    }
    return d;
}

void dialogs_free(sb_dialogs *d)
{
    if (!d)
        return;
    json_decref(d->dialogs);
    json_decref(d->dialog_files);
    json_decref(d->data);
    json_decref(d->data_files);
    json_decref(d->triggers);
    json_decref(d->command_words);
    json_decref(d->command_phrases);
    json_decref(d->commands_by_name);
    for (int k = 0; k < DIALOGS_FORM_KINDS; k++)
        free(d->forms[k]);
    json_decref(d->vocabulary);
    json_decref(d->used_vars);
    json_decref(d->examples);
    json_decref(d->example_lines);
    intent_free(d->intents);
    normalizer_free(d->normalizer);
    language_free(d->language);
    crisis_free(d->crisis);
    json_decref(d->safety_examples);
    json_decref(d->safety_lines);
    crisis_model_free(d->crisis_model);
    for (size_t i = 0; i < SAFETY_LISTS; i++)
        crisis_free(d->safety[i]);
    free(d->crisis_message);
    free(d->abuse_message);
    free(d);
}

/* Parses one file's bytes and files it in d. Problems go to v; returns SB_ENOMEM or SB_OK. */
static int add_file(sb_dialogs *d, validate_ctx *v, const char *name, const char *bytes,
                    size_t len)
{
    if (len > FILE_MAX) {
        validate_problem(v, name, "-", "file is larger than 1 MiB (%zu bytes)", len);
        return SB_OK;
    }
    json_error_t err;
    json_t *root = json_loadb(bytes, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        validate_problem(v, name, "-", "invalid JSON at line %d: %s", err.line, err.text);
        return SB_OK;
    }
    int rc = SB_OK;
    const char *kind = "dialog";
    const json_t *kind_value = json_is_object(root) ? json_object_get(root, "kind") : NULL;
    if (!json_is_object(root)) {
        validate_problem(v, name, "-", "the file must hold one JSON object {...}");
        goto done;
    }
    if (kind_value && !json_is_string(kind_value)) {
        validate_problem(v, name, "-", "kind must be a text such as \"dialog\"");
        goto done;
    }
    if (kind_value)
        kind = json_string_value(kind_value);
    if (strcmp(kind, "dialog") == 0) {
        const char *id = json_string_value(json_object_get(root, "id"));
        if (!id || !*id) {
            validate_problem(v, name, "-", "missing id: a dialog needs \"id\": \"its-name\"");
            goto done;
        }
        const char *other = json_string_value(json_object_get(d->dialog_files, id));
        if (other) {
            validate_problem(v, name, "-", "duplicate dialog id \"%.80s\" (also in %.200s)", id,
                             other);
            goto done;
        }
        if (json_object_set(d->dialogs, id, root) || json_object_set_new(d->dialog_files, id, json_string(name)))
            rc = SB_ENOMEM;
    } else if (data_kind(kind) >= 0) {
        const char *other = json_string_value(json_object_get(d->data_files, kind));
        if (other) {
            validate_problem(v, name, "-", "a second file of kind \"%s\" (the first is %.200s)",
                             kind, other);
            goto done;
        }
        if (json_object_set(d->data, kind, root) || json_object_set_new(d->data_files, kind, json_string(name)))
            rc = SB_ENOMEM;
        else
            d->by_kind[data_kind(kind)] = root;
    } else {
        validate_problem(v, name, "-",
                         "unknown kind \"%.80s\" (dialog, commands, crisis, reflection, "
                         "exercises, measures, nudges or views)",
                         kind);
    }
done:
    json_decref(root);
    return rc;
}

/* Validates the filed set and compiles it. Returns SB_OK, SB_EPARSE or SB_ENOMEM. */
static int set_finish(sb_dialogs *d, validate_ctx *v, int need_core)
{
    v->dialogs = d->dialogs;
    v->dialog_files = d->dialog_files;
    v->data = d->data;
    v->data_files = d->data_files;
    if (need_core) {
        if (!json_object_get(d->data, "commands"))
            validate_problem(v, "commands.json", "-", "missing: no file of kind \"commands\"");
        if (!json_object_get(d->data, "crisis"))
            validate_problem(v, "crisis.json", "-", "missing: no file of kind \"crisis\"");
        if (!json_object_get(d->data, "views"))
            validate_problem(v, "views.json", "-", "missing: no file of kind \"views\"");
    }
    validate_dialogs(v);
    validate_data(v);
    validate_understanding(v, d->examples, d->example_lines);
    validate_safety_examples(v, d->safety_examples, d->safety_lines);
    if (v->problems)
        return SB_EPARSE;
    return dialogs_compile(d);
}

static int has_json_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && name[0] != '.' && strcmp(name + n - 5, ".json") == 0;
}

static int json_file_filter(const struct dirent *e)
{
    return has_json_suffix(e->d_name);
}

/* Reads dir/name into d. File problems go to v; returns SB_ENOMEM or SB_OK. */
static int load_file(sb_dialogs *d, validate_ctx *v, const char *dir, const char *name)
{
    char *path = sb_asprintf("%s/%s", dir, name);
    if (!path)
        return SB_ENOMEM;
    int rc = SB_OK;
    char *bytes = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        validate_problem(v, name, "-", "cannot read the file: %s", strerror(fd < 0 ? errno : EISDIR));
        goto done;
    }
    if (st.st_size > FILE_MAX) {
        validate_problem(v, name, "-", "file is larger than 1 MiB (%lld bytes)", (long long)st.st_size);
        goto done;
    }
    bytes = malloc((size_t)st.st_size + 1);
    if (!bytes) {
        rc = SB_ENOMEM;
        goto done;
    }
    size_t len = 0;
    while (len <= FILE_MAX) { /* read until EOF: the file may have grown since fstat */
        ssize_t k = read(fd, bytes + len, (size_t)st.st_size + 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            validate_problem(v, name, "-", "cannot read the file: %s", strerror(errno));
            goto done;
        }
        if (k == 0)
            break;
        len += (size_t)k;
        if (len == (size_t)st.st_size + 1) {
            validate_problem(v, name, "-", "the file changed while it was read");
            goto done;
        }
    }
    rc = add_file(d, v, name, bytes, len);
done:
    if (fd >= 0)
        close(fd);
    free(bytes);
    free(path);
    return rc;
}

int dialogs_load(const char *dir, sb_dialogs **out, sb_problem_fn report, void *ctx)
{
    *out = NULL;
    struct dirent **entries = NULL;
    int n = scandir(dir, &entries, json_file_filter, alphasort);
    if (n < 0) {
        if (report)
            report(ctx, dir, "-", "cannot read the dialogs folder");
        return SB_EIO;
    }
    validate_ctx v = {.report = report, .ctx = ctx};
    sb_dialogs *d = set_new();
    int rc = d ? SB_OK : SB_ENOMEM;
    for (int i = 0; i < n; i++) {
        if (rc == SB_OK)
            rc = load_file(d, &v, dir, entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
    char *intents_dir = rc == SB_OK ? sb_asprintf("%s/intents", dir) : NULL;
    if (rc == SB_OK && !intents_dir)
        rc = SB_ENOMEM;
    if (rc == SB_OK)
        rc = examples_read(intents_dir, &v, &d->examples, &d->example_lines);
    free(intents_dir);
    char *safety_dir = rc == SB_OK ? sb_asprintf("%s/safety", dir) : NULL;
    if (rc == SB_OK && !safety_dir)
        rc = SB_ENOMEM;
    if (rc == SB_OK)
        rc = examples_read(safety_dir, &v, &d->safety_examples, &d->safety_lines);
    free(safety_dir);
    if (rc == SB_OK)
        rc = set_finish(d, &v, 1);
    if (rc != SB_OK) {
        dialogs_free(d);
        return rc;
    }
    *out = d;
    return SB_OK;
}

int dialogs_load_buffer(const char *name, const char *bytes, size_t len, sb_dialogs **out,
                        sb_problem_fn report, void *ctx)
{
    *out = NULL;
    validate_ctx v = {.report = report, .ctx = ctx};
    sb_dialogs *d = set_new();
    int rc = d ? add_file(d, &v, name, bytes, len) : SB_ENOMEM;
    if (rc == SB_OK)
        rc = set_finish(d, &v, 0);
    if (rc != SB_OK) {
        dialogs_free(d);
        return rc;
    }
    *out = d;
    return SB_OK;
}

const json_t *dialogs_data(const sb_dialogs *d, const char *kind)
{
    /* asked for several times a step: an index, not a hash of the name, finds it */
    int i = d && kind ? data_kind(kind) : -1;
    return i >= 0 ? d->by_kind[i] : d && kind ? json_object_get(d->data, kind) : NULL;
}

const char *dialogs_view(const sb_dialogs *d, const char *key, unsigned pick)
{
    const json_t *v = json_object_get(dialogs_data(d, "views"), key);
    if (json_is_array(v) && json_array_size(v) > 0)
        v = json_array_get(v, pick % json_array_size(v));
    return json_is_string(v) ? json_string_value(v) : "";
}

const json_t *dialogs_dialog(const sb_dialogs *d, const char *id)
{
    return d && id ? json_object_get(d->dialogs, id) : NULL;
}

size_t dialogs_count(const sb_dialogs *d)
{
    return d ? json_object_size(d->dialogs) : 0;
}

int dialogs_set_crisis_message(sb_dialogs *d, const char *message)
{
    char *copy = sb_strdup(message);
    if (message && !copy)
        return SB_ENOMEM;
    free(d->crisis_message);
    d->crisis_message = copy;
    return SB_OK;
}

const char *dialogs_crisis_message(const sb_dialogs *d)
{
    if (d->crisis_message && *d->crisis_message)
        return d->crisis_message;
    const char *fallback =
        json_string_value(json_object_get(dialogs_data(d, "crisis"), "default_message"));
    return fallback ? fallback : "";
}

int dialogs_set_abuse_message(sb_dialogs *d, const char *message)
{
    char *copy = sb_strdup(message);
    if (message && !copy)
        return SB_ENOMEM;
    free(d->abuse_message);
    d->abuse_message = copy;
    return SB_OK;
}

const char *dialogs_abuse_message(const sb_dialogs *d)
{
    if (d->abuse_message && *d->abuse_message)
        return d->abuse_message;
    const char *fallback =
        json_string_value(json_object_get(dialogs_data(d, "crisis"), "default_abuse_message"));
    return fallback ? fallback : dialogs_crisis_message(d);
}

const crisis_matcher *dialogs_crisis_matcher(const sb_dialogs *d)
{
    return d->crisis;
}

const crisis_model *dialogs_crisis_model(const sb_dialogs *d)
{
    return d->crisis_model;
}

const json_t *dialogs_safety_examples(const sb_dialogs *d)
{
    return d->safety_examples;
}

const crisis_matcher *dialogs_safety_matcher(const sb_dialogs *d, safety_list which)
{
    return which < SAFETY_LISTS ? d->safety[which] : NULL;
}

const json_t *dialogs_triggers(const sb_dialogs *d)
{
    return d->triggers;
}

const json_t *dialogs_command_phrases(const sb_dialogs *d)
{
    return d->command_phrases;
}

const json_t *dialogs_command_words(const sb_dialogs *d)
{
    return d->command_words;
}

const dialogs_form *dialogs_forms(const sb_dialogs *d, dialogs_form_kind kind, size_t *n)
{
    *n = d ? d->nforms[kind] : 0;
    return d ? d->forms[kind] : NULL;
}

const json_t *dialogs_command_named(const sb_dialogs *d, const char *name)
{
    return d && name ? json_object_get(d->commands_by_name, name) : NULL;
}

const json_t *dialogs_vocabulary(const sb_dialogs *d)
{
    return d->vocabulary;
}

const json_t *dialogs_used_vars(const sb_dialogs *d, const char *id)
{
    return id ? json_object_get(d->used_vars, id) : NULL;
}

const json_t *dialogs_examples(const sb_dialogs *d)
{
    return d->examples;
}

normalizer *dialogs_normalizer(const sb_dialogs *d)
{
    return d->normalizer;
}

const intent_model *dialogs_intents(const sb_dialogs *d)
{
    return d->intents;
}

language *dialogs_language(const sb_dialogs *d)
{
    return d->language;
}

#define LISTED_WORD_MAX 256 /* longer list words never match */

int dialogs_word_listed(const json_t *list, const char *word)
{
    size_t i;
    json_t *w;
    json_array_foreach(list, i, w) {
        char norm[LISTED_WORD_MAX];
        const char *s = json_string_value(w);
        /* a word opening with an ASCII letter or digit has it first, lowercase, in its
         * phrase form: most are told apart without making that form */
        unsigned char c = s ? (unsigned char)s[0] : 0;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        unsigned char first = (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
        if (plain && first != (unsigned char)word[0])
            continue;
        size_t n = s ? text_norm_phrase_to(s, norm, sizeof norm) : (size_t)-1;
        if (n != (size_t)-1 && strcmp(norm, word) == 0)
            return 1;
    }
    return 0;
}
