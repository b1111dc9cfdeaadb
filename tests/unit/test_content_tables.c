/* test_content_tables.c — the real content in dialogs/ against tables kept as data:
 * tests/crisis/phrases.tsv (every row through engine_crisis_category), tests/crisis/
 * around.tsv (the lists around a crisis: ask, downplay, restate), tests/reflection/cases.tsv
 * (every row through the reflection rules); and no sentence copied from the source
 * articles. Each mismatching row is printed with its line, so one run shows every problem. */
#include "content_fixture.h"

#define CRISIS_TABLE "tests/crisis/phrases.tsv"
#define AROUND_TABLE "tests/crisis/around.tsv"
#define REFLECTION_TABLE "tests/reflection/cases.tsv"
/* The articles the coach is modelled on are not part of the repository; their fingerprint
 * is (tests/content/make_shingles.py). When they are at hand, the fingerprint is checked. */
#define ARTICLES "../shared/articles"
#define SHINGLES "tests/content/article-shingles.txt"
#define SHINGLE 8 /* words in a row that count as a copied sentence */

/* --- tables read from files: one row a line, columns split at tabs --- */

typedef struct row {
    int line;
    char *col[4];
    int ncol;
} row;

/* Splits line in place at tabs; strips the newline. Returns the number of columns. */
static int split_row(char *line, row *r)
{
    line[strcspn(line, "\r\n")] = '\0';
    r->ncol = 0;
    char *p = line;
    while (r->ncol < 4) {
        r->col[r->ncol++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return r->ncol;
}

static FILE *open_table(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        print_message("# cannot open %s\n", path);
    assert_non_null(f);
    return f;
}

static void test_crisis_table(void **state)
{
    (void)state;
    need_set();
    FILE *f = open_table(CRISIS_TABLE);
    char line[1024];
    int number = 0, positives = 0, negatives = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        number++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        row r = {.line = number};
        if (split_row(line, &r) != 2 || !r.col[0][0]) {
            print_message("# %s:%d: want \"CATEGORY<TAB>text\" or \"0<TAB>text\"\n", CRISIS_TABLE,
                          number);
            wrong++;
            continue;
        }
        int want = strcmp(r.col[0], "0") != 0;
        want ? positives++ : negatives++;
        const char *got = engine_crisis_category(set, r.col[1]);
        if (!got != !want) {
            print_message("# %s:%d: %s: \"%s\"\n", CRISIS_TABLE, number,
                          want ? "missed crisis" : "false alarm", r.col[1]);
            wrong++;
        } else if (want && strcmp(r.col[0], "1") != 0 && strcmp(r.col[0], got) != 0) {
            print_message("# %s:%d: %s instead of %s: \"%s\"\n", CRISIS_TABLE, number, got,
                          r.col[0], r.col[1]);
            wrong++;
        }
    }
    fclose(f);
    print_message("# crisis table: %d positive, %d negative rows, %d wrong\n", positives,
                  negatives, wrong);
    assert_true(positives >= 100);
    assert_true(negatives >= 100);
    assert_int_equal(wrong, 0);
}

/* The lists around a crisis: LIST<TAB>1|0<TAB>text, through the list's compiled matcher. */
static void test_crisis_around_table(void **state)
{
    (void)state;
    need_set();
    static const char *const lists[SAFETY_LISTS] = {"ask", "downplay", "restate"};
    FILE *f = open_table(AROUND_TABLE);
    char line[1024];
    int number = 0, rows[SAFETY_LISTS] = {0}, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        number++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        row r = {.line = number};
        int list = -1;
        if (split_row(line, &r) == 3)
            for (int i = 0; i < SAFETY_LISTS; i++)
                if (strcmp(r.col[0], lists[i]) == 0)
                    list = i;
        if (list < 0 || (strcmp(r.col[1], "0") != 0 && strcmp(r.col[1], "1") != 0)) {
            print_message("# %s:%d: want \"ask|downplay|restate<TAB>1|0<TAB>text\"\n", AROUND_TABLE,
                          number);
            wrong++;
            continue;
        }
        rows[list]++;
        int want = r.col[1][0] == '1';
        int got = crisis_match(dialogs_safety_matcher(set, (safety_list)list), r.col[2]);
        if ((got > 0) != want) {
            print_message("# %s:%d: %s %s: \"%s\"\n", AROUND_TABLE, number, lists[list],
                          want ? "missed" : "matched", r.col[2]);
            wrong++;
        }
        if (list == SAFETY_ASK && engine_is_crisis(set, r.col[2])) {
            print_message("# %s:%d: a crisis, not unclear risk: \"%s\"\n", AROUND_TABLE, number,
                          r.col[2]);
            wrong++;
        }
    }
    fclose(f);
    for (int i = 0; i < SAFETY_LISTS; i++)
        assert_true(rows[i] >= 10);
    assert_int_equal(wrong, 0);
}

