/*
 * diffmodel callbacks over grouped batches. Invariant: when cache_valid is set, `batch` holds
 * the groups of the set with length cache_n and index hash cache_hash, with weight 1 / cache_n.
 */
#include "embedded/mlr_model.h"

#include <math.h>
#include <string.h>

#include "util/mem.h"

static uint64_t hash_set(const uint64_t *set, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= set[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

static duet_status check_set(const duet_mlr_model *m, const uint64_t *set, size_t n_set,
                             duet_error *err)
{
    if (n_set == 0)
        return duet_error_set(err, DUET_EINVAL, "%s: the example set is empty", m->name);
    for (size_t i = 0; i < n_set; i++)
        if (set[i] >= m->n_examples)
            return duet_error_set(err, DUET_EINVAL,
                                  "%s: example index %llu (position %zu of the set) is not below "
                                  "the dataset size %zu",
                                  m->name, (unsigned long long)set[i], i, m->n_examples);
    return DUET_OK;
}

/* Makes m->batch hold the set, building it unless cached. */
static duet_status batch_for(duet_mlr_model *m, const uint64_t *set, size_t n_set, duet_error *err)
{
    uint64_t h = hash_set(set, n_set);
    if (m->cache_valid && m->cache_n == n_set && m->cache_hash == h)
        return DUET_OK;
    duet_status status = check_set(m, set, n_set, err);
    if (status != DUET_OK)
        return status;
    m->cache_valid = 0;
    m->probs_groups = 0;
    duet_mlr_batch_clear(&m->batch, m->n_classes, 1.0 / (double)n_set);
    status = m->build(m->owner, set, n_set, &m->batch, err);
    if (status != DUET_OK)
        return status;
    m->cache_valid = 1;
    m->cache_n = n_set;
    m->cache_hash = h;
    return DUET_OK;
}

static duet_status batch_for_example(duet_mlr_model *m, uint64_t example, duet_error *err)
{
    duet_status status = check_set(m, &example, 1, err);
    if (status != DUET_OK)
        return status;
    duet_mlr_batch_clear(&m->single, m->n_classes, 1.0);
    return m->build(m->owner, &example, 1, &m->single, err);
}

static duet_status model_loss(void *self, const double *theta, const uint64_t *set, size_t n_set,
                              double *out, duet_error *err)
{
    duet_mlr_model *m = self;
    duet_status status = batch_for(m, set, n_set, err);
    if (status == DUET_OK)
        *out = duet_mlr_loss_grad(&m->batch, m->n_params, theta, NULL);
    return status;
}

static duet_status model_grad(void *self, const double *theta, const uint64_t *set, size_t n_set,
                              double *g, duet_error *err)
{
    duet_mlr_model *m = self;
    duet_status status = batch_for(m, set, n_set, err);
    if (status == DUET_OK)
        duet_mlr_loss_grad(&m->batch, m->n_params, theta, g);
    return status;
}

static uint64_t hash_theta(const double *theta, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &theta[i], sizeof bits);
        h = (h ^ bits) * 0x100000001b3ull;
        h ^= h >> 31;
    }
    return h;
}

/* Makes m->probs hold the cached batch's group probabilities at theta. */
static duet_status probs_for(duet_mlr_model *m, const double *theta, duet_error *err)
{
    uint64_t h = hash_theta(theta, m->n_params);
    size_t groups = m->batch.n_groups;
    if (m->probs_groups == groups && groups > 0 && m->probs_theta == h)
        return DUET_OK;
    m->probs_groups = 0;
    if (groups > m->probs_cap) {
        int overflow = 0;
        size_t bytes = duet_mul_size(duet_mul_size(groups, m->n_classes, &overflow), sizeof(double),
                                     &overflow);
        double *grown = overflow ? NULL : duet_realloc(m->probs, bytes);
        if (grown == NULL)
            return duet_error_set(err, DUET_ENOMEM,
                                  "%s: out of memory for the probabilities of %zu groups", m->name,
                                  groups);
        m->probs = grown;
        m->probs_cap = groups;
    }
    duet_mlr_probs(&m->batch, theta, m->probs);
    m->probs_groups = groups;
    m->probs_theta = h;
    return DUET_OK;
}

static duet_status model_hvp(void *self, const double *theta, const uint64_t *set, size_t n_set,
                             const double *v, double *out, duet_error *err)
{
    duet_mlr_model *m = self;
    duet_status status = batch_for(m, set, n_set, err);
    if (status == DUET_OK)
        status = probs_for(m, theta, err);
    if (status == DUET_OK)
        duet_mlr_hvp_probs(&m->batch, m->n_params, m->probs, v, out);
    return status;
}

