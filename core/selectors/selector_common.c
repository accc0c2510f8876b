/*
 * Shared selector machinery: fetching scores once, count checks, weights, effective sample
 * size and sampling without replacement.
 *
 * Invariant: a duet_selector_base either owns all of its arrays (after a successful init) or
 * none (after a failed one), so duet_selector_base_free is always safe on it.
 */
#include "selectors/selector_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void duet_selector_base_free(duet_selector_base *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->names != NULL)
            duet_free(b->names[i]);
        if (b->scores != NULL)
            duet_free(b->scores[i]);
    }
    duet_free(b->names);
    duet_free(b->scores);
    duet_free(b->sizes);
    memset(b, 0, sizeof *b);
}

static duet_status fetch_scores(duet_selector_base *b, const duet_selector_env *env,
                                const char *kind, duet_error *err)
{
    if (env->backend_type == NULL || env->backend_type->item_scores == NULL)
        return duet_error_set(err, DUET_EINVAL,
                              "selector %s needs per-item '%s' scores, but backend %s does not "
                              "provide item scores; choose selector uniform or a backend with "
                              "scores",
                              b->selector, kind,
                              env->backend_type ? env->backend_type->name : "(none)");
    b->scores = duet_calloc(b->n, sizeof *b->scores);
    if (b->scores == NULL)
        return duet_error_set(err, DUET_ENOMEM, "selector %s: no memory", b->selector);
    for (size_t i = 0; i < b->n; i++) {
        b->scores[i] = duet_malloc(b->sizes[i] * sizeof **b->scores);
        if (b->scores[i] == NULL)
            return duet_error_set(err, DUET_ENOMEM,
                                  "selector %s: no memory for %llu scores of domain %s",
                                  b->selector, (unsigned long long)b->sizes[i], b->names[i]);
        duet_status st =
            env->backend_type->item_scores(env->backend, env->pool[i], kind, b->scores[i], err);
        if (st != DUET_OK)
            return duet_error_prefix(err, "selector %s, '%s' scores of domain %s", b->selector,
                                     kind, b->names[i]);
        for (uint64_t j = 0; j < b->sizes[i]; j++) {
            if (!isfinite(b->scores[i][j]))
                return duet_error_set(err, DUET_EINVAL,
                                      "selector %s: '%s' score of item %llu in domain %s is %g; "
                                      "recompute the scores",
                                      b->selector, kind, (unsigned long long)j, b->names[i],
                                      b->scores[i][j]);
        }
    }
    return DUET_OK;
}

duet_status duet_selector_base_init(duet_selector_base *b, const duet_selector_env *env,
                                    const char *selector, const char *kind, duet_error *err)
{
    memset(b, 0, sizeof *b);
    b->selector = selector;
    b->n = env->n;
    b->sizes = duet_malloc(env->n * sizeof *b->sizes);
    b->names = duet_calloc(env->n, sizeof *b->names);
    if (b->sizes == NULL || b->names == NULL) {
        duet_selector_base_free(b);
        return duet_error_set(err, DUET_ENOMEM, "selector %s: no memory", selector);
    }
    for (size_t i = 0; i < env->n; i++) {
        char fallback[32];
        const char *name = NULL;
        if (env->backend_type != NULL && env->backend_type->domain_name != NULL)
            name = env->backend_type->domain_name(env->backend, env->pool[i]);
        if (name == NULL) {
            snprintf(fallback, sizeof fallback, "#%zu", env->pool[i]);
            name = fallback;
        }
        b->sizes[i] = env->domain_sizes[i];
        b->names[i] = duet_strdup(name);
        if (b->names[i] == NULL) {
            duet_selector_base_free(b);
            return duet_error_set(err, DUET_ENOMEM, "selector %s: no memory", selector);
        }
    }
    duet_status st = kind != NULL ? fetch_scores(b, env, kind, err) : DUET_OK;
    if (st != DUET_OK)
        duet_selector_base_free(b);
    return st;
}

duet_status duet_selector_check_count(const duet_selector_base *b, const duet_subset *out, size_t i,
                                      uint64_t admissible, const char *what, duet_error *err)
{
    if (out->n_domains != b->n)
        return duet_error_set(err, DUET_EINVAL,
                              "selector %s: the subset has %zu domains but the pool has %zu",
                              b->selector, out->n_domains, b->n);
    if (out->offset[i + 1] - out->offset[i] != out->counts[i])
        return duet_error_set(err, DUET_EINVAL,
                              "selector %s: the subset's offsets of domain %s do not match its "
                              "count %llu; initialize it with duet_subset_init",
                              b->selector, b->names[i], (unsigned long long)out->counts[i]);
    if (out->counts[i] > admissible)
        return duet_error_set(err, DUET_ELIMIT,
                              "selector %s: domain %s needs %llu items but has only %llu %s; "
                              "lower the data budget or this domain's share",
                              b->selector, b->names[i], (unsigned long long)out->counts[i],
                              (unsigned long long)admissible, what);
    return DUET_OK;
}

