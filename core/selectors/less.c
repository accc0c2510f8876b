/*
 * The `less` selector: LESS-style selection (Xia, Malladi, Gururangan, Arora and Chen, "LESS:
 * Selecting Influential Data for Targeted Instruction Tuning", ICML 2024) in the unseen-task
 * setting. Item scores are the cosine between each item's loss gradient and the gradient of
 * its own domain's held-out split (score kind "less"), the only target data available when the
 * evaluation task is unseen. Per domain it takes either the top-scoring items (deterministic,
 * as LESS does; repeated draws then return the same subset) or a successive-sampling draw with
 * weights exp(z / tau) on standardized cosines.
 *
 * Invariant: scores and log-weights are fixed at create().
 */
#include <stddef.h>

#include "selectors/selector_common.h"
#include "selectors/selectors.h"
#include "util/mem.h"

typedef struct less_state {
    duet_selector_base base;
    int weighted;
    duet_selector_weights weights; /* empty for the top draw */
} less_state;

static void less_destroy(void *state)
{
    less_state *s = state;
    if (s == NULL)
        return;
    duet_selector_weights_free(&s->weights);
    duet_selector_base_free(&s->base);
    duet_free(s);
}

static duet_status less_create(const duet_selector_env *env, const void *options, void **state,
                               duet_error *err)
{
    const duet_selector_less_options *opt = options;
    *state = NULL;
    less_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL)
        return duet_error_set(err, DUET_ENOMEM, "selector less: no memory");
    s->weighted = opt->draw == 1;
    duet_status st = duet_selector_base_init(&s->base, env, "less", "less", err);
    if (st == DUET_OK && s->weighted)
        st = duet_selector_weights_init(&s->weights, &s->base, DUET_WEIGHTS_TEMPERED, 0, opt->tau,
                                        err);
    if (st != DUET_OK) {
        less_destroy(s);
        return st;
    }
    *state = s;
    return DUET_OK;
}

static duet_status less_draw(void *state, duet_rng *rng, duet_subset *out, double *ess,
                             duet_error *err)
{
    less_state *s = state;
    for (size_t i = 0; i < s->base.n; i++) {
        size_t n = (size_t)s->base.sizes[i], k;
        duet_status st = duet_selector_check_count(&s->base, out, i, n, "items", err);
        if (st != DUET_OK)
            return st;
        k = (size_t)out->counts[i];
        uint64_t *dst = out->items + out->offset[i];
        if (s->weighted) {
            st = duet_selector_successive(rng, s->weights.logw[i], n, k, dst, err);
            ess[i] = s->weights.ess[i];
        } else {
            st = duet_selector_top_k(s->base.scores[i], n, k, dst, err);
            ess[i] = (double)k;
        }
        if (st != DUET_OK)
            return st;
    }
    return DUET_OK;
}

static const duet_option less_options[] = {
    {"draw", DUET_OPT_ENUM, offsetof(duet_selector_less_options, draw), "top", 0, 0, "top|weighted",
     "top: highest cosines; weighted: sampling with exp(standardized / tau)"},
    {"tau", DUET_OPT_DOUBLE, offsetof(duet_selector_less_options, tau), "1", 1e-6, 1e6, NULL,
     "weighted draw: temperature on standardized cosines (smaller is peakier)"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

const duet_selector_type duet_selector_less = {
    .name = "less",
    .summary = "LESS gradient-cosine selection toward each domain's held-out split",
    .needs = DUET_SELECTOR_NEEDS_SCORES,
    .options = less_options,
    .options_size = sizeof(duet_selector_less_options),
    .create = less_create,
    .destroy = less_destroy,
    .draw = less_draw,
};
