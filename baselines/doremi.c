/*
 * DoReMi (Xie, Pham, Dong, Du, Liu, Lu, Liang, Le, Ma and Yu, "DoReMi: Optimizing Data Mixtures
 * Speeds Up Language Model Pretraining", NeurIPS 2023): domain weights from a Group DRO proxy
 * run against a reference model, without any task feedback.
 *
 * 1. A reference proxy trains reference_steps steps on the uniform mixture.
 * 2. A fresh proxy trains `steps` steps. At each step both models score the same minibatches;
 *    with per-domain minibatch losses l_proxy and l_ref the excess loss is
 *        lambda_i = max(l_proxy,i - l_ref,i, 0),
 *    the weights become alpha <- alpha * exp(eta * lambda), normalized, then smoothed as
 *    (1 - c) alpha + c / n, and the proxy takes a step on the alpha-weighted loss.
 * 3. The mixture is the average of alpha over the proxy's steps.
 * Defaults eta = 1 and c = 1e-4 are reweight_eta and reweight_eps of the authors' code.
 *
 * The mixture is computed once in create() from streams derived from the task-level seed
 * (duet_proxy_seed: the same proxy run for every trial, memoized within a process); every
 * iteration proposes it (see proxy.h), so DoReMi gets the same number of trained models as the
 * other methods and its curve is the best of the selector's draws of one mixture. It needs the
 * backend's proxy training.
 */
#include <math.h>
#include <stddef.h>

#include "baselines.h"
#include "proxy.h"
#include "util/mem.h"
#include "util/simplex.h"

typedef struct doremi_options {
    int64_t steps;
    int64_t reference_steps;
    double eta;
    double smoothing;
} doremi_options;

static const duet_option doremi_option_table[] = {
    {"steps", DUET_OPT_INT, offsetof(doremi_options, steps), "200", 1, 1000000, NULL,
     "proxy training steps with Group DRO weights; the mixture averages their weights"},
    {"reference_steps", DUET_OPT_INT, offsetof(doremi_options, reference_steps), "200", 1, 1000000,
     NULL, "training steps of the reference model on the uniform mixture"},
    {"eta", DUET_OPT_DOUBLE, offsetof(doremi_options, eta), "1", 0, 1e6, NULL,
     "step size of the exponentiated-gradient update of the domain weights"},
    {"smoothing", DUET_OPT_DOUBLE, offsetof(doremi_options, smoothing), "1e-4", 0, 1, NULL,
     "share c of the uniform mixture mixed into the weights after each update"},
    {NULL},
};

void duet_doremi_update(size_t n, double *alpha, const double *proxy_losses,
                        const double *reference_losses, double eta, double smoothing)
{
    /* alpha_i exp(eta lambda_i) in log space, shifted by the largest term so nothing overflows */
    double top = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double excess = proxy_losses[i] - reference_losses[i];
        alpha[i] = log(alpha[i]) + eta * (excess > 0.0 ? excess : 0.0);
        top = alpha[i] > top ? alpha[i] : top;
    }
    for (size_t i = 0; i < n; i++)
        alpha[i] = exp(alpha[i] - top);
    duet_simplex_normalize(alpha, n);
    for (size_t i = 0; i < n; i++)
        alpha[i] = (1.0 - smoothing) * alpha[i] + smoothing / (double)n;
}

/* Trains the reference model: steps on the uniform mixture. */
static duet_status train_reference(duet_proxy *ref, const doremi_options *o, uint64_t seed,
                                   double *uniform, double *losses, duet_error *err)
{
    duet_weights_uniform(uniform, ref->n);
    uint64_t batches = duet_seed_label(seed, "doremi:reference-batches");
    for (int64_t s = 0; s < o->reference_steps; s++) {
        duet_status st =
            duet_proxy_step(ref, uniform, duet_seed_index(batches, (uint64_t)s), losses, err);
        if (st != DUET_OK)
            return st;
    }
    return DUET_OK;
}

/* Runs the Group DRO proxy and adds alpha to sum after each update. */
static duet_status train_proxy(duet_proxy *ref, duet_proxy *proxy, const doremi_options *o,
                               uint64_t seed, double *alpha, double *sum, double *work,
                               duet_error *err)
{
    size_t n = proxy->n;
    double *l_ref = work, *l_proxy = work + n;
    uint64_t batches = duet_seed_label(seed, "doremi:proxy-batches");
    duet_weights_uniform(alpha, n);
    for (int64_t s = 0; s < o->steps; s++) {
        uint64_t key = duet_seed_index(batches, (uint64_t)s);
        duet_status st = duet_proxy_step(ref, NULL, key, l_ref, err);
        if (st == DUET_OK)
            st = duet_proxy_step(proxy, NULL, key, l_proxy, err);
        if (st != DUET_OK)
            return st;
        duet_doremi_update(n, alpha, l_proxy, l_ref, o->eta, o->smoothing);
        for (size_t i = 0; i < n; i++)
            sum[i] += alpha[i];
        if ((st = duet_proxy_step(proxy, alpha, key, l_proxy, err)) != DUET_OK)
            return st;
    }
    return DUET_OK;
}

static duet_status doremi_create(const duet_method_env *env, const void *options, void **state,
                                 duet_error *err)
{
    const doremi_options *o = options;
    duet_status st = duet_proxy_require(env, "doremi", err);
    if (st != DUET_OK)
        return st;
    size_t n = env->n;
    duet_fixed_mixture *m = duet_fixed_mixture_new(n);
    double *work = duet_malloc(3 * n * sizeof *work);
    if (m == NULL || work == NULL) {
        duet_fixed_mixture_destroy(m);
        duet_free(work);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating doremi");
    }
    if (duet_proxy_memo_find(env, "doremi", doremi_option_table, o, m)) {
        duet_free(work);
        *state = m;
        return DUET_OK;
    }
    uint64_t seed = duet_proxy_seed(env);
    duet_proxy ref = {0}, proxy = {0};
    st = duet_proxy_open(env, duet_seed_label(seed, "doremi:reference"), &ref, err);
    if (st == DUET_OK)
        st = train_reference(&ref, o, seed, work, work + n, err);
    if (st == DUET_OK)
        st = duet_proxy_open(env, duet_seed_label(seed, "doremi:proxy"), &proxy, err);
    if (st == DUET_OK)
        st = train_proxy(&ref, &proxy, o, seed, work + 2 * n, m->ratios, work, err);
    if (st == DUET_OK)
        st = duet_proxy_heldout(&proxy, m->proxy_heldout, err);
    duet_proxy_close(&ref);
    duet_proxy_close(&proxy);
    duet_free(work);
    if (st != DUET_OK) {
        duet_fixed_mixture_destroy(m);
        return duet_error_prefix(err, "doremi proxy run");
    }
    duet_simplex_normalize(m->ratios, n);
    duet_proxy_memo_keep(env, "doremi", doremi_option_table, o, m);
    *state = m;
    return DUET_OK;
}

const duet_method_type duet_method_doremi = {
    .name = "doremi",
    .summary = "DoReMi: task-agnostic Group DRO weights from a proxy run against a reference "
               "model (needs proxy training)",
    .default_selector = "uniform",
    .options = doremi_option_table,
    .options_size = sizeof(doremi_options),
    .create = doremi_create,
    .destroy = duet_fixed_mixture_destroy,
    .propose = duet_fixed_mixture_propose,
    .observe = duet_fixed_mixture_observe,
};
