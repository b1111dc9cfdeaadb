/* test_intent.c — the intent classifier of intent.h on small sets made here: an unseen
 * paraphrase lands in the right intent, probabilities are ordered and sum to at most 1,
 * the key (and so the cached model) changes whenever an example does, a saved model reads
 * back with the same guesses and is refused for other data, the cache folder keeps the
 * models in use and loses the long-unused ones; and on the real dialogs/ set,
 * the moments of issue 9 are placed (none of them is an example). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dialog.h"
#include "intent.h"
#include "normalize.h"
#include "sb.h"
#include "understand.h"

static json_t *small_set(void)
{
    return json_pack(
        "{s:[s,s,s,s,s,s,s,s], s:[s,s,s,s,s,s,s,s], s:[s,s,s,s,s,s,s,s]}",
        "bye", "bye", "goodnight", "see you tomorrow", "talk later", "gotta go now",
        "bye for now", "night night", "im off to bed",
        "thanks", "thank you", "thanks so much", "thx", "that helped, thank you",
        "really appreciate it", "ty", "cheers for that", "thanks a lot",
        "pull-away", "i keep pulling away from people", "when she gets close i go cold",
        "i ghost people who like me", "i shut down when things get serious",
        "i push my partner away", "i withdraw whenever someone cares",
        "i vanish when a relationship gets good", "i go quiet when he wants to talk");
}

static void test_paraphrase(void **unused)
{
    (void)unused;
    json_t *set = small_set();
    normalizer *n = NULL;
    intent_model *m = NULL;
    assert_int_equal(normalizer_new(NULL, &n), SB_OK);
    assert_int_equal(intent_train(n, set, 8.0, &m), SB_OK);
    assert_int_equal(intent_count(m), 3);
    static const struct {
        const char *text, *intent;
    } cases[] = {
        {"Thank you so so much!!", "thanks"},
        {"gonna head to bed, goodnight", "bye"},
        {"whenever someone gets close to me I pull away", "pull-away"},
        {"I went cold on her after a great date", "pull-away"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        intent_guess g[INTENT_TOP_MAX];
        size_t got = intent_classify(m, n, cases[i].text, g, INTENT_TOP_MAX);
        assert_int_equal(got, 3);
        assert_string_equal(g[0].intent, cases[i].intent);
        assert_true(g[0].p >= g[1].p && g[1].p >= g[2].p);
        assert_true(g[0].p + g[1].p + g[2].p <= 1.0 + 1e-9);
    }
    intent_guess g[INTENT_TOP_MAX];
    assert_int_equal(intent_classify(m, n, "  ...  ", g, INTENT_TOP_MAX), 0);
    /* No word any example has: not guessed at from its letters alone ("blah" shares
     * letters with nothing meant), while one known word among strange ones is enough. */
    assert_int_equal(intent_classify(m, n, "blah blah", g, INTENT_TOP_MAX), 0);
    assert_int_equal(intent_classify(m, n, "zorp thanks", g, INTENT_TOP_MAX), 3);
    assert_string_equal(g[0].intent, "thanks");
    intent_free(m);
    normalizer_free(n);
    json_decref(set);
}

