/*
 * Random search on the simplex: every iteration proposes an independent draw from a symmetric
 * Dirichlet(alpha) (alpha = 1 is the uniform distribution on the simplex). The draw comes from
 * the iteration's stream, so the sequence of proposals does not depend on the feedback.
 */
#include <stddef.h>

#include "baselines.h"
#include "util/mem.h"

typedef struct random_search_options {
    double alpha;
} random_search_options;

typedef struct random_search {
    size_t n;
    double alpha;
    double *alphas;
} random_search;

static const duet_option random_search_option_table[] = {
    {"alpha", DUET_OPT_DOUBLE, offsetof(random_search_options, alpha), "1", 1e-3, 1e3, NULL,
     "Dirichlet concentration of each proposal (1 = uniform on the simplex)"},
    {NULL},
};

static void random_search_destroy(void *state)
{
    random_search *m = state;
    if (m == NULL)
        return;
    duet_free(m->alphas);
    duet_free(m);
}

static duet_status random_search_create(const duet_method_env *env, const void *options,
                                        void **state, duet_error *err)
{
    const random_search_options *o = options;
    random_search *m = duet_calloc(1, sizeof *m);
    if (m == NULL || (m->alphas = duet_malloc(env->n * sizeof *m->alphas)) == NULL) {
        random_search_destroy(m);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating random search");
    }
    m->n = env->n;
    for (size_t i = 0; i < env->n; i++)
        m->alphas[i] = o->alpha;
    *state = m;
    return DUET_OK;
}

static duet_status random_search_propose(void *state, size_t iteration, duet_rng *rng,
                                         duet_proposal *out, duet_error *err)
{
    random_search *m = state;
    duet_rng_dirichlet(rng, m->n, m->alphas, out->ratios);
    return DUET_OK;
}

static duet_status random_search_observe(void *state, const duet_observation *obs, duet_error *err)
{
    return DUET_OK;
}

const duet_method_type duet_method_random_search = {
    .name = "random_search",
    .summary = "independent Dirichlet draws on the simplex, ignoring feedback",
    .default_selector = "uniform",
    .options = random_search_option_table,
    .options_size = sizeof(random_search_options),
    .create = random_search_create,
    .destroy = random_search_destroy,
    .propose = random_search_propose,
    .observe = random_search_observe,
};
