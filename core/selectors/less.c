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
    double **logw; /* [n][sizes[i]] for the weighted draw, NULL for top */
    double *ess;
} less_state;

static void less_destroy(void *state)
{
    less_state *s = state;
    if (s == NULL)
        return;
    for (size_t i = 0; s->logw != NULL && i < s->base.n; i++)
        duet_free(s->logw[i]);
    duet_free(s->logw);
    duet_free(s->ess);
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
    duet_status st = duet_selector_base_init(&s->base, env, "less", "less", err);
    if (st != DUET_OK) {
        duet_free(s);
        return st;
    }
    s->weighted = opt->draw == 1;
    s->logw = duet_calloc(env->n, sizeof *s->logw);
    s->ess = duet_calloc(env->n, sizeof *s->ess);
    if (s->logw == NULL || s->ess == NULL)
        goto nomem;
    for (size_t i = 0; s->weighted && i < env->n; i++) {
        size_t n = (size_t)s->base.sizes[i];
        s->logw[i] = duet_malloc(n * sizeof **s->logw);
        if (s->logw[i] == NULL)
            goto nomem;
        duet_selector_log_weights_tempered(s->base.scores[i], n, opt->tau, s->logw[i]);
        s->ess[i] = duet_selector_ess(s->logw[i], n);
    }
    *state = s;
    return DUET_OK;
nomem:
    less_destroy(s);
    return duet_error_set(err, DUET_ENOMEM, "selector less: no memory for the weights");
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
            st = duet_selector_successive(rng, s->logw[i], n, k, dst, err);
            ess[i] = s->ess[i];
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
    .options = less_options,
    .options_size = sizeof(duet_selector_less_options),
    .create = less_create,
    .destroy = less_destroy,
    .draw = less_draw,
};
