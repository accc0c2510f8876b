/*
 * The `logdet` selector: diversity selection by greedy maximization of log det K_S, with K the
 * RBF kernel K(a, b) = exp(-|x_a - x_b|^2 / (2 h^2)) over the backend's item features. It is
 * the greedy MAP inference of a determinantal point process, computed with the incremental
 * Cholesky update of Chen, Zhang and Zhou ("Fast Greedy MAP Inference for Determinantal Point
 * Process to Improve Recommendation Diversity", NeurIPS 2018): after t picks, d2[i] is the
 * Schur complement K_ii - K_iS K_SS^{-1} K_Si, so log det grows by log d2[i] when i is added,
 * and the greedy pick is the candidate with the largest d2.
 *
 * For speed each draw considers only a uniform random subset of `candidates` items per domain,
 * or all items when the domain is no larger. This subset is the draw's only randomness, so a
 * domain with at most `candidates` items returns the same items on every draw.
 *
 * Invariant: features are fetched once at create(); every draw picks counts[i] distinct items,
 * each of which lies in the draw's candidate subset.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "selectors/selector_common.h"
#include "selectors/selectors.h"
#include "util/mem.h"

/* Upper bound on the greedy's working matrix (candidates x count doubles): 400 MB. */
#define LOGDET_MAX_WORK 50000000.0

/* Items whose pairwise distances set the median-heuristic bandwidth, at most. */
#define LOGDET_MEDIAN_ITEMS 128

typedef struct logdet_state {
    duet_selector_base base;
    size_t dim;
    double **features; /* [n][sizes[i] x dim] row-major */
    double bandwidth;
    size_t candidates;
} logdet_state;

static void logdet_destroy(void *state)
{
    logdet_state *s = state;
    if (s == NULL)
        return;
    for (size_t i = 0; s->features != NULL && i < s->base.n; i++)
        duet_free(s->features[i]);
    duet_free(s->features);
    duet_selector_base_free(&s->base);
    duet_free(s);
}

static duet_status fetch_features(logdet_state *s, const duet_selector_env *env, duet_error *err)
{
    const duet_backend_type *bt = env->backend_type;
    if (bt == NULL || bt->item_features == NULL)
        return duet_error_set(err, DUET_EINVAL,
                              "selector logdet needs item features, but backend %s does not "
                              "provide item_features; choose another selector",
                              bt ? bt->name : "(none)");
    s->features = duet_calloc(env->n, sizeof *s->features);
    if (s->features == NULL)
        return duet_error_set(err, DUET_ENOMEM, "selector logdet: no memory");
    for (size_t i = 0; i < env->n; i++) {
        size_t dim = 0;
        duet_status st = bt->item_features(env->backend, env->pool[i], &dim, NULL, err);
        if (st != DUET_OK)
            return duet_error_prefix(err, "selector logdet, features of domain %s",
                                     s->base.names[i]);
        if (dim == 0 || (i > 0 && dim != s->dim))
            return duet_error_set(err, DUET_EFORMAT,
                                  "selector logdet: domain %s has feature dimension %zu; every "
                                  "domain needs the same positive dimension",
                                  s->base.names[i], dim);
        s->dim = dim;
        int overflow = 0;
        size_t bytes = duet_mul_size(duet_mul_size((size_t)s->base.sizes[i], dim, &overflow),
                                     sizeof(double), &overflow);
        s->features[i] = overflow ? NULL : duet_malloc(bytes);
        if (s->features[i] == NULL)
            return duet_error_set(err, DUET_ENOMEM,
                                  "selector logdet: no memory for the features of domain %s",
                                  s->base.names[i]);
        st = bt->item_features(env->backend, env->pool[i], &dim, s->features[i], err);
        if (st != DUET_OK)
            return duet_error_prefix(err, "selector logdet, features of domain %s",
                                     s->base.names[i]);
    }
    return DUET_OK;
}

static duet_status logdet_create(const duet_selector_env *env, const void *options, void **state,
                                 duet_error *err)
{
    const duet_selector_logdet_options *opt = options;
    *state = NULL;
    logdet_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL)
        return duet_error_set(err, DUET_ENOMEM, "selector logdet: no memory");
    duet_status st = duet_selector_base_init(&s->base, env, "logdet", NULL, err);
    if (st != DUET_OK) {
        duet_free(s);
        return st;
    }
    s->bandwidth = opt->bandwidth;
    s->candidates = (size_t)opt->candidates;
    st = fetch_features(s, env, err);
    if (st != DUET_OK) {
        logdet_destroy(s);
        return st;
    }
    *state = s;
    return DUET_OK;
}

