/*
 * The `influence` selector: within each domain, items are drawn without replacement with
 * weights increasing in their influence scores, by one of two rules.
 *   paper:    w_i = score_i - min score + eps, the rule of the DUET paper (Chen, Lau, Foo and
 *             Low, "DUET: Optimizing Training Data Mixtures via Feedback from Unseen Evaluation
 *             Tasks", arXiv 2502.00270).
 *   tempered: w_i = exp(z_i / tau), z the domain's standardized scores; smaller tau is peakier.
 *
 * Invariant: the log-weights and effective sample sizes are computed once at create() from the
 * scores fetched then, so every draw samples from the same per-domain distributions.
 */
#include <stddef.h>

#include "selectors/selector_common.h"
#include "selectors/selectors.h"
#include "util/mem.h"

typedef struct influence_state {
    duet_selector_base base;
    duet_selector_weights weights;
} influence_state;

static void influence_destroy(void *state)
{
    influence_state *s = state;
    if (s == NULL)
        return;
    duet_selector_weights_free(&s->weights);
    duet_selector_base_free(&s->base);
    duet_free(s);
}

static duet_status influence_create(const duet_selector_env *env, const void *options, void **state,
                                    duet_error *err)
{
    const duet_selector_influence_options *opt = options;
    *state = NULL;
    influence_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL)
        return duet_error_set(err, DUET_ENOMEM, "selector influence: no memory");
    duet_status st = duet_selector_base_init(&s->base, env, "influence", "influence", err);
    if (st == DUET_OK)
        st = duet_selector_weights_init(&s->weights, &s->base, (duet_weight_rule)opt->rule,
                                        opt->eps, opt->tau, err);
    if (st != DUET_OK) {
        influence_destroy(s);
        return st;
    }
    *state = s;
    return DUET_OK;
}

static duet_status influence_draw(void *state, duet_rng *rng, duet_subset *out, double *ess,
                                  duet_error *err)
{
    influence_state *s = state;
    for (size_t i = 0; i < s->base.n; i++) {
        duet_status st =
            duet_selector_check_count(&s->base, out, i, s->base.sizes[i], "items", err);
        if (st == DUET_OK)
            st = duet_selector_successive(rng, s->weights.logw[i], (size_t)s->base.sizes[i],
                                          (size_t)out->counts[i], out->items + out->offset[i], err);
        if (st != DUET_OK)
            return st;
        ess[i] = s->weights.ess[i];
    }
    return DUET_OK;
}

static const duet_option influence_options[] = {
    {"rule", DUET_OPT_ENUM, offsetof(duet_selector_influence_options, rule), "paper", 0, 0,
     "paper|tempered",
     "weights: paper = score - min + eps; tempered = exp(standardized score / tau)"},
    {"eps", DUET_OPT_DOUBLE, offsetof(duet_selector_influence_options, eps), "1e-8", 1e-300, 1e300,
     NULL, "paper rule: weight of the lowest-scoring item, in score units"},
    {"tau", DUET_OPT_DOUBLE, offsetof(duet_selector_influence_options, tau), "1", 1e-6, 1e6, NULL,
     "tempered rule: temperature on standardized scores (smaller is peakier)"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

const duet_selector_type duet_selector_influence = {
    .name = "influence",
    .summary = "influence-weighted sampling without replacement within each domain",
    .needs = DUET_SELECTOR_NEEDS_SCORES,
    .options = influence_options,
    .options_size = sizeof(duet_selector_influence_options),
    .create = influence_create,
    .destroy = influence_destroy,
    .draw = influence_draw,
};
