/*
 * A fixed mixture: every iteration proposes the same given ratios. It evaluates published or
 * externally computed weights (for example DoReMi weights from a proxy run elsewhere) with the
 * same budget, selection and logging as the other methods, and fixes r for the estimator
 * distribution experiment. With no ratios given it proposes the uniform mixture.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "baselines.h"
#include "util/mem.h"
#include "util/simplex.h"

typedef struct fixed_options {
    duet_doubles ratios;
} fixed_options;

typedef struct fixed_method {
    size_t n;
    double *ratios;
} fixed_method;

static const duet_option fixed_option_table[] = {
    {"ratios", DUET_OPT_DOUBLES, offsetof(fixed_options, ratios), "", 0, 4096, NULL,
     "the mixture: one non-negative share per pool domain, summing to 1 (empty: uniform)"},
    {NULL},
};

static void fixed_destroy(void *state)
{
    fixed_method *m = state;
    if (m == NULL)
        return;
    duet_free(m->ratios);
    duet_free(m);
}

static duet_status fixed_check(const void *options, size_t n_domains, duet_error *err)
{
    const fixed_options *o = options;
    if (o->ratios.n == 0)
        return DUET_OK;
    if (o->ratios.n != n_domains)
        return duet_error_set(err, DUET_EINVAL,
                              "ratios has %zu shares but the task's pool has %zu "
                              "domains; give one share per domain",
                              o->ratios.n, n_domains);
    if (duet_simplex_violation(o->ratios.v, o->ratios.n) > 1e-9) {
        double sum = 0.0, least = INFINITY;
        for (size_t i = 0; i < o->ratios.n; i++) {
            sum += o->ratios.v[i];
            least = fmin(least, o->ratios.v[i]);
        }
        return duet_error_set(err, DUET_EINVAL,
                              "ratios are not a mixture: they sum to %.6g and the "
                              "smallest share is %.6g; give shares >= 0 that sum to 1",
                              sum, least);
    }
    return DUET_OK;
}

static duet_status fixed_create(const duet_method_env *env, const void *options, void **state,
                                duet_error *err)
{
    duet_status st = fixed_check(options, env->n, err);
    if (st != DUET_OK)
        return st;
    const fixed_options *o = options;
    fixed_method *m = duet_calloc(1, sizeof *m);
    if (m == NULL || (m->ratios = duet_malloc(env->n * sizeof *m->ratios)) == NULL) {
        fixed_destroy(m);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating a fixed mixture");
    }
    m->n = env->n;
    for (size_t i = 0; i < env->n; i++)
        m->ratios[i] = o->ratios.n ? o->ratios.v[i] : 1.0 / (double)env->n;
    double violation = duet_simplex_violation(m->ratios, m->n);
    if (violation > 1e-9) {
        fixed_destroy(m);
        return duet_error_set(err, DUET_EINVAL,
                              "method fixed: ratios are not a mixture (shares must be >= 0 and "
                              "sum to 1; off by %.3g)",
                              violation);
    }
    duet_simplex_normalize(m->ratios, m->n);
    *state = m;
    return DUET_OK;
}

static duet_status fixed_propose(void *state, size_t iteration, duet_rng *rng, duet_proposal *out,
                                 duet_error *err)
{
    const fixed_method *m = state;
    memcpy(out->ratios, m->ratios, m->n * sizeof *m->ratios);
    return DUET_OK;
}

static duet_status fixed_observe(void *state, const duet_observation *obs, duet_error *err)
{
    return DUET_OK;
}

const duet_method_type duet_method_fixed = {
    .name = "fixed",
    .summary = "a given mixture at every iteration (e.g. weights computed elsewhere)",
    .default_selector = "uniform",
    .options = fixed_option_table,
    .options_size = sizeof(fixed_options),
    .create = fixed_create,
    .destroy = fixed_destroy,
    .propose = fixed_propose,
    .observe = fixed_observe,
    .check = fixed_check,
};
