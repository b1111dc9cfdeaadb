/* console.h — the terminal adapter: one person chatting on stdin/stdout. */
#ifndef SB_CONSOLE_H
#define SB_CONSOLE_H

#include "adapter.h"

#include <stdio.h>

typedef struct console_options {
    const char *user;   /* the person's name (their platform id on "console") */
    int interactive;    /* 1: prompts and a greeting for a terminal */
    int echo;           /* 1: print each input line as "> line" before its replies */
    /* When not NULL: a line "/clock WHEN" is no message but asks a fake clock to move,
     * clock_line(clock_ctx, "WHEN") (main.c wires it to clock_ask: "ISO" or "+2h"); the
     * console then posts an empty batch and waits for it, so the nudges due on the way
     * print before the next line is read. */
    int (*clock_line)(void *clock_ctx, const char *when);
    void *clock_ctx;
} console_options;

/* A console adapter reading in and writing out (borrowed streams). NULL on ENOMEM. */
sb_adapter *console_adapter_new(const console_options *opt, FILE *in, FILE *out);

#endif
