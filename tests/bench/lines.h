/* lines.h — what the benchmarks' people say (bench_core through the router, bench_step to
 * the engine alone): greetings, choices, free text, ratings, commands. */
#ifndef SB_BENCH_LINES_H
#define SB_BENCH_LINES_H

static const char *const lines[] = {
    "hi", "yes", "1", "When my partner asks how I feel I change the subject", "5",
    "help", "stop", "I felt tight in my chest when she hugged me", "no", "4",
    "give me an exercise", "next", "done", "it went better than I thought", "!progress",
    "what is avoidant attachment", "I guess I just prefer to handle things alone", "2",
};
#define NLINES (sizeof lines / sizeof lines[0])

#endif
