/* main.c — the securebase command line: parses flags and the configuration, loads and
 * validates the dialogs, opens the store, and runs the core with the adapters the
 * configuration names (the console when asked, or when nothing else is configured).
 * Signals are taken by one thread with sigwait: SIGTERM and SIGINT stop the core between
 * batches, SIGHUP reloads the dialogs beside it. --backup copies the store and exits; the
 * systemd protocol, the log level and the /healthz listener are set up here too. */
#include "backup.h"
#include "clock.h"
#include "config.h"
#include "console.h"
#include "core.h"
#include "datadir.h"
#include "dialog.h"
#include "irc.h"
#include "lockfile.h"
#include "log.h"
#include "matrix.h"
#include "metrics.h"
#include "monitor.h"
#include "nudge.h"
#include "sb.h"
#include "service.h"
#include "store.h"
#include "understand.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: securebase [options]\n"
    "  --console            chat with the coach in this terminal (the default when no\n"
    "                       [matrix] or [irc] section is configured)\n"
    "  --user NAME          who you are in the console (default: $USER)\n"
    "  --config FILE        INI configuration (see securebase.conf.example)\n"
    "  --db PATH            the sqlite store (default: ./securebase.db)\n"
    "  --dialogs DIR        the dialogs folder (default: [dialogs] path, else the source\n"
    "                       tree the binary was built in, else ../share/securebase/dialogs\n"
    "                       next to the binary's folder)\n"
    "  --model-cache DIR    where trained intent models are kept, keyed by the examples\n"
    "                       they come from (default: $SECUREBASE_MODEL_CACHE, else\n"
    "                       $CACHE_DIRECTORY under systemd, else $XDG_CACHE_HOME/securebase\n"
    "                       or ~/.cache/securebase)\n"
    "  --check-dialogs      validate the dialogs, print each problem, exit 0 when clean\n"
    "  --backup PATH        copy the store (--db or [store] path) to a new file PATH, safe\n"
    "                       while the coach runs, and exit\n"
    "  --nudge-schedule     print the nudges the current settings would send, one\n"
    "                       'PERSON UTC-INSTANT' per line; needs --from and --to\n"
    "  --from ISO, --to ISO the window for --nudge-schedule (e.g. 2026-03-28T00:00:00Z)\n"
    "  --fake-clock ISO     run on a fake clock starting at ISO; in the console the line\n"
    "                       '/clock ISO' or '/clock +2h' moves it (for tests and demos);\n"
    "                       --fake-clock @FILE reads the time from FILE whenever it changes\n"
    "  --echo               console: print each input line before its replies\n"
    "  --help, --version\n";

