/*
 * Item scores and item features of the embedded backend, for the influence, remove_harmful,
 * less and logdet selectors.
 *
 * Scores. Kinds "influence" and "less" come from the scoring model (the character model by
 * default, or the tagger) trained on the domain's training split, scored against its held-out
 * split through core/influence/run.c. They are independent of the task. On the first request
 * for a kind the backend takes the scores file's lock (duet_scores_lock) and runs the cached
 * scoring of every domain the model can score on scores_threads threads. Each domain's scores
 * are reused when the cache key matches and computed otherwise, with one INFO line saying
 * which. The backend then reads all of them into memory and releases the lock. Concurrent processes
 * therefore compute each domain once: the others wait on the lock and then reuse. Kind "influence"
 * uses the backend's estimator and settings.
 *
 * Features. Each training record (its first max_chars bytes) becomes the vector of counts of
 * its byte 1-, 2- and 3-grams, hashed (FNV-1a 64) into DUET_EMBEDDED_FEATURE_BUCKETS buckets,
 * multiplied by a fixed random sign matrix (entries +-1, drawn once from a Philox stream with a
 * constant seed) to feature_dim dimensions, and scaled to unit Euclidean length. A random
 * projection keeps inner products of the count vectors approximately (Johnson-Lindenstrauss),
 * so the logdet selector's RBF kernel compares records by their character n-gram profiles.
 * The features depend only on the record and feature_dim.
 *
 * Invariant: items.scores[k][d] and items.features[d] are either NULL or complete arrays of the
 * domain's training size, filled once and never changed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backends/embedded_internal.h"
#include "influence/run.h"
#include "influence/scores_file.h"
#include "util/mem.h"
#include "util/rng.h"

#define DUET_EMBEDDED_FEATURE_BUCKETS 4096
#define FEATURE_MAX_ORDER             3

static const char *const score_kinds[DUET_EMBEDDED_SCORE_KINDS] = {"influence", "less"};

/* ------------------------------------------------------------------ options */

/* "<pool without .h5>.scores.h5", or o->scores resolved against the pool file's folder. */
static duet_status scores_path(const embedded_state *s, const char *option, char **out,
                               duet_error *err)
{
    char path[4096];
    const char *pool = s->pool_path;
    size_t len = strlen(pool);
    int n;
    if (option != NULL && option[0] != '\0') {
        const char *slash = strrchr(pool, '/');
        int folder = option[0] == '/' || slash == NULL ? 0 : (int)(slash - pool + 1);
        n = snprintf(path, sizeof path, "%.*s%s", folder, pool, option);
    } else {
        int stem = len > 3 && strcmp(pool + len - 3, ".h5") == 0 ? (int)(len - 3) : (int)len;
        n = snprintf(path, sizeof path, "%.*s.scores.h5", stem, pool);
    }
    if (n < 0 || (size_t)n >= sizeof path)
        return duet_error_set(err, DUET_EINVAL, "embedded backend: scores path is too long");
    *out = duet_strdup(path);
    return *out ? DUET_OK : duet_error_set(err, DUET_ENOMEM, "out of memory");
}

/* Applies the "name=value" strings of estimator_set to the estimator's defaults. */
static duet_status estimator_settings(embedded_items *it, const duet_strings *set, duet_error *err)
{
    duet_status st = duet_influence_settings_defaults(it->estimator, &it->settings, err);
    for (size_t k = 0; k < set->n && st == DUET_OK; k++) {
        char name[64];
        const char *eq = strchr(set->v[k], '=');
        size_t len = eq ? (size_t)(eq - set->v[k]) : 0;
        if (eq == NULL || len == 0 || len >= sizeof name)
            return duet_error_set(err, DUET_EINVAL,
                                  "embedded backend: estimator_set entry \"%s\" is not of the "
                                  "form \"name=value\"",
                                  set->v[k]);
        memcpy(name, set->v[k], len);
        name[len] = '\0';
        st = duet_influence_settings_set(it->estimator, &it->settings, name, eq + 1, err);
    }
    if (st != DUET_OK)
        duet_error_prefix(err, "embedded backend, option estimator_set");
    return st;
}

