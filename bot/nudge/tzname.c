/* tzname.c — the zone names tzdata knows ("Z NAME" and "L TARGET NAME" lines of
 * tzdata.zi, or zone1970.tab's third column when tzdata.zi is missing), checked and
 * spelled canonically, and the close name to suggest for a mistyped one. The list is
 * read once and kept behind its own lock; loading the zone itself is tz.c's. */
#include "tzname.h"

#include "sb.h"
#include "tz.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

/* The list, loaded once (names_loaded is set even when no file could be read). */
static char **names;
static size_t nnames;
static int names_loaded;

static int add_name(size_t *cap, const char *s, size_t n)
{
    if (n == 0 || n >= TZ_NAME_MAX)
        return 0;
    if (nnames == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        char **p = realloc(names, nc * sizeof *p);
        if (!p)
            return -1;
        names = p;
        *cap = nc;
    }
    names[nnames] = sb_strndup(s, n);
    if (!names[nnames])
        return -1;
    nnames++;
    return 0;
}

/* Field k (0-based, blank-separated) of line: start and length; 0 or -1. */
static int field(const char *line, int k, const char **s, size_t *n)
{
    const char *p = line;
    for (int i = 0;; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '\n')
            return -1;
        const char *e = p + strcspn(p, " \t\n");
        if (i == k) {
            *s = p;
            *n = (size_t)(e - p);
            return 0;
        }
        p = e;
    }
}

static void load_names_locked(void)
{
    if (names_loaded)
        return;
    names_loaded = 1;
    char path[512];
    size_t cap = 0;
    char line[512];
    snprintf(path, sizeof path, "%s/tzdata.zi", tz_zoneinfo_dir());
    FILE *f = fopen(path, "re");
    int zi = f != NULL;
    if (!f) {
        snprintf(path, sizeof path, "%s/zone1970.tab", tz_zoneinfo_dir());
        f = fopen(path, "re");
    }
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        const char *s;
        size_t n;
        int k = zi ? (line[0] == 'Z' && line[1] == ' ' ? 1 : line[0] == 'L' && line[1] == ' ' ? 2 : -1)
                   : (line[0] == '#' ? -1 : 2);
        if (k >= 0 && field(line, k, &s, &n) == 0 && add_name(&cap, s, n) != 0)
            break;
    }
    fclose(f);
}

static void free_names(void)
{
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    names = NULL;
    nnames = 0;
    names_loaded = 0;
}

int tzname_validate(const char *name, char *canon, size_t size)
{
    if (!name || !tz_name_ok(name))
        return SB_EINVAL;
    const char *found = NULL;
    pthread_mutex_lock(&names_lock);
    load_names_locked();
    for (size_t i = 0; i < nnames && !found; i++)
        if (strcmp(names[i], name) == 0)
            found = names[i];
    for (size_t i = 0; i < nnames && !found; i++)
        if (strcasecmp(names[i], name) == 0)
            found = names[i];
    int have_list = nnames > 0;
    char spelled[TZ_NAME_MAX];
    snprintf(spelled, sizeof spelled, "%s", found ? found : name);
    pthread_mutex_unlock(&names_lock);
    if (have_list && !found)
        return SB_ENOTFOUND;
    if (!have_list && (strncmp(name, "posix/", 6) == 0 || strncmp(name, "right/", 6) == 0 ||
                       strcmp(name, "localtime") == 0 || strcmp(name, "posixrules") == 0))
        return SB_ENOTFOUND;
    const tz_zone *z;
    int rc = tz_get(spelled, &z); /* the list may name zones this machine lacks */
    if (rc != SB_OK)
        return rc == SB_EINVAL ? SB_ENOTFOUND : rc;
    if (canon && size)
        snprintf(canon, size, "%s", spelled);
    return SB_OK;
}

/* Edit distance of a (lower case) and b (any case, compared in lower case), both shorter
 * than TZ_NAME_MAX, when it is at most cap; some value above cap otherwise. Stopping
 * early keeps a long wrong name from costing a full table per known name. */
static int distance(const char *a, size_t na, const char *b, size_t nb, int cap)
{
    if ((na > nb ? na - nb : nb - na) > (size_t)cap)
        return cap + 1;
    int row[TZ_NAME_MAX + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        int least = row[0];
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int cost = a[i - 1] != tolower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
            if (best < least)
                least = best;
        }
        if (least > cap) /* every later row is at least this far */
            return cap + 1;
    }
    return row[nb];
}

