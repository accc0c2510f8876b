/*
 * The executor types, their option tables and their registry. All types share one options
 * struct; a type's table lists the fields it reads, so an experiment script gets "unknown key"
 * for a Slurm option given to the local executor.
 */
#include "exec/executors.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "exec/slurm.h"

duet_status duet_executor_fork_create(const duet_executor_options *o, const duet_executor_env *env,
                                      duet_executor *out, duet_error *err);
duet_status duet_executor_local_create(const duet_executor_options *o, const duet_executor_env *env,
                                       duet_executor *out, duet_error *err);

#define OFF(field) offsetof(duet_executor_options, field)

/* Options of every worker-based executor, first in both tables. */
#define WORKER_OPTIONS(jobs_help)                                                                  \
    {"jobs", DUET_OPT_INT, OFF(jobs), "1", 1, 100000, NULL, jobs_help},                            \
        {"worker",                                                                                 \
         DUET_OPT_STRINGS,                                                                         \
         OFF(worker),                                                                              \
         "",                                                                                       \
         0,                                                                                        \
         256,                                                                                      \
         NULL,                                                                                     \
         "worker program and its first arguments, e.g. { \"python3\", \"-m\", \"duet_llm\", "      \
         "\"worker\" }; the job directory is appended (empty: this duet's `duet worker`)"},        \
        {"retries",                                                                                \
         DUET_OPT_INT,                                                                             \
         OFF(retries),                                                                             \
         "2",                                                                                      \
         0,                                                                                        \
         100,                                                                                      \
         NULL,                                                                                     \
         "further attempts of an evaluation whose worker crashed, failed, timed out or wrote "     \
         "no valid result"},                                                                       \
        {"timeout",                                                                                \
         DUET_OPT_DOUBLE,                                                                          \
         OFF(timeout),                                                                             \
         "0",                                                                                      \
         0,                                                                                        \
         1e7,                                                                                      \
         NULL,                                                                                     \
         "seconds one evaluation may take before it is killed (0: no limit)"},                     \
        {"on_failure",                                                                             \
         DUET_OPT_ENUM,                                                                            \
         OFF(on_failure),                                                                          \
         "stop",                                                                                   \
         NAN,                                                                                      \
         NAN,                                                                                      \
         "stop|skip",                                                                              \
         "after the last retry: stop the run (resumable), or skip the evaluation (recorded as "    \
         "NaN, not observed by the method)"},                                                      \
        {"run_dir",                                                                                \
         DUET_OPT_STRING,                                                                          \
         OFF(run_dir),                                                                             \
         "",                                                                                       \
         NAN,                                                                                      \
         NAN,                                                                                      \
         NULL,                                                                                     \
         "folder of the job directories (default: RESULTS.h5.jobs next to the results file)"},     \
    {                                                                                              \
        "keep_jobs", DUET_OPT_BOOL, OFF(keep_jobs), "false", NAN, NAN, NULL,                       \
            "keep the job directories of successful evaluations (failed ones are always kept)"     \
    }

static const duet_option inline_option_table[] = {
    {NULL},
};

static const duet_option fork_option_table[] = {
    {"jobs", DUET_OPT_INT, OFF(jobs), "2", 1, 1024, NULL, "evaluation processes running at once"},
    {"retries", DUET_OPT_INT, OFF(retries), "2", 0, 100, NULL,
     "further attempts of an evaluation whose process crashed or timed out"},
    {"timeout", DUET_OPT_DOUBLE, OFF(timeout), "0", 0, 1e7, NULL,
     "seconds one evaluation may take before its process is killed (0: no limit)"},
    {"on_failure", DUET_OPT_ENUM, OFF(on_failure), "stop", NAN, NAN, "stop|skip",
     "after the last retry: stop the run (resumable), or skip the evaluation (recorded as NaN, "
     "not observed by the method)"},
    {NULL},
};

