/*
 * Executor types that an experiment or the command line selects: `inline` (evaluations one after
 * another in the duet process), `local` (worker processes on this machine) and `slurm` (worker
 * jobs in Slurm job arrays). The last two write one job directory per evaluation and run a
 * worker program on it (docs/worker-protocol.md); they retry failed evaluations and apply the
 * on_failure policy.
 *
 * In Lua: `executor = duet.executor.processes { jobs = 4 }` (the `local` type; `local` is a Lua
 * keyword) or `executor = duet.executor.slurm { partition = "gpu", ... }`. The executor is not
 * part of the resolved configuration, so a run may be resumed with another executor.
 */
#ifndef DUET_EXECUTORS_H
#define DUET_EXECUTORS_H

#include <stddef.h>
#include <stdint.h>

#include "run/executor.h"
#include "util/error.h"
#include "util/log.h"
#include "util/options.h"

enum { DUET_ON_FAILURE_STOP = 0, DUET_ON_FAILURE_SKIP = 1 };

/* Settings of every executor type; each type's option table reads the fields it uses. */
typedef struct duet_executor_options {
    int64_t jobs;        /* evaluations at once: worker processes, or the Slurm array throttle */
    duet_strings worker; /* worker program and its leading arguments; empty: `duet worker` */
    int64_t retries;     /* further attempts of an evaluation whose worker failed */
    double timeout;      /* seconds an evaluation may take before it is killed; 0: no limit */
    int on_failure;      /* DUET_ON_FAILURE_*: what a run does once the retries are used up */
    char *run_dir;       /* folder of the job directories; "": RESULTS.h5.jobs */
    int keep_jobs;       /* keep the job directories of successful evaluations */
    /* Slurm only */
    char *partition;
    char *time;               /* sbatch --time; "": from timeout */
    char *mem;                /* sbatch --mem */
    int64_t cpus;             /* sbatch --cpus-per-task */
    char *gpus;               /* sbatch --gpus-per-task; "": none */
    duet_strings sbatch_args; /* extra sbatch arguments, passed as they are */
    duet_strings setup;       /* shell lines run before the worker in each batch script */
    int64_t requeues;         /* resubmissions after preemption, node failure or time limit */
    double poll_seconds;      /* interval between squeue polls */
    char *slurm_bin;          /* folder of sbatch, squeue, scontrol, scancel; "": PATH */
} duet_executor_options;

/* What an executor needs from the program that starts the run. */
typedef struct duet_executor_env {
    const char *out_path;  /* the results file; the default run_dir is out_path + ".jobs" */
    const char *self_path; /* the duet program, for the default worker `duet worker` */
    const char *name;      /* experiment name, for Slurm job names */
    const duet_log *log;
} duet_executor_env;

typedef struct duet_executor_type {
    const char *name;
    const char *summary;
    const duet_option *options;
    /* Fills *out; out->destroy(out->state) releases it. */
    duet_status (*create)(const duet_executor_options *options, const duet_executor_env *env,
                          duet_executor *out, duet_error *err);
} duet_executor_type;

/* NULL-terminated list of the executor types. */
extern const duet_executor_type *const duet_executor_types[];
const duet_executor_type *duet_executor_type_find(const char *name);

/* Fills the defaults of type's options into o (zeroed by the caller). */
duet_status duet_executor_options_defaults(const duet_executor_type *type, duet_executor_options *o,
                                           duet_error *err);
void duet_executor_options_free(duet_executor_options *o);

#endif
