/* test_engine.c — the engine as transcripts over tests/dialogs-fixture (engine_fixture.h):
 * first contact and consent, choices, text, ratings, reflection and its correction, journal
 * only with consent, interrupt and resume, stop, calls, triggers, group rooms, actions,
 * exercises and their follow-up. The crisis check (in every state, figures of speech, the
 * safety plan) is test_engine_crisis.c's. Fixture texts start with a marker (WELCOME,
 * SITUATIONS, ...) to assert on. */
#include "engine_fixture.h"

#include "markdown.h" /* only to show how an escaped reply renders */

static const exchange first_contact[] = {
    {"hi", {"WELCOME Ann, I'm a coach", "\n\n1. Yes, remember\n2. No, don't"}, NULL, 0, 0},
    {"2", {"CONSENT_NO", "~FALLBACK"}, "S(consent=no)", 0, 0},
    {"hello", {"FALLBACK"}, NULL, 0, 0},
    END};

static const exchange command_before_first_contact[] = {
    {"!about", {"ABOUT a coach", "~WELCOME"}, NULL, 0, 0},
    {"hi", {"WELCOME"}, NULL, 0, 0},
    END};

static const exchange pattern_with_consent[] = {
    CONSENT,
    TO_SITUATIONS,
    {SITUATION_TEXT, {"It sounds like when you were tired your partner asked you how you felt and you went quiet. Did I get that right?"}, NULL, 0, 0},
    {"yeah", {"RATE How strong"}, "J(What situations make me withdraw?=" SITUATION_TEXT ")", 0, 0},
    {"5/7", {"FEELING"}, "R(attachment_avoidance:5)", 0, 0},
    {"scared", {"DONE You named it: When I was tired my partner asked me how I felt and I went quiet\\. / urge 5 of 7 / feeling scared."}, "J(What did I feel?=scared)", 0, 0},
    {"hello", {"FALLBACK"}, NULL, 0, 0},
    END};

static const exchange reflection_corrected[] = {
    CONSENT,
    TO_SITUATIONS,
    {"I was quiet with my friend.", {"It sounds like you were quiet with your friend. Did I get that right?"}, NULL, 0, 0},
    {"no", {"CORRECT What did I miss?", "~RATE"}, NULL, 0, 0},
    {"I was quiet because I was tired", {"THANKS", "RATE"}, "J(What situations make me withdraw?=I was quiet because I was tired)", 0, 0},
    {"3", {"FEELING"}, "R(attachment_avoidance:3)", 0, 0},
    {"sad", {"You named it: I was quiet because I was tired / urge 3"}, "J(What did I feel?=sad)", 0, 0},
    END};

static const exchange reflection_corrected_inline[] = {
    CONSENT,
    TO_SITUATIONS,
    {"I felt angry at my brother", {"It sounds like you felt angry: you felt angry at your brother. Did I get that right?"}, NULL, 0, 0},
    {"No, it was at my boss.", {"THANKS", "RATE"}, "J(What situations make me withdraw?=it was at my boss.)", 0, 0},
    END};

static const exchange journal_needs_consent[] = {
    DECLINE,
    TO_SITUATIONS,
    {"I went quiet at dinner", {"Did I get that right?"}, NULL, 0, 0},
    {"yes", {"NO_CONSENT I won't keep that.", "RATE"}, NULL, 0, 0},
    {"4", {"FEELING"}, "R(attachment_avoidance:4)", 0, 0},
    {"lonely", {"DONE", "~NO_CONSENT"}, NULL, 0, 0},
    TO_SITUATIONS, /* a new run says it again */
    {"I went quiet again", {"Did I get that right?"}, NULL, 0, 0},
    {"yes", {"NO_CONSENT", "RATE"}, NULL, 0, 0},
    END};

static const exchange choices[] = {
    CONSENT,
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"maybe", {"RETRY please pick one", "1. Yes, let's start\n2. Not now"}, NULL, 0, 0},
    {"2 please", {"LATER"}, NULL, 0, 0},
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"Not now", {"LATER"}, NULL, 0, 0},
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"no thanks", {"LATER"}, NULL, 0, 0},
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"Yes, let's start!", {"SITUATIONS"}, NULL, 0, 0},
    END};

static const exchange ratings[] = {
    CONSENT,
    TO_SITUATIONS,
    {"I stayed home", {"Did I get that right?"}, NULL, 0, 0},
    {"exactly", {"RATE"}, "J(What situations make me withdraw?=I stayed home)", 0, 0},
    {"lots", {"RATE_RETRY A number from 1 to 7"}, NULL, 0, 0},
    {"9", {"RETRY_AGAIN_RATING", "~RATE_RETRY"}, NULL, 0, 0}, /* never the same retry twice */
    {"I'd say 6", {"FEELING"}, "R(attachment_avoidance:6)", 0, 0},
    END};

