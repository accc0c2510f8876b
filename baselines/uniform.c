/*
 * The uniform mixture: every iteration proposes r_i = 1/n. With k inner samples and the
 * default uniform selector, its best-so-far curve shows what repeated draws of the same mixture
 * reach, the reference every mixing method must beat.
 *
 * Data selection alone is the same method with another default selector: select_influence
 * draws each domain's items by influence scores and select_less by LESS gradient-cosine scores,
 * under the uniform mixture.
 */
#include "baselines.h"
#include "util/mem.h"

typedef struct uniform_method {
    size_t n;
} uniform_method;

static const duet_option uniform_method_options[] = {{NULL}};

static duet_status uniform_create(const duet_method_env *env, const void *options, void **state,
                                  duet_error *err)
{
    uniform_method *m = duet_calloc(1, sizeof *m);
    if (m == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating the uniform method");
    m->n = env->n;
    *state = m;
    return DUET_OK;
}

static void uniform_destroy(void *state)
{
    duet_free(state);
}

static duet_status uniform_propose(void *state, size_t iteration, duet_rng *rng, duet_proposal *out,
                                   duet_error *err)
{
    const uniform_method *m = state;
    for (size_t i = 0; i < m->n; i++)
        out->ratios[i] = 1.0 / (double)m->n;
    return DUET_OK;
}

static duet_status uniform_observe(void *state, const duet_observation *obs, duet_error *err)
{
    return DUET_OK;
}

#define UNIFORM_METHOD(symbol, lua_name, text, selector)                                           \
    const duet_method_type symbol = {                                                              \
        .name = lua_name,                                                                          \
        .summary = text,                                                                           \
        .default_selector = selector,                                                              \
        .options = uniform_method_options,                                                         \
        .options_size = 1,                                                                         \
        .create = uniform_create,                                                                  \
        .destroy = uniform_destroy,                                                                \
        .propose = uniform_propose,                                                                \
        .observe = uniform_observe,                                                                \
    }

UNIFORM_METHOD(duet_method_uniform, "uniform", "the uniform mixture 1/n at every iteration",
               "uniform");
UNIFORM_METHOD(duet_method_select_influence, "select_influence",
               "data selection alone: the uniform mixture with influence-weighted selection",
               "influence");
UNIFORM_METHOD(duet_method_select_less, "select_less",
               "data selection alone: the uniform mixture with LESS gradient-cosine selection",
               "less");
