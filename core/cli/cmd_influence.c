/*
 * `duet influence POOL.h5 -o SCORES.h5 [options]`: computes per-item scores of every domain
 * of a pool (or the named ones) and caches them in an HDF5 scores file. A rerun reuses scores
 * whose cache key still matches and recomputes stale ones, and prints which it did per domain.
 * The run holds the scores file's lock (duet_scores_lock), so it never overlaps a backend or
 * another run computing into the same file.
 *
 * Invariant: arguments are fully parsed and checked before any file is touched, and every
 * failure prints one "duet influence: ..." line on stderr.
 */
#include "cli/cmd_influence.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "influence/factory.h"
#include "influence/influence.h"
#include "influence/run.h"
#include "influence/scores_file.h"
#include "util/error.h"
#include "util/log.h"

#define MAX_LIST 64

typedef struct influence_args {
    const char *pool, *output, *estimator, *kind, *model;
    const char *sets[MAX_LIST];
    size_t n_sets;
    const char *domains[MAX_LIST];
    size_t n_domains;
    double train_tol; /* 0 until --train-tol is given: the factory's default applies */
    unsigned long long seed;
    unsigned long long threads; /* 0: one per online CPU */
    int quiet, help;
} influence_args;

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: duet influence POOL.h5 -o SCORES.h5 [options]\n"
            "\n"
            "Trains the pool's model on each domain's training split and scores every training\n"
            "item against the domain's held-out split; larger scores are more helpful. Scores\n"
            "are cached in SCORES.h5 under a key of the pool file's content, the model and the\n"
            "estimator settings, so a rerun recomputes only what changed.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE     scores file to create or update (required)\n"
            "  --kind KIND           influence (default) or less (gradient cosines)\n"
            "  --estimator NAME      inverse-Hessian estimator for kind influence (default cg)\n"
            "  --set NAME=VALUE      estimator option; repeatable\n"
            "  --domain NAME         score only this domain; repeatable (default: all)\n"
            "  --model NAME          model factory (default %s)\n"
            "  --train-tol X         gradient-norm tolerance of training (default: the model's,\n"
            "                        1e-8 for logreg, 1e-4 for charlm and postag)\n"
            "  --seed N              seed of the training streams (default 0)\n"
            "  --threads N           domains trained and scored at once, for models that allow\n"
            "                        it (charlm, postag); 0 (default) means one per online CPU;\n"
            "                        the scores do not depend on it\n"
            "  -q, --quiet           print errors only\n"
            "  -h, --help            print this help\n"
            "\nestimators and their options:\n",
            duet_influence_factories[0]->name);
    for (size_t e = 0; duet_influence_estimators[e] != NULL; e++) {
        const duet_influence_estimator *est = duet_influence_estimators[e];
        fprintf(out, "  %-9s %s\n", est->name, est->summary);
        for (const duet_option *o = est->options; o->name != NULL; o++)
            fprintf(out, "      %-17s (default %s) %s\n", o->name, o->default_value, o->help);
    }
    fprintf(out, "\nmodels:\n");
    for (size_t f = 0; duet_influence_factories[f] != NULL; f++)
        fprintf(out, "  %-9s %s\n", duet_influence_factories[f]->name,
                duet_influence_factories[f]->summary);
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int
usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "duet influence: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun `duet influence --help` for the options.\n");
    va_end(ap);
    return 2;
}

/* Matches "--name VALUE" and "--name=VALUE"; advances *i past a separate value. */
static int take_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0)
        return 0;
    if (argv[*i][len] == '=') {
        *value = argv[*i] + len + 1;
        return 1;
    }
    if (argv[*i][len] != '\0')
        return 0;
    *value = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

static int add_to_list(const char **list, size_t *n, const char *value, const char *option)
{
    if (*n == MAX_LIST)
        return usage_error("too many %s options (at most 64)", option);
    list[(*n)++] = value;
    return 0;
}

static int parse_number_option(const char *text, const char *option, double *out)
{
    char *end = NULL;
    *out = strtod(text, &end);
    if (end == text || *end != '\0')
        return usage_error("%s needs a number", option);
    return 0;
}

