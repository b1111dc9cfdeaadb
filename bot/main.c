/* main.c — the securebase command line: parses flags and the configuration, loads and
 * validates the dialogs, opens the store, and runs the core with the adapters the
 * configuration names (the console when asked, or when nothing else is configured).
 * Signals are taken by one thread with sigwait so the core stops between batches. */
#include "clock.h"
#include "config.h"
#include "console.h"
#include "core.h"
#include "dialog.h"
#include "irc.h"
#include "lockfile.h"
#include "matrix.h"
#include "nudge.h"
#include "sb.h"
#include "store.h"
#include "understand.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: securebase [options]\n"
    "  --console            chat with the coach in this terminal (the default when no\n"
    "                       [matrix] or [irc] section is configured)\n"
    "  --user NAME          who you are in the console (default: $USER)\n"
    "  --config FILE        INI configuration (see securebase.conf.example)\n"
    "  --db PATH            the sqlite store (default: ./securebase.db)\n"
    "  --dialogs DIR        the dialogs folder (default: ./dialogs)\n"
    "  --model-cache DIR    where trained intent models are kept, keyed by the examples\n"
    "                       they come from (default: $SECUREBASE_MODEL_CACHE, else\n"
    "                       $XDG_CACHE_HOME/securebase or ~/.cache/securebase)\n"
    "  --check-dialogs      validate the dialogs, print each problem, exit 0 when clean\n"
    "  --nudge-schedule     print the nudges the current settings would send, one\n"
    "                       'PERSON UTC-INSTANT' per line; needs --from and --to\n"
    "  --from ISO, --to ISO the window for --nudge-schedule (e.g. 2026-03-28T00:00:00Z)\n"
    "  --fake-clock ISO     run on a fake clock starting at ISO; in the console the line\n"
    "                       '/clock ISO' or '/clock +2h' moves it (for tests and demos);\n"
    "                       --fake-clock @FILE reads the time from FILE whenever it changes\n"
    "  --echo               console: print each input line before its replies\n"
    "  --help, --version\n";

typedef struct options {
    const char *config, *db, *dialogs, *user, *from, *to, *fake_clock, *model_cache;
    int console, check, schedule, echo;
} options;

/* Returns 0 to go on, or the exit code (0 after --help/--version, 2 on a usage error). */
static int parse_args(int argc, char **argv, options *o, int *done)
{
    *done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            *done = 1;
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("securebase %s\n", SB_VERSION);
            *done = 1;
            return 0;
        } else if (!strcmp(a, "--console")) {
            o->console = 1;
        } else if (!strcmp(a, "--check-dialogs")) {
            o->check = 1;
        } else if (!strcmp(a, "--nudge-schedule")) {
            o->schedule = 1;
        } else if (!strcmp(a, "--echo")) {
            o->echo = 1;
        } else if (!strcmp(a, "--config")) {
            value = &o->config;
        } else if (!strcmp(a, "--db")) {
            value = &o->db;
        } else if (!strcmp(a, "--dialogs")) {
            value = &o->dialogs;
        } else if (!strcmp(a, "--model-cache")) {
            value = &o->model_cache;
        } else if (!strcmp(a, "--user")) {
            value = &o->user;
        } else if (!strcmp(a, "--from")) {
            value = &o->from;
        } else if (!strcmp(a, "--to")) {
            value = &o->to;
        } else if (!strcmp(a, "--fake-clock")) {
            value = &o->fake_clock;
        } else {
            fprintf(stderr, "securebase: unknown option '%s'\n%s", a, usage);
            return 2;
        }
        if (value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "securebase: %s needs a value\n%s", a, usage);
                return 2;
            }
            *value = argv[++i];
        }
    }
    return 0;
}

static void print_problem(void *ctx, const char *file, const char *state, const char *message)
{
    fprintf(ctx, "%s: %s: %s\n", file, state, message);
}

static int check_dialogs(const char *dir)
{
    sb_dialogs *d = NULL;
    int rc = dialogs_load(dir, &d, print_problem, stdout);
    if (rc == SB_EIO)
        fprintf(stdout, "%s: -: cannot read the dialogs folder\n", dir);
    if (rc != SB_OK)
        return 1;
    printf("%s: %zu dialogs, no problems\n", dir, dialogs_count(d));
    dialogs_free(d);
    return 0;
}

