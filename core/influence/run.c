/*
 * The cached scoring loop behind `duet influence`: key, probe, and train-score-write per
 * domain.
 *
 * Domains whose scores must be computed are trained and scored on up to req->threads worker
 * threads when the factory allows concurrent domains. Only the main thread touches the scores
 * file and the log, in the order of the domains, so results and output do not depend on the
 * thread count.
 *
 * Invariant: a domain's dataset is rewritten only after its scores were computed in full, so an
 * interrupted or failed run leaves either the old scores or the new ones, never a mix.
 */
#include "influence/run.h"

#include <pthread.h>
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

/* One domain of a run: what the probe found and, once computed, its scores. */
typedef struct domain_job {
    size_t index; /* the factory's domain index */
    const char *name;
    char key[17];
    int needed; /* 1 when the scores must be computed */
    /* Filled by whoever computes the job; read by the main thread once done is set. */
    int done;
    duet_status status;
    duet_error err;
    double *scores; /* [n_train], owned */
    size_t n_train, n_heldout;
    duet_influence_report rep;
    double seconds;
} domain_job;

/* The jobs and the hand-out state that worker threads share with the main thread. */
typedef struct run_shared {
    const duet_influence_request *req;
    void *pool;
    domain_job *jobs;
    size_t n_jobs;
    size_t next; /* first job not yet handed out */
    int stop;    /* set by the main thread after a failure or at the end */
    pthread_mutex_t mutex;
    pthread_cond_t cond;
} run_shared;

/* Opens, trains and scores one domain into the job (no file access, no logging). */
static void compute_job(const duet_influence_request *req, void *pool, domain_job *job)
{
    double started = seconds_now();
    duet_influence_domain dom;
    duet_error_clear(&job->err);
    job->status = req->factory->domain_open(pool, job->index, &dom, &job->err);
    if (job->status != DUET_OK)
        return;
    job->n_train = dom.n_train;
    job->n_heldout = dom.n_heldout;
    job->status = score_domain(req, &dom, job->name, &job->scores, &job->rep, &job->err);
    req->factory->domain_close(pool, &dom);
    job->seconds = seconds_now() - started;
}

/* Index of the next needed job at or after sh->next, or n_jobs; call with the mutex held. */
static size_t take_job(run_shared *sh)
{
    size_t k = sh->next;
    while (k < sh->n_jobs && !sh->jobs[k].needed)
        k++;
    sh->next = k < sh->n_jobs ? k + 1 : k;
    return k;
}

