/*
 * Influence benchmark: for every estimator, the wall time to score every training item of a
 * pool (one model per domain, trained once and shared by the estimators), scores per second,
 * and agreement with a tight conjugate-gradient reference. Domains are trained and scored on
 * `threads` threads at once; every figure is wall time over all domains.
 */
#ifndef DUET_BENCH_INFLUENCE_H
#define DUET_BENCH_INFLUENCE_H

#include <stddef.h>
#include <stdint.h>

#include "influence/factory.h"
#include "influence/influence.h"
#include "util/error.h"

typedef struct duet_bench_influence_row {
    const duet_influence_estimator *estimator;
    double seconds;      /* wall time of held-out gradients, solves and scoring, all domains */
    uint64_t items;      /* training items scored */
    size_t hvps;         /* Hessian-vector products, summed over domains */
    double max_rel_diff; /* max_i |score_i - ref_i| / max_i |ref_i| over all domains */
    double pearson;      /* Pearson correlation with the reference over all items */
    int skipped;         /* 1 when the estimator refused the model (exact above max_params) */
} duet_bench_influence_row;

typedef struct duet_bench_influence_result {
    size_t n_params;          /* parameters of the first domain's model */
    uint64_t items;           /* training items in the pool */
    double train_seconds;     /* wall time of training every domain's model once */
    double reference_seconds; /* wall time of the reference cg run (tol 1e-12) */
    size_t threads;           /* threads that trained and scored domains at once */
    size_t n_rows;
    duet_bench_influence_row rows[8];
} duet_bench_influence_result;

/*
 * Runs each estimator of `estimators` (NULL-terminated, at most 8) with default settings on
 * every domain of the pool. Models are trained to gradient norm train_tol. Domains are opened
 * one after another, then trained and scored on up to `threads` threads (1 computes on the
 * calling thread). All domains stay open together, so memory grows with the pool.
 */
duet_status duet_bench_influence(const char *pool_path, const duet_influence_model_factory *factory,
                                 const duet_influence_estimator *const *estimators,
                                 double train_tol, size_t threads, duet_bench_influence_result *out,
                                 duet_error *err);

#endif
