/*
 * Character-level language model: log-linear next-character prediction from hashed context
 * n-gram features, a maximum-entropy language model in the sense of Rosenfeld, "A maximum
 * entropy approach to adaptive statistical language modelling" (1996).
 *
 * Characters: the 95 printable ASCII bytes map to classes 0..94 and every other byte to class
 * 95 ("other"), so C = 96. The features of position t are a bias row and, for each order
 * k = 1..orders, the previous k characters (padded with a start symbol) hashed into one of
 * `buckets` rows. Parameters: (buckets + 1) x 96 weights, row-major, the bias row last.
 *
 * An example is one record (its first max_chars bytes); its loss l(z) is the summed negative
 * log-likelihood of its characters in nats. The training objective is the mean over the set of
 * records plus (l2 / 2) ||theta||^2, strictly convex, minimized by L-BFGS on the full batch, in
 * which all positions that share a context are merged into one group.
 */
#ifndef DUET_CHARLM_H
#define DUET_CHARLM_H

#include <stddef.h>
#include <stdint.h>

#include "data/records.h"
#include "embedded/mlr_model.h"
#include "model/diffmodel.h"
#include "util/error.h"
#include "util/rng.h"

#define DUET_CHARLM_CLASSES   96
#define DUET_CHARLM_MAX_ORDER 8

typedef struct duet_charlm_config {
    size_t buckets;   /* hashed context rows, >= 1 */
    unsigned orders;  /* context orders 1..orders, 1 to DUET_CHARLM_MAX_ORDER */
    size_t max_chars; /* bytes of each record that are modelled, >= 1 */
    duet_mlr_fit fit; /* l2, L-BFGS iterations and memory */
} duet_charlm_config;

typedef struct duet_charlm duet_charlm;

/*
 * Builds a model whose dataset is the concatenation of the record lists lists[0..n_lists-1]:
 * example i is record i of the first list, and so on. The records are encoded and copied, so
 * the lists need not outlive the model.
 */
duet_status duet_charlm_new(const duet_charlm_config *config, const duet_records *const *lists,
                            size_t n_lists, duet_charlm **out, duet_error *err);
void duet_charlm_free(duet_charlm *m);

size_t duet_charlm_n_params(const duet_charlm *m);
size_t duet_charlm_n_examples(const duet_charlm *m);
/* The diffmodel view; valid while m lives. */
duet_diffmodel duet_charlm_diffmodel(duet_charlm *m);
/* L-BFGS iterations and final gradient norm of the last train call. */
void duet_charlm_last_train(const duet_charlm *m, size_t *iterations, double *grad_norm);

typedef struct duet_charlm_score {
    double chars;   /* characters scored */
    double bits;    /* summed negative log2-likelihood */
    double correct; /* characters predicted correctly */
} duet_charlm_score;

/*
 * Scores theta on records idx[0..n_idx-1] of r (their first max_chars bytes). A prediction is
 * the most probable character when temperature is 0 (ties to the lower class), else a draw
 * from softmax(z / temperature) using rng. Adds to *out (callers zero it first).
 */
duet_status duet_charlm_score_records(const duet_charlm *m, const double *theta,
                                      const duet_records *r, const size_t *idx, size_t n_idx,
                                      double temperature, duet_rng *rng, duet_charlm_score *out,
                                      duet_error *err);

/* The class of a byte: 0..94 for printable ASCII, 95 otherwise. */
unsigned duet_charlm_class(unsigned char byte);

#endif