static duet_status model_hess_diag(void *self, const double *theta, const uint64_t *set,
                                   size_t n_set, double *d, duet_error *err)
{
    duet_mlr_model *m = self;
    duet_status status = batch_for(m, set, n_set, err);
    if (status == DUET_OK)
        duet_mlr_hess_diag(&m->batch, m->n_params, theta, d);
    return status;
}

static duet_status model_example_grad_dot(void *self, const double *theta, uint64_t example,
                                          const double *v, double *out, duet_error *err)
{
    duet_mlr_model *m = self;
    duet_status status = batch_for_example(m, example, err);
    if (status == DUET_OK)
        *out = duet_mlr_grad_dot(&m->single, theta, v);
    return status;
}

static duet_status model_example_grad(void *self, const double *theta, uint64_t example, double *g,
                                      duet_error *err)
{
    duet_mlr_model *m = self;
    duet_status status = batch_for_example(m, example, err);
    if (status == DUET_OK)
        duet_mlr_loss_grad(&m->single, m->n_params, theta, g);
    return status;
}

static duet_status model_example_grad_sqnorm(void *self, const double *theta, uint64_t example,
                                             double *out, duet_error *err)
{
    duet_mlr_model *m = self;
    duet_status status = batch_for_example(m, example, err);
    if (status == DUET_OK)
        status = duet_mlr_grad_sqnorm(&m->single, theta, out, err);
    return status;
}

static duet_status model_train(void *self, const uint64_t *set, size_t n_set, double tol,
                               duet_rng *rng, double *theta, duet_error *err)
{
    (void)rng; /* L-BFGS on the full batch is deterministic and needs no randomness */
    duet_mlr_model *m = self;
    duet_status status = batch_for(m, set, n_set, err);
    if (status != DUET_OK)
        return status;
    duet_mlr_train_options options = {m->fit.l2, tol, m->fit.max_iter, m->fit.memory};
    status = duet_mlr_train(&m->batch, m->n_params, theta, &options, &m->last_train, err);
    if (status == DUET_ENUMERIC && m->fit.accept_max_iter &&
        m->last_train.iterations >= m->fit.max_iter) {
        duet_error_clear(err);
        return DUET_OK;
    }
    if (status != DUET_OK)
        duet_error_prefix(err, "training the %s on %zu examples", m->name, n_set);
    return status;
}

duet_status duet_mlr_fit_check(const duet_mlr_fit *fit, const char *model, duet_error *err)
{
    if (!(fit->l2 > 0.0) || !isfinite(fit->l2))
        return duet_error_set(err, DUET_EINVAL,
                              "%s: l2 = %g; it must be positive so that the objective is "
                              "strictly convex",
                              model, fit->l2);
    if (fit->max_iter < 1 || fit->memory < 1)
        return duet_error_set(err, DUET_EINVAL,
                              "%s: max_iter = %zu and memory = %zu must both be at least 1", model,
                              fit->max_iter, fit->memory);
    return DUET_OK;
}

void duet_mlr_model_init(duet_mlr_model *m, void *owner, duet_mlr_build_fn build, const char *name,
                         size_t n_examples, size_t n_classes, size_t n_rows,
                         const duet_mlr_fit *fit)
{
    memset(m, 0, sizeof *m);
    m->owner = owner;
    m->build = build;
    m->name = name;
    m->n_examples = n_examples;
    m->n_classes = n_classes;
    m->n_params = n_rows * n_classes;
    m->fit = *fit;
}

duet_diffmodel duet_mlr_model_diffmodel(duet_mlr_model *m)
{
    duet_diffmodel d;
    memset(&d, 0, sizeof d);
    d.self = m;
    d.n_params = m->n_params;
    d.l2 = m->fit.l2;
    d.loss = model_loss;
    d.grad = model_grad;
    d.hvp = model_hvp;
    d.example_grad_dot = model_example_grad_dot;
    d.example_grad = model_example_grad;
    d.example_grad_sqnorm = model_example_grad_sqnorm;
    d.hess_diag = model_hess_diag;
    d.train = model_train;
    return d;
}

void duet_mlr_model_release(duet_mlr_model *m)
{
    duet_free(m->probs);
    m->probs = NULL;
    m->probs_groups = m->probs_cap = 0;
    duet_mlr_batch_free(&m->batch);
    duet_mlr_batch_free(&m->single);
    m->cache_valid = 0;
}
