/* test_content.c — the real coaching content in dialogs/, loaded as the coach loads it:
 * tables below of plain questions and command phrasings, and the rules the issue sets for
 * the content: the seven measures, at least 30 exercises in 7 topics, every dialog
 * reachable, the coach saying it is no therapist or emergency service, a safety plan
 * giving the helpline once. The tables kept as data, and the check that no sentence is
 * copied from the source articles, are test_content_tables.c's. */
#include "content_fixture.h"

static void test_load_clean(void **state)
{
    (void)state;
    assert_non_null(set);
}

/* --- plain questions and command phrasings --- */

static const struct {
    const char *text;
    const char *dialog;
} trigger_table[] = {
    {"What is avoidant attachment?", "learn-what"},
    {"what's avoidant attachment", "learn-what"},
    {"Where does it come from?", "learn-origins"},
    {"why am I like this", "learn-origins"},
    {"is it my fault?", "learn-fault"},
    {"Is this my parents' fault?", "learn-fault"},
    {"is something wrong with me", "learn-fault"},
    {"Can it heal?", "learn-healing"},
    {"will I always be like this?", "learn-healing"},
    {"what are the signs", "learn-signs"},
    {"who is Mary Ainsworth", "learn-research"},
    {"what does secure attachment look like", "learn-secure"},
    {"what is push and pull", "learn-push-pull"},
    {"does this sound familiar", "sound-familiar"},
    {"I'd like to try naming the pattern", "naming-the-pattern"},
    {"I pulled away again yesterday", "withdrawal-journal"},
    {"I don't know what I feel", "naming-feelings"},
    {"my chest gets tight when she hugs me", "body-signals"},
    {"I hate asking for help", "independence-myth"},
    {"how was it received? I told her about work", "small-vulnerability"},
    {"thank the protector", "thank-the-protector"},
    {"I keep pulling away from him", "push-pull"},
    {"should I find a therapist", "therapy"},
    {"one small step", "one-small-step"},
};

