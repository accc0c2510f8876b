/* `duet run`: load an experiment script, run it, write its results file. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "exec/executors.h"
#include "results/journal.h"
#include "results/results.h"
#include "run/config.h"
#include "run/runner.h"
#include "util/buf.h"
#include "util/mem.h"

void duet_cmd_run_help(FILE *out)
{
    fprintf(out,
            "usage: duet run SCRIPT.lua [options]\n\n"
            "Runs the experiment that SCRIPT.lua returns (`return duet.experiment { ... }`) and\n"
            "writes every iteration to an HDF5 results file as it finishes.\n\n"
            "Options:\n"
            "  --set KEY.PATH=VALUE  override a value of the experiment, e.g. --set "
            "budget.iterations=20,\n"
            "                        --set methods.duet.beta_value=2, --set tasks.1.noise=0.05 "
            "(repeatable)\n"
            "  --out FILE.h5         results file (default: results/NAME.h5, NAME the "
            "experiment's name)\n"
            "  --resume              continue the results file of an interrupted run with the "
            "same script,\n"
            "                        --set options and seed; only missing iterations are "
            "evaluated\n"
            "  --force               replace an existing results file (never a file of "
            "another kind)\n"
            "  --reuse               resume the results file if it exists (a complete one is "
            "left as it\n"
            "                        is), start it otherwise; for scripts that rerun "
            "experiments\n"
            "  --seed N              replace the script's experiment seed\n"
            "  --data DIR            folder of data and pool files (default: data, or "
            "$DUET_DATA_DIR)\n"
            "  --snapshot-seconds S  minimum seconds between HDF5 snapshots (default 10); the "
            "journal\n"
            "                        FILE.h5.journal records every iteration in between\n"
            "  --sync WHEN           flush each journal record to the disk: always (default; "
            "survives a\n"
            "                        machine crash), second (at most once a second) or never "
            "(survives a\n"
            "                        killed process only); never suits fast synthetic runs\n"
            "  --check               validate the script, open its backend and tasks, print "
            "the resolved\n"
            "                        configuration; run and write nothing\n"
            "  --executor NAME       inline (one evaluation at a time in this process), fork "
            "(processes\n"
            "                        forked from this one, reusing its open backend), local "
            "(worker\n"
            "                        programs on job directories) or slurm (job arrays); "
            "replaces the\n"
            "                        script's executor\n"
            "  -j, --jobs N          evaluations at once: processes, or the Slurm array "
            "throttle\n"
            "                        (without --executor or a script executor: fork)\n"
            "  -q, --quiet           no progress line\n"
            "  -v, --verbose         debug messages\n\n"
            "Exit status: 0 success, 1 runtime failure or interruption, 2 usage or "
            "configuration error.\n");
}

/*
 * Checks whether a new run may replace the existing file at out. Only a readable results file
 * may be replaced, and only with --force: a mistyped --out or a rerun then loses neither an
 * input (a pool, a scores file) nor earlier results.
 */