static void *worker(void *arg)
{
    run_shared *sh = arg;
    for (;;) {
        pthread_mutex_lock(&sh->mutex);
        size_t k = sh->stop ? sh->n_jobs : take_job(sh);
        pthread_mutex_unlock(&sh->mutex);
        if (k == sh->n_jobs)
            return NULL;
        compute_job(sh->req, sh->pool, &sh->jobs[k]);
        pthread_mutex_lock(&sh->mutex);
        sh->jobs[k].done = 1;
        pthread_cond_broadcast(&sh->cond);
        pthread_mutex_unlock(&sh->mutex);
    }
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

/* Resolves one domain and probes its cached scores, logging a reuse or a stale key. */
static duet_status probe_job(const duet_influence_request *req, void *pool, size_t k,
                             const duet_scores_meta *meta, domain_job *job,
                             duet_scores_outcome *outcome, duet_error *err)
{
    job->index = k;
    duet_status st = DUET_OK;
    if (req->domains != NULL)
        st = find_domain(req, pool, req->domains[k], &job->index, err);
    if (st != DUET_OK)
        return st;
    job->name = req->factory->domain_name(pool, job->index);
    cache_key(req, meta, job->name, job->key);
    int found = 0;
    uint64_t n_cached = 0;
    duet_scores_meta cached;
    st = duet_scores_probe(req->scores_path, req->kind, job->name, &found, &n_cached, &cached, err);
    if (st != DUET_OK)
        return st;
    if (found && strcmp(cached.key, job->key) == 0) {
        *outcome = DUET_SCORES_REUSED;
        duet_logf(req->log, DUET_LOG_INFO,
                  "domain %s: reused cached %s scores of %llu items (key %s)", job->name, req->kind,
                  (unsigned long long)n_cached, job->key);
        return DUET_OK;
    }
    job->needed = 1;
    *outcome = found ? DUET_SCORES_RECOMPUTED : DUET_SCORES_COMPUTED;
    if (found)
        duet_logf(req->log, DUET_LOG_INFO,
                  "domain %s: cached %s scores are stale (key %s, now %s: the pool, model or "
                  "estimator settings changed); recomputing",
                  job->name, req->kind, cached.key[0] ? cached.key : "none", job->key);
    return DUET_OK;
}

/* Writes a computed job to the scores file and logs it. */
static duet_status commit_job(const duet_influence_request *req, duet_scores_meta *meta,
                              const domain_job *job, duet_error *err)
{
    snprintf(meta->key, sizeof meta->key, "%s", job->key);
    meta->n_heldout = (int64_t)job->n_heldout;
    meta->seconds = job->seconds;
    duet_status st = duet_scores_write(req->scores_path, req->kind, job->name, job->scores,
                                       job->n_train, meta, err);
    if (st == DUET_OK)
        duet_logf(req->log, DUET_LOG_INFO,
                  "domain %s: computed %s scores of %zu items against %zu held-out items with "
                  "%s in %.3f s (%zu Hessian-vector products)",
                  job->name, req->kind, job->n_train, job->n_heldout, meta->estimator, job->seconds,
                  job->rep.hvps);
    return st;
}

/* Starts up to `requested` workers; returns how many started (0 means compute inline). */
static size_t start_workers(run_shared *sh, pthread_t *threads, size_t requested)
{
    size_t started = 0;
    while (started < requested && pthread_create(&threads[started], NULL, worker, sh) == 0)
        started++;
    return started;
}

/*
 * Computes the needed jobs (on `workers` threads, or inline when 0) and commits them in job
 * order, so the file and the log are the same for any thread count. Stops at the first failure.
 */
static duet_status compute_and_commit(run_shared *sh, size_t n_threads, duet_scores_meta *meta,
                                      duet_error *err)
{
    pthread_t threads[DUET_INFLUENCE_MAX_THREADS];
    size_t workers = n_threads > 1 ? start_workers(sh, threads, n_threads) : 0;
    duet_status st = DUET_OK;
    for (size_t k = 0; k < sh->n_jobs && st == DUET_OK; k++) {
        domain_job *job = &sh->jobs[k];
        if (!job->needed)
            continue;
        if (workers == 0) {
            compute_job(sh->req, sh->pool, job);
        } else {
            pthread_mutex_lock(&sh->mutex);
            while (!job->done)
                pthread_cond_wait(&sh->cond, &sh->mutex);
            pthread_mutex_unlock(&sh->mutex);
        }
        st = job->status;
        if (st != DUET_OK)
            *err = job->err;
        else
            st = commit_job(sh->req, meta, job, err);
        duet_free(job->scores);
        job->scores = NULL;
    }
    pthread_mutex_lock(&sh->mutex);
    sh->stop = 1;
    pthread_mutex_unlock(&sh->mutex);
    for (size_t t = 0; t < workers; t++)
        pthread_join(threads[t], NULL);
    return st;
}

/* Threads a run uses: the request's, at most one per needed domain, and 1 for factories that
 * cannot open domains concurrently. */
static size_t thread_count(const duet_influence_request *req, const domain_job *jobs, size_t n)
{
    size_t needed = 0;
    for (size_t k = 0; k < n; k++)
        needed += (size_t)jobs[k].needed;
    size_t t =
        req->threads < DUET_INFLUENCE_MAX_THREADS ? req->threads : DUET_INFLUENCE_MAX_THREADS;
    if (!req->factory->concurrent_domains || t > needed)
        t = req->factory->concurrent_domains ? needed : 1;
    return t;
}

static duet_status run_jobs(const duet_influence_request *req, void *pool, duet_scores_meta *meta,
                            duet_scores_outcome *outcomes, size_t capacity, duet_error *err)
{
    size_t count = req->domains ? req->n_domains : req->factory->domain_count(pool);
    domain_job *jobs = duet_calloc(count ? count : 1, sizeof *jobs);
    if (jobs == NULL)
        return duet_error_set(err, DUET_ENOMEM, "influence run: no memory for %zu domains", count);
    duet_status st = DUET_OK;
    for (size_t k = 0; k < count && st == DUET_OK; k++) {
        duet_scores_outcome outcome = DUET_SCORES_COMPUTED;
        st = probe_job(req, pool, k, meta, &jobs[k], &outcome, err);
        if (st == DUET_OK && outcomes != NULL && k < capacity)
            outcomes[k] = outcome;
    }
    if (st == DUET_OK) {
        run_shared sh = {.req = req, .pool = pool, .jobs = jobs, .n_jobs = count};
        pthread_mutex_init(&sh.mutex, NULL);
        pthread_cond_init(&sh.cond, NULL);
        st = compute_and_commit(&sh, thread_count(req, jobs, count), meta, err);
        pthread_cond_destroy(&sh.cond);
        pthread_mutex_destroy(&sh.mutex);
    }
    for (size_t k = 0; k < count; k++)
        duet_free(jobs[k].scores);
    duet_free(jobs);
    return st;
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
    st = run_jobs(req, pool, &meta, outcomes, capacity, err);
    if (req->pool_state == NULL)
        req->factory->close(pool);
    return st;
}
