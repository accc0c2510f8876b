/*
 * Training throughput of the embedded models on a pool file, and of Debian's fastText
 * (`fasttext supervised`, a linear text classifier trained by SGD) on the same tagging
 * examples, for a side-by-side measurement.
 */
#ifndef DUET_BENCH_TRAIN_H
#define DUET_BENCH_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "backends/embedded.h"
#include "util/error.h"

typedef struct duet_bench_train_row {
    const char *model;  /* "character model" or "tagger" */
    const char *unit;   /* "characters" or "tokens" */
    const char *metric; /* "bits per character" or "tagging accuracy" */
    size_t n_params;
    double examples;      /* training records per run */
    double units;         /* characters or tokens in them */
    double train_seconds; /* mean over the repeats */
    double eval_seconds;  /* scoring the evaluation sample, mean over the repeats */
    double iterations;    /* L-BFGS iterations, mean over the repeats */
    double metric_value;  /* on the evaluation sample, mean over the repeats */
} duet_bench_train_row;

typedef struct duet_bench_fasttext_row {
    int available;        /* 0 when the fasttext program could not be run */
    double examples;      /* tokens written as classification examples */
    double train_seconds; /* wall time of `fasttext supervised` */
    double accuracy;      /* precision at 1 of `fasttext test` on the evaluation tokens */
    char command[2048];   /* the training command line */
} duet_bench_fasttext_row;

typedef struct duet_bench_train_config {
    const char *pool_path;
    uint64_t points;  /* training records per run (M) */
    size_t eval_size; /* evaluation records */
    size_t repeats;   /* runs with different random subsets */
    uint64_t seed;
    duet_embedded_options options; /* model settings (pool is ignored) */
    const char *fasttext; /* fastText program, e.g. "fasttext"; NULL skips the comparison */
    const char *tmp_dir;  /* folder for fastText's temporary files */
} duet_bench_train_config;

/*
 * Trains the character model on records drawn from every domain and the tagger on records of
 * the tagged domains, `repeats` times each, scoring a sample of the first domain's eval split
 * (the first tagged one for the tagger). rows[0] is the character model, rows[1] the tagger.
 */
duet_status duet_bench_train(const duet_bench_train_config *config, duet_bench_train_row rows[2],
                             duet_bench_fasttext_row *fasttext, duet_error *err);

#endif
