/*
 * The synthetic backend: a benchmark whose best mixture and best value are known exactly, so
 * regret is exact.
 *
 * Each of the n domains has N items; item j of domain i has a quality q_ij in [0, 1]: a fixed
 * fraction `gold_fraction` of each domain (chosen at random) has q = 1, the others q ~ U(0, 1).
 * A task has an optimum mixture r* (given, or drawn from a symmetric Dirichlet) and the
 * noiseless value of a training subset X with per-domain counts c (sum c = M) is
 *
 *     f(X) = h * exp(-|c/M - r*|^2 / (2 w^2))  +  lambda * mean_{x in X} q(x)  -  E(X)
 *
 * a smooth bump over the realized ratios with an interior optimum, plus the mean quality of the
 * chosen items, which is what inner data selection can improve, minus an optional error E(X) >= 0
 * of the subset itself (0 by default; see subset_error below). The feedback is
 * f(X) + sigma * eps with eps ~ N(0, 1) drawn from the evaluation seed.
 *
 * Best attainable value. Among integer counts with sum M, |c/M - r*| is minimized by
 * largest-remainder rounding of M r* (rounding to the nearest lattice point of fixed sum), and
 * the quality term is at most lambda, reached when only gold items are chosen. When every
 * rounded count fits in its domain's gold items, both maxima are attained together and
 *     f* = h * exp(-|round(M r*)/M - r*|^2 / (2 w^2)) + lambda
 * exactly (with a subset error, as a supremum that subsets approach as their error goes to 0);
 * otherwise the backend reports the optimum as unknown.
 *
 * Per-item scores for selectors: kind "quality" is q itself; kinds "influence" and "less" are q
 * plus Gaussian noise of standard deviation `score_noise` and `less_noise`: imperfect but
 * informative proxies, the second less informative than the first.
 *
 * Proxy training (for task-agnostic methods) is a toy with no link to any task's optimum. A
 * proxy's state is a per-domain exposure e_i >= 0, starting at 0; a step with weights w adds
 * `proxy_rate` * w_i to e_i. Domain i sees the effective exposure x_i = e_i + `proxy_transfer`
 * * sum_{j != i} e_j (training on one domain helps the others a little), and its loss is
 *
 *     l_i = a_i + b_i * exp(-c_i * x_i)
 *
 * with a_i ~ U(1, 3) (the loss no training removes), b_i ~ U(0.5, 2) and log c_i ~ U(log 0.2,
 * log 2) (how fast domain i is learned), drawn from the backend seed. A step's minibatch losses
 * add Gaussian noise of standard deviation `proxy_noise`, drawn from the batch key; held-out
 * losses are l_i exactly (a held-out split large enough to have no sampling noise).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/synthetic.h"
#include "util/mem.h"
#include "util/rng.h"
#include "util/simplex.h"

#define SYNTHETIC_DOMAINS_MAX 1024
#define SYNTHETIC_ITEMS_MAX   10000000

typedef struct synthetic_options {
    int64_t domains;
    int64_t items;
    double gold_fraction;
    double score_noise;
    double less_noise;
    double delay;
    double proxy_rate;
    double proxy_transfer;
    double proxy_noise;
} synthetic_options;

typedef struct synthetic_task_options {
    duet_doubles optimum;
    double concentration;
    double width;
    double height;
    double quality;
    double noise;
    double subset_error;
    double subset_error_cap;
} synthetic_task_options;

static const duet_option synthetic_option_table[] = {
    {"domains", DUET_OPT_INT, offsetof(synthetic_options, domains), "5", 2, SYNTHETIC_DOMAINS_MAX,
     NULL, "number of domains n"},
    {"items", DUET_OPT_INT, offsetof(synthetic_options, items), "4000", 1, SYNTHETIC_ITEMS_MAX,
     NULL, "training items per domain"},
    {"gold_fraction", DUET_OPT_DOUBLE, offsetof(synthetic_options, gold_fraction), "0.25", 0, 1,
     NULL, "share of each domain's items with the top quality 1"},
    {"score_noise", DUET_OPT_DOUBLE, offsetof(synthetic_options, score_noise), "0.5", 0, 1e6, NULL,
     "standard deviation of the noise on 'influence' item scores"},
    {"less_noise", DUET_OPT_DOUBLE, offsetof(synthetic_options, less_noise), "0.8", 0, 1e6, NULL,
     "standard deviation of the noise on 'less' item scores"},
    {"delay", DUET_OPT_DOUBLE, offsetof(synthetic_options, delay), "0", 0, 3600, NULL,
     "seconds each evaluation sleeps, to simulate expensive training in tests and demos"},
    {"proxy_rate", DUET_OPT_DOUBLE, offsetof(synthetic_options, proxy_rate), "0.05", 0, 1e3, NULL,
     "proxy training: exposure a domain gains per step at weight 1"},
    {"proxy_transfer", DUET_OPT_DOUBLE, offsetof(synthetic_options, proxy_transfer), "0.1", 0, 1,
     NULL, "proxy training: share of the other domains' exposure that counts for a domain"},
    {"proxy_noise", DUET_OPT_DOUBLE, offsetof(synthetic_options, proxy_noise), "0.05", 0, 1e3, NULL,
     "proxy training: standard deviation of the noise on minibatch losses"},
    {NULL},
};

static const duet_option synthetic_task_option_table[] = {
    {"optimum", DUET_OPT_DOUBLES, offsetof(synthetic_task_options, optimum), "", 0,
     SYNTHETIC_DOMAINS_MAX, NULL,
     "best mixture r* (n shares summing to 1); empty draws it from a Dirichlet"},
    {"concentration", DUET_OPT_DOUBLE, offsetof(synthetic_task_options, concentration), "2", 0.01,
     1000, NULL, "Dirichlet concentration used to draw r* when optimum is empty"},
    {"width", DUET_OPT_DOUBLE, offsetof(synthetic_task_options, width), "0.25", 1e-3, 100, NULL,
     "width w of the bump around r*, in ratio units"},
    {"height", DUET_OPT_DOUBLE, offsetof(synthetic_task_options, height), "1", 0, 1e6, NULL,
     "height h of the bump"},
    {"quality", DUET_OPT_DOUBLE, offsetof(synthetic_task_options, quality), "0.2", 0, 1e6, NULL,
     "weight lambda of the mean item quality"},
    {"noise", DUET_OPT_DOUBLE, offsetof(synthetic_task_options, noise), "0.02", 0, 1e6, NULL,
     "standard deviation sigma of the Gaussian feedback noise"},
    {"subset_error", DUET_OPT_DOUBLE, offsetof(synthetic_task_options, subset_error), "0", 0, 1e6,
     NULL, "scale eta of each subset's truncated-exponential error (0: none)"},
    {"subset_error_cap", DUET_OPT_DOUBLE, offsetof(synthetic_task_options, subset_error_cap), "3",
     1e-3, 1e3, NULL, "truncation point of that exponential, in units of eta"},
    {NULL},
};

typedef struct synthetic_state {
    size_t n;
    uint64_t items;
    uint64_t gold;
    uint64_t seed;
    double score_noise, less_noise;
    double delay;
    double *quality; /* [n x items] */
    double *top_sum; /* [n x (items + 1)] sum of the c highest qualities of each domain */
    char (*names)[24];
    double proxy_rate, proxy_transfer, proxy_noise;
    double *proxy_curve; /* [3 x n] a, b and c of each domain's proxy loss curve */
} synthetic_state;

