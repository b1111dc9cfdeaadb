/* repair.h — what a step does first: the person's state, as stored, made to fit the set of
 * dialogs loaded now. Fields of the wrong type go (person_repair); a follow-up whose dialog
 * state or exercise is gone goes; the crisis memory loses malformed fields, and all of it
 * once it is older than SAFETY_FOLLOWUP_WINDOW; a stack whose frames name what no longer
 * exists, or wait where nothing waits, is dropped (engine.c then says commands.json
 * "reset" and handles the input as if the person were idle). */
#ifndef SB_REPAIR_H
#define SB_REPAIR_H

#include "turn.h"

/* Repairs t's working state. Returns 1 when a stack was dropped, else 0 (an ENOMEM is
 * the turn's). */
int repair_state(turn *t);

#endif
