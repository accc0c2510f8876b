/*
 * The method interface: the outer level that proposes mixtures and learns from feedback.
 *
 * The runner calls propose() once per iteration, draws the inner samples with the method's
 * selector, evaluates them, and calls observe() with the realized ratios and the best
 * feedback of the k samples. Feedback reaches a method as a utility, oriented so that larger
 * is better (a loss is negated). Methods know nothing about backends' internals or results
 * files; the diagnostics they publish are logged by the runner.
 */
#ifndef DUET_METHOD_H
#define DUET_METHOD_H

#include <stddef.h>
#include <stdint.h>

#include "run/backend.h"
#include "util/error.h"
#include "util/log.h"
#include "util/options.h"
#include "util/rng.h"

/* Diagnostics one proposal may publish, at most. */
#define DUET_DIAG_MAX 16

typedef struct duet_diag_entry {
    const char *name;     /* dataset name under diag/ in the results, e.g. "beta" */
    size_t len;           /* values per iteration (1 for a scalar) */
    const double *values; /* [len]; valid until the next propose() */
} duet_diag_entry;

typedef struct duet_diag {
    size_t count;
    duet_diag_entry entries[DUET_DIAG_MAX];
} duet_diag;

typedef struct duet_method_env {
    size_t n;                        /* domains of the task's pool: the simplex dimension */
    const char *const *domain_names; /* [n] */
    const uint64_t *domain_sizes;    /* [n] training items per domain */
    uint64_t points;                 /* data budget M: items in every training subset */
    size_t iterations;               /* T */
    size_t samples;                  /* k: inner samples per iteration */
    duet_goal goal;
    uint64_t seed;      /* seed of this (task, method, trial) */
    uint64_t task_seed; /* seed of the task alone: equal for every method and trial */
    const duet_log *log;
    const duet_backend_type *backend_type; /* for task-agnostic methods that train proxies */
    void *backend;
    void *task;
    const size_t *pool; /* [n] backend domain index of each pool position */
} duet_method_env;

typedef struct duet_proposal {
    double *ratios; /* [n], allocated by the runner; propose() writes a point of the simplex */
    duet_diag diag; /* reset to empty by the runner before each propose() */
} duet_proposal;

typedef struct duet_observation {
    size_t iteration;     /* 0-based iteration, or 0-based index of a warm-start point */
    int warm_start;       /* 1 for a point of the warm-start design */
    const double *ratios; /* [n] realized ratios: per-domain counts divided by M */
    double utility;       /* best of the k sample utilities */
    size_t k;
    const double *sample_utilities; /* [k] */
} duet_observation;

enum {
    /* The method observes the experiment's warm-start design before its first proposal. */
    DUET_METHOD_WARM_START = 1u << 0,
};

typedef struct duet_method_type {
    const char *name;             /* Lua name: duet.method.<name>{...} */
    const char *summary;          /* one line for `duet help methods` */
    const char *default_selector; /* selector used when the experiment names none */
    unsigned flags;
    const duet_option *options;
    size_t options_size;

    duet_status (*create)(const duet_method_env *env, const void *options, void **state,
                          duet_error *err);
    void (*destroy)(void *state);
    /* Proposes the mixture of `iteration` (0-based) using draws from rng only. */
    duet_status (*propose)(void *state, size_t iteration, duet_rng *rng, duet_proposal *out,
                           duet_error *err);
    duet_status (*observe)(void *state, const duet_observation *obs, duet_error *err);
    /*
     * Optional second answer after the last iteration, e.g. the optimum of a surrogate's
     * posterior mean; NULL when the method has none. Writes n ratios.
     */
    duet_status (*answer)(void *state, duet_rng *rng, double *ratios, duet_error *err);
    /*
     * Optional check of the options against a task's number of pool domains, run for every task
     * before the run writes anything; NULL when create's own checks suffice.
     */
    duet_status (*check)(const void *options, size_t n_domains, duet_error *err);
} duet_method_type;

#endif
