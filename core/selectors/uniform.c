/*
 * The uniform selector: each domain's share is drawn uniformly at random without replacement.
 * It is the inner level of DUET-UR (Bayesian optimization without data selection) and of every
 * mixing baseline. The effective sample size of a uniform draw is the domain size.
 */
#include <stddef.h>

#include "run/selector.h"
#include "selectors/uniform.h"
#include "util/mem.h"

typedef struct uniform_state {
    size_t n;
    uint64_t *sizes;
} uniform_state;

static const duet_option uniform_options[] = {{NULL}};

static duet_status uniform_create(const duet_selector_env *env, const void *options, void **state,
                                  duet_error *err)
{
    uniform_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL || (s->sizes = duet_calloc(env->n, sizeof *s->sizes)) == NULL) {
        duet_free(s);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating the uniform selector");
    }
    s->n = env->n;
    for (size_t i = 0; i < env->n; i++)
        s->sizes[i] = env->domain_sizes[i];
    *state = s;
    return DUET_OK;
}

static void uniform_destroy(void *state)
{
    uniform_state *s = state;
    if (s == NULL)
        return;
    duet_free(s->sizes);
    duet_free(s);
}

static duet_status uniform_draw(void *state, duet_rng *rng, duet_subset *out, double *ess,
                                duet_error *err)
{
    uniform_state *s = state;
    for (size_t i = 0; i < s->n; i++) {
        if (out->counts[i] > s->sizes[i])
            return duet_error_set(
                err, DUET_ELIMIT, "domain %zu has %llu training items but %llu were requested", i,
                (unsigned long long)s->sizes[i], (unsigned long long)out->counts[i]);
        duet_rng_choose(rng, s->sizes[i], out->counts[i], out->items + out->offset[i]);
        ess[i] = (double)s->sizes[i];
    }
    return DUET_OK;
}

const duet_selector_type duet_selector_uniform = {
    .name = "uniform",
    .summary = "uniform sampling without replacement within each domain",
    .options = uniform_options,
    .options_size = 1,
    .create = uniform_create,
    .destroy = uniform_destroy,
    .draw = uniform_draw,
};