static void test_key_and_cache(void **unused)
{
    (void)unused;
    json_t *set = small_set();
    normalizer *n = NULL;
    intent_model *m = NULL, *back = NULL;
    assert_int_equal(normalizer_new(NULL, &n), SB_OK);
    uint64_t key = intent_key(set, NULL, 8.0);
    assert_true(key == intent_key(set, NULL, 8.0));
    assert_true(key != intent_key(set, NULL, 4.0));
    json_t *changed = json_deep_copy(set);
    json_array_append_new(json_object_get(changed, "thanks"), json_string("much obliged"));
    assert_true(key != intent_key(changed, NULL, 8.0));
    json_t *edited = json_deep_copy(set);
    json_array_set_new(json_object_get(edited, "bye"), 0, json_string("byee"));
    assert_true(key != intent_key(edited, NULL, 8.0));

    char path[] = "/tmp/sb-intent-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(intent_train(n, set, 8.0, &m), SB_OK);
    assert_int_equal(intent_save(m, key, path), SB_OK);
    assert_int_equal(intent_load(set, key, path, &back), SB_OK);
    intent_guess a[INTENT_TOP_MAX], b[INTENT_TOP_MAX];
    const char *text = "i always run when people get close";
    assert_int_equal(intent_classify(m, n, text, a, 2), 2);
    assert_int_equal(intent_classify(back, n, text, b, 2), 2);
    assert_string_equal(a[0].intent, b[0].intent);
    assert_true(a[0].p == b[0].p);
    intent_free(back);
    back = NULL;
    /* made for other data: never used */
    assert_int_equal(intent_load(changed, intent_key(changed, NULL, 8.0), path, &back), SB_ENOTFOUND);
    assert_null(back);
    assert_int_equal(intent_load(set, key + 1, path, &back), SB_ENOTFOUND);
    FILE *f = fopen(path, "r+b"); /* a cut file is no model */
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 40), 0);
    fclose(f);
    assert_int_equal(intent_load(set, key, path, &back), SB_ENOTFOUND);
    assert_int_equal(intent_load(set, key, "/nonexistent/x.model", &back), SB_ENOTFOUND);
    unlink(path);
    intent_free(m);
    normalizer_free(n);
    json_decref(set);
    json_decref(changed);
    json_decref(edited);
}

/* Two intents make one weight column (liblinear's binary case): the other intent's
 * probability is its complement, and each side still wins its own words. A cache file of
 * the first format (liblinear's doubles) is not read as a model. */
static void test_two_intents_and_old_cache(void **unused)
{
    (void)unused;
    json_t *set = small_set();
    json_object_del(set, "pull-away");
    normalizer *n = NULL;
    intent_model *m = NULL, *back = NULL;
    assert_int_equal(normalizer_new(NULL, &n), SB_OK);
    assert_int_equal(intent_train(n, set, 8.0, &m), SB_OK);
    double p[2];
    assert_int_equal(intent_probabilities(m, n, "thank you so much", p), 2);
    assert_true(p[0] + p[1] > 0.999999 && p[0] + p[1] < 1.000001);
    intent_guess g[INTENT_TOP_MAX];
    assert_int_equal(intent_classify(m, n, "thank you so much", g, 2), 2);
    assert_string_equal(g[0].intent, "thanks");
    assert_int_equal(intent_classify(m, n, "bye for tonight", g, 1), 1);
    assert_string_equal(g[0].intent, "bye");

    char path[] = "/tmp/sb-intent-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    uint64_t key = intent_key(set, NULL, 8.0);
    uint32_t head[4] = {1, 2, 10, 2};
    assert_int_equal(write(fd, "SBINTNT1", 8), 8);
    assert_int_equal(write(fd, &key, sizeof key), (ssize_t)sizeof key);
    assert_int_equal(write(fd, head, sizeof head), (ssize_t)sizeof head);
    close(fd);
    assert_int_equal(intent_load(set, key, path, &back), SB_ENOTFOUND);
    assert_null(back);
    unlink(path);
    intent_free(m);
    normalizer_free(n);
    json_decref(set);
}

static void file_at(const char *dir, const char *name, time_t when)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
    struct timespec at[2] = {{when, 0}, {when, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, at, 0), 0);
}

static time_t changed_at(const char *dir, const char *name)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? st.st_mtime : (time_t)-1;
}

/* Every change of the examples writes a model under a new name: the folder keeps what
 * loads use and drops what none has used for CACHE_UNUSED_DAYS, when a model is written. */
