/*
 * Proxy training of the embedded backend: the task's model (character LM or tagger, over the
 * training splits of the task's pool) trained from zero by Adagrad (Duchi, Hazan and Singer,
 * "Adaptive subgradient methods for online learning and stochastic optimization", JMLR 2011).
 *
 * A step draws proxy_batch records with replacement from each pool domain's training split,
 * from a stream keyed by the batch key and the pool position only, so every proxy of a task
 * sees the same minibatches for the same key. The loss of a domain is its minibatch's summed
 * negative log-likelihood divided by the characters (lm) or tokens (pos) scored, in nats. The
 * step descends sum_i w_i loss_i without regularization. Held-out losses use the same unit on a
 * fixed sample of each domain's held-out split. Evaluation splits are never read here.
 *
 * Invariant: sum_sq holds the running sum of squared gradients of every parameter, and a
 * parameter whose gradient has always been zero has never moved.
 */
#include <math.h>
#include <string.h>

#include "backends/embedded_internal.h"
#include "util/mem.h"
#include "util/rng.h"

typedef struct embedded_proxy {
    embedded_task *task;
    size_t n_params;
    size_t batch;        /* records per domain and step */
    double *theta;       /* [n_params] */
    double *sum_sq;      /* [n_params] Adagrad accumulators */
    double *grad;        /* [n_params] gradient of the weighted loss */
    double *grad_domain; /* [n_params] gradient of one domain's mean record loss */
    size_t *idx;         /* [batch] minibatch records within the domain's training split */
    uint64_t *set;       /* [batch] the same records as model example indices */
} embedded_proxy;

/* Scores theta on records idx of r: *nats summed over the *units characters or tokens. */
static duet_status score(const embedded_task *t, const double *theta, const duet_records *r,
                         const size_t *idx, size_t n_idx, double *nats, double *units,
                         duet_error *err)
{
    duet_status st;
    if (t->type == DUET_EMBEDDED_LM) {
        duet_charlm_score sc = {0, 0, 0};
        st = duet_charlm_score_records(t->lm, theta, r, idx, n_idx, 0.0, NULL, &sc, err);
        *nats = sc.bits * log(2.0);
        *units = sc.chars;
    } else {
        duet_postag_score sc = {0, 0, 0};
        st = duet_postag_score_records(t->tagger, theta, r, idx, n_idx, 0.0, NULL, &sc, err);
        *nats = sc.nats;
        *units = sc.tokens;
    }
    return st;
}

/* Mean loss per unit, failing when the records have nothing to score. */
static duet_status domain_loss(const embedded_state *s, const embedded_task *t, size_t position,
                               const double *theta, const duet_records *r, const size_t *idx,
                               size_t n_idx, const char *split, double *loss, double *units,
                               duet_error *err)
{
    double nats = 0.0;
    duet_status st = score(t, theta, r, idx, n_idx, &nats, units, err);
    if (st != DUET_OK)
        return st;
    if (!(*units > 0.0))
        return duet_error_set(err, DUET_EFORMAT,
                              "task %s: the %zu %s records drawn from domain %s have no "
                              "%s to score; the domain's records are empty",
                              t->name, n_idx, split,
                              duet_pool_domain_name(s->pool, t->pool[position]),
                              t->type == DUET_EMBEDDED_LM ? "characters" : "tokens");
    *loss = nats / *units;
    return DUET_OK;
}

/* Chooses the fixed held-out sample of every pool domain, once per task. */
static duet_status heldout_sample(const embedded_state *s, embedded_task *t, duet_error *err)
{
    if (t->heldout_off != NULL)
        return DUET_OK;
    size_t cap = (size_t)s->opt.proxy_heldout, total = 0;
    for (size_t i = 0; i < t->n_pool; i++) {
        size_t n = duet_pool_records(s->pool, t->pool[i], DUET_SPLIT_HELDOUT)->n;
        if (n == 0)
            return duet_error_set(err, DUET_EFORMAT,
                                  "task %s: domain %s of pool %s has an empty held-out split, "
                                  "which proxy training scores; re-import the pool with more "
                                  "records in that domain",
                                  t->name, duet_pool_domain_name(s->pool, t->pool[i]),
                                  duet_pool_path(s->pool));
        total += n < cap ? n : cap;
    }
    size_t *off = duet_malloc((t->n_pool + 1) * sizeof *off);
    size_t *idx = duet_malloc(total * sizeof *idx);
    uint64_t *chosen = duet_malloc(cap * sizeof *chosen);
    if (off == NULL || idx == NULL || chosen == NULL) {
        duet_free(off);
        duet_free(idx);
        duet_free(chosen);
        return duet_error_set(err, DUET_ENOMEM, "out of memory for %zu held-out records", total);
    }
    uint64_t key = duet_seed_label(duet_pool_split_seed(s->pool), "embedded:proxy-heldout");
    off[0] = 0;
    for (size_t i = 0; i < t->n_pool; i++) {
        size_t n = duet_pool_records(s->pool, t->pool[i], DUET_SPLIT_HELDOUT)->n;
        size_t k = n < cap ? n : cap;
        duet_rng rng;
        duet_rng_init(&rng, duet_seed_index(key, t->pool[i]));
        duet_rng_choose(&rng, n, k, chosen);
        for (size_t j = 0; j < k; j++)
            idx[off[i] + j] = (size_t)chosen[j];
        off[i + 1] = off[i] + k;
    }
    duet_free(chosen);
    t->heldout_off = off;
    t->heldout_idx = idx;
    return DUET_OK;
}

void duet_embedded_proxy_close(void *state, void *proxy)
{
    (void)state;
    embedded_proxy *p = proxy;
    if (p == NULL)
        return;
    duet_free(p->theta);
    duet_free(p->sum_sq);
    duet_free(p->grad);
    duet_free(p->grad_domain);
    duet_free(p->idx);
    duet_free(p->set);
    duet_free(p);
}