void duet_selector_log_weights_paper(const double *s, size_t n, double eps, double *logw)
{
    double lo = INFINITY;
    for (size_t i = 0; i < n; i++)
        lo = fmin(lo, s[i]);
    for (size_t i = 0; i < n; i++)
        logw[i] = log(s[i] - lo + eps);
}

void duet_selector_log_weights_tempered(const double *s, size_t n, double tau, double *logw)
{
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += s[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        var += (s[i] - mean) * (s[i] - mean) / (double)n;
    double sd = sqrt(var);
    for (size_t i = 0; i < n; i++)
        logw[i] = sd > 0 ? (s[i] - mean) / sd / tau : 0.0;
}

double duet_selector_ess(const double *logw, size_t n)
{
    double top = -INFINITY, sum = 0, sum_sq = 0;
    for (size_t i = 0; i < n; i++)
        top = fmax(top, logw[i]);
    for (size_t i = 0; i < n; i++) {
        double w = exp(logw[i] - top);
        sum += w;
        sum_sq += w * w;
    }
    return sum > 0 ? sum * sum / sum_sq : 0.0;
}

void duet_selector_weights_free(duet_selector_weights *w)
{
    for (size_t i = 0; w->logw != NULL && i < w->n; i++)
        duet_free(w->logw[i]);
    duet_free(w->logw);
    duet_free(w->ess);
    memset(w, 0, sizeof *w);
}

duet_status duet_selector_weights_init(duet_selector_weights *w, const duet_selector_base *b,
                                       duet_weight_rule rule, double eps, double tau,
                                       duet_error *err)
{
    w->n = b->n;
    w->logw = duet_calloc(b->n, sizeof *w->logw);
    w->ess = duet_calloc(b->n, sizeof *w->ess);
    for (size_t i = 0; w->logw != NULL && w->ess != NULL && i < b->n; i++) {
        size_t n = (size_t)b->sizes[i];
        w->logw[i] = duet_malloc(n * sizeof **w->logw);
        if (w->logw[i] == NULL)
            break;
        if (rule == DUET_WEIGHTS_PAPER)
            duet_selector_log_weights_paper(b->scores[i], n, eps, w->logw[i]);
        else
            duet_selector_log_weights_tempered(b->scores[i], n, tau, w->logw[i]);
        w->ess[i] = duet_selector_ess(w->logw[i], n);
    }
    if (w->logw == NULL || w->ess == NULL || (b->n > 0 && w->logw[b->n - 1] == NULL)) {
        duet_selector_weights_free(w);
        return duet_error_set(err, DUET_ENOMEM, "selector %s: no memory for the weights",
                              b->selector);
    }
    return DUET_OK;
}

typedef struct keyed {
    double key;
    uint64_t index;
} keyed;

/* Decreasing key, ties to the lower index, so the order is total and reproducible. */
static int by_key_desc(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static duet_status take_top(keyed *k, size_t n, size_t count, uint64_t *out)
{
    qsort(k, n, sizeof *k, by_key_desc);
    for (size_t j = 0; j < count; j++)
        out[j] = k[j].index;
    return DUET_OK;
}

duet_status duet_selector_successive(duet_rng *rng, const double *logw, size_t n, size_t k,
                                     uint64_t *out, duet_error *err)
{
    keyed *keys = duet_malloc(n * sizeof *keys);
    if (keys == NULL)
        return duet_error_set(err, DUET_ENOMEM, "selector: no memory for %zu sampling keys", n);
    for (size_t i = 0; i < n; i++) {
        /* -log(E) with E ~ Exponential(1) is a standard Gumbel variate. */
        keys[i].key = logw[i] - log(duet_rng_exponential(rng));
        keys[i].index = i;
    }
    duet_status st = take_top(keys, n, k, out);
    duet_free(keys);
    return st;
}

duet_status duet_selector_top_k(const double *v, size_t n, size_t k, uint64_t *out, duet_error *err)
{
    keyed *keys = duet_malloc(n * sizeof *keys);
    if (keys == NULL)
        return duet_error_set(err, DUET_ENOMEM, "selector: no memory for %zu sort keys", n);
    for (size_t i = 0; i < n; i++) {
        keys[i].key = v[i];
        keys[i].index = i;
    }
    duet_status st = take_top(keys, n, k, out);
    duet_free(keys);
    return st;
}