/* Parses one option at argv[*i]; returns 0, or an exit status for a usage error. */
static int parse_option(int argc, char **argv, int *i, influence_args *a)
{
    const char *v = NULL, *arg = argv[*i];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        a->help = 1;
        return 0;
    }
    if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
        a->quiet = 1;
        return 0;
    }
    if (take_value(argc, argv, i, "-o", &v) || take_value(argc, argv, i, "--output", &v)) {
        a->output = v;
    } else if (take_value(argc, argv, i, "--estimator", &v)) {
        a->estimator = v;
    } else if (take_value(argc, argv, i, "--kind", &v)) {
        a->kind = v;
    } else if (take_value(argc, argv, i, "--model", &v)) {
        a->model = v;
    } else if (take_value(argc, argv, i, "--set", &v)) {
        return v ? add_to_list(a->sets, &a->n_sets, v, "--set")
                 : usage_error("%s", "--set needs NAME=VALUE");
    } else if (take_value(argc, argv, i, "--domain", &v)) {
        return v ? add_to_list(a->domains, &a->n_domains, v, "--domain")
                 : usage_error("%s", "--domain needs a name");
    } else if (take_value(argc, argv, i, "--train-tol", &v)) {
        if (v == NULL)
            return usage_error("%s", "--train-tol needs a number");
        if (parse_number_option(v, "--train-tol", &a->train_tol) != 0)
            return 2;
        return a->train_tol > 0 ? 0 : usage_error("%s", "--train-tol must be positive");
    } else if (take_value(argc, argv, i, "--threads", &v)) {
        char *end = NULL;
        a->threads = v ? strtoull(v, &end, 10) : 0;
        if (v == NULL || end == v || *end != '\0' || v[0] == '-' || a->threads > 64)
            return usage_error("%s", "--threads needs an integer from 0 to 64");
    } else if (take_value(argc, argv, i, "--seed", &v)) {
        char *end = NULL;
        a->seed = v ? strtoull(v, &end, 10) : 0;
        if (v == NULL || end == v || *end != '\0')
            return usage_error("%s", "--seed needs a non-negative integer");
    } else if (arg[0] == '-') {
        return usage_error("unknown option '%s'", arg);
    } else if (a->pool == NULL) {
        a->pool = arg;
        return 0;
    } else {
        return usage_error("unexpected argument '%s'; give one pool file", arg);
    }
    return v ? 0 : usage_error("option %s needs a value", arg);
}

static int parse_args(int argc, char **argv, influence_args *a)
{
    memset(a, 0, sizeof *a);
    a->estimator = "cg";
    a->kind = "influence";
    a->model = duet_influence_factories[0]->name;
    a->train_tol = 0;
    for (int i = 1; i < argc; i++) {
        int rc = parse_option(argc, argv, &i, a);
        if (rc != 0 || a->help)
            return rc;
    }
    if (a->pool == NULL)
        return usage_error("%s", "missing the pool file");
    if (a->output == NULL)
        return usage_error("%s", "missing -o SCORES.h5");
    return 0;
}

/* Applies the --set options to the estimator's defaults. */
static duet_status build_settings(const influence_args *a, const duet_influence_estimator *est,
                                  duet_influence_settings *st, duet_error *err)
{
    duet_status status = duet_influence_settings_defaults(est, st, err);
    for (size_t k = 0; k < a->n_sets && status == DUET_OK; k++) {
        char name[64];
        const char *eq = strchr(a->sets[k], '=');
        size_t len = eq ? (size_t)(eq - a->sets[k]) : 0;
        if (eq == NULL || len == 0 || len >= sizeof name)
            return duet_error_set(err, DUET_EINVAL, "--set '%s' is not of the form NAME=VALUE",
                                  a->sets[k]);
        memcpy(name, a->sets[k], len);
        name[len] = '\0';
        status = duet_influence_settings_set(est, st, name, eq + 1, err);
    }
    return status;
}

static size_t online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

static void print_line(void *userdata, duet_log_level level, const char *message)
{
    fprintf(level <= DUET_LOG_WARN ? stderr : stdout, "%s\n", message);
}

int duet_cmd_influence(int argc, char **argv)
{
    influence_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc;
    if (a.help) {
        print_usage(stdout);
        return 0;
    }
    const duet_influence_estimator *est = duet_influence_estimator_find(a.estimator);
    if (est == NULL)
        return usage_error("unknown estimator '%s'; see --help for the list", a.estimator);
    const duet_influence_model_factory *factory = duet_influence_factory_find(a.model);
    if (factory == NULL)
        return usage_error("unknown model '%s'; see --help for the list", a.model);
    duet_error err;
    duet_error_clear(&err);
    duet_influence_settings settings;
    duet_status st = build_settings(&a, est, &settings, &err);
    if (st == DUET_OK) {
        duet_log log = {print_line, NULL, a.quiet ? DUET_LOG_WARN : DUET_LOG_INFO};
        duet_influence_request req = {
            .pool_path = a.pool,
            .scores_path = a.output,
            .factory = factory,
            .kind = a.kind,
            .estimator = est,
            .settings = &settings,
            .train_tol = a.train_tol > 0 ? a.train_tol : factory->default_train_tol,
            .seed = a.seed,
            .domains = a.n_domains ? a.domains : NULL,
            .n_domains = a.n_domains,
            .log = &log,
            .threads = a.threads ? (size_t)a.threads : online_cpus(),
        };
        duet_scores_lock lock;
        st = duet_scores_lock_acquire(a.output, &lock, &log, &err);
        if (st == DUET_OK)
            st = duet_influence_run(&req, NULL, 0, &err);
        duet_scores_lock_release(&lock);
    }
    if (st != DUET_OK) {
        fprintf(stderr, "duet influence: %s\n", err.msg);
        return duet_status_exit_code(st);
    }
    return 0;
}
