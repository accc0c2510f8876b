/*
 * The backend interface: what trains a model on a training subset and measures it on a task.
 *
 * A backend owns the domains (each with a training split of items) and turns a task
 * description into a task handle. For each task it reports which backend domains form the
 * task's training pool (out-of-domain tasks remove their evaluation domains), whether the
 * feedback is maximized (accuracy) or minimized (a loss), and whether the best attainable value
 * is known. evaluate() trains on a subset and returns the feedback. Backends know nothing about
 * methods or results files.
 */
#ifndef DUET_BACKEND_H
#define DUET_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "run/subset.h"
#include "util/error.h"
#include "util/log.h"
#include "util/options.h"

typedef enum duet_goal {
    DUET_GOAL_MAXIMIZE = 0,
    DUET_GOAL_MINIMIZE = 1,
} duet_goal;

/* Evaluation domains of one task that are reported separately, at most. */
#define DUET_TASK_METRICS_MAX 8

typedef struct duet_task_info {
    size_t n_pool;      /* domains in the task's training pool */
    const size_t *pool; /* [n_pool] backend domain index of each pool position; owned by the task */
    duet_goal goal;
    const char *metric; /* unit of the feedback, e.g. "accuracy", "bits per character" */
    int optimum_known;  /* 1 when `optimum` is the exact best attainable noiseless value */
    double optimum;     /* best attainable value, in feedback units */
    const double *optimum_ratios; /* [n_pool] a mixture attaining it, or NULL */
} duet_task_info;

typedef struct duet_eval_result {
    double feedback;  /* the noisy scalar a method sees, in the task's metric */
    double value;     /* noiseless value of the same subset when the backend knows it, else NaN */
    double seconds;   /* wall time of training and evaluation */
    size_t n_metrics; /* per-evaluation-domain metrics, for multi-domain tasks */
    double metrics[DUET_TASK_METRICS_MAX];
} duet_eval_result;

typedef struct duet_backend_env {
    const duet_log *log;
    uint64_t seed;          /* experiment seed, for the backend's own fixed randomness */
    const char *script_dir; /* folder of the experiment script, for relative paths */
    const char *data_dir;   /* where fetched data and pool files live */
} duet_backend_env;

typedef struct duet_backend_type {
    const char *name;    /* Lua name: duet.backend.<name>{...} */
    const char *summary; /* one line for `duet help backends` */
    const duet_option *options;
    size_t options_size; /* size of the struct that `options` fills */
    const duet_option *task_options;
    size_t task_options_size;

    duet_status (*open)(const void *options, const duet_backend_env *env, void **state,
                        duet_error *err);
    void (*close)(void *state);
    size_t (*domain_count)(const void *state);
    const char *(*domain_name)(const void *state, size_t domain);
    uint64_t (*domain_size)(const void *state, size_t domain);

    /*
     * Opens a task for training subsets of `points` items (the data budget M, which the best
     * attainable value may depend on); *info stays valid until task_close.
     */
    duet_status (*task_open)(void *state, const char *name, const void *task_options,
                             uint64_t points, void **task, duet_task_info *info, duet_error *err);
    void (*task_close)(void *state, void *task);

    /*
     * Trains on `subset` (pool positions as in task_info) and evaluates on the task. All
     * randomness (training order, the evaluation subsample, feedback noise) comes from `seed`,
     * so the same arguments give bit-identical results.
     */
    duet_status (*evaluate)(void *state, void *task, const duet_subset *subset, uint64_t seed,
                            duet_eval_result *out, duet_error *err);

    /*
     * Optional (NULL when unsupported): per-item scores of one backend domain's training split
     * for a named score kind ("influence", "less", "quality"), larger meaning more helpful.
     * out has domain_size(domain) entries.
     */
    duet_status (*item_scores)(void *state, size_t domain, const char *kind, double *out,
                               duet_error *err);

    /*
     * Optional (NULL when unsupported): numeric features of one backend domain's training
     * items, for selectors that measure diversity (logdet). Called with out == NULL it stores
     * the feature dimension in *dim; called again with out of domain_size(domain) * *dim
     * doubles it fills out row-major, one row per item. Features are fixed for the backend's
     * lifetime.
     */
    duet_status (*item_features)(void *state, size_t domain, size_t *dim, double *out,
                                 duet_error *err);

    /*
     * Optional (NULL when unknown): the best noiseless value that any subset with these
     * per-domain counts (pool positions, summing to the budget) can reach, the inner optimum
     * y*_r of the DUET paper's analysis. The runner records it per iteration, so the error of
     * the best-of-k estimator can be measured.
     */
    duet_status (*best_at_counts)(void *state, void *task, const uint64_t *counts, double *out,
                                  duet_error *err);

    /*
     * Optional proxy training, for task-agnostic mixing methods (DoReMi, online data mixing,
     * Aioli) that react to per-domain losses: a small model trained step by step on a task's
     * training pool, never on its evaluation data. A backend provides all five functions or sets
     * all five to NULL. Losses are arrays of n_pool entries in pool order (as in task_info), in
     * the backend's training-loss unit (e.g. nats per character), smaller meaning better.
     * Proxies of one task share the task's data and need not support concurrent calls.
     *
     * proxy_open starts a fresh proxy of the task; `seed` drives the proxy's own randomness,
     * such as a random initialization.
     */
    duet_status (*proxy_open)(void *state, void *task, uint64_t seed, void **proxy,
                              duet_error *err);
    /*
     * Draws one minibatch from every pool domain's training split. The draw depends on the key
     * `batch` alone, so equal keys give equal minibatches on every proxy of the task. Writes each
     * domain's mean loss on its minibatch at the current parameters to losses, then takes one
     * optimizer step on sum_i weights[i] * loss_i. weights has n_pool non-negative entries, or
     * is NULL to measure the losses without training.
     */
    duet_status (*proxy_step)(void *state, void *proxy, const double *weights, uint64_t batch,
                              double *losses, duet_error *err);
    /* Writes each pool domain's mean loss on its held-out split to losses. */
    duet_status (*proxy_heldout)(void *state, void *proxy, double *losses, duet_error *err);
    /* Makes an independent copy of the proxy: parameters and optimizer state. */
    duet_status (*proxy_clone)(void *state, void *proxy, void **copy, duet_error *err);
    /* Frees the proxy; NULL is a no-op. */
    void (*proxy_close)(void *state, void *proxy);
} duet_backend_type;

#endif
