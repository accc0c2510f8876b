/*
 * Checked access to proxy training and the fixed-mixture method state (see proxy.h).
 * Invariant: a duet_proxy with a non-NULL handle owns an open proxy of its backend.
 */
#include "proxy.h"

#include <math.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"
#include "util/simplex.h"

duet_status duet_proxy_require(const duet_method_env *env, const char *method, duet_error *err)
{
    const duet_backend_type *b = env->backend_type;
    if (b == NULL || b->proxy_open == NULL || b->proxy_step == NULL || b->proxy_heldout == NULL ||
        b->proxy_clone == NULL || b->proxy_close == NULL)
        return duet_error_set(err, DUET_EINVAL,
                              "method %s trains a proxy model, but backend %s offers no proxy "
                              "training; use a backend that does (synthetic, embedded) or "
                              "another method",
                              method, b && b->name ? b->name : "(none)");
    return DUET_OK;
}

duet_status duet_proxy_open(const duet_method_env *env, uint64_t seed, duet_proxy *out,
                            duet_error *err)
{
    memset(out, 0, sizeof *out);
    out->type = env->backend_type;
    out->backend = env->backend;
    out->n = env->n;
    out->domain_names = env->domain_names;
    return out->type->proxy_open(out->backend, env->task, seed, &out->handle, err);
}

duet_status duet_proxy_clone(const duet_proxy *p, duet_proxy *out, duet_error *err)
{
    *out = *p;
    out->handle = NULL;
    return p->type->proxy_clone(p->backend, p->handle, &out->handle, err);
}

/* Fails when a loss the backend reported is not finite. */
static duet_status check_losses(const duet_proxy *p, const double *losses, const char *what,
                                duet_error *err)
{
    for (size_t i = 0; i < p->n; i++)
        if (!isfinite(losses[i]))
            return duet_error_set(err, DUET_ENUMERIC,
                                  "backend %s reported the %s loss %g for domain %s; the proxy "
                                  "diverged (lower its learning rate) or the domain has no data",
                                  p->type->name, what, losses[i], p->domain_names[i]);
    return DUET_OK;
}

duet_status duet_proxy_step(duet_proxy *p, const double *weights, uint64_t batch, double *losses,
                            duet_error *err)
{
    duet_status st = p->type->proxy_step(p->backend, p->handle, weights, batch, losses, err);
    return st != DUET_OK ? st : check_losses(p, losses, "minibatch", err);
}

duet_status duet_proxy_heldout(duet_proxy *p, double *losses, duet_error *err)
{
    duet_status st = p->type->proxy_heldout(p->backend, p->handle, losses, err);
    return st != DUET_OK ? st : check_losses(p, losses, "held-out", err);
}

void duet_proxy_close(duet_proxy *p)
{
    if (p->handle != NULL)
        p->type->proxy_close(p->backend, p->handle);
    memset(p, 0, sizeof *p);
}

duet_fixed_mixture *duet_fixed_mixture_new(size_t n)
{
    duet_fixed_mixture *m = duet_calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->n = n;
    m->ratios = duet_calloc(n, sizeof *m->ratios);
    m->proxy_heldout = duet_calloc(n, sizeof *m->proxy_heldout);
    if (m->ratios == NULL || m->proxy_heldout == NULL) {
        duet_fixed_mixture_destroy(m);
        return NULL;
    }
    return m;
}

void duet_fixed_mixture_destroy(void *state)
{
    duet_fixed_mixture *m = state;
    if (m == NULL)
        return;
    duet_free(m->ratios);
    duet_free(m->proxy_heldout);
    duet_free(m);
}

duet_status duet_fixed_mixture_propose(void *state, size_t iteration, duet_rng *rng,
                                       duet_proposal *out, duet_error *err)
{
    const duet_fixed_mixture *m = state;
    memcpy(out->ratios, m->ratios, m->n * sizeof *m->ratios);
    duet_diag_entry *e = &out->diag.entries[out->diag.count++];
    e->name = "proxy_heldout";
    e->len = m->n;
    e->values = m->proxy_heldout;
    return DUET_OK;
}

duet_status duet_fixed_mixture_observe(void *state, const duet_observation *obs, duet_error *err)
{
    return DUET_OK;
}

void duet_weights_uniform(double *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        w[i] = 1.0 / (double)n;
}

void duet_weights_exp_update(double *w, const double *step, size_t n)
{
    double top = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double v = log(w[i]) + step[i];
        top = v > top ? v : top;
    }
    for (size_t i = 0; i < n; i++)
        w[i] = exp(log(w[i]) + step[i] - top);
    duet_simplex_normalize(w, n);
}

uint64_t duet_proxy_seed(const duet_method_env *env)
{
    return env->task_seed;
}

/* Entries the memo keeps; the oldest is replaced when it is full. */
#define PROXY_MEMO_ENTRIES 64

typedef struct memo_entry {
    char *key;
    size_t n;
    double *ratios, *heldout;
} memo_entry;

/* Process-wide: the memo only saves recomputing deterministic results. */
static memo_entry memo[PROXY_MEMO_ENTRIES];
static size_t memo_next;

static char *memo_key(const duet_method_env *env, const char *method, const duet_option *spec,
                      const void *options)
{
    duet_buf b = {0};
    duet_buf_printf(&b, "%s %zu %016llx ", method, env->n,
                    (unsigned long long)duet_proxy_seed(env));
    duet_options_format(spec, options, &b);
    if (b.failed) {
        duet_buf_free(&b);
        return NULL;
    }
    return b.data;
}

int duet_proxy_memo_find(const duet_method_env *env, const char *method, const duet_option *spec,
                         const void *options, duet_fixed_mixture *m)
{
    char *key = memo_key(env, method, spec, options);
    int found = 0;
    for (size_t i = 0; key && i < PROXY_MEMO_ENTRIES && !found; i++)
        if (memo[i].key && memo[i].n == m->n && strcmp(memo[i].key, key) == 0) {
            memcpy(m->ratios, memo[i].ratios, m->n * sizeof *m->ratios);
            memcpy(m->proxy_heldout, memo[i].heldout, m->n * sizeof *m->proxy_heldout);
            found = 1;
        }
    duet_free(key);
    return found;
}

void duet_proxy_memo_keep(const duet_method_env *env, const char *method, const duet_option *spec,
                          const void *options, const duet_fixed_mixture *m)
{
    memo_entry e = {memo_key(env, method, spec, options), m->n,
                    duet_malloc(m->n * sizeof *e.ratios), duet_malloc(m->n * sizeof *e.heldout)};
    if (e.key == NULL || e.ratios == NULL || e.heldout == NULL) {
        duet_free(e.key);
        duet_free(e.ratios);
        duet_free(e.heldout);
        return;
    }
    memcpy(e.ratios, m->ratios, m->n * sizeof *e.ratios);
    memcpy(e.heldout, m->proxy_heldout, m->n * sizeof *e.heldout);
    memo_entry *slot = &memo[memo_next];
    memo_next = (memo_next + 1) % PROXY_MEMO_ENTRIES;
    duet_free(slot->key);
    duet_free(slot->ratios);
    duet_free(slot->heldout);
    *slot = e;
}
