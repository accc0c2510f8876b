/*
 * The cached scoring loop behind `duet influence`: key, probe, and train-score-write per
 * domain.
 *
 * Invariant: a domain's dataset is rewritten only after its scores were computed in full, so an
 * interrupted or failed run leaves either the old scores or the new ones, never a mix.
 */
#include "influence/run.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "influence/scores_file.h"
#include "util/mem.h"
#include "util/rng.h"

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Estimator name and settings text recorded for the request's kind. */
static duet_status describe(const duet_influence_request *req, duet_scores_meta *meta,
                            duet_error *err)
{
    if (strcmp(req->kind, "less") == 0) {
        snprintf(meta->estimator, sizeof meta->estimator, "less");
        meta->settings[0] = '\0';
        return DUET_OK;
    }
    if (strcmp(req->kind, "influence") != 0)
        return duet_error_set(err, DUET_EINVAL, "score kind '%s' is unknown; use influence or less",
                              req->kind);
    snprintf(meta->estimator, sizeof meta->estimator, "%s", req->estimator->name);
    return duet_influence_settings_format(req->estimator, req->settings, meta->settings,
                                          sizeof meta->settings, err);
}

static void cache_key(const duet_influence_request *req, const duet_scores_meta *meta,
                      const char *domain, char out[17])
{
    char text[256];
    uint64_t h = DUET_FNV_OFFSET;
    snprintf(text, sizeof text, "pool=%s\nmodel=", meta->pool_hash);
    h = duet_hash_string(h, text);
    h = duet_hash_string(h, meta->model);
    snprintf(text, sizeof text,
             "\ntrain_tol=%.17g\nseed=%llu\nkind=%s\nestimator=%s\nsettings=", req->train_tol,
             (unsigned long long)req->seed, req->kind, meta->estimator);
    h = duet_hash_string(h, text);
    h = duet_hash_string(h, meta->settings);
    h = duet_hash_string(h, "\ndomain=");
    h = duet_hash_string(h, domain);
    h = duet_hash_string(h, "\n");
    duet_hash_hex(h, out);
}

/* Trains the domain's model and computes its scores into *scores (allocated here). */
static duet_status score_domain(const duet_influence_request *req, duet_influence_domain *dom,
                                const char *name, double **scores, duet_influence_report *rep,
                                duet_error *err)
{
    const duet_diffmodel *m = &dom->model;
    double *theta = duet_calloc(m->n_params, sizeof *theta);
    *scores = duet_malloc(dom->n_train * sizeof **scores);
    duet_status st = DUET_OK;
    if (theta == NULL || *scores == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "domain %s: no memory for %zu scores", name,
                            dom->n_train);
        goto done;
    }
    duet_rng rng;
    duet_rng_init(&rng, duet_seed_label(duet_seed_label(req->seed, "influence"), name));
    st = m->train(m->self, dom->train, dom->n_train, req->train_tol, &rng, theta, err);
    if (st != DUET_OK) {
        duet_error_prefix(err, "domain %s, training", name);
        goto done;
    }
    duet_influence_problem pb = {m, theta, dom->train, dom->n_train};
    if (strcmp(req->kind, "less") == 0)
        st = duet_influence_less_scores(&pb, dom->heldout, dom->n_heldout, *scores, err);
    else
        st = duet_influence_scores(&pb, dom->heldout, dom->n_heldout, req->estimator, req->settings,
                                   *scores, rep, err);
    if (st != DUET_OK)
        duet_error_prefix(err, "domain %s", name);
done:
    duet_free(theta);
    return st;
}

