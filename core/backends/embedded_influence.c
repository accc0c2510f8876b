/*
 * The influence model factories of the embedded backend, "charlm" and "postag": for one domain
 * of a pool file (data/pool.h), the character language model or the part-of-speech tagger built
 * over the domain's training split followed by its held-out split. Example i < n_train is
 * training record i, so scores are indexed as the backend numbers a domain's items.
 *
 * Training for influence runs to the requested gradient tolerance (accept_max_iter = 0, so
 * stopping at the iteration limit is an error), unlike an evaluation's fixed budget, because
 * influence functions assume parameters at the optimum.
 *
 * Invariant: an opened state holds the pool (owned when opened from a path, borrowed when
 * attached by the backend) and the model settings text. Models exist only between domain_open
 * and domain_close, so one domain's model is in memory at a time.
 */
#include <stdio.h>
#include <string.h>

#include "backends/embedded.h"
#include "data/pool.h"
#include "embedded/charlm.h"
#include "embedded/postag.h"
#include "util/mem.h"

/* L-BFGS iteration limit of training to the tolerance; far above what convergence needs. */
#define SCORING_MAX_ITER 20000

typedef struct embedded_scoring_state {
    duet_pool *pool;
    int owns_pool;
    duet_embedded_scoring config;
    char settings[256];
} embedded_scoring_state;

typedef struct embedded_scoring_domain {
    duet_charlm *lm;
    duet_postag *tagger;
    uint64_t *index; /* 0 .. n_train + n_heldout - 1 */
} embedded_scoring_domain;

void duet_embedded_scoring_from_options(const duet_embedded_options *o, int model,
                                        duet_embedded_scoring *out)
{
    memset(out, 0, sizeof *out);
    out->model = model;
    out->buckets = (size_t)o->buckets;
    out->orders = (unsigned)o->orders;
    out->max_chars = (size_t)o->max_chars;
    out->l2 = o->l2;
    out->pos_buckets = (size_t)o->pos_buckets;
    out->pos_l2 = o->pos_l2;
}

static void scoring_close(void *state)
{
    embedded_scoring_state *s = state;
    if (s == NULL)
        return;
    if (s->owns_pool)
        duet_pool_free(s->pool);
    duet_free(s);
}

duet_status duet_embedded_scoring_attach(duet_pool *pool, const duet_embedded_scoring *config,
                                         void **state, duet_error *err)
{
    *state = NULL;
    embedded_scoring_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening the scoring model");
    s->pool = pool;
    s->config = *config;
    if (config->model == DUET_EMBEDDED_LM)
        snprintf(s->settings, sizeof s->settings,
                 "charlm buckets=%zu orders=%u max_chars=%zu l2=%.17g", config->buckets,
                 config->orders, config->max_chars, config->l2);
    else
        snprintf(s->settings, sizeof s->settings, "postag buckets=%zu l2=%.17g",
                 config->pos_buckets, config->pos_l2);
    *state = s;
    return DUET_OK;
}

/* Opens the pool file with the backend's default model options. */
static duet_status open_with_defaults(const char *pool_path, int model, void **state,
                                      duet_error *err)
{
    duet_embedded_options o;
    duet_embedded_default_options(&o);
    duet_embedded_scoring config;
    duet_embedded_scoring_from_options(&o, model, &config);
    duet_pool *pool = NULL;
    duet_status st = duet_pool_open(pool_path, &pool, err);
    if (st == DUET_OK)
        st = duet_embedded_scoring_attach(pool, &config, state, err);
    if (st != DUET_OK) {
        duet_pool_free(pool);
        return st;
    }
    ((embedded_scoring_state *)*state)->owns_pool = 1;
    return DUET_OK;
}

static duet_status charlm_open(const char *pool_path, void **state, duet_error *err)
{
    return open_with_defaults(pool_path, DUET_EMBEDDED_LM, state, err);
}

static duet_status postag_open(const char *pool_path, void **state, duet_error *err)
{
    return open_with_defaults(pool_path, DUET_EMBEDDED_POS, state, err);
}

static size_t scoring_domain_count(const void *state)
{
    return duet_pool_domain_count(((const embedded_scoring_state *)state)->pool);
}

static const char *scoring_domain_name(const void *state, size_t domain)
{
    return duet_pool_domain_name(((const embedded_scoring_state *)state)->pool, domain);
}

static const char *scoring_model_settings(const void *state)
{
    return ((const embedded_scoring_state *)state)->settings;
}

