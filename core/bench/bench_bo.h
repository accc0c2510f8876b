/*
 * Timing of one Bayesian-optimization step (hyperparameter fit plus proposal) against the same
 * work done by scikit-learn and SciPy, for `duet bench bo`.
 */
#ifndef DUET_BENCH_BO_H
#define DUET_BENCH_BO_H

#include <stddef.h>
#include <stdio.h>

#include "util/error.h"

/*
 * Prints the table of the full grid: one BO step ("step": fit and proposal) for n in
 * {10, 50, 200, 1000} observations and d in {3, 9, 16} domains, then at n = 100, d = 9 one
 * proposal with kept hyperparameters ("kept") and the addition of one observation with kept
 * hyperparameters ("observe", duet only). Columns: case, n, d, duet milliseconds,
 * scikit-learn milliseconds, and their ratio. tsv selects tab-separated columns, otherwise aligned
 * ones. The peer is tests/peer/bench_bo_sklearn.py run under /usr/bin/python3. The script is looked
 * up below the DUET_SOURCE_DIR environment variable, else below the source tree this library
 * was built from. Without it the peer columns read "n/a". Takes minutes, most of them at
 * n = 1000.
 */
duet_status duet_bench_bo(FILE *out, int tsv, duet_error *err);

/*
 * The same table for a chosen grid: step cases for every pair of counts[i] and dims[j], then
 * the kept and observe cases at (kept_n, kept_d) unless kept_n is 0. with_peer = 0 skips the
 * scikit-learn runs.
 */
duet_status duet_bench_bo_grid(FILE *out, int tsv, const size_t *counts, size_t n_counts,
                               const size_t *dims, size_t n_dims, size_t kept_n, size_t kept_d,
                               int with_peer, duet_error *err);

#endif
