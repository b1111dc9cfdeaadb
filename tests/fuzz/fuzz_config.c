/* fuzz_config.c — the INI configuration parser on arbitrary bytes: it must either load
 * or name file, line and key, never crash or leak. */
#include "config.h"
#include "sb.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/fuzz-config-%d.conf", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    sb_config *c = NULL;
    char err[256];
    int rc = config_load(path, &c, err, sizeof err);
    if (rc == SB_OK) {
        /* Every accessor on whatever loaded. */
        config_get(c, "matrix", "homeserver");
        config_get_long(c, "irc", "burst", 0);
        config_get_bool(c, "irc", "sasl_required", 0);
        config_has_section(c, "irc");
        config_free(c);
    } else if (rc == SB_EPARSE && !strstr(err, path)) {
        __builtin_trap(); /* an error must name the file */
    }
    return 0;
}
