/*
 * The runner: the only place that knows the experiment loop.
 *
 *     for each task x method x trial:
 *         warm start (methods that use it observe the design's points)
 *         for t = 1..T:
 *             r_t  = method.propose()              realized as per-domain counts summing to M
 *             X_j  = selector.draw(counts), j = 1..k
 *             y_j  = backend.evaluate(X_j)         through the executor
 *             method.observe(realized ratios, best of y_1..y_k)
 *             results: row t in memory, in the journal (flushed), in HDF5 snapshots
 *
 * Random streams. Every stream is derived from the experiment seed and names, never from run
 * order: a method's proposals from (task, method, trial, iteration); the selector's draws and
 * the evaluation noise from (task, trial, iteration, sample), shared by all methods so that
 * methods are compared on common random numbers; warm-start designs from (task, trial).
 *
 * Resume. With resume set, the runner reads the existing results file and its journal, checks
 * that they were written for the same resolved configuration, rebuilds each unfinished trial's
 * method state by replaying its recorded iterations (proposals are recomputed and must equal the
 * recorded ones bit for bit), and evaluates only what is missing.
 */
#ifndef DUET_RUNNER_H
#define DUET_RUNNER_H

#include <signal.h>
#include <stddef.h>

#include "run/config.h"
#include "run/executor.h"
#include "util/error.h"
#include "util/log.h"

typedef struct duet_progress {
    size_t evaluations_done;
    size_t evaluations_total;
    size_t trials_done;
    size_t trials_total;
    double elapsed_seconds;
} duet_progress;

typedef struct duet_run_options {
    const char *out_path;     /* results file; its journal is out_path + ".journal" */
    int resume;               /* continue an existing results file */
    const char *command_line; /* stored as provenance */
    const char *data_dir;     /* for backends that read data files; NULL: "data" */
    const duet_log *log;
    void (*progress)(void *userdata, const duet_progress *p);
    void *progress_userdata;
    volatile sig_atomic_t *interrupted; /* set by a signal handler to stop after the batch */
    double snapshot_seconds; /* minimum interval between HDF5 snapshots; <= 0: every iteration */
    duet_executor *executor; /* NULL: the inline executor */
    int sync;                /* duet_sync policy of the journal (core/results/journal.h) */
    int check_only; /* open the backend and tasks, run every check, then stop: write nothing */
} duet_run_options;

/* Runs (or resumes) the experiment and writes its results file. */
duet_status duet_run(const duet_config *cfg, const duet_run_options *opt, duet_error *err);

/* Seeds of the streams described above; exposed so tests can recompute draws independently. */
uint64_t duet_stream_trial(uint64_t seed, const char *task, const char *method, size_t trial);
uint64_t duet_stream_shared(uint64_t seed, const char *task, size_t trial);

#endif
