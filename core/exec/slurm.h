/* Pieces of the Slurm executor that tests check on their own. */
#ifndef DUET_SLURM_H
#define DUET_SLURM_H

#include <stddef.h>

#include "exec/executors.h"

/* What a Slurm job state means for an evaluation. */
typedef enum duet_slurm_action {
    DUET_SLURM_ACTIVE = 0,  /* pending, running or finishing: wait */
    DUET_SLURM_ENDED = 1,   /* finished (COMPLETED, FAILED, ...): read the result file */
    DUET_SLURM_REQUEUE = 2, /* preempted, node failure, time limit: submit again */
    DUET_SLURM_UNKNOWN = 3, /* a state this code does not know: treated as ended */
} duet_slurm_action;

/* Classifies a state as squeue's %T prints it ("RUNNING", "PREEMPTED", ...). */
duet_slurm_action duet_slurm_classify(const char *state);

/*
 * Parses one line "JOBID_INDEX|STATE" of `squeue -h -r -t all -o %i|%T` into its array job id,
 * task index and state. Returns 0 for a line of another form (a job that is not an array task).
 */
int duet_slurm_parse_squeue_line(const char *line, char *job_id, size_t job_id_size,
                                 unsigned long *index, char *state, size_t state_size);

/* The --time value for sbatch: `time` when set, else whole minutes covering timeout + 1 min. */
void duet_slurm_time_limit(const duet_executor_options *o, char *out, size_t size);

/* Quotes s for a POSIX shell as one single-quoted word, into b. */
struct duet_buf;
void duet_shell_quote(struct duet_buf *b, const char *s);

duet_status duet_executor_slurm_create(const duet_executor_options *o, const duet_executor_env *env,
                                       duet_executor *out, duet_error *err);

#endif