static const exchange interrupt_and_resume[] = {
    CONSENT,
    TO_SITUATIONS,
    {"help", {"HELP", "RESUME where were we?", "SITUATIONS"}, NULL, 0, 0},
    {"!about", {"ABOUT", "~SITUATIONS"}, NULL, 0, 0},
    {"I left the party early", {"It sounds like you left the party early."}, NULL, 0, 0},
    {"What can you do?", {"HELP", "RESUME", "you left the party early. Did I get that right?"}, NULL, 0, 0},
    {"right", {"RATE"}, "J(What situations make me withdraw?=I left the party early)", 0, 0},
    END};

static const exchange stop[] = {
    CONSENT,
    TO_SITUATIONS,
    {"Stop!", {"STOPPED.", "~SITUATIONS"}, NULL, 0, 0},
    {"hello", {"FALLBACK"}, NULL, 0, 0},
    END};

static const exchange unknown_command[] = {
    CONSENT,
    {"!dance now", {"UNKNOWN \\!dance now is no command I know."}, NULL, 0, 0},
    TO_SITUATIONS,
    {"!dance", {"UNKNOWN \\!dance"}, NULL, 0, 0},
    {"I hid", {"It sounds like you hid."}, NULL, 0, 0},
    END};

static const exchange group_room[] = {
    CONSENT,
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"!journal", {"GROUP_PRIVATE"}, NULL, 0, 1},
    {"!help", {"HELP", "~RESUME", "~INTRO"}, NULL, 0, 1},
    {"help", {"HELP", "~RESUME"}, NULL, 0, 1},
    {"!pattern", {"GROUP_PRIVATE"}, NULL, 0, 1},
    {"hey coach, how are you", {"GROUP_PRIVATE"}, NULL, 0, 1},
    {"!about", {"ABOUT"}, NULL, 0, 1},
    {"!dance", {"UNKNOWN"}, NULL, 0, 1},
    {"!nudge 9:00", {"NUDGE noted."}, "A(nudge=9:00)", 0, 1},
    {"I want to die", {"CRISIS", "DEFAULT-HELPLINES", "~SAFETY_OFFER"}, "C", 0, 1},
    {"sure", {"SITUATIONS"}, NULL, 0, 0}, /* the direct conversation is where it was */
    END};

static const exchange actions[] = {
    CONSENT,
    {"!journal Slept badly, felt OK.", {"~FALLBACK"}, "A(journal=Slept badly, felt OK.)", 0, 0},
    {"journal", {"~FALLBACK"}, "A(journal)", 0, 0},
    {"Give me an exercise, please", {"~FALLBACK"}, "A(exercise)", 0, 0},
    {"nudge 9:00", {"NUDGE noted."}, "A(nudge=9:00)", 0, 0},
    END};

static const exchange exercise_and_followup[] = {
    CONSENT,
    {"@exercise:notice-urge", {"**Notice the urge** (about 5 minutes)\n\nSTEP1", "Reply *next*"}, "G(notice-urge)", 0, 0},
    {"what do you mean", {"Reply *next*", "~STEP2"}, NULL, 0, 0},
    {"next", {"STEP2", "Reply *next*"}, NULL, 0, 0},
    {"ok", {"STEP3"}, NULL, 0, 0},
    {"done", {"How did it go?"}, "D(notice-urge)", 0, 0},
    {"I felt scared but ok", {"Thank you for giving it a go."}, "J(Notice the urge=I felt scared but ok)", 0, 0},
    {"hello", {"FALLBACK", "~FOLLOWUP"}, NULL, 3600, 0},
    {"hello", {"FOLLOWUP Did you notice the urge", "~FALLBACK"}, NULL, 5 * 3600, 0},
    {"I noticed it twice", {"It sounds like you noticed it twice."}, "J(FOLLOWUP Did you notice the urge since we last talked?=I noticed it twice)", 0, 0},
    {"hello", {"FALLBACK"}, NULL, 5 * 3600, 0}, /* asked once only */
    END};

