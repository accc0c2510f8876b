/*
 * The influence benchmark: opens every domain, trains each domain's model once, then scores all
 * domains with a tight conjugate-gradient reference and with every requested estimator in turn.
 * Each phase runs its domains on worker threads and is timed by the wall clock.
 *
 * Invariant: all estimators score the same trained parameters, so their differences come from
 * the solve alone. A thread works on one domain at a time and each domain has its own model, so
 * no model is used by two threads at once. Scores of every estimator are kept until the end for
 * the agreement figures.
 */
#include "bench/bench_influence.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"
#include "util/rng.h"

#define BENCH_MAX_THREADS 64

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void compare(const double *s, const double *ref, uint64_t n, duet_bench_influence_row *row)
{
    double num = 0, den = 0, ms = 0, mr = 0, sab = 0, saa = 0, sbb = 0;
    for (uint64_t i = 0; i < n; i++) {
        num = fmax(num, fabs(s[i] - ref[i]));
        den = fmax(den, fabs(ref[i]));
        ms += s[i] / (double)n;
        mr += ref[i] / (double)n;
    }
    for (uint64_t i = 0; i < n; i++) {
        sab += (s[i] - ms) * (ref[i] - mr);
        saa += (s[i] - ms) * (s[i] - ms);
        sbb += (ref[i] - mr) * (ref[i] - mr);
    }
    row->max_rel_diff = den > 0 ? num / den : NAN;
    row->pearson = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

/* One open domain and what the current phase computed for it. */
typedef struct bench_domain {
    duet_influence_domain dom;
    int open;
    double *theta;   /* [n_params] trained parameters */
    uint64_t offset; /* position of the domain's first item in the score arrays */
    duet_status status;
    duet_error err;
    size_t hvps;
} bench_domain;

/* A phase: training (estimator NULL) or scoring with one estimator, over all domains. */
typedef struct bench_phase {
    bench_domain *domains;
    size_t n_domains;
    double train_tol;
    const duet_influence_estimator *estimator;
    const duet_influence_settings *settings;
    double *scores; /* [items] */
    size_t next;    /* next domain to take */
    pthread_mutex_t mutex;
} bench_phase;

static void run_domain(bench_phase *ph, bench_domain *bd)
{
    const duet_diffmodel *m = &bd->dom.model;
    duet_error_clear(&bd->err);
    if (ph->estimator == NULL) {
        duet_rng rng;
        duet_rng_init(&rng, 0);
        bd->status = m->train(m->self, bd->dom.train, bd->dom.n_train, ph->train_tol, &rng,
                              bd->theta, &bd->err);
        return;
    }
    duet_influence_problem pb = {m, bd->theta, bd->dom.train, bd->dom.n_train};
    duet_influence_report rep;
    bd->status = duet_influence_scores(&pb, bd->dom.heldout, bd->dom.n_heldout, ph->estimator,
                                       ph->settings, ph->scores + bd->offset, &rep, &bd->err);
    bd->hvps = rep.hvps;
}

static void *phase_worker(void *arg)
{
    bench_phase *ph = arg;
    for (;;) {
        pthread_mutex_lock(&ph->mutex);
        size_t d = ph->next < ph->n_domains ? ph->next++ : ph->n_domains;
        pthread_mutex_unlock(&ph->mutex);
        if (d == ph->n_domains)
            return NULL;
        run_domain(ph, &ph->domains[d]);
    }
}

/* Runs the phase on up to `threads` threads; returns its wall time, or the first failure. */
static duet_status run_phase(bench_phase *ph, size_t threads, double *seconds, duet_error *err)
{
    pthread_t ids[BENCH_MAX_THREADS];
    size_t started = 0;
    double t0 = seconds_now();
    ph->next = 0;
    pthread_mutex_init(&ph->mutex, NULL);
    if (threads > 1)
        while (started < threads && pthread_create(&ids[started], NULL, phase_worker, ph) == 0)
            started++;
    if (started == 0)
        phase_worker(ph);
    for (size_t t = 0; t < started; t++)
        pthread_join(ids[t], NULL);
    pthread_mutex_destroy(&ph->mutex);
    *seconds = seconds_now() - t0;
    for (size_t d = 0; d < ph->n_domains; d++) {
        if (ph->domains[d].status != DUET_OK) {
            *err = ph->domains[d].err;
            return ph->domains[d].status;
        }
    }
    return DUET_OK;
}

/* Opens every domain (one after another: factories may read files) and allocates theta. */
static duet_status open_domains(const duet_influence_model_factory *factory, void *pool,
                                bench_domain *domains, size_t n, duet_bench_influence_result *out,
                                duet_error *err)
{
    for (size_t d = 0; d < n; d++) {
        duet_status st = factory->domain_open(pool, d, &domains[d].dom, err);
        if (st != DUET_OK)
            return st;
        domains[d].open = 1;
        domains[d].offset = out->items;
        out->items += domains[d].dom.n_train;
        if (d == 0)
            out->n_params = domains[d].dom.model.n_params;
        domains[d].theta = duet_calloc(domains[d].dom.model.n_params, sizeof(double));
        if (domains[d].theta == NULL)
            return duet_error_set(err, DUET_ENOMEM, "influence benchmark: no memory");
    }
    return DUET_OK;
}

/* Scores every domain with each estimator (e = 0 is the reference) into scores[e]. */
static duet_status score_all(bench_phase *ph, const duet_influence_estimator *const *estimators,
                             size_t n_est, size_t threads, double **scores,
                             duet_bench_influence_result *out, duet_error *err)
{
    duet_status st = DUET_OK;
    for (size_t e = 0; e <= n_est && st == DUET_OK; e++) {
        const duet_influence_estimator *est = e == 0 ? &duet_influence_cg : estimators[e - 1];
        duet_influence_settings settings;
        st = duet_influence_settings_defaults(est, &settings, err);
        if (st != DUET_OK)
            break;
        if (e == 0)
            settings.tol = 1e-12;
        ph->estimator = est;
        ph->settings = &settings;
        ph->scores = scores[e];
        double seconds = 0;
        st = run_phase(ph, threads, &seconds, err);
        duet_bench_influence_row *row = e == 0 ? NULL : &out->rows[e - 1];
        if (st == DUET_ELIMIT && row != NULL) {
            row->skipped = 1;
            st = DUET_OK;
            continue;
        }
        if (st != DUET_OK)
            break;
        if (row == NULL) {
            out->reference_seconds = seconds;
            continue;
        }
        row->seconds = seconds;
        row->items = out->items;
        for (size_t d = 0; d < ph->n_domains; d++)
            row->hvps += ph->domains[d].hvps;
    }
    return st;
}

duet_status duet_bench_influence(const char *pool_path, const duet_influence_model_factory *factory,
                                 const duet_influence_estimator *const *estimators,
                                 double train_tol, size_t threads, duet_bench_influence_result *out,
                                 duet_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n_est = 0;
    while (estimators[n_est] != NULL)
        n_est++;
    if (n_est > 8)
        return duet_error_set(err, DUET_ELIMIT,
                              "influence benchmark: %zu estimators given, at "
                              "most 8 are supported",
                              n_est);
    out->n_rows = n_est;
    out->threads = threads < 1 ? 1 : threads;
    if (out->threads > BENCH_MAX_THREADS)
        out->threads = BENCH_MAX_THREADS;
    for (size_t e = 0; e < n_est; e++)
        out->rows[e].estimator = estimators[e];
    void *pool = NULL;
    duet_status st = factory->open(pool_path, &pool, err);
    size_t n = st == DUET_OK ? factory->domain_count(pool) : 0;
    bench_domain *domains = duet_calloc(n ? n : 1, sizeof *domains);
    if (st == DUET_OK && domains == NULL)
        st = duet_error_set(err, DUET_ENOMEM, "influence benchmark: no memory");
    if (st == DUET_OK)
        st = open_domains(factory, pool, domains, n, out, err);
    double *scores[9] = {NULL};
    for (size_t e = 0; e <= n_est && st == DUET_OK; e++) {
        scores[e] = duet_calloc(out->items ? out->items : 1, sizeof *scores[e]);
        if (scores[e] == NULL)
            st = duet_error_set(err, DUET_ENOMEM, "influence benchmark: no memory for scores");
    }
    bench_phase ph = {.domains = domains, .n_domains = n, .train_tol = train_tol};
    if (st == DUET_OK)
        st = run_phase(&ph, out->threads, &out->train_seconds, err);
    if (st == DUET_OK)
        st = score_all(&ph, estimators, n_est, out->threads, scores, out, err);
    for (size_t e = 0; e < n_est && st == DUET_OK; e++) {
        if (!out->rows[e].skipped)
            compare(scores[e + 1], scores[0], out->items, &out->rows[e]);
    }
    for (size_t e = 0; e <= n_est; e++)
        duet_free(scores[e]);
    for (size_t d = 0; d < n && domains != NULL; d++) {
        if (domains[d].open)
            factory->domain_close(pool, &domains[d].dom);
        duet_free(domains[d].theta);
    }
    duet_free(domains);
    if (pool != NULL)
        factory->close(pool);
    return st;
}
