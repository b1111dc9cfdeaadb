/* validate_graph.c — the paths through one dialog (validate.h): every state reached from
 * start, every state with a way to an end, no loop of states that moves on without waiting
 * for the person. The checks of single states and fields are validate.c's. */
#include "validate.h"

#include <stdlib.h>
#include <string.h>

/* Where the problems found are reported. */
typedef struct graph_site {
    validate_ctx *v;
    const char *file;
    const json_t *states;
} graph_site;

typedef struct graph {
    size_t n;
    const char **names;
    const json_t **states;
    unsigned char *exit;    /* final, or leads to dialog:ID */
    unsigned char *instant; /* expect none, not final, no call: moves on without waiting */
    long *next;             /* index of the state's own next, or -1 */
    unsigned char *reach, *ends;
} graph;

static long state_index(const graph *g, const char *target)
{
    for (size_t i = 0; target && i < g->n; i++)
        if (strcmp(g->names[i], target) == 0)
            return (long)i;
    return -1;
}

static void mark_reach(const graph *g, size_t from, size_t to, int *changed);

/* Calls fn for every state index that state i leads to inside the dialog. */
static void each_edge(const graph *g, size_t i, void (*fn)(const graph *, size_t, size_t, int *), int *acc)
{
    const json_t *st = g->states[i];
    long k = state_index(g, json_string_value(json_object_get(st, "next")));
    if (k >= 0)
        fn(g, i, (size_t)k, acc);
    k = state_index(g, json_string_value(json_object_get(st, "other")));
    if (k >= 0)
        fn(g, i, (size_t)k, acc);
    k = state_index(g, json_string_value(json_object_get(json_object_get(st, "unanswered"), "next")));
    if (k >= 0)
        fn(g, i, (size_t)k, acc);
    size_t c;
    json_t *ch;
    json_array_foreach(json_object_get(st, "choices"), c, ch) {
        k = state_index(g, json_string_value(json_object_get(ch, "next")));
        if (k >= 0)
            fn(g, i, (size_t)k, acc);
    }
    k = state_index(g, json_string_value(json_object_get(st, "followup")));
    if (k >= 0 && fn == mark_reach) /* a follow-up is reached on a later day */
        fn(g, i, (size_t)k, acc);
}

static void mark_reach(const graph *g, size_t from, size_t to, int *changed)
{
    if (g->reach[from] && !g->reach[to]) {
        g->reach[to] = 1;
        *changed = 1;
    }
}

static void mark_ends(const graph *g, size_t from, size_t to, int *changed)
{
    if (g->ends[to] && !g->ends[from]) {
        g->ends[from] = 1;
        *changed = 1;
    }
}

/* A target that leaves the dialog, or one already reported as broken: either way no
 * path problem should be reported on top of it. */
static int leaves(const graph *g, const char *target)
{
    return target && (strncmp(target, "dialog:", 7) == 0 || state_index(g, target) < 0);
}

static int leads_out(const graph *g, const json_t *st)
{
    if (leaves(g, json_string_value(json_object_get(st, "next"))) ||
        leaves(g, json_string_value(json_object_get(st, "other"))) || json_object_get(st, "crisis"))
        return 1;
    size_t c;
    json_t *ch;
    json_array_foreach(json_object_get(st, "choices"), c, ch) {
        if (leaves(g, json_string_value(json_object_get(ch, "next"))))
            return 1;
    }
    return 0;
}

static void graph_report(graph_site *c, graph *g, size_t start)
{
    g->reach[start] = 1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < g->n; i++)
            each_edge(g, i, mark_reach, &changed);
    }
    for (size_t i = 0; i < g->n; i++)
        g->ends[i] = g->exit[i];
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < g->n; i++)
            each_edge(g, i, mark_ends, &changed);
    }
    for (size_t i = 0; i < g->n; i++) {
        const json_t *st = g->states[i];
        int has_way = json_object_get(st, "next") || json_object_get(st, "choices") ||
                      json_object_get(st, "crisis");
        if (!g->reach[i])
            validate_problem(c->v, c->file, g->names[i], "no path reaches this state from start");
        else if (!g->ends[i] && has_way && !json_is_true(json_object_get(st, "final")))
            validate_problem(c->v, c->file, g->names[i],
                             "no path from here reaches a final state (a loop with no way out)");
    }
    /* Loops of states that never wait would spin forever: walk each chain of instant
     * states; report a loop once, at its first state in file order. */
    for (size_t i = 0; i < g->n; i++) {
        if (!g->instant[i])
            continue;
        long k = (long)i;
        size_t steps = 0;
        while (k >= 0 && g->instant[k] && steps <= g->n) {
            k = g->next[k];
            steps++;
            if (k == (long)i)
                break;
        }
        if (k != (long)i)
            continue;
        int first = 1;
        for (long j = g->next[i]; j != (long)i; j = g->next[j])
            first &= j > (long)i;
        if (first)
            validate_problem(c->v, c->file, g->names[i],
                             "a loop of states that never wait for an answer (expect none)");
    }
}

void validate_graph(validate_ctx *v, const char *file, const json_t *states, const char *start)
{
    graph_site site = {v, file, states};
    graph_site *c = &site;
    graph g = {0};
    g.n = json_object_size(c->states);
    g.names = calloc(g.n, sizeof *g.names);
    g.states = calloc(g.n, sizeof *g.states);
    g.exit = calloc(g.n, 1);
    g.instant = calloc(g.n, 1);
    g.next = calloc(g.n, sizeof *g.next);
    g.reach = calloc(g.n, 1);
    g.ends = calloc(g.n, 1);
    if (g.names && g.states && g.exit && g.instant && g.next && g.reach && g.ends) {
        size_t i = 0;
        const char *name;
        json_t *st;
        json_object_foreach((json_t *)c->states, name, st) {
            g.names[i] = name;
            g.states[i++] = st;
        }
        for (i = 0; i < g.n; i++) {
            const json_t *s = g.states[i];
            int is_final = json_is_true(json_object_get(s, "final"));
            g.exit[i] = is_final || leads_out(&g, s);
            g.next[i] = state_index(&g, json_string_value(json_object_get(s, "next")));
            g.instant[i] = !is_final && !json_object_get(s, "call") &&
                           strcmp(validate_expect_of(s), "none") == 0 && g.next[i] >= 0;
        }
        graph_report(c, &g, (size_t)state_index(&g, start));
    }
    free(g.names);
    free(g.states);
    free(g.exit);
    free(g.instant);
    free(g.next);
    free(g.reach);
    free(g.ends);
}