static const exchange followup_waits_for_a_command[] = {
    CONSENT,
    {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0},
    {"next", {"STEP2"}, NULL, 0, 0},
    {"next", {"STEP3"}, NULL, 0, 0},
    {"next", {"How did it go?"}, "D(notice-urge)", 0, 0},
    {"fine", {"Thank you"}, "J(Notice the urge=fine)", 0, 0},
    {"pattern", {"INTRO", "~FOLLOWUP"}, NULL, 6 * 3600, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    {"hi", {"FOLLOWUP"}, NULL, 6 * 3600, 0},
    END};

static const exchange exercise_interrupted[] = {
    DECLINE,
    {"@exercise:body-scan", {"**Body scan** (about 3 minutes)\n\nSCAN1"}, "G(body-scan)", 0, 0},
    {"help", {"HELP", "RESUME", "SCAN1", "Reply *next*"}, NULL, 0, 0},
    {"next", {"How did it go?"}, "D(body-scan)", 0, 0},
    {"help", {"HELP", "RESUME", "How did it go?"}, NULL, 0, 0},
    {"calm", {"NO_CONSENT", "Thank you"}, NULL, 0, 0},
    {"hello", {"FALLBACK"}, NULL, 6 * 3600, 0}, /* no follow-up question in this one */
    {"@exercise:body-scan", {"SCAN1"}, "G(body-scan)", 0, 0},
    {"stop", {"STOPPED"}, "X(body-scan)", 0, 0}, /* stopped: no nudge asks about it */
    {"next", {"FALLBACK"}, NULL, 0, 0},
    END};

static const exchange call_and_transfer[] = {
    CONSENT,
    {"check in", {"CHECKIN_TRUST"}, NULL, 0, 0},
    {"four", {"CHECKIN_PAUSE", "BREATH_IN", "BREATH_OUT Ready?\n\n1. Ready"}, "R(trust:4)", 0, 0},
    {"help", {"HELP", "RESUME", "BREATH_OUT"}, NULL, 0, 0},
    {"ready", {"BREATH_END", "CHECKIN_NOTE", "~RESUME"}, NULL, 0, 0},
    {"feeling calmer", {"CHECKIN_BYE Trust 4.", "HELP"}, "J(Check-in note=feeling calmer)", 0, 0},
    {"hello", {"FALLBACK"}, NULL, 0, 0},
    END};

static const exchange triggers_and_phrases[] = {
    CONSENT,
    {"Why do I pull away from people?", {"INTRO"}, NULL, 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    {"so, what can you do?", {"HELP"}, NULL, 0, 0},
    {"helpful stuff", {"FALLBACK"}, NULL, 0, 0},
    TO_SITUATIONS,
    {"naming the pattern is hard", {"It sounds like naming the pattern is hard."}, NULL, 0, 0},
    END};

/* What the person wrote is Markdown-escaped wherever a reply shows it: the reflection echo,
 * saved variables and {answer}, a correction, an exercise follow-up's echo. Effects keep
 * the text as written. */
#define MARKUP "I said *stars*, <b>tags</b> & [a link](x)"
#define MARKUP_MD "\\*stars\\*\\, \\<b\\>tags\\<\\/b\\> \\& \\[a link\\]\\(x\\)"
static const exchange person_text_is_escaped[] = {
    CONSENT,
    TO_SITUATIONS,
    {MARKUP, {"It sounds like you said " MARKUP_MD ". Did I get that right?", "~<b>"}, NULL, 0, 0},
    {"No, it was _this_", {"THANKS", "RATE"}, "J(What situations make me withdraw?=it was _this_)", 0, 0},
    {"5", {"FEELING"}, "R(attachment_avoidance:5)", 0, 0},
    {"# big", {"DONE You named it: it was \\_this\\_ / urge 5 of 7 / feeling \\# big."}, "J(What did I feel?=# big)", 0, 0},
    {"!dance <i>", {"UNKNOWN \\!dance \\<i\\> is"}, NULL, 0, 0},
    {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0},
    {"next", {"STEP2"}, NULL, 0, 0},
    {"next", {"STEP3"}, NULL, 0, 0},
    {"next", {"How did it go?"}, "D(notice-urge)", 0, 0},
    {"fine", {"Thank you"}, "J(Notice the urge=fine)", 0, 0},
    {"hello", {"FOLLOWUP"}, NULL, 5 * 3600, 0},
    {"**twice** or more", {"It sounds like \\*\\*twice\\*\\* or more."}, "J(FOLLOWUP Did you notice the urge since we last talked?=**twice** or more)", 0, 0},
    END};

/* An answer that fits no choice or rating: a label holding all its words picks that choice;
 * a command phrase or a trigger starts on top and the waiting dialog resumes; else retry. */
static const exchange answers_that_fit_nothing[] = {
    CONSENT,
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"let's start", {"SITUATIONS", "~RETRY"}, NULL, 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"So, how does this work?", {"HELP", "RESUME", "INTRO", "~RETRY"}, NULL, 0, 0},
    {"why do I pull away", {"RETRY", "1. Yes", "~HELP"}, NULL, 0, 0}, /* its own trigger */
    {"maybe", {"RETRY"}, NULL, 0, 0},
    {"now", {"LATER"}, NULL, 0, 0},
    {"checkin", {"CHECKIN_TRUST"}, NULL, 0, 0},
    {"why do I pull away?", {"INTRO", "~RETRY"}, NULL, 0, 0}, /* a trigger in a rating state */
    {"not now", {"LATER", "RESUME", "CHECKIN_TRUST"}, NULL, 0, 0},
    {"give me an exercise", {"~RETRY"}, "A(exercise)", 0, 0},
    {"lots", {"RETRY"}, NULL, 0, 0},
    {"4", {"CHECKIN_PAUSE"}, "R(trust:4)", 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    TO_SITUATIONS, /* free text stays an answer */
    {"how does this work", {"It sounds like how does this work", "~HELP"}, NULL, 0, 0},
    END};

/* A choice that leads to a setting or an action is never picked by its label alone. */
static const exchange consent_needs_a_clear_answer[] = {
    {"hi", {"WELCOME"}, NULL, 0, 0},
    {"remember", {"RETRY", "~CONSENT_YES"}, NULL, 0, 0},
    {"yes", {"CONSENT_YES"}, "S(consent=yes)", 0, 0},
    END};

/* A command word followed by more words is that command only when it takes an argument. */
static const exchange command_words_and_arguments[] = {
    CONSENT,
    {"about my dad", {"FALLBACK", "~ABOUT"}, NULL, 0, 0},
    {"exercises are hard", {"FALLBACK"}, NULL, 0, 0},
    {"exercise body", {"~FALLBACK"}, "A(exercise=body)", 0, 0},
    {"journal I felt ok", {"~FALLBACK"}, "A(journal=I felt ok)", 0, 0},
    {"!about my dad", {"ABOUT", "~FALLBACK"}, NULL, 0, 0},
    {"about", {"ABOUT"}, NULL, 0, 0},
    END};

/* While a dialog waits, a command word with an argument interrupts like the bare word:
 * "exercise body" / "exercise list" anywhere (a topic is checked), "journal ..." or
 * "nudge ..." when the answer fits nothing the state or exercise step asks. In a text
 * state "journal ..." stays an answer. The dialog waits on after an action, asked again
 * after the action's reply. */
static const exchange command_arguments_while_waiting[] = {
    CONSENT,
    {"pattern", {"INTRO"}, NULL, 0, 0},
    /* asked again after the action's own reply (SB_FX_SAY after it) */
    {"journal I hate this", {"~RETRY"},
     "A(journal=I hate this) Y(=RESUME where were we?) Y(=INTRO Shall we look at when you pull away?\n\n"
     "1. Yes, let's start\n2. Not now)", 0, 0},
    {"nudge 08:30", {"NUDGE noted.", "~RETRY"},
     "A(nudge=08:30) Y(=RESUME where were we?) Y(=INTRO2 Want to look at the moments you withdraw?\n\n"
     "1. Yes, let's start\n2. Not now)", 0, 0},
    {"exercise body", {"~RETRY"}, "A(exercise=body)", 0, 0},
    {"exercise list", {"~RETRY"}, "A(exercise=list)", 0, 0},
    {"exercise ideas please", {"RETRY"}, NULL, 0, 0}, /* no topic: no command */
    {"yes", {"SITUATIONS"}, NULL, 0, 0},
    {"exercise list", {"~It sounds like"}, "A(exercise=list)", 0, 0},
    {"journal writing helps me", {"It sounds like journal writing helps you"}, NULL, 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0},
    {"exercise list", {"~Reply *next*"}, "A(exercise=list)", 0, 0},
    {"journal felt odd", {"~Reply *next*"}, "A(journal=felt odd)", 0, 0},
    {"next", {"STEP2"}, NULL, 0, 0},
    END};

/* Answers that are no answer: a question aimed at the coach gets a reply and the question
 * waits on; pushback and "idk" move on without an echo, a check or a journal entry; a
 * one-word answer is acknowledged, not echoed; hedges are left out of the echo. */
static const exchange sideways_answers[] = {
    CONSENT,
    TO_SITUATIONS,
    {"why are you asking me this?", {"QUESTION", "~It sounds like", "~asking you", "~RATE"}, NULL, 0, 0},
    {"why", {"QUESTION", "~RATE"}, NULL, 0, 0},
    {"idk. whatever", {"UNSURE", "RATE", "~Did I get that right", "~It sounds like"}, NULL, 0, 0},
    {"4", {"FEELING"}, "R(attachment_avoidance:4)", 0, 0},
    {"you wouldn't understand", {"PUSHBACK", "DONE You named it: idk\\. whatever / urge 4 of 7 / feeling (no answer).", "~It sounds like"}, NULL, 0, 0},
    TO_SITUATIONS,
    {"work i guess", {"BRIEF noted: work.", "RATE", "~Did I get that right"}, "J(What situations make me withdraw?=work i guess)", 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    TO_SITUATIONS,
    {"Was I wrong to leave?", {"It sounds like was you wrong to leave. Did I get that right?", "~QUESTION"}, NULL, 0, 0},
    {"no", {"CORRECT"}, NULL, 0, 0},
    {"Why does she ask me that?", {"THANKS", "~QUESTION"}, "J(What situations make me withdraw?=Why does she ask me that?)", 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    TO_SITUATIONS,
    {"I guess I froze at work", {"It sounds like you froze at work. Did I get that right?"}, NULL, 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0},
    {"next", {"STEP2"}, NULL, 0, 0},
    {"next", {"STEP3"}, NULL, 0, 0},
    {"next", {"How did it go?"}, "D(notice-urge)", 0, 0},
    {"fine", {"Thank you"}, "J(Notice the urge=fine)", 0, 0},
    {"hello", {"FOLLOWUP"}, NULL, 5 * 3600, 0},
    {"why?", {"QUESTION", "~FALLBACK"}, NULL, 0, 0},
    {"no idea", {"UNSURE", "~It sounds like"}, NULL, 0, 0},
    {"hello", {"FALLBACK"}, NULL, 0, 0},
    END};

/* Only an answer that starts like a correction replaces the first answer after "did I get
 * that right?"; "idk. whatever", "sort of" or an afterthought moves on with it. */
static const exchange reflection_check_moves_on[] = {
    CONSENT,
    TO_SITUATIONS,
    {"I left the party early", {"It sounds like you left the party early. Did I get that right?"}, NULL, 0, 0},
    {"idk. whatever", {"RATE", "~THANKS"}, "J(What situations make me withdraw?=I left the party early)", 0, 0},
    {"5", {"FEELING"}, "R(attachment_avoidance:5)", 0, 0},
    {"numb", {"DONE You named it: I left the party early / urge 5"}, "J(What did I feel?=numb)", 0, 0},
    TO_SITUATIONS,
    {"I went quiet", {"Did I get that right?"}, NULL, 0, 0},
    {"and my phone was off too", {"RATE", "~THANKS"}, "J(What situations make me withdraw?=I went quiet)", 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    TO_SITUATIONS,
    {"I went quiet", {"Did I get that right?"}, NULL, 0, 0},
    {"actually it was my boss who went quiet", {"THANKS", "RATE"}, "J(What situations make me withdraw?=actually it was my boss who went quiet)", 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    TO_SITUATIONS,
    {"I went quiet at home", {"Did I get that right?"}, NULL, 0, 0},
    {"not at home, at work", {"THANKS", "RATE"}, "J(What situations make me withdraw?=not at home, at work)", 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    TO_SITUATIONS,
    {"I went quiet", {"Did I get that right?"}, NULL, 0, 0},
    {"no", {"CORRECT"}, NULL, 0, 0},
    {"idk", {"RATE", "~THANKS"}, "J(What situations make me withdraw?=I went quiet)", 0, 0},
    END};

/* "skip" (or "pass", "next question") passes over a text or rating question without saving
 * anything; "idk" too at a rating. A bare yes or no to an open question gets asked for a few
 * words once; to a closed one ("Anything you want to add?") it is the answer. */
static const exchange skipping[] = {
    CONSENT,
    TO_SITUATIONS,
    {"skip", {"SKIPPED", "RATE", "~It sounds like"}, NULL, 0, 0},
    {"idk", {"SKIPPED", "FEELING", "~RATE_RETRY"}, NULL, 0, 0},
    {"next question", {"SKIPPED", "DONE You named it: (no answer) / urge (no answer) of 7 / feeling (no answer)."}, NULL, 0, 0},
    TO_SITUATIONS,
    {"no", {"YESNO", "~RATE", "~It sounds like"}, NULL, 0, 0},
    {"no", {"BRIEF noted: no.", "RATE"}, "J(What situations make me withdraw?=no)", 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    {"checkin", {"CHECKIN_TRUST"}, NULL, 0, 0},
    {"not sure", {"SKIPPED", "CHECKIN_PAUSE", "BREATH_OUT"}, NULL, 0, 0},
    {"ready", {"CHECKIN_NOTE"}, NULL, 0, 0},
    {"no", {"CHECKIN_BYE Trust (no answer).", "~YESNO"}, "J(Check-in note=no)", 0, 0},
    END};

/* "what is this for?" says the exercise's why and waits on; at "how did it go?" a next
 * word is no answer (asked once more, then taken as no words: nothing journaled). */
static const exchange exercise_why_and_how[] = {
    CONSENT,
    {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0},
    {"what is this for?", {"WHY_URGE", "Reply *next*", "~STEP2"}, NULL, 0, 0},
    {"why", {"WHY_URGE"}, NULL, 0, 0},
    {"next", {"STEP2"}, NULL, 0, 0},
    {"next", {"STEP3"}, NULL, 0, 0},
    {"done", {"How did it go?"}, "D(notice-urge)", 0, 0},
    {"ok", {"A word or two is plenty", "~Thank you"}, NULL, 0, 0},
    {"why?", {"WHY_URGE", "How did it go?"}, NULL, 0, 0},
    {"next", {"Thank you for giving it a go.", "~A word or two"}, NULL, 0, 0},
    {"@exercise:body-scan", {"SCAN1"}, "G(body-scan)", 0, 0},
    {"what is this for", {"Reply *next*", "~WHY"}, NULL, 0, 0}, /* no why: the hint */
    {"next", {"How did it go?"}, "D(body-scan)", 0, 0},
    {"skip", {"Thank you for giving it a go.", "~A word or two"}, NULL, 0, 0},
    {"@exercise:body-scan", {"SCAN1"}, "G(body-scan)", 0, 0},
    {"next", {"How did it go?"}, "D(body-scan)", 0, 0},
    {"calmer than I thought", {"Thank you"}, "J(Body scan=calmer than I thought)", 0, 0},
    END};

/* A greeting ("greeting": true) after four quiet hours asks the pending follow-up instead
 * of greeting; in the middle of an exercise it says which exercise and step, like "where
 * were we", which in a dialog says the waiting question again and when idle says so. */
static const exchange coming_back[] = {
    CONSENT,
    {"hey", {"HEY there."}, NULL, 0, 0},
    {"where were we", {"WHERE_IDLE"}, NULL, 0, 0},
    {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0},
    {"next", {"STEP2"}, NULL, 0, 0},
    {"hey", {"IN_PROGRESS Notice the urge, step 2 of 3.", "STEP2", "Reply *next*", "~HEY"}, NULL, 9 * 3600, 0},
    {"where were we", {"IN_PROGRESS Notice the urge, step 2 of 3.", "STEP2", "~WHERE_IDLE"}, NULL, 0, 0},
    {"next", {"STEP3"}, NULL, 0, 0},
    {"where did we leave off?", {"IN_PROGRESS Notice the urge, step 3 of 3.", "STEP3"}, NULL, 0, 0},
    END};

static const exchange greeting_brings_the_followup[] = {
    CONSENT,
    {"@exercise:notice-urge", {"STEP1"}, "G(notice-urge)", 0, 0},
    {"next", {"STEP2"}, NULL, 0, 0},
    {"next", {"STEP3"}, NULL, 0, 0},
    {"next", {"How did it go?"}, "D(notice-urge)", 0, 0},
    {"tiring", {"Thank you"}, "J(Notice the urge=tiring)", 0, 0},
    {"hey", {"HEY there.", "~FOLLOWUP"}, NULL, 3600, 0},
    {"hey", {"BACK Last time: Notice the urge.", "FOLLOWUP Did you notice the urge", "~HEY"}, NULL, 5 * 3600, 0},
    {"where were we", {"FOLLOWUP Did you notice the urge", "~WHERE_IDLE"}, NULL, 0, 0},
    {"I noticed it twice", {"It sounds like you noticed it twice."}, "J(FOLLOWUP Did you notice the urge since we last talked?=I noticed it twice)", 0, 0},
    {"hey", {"HEY there.", "~FOLLOWUP"}, NULL, 5 * 3600, 0},
    TO_SITUATIONS,
    {"where were we", {"RESUME", "SITUATIONS"}, NULL, 0, 0},
    END};

/* Misses in a choice or rating state: the retry, then a way out in plain words (never the
 * same retry twice in a row), then the menu is left and the answer read as free input. Not
 * in the safety plan. "ok" at a menu takes the yes after a question, else the closing
 * choice; "not sure" the choice marked unsure. */
static const exchange retry_escalation[] = {
    CONSENT,
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"maybe", {"RETRY please pick one", "1. Yes, let's start"}, NULL, 0, 0},
    {"perhaps", {"RETRY_AGAIN just tell me", "1. Yes, let's start", "~RETRY please"}, NULL, 0, 0},
    {"I just feel stuck lately", {"RETRY_LEAVE", "FALLBACK", "~INTRO"}, NULL, 0, 0},
    {"sure", {"FALLBACK"}, NULL, 0, 0}, /* nothing waits any more */
    {"checkin", {"CHECKIN_TRUST"}, NULL, 0, 0},
    {"lots", {"RETRY please pick one"}, NULL, 0, 0},
    {"heaps", {"RETRY_AGAIN_RATING say *skip*"}, NULL, 0, 0},
    {"4", {"CHECKIN_PAUSE"}, "R(trust:4)", 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    {"I want to die", {"CRISIS", "SAFETY_OFFER"}, "C", 0, 0},
    {"hmm", {"RETRY please"}, NULL, 0, 0},
    {"hmmm", {"RETRY_AGAIN"}, NULL, 0, 0},
    {"hmmmm", {"RETRY please", "~RETRY_LEAVE"}, NULL, 0, 0},
    {"hmmmmm", {"RETRY_AGAIN", "~RETRY_LEAVE"}, NULL, 0, 0},
    {"no", {"SAFETY_END"}, NULL, 0, 0},
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"fine", {"SITUATIONS"}, NULL, 0, 0}, /* "Shall we ...?" ok: the yes */
    {"stop", {"STOPPED"}, NULL, 0, 0},
    {"tell me more", {"ANSWER"}, NULL, 0, 0},
    {"ok", {"BYE"}, NULL, 0, 0}, /* after an answer: the closing choice */
    {"tell me more", {"ANSWER"}, NULL, 0, 0},
    {"not sure", {"IDEAS", "ANSWER"}, NULL, 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    END};

/* A dialog that resumes says only its question, or for a long text without one only its
 * choices; a final state that gives an exercise lets the exercise come first. */
static const exchange resume_only_the_question[] = {
    CONSENT,
    {"tell me more", {"ANSWER"}, NULL, 0, 0},
    {"help", {"HELP", "RESUME", "1. Another question", "~ANSWER"}, NULL, 0, 0},
    {"stop", {"STOPPED"}, NULL, 0, 0},
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"tell me more", {"ANSWER", "~RETRY"}, NULL, 0, 0},
    {"3", {"EX Here's one.", "~RESUME", "~INTRO"}, "A(exercise)", 0, 0},
    END};

/* First contact: free text is acknowledged and kept as {opening} for the welcome (never
 * journaled); a command or trigger runs after a one-line hello and the welcome waits; a
 * greeting, even with a word or two more, gets the welcome. */
static const exchange first_message_is_free_text[] = {
    {"I keep pushing my partner away and I dont know why", {"FIRST_TEXT", "WELCOME Ann"}, NULL, 0, 0},
    {"yes", {"CONSENT_YES Thank you. You said: I keep pushing my partner away and I dont know why"}, "S(consent=yes)", 0, 0},
    END};

static const exchange first_message_is_a_command[] = {
    {"nudge off", {"FIRST_COMMAND", "NUDGE noted.", "~WELCOME"}, "A(nudge=off)", 0, 0},
    {"journal", {"~FIRST_COMMAND", "~WELCOME"}, "A(journal)", 0, 0},
    {"why do I pull away", {"INTRO", "~FIRST_COMMAND", "~WELCOME"}, NULL, 0, 0},
    {"no", {"LATER"}, NULL, 0, 0},
    {"hey there coach", {"WELCOME", "~FIRST_TEXT", "~HELLO"}, NULL, 0, 0},
    {"yes", {"CONSENT_YES Thank you. You said: ", "~pull away"}, "S(consent=yes)", 0, 0},
    {"hey", {"HELLO_AGAIN", "~HELLO_BACK"}, NULL, 0, 0}, /* minutes after the welcome */
    {"hey", {"HELLO_BACK", "~HELLO_AGAIN"}, NULL, 5 * 3600, 0},
    END};

static const exchange first_message_is_a_trigger[] = {
    {"why do I pull away", {"FIRST_COMMAND", "INTRO", "~WELCOME"}, NULL, 0, 0},
    END};

/* In a group room a dialog allowed there shows its text without choices nobody could
 * answer there, and says to go on in a direct chat; the person's own conversation waits. */
static const exchange group_room_menus[] = {
    CONSENT,
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"!more", {"ANSWER", "GROUP_CONTINUE", "~1. Another question", "~INTRO"}, NULL, 0, 1},
    {"!help", {"HELP", "~GROUP_CONTINUE"}, NULL, 0, 1}, /* it asks nothing */
    {"!hey", {"HEY there.", "HELLO", "~GROUP_CONTINUE"}, NULL, 0, 1},
    {"yes", {"SITUATIONS"}, NULL, 0, 0},
    END};

/* A question that is the trigger of a general dialog ("group": true) is answered in a group
 * room too (issue 9: "coach: what is avoidant attachment?"); a personal one is not. */
static const exchange group_room_general[] = {
    CONSENT,
    {"pattern", {"INTRO"}, NULL, 0, 0},
    {"can you tell me more", {"ANSWER", "GROUP_CONTINUE", "~GROUP_PRIVATE", "~INTRO"}, NULL, 0, 1},
    {"why do I pull away", {"GROUP_PRIVATE", "~INTRO"}, NULL, 0, 1},
    {"yes", {"SITUATIONS"}, NULL, 0, 0},
    END};

static void test_user_name_is_escaped(void **unused)
{
    (void)unused;
    json_t *st = engine_new_state();
    sb_input in = {"hi", T0, 0, "*Ann* <3"};
    sb_step s;
    assert_int_equal(engine_step(dialogs, st, &in, &s), SB_OK);
    assert_true(s.nreplies > 0);
    print_message("# %s\n", s.replies[0]);
    assert_non_null(strstr(s.replies[0], "WELCOME \\*Ann\\* \\<3, I'm a coach"));
    engine_step_free(&s);
    json_decref(st);
}

/* The escaped echo renders as exactly the person's text: literal in Matrix HTML, unchanged
 * in plain text (IRC, console). */
static void test_escaped_text_renders_as_written(void **unused)
{
    (void)unused;
    static const exchange to_text[] = {CONSENT, TO_SITUATIONS, END};
    char *st = fresh_state();
    int64_t now = T0;
    run(to_text, &st, &now);
    json_t *state = json_loads(st, 0, NULL);
    sb_input in = {"I wrote *this* <b>bold</b> [x](javascript:y)", now + 60, 0, "Ann"};
    sb_step s;
    assert_int_equal(engine_step(dialogs, state, &in, &s), SB_OK);
    assert_int_equal(s.nreplies, 1);
    char *html = markdown_to_html(s.replies[0]);
    char *plain = markdown_to_plain(s.replies[0]);
    print_message("# %s\n# %s\n# %s\n", s.replies[0], html, plain);
    assert_non_null(strstr(html, "you wrote *this* &lt;b&gt;bold&lt;/b&gt; [x](javascript:y)."));
    assert_null(strstr(html, "<em>"));
    assert_null(strstr(html, "<a "));
    assert_non_null(strstr(plain, "you wrote *this* <b>bold</b> [x](javascript:y)."));
    free(html);
    free(plain);
    engine_step_free(&s);
    json_decref(state);
    free(st);
}

static const named transcripts[] = {
    {"first contact and consent", first_contact},
    {"a ! command before first contact", command_before_first_contact},
    {"naming the pattern with consent", pattern_with_consent},
    {"reflection corrected after no", reflection_corrected},
    {"reflection corrected inline", reflection_corrected_inline},
    {"journal only with consent, no_consent once per run", journal_needs_consent},
    {"choices by number, label, word, word start", choices},
    {"ratings and retry", ratings},
    {"interrupt and resume", interrupt_and_resume},
    {"stop", stop},
    {"unknown ! command", unknown_command},
    {"group room", group_room},
    {"action commands", actions},
    {"exercise and follow-up after 4 h", exercise_and_followup},
    {"follow-up waits while a command runs", followup_waits_for_a_command},
    {"exercise interrupted and stopped", exercise_interrupted},
    {"call and dialog: transfer", call_and_transfer},
    {"triggers and phrases only when idle", triggers_and_phrases},
    {"what the person wrote is escaped in replies", person_text_is_escaped},
    {"answers that fit no choice or rating", answers_that_fit_nothing},
    {"consent is never picked by its label", consent_needs_a_clear_answer},
    {"command words with an argument only when it takes one", command_words_and_arguments},
    {"command words with an argument while a dialog waits", command_arguments_while_waiting},
    {"questions, pushback, idk and one word are not echoed", sideways_answers},
    {"only a correction replaces the answer after the check", reflection_check_moves_on},
    {"skip a question, a rating; yes or no to an open question", skipping},
    {"an exercise's why, and a next word is no answer to how", exercise_why_and_how},
    {"where were we, a greeting in the middle of an exercise", coming_back},
    {"a greeting after four hours brings the follow-up", greeting_brings_the_followup},
    {"retry escalation, ok and not sure at a menu", retry_escalation},
    {"resume says only the question", resume_only_the_question},
    {"a first message of free text is acknowledged", first_message_is_free_text},
    {"a first message that is a command runs it", first_message_is_a_command},
    {"a first message that is a trigger starts it", first_message_is_a_trigger},
    {"a menu in a group room", group_room_menus},
    {"a general question in a group room", group_room_general},
};

int main(void)
{
    const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_user_name_is_escaped),
        cmocka_unit_test(test_escaped_text_renders_as_written),
    };
    return run_transcripts("engine transcripts", transcripts, sizeof transcripts / sizeof transcripts[0], extra,
                           sizeof extra / sizeof extra[0]);
}
