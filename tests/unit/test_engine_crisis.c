/* test_engine_crisis.c — the engine's crisis check as transcripts over tests/dialogs-fixture
 * (engine_fixture.h): before first contact, in every state a prefix reaches, figures of
 * speech that are no crisis, the safety plan that only asks again, a dialog dropped after
 * it, and the configured crisis message. */
#include "engine_fixture.h"

static const exchange crisis_before_first_contact[] = {
    {"I want to die", {"CRISIS", "DEFAULT-HELPLINES findahelpline.com", "SAFETY_OFFER", "~WELCOME"}, "C", 0, 0},
    {"yes", {"SAFETY_WHO"}, NULL, 0, 0},
    {"my sister", {"SAFETY_END", "~RESUME"}, NULL, 0, 0},
    {"hello", {"WELCOME"}, NULL, 0, 0},
    END};

static const exchange safety_plan_only_retries[] = {
    CONSENT,
    {"I want to die", {"CRISIS", "SAFETY_OFFER"}, "C", 0, 0},
    {"so how does this work", {"RETRY", "~HELP"}, NULL, 0, 0},
    {"why do I pull away", {"RETRY", "~INTRO"}, NULL, 0, 0},
    {"help", {"HELP", "RESUME", "SAFETY_OFFER"}, NULL, 0, 0}, /* a command word still works */
    {"yes", {"SAFETY_WHO"}, NULL, 0, 0},
    END};

static const exchange figures_of_speech[] = {
    CONSENT,
    {"This deadline is killing me", {"FALLBACK", "~CRISIS"}, NULL, 0, 0},
    {"I killed it at the presentation!", {"FALLBACK", "~CRISIS"}, NULL, 0, 0},
    {"I'm dying to see the film", {"FALLBACK", "~CRISIS"}, NULL, 0, 0},
    {"It's killing me and I want to die", {"CRISIS"}, "C", 0, 0},
    END};

/* After the safety plan the interrupted dialog (or exercise) is dropped, not resumed. */
static const exchange crisis_drops_the_dialog[] = {
    CONSENT,
    TO_SITUATIONS,
    {"I can't do this anymore", {"CRISIS", "SAFETY_OFFER"}, "C", 0, 0},
    {"I cant do this anymore", {"CRISIS", "SAFETY_OFFER", "~RESUME"}, "C", 0, 0},
    {"help", {"HELP", "RESUME", "SAFETY_OFFER"}, NULL, 0, 0}, /* the plan itself resumes */
    {"no", {"SAFETY_END", "~RESUME", "~SITUATIONS"}, NULL, 0, 0},
    {"I left early", {"FALLBACK", "~It sounds like"}, NULL, 0, 0},
    {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0},
    {"I want to die", {"CRISIS", "SAFETY_OFFER"}, "C", 0, 0},
    {"yes", {"SAFETY_WHO"}, NULL, 0, 0},
    {"my sister", {"SAFETY_END", "~RESUME", "~STEP1"}, "X(notice-urge)", 0, 0},
    {"next", {"FALLBACK", "~STEP2"}, NULL, 0, 0},
    END};

/* --- crisis in every state: a prefix reaches the state, then a crisis input --- */

typedef struct crisis_case {
    const char *name;
    exchange prefix[8];
    int group;
} crisis_case;

static const crisis_case crisis_states[] = {
    {"before first contact", {END}, 0},
    {"idle", {CONSENT, END}, 0},
    {"welcome choice", {{"hi", {"WELCOME"}, NULL, 0, 0}, END}, 0},
    {"dialog choice", {CONSENT, {"pattern", {"INTRO"}, NULL, 0, 0}, END}, 0},
    {"text state", {CONSENT, TO_SITUATIONS, END}, 0},
    {"reflection check", {CONSENT, TO_SITUATIONS, {"I hid", {"right?"}, NULL, 0, 0}, END}, 0},
    {"reflection correction", {CONSENT, TO_SITUATIONS, {"I hid", {"right?"}, NULL, 0, 0}, {"no", {"CORRECT"}, NULL, 0, 0}, END}, 0},
    {"rating", {CONSENT, TO_SITUATIONS, {"I hid", {"right?"}, NULL, 0, 0}, {"yes", {"RATE"}, "J(What situations make me withdraw?=I hid)", 0, 0}, END}, 0},
    {"called dialog", {CONSENT, {"checkin", {"TRUST"}, NULL, 0, 0}, {"3", {"BREATH_OUT"}, "R(trust:3)", 0, 0}, END}, 0},
    {"exercise step", {CONSENT, {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0}, END}, 0},
    {"exercise how", {CONSENT, {"@exercise:body-scan", {"SCAN1"}, "G(body-scan)", 0, 0}, {"next", {"How"}, "D(body-scan)", 0, 0}, END}, 0},
    {"safety plan", {{"I want to die", {"SAFETY_OFFER"}, "C", 0, 0}, {"yes", {"SAFETY_WHO"}, NULL, 0, 0}, END}, 0},
    {"group room", {CONSENT, {"pattern", {"INTRO"}, NULL, 0, 0}, END}, 1},
};

static void test_crisis_in_every_state(void **unused)
{
    (void)unused;
    const char *inputs[] = {"I want to kill myself", "Everyone would be better off without me.",
                            "i might hurt really badly myself"};
    for (size_t i = 0; i < sizeof crisis_states / sizeof crisis_states[0]; i++) {
        for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
            const crisis_case *c = &crisis_states[i];
            print_message("# crisis in state: %s\n", c->name);
            char *st = fresh_state();
            int64_t now = T0;
            run(c->prefix, &st, &now);
            exchange x[] = {{inputs[k], {"CRISIS", "DEFAULT-HELPLINES findahelpline.com"}, "C", 0, c->group}, END};
            run(x, &st, &now);
            free(st);
        }
    }
}

static void test_crisis_message_configured(void **unused)
{
    (void)unused;
    assert_int_equal(dialogs_set_crisis_message(dialogs, "Call 988 (US) or 116 123 (UK)"), SB_OK);
    static const exchange x[] = {
        {"I want to end it all", {"CRISIS", "Call 988 (US) or 116 123 (UK)", "~DEFAULT-HELPLINES"}, "C", 0, 0},
        END};
    char *st = fresh_state();
    int64_t now = T0;
    run(x, &st, &now);
    free(st);
    assert_int_equal(dialogs_set_crisis_message(dialogs, NULL), SB_OK);
}

static const named transcripts[] = {
    {"crisis before first contact", crisis_before_first_contact},
    {"the safety plan only asks again", safety_plan_only_retries},
    {"figures of speech are no crisis", figures_of_speech},
    {"crisis during a dialog drops it", crisis_drops_the_dialog},
};

int main(void)
{
    const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_crisis_in_every_state),
        cmocka_unit_test(test_crisis_message_configured),
    };
    return run_transcripts("engine crisis", transcripts, sizeof transcripts / sizeof transcripts[0], extra,
                           sizeof extra / sizeof extra[0]);
}
