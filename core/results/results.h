/*
 * Results of an experiment, in memory and on disk.
 *
 * The in-memory model mirrors the HDF5 layout documented in docs/results-format.md: for each
 * task, method and trial, per-iteration arrays sized for all T iterations, of which the first
 * `iterations_done` rows are valid (the rest hold NaN or 0). The runner fills it as iterations
 * finish; the writer snapshots it to HDF5 atomically (write a temporary file, flush, rename), and
 * the journal (journal.c) records every finished iteration in between, so a killed run loses
 * nothing and `duet run --resume` continues it.
 *
 * Shapes use n = domains of the task's pool, T = iterations, k = the method's inner samples,
 * W = warm-start points.
 */
#ifndef DUET_RESULTS_H
#define DUET_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define DUET_RESULTS_FORMAT         "duet-results"
#define DUET_RESULTS_FORMAT_VERSION 1

typedef struct duet_series {
    char *name;     /* dataset name under diag/ */
    size_t len;     /* values per iteration */
    double *values; /* [T x len], NaN where not recorded */
} duet_series;

typedef struct duet_trial_results {
    uint64_t seed;          /* seed of this trial's streams (derived, logged) */
    size_t iterations_done; /* rows 0 .. iterations_done-1 of every array are valid */
    int complete;           /* 1 once the last iteration and the answer are recorded */
    double *proposed;       /* [T x n] ratios as proposed by the method */
    double *ratios;         /* [T x n] realized ratios: counts / M */
    int64_t *counts;        /* [T x n] items drawn from each domain */
    double *ess;            /* [T x n] effective sample size of the chosen sample's draw */
    double *samples;        /* [T x k] feedback of every inner sample */
    double *sample_values;  /* [T x k] noiseless value of every inner sample (NaN if unknown) */
    double *feedback;       /* [T] best of the k samples, in the task's direction */
    double *value;          /* [T] noiseless value of that best sample (NaN if unknown) */
    double *inner_optimum;  /* [T] best value any subset with the iteration's counts can reach */
    int64_t *best_sample;   /* [T] index in 0..k-1 of the best sample */
    double *best_so_far;    /* [T] best feedback up to and including the iteration */
    double *regret;  /* [T] simple regret |f* - best noiseless value so far| (NaN if unknown) */
    double *seconds; /* [T] wall time of the iteration (evaluations included) */
    size_t n_diag;
    duet_series *diag; /* method diagnostics (GP hyperparameters, beta_t, ...) */

    size_t warm_total; /* W */
    size_t warm_done;
    double *warm_ratios;   /* [W x n] */
    double *warm_feedback; /* [W] */
    double *warm_value;    /* [W] */

    /* The answer: the best observed subset and, when the method has one, its second answer. */
    int64_t answer_iteration; /* -1 until known */
    int64_t answer_sample;
    double answer_feedback;
    uint64_t *answer_items; /* [M] item indices, grouped by domain */
    int64_t *answer_counts; /* [n] */
    int has_model_answer;
    double *model_answer; /* [n] e.g. the argmax of a GP posterior mean */
} duet_trial_results;

typedef struct duet_method_results {
    char *label;
    char *type;
    char *selector;
    size_t samples; /* k */
    duet_trial_results *trials;
} duet_method_results;

typedef struct duet_task_results {
    char *name;
    size_t n;       /* domains of the task's pool */
    char **domains; /* [n] */
    int goal;       /* duet_goal */
    char *metric;
    int optimum_known;
    double optimum;
    double *optimum_ratios; /* [n] or NULL */
    size_t n_methods;
    duet_method_results *methods;
} duet_task_results;

typedef struct duet_provenance {
    char *duet_version, *git_commit, *compiler, *build_type, *blas, *host;
    int git_dirty;
    int blas_threads;
    char *started, *finished; /* ISO 8601 UTC */
    char *command_line, *script_path, *script, *config;
} duet_provenance;

typedef struct duet_results {
    char *experiment;
    char *description;
    uint64_t seed;
    size_t points;     /* M */
    size_t iterations; /* T */
    size_t trials;
    size_t n_tasks;
    duet_task_results *tasks;
    duet_provenance prov;
} duet_results;

/* Frees everything; NULL is a no-op. */
void duet_results_free(duet_results *r);

/*
 * Allocates the arrays of one trial for T iterations, n domains, k samples, W warm-start points
 * and M points, filled with NaN (doubles) or 0; the answer is unknown (-1).
 */
duet_status duet_trial_results_alloc(duet_trial_results *tr, size_t T, size_t n, size_t k, size_t W,
                                     size_t M, duet_error *err);
void duet_trial_results_clear(duet_trial_results *tr);

/* Finds or adds the diagnostic series `name` of length len in a trial with T iterations. */
duet_status duet_trial_series(duet_trial_results *tr, const char *name, size_t len, size_t T,
                              duet_series **out, duet_error *err);

/*
 * Recomputes best_so_far[t] and regret[t] of a trial from feedback and value of rows 0..t:
 * best in the goal's direction, and simple regret, the gap from the best noiseless value so far
 * to the optimum in the goal's direction (optimum - best when maximizing), when the optimum is
 * known (NaN otherwise). A negative regret means the backend's optimum is wrong.
 */
void duet_trial_update_derived(duet_trial_results *tr, size_t t, int goal, int optimum_known,
                               double optimum);

/* Counts of complete trials and of finished iterations over the whole experiment. */
void duet_results_progress(const duet_results *r, size_t *trials_complete, size_t *trials_total,
                           size_t *iterations_done, size_t *iterations_total);

/* Writes r to path atomically (temporary file, flush, rename). */
duet_status duet_results_write(const duet_results *r, const char *path, duet_error *err);

/*
 * Reads a results file. Every dataset's shape and type is checked before it is read, so a
 * malformed or hostile file gives DUET_EFORMAT with a message naming the dataset, never a crash.
 */
duet_status duet_results_read(const char *path, duet_results **out, duet_error *err);

/*
 * Like duet_results_read for files from elsewhere (duet info, duet plot): a child process
 * (fork) reads the file first, and only when it finishes does this process read it. A file that
 * crashes the HDF5 library or keeps it busy past timeout_seconds gives DUET_EFORMAT naming the
 * signal or the time; the caller never runs the failing code. Reads the file twice.
 */
duet_status duet_results_read_isolated(const char *path, double timeout_seconds, duet_results **out,
                                       duet_error *err);

/* Seconds duet info and duet plot allow the HDF5 library for reading one results file. */
#define DUET_RESULTS_READ_TIMEOUT 300.0

#endif