static int nudge_schedule(store *s, const options *o)
{
    int64_t from, to;
    if (!o->from || !o->to || clock_parse_iso(o->from, &from) != SB_OK ||
        clock_parse_iso(o->to, &to) != SB_OK || to < from) {
        fprintf(stderr, "securebase: --nudge-schedule needs --from ISO and --to ISO "
                        "(e.g. 2026-03-28T00:00:00Z), from before to\n");
        return 2;
    }
    return nudge_preview(s, from, to, stdout) == SB_OK ? 0 : 1;
}

typedef struct signal_ctx {
    sigset_t set;
    sb_core *core;
} signal_ctx;

static void *signal_thread(void *arg)
{
    signal_ctx *s = arg;
    int sig = 0;
    if (sigwait(&s->set, &sig) == 0 && sig != SIGUSR2) {
        sb_log("info", "main", "signal %d: stopping after the batch in hand", sig);
        core_request_stop(s->core);
    }
    return NULL;
}

static int serve(const options *o, const sb_config *cfg, store *st, const sb_dialogs *d)
{
    sb_clock clock = {0};
    if (o->fake_clock && o->fake_clock[0] == '@') {
        clock.fake = 1;
        clock.file = o->fake_clock + 1;
        if (!clock_refresh(&clock)) {
            fprintf(stderr, "securebase: --fake-clock: %s holds no ISO time\n", clock.file);
            return 2;
        }
    } else if (o->fake_clock) {
        if (clock_parse_iso(o->fake_clock, &clock.fake_now) != SB_OK) {
            fprintf(stderr, "securebase: --fake-clock: '%s' is not an ISO time\n", o->fake_clock);
            return 2;
        }
        clock.fake = 1;
    }
    sb_core *core = core_new(st, d, &clock);
    if (!core)
        return 1;
    sb_adapter *adapters[4];
    size_t n = 0;
    int use_console = o->console || !(config_has_section(cfg, "matrix") ||
                                      config_has_section(cfg, "irc"));
    if (use_console) {
        const char *user = o->user ? o->user : config_get(cfg, "console", "user");
        if (!user)
            user = getenv("USER");
        console_options co = {.user = user ? user : "you", .interactive = isatty(0) && isatty(1),
                              .echo = o->echo, .clock_lines = clock.fake};
        adapters[n] = console_adapter_new(&co, stdin, stdout);
        if (adapters[n])
            core_add_adapter(core, adapters[n++]);
    }
    static const struct {
        const char *section;
        sb_adapter *(*make)(const sb_config *);
    } platforms[] = {{"matrix", matrix_adapter_new}, {"irc", irc_adapter_new}};
    for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++) {
        if (!config_has_section(cfg, platforms[i].section))
            continue;
        adapters[n] = platforms[i].make(cfg); /* says what is missing on stderr */
        if (!adapters[n]) {
            for (size_t k = 0; k < n; k++)
                adapters[k]->destroy(adapters[k]);
            core_free(core);
            return 2;
        }
        core_add_adapter(core, adapters[n++]);
    }
    signal_ctx sig = {.core = core};
    sigemptyset(&sig.set);
    sigaddset(&sig.set, SIGINT);
    sigaddset(&sig.set, SIGTERM);
    sigaddset(&sig.set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &sig.set, NULL); /* every thread made from here inherits it */
    pthread_t tid;
    int have_sig_thread = pthread_create(&tid, NULL, signal_thread, &sig) == 0;
    int rc = core_run(core);
    if (have_sig_thread) {
        pthread_kill(tid, SIGUSR2);
        pthread_join(tid, NULL);
    }
    for (size_t i = 0; i < n; i++)
        adapters[i]->destroy(adapters[i]);
    core_free(core);
    return rc;
}

/* The model cache of understand.h: --model-cache, $SECUREBASE_MODEL_CACHE, else the user's
 * cache folder (made when missing). Without any, every start trains: slower, still right. */