static duet_status check_replace(const char *out, int force, duet_error *err)
{
    duet_results *old = NULL;
    duet_error reason;
    duet_error_clear(&reason);
    duet_status st = duet_results_read_isolated(out, DUET_RESULTS_READ_TIMEOUT, &old, &reason);
    if (st != DUET_OK)
        return duet_error_set(err, DUET_EINVAL,
                              "--out %s exists and is not a readable duet results file (%s); "
                              "duet run replaces only results files: choose another --out or "
                              "move the file away",
                              out, reason.msg);
    size_t done, total, iterations_done, iterations_total;
    duet_results_progress(old, &done, &total, &iterations_done, &iterations_total);
    duet_results_free(old);
    if (force)
        return DUET_OK;
    return duet_error_set(err, DUET_EINVAL,
                          "%s already holds results (%zu of %zu trials of its tasks and methods "
                          "complete); add --resume "
                          "to continue it, --force to replace it, or choose another --out",
                          out, done, total);
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct progress_state {
    int enabled;
    int shown;
} progress_state;

static void show_progress(void *userdata, const duet_progress *p)
{
    progress_state *ps = userdata;
    if (!ps->enabled)
        return;
    double left = -1;
    if (p->evaluations_done > 0 && p->evaluations_total > p->evaluations_done)
        left = p->elapsed_seconds / (double)p->evaluations_done *
               (double)(p->evaluations_total - p->evaluations_done);
    char eta[32] = "--:--";
    if (left >= 0)
        snprintf(eta, sizeof eta, "%02d:%02d", (int)(left / 60), (int)left % 60);
    fprintf(stderr, "\rduet: %zu/%zu evaluations, %zu/%zu trials, %02d:%02d elapsed, %s left   ",
            p->evaluations_done, p->evaluations_total, p->trials_done, p->trials_total,
            (int)(p->elapsed_seconds / 60), (int)p->elapsed_seconds % 60, eta);
    ps->shown = 1;
}

/* Creates the folders leading to path (like mkdir -p of its parent). */
static duet_status make_parents(const char *path, duet_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return DUET_OK;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return duet_error_set(err, DUET_EIO, "cannot create folder %s: %s", dir,
                                  strerror(errno));
        *p = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return duet_error_set(err, DUET_EIO, "cannot create folder %s for the results: %s", dir,
                              strerror(errno));
    return DUET_OK;
}

/*
 * Builds the executor from the script's `executor` entry and the --executor and --jobs flags
 * (which take precedence). Leaves *out zeroed for the inline executor.
 */
static duet_status make_executor(duet_config *cfg, const char *name, long long jobs,
                                 const char *out_path, const duet_log *log, duet_executor *out,
                                 duet_error *err)
{
    const duet_executor_type *type = cfg->executor_type;
    if (name != NULL)
        type = duet_executor_type_find(name);
    if (type == NULL && jobs > 0)
        type = duet_executor_type_find("fork");
    if (type == NULL || strcmp(type->name, "inline") == 0) {
        if (jobs > 1)
            return duet_error_set(err, DUET_EINVAL,
                                  "--jobs %lld needs a parallel executor: add --executor fork, "
                                  "local or slurm",
                                  jobs);
        return DUET_OK;
    }
    duet_executor_options defaults = {0};
    duet_executor_options *o = cfg->executor_options;
    duet_status st = DUET_OK;
    if (type != cfg->executor_type || o == NULL) {
        o = &defaults;
        st = duet_executor_options_defaults(type, o, err);
    }
    if (st == DUET_OK && jobs > 0)
        o->jobs = jobs;
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    self[len > 0 ? len : 0] = '\0';
    duet_executor_env env = {
        .out_path = out_path,
        .self_path = len > 0 ? self : "duet",
        .name = cfg->name,
        .log = log,
    };
    if (st == DUET_OK)
        st = type->create(o, &env, out, err);
    duet_executor_options_free(&defaults);
    return st;
}

static char *join_command_line(int argc, char **argv)
{
    duet_buf b = {0};
    duet_buf_puts(&b, "duet");
    for (int i = 0; i < argc; i++) {
        duet_buf_puts(&b, " ");
        duet_buf_puts(&b, argv[i]);
    }
    return b.data;
}

int duet_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"set", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"resume", no_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 'S'},
        {"data", required_argument, NULL, 'd'},
        {"snapshot-seconds", required_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"check", no_argument, NULL, 'c'},
        {"jobs", required_argument, NULL, 'j'},
        {"executor", required_argument, NULL, 'e'},
        {"sync", required_argument, NULL, 'y'},
        {"reuse", no_argument, NULL, 'u'},
        {"force", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    const char **sets = duet_calloc((size_t)argc + 1, sizeof *sets);
    if (sets == NULL)
        return DUET_EXIT_FAILURE;
    size_t n_sets = 0;
    const char *out = NULL, *data_dir = getenv("DUET_DATA_DIR");
    int resume = 0, reuse = 0, force = 0, quiet = 0, verbose = 0, check = 0,
        sync = DUET_SYNC_ALWAYS;
    duet_load_options lo = {0};
    double snapshot_seconds = 10.0;
    opterr = 0;
    optind = 1;
    int c, code = DUET_EXIT_OK;
    const char *executor_name = NULL;
    long long jobs = 0;
    while ((c = getopt_long(argc, argv, "o:qvj:", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 's':
            if (strchr(optarg, '=') == NULL) {
                code = duet_cli_usage("run", "--set '%s' needs the form key.path=value", optarg);
                goto done;
            }
            sets[n_sets++] = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'r':
            resume = 1;
            break;
        case 'S':
            errno = 0;
            lo.seed = strtoull(optarg, &end, 10);
            if (errno || *end || optarg[0] == '-' || end == optarg) {
                code = duet_cli_usage("run", "--seed '%s' is not a non-negative integer", optarg);
                goto done;
            }
            lo.seed_given = 1;
            break;
        case 'd':
            data_dir = optarg;
            break;
        case 'n':
            snapshot_seconds = strtod(optarg, &end);
            if (*end || end == optarg || snapshot_seconds < 0) {
                code =
                    duet_cli_usage("run", "--snapshot-seconds '%s' is not a number >= 0", optarg);
                goto done;
            }
            break;
        case 'u':
            reuse = 1;
            break;
        case 'f':
            force = 1;
            break;
        case 'y':
            if (strcmp(optarg, "always") == 0)
                sync = DUET_SYNC_ALWAYS;
            else if (strcmp(optarg, "second") == 0)
                sync = DUET_SYNC_SECOND;
            else if (strcmp(optarg, "never") == 0)
                sync = DUET_SYNC_NEVER;
            else {
                code = duet_cli_usage("run", "--sync '%s' is not always, second or never", optarg);
                goto done;
            }
            break;
        case 'q':
            quiet = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'c':
            check = 1;
            break;
        case 'j':
            errno = 0;
            jobs = strtoll(optarg, &end, 10);
            if (errno || *end || end == optarg || jobs < 1 || jobs > 100000) {
                code = duet_cli_usage("run", "--jobs '%s' is not an integer in 1..100000", optarg);
                goto done;
            }
            break;
        case 'e':
            if (duet_executor_type_find(optarg) == NULL) {
                code = duet_cli_usage(
                    "run", "--executor '%s' is not one of inline, fork, local, slurm", optarg);
                goto done;
            }
            executor_name = optarg;
            break;
        default:
            code = duet_cli_usage("run", "unknown or incomplete option '%s'", argv[optind - 1]);
            goto done;
        }
    }
    if (optind != argc - 1) {
        code = duet_cli_usage("run",
                              optind >= argc ? "missing SCRIPT.lua"
                                             : "expected one SCRIPT.lua, got extra '%s'",
                              optind >= argc ? "" : argv[optind + 1]);
        goto done;
    }
    const char *script = argv[optind];
    duet_log log = {duet_cli_log_sink, NULL, verbose ? DUET_LOG_DEBUG : DUET_LOG_INFO};
    if (quiet)
        log.max = DUET_LOG_WARN;
    lo.sets = sets;
    lo.n_sets = n_sets;
    lo.log = &log;

    duet_error err;
    duet_error_clear(&err);
    duet_config *cfg = NULL;
    if (duet_config_load(script, &lo, &cfg, &err) != DUET_OK) {
        code = duet_cli_fail(&err);
        goto done;
    }
    if (check) {
        /* Open the backend and tasks as a run would, so that their errors show here too. */
        duet_run_options co = {.out_path = "", .data_dir = data_dir, .log = &log, .check_only = 1};
        if (duet_run(cfg, &co, &err) != DUET_OK)
            code = duet_cli_fail(&err);
        else
            fputs(cfg->resolved, stdout);
        duet_config_free(cfg);
        goto done;
    }
    char default_out[1024];
    if (out == NULL) {
        snprintf(default_out, sizeof default_out, "results/%s.h5", cfg->name);
        out = default_out;
    }
    if (reuse && access(out, F_OK) == 0)
        resume = 1;
    if (!resume && access(out, F_OK) == 0) {
        if (check_replace(out, force, &err) != DUET_OK) {
            code = duet_cli_fail(&err);
            duet_config_free(cfg);
            goto done;
        }
        duet_logf(&log, DUET_LOG_INFO, "replacing %s", out);
    }
    char *command_line = join_command_line(argc, argv);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    progress_state ps = {!quiet && isatty(STDERR_FILENO), 0};
    duet_run_options ro = {
        .out_path = out,
        .resume = resume,
        .command_line = command_line,
        .data_dir = data_dir,
        .log = &log,
        .progress = show_progress,
        .progress_userdata = &ps,
        .interrupted = &interrupted,
        .snapshot_seconds = snapshot_seconds,
        .sync = sync,
    };
    duet_executor executor = {0};
    duet_status st = make_parents(out, &err);
    if (st == DUET_OK)
        st = make_executor(cfg, executor_name, jobs, out, &log, &executor, &err);
    if (st == DUET_OK && executor.run != NULL)
        ro.executor = &executor;
    if (st == DUET_OK)
        st = duet_run(cfg, &ro, &err);
    if (executor.destroy)
        executor.destroy(executor.state);
    if (ps.shown)
        fputc('\n', stderr);
    if (st != DUET_OK)
        code = duet_cli_fail(&err);
    else if (!quiet)
        fprintf(stderr, "duet: results written to %s\n", out);
    duet_free(command_line);
    duet_config_free(cfg);
done:
    duet_free(sets);
    return code;
}