static double squared_distance(const double *a, const double *b, size_t dim)
{
    double s = 0;
    for (size_t j = 0; j < dim; j++)
        s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median pairwise distance among the first candidates; 1 when they all coincide. */
static double median_bandwidth(const double *x, size_t dim, const uint64_t *pool, size_t m,
                               double *work)
{
    size_t count = 0, use = m < LOGDET_MEDIAN_ITEMS ? m : LOGDET_MEDIAN_ITEMS;
    for (size_t a = 0; a < use; a++)
        for (size_t b = a + 1; b < use; b++)
            work[count++] = sqrt(squared_distance(x + pool[a] * dim, x + pool[b] * dim, dim));
    if (count == 0)
        return 1.0;
    qsort(work, count, sizeof *work, compare_doubles);
    double median = work[count / 2];
    return median > 0 ? median : 1.0;
}

/*
 * Greedy selection of k of the m candidates pool[0..m-1]; writes the chosen item indices to
 * out in pick order. c is [m x k] scratch (row i is candidate i's Cholesky row), d2 is [m].
 */
static void greedy(const double *x, size_t dim, const uint64_t *pool, size_t m, size_t k, double h,
                   double *c, double *d2, uint64_t *out)
{
    double inv = 1.0 / (2.0 * h * h);
    for (size_t i = 0; i < m; i++)
        d2[i] = 1.0;
    for (size_t t = 0; t < k; t++) {
        size_t best = m;
        for (size_t i = 0; i < m; i++) {
            if (d2[i] >= 0 && (best == m || d2[i] > d2[best]))
                best = i;
        }
        out[t] = pool[best];
        double root = sqrt(fmax(d2[best], 0.0));
        d2[best] = -1.0; /* marks the candidate as taken */
        const double *cb = c + best * k, *xb = x + pool[best] * dim;
        for (size_t i = 0; i < m; i++) {
            if (d2[i] < 0)
                continue;
            double kij = exp(-squared_distance(xb, x + pool[i] * dim, dim) * inv);
            double e = kij;
            for (size_t j = 0; j < t; j++)
                e -= cb[j] * c[i * k + j];
            e = root > 1e-150 ? e / root : 0.0;
            c[i * k + t] = e;
            d2[i] = fmax(d2[i] - e * e, 0.0);
        }
    }
}

static duet_status logdet_domain(logdet_state *s, size_t i, duet_rng *rng, size_t k, uint64_t *out,
                                 duet_error *err)
{
    size_t n = (size_t)s->base.sizes[i];
    size_t m = s->candidates > k ? s->candidates : k;
    m = m < n ? m : n;
    if ((double)m * (double)(k + 1) > LOGDET_MAX_WORK)
        return duet_error_set(err, DUET_ELIMIT,
                              "selector logdet: domain %s needs a %zu x %zu working matrix, "
                              "more than %.0f doubles; lower candidates or this domain's count",
                              s->base.names[i], m, k, LOGDET_MAX_WORK);
    size_t pairs = LOGDET_MEDIAN_ITEMS * LOGDET_MEDIAN_ITEMS / 2;
    uint64_t *pool = duet_malloc(m * sizeof *pool);
    size_t *chosen = duet_malloc(m * sizeof *chosen);
    double *c = duet_malloc((m * k + m + pairs) * sizeof *c);
    duet_status st = DUET_OK;
    if (pool == NULL || chosen == NULL || c == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "selector logdet: no memory for domain %s",
                            s->base.names[i]);
        goto done;
    }
    duet_rng_choose(rng, n, m, chosen);
    for (size_t j = 0; j < m; j++)
        pool[j] = chosen[j];
    double *d2 = c + m * k, *work = d2 + m;
    double h =
        s->bandwidth > 0 ? s->bandwidth : median_bandwidth(s->features[i], s->dim, pool, m, work);
    greedy(s->features[i], s->dim, pool, m, k, h, c, d2, out);
done:
    duet_free(pool);
    duet_free(chosen);
    duet_free(c);
    return st;
}

static duet_status logdet_draw(void *state, duet_rng *rng, duet_subset *out, double *ess,
                               duet_error *err)
{
    logdet_state *s = state;
    for (size_t i = 0; i < s->base.n; i++) {
        duet_status st =
            duet_selector_check_count(&s->base, out, i, s->base.sizes[i], "items", err);
        if (st == DUET_OK && out->counts[i] > 0)
            st = logdet_domain(s, i, rng, (size_t)out->counts[i], out->items + out->offset[i], err);
        if (st != DUET_OK)
            return st;
        ess[i] = (double)out->counts[i];
    }
    return DUET_OK;
}

static const duet_option logdet_options[] = {
    {"bandwidth", DUET_OPT_DOUBLE, offsetof(duet_selector_logdet_options, bandwidth), "0", 0, 1e300,
     NULL, "RBF kernel length scale in feature units; 0 uses the median pairwise distance"},
    {"candidates", DUET_OPT_INT, offsetof(duet_selector_logdet_options, candidates), "1000", 1, 1e9,
     NULL, "items per domain considered in each draw (a uniform random subset)"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

const duet_selector_type duet_selector_logdet = {
    .name = "logdet",
    .summary = "greedy log-determinant diversity over item features (DPP-style)",
    .needs = DUET_SELECTOR_NEEDS_FEATURES,
    .options = logdet_options,
    .options_size = sizeof(duet_selector_logdet_options),
    .create = logdet_create,
    .destroy = logdet_destroy,
    .draw = logdet_draw,
};