typedef struct options {
    const char *config, *db, *dialogs, *user, *from, *to, *fake_clock, *backup, *model_cache;
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
        } else if (!strcmp(a, "--user")) {
            value = &o->user;
        } else if (!strcmp(a, "--from")) {
            value = &o->from;
        } else if (!strcmp(a, "--to")) {
            value = &o->to;
        } else if (!strcmp(a, "--fake-clock")) {
            value = &o->fake_clock;
        } else if (!strcmp(a, "--backup")) {
            value = &o->backup;
        } else if (!strcmp(a, "--model-cache")) {
            value = &o->model_cache;
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

static int backup(const char *db, const char *path)
{
    char err[512];
    int rc = backup_make(db, path, err, sizeof err);
    if (rc != SB_OK) {
        fprintf(stderr, "securebase: --backup: %s\n", err);
        return 1;
    }
    printf("securebase: %s backed up to %s\n", db, path);
    return 0;
}

typedef struct signal_ctx {
    sigset_t set;
    sb_core *core;
    const char *dir;    /* the dialogs folder, for SIGHUP */
    const char *crisis; /* [safety] crisis_message, or NULL */
    const char *abuse;  /* [safety] abuse_message, or NULL */
} signal_ctx;

static void log_problem(void *ctx, const char *file, const char *state, const char *message)
{
    ++*(int *)ctx;
    sb_log("error", "dialogs", "file=%s state=%s %s", file, state, message);
}

/* SIGHUP: loads and validates the dialogs here, off the core thread, and hands a clean set
 * to the core to swap in between batches. A set with problems is refused (each problem
 * logged) and the set in use keeps serving. */
static void reload_dialogs(signal_ctx *s)
{
    service_reloading();
    sb_dialogs *d = NULL;
    int problems = 0;
    int rc = dialogs_load(s->dir, &d, log_problem, &problems); /* d stays NULL on failure */
    if (rc == SB_OK && ((s->crisis && dialogs_set_crisis_message(d, s->crisis) != SB_OK) ||
                        (s->abuse && dialogs_set_abuse_message(d, s->abuse) != SB_OK))) {
        dialogs_free(d);
        rc = SB_ENOMEM;
    }
    if (rc == SB_OK)
        rc = core_swap_dialogs(s->core, d); /* the core owns d from here, even on failure */
    if (rc == SB_OK) {
        metrics_add(METRIC_DIALOG_RELOADS, "ok", 1);
        sb_log("info", "main", "dialogs from %s loaded, swapping them in", s->dir);
        service_reloaded("serving");
        return;
    }
    metrics_add(METRIC_DIALOG_RELOADS, "refused", 1);
    sb_log("error", "main", "dialogs reload from %s refused (%s, %d problems); the previous "
           "set keeps serving", s->dir, rc == SB_EIO ? "cannot read the folder" : sb_strerror(rc),
           problems);
    service_reloaded("serving (the last dialogs reload was refused)");
}

static void *signal_thread(void *arg)
{
    signal_ctx *s = arg;
    for (;;) {
        int sig = 0;
        if (sigwait(&s->set, &sig) != 0 || sig == SIGUSR2)
            return NULL;
        if (sig == SIGHUP) {
            reload_dialogs(s);
            continue;
        }
        sb_log("info", "main", "signal %d: stopping after the batch in hand", sig);
        service_stopping();
        core_request_stop(s->core);
        return NULL;
    }
}

static void on_ready(void *ctx)
{
    (void)ctx;
    metrics_core_alive((int64_t)time(NULL));
    service_ready("serving");
}

/* The core's tick: a core that stops ticking is wedged; systemd's watchdog restarts it and
 * /healthz says so. */
static void on_tick(void *ctx)
{
    (void)ctx;
    metrics_core_alive((int64_t)time(NULL));
    service_watchdog_ping();
}

/* How often the core ticks: for the watchdog (half its timeout) and, with the monitor on,
 * at least every MONITOR_TICK_MS so /healthz sees it turn. 0: no ticks needed. */
#define MONITOR_TICK_MS 5000
#define MONITOR_STALE_SECONDS 30
static long tick_interval(int monitoring)
{
    long ms = service_watchdog_interval_ms();
    if (monitoring && (ms == 0 || ms > MONITOR_TICK_MS))
        ms = MONITOR_TICK_MS;
    return ms;
}

/* console_options.clock_line: the console's "/clock" line asks the fake clock to move. */
static int ask_clock(void *clock, const char *when)
{
    return clock_ask(clock, when);
}

static int serve_on(const options *o, const sb_config *cfg, store *st, const sb_dialogs *d,
                    const char *dir, sb_clock *clock)
{
    sb_core *core = core_new(st, d, clock);
    if (!core)
        return 1;
    sb_adapter *adapters[4];
    size_t n = 0;
    int use_console = o->console || !(config_has_section(cfg, "matrix") ||
                                      config_has_section(cfg, "irc"));
    if (use_console && !o->console && getenv("INVOCATION_ID")) {
        /* Under systemd stdin is /dev/null: a console would end at once, "successfully". */
        fprintf(stderr, "securebase: nothing to serve: configure a [matrix] or [irc] section "
                        "(or pass --console)\n");
        core_free(core);
        return 2;
    }
    if (use_console) {
        const char *user = o->user ? o->user : config_get(cfg, "console", "user");
        if (!user)
            user = getenv("USER");
        console_options co = {.user = user ? user : "you", .interactive = isatty(0) && isatty(1),
                              .echo = o->echo,
                              .clock_line = clock_is_fake(clock) ? ask_clock : NULL,
                              .clock_ctx = clock};
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
    metrics_dialogs((long)dialogs_count(d));
    signal_ctx sig = {.core = core, .dir = dir,
                      .crisis = config_get(cfg, "safety", "crisis_message"),
                      .abuse = config_get(cfg, "safety", "abuse_message")};
    sigemptyset(&sig.set);
    sigaddset(&sig.set, SIGHUP);
    sigaddset(&sig.set, SIGINT);
    sigaddset(&sig.set, SIGTERM);
    sigaddset(&sig.set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &sig.set, NULL); /* every thread made from here inherits it */
    monitor *mon = NULL;
    const char *listen = config_get(cfg, "metrics", "listen");
    char err[256];
    if (listen && monitor_start(listen, MONITOR_STALE_SECONDS, &mon, err, sizeof err) != SB_OK) {
        fprintf(stderr, "securebase: %s\n", err);
        for (size_t k = 0; k < n; k++)
            adapters[k]->destroy(adapters[k]);
        core_free(core);
        return 2;
    }
    core_hooks hooks = {.ready = on_ready, .tick = on_tick, .tick_ms = tick_interval(mon != NULL)};
    core_set_hooks(core, &hooks);
    pthread_t tid;
    int have_sig_thread = pthread_create(&tid, NULL, signal_thread, &sig) == 0;
    int rc = core_run(core);
    if (have_sig_thread) {
        pthread_kill(tid, SIGUSR2);
        pthread_join(tid, NULL);
    }
    monitor_stop(mon);
    for (size_t i = 0; i < n; i++)
        adapters[i]->destroy(adapters[i]);
    core_free(core);
    return rc;
}

/* Serves on the real clock, or on the fake one --fake-clock names. */
static int serve(const options *o, const sb_config *cfg, store *st, const sb_dialogs *d,
                 const char *dir)
{
    sb_clock *clock = NULL;
    int rc = o->fake_clock ? clock_new_fake(o->fake_clock, &clock)
                           : ((clock = clock_new_real()) ? SB_OK : SB_ENOMEM);
    if (rc == SB_EINVAL && o->fake_clock[0] == '@') {
        fprintf(stderr, "securebase: --fake-clock: %s holds no ISO time\n", o->fake_clock + 1);
        return 2;
    } else if (rc == SB_EINVAL) {
        fprintf(stderr, "securebase: --fake-clock: '%s' is not an ISO time\n", o->fake_clock);
        return 2;
    } else if (rc != SB_OK) {
        return 1;
    }
    rc = serve_on(o, cfg, st, d, dir, clock);
    clock_free(clock);
    return rc;
}

/* Everything after the configuration and the dialogs folder are known. */
/* The model cache of understand.h: --model-cache, $SECUREBASE_MODEL_CACHE, systemd's
 * $CACHE_DIRECTORY (CacheDirectory= in the unit), else the user's cache folder (made when
 * missing). Without any, every start trains: slower, still right. */
static void use_model_cache(const char *dir)
{
    char *made = NULL;
    if (!dir)
        dir = getenv("SECUREBASE_MODEL_CACHE");
    if (!dir && getenv("CACHE_DIRECTORY") && !strchr(getenv("CACHE_DIRECTORY"), ':'))
        dir = getenv("CACHE_DIRECTORY");
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

/* One process per store: a second bot on it would answer every message twice, a second
 * console would interleave one person's session. NULL (and a message) when it is taken. */
static lockfile *lock_store(const char *db)
{
    lockfile *lock = NULL;
    long holder = 0;
    int rc = lockfile_take(db, &lock, &holder);
    if (rc == SB_OK)
        return lock;
    if (rc == SB_EBUSY && holder > 0)
        fprintf(stderr, "securebase: the store %s is in use by another securebase "
                        "(pid %ld); one process per store\n", db, holder);
    else if (rc == SB_EBUSY)
        fprintf(stderr, "securebase: the store %s is in use by another securebase; "
                        "one process per store\n", db);
    else
        fprintf(stderr, "securebase: cannot lock the store %s.lock: %s\n", db, sb_strerror(rc));
    return NULL;
}

static int run(const options *o, const sb_config *cfg, const char *dir)
{
    int rc;
    if (o->check)
        return check_dialogs(dir);
    const char *db = o->db ? o->db : config_get(cfg, "store", "path");
    if (o->schedule && access(db, F_OK) != 0) {
        /* A preview must not leave a new, empty store behind. */
        fprintf(stderr, "securebase: --nudge-schedule: there is no store at %s\n", db);
        return 1;
    }
    lockfile *lock = lock_store(db);
    if (!lock)
        return 2;
    store *st = NULL;
    sb_dialogs *d = NULL;
    if ((rc = store_open(db, &st)) != SB_OK) {
        fprintf(stderr, "securebase: cannot open the store %s: %s\n", db, sb_strerror(rc));
        rc = 1;
        goto cleanup;
    }
    struct stat db_stat;
    if (stat(db, &db_stat) == 0 && (db_stat.st_mode & 077))
        fprintf(stderr, "securebase: warning: the store %s holds people's words and is "
                        "readable by %s (mode %04o): chmod 600 %s\n", db,
                db_stat.st_mode & 007 ? "others" : "its group",
                (unsigned)(db_stat.st_mode & 07777), db);
    if (o->schedule) {
        rc = nudge_schedule(st, o);
        goto cleanup;
    }
    if (dialogs_load(dir, &d, print_problem, stderr) != SB_OK) {
        fprintf(stderr, "securebase: the dialogs in %s have problems (see above); "
                        "run --check-dialogs after fixing them\n", dir);
        rc = 1;
        goto cleanup;
    }
    const char *crisis = config_get(cfg, "safety", "crisis_message");
    if (crisis)
        dialogs_set_crisis_message(d, crisis);
    const char *abuse = config_get(cfg, "safety", "abuse_message");
    if (abuse)
        dialogs_set_abuse_message(d, abuse);
    malloc_trim(0); /* what loading and training freed goes back to the system: 1.6 MiB */
    rc = serve(o, cfg, st, d, dir);
cleanup:
    dialogs_free(d);
    store_close(st);
    lockfile_release(lock);
    return rc;
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
    char *dir = NULL;
    sb_buf looked = {0};
    if (config_warning(cfg))
        fprintf(stderr, "securebase: warning: %s\n", config_warning(cfg));
    use_model_cache(o.model_cache);
    if (log_configure(config_get(cfg, "log", "level")) != 0) {
        fprintf(stderr, "securebase: unknown log level (SECUREBASE_LOG or [log] level): "
                        "use debug, info, warn or error\n");
        rc = 2;
        goto cleanup;
    }
    if (o.backup) { /* needs no dialogs, and takes no lock: the coach may be running */
        rc = backup(o.db ? o.db : config_get(cfg, "store", "path"), o.backup);
        goto cleanup;
    }
    if (datadir_find_dialogs(o.dialogs, config_get(cfg, "dialogs", "path"), NULL, &dir,
                             &looked) != SB_OK) {
        fprintf(stderr, "securebase: cannot find a readable dialogs folder; looked at:\n%s",
                looked.data ? looked.data : "");
        rc = 1;
        goto cleanup;
    }
    rc = run(&o, cfg, dir);
cleanup:
    sb_buf_free(&looked);
    free(dir);
    config_free(cfg);
    return rc;
}