static void scoring_domain_close(void *state, duet_influence_domain *dom)
{
    (void)state;
    embedded_scoring_domain *impl = dom->impl;
    if (impl != NULL) {
        duet_charlm_free(impl->lm);
        duet_postag_free(impl->tagger);
        duet_free(impl->index);
        duet_free(impl);
    }
    memset(dom, 0, sizeof *dom);
}

/* Builds the model of one domain over [training split, held-out split]. */
static duet_status build_model(const embedded_scoring_state *s, size_t domain,
                               embedded_scoring_domain *impl, duet_diffmodel *model,
                               duet_error *err)
{
    const duet_embedded_scoring *c = &s->config;
    const duet_records *lists[2] = {duet_pool_records(s->pool, domain, DUET_SPLIT_TRAIN),
                                    duet_pool_records(s->pool, domain, DUET_SPLIT_HELDOUT)};
    duet_mlr_fit fit = {c->l2, SCORING_MAX_ITER, 8, 0};
    if (c->model == DUET_EMBEDDED_LM) {
        duet_charlm_config cc = {c->buckets, c->orders, c->max_chars, fit};
        duet_status st = duet_charlm_new(&cc, lists, 2, &impl->lm, err);
        if (st == DUET_OK)
            *model = duet_charlm_diffmodel(impl->lm);
        return st;
    }
    if (!duet_pool_domain_tagged(s->pool, domain))
        return duet_error_set(err, DUET_EINVAL,
                              "domain %s has no part-of-speech tags, so the tagger cannot score "
                              "it; score it with the character model (model charlm, or backend "
                              "option scores_model = \"lm\")",
                              duet_pool_domain_name(s->pool, domain));
    fit.l2 = c->pos_l2;
    duet_postag_config pc = {c->pos_buckets, fit};
    duet_status st = duet_postag_new(&pc, lists, 2, &impl->tagger, err);
    if (st == DUET_OK)
        *model = duet_postag_diffmodel(impl->tagger);
    return st;
}

static duet_status scoring_domain_open(void *state, size_t domain, duet_influence_domain *out,
                                       duet_error *err)
{
    embedded_scoring_state *s = state;
    memset(out, 0, sizeof *out);
    size_t n_train = duet_pool_records(s->pool, domain, DUET_SPLIT_TRAIN)->n;
    size_t n_held = duet_pool_records(s->pool, domain, DUET_SPLIT_HELDOUT)->n;
    embedded_scoring_domain *impl = duet_calloc(1, sizeof *impl);
    if (impl == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening domain %s",
                              duet_pool_domain_name(s->pool, domain));
    out->impl = impl;
    impl->index = duet_malloc((n_train + n_held + 1) * sizeof *impl->index);
    duet_status st =
        impl->index != NULL
            ? DUET_OK
            : duet_error_set(err, DUET_ENOMEM, "out of memory for %zu indices", n_train + n_held);
    if (st == DUET_OK)
        st = build_model(s, domain, impl, &out->model, err);
    if (st != DUET_OK) {
        duet_error_prefix(err, "pool %s, domain %s", duet_pool_path(s->pool),
                          duet_pool_domain_name(s->pool, domain));
        scoring_domain_close(state, out);
        return st;
    }
    for (size_t i = 0; i < n_train + n_held; i++)
        impl->index[i] = i;
    out->train = impl->index;
    out->n_train = n_train;
    out->heldout = impl->index + n_train;
    out->n_heldout = n_held;
    return DUET_OK;
}

const duet_influence_model_factory duet_influence_factory_charlm = {
    .name = "charlm",
    .summary = "embedded character language model over a pool file (backend defaults)",
    .default_train_tol = DUET_EMBEDDED_SCORING_TRAIN_TOL,
    .concurrent_domains = 1,
    .open = charlm_open,
    .close = scoring_close,
    .domain_count = scoring_domain_count,
    .domain_name = scoring_domain_name,
    .model_settings = scoring_model_settings,
    .domain_open = scoring_domain_open,
    .domain_close = scoring_domain_close,
};

const duet_influence_model_factory duet_influence_factory_postag = {
    .name = "postag",
    .summary = "embedded part-of-speech tagger over a pool file (tagged domains only)",
    .default_train_tol = DUET_EMBEDDED_SCORING_TRAIN_TOL,
    .concurrent_domains = 1,
    .open = postag_open,
    .close = scoring_close,
    .domain_count = scoring_domain_count,
    .domain_name = scoring_domain_name,
    .model_settings = scoring_model_settings,
    .domain_open = scoring_domain_open,
    .domain_close = scoring_domain_close,
};