static void test_cache_folder(void **unused)
{
    (void)unused;
    char dir[] = "/tmp/sb-cache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    time_t now = time(NULL), day = 24 * 60 * 60;
    time_t stale = now - (CACHE_UNUSED_DAYS + 1) * day, recent = now - (CACHE_UNUSED_DAYS - 1) * day;
    file_at(dir, "intents-00000000000000aa.model", stale);
    file_at(dir, "intents-00000000000000aa.model.123.tmp", stale);
    file_at(dir, "intents-00000000000000bb.model", recent);
    file_at(dir, "notes.txt", stale); /* not ours: never touched */
    json_t *set = small_set();
    char name[64];
    snprintf(name, sizeof name, "intents-%016llx.model",
             (unsigned long long)intent_key(set, NULL, 8.0));
    normalizer *n = NULL;
    intent_model *m = NULL;
    assert_int_equal(normalizer_new(NULL, &n), SB_OK);
    assert_int_equal(understand_set_cache(dir), SB_OK);
    assert_int_equal(understand_train(set, NULL, 8.0, n, &m), SB_OK); /* trained, written */
    intent_free(m);
    assert_true(changed_at(dir, name) >= now - 60);
    assert_int_equal(changed_at(dir, "intents-00000000000000aa.model"), -1);
    assert_int_equal(changed_at(dir, "intents-00000000000000aa.model.123.tmp"), -1);
    assert_int_equal(changed_at(dir, "intents-00000000000000bb.model"), recent);
    assert_int_equal(changed_at(dir, "notes.txt"), stale);
    file_at(dir, "intents-00000000000000cc.model", stale);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct timespec old[2] = {{stale, 0}, {stale, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
    assert_int_equal(understand_train(set, NULL, 8.0, n, &m), SB_OK); /* read back: used */
    intent_free(m);
    assert_true(changed_at(dir, name) >= now - 60);
    assert_int_equal(changed_at(dir, "intents-00000000000000cc.model"), stale); /* no write */
    understand_set_cache(getenv("SECUREBASE_MODEL_CACHE"));
    const char *left[] = {name, "intents-00000000000000bb.model", "intents-00000000000000cc.model",
                          "notes.txt"};
    for (size_t i = 0; i < sizeof left / sizeof *left; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, left[i]);
        unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
    normalizer_free(n);
    json_decref(set);
}

/* The moments of issue 9 on the real set: each lands in an intent that answers it. */
static void test_real_set(void **unused)
{
    (void)unused;
    sb_dialogs *d = NULL;
    assert_int_equal(dialogs_load("dialogs", &d, NULL, NULL), SB_OK);
    static const struct {
        const char *text, *one_of;
    } cases[] = {
        {"bye", "|bye|"},
        {"goodnight", "|bye|"},
        {"hello again", "|hello-again|greeting|"},
        {"thank you ❤️", "|thanks|"},
        {"👍", "|ack|"},
        {"are you an AI?", "|are-you-ai|about-coach|about|"},
        {"should I break up with him?", "|advice|"},
        {"i feel like garbage", "|vent|naming-feelings|"},
        {"sad. ashamed. kind of numb", "|vent|naming-feelings|"},
        {"why do i always bail when things get good",
         "|naming-the-pattern|push-pull|withdrawal-journal|learn-push-pull|"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        intent_guess g[INTENT_TOP_MAX];
        assert_true(understand_guess(d, cases[i].text, g) > 0);
        char want[64];
        snprintf(want, sizeof want, "|%s|", g[0].intent);
        if (!strstr(cases[i].one_of, want))
            print_message("# %s -> %s %.2f\n", cases[i].text, g[0].intent, g[0].p);
        assert_non_null(strstr(cases[i].one_of, want));
    }
    dialogs_free(d);
}

int main(void)
{
    /* dialogs/ loads with its trained models from tests/run's cache (as test_router does),
     * not a training of the whole set under ASan at each run. */
    if (getenv("SECUREBASE_MODEL_CACHE"))
        understand_set_cache(getenv("SECUREBASE_MODEL_CACHE"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paraphrase),
        cmocka_unit_test(test_key_and_cache),
        cmocka_unit_test(test_two_intents_and_old_cache),
        cmocka_unit_test(test_cache_folder),
        cmocka_unit_test(test_real_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
