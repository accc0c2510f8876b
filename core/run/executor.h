/*
 * Executors run batches of evaluations. The runner collects the evaluations that active trials
 * need (the k inner samples of each trial's current iteration), hands them to an executor as one
 * batch, and continues when all have finished. Results do not depend on the executor: every
 * evaluation carries its own seed, and the runner consumes results in a fixed order.
 */
#ifndef DUET_EXECUTOR_H
#define DUET_EXECUTOR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "run/backend.h"
#include "run/subset.h"
#include "util/error.h"
#include "util/log.h"

typedef struct duet_eval_job {
    size_t task;                    /* index of the task in the experiment */
    const duet_subset *subset;      /* the training subset (pool positions of that task) */
    uint64_t seed;                  /* seed of the evaluation's randomness */
    duet_eval_result result;        /* filled by the executor */
    char label[160];                /* "task T, method M, trial i, iteration t, sample j" */
    duet_status status;             /* DUET_OK, or the failure of this evaluation */
    char error[DUET_ERROR_MSG_MAX]; /* message when status is not DUET_OK */
} duet_eval_job;

struct duet_config;

/*
 * What an executor may use to evaluate: the open backend and its open tasks, and for executors
 * that evaluate in other processes, what those need to reopen them.
 */
typedef struct duet_exec_context {
    const duet_backend_type *backend_type;
    void *backend;
    void *const *tasks; /* [n_tasks] task handles */
    size_t n_tasks;
    const duet_log *log;
    const struct duet_config *cfg;          /* backend and task options, budget, seed */
    const duet_backend_env *env;            /* the environment the backend was opened with */
    const char *const *const *domain_names; /* [n_tasks][n_pool] names of each task's pool */
    const uint64_t *const *domain_sizes;    /* [n_tasks][n_pool] */
    volatile sig_atomic_t *interrupted;     /* set by a signal handler; NULL when unused */
} duet_exec_context;

typedef struct duet_executor {
    const char *name;
    size_t parallelism; /* evaluations it runs at once; the runner keeps that many busy */
    void *state;
    /*
     * Runs every job of the batch and fills its result and status. Returns DUET_OK when the
     * batch was processed (individual jobs may still have failed), or an error that stops the run
     * (the executor itself broke, or the run was interrupted).
     */
    duet_status (*run)(void *state, const duet_exec_context *ctx, duet_eval_job *jobs, size_t n,
                       duet_error *err);
    void (*destroy)(void *state);
} duet_executor;

/* The inline executor: evaluates jobs one after another in the calling process. */
void duet_executor_inline(duet_executor *out);

#endif
