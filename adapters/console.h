/* console.h — the terminal adapter: one person chatting on stdin/stdout. */
#ifndef SB_CONSOLE_H
#define SB_CONSOLE_H

#include "adapter.h"

#include <stdio.h>

typedef struct console_options {
    const char *user;   /* the person's name (their platform id on "console") */
    int interactive;    /* 1: prompts and a greeting for a terminal */
    int echo;           /* 1: print each input line as "> line" before its replies */
    int clock_lines;    /* 1: "/clock ISO" and "/clock +2h" lines move the fake clock */
} console_options;

/* A console adapter reading in and writing out (borrowed streams). NULL on ENOMEM. */
sb_adapter *console_adapter_new(const console_options *opt, FILE *in, FILE *out);

#endif