static void use_model_cache(const char *dir)
{
    char *made = NULL;
    if (!dir)
        dir = getenv("SECUREBASE_MODEL_CACHE");
    if (!dir && getenv("XDG_CACHE_HOME"))
        dir = made = sb_asprintf("%s/securebase", getenv("XDG_CACHE_HOME"));
    else if (!dir && getenv("HOME")) {
        char *parent = sb_asprintf("%s/.cache", getenv("HOME"));
        if (parent)
            mkdir(parent, 0700);
        free(parent);
        dir = made = sb_asprintf("%s/.cache/securebase", getenv("HOME"));
    }
    if (dir)
        mkdir(dir, 0700);
    if (dir && understand_set_cache(dir) != SB_OK)
        fprintf(stderr, "securebase: out of memory for the model cache; training at every start\n");
    free(made);
}

int main(int argc, char **argv)
{
    options o = {0};
    int done;
    int rc = parse_args(argc, argv, &o, &done);
    if (rc || done)
        return rc;
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    sb_config *cfg = NULL;
    if (config_load(o.config, &cfg, err, sizeof err) != SB_OK) {
        fprintf(stderr, "securebase: %s\n", err);
        return 2;
    }
    if (config_warning(cfg))
        fprintf(stderr, "securebase: warning: %s\n", config_warning(cfg));
    const char *dir = o.dialogs ? o.dialogs : config_get(cfg, "dialogs", "path");
    use_model_cache(o.model_cache);
    if (o.check) {
        rc = check_dialogs(dir);
        config_free(cfg);
        return rc;
    }
    const char *db = o.db ? o.db : config_get(cfg, "store", "path");
    if (o.schedule && access(db, F_OK) != 0) {
        /* A preview must not leave a new, empty store behind. */
        fprintf(stderr, "securebase: --nudge-schedule: there is no store at %s\n", db);
        config_free(cfg);
        return 1;
    }
    /* One process per store: a second bot on it would answer every message twice, a
     * second console would interleave one person's session. */
    lockfile *lock = NULL;
    long holder = 0;
    if ((rc = lockfile_take(db, &lock, &holder)) != SB_OK) {
        if (rc == SB_EBUSY && holder > 0)
            fprintf(stderr, "securebase: the store %s is in use by another securebase "
                            "(pid %ld); one process per store\n", db, holder);
        else if (rc == SB_EBUSY)
            fprintf(stderr, "securebase: the store %s is in use by another securebase; "
                            "one process per store\n", db);
        else
            fprintf(stderr, "securebase: cannot lock the store %s.lock: %s\n", db,
                    sb_strerror(rc));
        config_free(cfg);
        return 2;
    }
    store *st = NULL;
    if ((rc = store_open(db, &st)) != SB_OK) {
        fprintf(stderr, "securebase: cannot open the store %s: %s\n", db, sb_strerror(rc));
        lockfile_release(lock);
        config_free(cfg);
        return 1;
    }
    struct stat db_stat;
    if (stat(db, &db_stat) == 0 && (db_stat.st_mode & 077))
        fprintf(stderr, "securebase: warning: the store %s holds people's words and is "
                        "readable by %s (mode %04o): chmod 600 %s\n", db,
                db_stat.st_mode & 007 ? "others" : "its group",
                (unsigned)(db_stat.st_mode & 07777), db);
    if (o.schedule) {
        rc = nudge_schedule(st, &o);
        store_close(st);
        lockfile_release(lock);
        config_free(cfg);
        return rc;
    }
    sb_dialogs *d = NULL;
    if (dialogs_load(dir, &d, print_problem, stderr) != SB_OK) {
        fprintf(stderr, "securebase: the dialogs in %s have problems (see above); "
                        "run --check-dialogs after fixing them\n", dir);
        store_close(st);
        lockfile_release(lock);
        config_free(cfg);
        return 1;
    }
    const char *crisis = config_get(cfg, "safety", "crisis_message");
    if (crisis)
        dialogs_set_crisis_message(d, crisis);
    const char *abuse = config_get(cfg, "safety", "abuse_message");
    if (abuse)
        dialogs_set_abuse_message(d, abuse);
    rc = serve(&o, cfg, st, d);
    dialogs_free(d);
    store_close(st);
    lockfile_release(lock);
    config_free(cfg);
    return rc;
}