static void test_triggers(void **state)
{
    (void)state;
    need_set();
    int wrong = 0;
    for (size_t i = 0; i < sizeof trigger_table / sizeof trigger_table[0]; i++) {
        const char *got = NULL;
        assert_true(match_trigger(set, trigger_table[i].text, &got) >= 0);
        if (!got || strcmp(got, trigger_table[i].dialog) != 0) {
            print_message("# \"%s\" starts %s, want %s\n", trigger_table[i].text,
                          got ? got : "nothing", trigger_table[i].dialog);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

static const struct {
    const char *text;
    int idle, direct;
    const char *command; /* NULL: no command */
    const char *arg;     /* NULL: no argument */
} command_table[] = {
    {"!help", 0, 0, "help", NULL},
    {"help", 0, 1, "help", NULL},
    {"help", 1, 0, NULL, NULL},
    {"what can you do?", 1, 1, "help", NULL},
    {"give me an exercise", 1, 1, "exercise", NULL},
    {"I need something to practise", 1, 1, "exercise", NULL},
    {"i need something to practice today", 1, 1, "exercise", NULL},
    {"!exercise body", 0, 1, "exercise", "body"},
    {"!exercise list", 0, 0, "exercise", "list"},
    {"!checkin", 0, 1, "checkin", NULL},
    {"check in", 0, 1, "checkin", NULL},
    {"how am I doing?", 1, 1, "progress", NULL},
    {"!journal I told her how I felt", 0, 1, "journal", "I told her how I felt"},
    {"journal", 0, 1, "journal", NULL},
    {"!pause 3d", 0, 1, "pause", "3d"},
    {"stop reminding me", 1, 1, "pause", NULL},
    {"pause the nudges", 1, 1, "pause", NULL},
    {"start the nudges again", 1, 1, "resume", NULL},
    {"stop", 1, 1, "stop", NULL},
    {"!resume", 0, 1, "resume", NULL},
    {"stop", 0, 1, "stop", NULL},
    {"cancel", 0, 1, "stop", NULL},
    {"!export", 0, 1, "export", NULL},
    {"delete my data", 1, 1, "forget", NULL},
    {"!forget", 0, 1, "forget", NULL},
    {"!nudge 08:30", 0, 1, "nudge", "08:30"},
    {"!timezone Europe/Berlin", 0, 1, "timezone", "Europe/Berlin"},
    {"about", 0, 1, "about", NULL},
    {"are you a therapist?", 1, 1, "about", NULL},
    {"learn", 0, 1, "learn", NULL},
    {"privacy", 0, 1, "privacy", NULL},
    {"!focus", 0, 1, "focus", NULL},
    {"hello", 0, 1, "hello", NULL},
    /* free text inside a dialog is an answer, not a command */
    {"I need something to practise", 0, 1, NULL, NULL},
    {"I felt like I wanted to stop talking", 0, 1, NULL, NULL},
    {"I pulled away when she asked for help", 1, 1, NULL, NULL},
};

static void test_commands(void **state)
{
    (void)state;
    need_set();
    int wrong = 0;
    for (size_t i = 0; i < sizeof command_table / sizeof command_table[0]; i++) {
        const char *name = NULL;
        char *arg = NULL;
        int hit = engine_match_command(set, command_table[i].text, command_table[i].idle,
                                       command_table[i].direct, &name, &arg);
        const char *want = command_table[i].command, *want_arg = command_table[i].arg;
        int ok = want ? hit && name && strcmp(name, want) == 0 : !hit;
        if (ok && want)
            ok = want_arg ? arg && strcmp(arg, want_arg) == 0 : !arg || !*arg;
        if (!ok) {
            print_message("# \"%s\" (idle %d, direct %d): got %s \"%s\", want %s \"%s\"\n",
                          command_table[i].text, command_table[i].idle, command_table[i].direct,
                          hit ? name : "no command", arg ? arg : "", want ? want : "no command",
                          want_arg ? want_arg : "");
            wrong++;
        }
        free(arg);
    }
    assert_int_equal(wrong, 0);
}

/* --- the rules of the content --- */

static void test_commands_present(void **state)
{
    (void)state;
    need_set();
    static const char *const needed[] = {"help",  "about",  "learn",  "exercise", "checkin",
                                         "progress", "journal", "pause", "resume", "stop",
                                         "export", "forget", "nudge", "timezone", NULL};
    const json_t *list = json_object_get(dialogs_data(set, "commands"), "commands");
    for (size_t k = 0; needed[k]; k++) {
        const json_t *found = NULL;
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c) {
            if (strcmp(json_string_value(json_object_get(c, "name")) ?: "", needed[k]) == 0)
                found = c;
        }
        if (!found)
            print_message("# commands.json has no \"%s\"\n", needed[k]);
        assert_non_null(found);
        assert_true(json_object_get(found, "dialog") || json_object_get(found, "action"));
    }
}

static void test_measures(void **state)
{
    (void)state;
    need_set();
    static const char *const ids[] = {"attachment_anxiety", "attachment_avoidance",
                                      "emotional_awareness", "trust", "therapy_engagement",
                                      "self_compassion", "relationship_satisfaction", NULL};
    const json_t *list = json_object_get(dialogs_data(set, "measures"), "measures");
    assert_int_equal(json_array_size(list), 7);
    for (size_t k = 0; ids[k]; k++) {
        int found = 0;
        size_t i;
        json_t *m;
        json_array_foreach(list, i, m) {
            if (strcmp(json_string_value(json_object_get(m, "id")) ?: "", ids[k]) == 0) {
                found = 1;
                assert_non_null(json_string_value(json_object_get(m, "low")));
                assert_non_null(json_string_value(json_object_get(m, "high")));
            }
        }
        if (!found)
            print_message("# measures.json lacks %s\n", ids[k]);
        assert_true(found);
    }
    /* the check-in asks each of them once, as a rating */
    const json_t *states = json_object_get(dialogs_dialog(set, "checkin"), "states");
    int asked[7] = {0};
    const char *name;
    json_t *st;
    json_object_foreach((json_t *)states, name, st) {
        const char *m = json_string_value(json_object_get(st, "measure"));
        for (size_t k = 0; m && ids[k]; k++)
            asked[k] += strcmp(m, ids[k]) == 0;
    }
    for (size_t k = 0; ids[k]; k++)
        assert_int_equal(asked[k], 1);
}

static void test_exercises(void **state)
{
    (void)state;
    need_set();
    const json_t *ex = dialogs_data(set, "exercises");
    const json_t *list = json_object_get(ex, "exercises");
    const json_t *topics = json_object_get(ex, "topics");
    assert_true(json_array_size(list) >= 30);
    size_t used = 0, i, k;
    json_t *t, *x;
    json_array_foreach(topics, i, t) {
        int n = 0;
        json_array_foreach(list, k, x) {
            n += strcmp(json_string_value(json_object_get(x, "topic")) ?: "",
                        json_string_value(json_object_get(t, "id")) ?: "") == 0;
        }
        used += n > 0;
    }
    assert_true(used >= 7);
    json_array_foreach(list, k, x) {
        const char *id = json_string_value(json_object_get(x, "id"));
        int ok = json_array_size(json_object_get(x, "steps")) >= 2 &&
                 json_integer_value(json_object_get(x, "minutes")) > 0 &&
                 json_string_length(json_object_get(x, "followup")) > 0;
        if (!ok)
            print_message("# exercise %s needs steps, minutes and a follow-up question\n", id);
        assert_true(ok);
    }
}

static int contains_ci(const char *hay, const char *needle)
{
    for (; *hay; hay++) {
        size_t i = 0;
        while (needle[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (!needle[i])
            return 1;
    }
    return 0;
}

static void test_not_a_therapist(void **state)
{
    (void)state;
    need_set();
    static const char *const ids[] = {"welcome", "about", NULL};
    for (size_t k = 0; ids[k]; k++) {
        sb_buf b = {0};
        gather(dialogs_dialog(set, ids[k]), &b);
        assert_non_null(b.data);
        assert_true(contains_ci(b.data, "not a therapist"));
        assert_true(contains_ci(b.data, "emergency service"));
        assert_true(contains_ci(b.data, "{crisis_message}"));
        sb_buf_free(&b);
    }
    const char *first = json_string_value(json_object_get(dialogs_data(set, "commands"), "first_contact"));
    assert_string_equal(first, "welcome");
    const json_t *crisis = dialogs_data(set, "crisis");
    const char *msg = json_string_value(json_object_get(crisis, "default_message"));
    assert_true(msg && contains_ci(msg, "findahelpline.com") && contains_ci(msg, "emergency"));
    sb_buf b = {0};
    gather(dialogs_dialog(set, "checkin"), &b);
    assert_true(contains_ci(b.data, "not a clinical test"));
    sb_buf_free(&b);
}

/* The safety plans (each crisis category's dialog) give the crisis line once: the crisis
 * reply holds it, so their first state and their retries never repeat it (a missed answer
 * is no risk said again; issue 10: "the helpline paragraph is repeated in each of five
 * messages"); their later states point back to it instead. Every choice state has retry
 * texts of its own (or takes any answer), so an answer that fits nothing never gets the
 * stock "didn't catch that". The plan for abuse at home never shows the person's words
 * back: no reflection, no {answer}, no saved answer shown. */
static int texts_any_have(const json_t *texts, const char *needle)
{
    if (json_is_string(texts))
        return contains_ci(json_string_value(texts), needle);
    size_t i;
    json_t *t;
    json_array_foreach(texts, i, t) {
        if (json_is_string(t) && contains_ci(json_string_value(t), needle))
            return 1;
    }
    return 0;
}

static int check_plan(const char *category, const json_t *plan, int quiet)
{
    const char *id = json_string_value(json_object_get(plan, "id"));
    const char *start = json_string_value(json_object_get(plan, "start"));
    int wrong = 0;
    const char *name;
    json_t *st;
    json_object_foreach(json_object_get(plan, "states"), name, st) {
        int first = start && strcmp(name, start) == 0;
        if (first && texts_any_have(json_object_get(st, "say"), "{crisis_message}")) {
            print_message("# %s: %s: says the crisis line right after the crisis reply\n", id, name);
            wrong++;
        }
        if (texts_any_have(json_object_get(st, "retry"), "{crisis_message}")) {
            print_message("# %s: %s: a retry repeats the crisis line\n", id, name);
            wrong++;
        }
        const char *expect = json_string_value(json_object_get(st, "expect"));
        if (expect && strcmp(expect, "choice") == 0 && !json_object_get(st, "retry") &&
            !json_object_get(st, "other")) {
            print_message("# %s: %s: a choice state needs retry texts of its own\n", id, name);
            wrong++;
        }
        if (quiet && (json_is_true(json_object_get(st, "reflect")) ||
                      texts_any_have(json_object_get(st, "say"), "{answer}") ||
                      json_object_get(st, "save") || json_object_get(st, "journal"))) {
            print_message("# %s (%s): %s: shows or keeps the person's words\n", id, category, name);
            wrong++;
        }
    }
    return wrong;
}

static void test_safety_plans_say_help_once(void **state)
{
    (void)state;
    need_set();
    const json_t *categories = json_object_get(dialogs_data(set, "crisis"), "categories");
    assert_true(json_array_size(categories) >= 5);
    int wrong = 0;
    size_t i;
    json_t *c;
    json_array_foreach(categories, i, c) {
        const char *id = json_string_value(json_object_get(c, "id"));
        const json_t *plan = dialogs_dialog(set, json_string_value(json_object_get(c, "dialog")));
        assert_non_null(plan);
        wrong += check_plan(id, plan, strcmp(id, "abuse") == 0);
        if (strcmp(id, "abuse") == 0)
            assert_true(texts_any_have(json_object_get(c, "reply"), "{abuse_message}"));
    }
    assert_int_equal(wrong, 0);
}

/* --- every dialog reachable: by a command, a trigger, first contact, crisis.json,
 * or a dialog:ID / call from a reachable dialog --- */

typedef struct ids {
    char name[128][48];
    int reached[128];
    size_t n;
} ids;

static int id_index(const ids *s, const char *id)
{
    for (size_t i = 0; id && i < s->n; i++)
        if (strcmp(s->name[i], id) == 0)
            return (int)i;
    return -1;
}

static void reach(ids *s, const char *id)
{
    int i = id_index(s, id);
    if (i >= 0)
        s->reached[i] = 1;
}

static void reach_from(ids *s, const json_t *dialog)
{
    const char *name;
    json_t *st;
    json_object_foreach(json_object_get(dialog, "states"), name, st) {
        const char *next = json_string_value(json_object_get(st, "next"));
        if (next && strncmp(next, "dialog:", 7) == 0)
            reach(s, next + 7);
        reach(s, json_string_value(json_object_get(st, "call")));
        size_t i;
        json_t *ch;
        json_array_foreach(json_object_get(st, "choices"), i, ch) {
            const char *t = json_string_value(json_object_get(ch, "next"));
            if (t && strncmp(t, "dialog:", 7) == 0)
                reach(s, t + 7);
        }
    }
}

static void test_every_dialog_reachable(void **state)
{
    (void)state;
    need_set();
    ids s = {0};
    DIR *dir = opendir(DIALOGS);
    assert_non_null(dir);
    for (int done = 0; !done && s.n < 128;) {
        json_t *j = next_json_file(dir, &done);
        const char *kind = json_string_value(json_object_get(j, "kind"));
        const char *id = json_string_value(json_object_get(j, "id"));
        if (id && (!kind || strcmp(kind, "dialog") == 0))
            snprintf(s.name[s.n++], sizeof s.name[0], "%s", id);
        json_decref(j);
    }
    closedir(dir);
    assert_int_equal(s.n, dialogs_count(set));
    const json_t *commands = dialogs_data(set, "commands");
    reach(&s, json_string_value(json_object_get(commands, "first_contact")));
    reach(&s, json_string_value(json_object_get(commands, "listen")));
    reach(&s, json_string_value(json_object_get(commands, "return")));
    const json_t *crisis = dialogs_data(set, "crisis");
    size_t k0;
    json_t *category;
    json_array_foreach(json_object_get(crisis, "categories"), k0, category)
        reach(&s, json_string_value(json_object_get(category, "dialog")));
    const char *lists[] = {"ask", "downplay", "followup"};
    for (size_t l = 0; l < 3; l++)
        reach(&s, json_string_value(json_object_get(json_object_get(crisis, lists[l]), "dialog")));
    const char *lean;
    json_t *asks;
    json_object_foreach(json_object_get(json_object_get(crisis, "ask"), "by_category"), lean, asks)
        reach(&s, json_string_value(asks));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(commands, "commands"), i, c)
        reach(&s, json_string_value(json_object_get(c, "dialog")));
    for (size_t k = 0; k < s.n; k++)
        if (json_array_size(json_object_get(dialogs_dialog(set, s.name[k]), "triggers")) > 0)
            s.reached[k] = 1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < s.n; k++) {
            if (!s.reached[k])
                continue;
            ids before = s;
            reach_from(&s, dialogs_dialog(set, s.name[k]));
            changed |= memcmp(before.reached, s.reached, sizeof s.reached) != 0;
        }
    }
    int unreached = 0;
    for (size_t k = 0; k < s.n; k++) {
        if (!s.reached[k]) {
            print_message("# dialog %s: no command, trigger or other dialog leads to it\n", s.name[k]);
            unreached++;
        }
    }
    assert_int_equal(unreached, 0);
}

/* The replies to text said in a group room by someone the coach has met, joined. */
static char *group_reply(const char *text)
{
    json_t *st = json_pack("{s:i, s:b, s:i, s:[], s:s}", "v", 1, "met", 1, "turn", 3, "stack",
                           "consent", "yes");
    sb_input in = {text, 1796212800, 1, "Ann"};
    sb_step out;
    assert_int_equal(engine_step(set, st, &in, &out), SB_OK);
    json_decref(st);
    sb_buf b = {0};
    for (size_t i = 0; i < out.nreplies; i++)
        sb_buf_printf(&b, "%s\n", out.replies[i]);
    for (size_t i = 0; i < out.neffects; i++) /* nothing of the person's is touched */
        assert_true(out.effects[i].kind != SB_FX_EXERCISE_GIVEN &&
                    out.effects[i].kind != SB_FX_ACTION && out.effects[i].kind != SB_FX_JOURNAL);
    engine_step_free(&out);
    return sb_buf_take(&b);
}

/* Issue 9: in a group room "coach: what is avoidant attachment?" and `!exercise` are
 * general and answered there; a personal request still is not. */
static void test_group_room_general(void **state)
{
    (void)state;
    need_set();
    const char *personal = json_string_value(
        json_array_get(json_object_get(dialogs_data(set, "commands"), "group_private"), 0));
    char *learn = group_reply("what is avoidant attachment?");
    print_message("# %s\n", learn);
    assert_non_null(strstr(learn, "attachment"));
    assert_null(strstr(learn, "personal"));
    char *ex = group_reply("!exercise");
    print_message("# %s\n", ex);
    assert_non_null(strstr(ex, "1. "));
    assert_non_null(strstr(ex, "direct"));
    assert_null(strstr(ex, "personal"));
    char *journal = group_reply("!journal");
    assert_non_null(personal);
    assert_non_null(strstr(journal, "personal"));
    free(learn);
    free(ex);
    free(journal);
}

int main(void)
{
    use_model_cache();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_clean),
        cmocka_unit_test(test_triggers),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_commands_present),
        cmocka_unit_test(test_measures),
        cmocka_unit_test(test_exercises),
        cmocka_unit_test(test_not_a_therapist),
        cmocka_unit_test(test_safety_plans_say_help_once),
        cmocka_unit_test(test_every_dialog_reachable),
        cmocka_unit_test(test_group_room_general),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
