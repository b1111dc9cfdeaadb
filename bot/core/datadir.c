/* datadir.c — finds the dialogs folder (datadir.h). It only looks at the file system; what
 * the folder holds is dialog.c's to load and judge. The installed place is found relative to
 * the binary (BIN/../share/securebase/dialogs), so a tree installed under any PREFIX or
 * DESTDIR finds its own data without a path compiled in. */
#include "datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How far above the binary's folder a source tree may be: build/securebase and
 * build/asan/securebase both sit under it. */
#define SOURCE_DEPTH 2

static int readable_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && access(path, R_OK | X_OK) == 0;
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Notes one place in looked; allocation failures only shorten the message. */
static void note(sb_buf *looked, const char *path, const char *why)
{
    if (looked)
        sb_buf_printf(looked, "  %s (%s)\n", path, why);
}

/* An explicit place: used when readable, else the only place named. */
static int explicit_place(const char *path, const char *from, char **found, sb_buf *looked)
{
    if (!readable_dir(path)) {
        note(looked, path, from);
        return SB_ENOTFOUND;
    }
    *found = sb_strdup(path);
    return *found ? SB_OK : SB_ENOMEM;
}

/* Cuts path at its last '/', leaving the parent folder ("/" stays "/"). */
static void to_parent(char *path)
{
    char *slash = strrchr(path, '/');
    if (slash && slash != path)
        *slash = '\0';
    else if (slash)
        slash[1] = '\0';
}

int datadir_find_dialogs(const char *flag, const char *configured, const char *exe,
                         char **found, sb_buf *looked)
{
    *found = NULL;
    if (flag)
        return explicit_place(flag, "--dialogs", found, looked);
    if (configured)
        return explicit_place(configured, "[dialogs] path", found, looked);

    char dir[PATH_MAX];
    if (!realpath(exe ? exe : "/proc/self/exe", dir)) {
        note(looked, exe ? exe : "/proc/self/exe", "cannot tell where the binary is");
        return SB_ENOTFOUND;
    }
    to_parent(dir); /* the binary's folder */
    char base[PATH_MAX], candidate[PATH_MAX + 32], marker[PATH_MAX + 32];
    int rc = SB_ENOTFOUND;
    memcpy(base, dir, sizeof base);
    for (int up = 1; up <= SOURCE_DEPTH && rc == SB_ENOTFOUND; up++) {
        to_parent(base);
        snprintf(candidate, sizeof candidate, "%s/dialogs", base);
        snprintf(marker, sizeof marker, "%s/bot/core/main.c", base);
        if (!exists(marker))
            continue; /* not a source tree: nothing to say about it */
        if (readable_dir(candidate)) {
            *found = sb_strdup(candidate);
            rc = *found ? SB_OK : SB_ENOMEM;
        } else {
            note(looked, candidate, "the source tree the binary was built in");
        }
    }
    if (rc != SB_ENOTFOUND)
        return rc;
    memcpy(base, dir, sizeof base);
    to_parent(base);
    snprintf(candidate, sizeof candidate, "%s%sshare/securebase/dialogs", base,
             strcmp(base, "/") ? "/" : "");
    if (readable_dir(candidate)) {
        *found = sb_strdup(candidate);
        return *found ? SB_OK : SB_ENOMEM;
    }
    note(looked, candidate, "installed next to the binary");
    return SB_ENOTFOUND;
}
