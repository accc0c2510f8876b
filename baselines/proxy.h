/*
 * Helpers shared by the task-agnostic baselines (DoReMi, online data mixing, Aioli): checked
 * access to the backend's proxy training (run/backend.h) and a method whose every proposal is
 * one mixture fixed at create(). Such a method runs its proxy training once in create(), from
 * streams derived from env->seed, and is then evaluated with the same number of trained models
 * as any other method: each iteration proposes the fixed mixture, and the k samples and
 * iterations differ only through the inner selector's draws.
 */
#ifndef DUET_BASELINES_PROXY_H
#define DUET_BASELINES_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "run/method.h"

/* A proxy model of the backend on the method's task. Zeroed means closed. */
typedef struct duet_proxy {
    const duet_backend_type *type;
    void *backend;
    void *handle;
    size_t n;                        /* pool domains: the length of every weight or loss array */
    const char *const *domain_names; /* [n] for messages */
} duet_proxy;

/*
 * Fails with DUET_EINVAL, naming the method and the backend, when the backend of env offers no
 * proxy training.
 */
duet_status duet_proxy_require(const duet_method_env *env, const char *method, duet_error *err);

/* Opens a fresh proxy of env's task, seeded with seed. */
duet_status duet_proxy_open(const duet_method_env *env, uint64_t seed, duet_proxy *out,
                            duet_error *err);

/* Copies p (parameters and optimizer state) into *out. */
duet_status duet_proxy_clone(const duet_proxy *p, duet_proxy *out, duet_error *err);

/*
 * Takes one proxy step on the minibatches selected by the key `batch`. losses[n] receives each
 * domain's minibatch loss before the step. weights[n] are non-negative, or NULL to measure
 * only. Fails with DUET_ENUMERIC when the backend reports a loss that is not finite.
 */
duet_status duet_proxy_step(duet_proxy *p, const double *weights, uint64_t batch, double *losses,
                            duet_error *err);

/* Writes each domain's held-out loss to losses[n]. DUET_ENUMERIC when one is not finite. */
duet_status duet_proxy_heldout(duet_proxy *p, double *losses, duet_error *err);

/* Closes the proxy and zeroes *p; a zeroed proxy is a no-op. */
void duet_proxy_close(duet_proxy *p);

/*
 * State of a method that proposes one fixed mixture. Every proposal copies `ratios` and
 * publishes the held-out losses of the final proxy as the diagnostic "proxy_heldout".
 */
typedef struct duet_fixed_mixture {
    size_t n;
    double *ratios;        /* [n] the mixture, filled by the method's create() */
    double *proxy_heldout; /* [n] held-out losses of the proxy at the end of its run */
} duet_fixed_mixture;

/* Allocates the state with both arrays zero; NULL when out of memory. */
duet_fixed_mixture *duet_fixed_mixture_new(size_t n);
void duet_fixed_mixture_destroy(void *state);
duet_status duet_fixed_mixture_propose(void *state, size_t iteration, duet_rng *rng,
                                       duet_proposal *out, duet_error *err);
duet_status duet_fixed_mixture_observe(void *state, const duet_observation *obs, duet_error *err);

/*
 * The seed of a task-agnostic method's proxy run: derived from the experiment seed and the task
 * only, so every trial of the method uses the same proxy mixture, as a mixture computed once
 * per training pool is used in practice. The trials still differ in their inner selection and
 * evaluation draws.
 */
uint64_t duet_proxy_seed(const duet_method_env *env);

/*
 * A memo of proxy mixtures within one process, so the trials of a task (and a resumed run's
 * replays) run the proxy once: keyed by the method name, its options as text (from `spec`),
 * the proxy seed and the domain count. duet_proxy_memo_find fills m and returns 1 on a hit;
 * duet_proxy_memo_keep stores a copy of m (a failed allocation only loses the memo).
 */
int duet_proxy_memo_find(const duet_method_env *env, const char *method, const duet_option *spec,
                         const void *options, duet_fixed_mixture *m);
void duet_proxy_memo_keep(const duet_method_env *env, const char *method, const duet_option *spec,
                          const void *options, const duet_fixed_mixture *m);

/* Uniform weights 1/n in w[0..n-1]. */
void duet_weights_uniform(double *w, size_t n);

/* w <- w * exp(step), renormalized, computed in log space so that no term overflows. */
void duet_weights_exp_update(double *w, const double *step, size_t n);

#endif
