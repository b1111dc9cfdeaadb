/* examples.h — reads the labelled examples understanding learns from: dialogs/intents/
 * <intent>.txt (and the crisis check from dialogs/safety/<category>.txt), one utterance a
 * line, "#" starting a comment line, blank lines ignored.
 * Problems of a file (unreadable, too big, invalid UTF-8, a line too long) are reported
 * with file and line through the validation context; what the intents mean is checked by
 * validate_understand.c. */
#ifndef SB_EXAMPLES_H
#define SB_EXAMPLES_H

#include "validate.h"

#include <jansson.h>

#define EXAMPLES_LINE_MAX 400 /* bytes of one utterance */

/* Reads every *.txt of dir (a missing dir is no examples) into *examples (intent id, the
 * file name without ".txt" -> [utterance, ...], files in name order) and *lines (the same
 * keys -> [line number, ...]). Both owned by the caller, set even when problems were
 * reported (they name the file as "FOLDER/NAME.txt", FOLDER the last part of dir).
 * Returns SB_OK or SB_ENOMEM (both NULL). */
int examples_read(const char *dir, validate_ctx *v, json_t **examples, json_t **lines);

#endif