duet_status duet_embedded_items_open(embedded_state *s, const duet_embedded_options *o,
                                     duet_error *err)
{
    embedded_items *it = &s->items;
    memset(it, 0, sizeof *it);
    const char *name = o->estimator && o->estimator[0] ? o->estimator : "cg";
    it->estimator = duet_influence_estimator_find(name);
    if (it->estimator == NULL)
        return duet_error_set(err, DUET_EINVAL,
                              "embedded backend: estimator \"%s\" is unknown; use exact, cg, "
                              "lissa, identity or datainf",
                              name);
    duet_strings none = {0, NULL};
    duet_status st = estimator_settings(it, o->estimator_set.v ? &o->estimator_set : &none, err);
    if (st == DUET_OK)
        st = scores_path(s, o->scores, &it->scores_path, err);
    size_t n = duet_pool_domain_count(s->pool);
    for (size_t k = 0; k < DUET_EMBEDDED_SCORE_KINDS && st == DUET_OK; k++) {
        it->scores[k] = duet_calloc(n, sizeof *it->scores[k]);
        if (it->scores[k] == NULL)
            st = duet_error_set(err, DUET_ENOMEM, "out of memory");
    }
    it->features = st == DUET_OK ? duet_calloc(n, sizeof *it->features) : NULL;
    if (st == DUET_OK && it->features == NULL)
        st = duet_error_set(err, DUET_ENOMEM, "out of memory");
    duet_embedded_scoring_from_options(o, o->scores_model, &it->scoring);
    it->train_tol = o->scores_train_tol > 0 ? o->scores_train_tol : DUET_EMBEDDED_SCORING_TRAIN_TOL;
    it->feature_dim = o->feature_dim > 0 ? (size_t)o->feature_dim : 32;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    it->threads = 1;
    if (o->scores_threads > 0)
        it->threads = (size_t)o->scores_threads;
    else if (cpus > 0)
        it->threads = (size_t)cpus;
    s->opt.scores = NULL;
    s->opt.estimator = NULL;
    s->opt.estimator_set = none;
    return st;
}

void duet_embedded_items_close(embedded_state *s)
{
    embedded_items *it = &s->items;
    size_t n = s->pool ? duet_pool_domain_count(s->pool) : 0;
    for (size_t d = 0; d < n; d++) {
        for (size_t k = 0; k < DUET_EMBEDDED_SCORE_KINDS; k++)
            if (it->scores[k] != NULL)
                duet_free(it->scores[k][d]);
        if (it->features != NULL)
            duet_free(it->features[d]);
    }
    for (size_t k = 0; k < DUET_EMBEDDED_SCORE_KINDS; k++)
        duet_free(it->scores[k]);
    duet_free(it->features);
    duet_free(it->projection);
    duet_free(it->scores_path);
    memset(it, 0, sizeof *it);
}

/* ------------------------------------------------------------------ scores */

/*
 * Domains the scoring model can score (every domain for the character model, the tagged ones
 * for the tagger), or only `domain` when it is not one of them, so that its error is reported.
 */
static size_t scorable_domains(const embedded_state *s, size_t domain, const char **names,
                               size_t *index)
{
    size_t n = 0, count = duet_pool_domain_count(s->pool);
    int pos = s->items.scoring.model == DUET_EMBEDDED_POS;
    if (pos && !duet_pool_domain_tagged(s->pool, domain))
        count = 0;
    for (size_t d = 0; d < count; d++) {
        if (pos && !duet_pool_domain_tagged(s->pool, d))
            continue;
        names[n] = duet_pool_domain_name(s->pool, d);
        index[n++] = d;
    }
    if (n == 0) {
        names[0] = duet_pool_domain_name(s->pool, domain);
        index[n++] = domain;
    }
    return n;
}

