/*
 * Scoring a whole pool with caching: the library side of `duet influence`. For every selected
 * domain it trains the factory's model on the training split, computes scores of one kind, and
 * writes them to the scores file. Scores already in the file under the same cache key are
 * reused instead.
 *
 * The cache key of (kind, domain) is the FNV-1a 64 hash of the text
 *     "pool=<hash of the pool file's bytes>\nmodel=<factory's model settings>\n"
 *     "train_tol=<%.17g>\nseed=<%llu>\nkind=<kind>\nestimator=<name>\nsettings=<text>\n"
 *     "domain=<name>\n"
 * so changing the pool file, the model, the training tolerance, the seed, the estimator or any
 * of its settings makes the cached scores stale.
 */
#ifndef DUET_INFLUENCE_RUN_H
#define DUET_INFLUENCE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "influence/factory.h"
#include "influence/influence.h"
#include "util/error.h"
#include "util/log.h"

typedef enum duet_scores_outcome {
    DUET_SCORES_COMPUTED = 0,   /* no scores were cached for this domain */
    DUET_SCORES_REUSED = 1,     /* cached scores had the same key */
    DUET_SCORES_RECOMPUTED = 2, /* cached scores had another key (or none) and were replaced */
} duet_scores_outcome;

typedef struct duet_influence_request {
    const char *pool_path;
    const char *scores_path;
    const duet_influence_model_factory *factory;
    /*
     * Factory state already open over pool_path, borrowed; NULL makes the run open (and close)
     * the factory itself. A backend passes the state that carries its own model options.
     */
    void *pool_state;
    const char *kind;                          /* "influence" or "less" */
    const duet_influence_estimator *estimator; /* kind "influence" only */
    const duet_influence_settings *settings;   /* kind "influence" only */
    double train_tol;                          /* gradient-norm tolerance of training */
    uint64_t seed;                             /* seed of the training stream per domain */
    const char *const *domains;                /* [n_domains] names; NULL for every domain */
    size_t n_domains;
    const duet_log *log; /* one INFO line per domain: reused or computed */
    /*
     * Domains trained and scored at once, on worker threads; 0 or 1 computes on the calling
     * thread. Used only when the factory sets concurrent_domains. Results do not depend on it.
     */
    size_t threads;
} duet_influence_request;

/* Upper bound on duet_influence_request.threads; larger values are clamped. */
#define DUET_INFLUENCE_MAX_THREADS 64

/*
 * Runs the request. The run does not lock the scores file: callers that may share it with other
 * processes hold duet_scores_lock around the run and their reads. outcomes, when not NULL,
 * receives one entry per processed domain in processing order (the request's order, or the
 * factory's), at most `capacity` of them. Every named domain is resolved and probed before any
 * is computed. Stops at the first failing domain in that order; domains written before it stay
 * in the file.
 */
duet_status duet_influence_run(const duet_influence_request *req, duet_scores_outcome *outcomes,
                               size_t capacity, duet_error *err);

#endif
