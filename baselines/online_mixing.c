/*
 * Online data mixing (Albalak, Pan, Raffel and Wang, "Efficient Online Data Mixing For Language
 * Model Pre-Training", 2023): an EXP3 bandit with one arm per domain, rewarded with the
 * training loss of the pulled domain, run on a proxy model without any task feedback.
 *
 * Step t = 1, 2, ...: draw a domain i from the policy pi, train the proxy one step on a
 * minibatch of domain i alone, and add the importance-weighted reward to the cumulative
 * estimate, R_i += reward_scale * loss_i / pi_i. With eps_t = min(1/n, sqrt(ln n / (n t)))
 * (eps_0 = 1/n) the next policy is
 *     pi_j = (1 - n eps_t) exp(eps_{t-1} R_j) / sum_k exp(eps_{t-1} R_k) + eps_t,
 * the rule of the authors' Exp3WeightUpdater, which also scales rewards by 1/10 (the default
 * reward_scale). The mixture is the policy averaged over the steps (the share of each domain
 * the proxy was expected to see), or with output = "final" the last policy.
 *
 * The mixture is computed once in create() from streams derived from the task-level seed
 * (duet_proxy_seed: the same proxy run for every trial, memoized within a process); every
 * iteration proposes it (see proxy.h). It needs the backend's proxy training.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "baselines.h"
#include "proxy.h"
#include "util/mem.h"
#include "util/simplex.h"

enum { OUTPUT_AVERAGE = 0, OUTPUT_FINAL = 1 };

typedef struct online_mixing_options {
    int64_t steps;
    double reward_scale;
    int output;
} online_mixing_options;

static const duet_option online_mixing_option_table[] = {
    {"steps", DUET_OPT_INT, offsetof(online_mixing_options, steps), "500", 1, 1000000, NULL,
     "proxy training steps, one bandit pull each"},
    {"reward_scale", DUET_OPT_DOUBLE, offsetof(online_mixing_options, reward_scale), "0.1", 1e-9,
     1e6, NULL, "factor on the training loss that forms the reward"},
    {"output", DUET_OPT_ENUM, offsetof(online_mixing_options, output), "average", 0, 0,
     "average|final", "the mixture: the policy averaged over the steps, or the last policy"},
    {NULL},
};

double duet_exp3_epsilon(size_t n, size_t t)
{
    double cap = 1.0 / (double)n;
    double decay = sqrt(log((double)n) / ((double)n * (double)t));
    return decay < cap ? decay : cap;
}

void duet_exp3_policy(size_t n, const double *rewards, double eps_prev, double eps, double *policy)
{
    /* exp(eps_prev R_j) / sum_k exp(eps_prev R_k), shifted by the largest exponent */
    double top = -INFINITY, sum = 0.0;
    for (size_t j = 0; j < n; j++)
        top = eps_prev * rewards[j] > top ? eps_prev * rewards[j] : top;
    for (size_t j = 0; j < n; j++) {
        policy[j] = exp(eps_prev * rewards[j] - top);
        sum += policy[j];
    }
    for (size_t j = 0; j < n; j++)
        policy[j] = (1.0 - (double)n * eps) * policy[j] / sum + eps;
}

/* Draws an arm from the policy by inverse CDF. The last arm takes any rounding remainder. */
static size_t draw_arm(duet_rng *rng, const double *policy, size_t n)
{
    double u = duet_rng_uniform(rng), acc = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        acc += policy[i];
        if (u < acc)
            return i;
    }
    return n - 1;
}

/* Runs the bandit on the proxy, adds each policy used to sum and leaves the last in policy. */
static duet_status run_bandit(duet_proxy *proxy, const online_mixing_options *o, uint64_t seed,
                              double *policy, double *sum, double *work, duet_error *err)
{
    size_t n = proxy->n;
    double *rewards = work, *onehot = work + n, *losses = work + 2 * n;
    memset(rewards, 0, n * sizeof *rewards);
    memset(onehot, 0, n * sizeof *onehot);
    duet_weights_uniform(policy, n);
    duet_rng arms;
    duet_rng_init(&arms, duet_seed_label(seed, "online_mixing:arms"));
    uint64_t batches = duet_seed_label(seed, "online_mixing:batches");
    double eps_prev = 1.0 / (double)n;
    for (int64_t s = 0; s < o->steps; s++) {
        for (size_t j = 0; j < n; j++)
            sum[j] += policy[j];
        size_t i = draw_arm(&arms, policy, n);
        onehot[i] = 1.0;
        duet_status st =
            duet_proxy_step(proxy, onehot, duet_seed_index(batches, (uint64_t)s), losses, err);
        onehot[i] = 0.0;
        if (st != DUET_OK)
            return st;
        rewards[i] += o->reward_scale * losses[i] / policy[i];
        double eps = duet_exp3_epsilon(n, (size_t)s + 1);
        duet_exp3_policy(n, rewards, eps_prev, eps, policy);
        eps_prev = eps;
    }
    return DUET_OK;
}

static duet_status online_mixing_create(const duet_method_env *env, const void *options,
                                        void **state, duet_error *err)
{
    const online_mixing_options *o = options;
    duet_status st = duet_proxy_require(env, "online_mixing", err);
    if (st != DUET_OK)
        return st;
    size_t n = env->n;
    duet_fixed_mixture *m = duet_fixed_mixture_new(n);
    double *work = duet_malloc(4 * n * sizeof *work);
    if (m == NULL || work == NULL) {
        duet_fixed_mixture_destroy(m);
        duet_free(work);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating online_mixing");
    }
    if (duet_proxy_memo_find(env, "online_mixing", online_mixing_option_table, o, m)) {
        duet_free(work);
        *state = m;
        return DUET_OK;
    }
    uint64_t seed = duet_proxy_seed(env);
    double *policy = work + 3 * n;
    duet_proxy proxy = {0};
    st = duet_proxy_open(env, duet_seed_label(seed, "online_mixing:proxy"), &proxy, err);
    if (st == DUET_OK)
        st = run_bandit(&proxy, o, seed, policy, m->ratios, work, err);
    if (st == DUET_OK)
        st = duet_proxy_heldout(&proxy, m->proxy_heldout, err);
    duet_proxy_close(&proxy);
    if (st == DUET_OK && o->output == OUTPUT_FINAL)
        memcpy(m->ratios, policy, n * sizeof *policy);
    duet_free(work);
    if (st != DUET_OK) {
        duet_fixed_mixture_destroy(m);
        return duet_error_prefix(err, "online_mixing proxy run");
    }
    duet_simplex_normalize(m->ratios, n);
    duet_proxy_memo_keep(env, "online_mixing", online_mixing_option_table, o, m);
    *state = m;
    return DUET_OK;
}

const duet_method_type duet_method_online_mixing = {
    .name = "online_mixing",
    .summary = "online data mixing: task-agnostic EXP3 bandit over domains rewarded by a proxy's "
               "training loss (needs proxy training)",
    .default_selector = "uniform",
    .options = online_mixing_option_table,
    .options_size = sizeof(online_mixing_options),
    .create = online_mixing_create,
    .destroy = duet_fixed_mixture_destroy,
    .propose = duet_fixed_mixture_propose,
    .observe = duet_fixed_mixture_observe,
};