typedef struct synthetic_task {
    size_t *pool;
    double *optimum; /* [n] r* */
    double *best;    /* [n] largest-remainder rounding of M r*, divided by M */
    double width, height, lambda, noise;
    double subset_error, subset_error_cap;
    uint64_t error_seed;
    uint64_t points;
    duet_task_info info;
} synthetic_task;

static void synthetic_close(void *state);

static int compare_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* out[c] = sum of the c largest entries of q, for c = 0..items. */
static void top_sums(const double *q, uint64_t items, double *out)
{
    double *sorted = out + 1;
    memcpy(sorted, q, (size_t)items * sizeof *q);
    qsort(sorted, (size_t)items, sizeof *sorted, compare_desc);
    out[0] = 0.0;
    for (uint64_t c = 1; c <= items; c++)
        out[c] = out[c - 1] + out[c];
}

static duet_status synthetic_open(const void *options, const duet_backend_env *env, void **state,
                                  duet_error *err)
{
    const synthetic_options *o = options;
    size_t n = (size_t)o->domains;
    int overflow = 0;
    size_t cells = duet_mul_size(n, (size_t)o->items, &overflow);
    if (overflow || cells > (size_t)1 << 28)
        return duet_error_set(err, DUET_ELIMIT,
                              "synthetic backend: %zu domains x %lld items is too large (at most "
                              "2^28 items in all); lower 'domains' or 'items'",
                              n, (long long)o->items);
    synthetic_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening the synthetic backend");
    s->n = n;
    s->items = (uint64_t)o->items;
    s->gold = (uint64_t)ceil(o->gold_fraction * (double)o->items);
    s->seed = duet_seed_label(env->seed, "synthetic:items");
    s->score_noise = o->score_noise;
    s->less_noise = o->less_noise;
    s->delay = o->delay;
    s->proxy_rate = o->proxy_rate;
    s->proxy_transfer = o->proxy_transfer;
    s->proxy_noise = o->proxy_noise;
    s->quality = duet_malloc(cells * sizeof *s->quality);
    s->top_sum = duet_malloc((cells + n) * sizeof *s->top_sum);
    s->names = duet_calloc(n, sizeof *s->names);
    s->proxy_curve = duet_malloc(3 * n * sizeof *s->proxy_curve);
    uint64_t *order = duet_malloc((size_t)o->items * sizeof *order);
    if (s->quality == NULL || s->top_sum == NULL || s->names == NULL || s->proxy_curve == NULL ||
        order == NULL) {
        duet_free(order);
        synthetic_close(s);
        return duet_error_set(err, DUET_ENOMEM, "out of memory for %zu synthetic items", cells);
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(s->names[i], sizeof s->names[i], "d%zu", i + 1);
        duet_rng rng;
        duet_rng_init(&rng, duet_seed_index(s->seed, i));
        double *q = s->quality + i * s->items;
        for (uint64_t j = 0; j < s->items; j++) {
            q[j] = duet_rng_uniform(&rng);
            order[j] = j;
        }
        /* The gold items sit at random positions, so item indices carry no information. */
        duet_rng_shuffle(&rng, s->items, order);
        for (uint64_t j = 0; j < s->gold; j++)
            q[order[j]] = 1.0;
        top_sums(q, s->items, s->top_sum + i * (s->items + 1));
    }
    duet_free(order);
    duet_rng rng;
    duet_rng_init(&rng, duet_seed_label(env->seed, "synthetic:proxy"));
    for (size_t i = 0; i < n; i++) {
        s->proxy_curve[i] = 1.0 + 2.0 * duet_rng_uniform(&rng);
        s->proxy_curve[n + i] = 0.5 + 1.5 * duet_rng_uniform(&rng);
        s->proxy_curve[2 * n + i] = exp(log(0.2) + log(10.0) * duet_rng_uniform(&rng));
    }
    *state = s;
    return DUET_OK;
}