/* Row: what the person says, the exact echo (their words turned around), the feeling the
 * coach names or "-" for none. The full reflection must contain the echo (and feeling). */
static void test_reflection_table(void **state)
{
    (void)state;
    need_set();
    const json_t *rules = dialogs_data(set, "reflection");
    assert_non_null(rules);
    FILE *f = open_table(REFLECTION_TABLE);
    char line[1024];
    int number = 0, rows = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        number++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        row r = {.line = number};
        if (split_row(line, &r) != 3) {
            print_message("# %s:%d: want text<TAB>echo<TAB>feeling-or-dash\n", REFLECTION_TABLE, number);
            wrong++;
            continue;
        }
        rows++;
        const char *want_feeling = strcmp(r.col[2], "-") == 0 ? NULL : r.col[2];
        char *echo = NULL, *feeling = NULL;
        assert_int_equal(reflect_parts(rules, r.col[0], &echo, &feeling), SB_OK);
        char *full = engine_reflect(set, r.col[0]);
        assert_non_null(full);
        int bad = strcmp(echo, r.col[1]) != 0 ||
                  (want_feeling ? !feeling || strcmp(feeling, want_feeling) != 0 : feeling != NULL) ||
                  !strstr(full, r.col[1]) || (want_feeling && !strstr(full, want_feeling));
        if (bad) {
            print_message("# %s:%d: \"%s\"\n#   want echo \"%s\", feeling %s\n#   got  echo \"%s\", "
                          "feeling %s\n#   reflection: %s\n",
                          REFLECTION_TABLE, number, r.col[0], r.col[1], r.col[2], echo,
                          feeling ? feeling : "-", full);
            wrong++;
        }
        free(echo);
        free(feeling);
        free(full);
    }
    fclose(f);
    print_message("# reflection table: %d rows, %d wrong\n", rows, wrong);
    assert_true(rows >= 30);
    assert_int_equal(wrong, 0);
}

/* --- no sentence of the source articles in the coach's words --- */

/* Lowercase words of s (letters and digits; apostrophes dropped) appended to list. */
static void words_of(const char *s, char ***list, size_t *n, size_t *cap)
{
    char word[64];
    size_t len = 0;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\'' || (c == 0xE2 && p[1] == (char)0x80 && p[2] == (char)0x99)) {
            if (c == 0xE2)
                p += 2;
            continue;
        }
        if (isalnum(c) && len + 1 < sizeof word) {
            word[len++] = (char)tolower(c);
            continue;
        }
        if (len) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 1024;
                *list = realloc(*list, *cap * sizeof **list);
                assert_non_null(*list);
            }
            (*list)[(*n)++] = sb_strndup(word, len);
            len = 0;
        }
        if (!c)
            break;
    }
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sb_buf b = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_buf_append(&b, chunk, got);
    fclose(f);
    return sb_buf_take(&b);
}

