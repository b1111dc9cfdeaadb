/* tzname.h — which IANA zone names exist on this machine, and the known name closest to
 * a wrong one, for the person who types "!timezone Europe/Berln". The list comes from
 * tzdata.zi (or zone1970.tab) in tz_zoneinfo_dir(), is loaded once on first use and is
 * shared by all threads. Zones themselves are tz.h's. */
#ifndef SB_TZNAME_H
#define SB_TZNAME_H

#include <stddef.h>

/* Checks name against the system's zones. Returns SB_OK and writes the canonical
 * spelling (case corrected, e.g. "europe/berlin" -> "Europe/Berlin") into canon
 * (size bytes, may be NULL); SB_ENOTFOUND when no such zone exists; SB_EINVAL for a
 * name without a zone name's shape (tz_name_ok); SB_EPARSE, SB_ENOMEM, SB_ETOOBIG
 * from loading the zone (the list may name a zone this machine lacks). */
int tzname_validate(const char *name, char *canon, size_t size);

/* The known zone name closest to a wrong one ("Europe/Berln", "Berlin", "new york"),
 * by edit distance to the whole name or its last part, written into out (size bytes);
 * for a common abbreviation that means one zone ("PST", "CEST"), a zone of its rules.
 * Abbreviation-like names (EST, Etc/GMT+2) are suggested only for themselves, never for
 * a near miss. Returns SB_OK, or SB_ENOTFOUND when nothing is close enough (or wrong is
 * NULL, empty or longer than a zone name). */
int tzname_suggest(const char *wrong, char *out, size_t size);

/* Frees the name list (it is read again on next use). Callers must not run
 * tzname_validate or tzname_suggest at the same time. */
void tzname_clear(void);

#endif
