/*
 * The influence benchmark: trains each domain's model once, scores the domain with a tight
 * conjugate-gradient reference and with every requested estimator, and sums times and work.
 *
 * Invariant: all estimators score the same trained parameters, so their differences come from
 * the solve alone. Scores of every estimator are kept until the end for the agreement figures.
 */
#include "bench/bench_influence.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"
#include "util/rng.h"

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

/* Scores one domain with the reference and every estimator into scores[e][offset ...]. */
static duet_status bench_domain(const duet_influence_domain *dom,
                                const duet_influence_estimator *const *estimators, size_t n_est,
                                double train_tol, double **scores, uint64_t offset,
                                duet_bench_influence_result *out, duet_error *err)
{
    const duet_diffmodel *m = &dom->model;
    double *theta = duet_calloc(m->n_params, sizeof *theta);
    if (theta == NULL)
        return duet_error_set(err, DUET_ENOMEM, "influence benchmark: no memory");
    duet_rng rng;
    duet_rng_init(&rng, 0);
    double t0 = seconds_now();
    duet_status st = m->train(m->self, dom->train, dom->n_train, train_tol, &rng, theta, err);
    out->train_seconds += seconds_now() - t0;
    duet_influence_problem pb = {m, theta, dom->train, dom->n_train};
    for (size_t e = 0; e <= n_est && st == DUET_OK; e++) {
        const duet_influence_estimator *est = e == 0 ? &duet_influence_cg : estimators[e - 1];
        duet_bench_influence_row *row = e == 0 ? NULL : &out->rows[e - 1];
        duet_influence_settings settings;
        duet_influence_report rep;
        st = duet_influence_settings_defaults(est, &settings, err);
        if (e == 0)
            settings.tol = 1e-12;
        if (st != DUET_OK)
            break;
        st = duet_influence_scores(&pb, dom->heldout, dom->n_heldout, est, &settings,
                                   scores[e] + offset, &rep, err);
        if (st == DUET_ELIMIT && row != NULL) {
            row->skipped = 1;
            st = DUET_OK;
            continue;
        }
        if (row == NULL) {
            out->reference_seconds += rep.seconds;
        } else {
            row->seconds += rep.seconds;
            row->hvps += rep.hvps;
            row->items += dom->n_train;
        }
    }
    duet_free(theta);
    return st;
}

/* Training items of every domain, opening each once. */
static duet_status count_items(const duet_influence_model_factory *factory, void *pool,
                               duet_bench_influence_result *out, duet_error *err)
{
    size_t n = factory->domain_count(pool);
    for (size_t d = 0; d < n; d++) {
        duet_influence_domain dom;
        duet_status st = factory->domain_open(pool, d, &dom, err);
        if (st != DUET_OK)
            return st;
        if (d == 0)
            out->n_params = dom.model.n_params;
        out->items += dom.n_train;
        factory->domain_close(pool, &dom);
    }
    return DUET_OK;
}

duet_status duet_bench_influence(const char *pool_path, const duet_influence_model_factory *factory,
                                 const duet_influence_estimator *const *estimators,
                                 double train_tol, duet_bench_influence_result *out,
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
    for (size_t e = 0; e < n_est; e++)
        out->rows[e].estimator = estimators[e];
    void *pool = NULL;
    duet_status st = factory->open(pool_path, &pool, err);
    if (st == DUET_OK)
        st = count_items(factory, pool, out, err);
    double *scores[9] = {NULL};
    for (size_t e = 0; e <= n_est && st == DUET_OK; e++) {
        scores[e] = duet_calloc(out->items ? out->items : 1, sizeof *scores[e]);
        if (scores[e] == NULL)
            st = duet_error_set(err, DUET_ENOMEM, "influence benchmark: no memory for scores");
    }
    uint64_t offset = 0;
    size_t n_domains = st == DUET_OK ? factory->domain_count(pool) : 0;
    for (size_t d = 0; d < n_domains && st == DUET_OK; d++) {
        duet_influence_domain dom;
        st = factory->domain_open(pool, d, &dom, err);
        if (st != DUET_OK)
            break;
        st = bench_domain(&dom, estimators, n_est, train_tol, scores, offset, out, err);
        offset += dom.n_train;
        factory->domain_close(pool, &dom);
    }
    for (size_t e = 0; e < n_est && st == DUET_OK; e++) {
        if (!out->rows[e].skipped)
            compare(scores[e + 1], scores[0], out->items, &out->rows[e]);
    }
    for (size_t e = 0; e <= n_est; e++)
        duet_free(scores[e]);
    if (pool != NULL)
        factory->close(pool);
    return st;
}