static const duet_option local_option_table[] = {
    WORKER_OPTIONS("worker processes running at once"),
    {NULL},
};

static const duet_option slurm_option_table[] = {
    WORKER_OPTIONS("array tasks running at once (the %P throttle of sbatch --array)"),
    {"partition", DUET_OPT_STRING, OFF(partition), "", NAN, NAN, NULL,
     "sbatch --partition (empty: the cluster's default)"},
    {"time", DUET_OPT_STRING, OFF(time), "", NAN, NAN, NULL,
     "sbatch --time, e.g. \"02:00:00\" (empty: timeout rounded up to minutes plus 1, or the "
     "partition's limit when timeout is 0)"},
    {"mem", DUET_OPT_STRING, OFF(mem), "1G", NAN, NAN, NULL,
     "sbatch --mem per evaluation, e.g. \"32G\" (without it a job may take a whole node)"},
    {"cpus", DUET_OPT_INT, OFF(cpus), "1", 1, 4096, NULL, "sbatch --cpus-per-task"},
    {"gpus", DUET_OPT_STRING, OFF(gpus), "", NAN, NAN, NULL,
     "sbatch --gpus-per-task, e.g. \"1\" or \"a100:1\" (empty: none)"},
    {"sbatch_args", DUET_OPT_STRINGS, OFF(sbatch_args), "", 0, 256, NULL,
     "extra sbatch arguments, each one argument, e.g. { \"--account=proj\", \"--qos=high\" }"},
    {"setup", DUET_OPT_STRINGS, OFF(setup), "", 0, 256, NULL,
     "shell lines the batch script runs before the worker, e.g. { \"module load cuda\" }"},
    {"requeues", DUET_OPT_INT, OFF(requeues), "3", 0, 100, NULL,
     "submissions again after preemption, node failure or the time limit"},
    {"poll_seconds", DUET_OPT_DOUBLE, OFF(poll_seconds), "5", 0.05, 3600, NULL,
     "seconds between squeue polls"},
    {"slurm_bin", DUET_OPT_STRING, OFF(slurm_bin), "", NAN, NAN, NULL,
     "folder of sbatch, squeue and scancel (empty: found on PATH)"},
    {NULL},
};

static duet_status inline_create(const duet_executor_options *o, const duet_executor_env *env,
                                 duet_executor *out, duet_error *err)
{
    (void)o;
    (void)env;
    (void)err;
    duet_executor_inline(out);
    return DUET_OK;
}

static const duet_executor_type inline_type = {
    "inline", "evaluations one after another inside the duet process (the default)",
    inline_option_table, inline_create};
static const duet_executor_type fork_type = {
    "fork", "processes forked from duet that reuse its open backend (the default of --jobs)",
    fork_option_table, duet_executor_fork_create};
static const duet_executor_type local_type = {
    "local", "worker processes on this machine (Lua: duet.executor.processes { jobs = N })",
    local_option_table, duet_executor_local_create};
static const duet_executor_type slurm_type = {
    "slurm", "worker jobs in Slurm job arrays on a cluster with a shared filesystem",
    slurm_option_table, duet_executor_slurm_create};

const duet_executor_type *const duet_executor_types[] = {&inline_type, &fork_type, &local_type,
                                                         &slurm_type, NULL};

const duet_executor_type *duet_executor_type_find(const char *name)
{
    for (size_t i = 0; duet_executor_types[i]; i++)
        if (strcmp(duet_executor_types[i]->name, name) == 0)
            return duet_executor_types[i];
    return NULL;
}

duet_status duet_executor_options_defaults(const duet_executor_type *type, duet_executor_options *o,
                                           duet_error *err)
{
    return duet_options_defaults(type->options, o, err);
}

void duet_executor_options_free(duet_executor_options *o)
{
    /* The Slurm table names every field that owns memory. */
    if (o)
        duet_options_free(slurm_option_table, o);
}