static void synthetic_close(void *state)
{
    synthetic_state *s = state;
    if (s == NULL)
        return;
    duet_free(s->quality);
    duet_free(s->top_sum);
    duet_free(s->names);
    duet_free(s->proxy_curve);
    duet_free(s);
}

static size_t synthetic_domain_count(const void *state)
{
    return ((const synthetic_state *)state)->n;
}

static const char *synthetic_domain_name(const void *state, size_t domain)
{
    return ((const synthetic_state *)state)->names[domain];
}

static uint64_t synthetic_domain_size(const void *state, size_t domain)
{
    return ((const synthetic_state *)state)->items;
}

static void synthetic_task_close(void *state, void *task)
{
    synthetic_task *t = task;
    if (t == NULL)
        return;
    duet_free(t->pool);
    duet_free(t->optimum);
    duet_free(t->best);
    duet_free(t);
}

static double bump(const synthetic_task *t, const double *r, size_t n)
{
    double d2 = 0.0;
    for (size_t i = 0; i < n; i++)
        d2 += (r[i] - t->optimum[i]) * (r[i] - t->optimum[i]);
    return t->height * exp(-d2 / (2.0 * t->width * t->width));
}

/* Fills t->optimum from the options or from a Dirichlet draw keyed by the task name. */
static duet_status choose_optimum(synthetic_state *s, synthetic_task *t, const char *name,
                                  const synthetic_task_options *o, duet_error *err)
{
    if (o->optimum.n == 0) {
        duet_rng rng;
        duet_rng_init(&rng, duet_seed_label(duet_seed_label(s->seed, "optimum"), name));
        double *alpha = t->best; /* scratch: overwritten below */
        for (size_t i = 0; i < s->n; i++)
            alpha[i] = o->concentration;
        duet_rng_dirichlet(&rng, s->n, alpha, t->optimum);
        return DUET_OK;
    }
    if (o->optimum.n != s->n)
        return duet_error_set(err, DUET_EINVAL,
                              "synthetic task '%s': optimum has %zu shares but the backend has "
                              "%zu domains; give one share per domain",
                              name, o->optimum.n, s->n);
    memcpy(t->optimum, o->optimum.v, s->n * sizeof *t->optimum);
    double violation = duet_simplex_violation(t->optimum, s->n);
    if (violation > 1e-9)
        return duet_error_set(err, DUET_EINVAL,
                              "synthetic task '%s': optimum is not a mixture (shares must be "
                              ">= 0 and sum to 1; off by %.3g)",
                              name, violation);
    return DUET_OK;
}

