/*
 * `duet bench influence [POOL.h5] [options]`: times every influence estimator on a pool and
 * prints one table row per estimator. Without a pool file it generates a logistic-regression
 * pool in a temporary file, removed afterwards.
 *
 * Invariant: a generated pool file is removed on every exit path after it was created.
 */
#include "cli/cmd_influence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_influence.h"
#include "influence/factory.h"
#include "util/error.h"

typedef struct bench_args {
    const char *pool, *model, *estimators;
    long domains, items, heldout, features, classes, threads;
    double l2, train_tol;
    int help;
} bench_args;

static void print_bench_usage(FILE *out)
{
    fprintf(out,
            "usage: duet bench influence [POOL.h5] [options]\n"
            "\n"
            "Scores every training item of the pool with each estimator and prints wall time,\n"
            "scores per second, Hessian-vector products and agreement with a conjugate-gradient\n"
            "reference solved to relative residual 1e-12. Each domain's model is trained once.\n"
            "Without POOL.h5 a logistic-regression pool is generated.\n"
            "\n"
            "options:\n"
            "  --model NAME          model factory for POOL.h5 (default %s)\n"
            "  --estimators LIST     comma-separated (default exact,cg,lissa,identity,datainf)\n"
            "  --domains N           generated pool: domains (default 4)\n"
            "  --items N             generated pool: training items per domain (default 5000)\n"
            "  --heldout N           generated pool: held-out items per domain (default 500)\n"
            "  --features N          generated pool: features per item (default 32)\n"
            "  --classes N           generated pool: classes (default 8)\n"
            "  --l2 X                generated pool: L2 strength of the objective (default 1e-3)\n"
            "  --train-tol X         gradient-norm tolerance of training; 0 (default) takes the\n"
            "                        model's: 1e-8 for logreg, 1e-4 for charlm and postag\n"
            "  --threads N           domains trained and scored at once (default 1)\n"
            "  -h, --help            print this help\n",
            duet_influence_factories[0]->name);
}

static int bench_usage_error(const char *message, const char *arg)
{
    fprintf(stderr, "duet bench influence: %s%s\n", message, arg);
    fprintf(stderr, "Run `duet bench influence --help` for the options.\n");
    return 2;
}

static int parse_bench_number(const char *text, double *out)
{
    char *end = NULL;
    *out = text ? strtod(text, &end) : 0;
    return text != NULL && end != text && *end == '\0';
}

static int parse_bench_args(int argc, char **argv, bench_args *a)
{
    *a = (bench_args){NULL,
                      duet_influence_factories[0]->name,
                      "exact,cg,lissa,identity,datainf",
                      4,
                      5000,
                      500,
                      32,
                      8,
                      1,
                      1e-3,
                      0,
                      0};
    static const char *const counts[] = {"--domains",  "--items",   "--heldout",
                                         "--features", "--classes", "--threads"};
    long *count_fields[] = {&a->domains,  &a->items,   &a->heldout,
                            &a->features, &a->classes, &a->threads};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        double x = 0;
        int matched = 0;
        for (size_t k = 0; k < 6; k++) {
            if (strcmp(arg, counts[k]) == 0) {
                if (!parse_bench_number(next, &x) || x < 1 || x > 1e8)
                    return bench_usage_error("needs a count from 1 to 1e8: ", arg);
                *count_fields[k] = (long)x;
                matched = 1;
                i++;
            }
        }
        if (matched)
            continue;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            a->help = 1;
        } else if (strcmp(arg, "--model") == 0 || strcmp(arg, "--estimators") == 0) {
            if (next == NULL)
                return bench_usage_error("needs a value: ", arg);
            *(arg[2] == 'm' ? &a->model : &a->estimators) = next;
            i++;
        } else if (strcmp(arg, "--l2") == 0 || strcmp(arg, "--train-tol") == 0) {
            if (!parse_bench_number(next, &x) || !(x >= 0))
                return bench_usage_error("needs a non-negative number: ", arg);
            *(arg[2] == 'l' ? &a->l2 : &a->train_tol) = x;
            i++;
        } else if (arg[0] == '-' || a->pool != NULL) {
            return bench_usage_error("unexpected argument ", arg);
        } else {
            a->pool = arg;
        }
    }
    return 0;
}

/* Splits the comma-separated list into est[0..8], NULL-terminated. */
static int parse_estimators(const char *list, const duet_influence_estimator **est)
{
    char buf[256], *save = NULL;
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        const duet_influence_estimator *e = duet_influence_estimator_find(tok);
        if (e == NULL)
            return bench_usage_error("unknown estimator ", tok);
        if (n == 8)
            return bench_usage_error("at most 8 estimators: ", list);
        est[n++] = e;
    }
    est[n] = NULL;
    return n == 0 ? bench_usage_error("no estimator given: ", list) : 0;
}

static void print_result(const char *pool, const duet_bench_influence_result *r)
{
    printf("pool %s: %llu training items, %zu parameters, %zu thread%s; training took %.3f s, "
           "the cg reference (tol 1e-12) %.3f s\n",
           pool, (unsigned long long)r->items, r->n_params, r->threads, r->threads == 1 ? "" : "s",
           r->train_seconds, r->reference_seconds);
    printf("%-9s %10s %12s %8s %14s %10s\n", "estimator", "seconds", "scores/s", "HVPs",
           "max rel diff", "pearson");
    for (size_t e = 0; e < r->n_rows; e++) {
        const duet_bench_influence_row *row = &r->rows[e];
        if (row->skipped) {
            printf("%-9s skipped: the model exceeds the estimator's size limit\n",
                   row->estimator->name);
            continue;
        }
        printf("%-9s %10.4f %12.0f %8zu %14.3g %10.6f\n", row->estimator->name, row->seconds,
               row->seconds > 0 ? (double)row->items / row->seconds : 0.0, row->hvps,
               row->max_rel_diff, row->pearson);
    }
}

int duet_cmd_bench_influence(int argc, char **argv)
{
    bench_args a;
    const duet_influence_estimator *est[9];
    int rc = parse_bench_args(argc, argv, &a);
    if (rc != 0)
        return rc;
    if (a.help) {
        print_bench_usage(stdout);
        return 0;
    }
    if ((rc = parse_estimators(a.estimators, est)) != 0)
        return rc;
    const duet_influence_model_factory *factory = duet_influence_factory_find(a.model);
    if (factory == NULL)
        return bench_usage_error("unknown model ", a.model);
    duet_error err;
    duet_error_clear(&err);
    duet_status st = DUET_OK;
    char generated[512] = "";
    if (a.pool == NULL) {
        const char *tmp = getenv("TMPDIR");
        snprintf(generated, sizeof generated, "%s/duet-bench-influence-%ld.h5", tmp ? tmp : "/tmp",
                 (long)getpid());
        factory = &duet_influence_factory_logreg;
        st = duet_logreg_pool_generate(generated, 1, (size_t)a.domains, (size_t)a.items,
                                       (size_t)a.heldout, (size_t)a.features, (size_t)a.classes,
                                       a.l2, &err);
    }
    duet_bench_influence_result result;
    if (st == DUET_OK)
        st = duet_bench_influence(a.pool ? a.pool : generated, factory, est,
                                  a.train_tol > 0 ? a.train_tol : factory->default_train_tol,
                                  (size_t)a.threads, &result, &err);
    if (generated[0] != '\0')
        remove(generated);
    if (st != DUET_OK) {
        fprintf(stderr, "duet bench influence: %s\n", err.msg);
        return duet_status_exit_code(st);
    }
    print_result(a.pool ? a.pool : "(generated)", &result);
    return 0;
}
