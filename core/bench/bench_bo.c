/*
 * `duet bench bo`: wall-clock time of BO steps in duet and in scikit-learn + SciPy.
 *
 * Every case builds a fresh duet_bo with the option table's defaults, observes n Dirichlet
 * mixtures of a smooth bump utility with noise (not timed), and times duet_bo_propose, which
 * fits the hyperparameters and maximizes the acquisition. The peer script draws data of the
 * same kind with NumPy, so the two sides see equally sized but not identical data. The peer
 * runs after all duet timings, so the two never compete for the cores.
 */
#include "bench/bench_bo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bo/bo.h"
#include "util/rng.h"

#define MAX_CASES   64
#define MAX_DOMAINS 64
#define PYTHON      "/usr/bin/python3"

typedef struct bench_case {
    const char *kind;                  /* "step" or "kept" */
    size_t n, d;                       /* observations and domains */
    double duet_seconds, peer_seconds; /* peer: NaN when not measured */
} bench_case;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The benchmark utility: a Gaussian bump of width 0.25 around target, plus noise sd 0.02. */
static double utility(const double *r, const double *target, size_t d, duet_rng *rng)
{
    double d2 = 0.0;
    for (size_t k = 0; k < d; k++)
        d2 += (r[k] - target[k]) * (r[k] - target[k]);
    return exp(-d2 / (2.0 * 0.25 * 0.25)) + 0.02 * duet_rng_normal(rng);
}

/* Creates a BO over d domains and observes n random mixtures. */
static duet_bo *loaded_bo(const duet_bo_options *o, size_t n, size_t d, duet_rng *rng,
                          double *target, duet_error *err)
{
    duet_bo *bo = duet_bo_new(d, o, err);
    double r[MAX_DOMAINS];
    duet_rng_dirichlet(rng, d, NULL, target);
    for (size_t i = 0; bo != NULL && i < n; i++) {
        duet_rng_dirichlet(rng, d, NULL, r);
        if (duet_bo_observe(bo, r, utility(r, target, d, rng), err) != DUET_OK) {
            duet_bo_free(bo);
            bo = NULL;
        }
    }
    return bo;
}

/* Median over up to three fresh optimizers of one fit-and-propose step. */
static duet_status time_step(bench_case *c, duet_error *err)
{
    duet_bo_options o;
    duet_bo_options_init(&o);
    size_t reps = c->n <= 200 ? 3 : 1;
    double times[3], target[MAX_DOMAINS], r[MAX_DOMAINS];
    for (size_t rep = 0; rep < reps; rep++) {
        duet_rng rng;
        duet_rng_init(&rng, duet_seed_index(duet_seed_label(0, "bench-bo"), c->n * 100 + rep));
        duet_bo *bo = loaded_bo(&o, c->n, c->d, &rng, target, err);
        if (bo == NULL)
            return err != NULL ? err->status : DUET_ENOMEM;
        double start = now_seconds();
        duet_status st = duet_bo_propose(bo, 0, &rng, r, NULL, err);
        times[rep] = now_seconds() - start;
        duet_bo_free(bo);
        if (st != DUET_OK)
            return st;
    }
    if (reps == 3) {
        double lo = fmin(times[0], fmin(times[1], times[2]));
        double hi = fmax(times[0], fmax(times[1], times[2]));
        times[0] = times[0] + times[1] + times[2] - lo - hi;
    }
    c->duet_seconds = times[0];
    return DUET_OK;
}

/*
 * With the hyperparameters of one initial fit kept: the mean time of a proposal at n
 * observations (case "kept"), then of adding one observation (case "observe", n growing from
 * n to n + 49), each over 50 calls.
 */
static duet_status time_kept(bench_case *kept, bench_case *observe, duet_error *err)
{
    duet_bo_options o;
    duet_bo_options_init(&o);
    o.fit_every = 1000000;
    double target[MAX_DOMAINS], r[MAX_DOMAINS];
    duet_rng rng;
    duet_rng_init(&rng, duet_seed_label(0, "bench-bo-kept"));
    duet_bo *bo = loaded_bo(&o, kept->n, kept->d, &rng, target, err);
    if (bo == NULL)
        return err != NULL ? err->status : DUET_ENOMEM;
    duet_status st = duet_bo_propose(bo, 0, &rng, r, NULL, err);
    const size_t calls = 50;
    double start = now_seconds();
    for (size_t i = 0; st == DUET_OK && i < calls; i++)
        st = duet_bo_propose(bo, i + 1, &rng, r, NULL, err);
    kept->duet_seconds = (now_seconds() - start) / (double)calls;
    double total = 0.0;
    for (size_t i = 0; st == DUET_OK && i < calls; i++) {
        duet_rng_dirichlet(&rng, kept->d, NULL, r);
        double y = utility(r, target, kept->d, &rng);
        start = now_seconds();
        st = duet_bo_observe(bo, r, y, err);
        total += now_seconds() - start;
    }
    observe->duet_seconds = total / (double)calls;
    duet_bo_free(bo);
    return st;
}

