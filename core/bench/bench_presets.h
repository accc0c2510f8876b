/*
 * Feedback spread of the embedded task presets. For each task of a Lua preset module it
 * measures the feedback of the uniform mixture, of every single domain, and of the best and
 * worst of a number of flat-Dirichlet random mixtures. The noise standard deviation comes from
 * repeated evaluations of the uniform mixture with different seeds, each of which draws a new
 * subset and a new evaluation sample. A task is useful for mixture optimization when the uniform
 * mixture is several noise standard deviations from the best mixture found.
 */
#ifndef DUET_BENCH_PRESETS_H
#define DUET_BENCH_PRESETS_H

#include <stddef.h>
#include <stdint.h>

#include "backends/embedded.h"
#include "util/error.h"

#define DUET_BENCH_PRESETS_MAX 16

typedef struct duet_bench_preset_row {
    char name[64];
    char metric[32]; /* "bits per character", ... */
    int minimize;    /* 1 when lower feedback is better */
    size_t n_pool;   /* training domains */
    double uniform;  /* feedback of the uniform mixture (first repeat) */
    double best_single, worst_single;
    char best_single_domain[64], worst_single_domain[64];
    double best_random, worst_random;
    size_t n_random;
    double best_found; /* best over uniform, single domains and random mixtures */
    double noise_sd;   /* sample standard deviation over the uniform repeats */
    size_t n_repeats;
    double gap_in_sd;        /* |uniform - best_found| / noise_sd */
    double seconds_per_eval; /* mean wall time of one evaluation */
} duet_bench_preset_row;

typedef struct duet_bench_presets_config {
    const char *lua_file;   /* module returning a table with a `panels` array of task tables */
    const char *only;       /* task name to measure alone, or NULL for every panel */
    size_t random_mixtures; /* flat-Dirichlet mixtures per task, e.g. 50 */
    size_t repeats;         /* evaluations of the uniform mixture, >= 2 */
    uint64_t points;        /* training records per evaluation (M) */
    uint64_t seed;
    duet_embedded_options backend; /* backend options; backend.pool names the pool file */
    const char *data_dir;          /* where a relative pool path is looked up; may be NULL */
    /* Called with a one-line progress message; may be NULL. */
    void (*progress)(void *userdata, const char *message);
    void *userdata;
} duet_bench_presets_config;

/* The task presets of the source tree: lua/duet/embedded.lua. */
const char *duet_bench_default_presets_file(void);

/* Measures the tasks into rows[0..*n_rows-1] (at most DUET_BENCH_PRESETS_MAX). */
duet_status duet_bench_presets(const duet_bench_presets_config *config, duet_bench_preset_row *rows,
                               size_t *n_rows, duet_error *err);

/*
 * Reads the `panels` array of the Lua module at lua_file into task options and names (at most
 * max). The strings in opts[i].eval and names[i] are owned: free them with
 * duet_bench_free_tasks.
 */
duet_status duet_bench_read_tasks(const char *lua_file, duet_embedded_task_options *opts,
                                  char **names, size_t max, size_t *count, duet_error *err);
void duet_bench_free_tasks(duet_embedded_task_options *opts, char **names, size_t count);

#endif
