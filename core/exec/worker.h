/*
 * The C worker of the worker protocol: evaluates the manifest of one job directory with a
 * registered backend and writes its result file. `duet worker JOB_DIR` calls it.
 */
#ifndef DUET_WORKER_H
#define DUET_WORKER_H

#include "util/log.h"

typedef struct duet_worker_options {
    int capture; /* redirect stdout and stderr to JOB_DIR/stdout and JOB_DIR/stderr (appending) */
    const duet_log *log;
} duet_worker_options;

/*
 * Runs the job in job_dir and returns the worker exit status (DUET_WORKER_EXIT_*). The
 * evaluation runs in a child process, so that a crash or a timeout still leaves a result file
 * saying what happened; the manifest's timeout (seconds, 0 for none) bounds it.
 */
int duet_worker_run(const char *job_dir, const duet_worker_options *opt);

#endif
