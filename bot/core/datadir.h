/* datadir.h — where the dialogs folder is, for a binary run from its build tree or installed.
 * The order: --dialogs, then [dialogs] path, then the source tree the binary was built in
 * (development), then the installed share folder next to the binary's bin/. An explicit
 * place (flag or config) is the only place looked at: a typo never falls back silently. */
#ifndef SB_DATADIR_H
#define SB_DATADIR_H

#include "sb.h"

/* Finds the dialogs folder. flag and configured are the --dialogs value and the config's
 * [dialogs] path (either may be NULL); exe is the binary's path (NULL: /proc/self/exe).
 * On SB_OK *found is the folder (caller frees). SB_ENOTFOUND when no place has a readable
 * folder: *found is NULL. Either way looked (when not NULL) gets one line per place
 * looked at, "  PATH (why)\n", for the error message; the caller frees it. SB_ENOMEM too. */
int datadir_find_dialogs(const char *flag, const char *configured, const char *exe,
                         char **found, sb_buf *looked);

#endif