static duet_status synthetic_task_open(void *state, const char *name, const void *task_options,
                                       uint64_t points, void **task, duet_task_info *info,
                                       duet_error *err)
{
    synthetic_state *s = state;
    const synthetic_task_options *o = task_options;
    synthetic_task *t = duet_calloc(1, sizeof *t);
    if (t == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening synthetic task '%s'", name);
    t->pool = duet_malloc(s->n * sizeof *t->pool);
    t->optimum = duet_malloc(s->n * sizeof *t->optimum);
    t->best = duet_malloc(s->n * sizeof *t->best);
    uint64_t *counts = duet_malloc(s->n * sizeof *counts);
    duet_status st = DUET_OK;
    if (t->pool == NULL || t->optimum == NULL || t->best == NULL || counts == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "out of memory opening synthetic task '%s'", name);
        goto fail;
    }
    for (size_t i = 0; i < s->n; i++)
        t->pool[i] = i;
    t->width = o->width;
    t->height = o->height;
    t->lambda = o->quality;
    t->noise = o->noise;
    t->subset_error = o->subset_error;
    t->subset_error_cap = o->subset_error_cap;
    t->error_seed = duet_seed_label(duet_seed_label(s->seed, "subset_error"), name);
    t->points = points;
    if ((st = choose_optimum(s, t, name, o, err)) != DUET_OK)
        goto fail;
    if ((st = duet_simplex_counts(t->optimum, s->n, points, NULL, counts, err)) != DUET_OK)
        goto fail;
    int attainable = 1;
    for (size_t i = 0; i < s->n; i++) {
        t->best[i] = (double)counts[i] / (double)points;
        attainable &= counts[i] <= s->gold;
    }
    t->info.n_pool = s->n;
    t->info.pool = t->pool;
    t->info.goal = DUET_GOAL_MAXIMIZE;
    t->info.metric = "synthetic score";
    t->info.optimum_known = attainable;
    t->info.optimum = attainable ? bump(t, t->best, s->n) + t->lambda : NAN;
    t->info.optimum_ratios = t->best;
    *info = t->info;
    *task = t;
    duet_free(counts);
    return DUET_OK;
fail:
    duet_free(counts);
    synthetic_task_close(state, t);
    return st;
}

/*
 * The subset's own error E(X) = eta * Z, with Z drawn from the exponential distribution
 * truncated to [0, cap] (inverse CDF: Z = -ln(1 - u (1 - e^-cap))) and u fixed by an
 * order-independent hash of the subset's items: the same subset always has the same error.
 * This is the error model of the DUET paper's Theorem 3.2 (each sampled feedback is y*_r plus a
 * truncated-exponential error), so the best of k subsets approaches y*_r as k grows.
 */