/* Reads the scores of kind k of the listed domains from the scores file into memory. */
static duet_status read_domains(embedded_state *s, size_t k, const char **names,
                                const size_t *index, size_t n, duet_error *err)
{
    embedded_items *it = &s->items;
    for (size_t i = 0; i < n; i++) {
        if (it->scores[k][index[i]] != NULL)
            continue;
        size_t size = duet_pool_records(s->pool, index[i], DUET_SPLIT_TRAIN)->n;
        double *scores = duet_malloc((size ? size : 1) * sizeof *scores);
        if (scores == NULL)
            return duet_error_set(err, DUET_ENOMEM, "out of memory for %zu scores", size);
        duet_status st =
            duet_scores_read(it->scores_path, score_kinds[k], names[i], size, scores, NULL, err);
        if (st != DUET_OK) {
            duet_free(scores);
            return st;
        }
        it->scores[k][index[i]] = scores;
    }
    return DUET_OK;
}

/*
 * Runs the cached scoring of kind k for every scorable domain (on it->threads threads) and
 * reads the scores into memory, all under the scores file's lock.
 */
static duet_status load_kind(embedded_state *s, size_t k, size_t domain, duet_error *err)
{
    embedded_items *it = &s->items;
    size_t count = duet_pool_domain_count(s->pool);
    const char **names = duet_malloc(count * sizeof *names);
    size_t *index = duet_malloc(count * sizeof *index);
    void *pool_state = NULL;
    duet_status st = names && index ? DUET_OK : duet_error_set(err, DUET_ENOMEM, "out of memory");
    if (st == DUET_OK)
        st = duet_embedded_scoring_attach(s->pool, &it->scoring, &pool_state, err);
    if (st != DUET_OK) {
        duet_free(names);
        duet_free(index);
        return st;
    }
    size_t n = scorable_domains(s, domain, names, index);
    const duet_influence_model_factory *factory = it->scoring.model == DUET_EMBEDDED_LM
                                                      ? &duet_influence_factory_charlm
                                                      : &duet_influence_factory_postag;
    duet_influence_request req = {
        .pool_path = s->pool_path,
        .scores_path = it->scores_path,
        .factory = factory,
        .pool_state = pool_state,
        .kind = score_kinds[k],
        .estimator = it->estimator,
        .settings = &it->settings,
        .train_tol = it->train_tol,
        .seed = 0,
        .domains = names,
        .n_domains = n,
        .log = s->log,
        .threads = it->threads,
    };
    duet_scores_lock lock;
    st = duet_scores_lock_acquire(it->scores_path, &lock, s->log, err);
    if (st == DUET_OK)
        st = duet_influence_run(&req, NULL, 0, err);
    if (st == DUET_OK)
        st = read_domains(s, k, names, index, n, err);
    duet_scores_lock_release(&lock);
    factory->close(pool_state);
    duet_free(names);
    duet_free(index);
    return st;
}

duet_status duet_embedded_item_scores(void *state, size_t domain, const char *kind, double *out,
                                      duet_error *err)
{
    embedded_state *s = state;
    embedded_items *it = &s->items;
    size_t k = 0;
    while (k < DUET_EMBEDDED_SCORE_KINDS && strcmp(score_kinds[k], kind) != 0)
        k++;
    if (k == DUET_EMBEDDED_SCORE_KINDS)
        return duet_error_set(err, DUET_ENOTFOUND,
                              "embedded backend has no item scores of kind '%s'; use "
                              "'influence' or 'less'",
                              kind);
    if (it->scores[k][domain] == NULL) {
        duet_status st = load_kind(s, k, domain, err);
        if (st != DUET_OK)
            return duet_error_prefix(err, "embedded backend, %s scores of domain %s", kind,
                                     duet_pool_domain_name(s->pool, domain));
    }
    size_t n = duet_pool_records(s->pool, domain, DUET_SPLIT_TRAIN)->n;
    memcpy(out, it->scores[k][domain], n * sizeof *out);
    return DUET_OK;
}

