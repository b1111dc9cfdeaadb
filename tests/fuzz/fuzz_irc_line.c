/* fuzz_irc_line.c — libFuzzer target for the IRC line parser. Besides crashes it checks
 * that every parsed message holds its invariants and that formatting the command and
 * parameters again and re-parsing gives the same message. */
#include "irc_line.h"
#include "sb.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static irc_message first, second;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (irc_line_parse((const char *)data, size, &first) != SB_OK)
        return 0;
    if (!first.command || !*first.command || first.nparams > IRC_PARAMS_MAX ||
        first.ntags > IRC_TAGS_KEPT)
        abort();
    if (first.source && !first.nick)
        abort();
    for (size_t i = 0; i < first.nparams; i++) {
        const char *p = first.params[i];
        int last = i + 1 == first.nparams;
        if (!last && (!*p || strchr(p, ' ') || *p == ':'))
            abort();
    }

    char out[IRC_LINE_BUF];
    size_t len = 0;
    if (irc_line_format(out, sizeof out, &len, first.command, first.params, first.nparams) != SB_OK)
        abort();
    if (irc_line_parse(out, len, &second) != SB_OK)
        abort();
    if (strcmp(first.command, second.command) != 0 || first.nparams != second.nparams)
        abort();
    for (size_t i = 0; i < first.nparams; i++)
        if (strcmp(first.params[i], second.params[i]) != 0)
            abort();
    return 0;
}