static double subset_error(const synthetic_task *t, const duet_subset *subset)
{
    if (t->subset_error <= 0)
        return 0.0;
    uint64_t h = 0;
    for (size_t i = 0; i < subset->n_domains; i++)
        for (uint64_t j = subset->offset[i]; j < subset->offset[i + 1]; j++)
            h += duet_seed_mix(t->error_seed, ((uint64_t)i << 40) ^ subset->items[j]);
    double u = (double)(duet_seed_mix(h, t->error_seed) >> 11) * 0x1.0p-53;
    double z = -log1p(-u * -expm1(-t->subset_error_cap));
    return t->subset_error * z;
}

static duet_status synthetic_evaluate(void *state, void *task, const duet_subset *subset,
                                      uint64_t seed, duet_eval_result *out, duet_error *err)
{
    synthetic_state *s = state;
    synthetic_task *t = task;
    if (subset->n_domains != s->n || subset->total == 0)
        return duet_error_set(err, DUET_EINVAL,
                              "synthetic backend: a subset of %zu domains and %llu items cannot "
                              "be evaluated on %zu domains",
                              subset->n_domains, (unsigned long long)subset->total, s->n);
    double ratios[SYNTHETIC_DOMAINS_MAX];
    double quality = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        ratios[i] = (double)subset->counts[i] / (double)subset->total;
        const double *q = s->quality + i * s->items;
        for (uint64_t j = subset->offset[i]; j < subset->offset[i + 1]; j++) {
            if (subset->items[j] >= s->items)
                return duet_error_set(err, DUET_EINVAL,
                                      "synthetic backend: item %llu of domain %s does not exist "
                                      "(the domain has %llu items)",
                                      (unsigned long long)subset->items[j], s->names[i],
                                      (unsigned long long)s->items);
            quality += q[subset->items[j]];
        }
    }
    duet_rng rng;
    duet_rng_init(&rng, seed);
    double value = bump(t, ratios, s->n) + t->lambda * quality / (double)subset->total -
                   subset_error(t, subset);
    memset(out, 0, sizeof *out);
    out->value = value;
    out->feedback = value + t->noise * duet_rng_normal(&rng);
    out->seconds = 0.0;
    if (s->delay > 0) {
        struct timespec ts = {(time_t)s->delay, (long)((s->delay - floor(s->delay)) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        out->seconds = s->delay;
    }
    return DUET_OK;
}

/*
 * The inner optimum at given counts: the bump at the counts' ratios plus lambda times the mean
 * of the highest qualities that the counts can take from each domain.
 */
static duet_status synthetic_best_at_counts(void *state, void *task, const uint64_t *counts,
                                            double *out, duet_error *err)
{
    synthetic_state *s = state;
    synthetic_task *t = task;
    double ratios[SYNTHETIC_DOMAINS_MAX], quality = 0.0;
    uint64_t total = 0;
    for (size_t i = 0; i < s->n; i++)
        total += counts[i];
    if (total == 0)
        return duet_error_set(err, DUET_EINVAL, "synthetic backend: counts of an empty subset");
    for (size_t i = 0; i < s->n; i++) {
        if (counts[i] > s->items)
            return duet_error_set(err, DUET_EINVAL,
                                  "synthetic backend: %llu items of domain %s requested, it has "
                                  "%llu",
                                  (unsigned long long)counts[i], s->names[i],
                                  (unsigned long long)s->items);
        ratios[i] = (double)counts[i] / (double)total;
        quality += s->top_sum[i * (s->items + 1) + counts[i]];
    }
    *out = bump(t, ratios, s->n) + t->lambda * quality / (double)total;
    return DUET_OK;
}

static duet_status synthetic_item_scores(void *state, size_t domain, const char *kind, double *out,
                                         duet_error *err)
{
    synthetic_state *s = state;
    const double *q = s->quality + domain * s->items;
    if (strcmp(kind, "quality") == 0) {
        memcpy(out, q, (size_t)s->items * sizeof *out);
        return DUET_OK;
    }
    if (strcmp(kind, "influence") == 0 || strcmp(kind, "less") == 0) {
        duet_rng rng;
        duet_rng_init(&rng, duet_seed_label(duet_seed_index(s->seed, domain), kind));
        double sd = strcmp(kind, "less") == 0 ? s->less_noise : s->score_noise;
        for (uint64_t j = 0; j < s->items; j++)
            out[j] = q[j] + sd * duet_rng_normal(&rng);
        return DUET_OK;
    }
    return duet_error_set(err, DUET_ENOTFOUND,
                          "synthetic backend has no item scores of kind '%s'; use 'quality', "
                          "'influence' or 'less'",
                          kind);
}

/* ------------------------------------------------------------------ proxy training */

typedef struct synthetic_proxy {
    double *exposure; /* [n] e_i */
} synthetic_proxy;

static void synthetic_proxy_close(void *state, void *proxy)
{
    (void)state;
    synthetic_proxy *p = proxy;
    if (p == NULL)
        return;
    duet_free(p->exposure);
    duet_free(p);
}

static duet_status synthetic_proxy_open(void *state, void *task, uint64_t seed, void **proxy,
                                        duet_error *err)
{
    (void)task;
    (void)seed; /* a fresh proxy starts at zero exposure: there is nothing to randomize */
    const synthetic_state *s = state;
    synthetic_proxy *p = duet_calloc(1, sizeof *p);
    if (p == NULL || (p->exposure = duet_calloc(s->n, sizeof *p->exposure)) == NULL) {
        synthetic_proxy_close(state, p);
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening a synthetic proxy");
    }
    *proxy = p;
    return DUET_OK;
}

/* Writes l_i at the proxy's exposure to losses[0..n-1]. */
static void proxy_losses(const synthetic_state *s, const synthetic_proxy *p, double *losses)
{
    size_t n = s->n;
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        total += p->exposure[i];
    for (size_t i = 0; i < n; i++) {
        double x = p->exposure[i] + s->proxy_transfer * (total - p->exposure[i]);
        losses[i] = s->proxy_curve[i] + s->proxy_curve[n + i] * exp(-s->proxy_curve[2 * n + i] * x);
    }
}

static duet_status synthetic_proxy_step(void *state, void *proxy, const double *weights,
                                        uint64_t batch, double *losses, duet_error *err)
{
    (void)err;
    const synthetic_state *s = state;
    synthetic_proxy *p = proxy;
    proxy_losses(s, p, losses);
    duet_rng rng;
    duet_rng_init(&rng, duet_seed_label(batch, "synthetic:proxy-batch"));
    for (size_t i = 0; i < s->n; i++)
        losses[i] += s->proxy_noise * duet_rng_normal(&rng);
    if (weights != NULL)
        for (size_t i = 0; i < s->n; i++)
            p->exposure[i] += s->proxy_rate * weights[i];
    return DUET_OK;
}

static duet_status synthetic_proxy_heldout(void *state, void *proxy, double *losses,
                                           duet_error *err)
{
    (void)err;
    proxy_losses(state, proxy, losses);
    return DUET_OK;
}

static duet_status synthetic_proxy_clone(void *state, void *proxy, void **copy, duet_error *err)
{
    const synthetic_state *s = state;
    const synthetic_proxy *p = proxy;
    duet_status st = synthetic_proxy_open(state, NULL, 0, copy, err);
    if (st == DUET_OK)
        memcpy(((synthetic_proxy *)*copy)->exposure, p->exposure, s->n * sizeof *p->exposure);
    return st;
}

const duet_backend_type duet_backend_synthetic = {
    .name = "synthetic",
    .summary = "smooth function of the mixture with a known optimum plus per-item quality",
    .options = synthetic_option_table,
    .options_size = sizeof(synthetic_options),
    .task_options = synthetic_task_option_table,
    .task_options_size = sizeof(synthetic_task_options),
    .open = synthetic_open,
    .close = synthetic_close,
    .domain_count = synthetic_domain_count,
    .domain_name = synthetic_domain_name,
    .domain_size = synthetic_domain_size,
    .task_open = synthetic_task_open,
    .task_close = synthetic_task_close,
    .evaluate = synthetic_evaluate,
    .item_scores = synthetic_item_scores,
    .best_at_counts = synthetic_best_at_counts,
    .proxy_open = synthetic_proxy_open,
    .proxy_step = synthetic_proxy_step,
    .proxy_heldout = synthetic_proxy_heldout,
    .proxy_clone = synthetic_proxy_clone,
    .proxy_close = synthetic_proxy_close,
};