/* Trains, scores and writes one domain. */
static duet_status compute_domain(const duet_influence_request *req, void *pool, size_t index,
                                  duet_scores_meta *meta, double started, duet_error *err)
{
    const char *name = req->factory->domain_name(pool, index);
    duet_influence_domain dom;
    duet_influence_report rep = {0};
    double *scores = NULL;
    duet_status st = req->factory->domain_open(pool, index, &dom, err);
    if (st != DUET_OK)
        return st;
    st = score_domain(req, &dom, name, &scores, &rep, err);
    meta->n_heldout = (int64_t)dom.n_heldout;
    meta->seconds = seconds_now() - started;
    if (st == DUET_OK)
        st = duet_scores_write(req->scores_path, req->kind, name, scores, dom.n_train, meta, err);
    if (st == DUET_OK)
        duet_logf(req->log, DUET_LOG_INFO,
                  "domain %s: computed %s scores of %zu items against %zu held-out items with "
                  "%s in %.3f s (%zu Hessian-vector products)",
                  name, req->kind, dom.n_train, dom.n_heldout, meta->estimator, meta->seconds,
                  rep.hvps);
    duet_free(scores);
    req->factory->domain_close(pool, &dom);
    return st;
}

static duet_status find_domain(const duet_influence_request *req, void *pool, const char *name,
                               size_t *index, duet_error *err)
{
    size_t n = req->factory->domain_count(pool);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(req->factory->domain_name(pool, i), name) == 0) {
            *index = i;
            return DUET_OK;
        }
    }
    return duet_error_set(err, DUET_ENOTFOUND,
                          "domain %s is not in pool %s (it has %zu domains, the first is %s)", name,
                          req->pool_path, n, n ? req->factory->domain_name(pool, 0) : "-");
}

/* Reuses or computes one domain. */
static duet_status run_domain(const duet_influence_request *req, void *pool, size_t index,
                              duet_scores_meta *meta, duet_scores_outcome *outcome, duet_error *err)
{
    const char *name = req->factory->domain_name(pool, index);
    double started = seconds_now();
    cache_key(req, meta, name, meta->key);
    int found = 0;
    uint64_t n_cached = 0;
    duet_scores_meta cached;
    duet_status st =
        duet_scores_probe(req->scores_path, req->kind, name, &found, &n_cached, &cached, err);
    if (st != DUET_OK)
        return st;
    if (found && strcmp(cached.key, meta->key) == 0) {
        *outcome = DUET_SCORES_REUSED;
        duet_logf(req->log, DUET_LOG_INFO,
                  "domain %s: reused cached %s scores of %llu items (key %s)", name, req->kind,
                  (unsigned long long)n_cached, meta->key);
        return DUET_OK;
    }
    *outcome = found ? DUET_SCORES_RECOMPUTED : DUET_SCORES_COMPUTED;
    if (found)
        duet_logf(req->log, DUET_LOG_INFO,
                  "domain %s: cached %s scores are stale (key %s, now %s: the pool, model or "
                  "estimator settings changed); recomputing",
                  name, req->kind, cached.key[0] ? cached.key : "none", meta->key);
    return compute_domain(req, pool, index, meta, started, err);
}

duet_status duet_influence_run(const duet_influence_request *req, duet_scores_outcome *outcomes,
                               size_t capacity, duet_error *err)
{
    duet_scores_meta meta;
    memset(&meta, 0, sizeof meta);
    uint64_t pool_hash = 0;
    duet_status st = describe(req, &meta, err);
    if (st == DUET_OK)
        st = duet_hash_file(req->pool_path, &pool_hash, err);
    if (st != DUET_OK)
        return st;
    duet_hash_hex(pool_hash, meta.pool_hash);
    void *pool = req->pool_state;
    if (pool == NULL)
        st = req->factory->open(req->pool_path, &pool, err);
    if (st != DUET_OK)
        return st;
    snprintf(meta.model, sizeof meta.model, "%s", req->factory->model_settings(pool));
    size_t count = req->domains ? req->n_domains : req->factory->domain_count(pool);
    for (size_t k = 0; k < count && st == DUET_OK; k++) {
        size_t index = k;
        if (req->domains != NULL)
            st = find_domain(req, pool, req->domains[k], &index, err);
        duet_scores_outcome outcome = DUET_SCORES_COMPUTED;
        if (st == DUET_OK)
            st = run_domain(req, pool, index, &meta, &outcome, err);
        if (st == DUET_OK && outcomes != NULL && k < capacity)
            outcomes[k] = outcome;
    }
    if (req->pool_state == NULL)
        req->factory->close(pool);
    return st;
}
