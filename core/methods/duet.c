/*
 * DUET (Chen, Lau, Foo and Low, "DUET: Optimizing Training Data Mixtures via Feedback from
 * Unseen Evaluation Tasks", arXiv 2502.00270): Bayesian optimization of the mixture with a
 * Gaussian process and an acquisition maximized on the simplex (core/bo/bo.h), fed with the best
 * of k inner samples drawn by a data selector. The runner draws the samples and passes the best
 * one's utility to observe(); this file only wraps the optimizer.
 *
 * The registered names differ only in their default selector, which an experiment may still
 * override with `selector = ...`:
 *   duet, duet_if   influence-weighted selection (the paper's DUET-IF)
 *   duet_ur         uniform selection: BO without data selection (DUET-UR)
 *   duet_rh         remove the lowest-influence 20% of each domain, then uniform (DUET-RH)
 *   duet_less       LESS gradient-cosine selection (DUET-LESS)
 *   duet_logdet     greedy log-determinant diversity (DUET-logdet)
 * The answer of a trial is the best observed subset (recorded by the runner) and, as a second
 * answer, the maximizer of the GP posterior mean over the simplex.
 */
#include <math.h>
#include <string.h>

#include "bo/bo.h"
#include "methods/methods.h"
#include "util/mem.h"

typedef struct duet_state {
    size_t n;
    duet_bo *bo;
    double *lengthscales; /* [n] copy published as a diagnostic */
    double scalars[12];   /* scalar diagnostics of the last proposal */
} duet_state;

static void duet_destroy(void *state)
{
    duet_state *s = state;
    if (s == NULL)
        return;
    duet_bo_free(s->bo);
    duet_free(s->lengthscales);
    duet_free(s);
}

static duet_status duet_create(const duet_method_env *env, const void *options, void **state,
                               duet_error *err)
{
    const duet_bo_options *o = options;
    duet_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL || (s->lengthscales = duet_calloc(env->n, sizeof *s->lengthscales)) == NULL) {
        duet_destroy(s);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating DUET");
    }
    s->n = env->n;
    s->bo = duet_bo_new(env->n, o, err);
    if (s->bo == NULL) {
        duet_destroy(s);
        return err ? err->status : DUET_EINVAL;
    }
    *state = s;
    return DUET_OK;
}

/* Publishes one scalar diagnostic stored in s->scalars[slot]. */
static void publish(duet_proposal *out, duet_state *s, size_t slot, const char *name, double value)
{
    s->scalars[slot] = value;
    duet_diag_entry *e = &out->diag.entries[out->diag.count++];
    e->name = name;
    e->len = 1;
    e->values = &s->scalars[slot];
}

static duet_status duet_propose(void *state, size_t iteration, duet_rng *rng, duet_proposal *out,
                                duet_error *err)
{
    duet_state *s = state;
    duet_bo_diag d;
    duet_status st = duet_bo_propose(s->bo, iteration, rng, out->ratios, &d, err);
    if (st != DUET_OK)
        return st;
    for (size_t i = 0; i < s->n; i++)
        s->lengthscales[i] = d.lengthscales ? d.lengthscales[i] : NAN;
    out->diag.count = 0;
    duet_diag_entry *e = &out->diag.entries[out->diag.count++];
    e->name = "lengthscales";
    e->len = s->n;
    e->values = s->lengthscales;
    publish(out, s, 0, "observations", (double)d.observations);
    publish(out, s, 1, "refit", (double)d.refit);
    publish(out, s, 2, "signal_variance", d.signal_variance);
    publish(out, s, 3, "noise_variance", d.noise_variance);
    publish(out, s, 4, "output_scale", d.output_scale);
    publish(out, s, 5, "jitter", d.jitter);
    publish(out, s, 6, "log_marginal", d.log_marginal);
    publish(out, s, 7, "beta", d.beta);
    publish(out, s, 8, "mu", d.mu);
    publish(out, s, 9, "sigma", d.sigma);
    publish(out, s, 10, "acquisition", d.acquisition);
    publish(out, s, 11, "acquisition_evaluations", (double)d.evaluations);
    return DUET_OK;
}

static duet_status duet_observe(void *state, const duet_observation *obs, duet_error *err)
{
    duet_state *s = state;
    return duet_bo_observe(s->bo, obs->ratios, obs->utility, err);
}

static duet_status duet_answer(void *state, duet_rng *rng, double *ratios, duet_error *err)
{
    duet_state *s = state;
    return duet_bo_posterior_optimum(s->bo, rng, ratios, err);
}

#define DUET_METHOD(symbol, lua_name, text, selector)                                              \
    const duet_method_type symbol = {                                                              \
        .name = lua_name,                                                                          \
        .summary = text,                                                                           \
        .default_selector = selector,                                                              \
        .flags = DUET_METHOD_WARM_START,                                                           \
        .options = duet_bo_option_table,                                                           \
        .options_size = sizeof(duet_bo_options),                                                   \
        .create = duet_create,                                                                     \
        .destroy = duet_destroy,                                                                   \
        .propose = duet_propose,                                                                   \
        .observe = duet_observe,                                                                   \
        .answer = duet_answer,                                                                     \
    }

DUET_METHOD(duet_method_duet, "duet",
            "DUET: GP Bayesian optimization of the mixture with "
            "influence-weighted data selection",
            "influence");
DUET_METHOD(duet_method_duet_if, "duet_if",
            "DUET-IF: the same as duet (influence-weighted "
            "selection)",
            "influence");
DUET_METHOD(duet_method_duet_ur, "duet_ur",
            "DUET-UR: Bayesian optimization with uniform "
            "selection (no data selection)",
            "uniform");
DUET_METHOD(duet_method_duet_rh, "duet_rh",
            "DUET-RH: Bayesian optimization, lowest-influence "
            "20% removed, then uniform",
            "remove_harmful");
DUET_METHOD(duet_method_duet_less, "duet_less",
            "DUET-LESS: Bayesian optimization with LESS "
            "gradient-cosine selection",
            "less");
DUET_METHOD(duet_method_duet_logdet, "duet_logdet",
            "DUET-logdet: Bayesian optimization with "
            "log-determinant diversity selection",
            "logdet");