/* ------------------------------------------------------------------ features */

/* Draws the fixed +-1 projection matrix; its seed is a constant, not the experiment's. */
static duet_status make_projection(embedded_items *it, duet_error *err)
{
    int overflow = 0;
    size_t entries = duet_mul_size(DUET_EMBEDDED_FEATURE_BUCKETS, it->feature_dim, &overflow);
    it->projection = overflow ? NULL : duet_malloc(entries * sizeof *it->projection);
    if (it->projection == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for the feature projection");
    duet_rng rng;
    duet_rng_init(&rng, duet_seed_label(0, "embedded:item_features"));
    for (size_t i = 0; i < entries; i++)
        it->projection[i] = (duet_rng_u32(&rng) & 1u) ? 1.0 : -1.0;
    return DUET_OK;
}

/* x[0..dim-1] = unit-length projection of the hashed n-gram counts of text[0..len-1]. */
static void record_features(const embedded_items *it, const unsigned char *text, size_t len,
                            double *x)
{
    size_t dim = it->feature_dim;
    memset(x, 0, dim * sizeof *x);
    for (size_t i = 0; i < len; i++) {
        uint64_t h = 0xcbf29ce484222325ull;
        for (size_t order = 1; order <= FEATURE_MAX_ORDER && i + order <= len; order++) {
            h = (h ^ text[i + order - 1]) * 0x100000001b3ull;
            /* Mixing in the order keeps a 1-gram apart from a 2-gram with the same hash. */
            uint64_t bucket =
                ((h ^ order) * 0x9e3779b97f4a7c15ull >> 32) % DUET_EMBEDDED_FEATURE_BUCKETS;
            const double *row = it->projection + bucket * dim;
            for (size_t j = 0; j < dim; j++)
                x[j] += row[j];
        }
    }
    double norm = 0.0;
    for (size_t j = 0; j < dim; j++)
        norm += x[j] * x[j];
    if (norm > 0.0)
        for (size_t j = 0; j < dim; j++)
            x[j] /= sqrt(norm);
}

static duet_status domain_features(embedded_state *s, size_t domain, duet_error *err)
{
    embedded_items *it = &s->items;
    if (it->projection == NULL) {
        duet_status st = make_projection(it, err);
        if (st != DUET_OK)
            return st;
    }
    const duet_records *r = duet_pool_records(s->pool, domain, DUET_SPLIT_TRAIN);
    int overflow = 0;
    size_t bytes = duet_mul_size(duet_mul_size(r->n ? r->n : 1, it->feature_dim, &overflow),
                                 sizeof(double), &overflow);
    double *f = overflow ? NULL : duet_malloc(bytes);
    if (f == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for the features of %zu records",
                              r->n);
    size_t max_chars = (size_t)s->opt.max_chars;
    for (size_t i = 0; i < r->n; i++) {
        size_t len = duet_records_len(r, i);
        record_features(it, (const unsigned char *)duet_records_text(r, i),
                        len < max_chars ? len : max_chars, f + i * it->feature_dim);
    }
    it->features[domain] = f;
    return DUET_OK;
}

duet_status duet_embedded_item_features(void *state, size_t domain, size_t *dim, double *out,
                                        duet_error *err)
{
    embedded_state *s = state;
    embedded_items *it = &s->items;
    *dim = it->feature_dim;
    if (out == NULL)
        return DUET_OK;
    if (it->features[domain] == NULL) {
        duet_status st = domain_features(s, domain, err);
        if (st != DUET_OK)
            return duet_error_prefix(err, "embedded backend, features of domain %s",
                                     duet_pool_domain_name(s->pool, domain));
    }
    size_t n = duet_pool_records(s->pool, domain, DUET_SPLIT_TRAIN)->n;
    memcpy(out, it->features[domain], n * it->feature_dim * sizeof *out);
    return DUET_OK;
}