/* Abbreviations people give for their zone, each with a zone of its rules. Only those
 * that mean one thing: IST (India, Ireland, Israel) and CST (US, China) are left out.
 * EST, MST, HST, CET, EET and WET are zone names of their own and never get here. */
static const struct {
    const char *abbreviation, *zone;
} abbreviations[] = {
    {"PST", "America/Los_Angeles"}, {"PDT", "America/Los_Angeles"},
    {"PT", "America/Los_Angeles"},  {"MDT", "America/Denver"},
    {"CDT", "America/Chicago"},     {"EDT", "America/New_York"},
    {"ET", "America/New_York"},     {"AKST", "America/Anchorage"},
    {"AKDT", "America/Anchorage"},  {"BST", "Europe/London"},
    {"CEST", "CET"},                {"EEST", "EET"},
    {"WEST", "WET"},                {"JST", "Asia/Tokyo"},
    {"KST", "Asia/Seoul"},          {"AEST", "Australia/Sydney"},
    {"AEDT", "Australia/Sydney"},   {"ACST", "Australia/Adelaide"},
    {"ACDT", "Australia/Adelaide"}, {"AWST", "Australia/Perth"},
    {"NZST", "Pacific/Auckland"},   {"NZDT", "Pacific/Auckland"},
};

/* 1 for a name whose last part is written in capitals, digits and signs ("EST",
 * "PST8PDT", "Etc/GMT+2", "NZ"): one letter off such a name is another place, and
 * Etc/GMT+2 is two hours *behind* UTC, the opposite of what "GMT+2" means to people. */
static int is_abbreviation(const char *name)
{
    const char *last = strrchr(name, '/');
    for (const char *p = last ? last + 1 : name; *p; p++)
        if (islower((unsigned char)*p))
            return 0;
    return 1;
}

/* The list's own spelling of name, or NULL. Called with names_lock held. */
static const char *listed_locked(const char *name)
{
    for (size_t i = 0; i < nnames; i++)
        if (strcmp(names[i], name) == 0)
            return names[i];
    return NULL;
}

int tzname_suggest(const char *wrong, char *out, size_t size)
{
    char want[TZ_NAME_MAX];
    size_t n = 0;
    if (!wrong)
        return SB_ENOTFOUND;
    while (*wrong == ' ')
        wrong++;
    for (; *wrong && n + 1 < sizeof want; wrong++) /* "new york" is spelled New_York */
        want[n++] = *wrong == ' ' ? '_' : (char)tolower((unsigned char)*wrong);
    while (n > 0 && want[n - 1] == '_')
        n--;
    want[n] = '\0';
    if (n == 0 || *wrong)
        return SB_ENOTFOUND;
    int limit = n <= 4 ? 1 : n <= 12 ? 2 : 3;
    int best = limit + 1;
    const char *pick = NULL;
    pthread_mutex_lock(&names_lock);
    load_names_locked();
    for (size_t i = 0; i < sizeof abbreviations / sizeof abbreviations[0] && !pick; i++)
        if (strcasecmp(want, abbreviations[i].abbreviation) == 0)
            pick = listed_locked(abbreviations[i].zone);
    int from_table = pick != NULL;
    if (from_table)
        best = 0;
    for (size_t i = 0; i < nnames && !from_table; i++) {
        const char *name = names[i];
        const char *city = strrchr(name, '/');
        city = city ? city + 1 : name;
        /* Only a distance up to best can change the pick (a tie picks the shorter name). */
        int d = distance(want, n, name, strlen(name), best);
        if (d > 0 && is_abbreviation(name))
            continue; /* only the very name, in any case */
        int dc = distance(want, n, city, strlen(city), best);
        if (dc < d)
            d = dc;
        if (d < best || (d == best && pick && strlen(name) < strlen(pick))) {
            best = d;
            pick = name;
        }
    }
    int rc = SB_ENOTFOUND;
    if (pick && best <= limit) {
        snprintf(out, size, "%s", pick);
        rc = SB_OK;
    }
    pthread_mutex_unlock(&names_lock);
    return rc;
}

void tzname_clear(void)
{
    pthread_mutex_lock(&names_lock);
    free_names();
    pthread_mutex_unlock(&names_lock);
}
