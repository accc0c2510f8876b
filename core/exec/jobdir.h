/*
 * The part of the local and Slurm executors that does not depend on how workers are started:
 * job directories, manifests, reading results, retries and the on_failure policy.
 *
 * Layout: RUN_DIR/SESSION/bNNNNNN/J/ for job J (0-based, the Slurm array index) of batch N.
 * SESSION is unique per duet process ("YYYYmmddTHHMMSS-PID"), so a resumed run never reuses the
 * folders of an earlier one. RUN_DIR/SESSION/failures.log gets one line per evaluation that
 * failed for good.
 */
#ifndef DUET_JOBDIR_H
#define DUET_JOBDIR_H

#include <stddef.h>
#include <sys/types.h>

#include "exec/executors.h"

enum { DUET_JOBDIR_WAITING = 0, DUET_JOBDIR_RUNNING = 1, DUET_JOBDIR_DONE = 2 };

typedef struct duet_jobdir_entry {
    duet_eval_job *job;
    char dir[4096];
    unsigned attempt;   /* attempts started so far; the manifest says the current one */
    unsigned failures;  /* worker failures so far (each may be retried) */
    unsigned requeues;  /* Slurm resubmissions after preemption or a time limit */
    int state;          /* DUET_JOBDIR_* */
    pid_t pid;          /* local: the worker process */
    double started;     /* local: monotonic start time */
    char slurm_job[64]; /* Slurm: "ARRAYJOB_INDEX" of the current attempt */
    int missing_polls;  /* Slurm: polls since the task left the queue without a result */
} duet_jobdir_entry;

/* Executor-wide state shared by the local and Slurm executors. */
typedef struct duet_jobdir {
    duet_executor_options opt; /* owned copy */
    char session_dir[4096];
    char failures_log[4200];
    char **worker_argv; /* [worker_argc + 2]: worker program, its arguments, JOB_DIR, NULL */
    size_t worker_argc;
    unsigned long batches;
    char name[128];
    const duet_log *log;
} duet_jobdir;

typedef struct duet_jobdir_batch {
    char dir[4096];
    size_t n;
    duet_jobdir_entry *entries;
    const duet_exec_context *ctx;
    char script_dir[4096]; /* absolute */
    char data_dir[4096];   /* absolute */
} duet_jobdir_batch;

duet_status duet_jobdir_init(duet_jobdir *jd, const duet_executor_options *o,
                             const duet_executor_env *env, duet_error *err);
void duet_jobdir_release(duet_jobdir *jd);

/* Creates the batch folder and the first manifest of every job. */
duet_status duet_jobdir_batch_begin(duet_jobdir *jd, const duet_exec_context *ctx,
                                    duet_eval_job *jobs, size_t n, duet_jobdir_batch *b,
                                    duet_error *err);

/* Starts attempt entry->attempt + 1: keeps the old result as result.N and rewrites the manifest. */
duet_status duet_jobdir_next_attempt(duet_jobdir *jd, duet_jobdir_batch *b, size_t i,
                                     duet_error *err);

/* Fills argv (worker_argc + 2 entries) to run the worker on entry i. */
void duet_jobdir_worker_argv(const duet_jobdir *jd, duet_jobdir_batch *b, size_t i, char **argv);

/*
 * Reads the result of entry i after its worker ended. `ended` describes how ("exit status 4",
 * "Slurm state FAILED") or is NULL when unknown; exit_ok is 0 when the worker is known to have
 * failed even if it wrote an ok result. Returns 1 when the entry is done (its job filled, as a
 * success, a skipped failure or a failure that stops the run) and 0 when it should run again.
 */
int duet_jobdir_collect(duet_jobdir *jd, duet_jobdir_batch *b, size_t i, const char *ended,
                        int exit_ok);

/*
 * Records a failure of entry i that did not come from a result file (the worker could not be
 * started, or Slurm reported it); same return value as duet_jobdir_collect.
 */
int duet_jobdir_fail(duet_jobdir *jd, duet_jobdir_batch *b, size_t i, const char *message,
                     int retryable);

/* Removes the job directories of successful jobs (unless keep_jobs) and frees the batch. */
void duet_jobdir_batch_end(duet_jobdir *jd, duet_jobdir_batch *b);

#endif