/* Path of the peer script, or NULL when it or the interpreter is missing. */
static const char *peer_script(char *buf, size_t size)
{
    const char *root = getenv("DUET_SOURCE_DIR");
#ifdef DUET_SOURCE_DIR
    if (root == NULL || root[0] == '\0')
        root = DUET_SOURCE_DIR;
#endif
    if (root == NULL)
        return NULL;
    snprintf(buf, size, "%s/tests/peer/bench_bo_sklearn.py", root);
    if (access(PYTHON, X_OK) != 0 || access(buf, R_OK) != 0)
        return NULL;
    return buf;
}

/* Runs the peer once for all cases and stores its seconds; leaves NaN where it printed none. */
static void run_peer(bench_case *cases, size_t count)
{
    char script[1024], cmd[8192];
    if (peer_script(script, sizeof script) == NULL)
        return;
    duet_bo_options o;
    duet_bo_options_init(&o);
    int len = snprintf(cmd, sizeof cmd, "%s %s %lld %lld %lld %lld", PYTHON, script,
                       (long long)o.restarts, (long long)o.fit_iterations, (long long)o.candidates,
                       (long long)o.refine);
    for (size_t i = 0; i < count && len > 0 && (size_t)len < sizeof cmd; i++)
        if (strcmp(cases[i].kind, "observe") != 0)
            len += snprintf(cmd + len, sizeof cmd - (size_t)len, " %s:%zu:%zu", cases[i].kind,
                            cases[i].n, cases[i].d);
    if (len <= 0 || (size_t)len >= sizeof cmd)
        return;
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return;
    char kind[16];
    size_t n, d;
    double seconds;
    while (fscanf(p, "%15s %zu %zu %lf", kind, &n, &d, &seconds) == 4)
        for (size_t i = 0; i < count; i++)
            if (strcmp(cases[i].kind, kind) == 0 && cases[i].n == n && cases[i].d == d)
                cases[i].peer_seconds = seconds;
    pclose(p);
}

static void print_table(FILE *out, int tsv, const bench_case *cases, size_t count)
{
    if (tsv)
        fputs("case\tn\td\tduet_ms\tsklearn_ms\tratio\n", out);
    else
        fprintf(out, "%-7s %5s %3s %12s %12s %8s\n", "case", "n", "d", "duet_ms", "sklearn_ms",
                "ratio");
    for (size_t i = 0; i < count; i++) {
        const bench_case *c = cases + i;
        char peer[32] = "n/a", ratio[32] = "n/a";
        if (!isnan(c->peer_seconds)) {
            snprintf(peer, sizeof peer, "%.3f", 1e3 * c->peer_seconds);
            snprintf(ratio, sizeof ratio, "%.1f", c->peer_seconds / c->duet_seconds);
        }
        if (tsv)
            fprintf(out, "%s\t%zu\t%zu\t%.3f\t%s\t%s\n", c->kind, c->n, c->d, 1e3 * c->duet_seconds,
                    peer, ratio);
        else
            fprintf(out, "%-7s %5zu %3zu %12.3f %12s %8s\n", c->kind, c->n, c->d,
                    1e3 * c->duet_seconds, peer, ratio);
    }
}

duet_status duet_bench_bo_grid(FILE *out, int tsv, const size_t *counts, size_t n_counts,
                               const size_t *dims, size_t n_dims, size_t kept_n, size_t kept_d,
                               int with_peer, duet_error *err)
{
    bench_case cases[MAX_CASES];
    size_t count = 0;
    if (n_counts * n_dims + 2 > MAX_CASES)
        return duet_error_set(err, DUET_ELIMIT, "BO benchmark grid of %zu cases exceeds %d",
                              n_counts * n_dims + 2, MAX_CASES);
    for (size_t j = 0; j < n_dims; j++)
        for (size_t i = 0; i < n_counts; i++)
            cases[count++] = (bench_case){"step", counts[i], dims[j], NAN, NAN};
    if (kept_n > 0) {
        cases[count++] = (bench_case){"kept", kept_n, kept_d, NAN, NAN};
        cases[count++] = (bench_case){"observe", kept_n, kept_d, NAN, NAN};
    }
    for (size_t i = 0; i < count; i++) {
        if (cases[i].d < 2 || cases[i].d > MAX_DOMAINS || cases[i].n == 0)
            return duet_error_set(err, DUET_EINVAL,
                                  "BO benchmark case n = %zu, d = %zu is invalid; use n >= 1 "
                                  "and 2 <= d <= %d",
                                  cases[i].n, cases[i].d, MAX_DOMAINS);
        if (strcmp(cases[i].kind, "observe") == 0)
            continue; /* timed together with the preceding "kept" case */
        duet_status st = strcmp(cases[i].kind, "kept") == 0
                             ? time_kept(cases + i, cases + i + 1, err)
                             : time_step(cases + i, err);
        if (st != DUET_OK) {
            duet_error_prefix(err, "BO benchmark n = %zu, d = %zu", cases[i].n, cases[i].d);
            return st;
        }
    }
    if (with_peer)
        run_peer(cases, count);
    print_table(out, tsv, cases, count);
    return ferror(out) ? duet_error_set(err, DUET_EIO, "writing the BO benchmark table failed")
                       : DUET_OK;
}

duet_status duet_bench_bo(FILE *out, int tsv, duet_error *err)
{
    const size_t counts[4] = {10, 50, 200, 1000}, dims[3] = {3, 9, 16};
    return duet_bench_bo_grid(out, tsv, counts, 4, dims, 3, 100, 9, 1, err);
}