/* FNV-1a 64 of words[0..SHINGLE) joined by one space (as tests/content/make_shingles.py). */
static uint64_t shingle_hash(char **words)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t w = 0; w < SHINGLE; w++) {
        if (w)
            h = (h ^ ' ') * 0x100000001b3ULL;
        for (const char *p = words[w]; *p; p++)
            h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    }
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The fingerprint of the articles (SHINGLES): sorted hashes, one a line; "#" comments. */
static uint64_t *read_shingles(size_t *n)
{
    char *text = read_file(SHINGLES);
    assert_non_null(text);
    uint64_t *h = NULL;
    size_t cap = 0;
    *n = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (*line && *line != '#') {
            if (*n == cap) {
                cap = cap ? cap * 2 : 4096;
                h = realloc(h, cap * sizeof *h);
                assert_non_null(h);
            }
            char *rest;
            h[(*n)++] = strtoull(line, &rest, 16);
            assert_true(rest == line + 16 && *rest == '\0');
        }
        if (!end)
            break;
        line = end + 1;
    }
    free(text);
    qsort(h, *n, sizeof *h, cmp_u64);
    return h;
}

static int has_shingle(const uint64_t *h, size_t n, char **words)
{
    uint64_t key = shingle_hash(words);
    return bsearch(&key, h, n, sizeof *h, cmp_u64) != NULL;
}

/* When the articles themselves are at hand (ARTICLES), the fingerprint must be theirs:
 * every run of SHINGLE words in them is in it. */
static void check_fingerprint(const uint64_t *h, size_t n)
{
    DIR *dir = opendir(ARTICLES);
    if (!dir) {
        print_message("# %s not here: the fingerprint is taken as it is\n", ARTICLES);
        return;
    }
    char **art = NULL;
    size_t nart = 0, cap = 0, missing = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", ARTICLES, e->d_name);
        char *text = read_file(path);
        assert_non_null(text);
        size_t first = nart;
        words_of(text, &art, &nart, &cap);
        free(text);
        for (size_t k = first; k + SHINGLE <= nart; k++)
            missing += !has_shingle(h, n, art + k);
    }
    closedir(dir);
    for (size_t i = 0; i < nart; i++)
        free(art[i]);
    free(art);
    if (missing)
        print_message("# %zu runs of the articles are not in %s: run "
                      "tests/content/make_shingles.py %s\n", missing, SHINGLES, ARTICLES);
    assert_int_equal(missing, 0);
}

static void test_no_copied_sentences(void **state)
{
    (void)state;
    need_set();
    size_t nh;
    uint64_t *h = read_shingles(&nh);
    assert_true(nh > 1000);
    check_fingerprint(h, nh);

    /* the coach's words: every text of every file in dialogs/ */
    sb_buf all = {0};
    DIR *dir = opendir(DIALOGS);
    assert_non_null(dir);
    for (int done = 0; !done;) {
        json_t *j = next_json_file(dir, &done);
        gather(j, &all);
        json_decref(j);
    }
    closedir(dir);
    char **ours = NULL;
    size_t nours = 0, cap = 0;
    words_of(all.data, &ours, &nours, &cap);

    int copied = 0;
    for (size_t i = 0; i + SHINGLE <= nours; i++) {
        if (!has_shingle(h, nh, ours + i))
            continue;
        sb_buf run = {0};
        for (size_t w = 0; w < SHINGLE; w++)
            sb_buf_printf(&run, "%s%s", w ? " " : "", ours[i + w]);
        print_message("# copied from the articles: \"%s\"\n", run.data);
        sb_buf_free(&run);
        copied++;
    }
    for (size_t i = 0; i < nours; i++)
        free(ours[i]);
    free(ours);
    free(h);
    sb_buf_free(&all);
    assert_int_equal(copied, 0);
}

int main(void)
{
    use_model_cache();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crisis_table),
        cmocka_unit_test(test_crisis_around_table),
        cmocka_unit_test(test_reflection_table),
        cmocka_unit_test(test_no_copied_sentences),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