/* Allocates a proxy of task t with every parameter and accumulator zero. */
static duet_status proxy_new(const embedded_state *s, embedded_task *t, embedded_proxy **out,
                             duet_error *err)
{
    embedded_proxy *p = duet_calloc(1, sizeof *p);
    if (p == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening a proxy of task %s",
                              t->name);
    p->task = t;
    p->n_params = t->model.n_params;
    p->batch = (size_t)s->opt.proxy_batch;
    p->theta = duet_calloc(p->n_params, sizeof *p->theta);
    p->sum_sq = duet_calloc(p->n_params, sizeof *p->sum_sq);
    p->grad = duet_malloc(p->n_params * sizeof *p->grad);
    p->grad_domain = duet_malloc(p->n_params * sizeof *p->grad_domain);
    p->idx = duet_malloc(p->batch * sizeof *p->idx);
    p->set = duet_malloc(p->batch * sizeof *p->set);
    if (!p->theta || !p->sum_sq || !p->grad || !p->grad_domain || !p->idx || !p->set) {
        duet_embedded_proxy_close(NULL, p);
        return duet_error_set(err, DUET_ENOMEM,
                              "out of memory for a proxy of task %s with %zu parameters", t->name,
                              t->model.n_params);
    }
    *out = p;
    return DUET_OK;
}

duet_status duet_embedded_proxy_open(void *state, void *task, uint64_t seed, void **proxy,
                                     duet_error *err)
{
    (void)seed; /* the proxy starts from zero parameters, as evaluate() does */
    const embedded_state *s = state;
    embedded_task *t = task;
    duet_status st = heldout_sample(s, t, err);
    if (st != DUET_OK)
        return st;
    for (size_t i = 0; i < t->n_pool; i++)
        if (t->first[i + 1] == t->first[i])
            return duet_error_set(err, DUET_EFORMAT,
                                  "task %s: domain %s has an empty training split, so proxy "
                                  "training cannot draw minibatches from it",
                                  t->name, duet_pool_domain_name(s->pool, t->pool[i]));
    return proxy_new(s, t, (embedded_proxy **)proxy, err);
}

duet_status duet_embedded_proxy_clone(void *state, void *proxy, void **copy, duet_error *err)
{
    const embedded_proxy *p = proxy;
    embedded_proxy *c = NULL;
    duet_status st = proxy_new(state, p->task, &c, err);
    if (st != DUET_OK)
        return st;
    memcpy(c->theta, p->theta, p->n_params * sizeof *p->theta);
    memcpy(c->sum_sq, p->sum_sq, p->n_params * sizeof *p->sum_sq);
    *copy = c;
    return DUET_OK;
}

/* Adagrad: theta_j -= lr * g_j / sqrt(sum of g_j^2 so far), for every g_j != 0. */
static void adagrad_update(embedded_proxy *p, double lr)
{
    for (size_t j = 0; j < p->n_params; j++) {
        double g = p->grad[j];
        if (g == 0.0)
            continue;
        p->sum_sq[j] += g * g;
        p->theta[j] -= lr * g / sqrt(p->sum_sq[j]);
    }
}

duet_status duet_embedded_proxy_step(void *state, void *proxy, const double *weights,
                                     uint64_t batch, double *losses, duet_error *err)
{
    const embedded_state *s = state;
    embedded_proxy *p = proxy;
    embedded_task *t = p->task;
    uint64_t key = duet_seed_label(batch, "embedded:proxy-batch");
    if (weights != NULL)
        memset(p->grad, 0, p->n_params * sizeof *p->grad);
    for (size_t i = 0; i < t->n_pool; i++) {
        const duet_records *r = duet_pool_records(s->pool, t->pool[i], DUET_SPLIT_TRAIN);
        duet_rng rng;
        duet_rng_init(&rng, duet_seed_index(key, i));
        for (size_t b = 0; b < p->batch; b++) {
            p->idx[b] = (size_t)duet_rng_below(&rng, r->n);
            p->set[b] = t->first[i] + p->idx[b];
        }
        double units = 0.0;
        duet_status st = domain_loss(s, t, i, p->theta, r, p->idx, p->batch, "training", &losses[i],
                                     &units, err);
        if (st != DUET_OK)
            return st;
        if (weights == NULL || weights[i] == 0.0)
            continue;
        /* The model's gradient is of the mean loss per record; rescale it to per unit. */
        st = t->model.grad(t->model.self, p->theta, p->set, p->batch, p->grad_domain, err);
        if (st != DUET_OK)
            return duet_error_prefix(err, "task %s: proxy step", t->name);
        double scale = weights[i] * (double)p->batch / units;
        for (size_t j = 0; j < p->n_params; j++)
            p->grad[j] += scale * p->grad_domain[j];
    }
    if (weights != NULL)
        adagrad_update(p, s->opt.proxy_lr);
    return DUET_OK;
}

duet_status duet_embedded_proxy_heldout(void *state, void *proxy, double *losses, duet_error *err)
{
    const embedded_state *s = state;
    const embedded_proxy *p = proxy;
    const embedded_task *t = p->task;
    for (size_t i = 0; i < t->n_pool; i++) {
        const duet_records *r = duet_pool_records(s->pool, t->pool[i], DUET_SPLIT_HELDOUT);
        size_t from = t->heldout_off[i], count = t->heldout_off[i + 1] - from;
        double units = 0.0;
        duet_status st = domain_loss(s, t, i, p->theta, r, t->heldout_idx + from, count, "held-out",
                                     &losses[i], &units, err);
        if (st != DUET_OK)
            return st;
    }
    return DUET_OK;
}
