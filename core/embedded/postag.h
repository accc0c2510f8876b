/*
 * Part-of-speech tagger: multinomial logistic regression that tags each token independently,
 * over the twelve coarse tags of data/tagset.h. Its hashed word features are the word, its
 * suffixes of 1 to 3 letters and 2-letter prefix, its shape, and the neighbouring words with
 * their 3-letter suffixes. Parameters: (buckets + 1) x 12 weights, row-major, the bias row last.
 *
 * An example is one tagged record (a Brown sentence); its loss l(z) is the summed negative
 * log-likelihood of its tokens' tags in nats. Training minimizes the mean over the set plus
 * (l2 / 2) ||theta||^2 by L-BFGS on the full batch.
 */
#ifndef DUET_POSTAG_H
#define DUET_POSTAG_H

#include <stddef.h>
#include <stdint.h>

#include "data/records.h"
#include "embedded/mlr_model.h"
#include "model/diffmodel.h"
#include "util/error.h"
#include "util/rng.h"

typedef struct duet_postag_config {
    size_t buckets;   /* hashed feature rows, >= 1 */
    duet_mlr_fit fit; /* l2, L-BFGS iterations and memory */
} duet_postag_config;

typedef struct duet_postag duet_postag;

/*
 * Builds a tagger whose dataset is the concatenation of the tagged record lists
 * lists[0..n_lists-1]. Fails with DUET_EINVAL when a list is untagged and with DUET_EFORMAT
 * when a record has a different number of tags than tokens.
 */
duet_status duet_postag_new(const duet_postag_config *config, const duet_records *const *lists,
                            size_t n_lists, duet_postag **out, duet_error *err);
void duet_postag_free(duet_postag *m);

size_t duet_postag_n_params(const duet_postag *m);
size_t duet_postag_n_examples(const duet_postag *m);
duet_diffmodel duet_postag_diffmodel(duet_postag *m);
void duet_postag_last_train(const duet_postag *m, size_t *iterations, double *grad_norm);

typedef struct duet_postag_score {
    double tokens;  /* tokens scored */
    double nats;    /* summed negative log-likelihood of the true tags */
    double correct; /* tokens tagged correctly */
} duet_postag_score;

/*
 * Tags records idx[0..n_idx-1] of the tagged list r with theta and adds to *out. A prediction
 * is the most probable tag when temperature is 0, else a draw from softmax(z / temperature).
 */
duet_status duet_postag_score_records(const duet_postag *m, const double *theta,
                                      const duet_records *r, const size_t *idx, size_t n_idx,
                                      double temperature, duet_rng *rng, duet_postag_score *out,
                                      duet_error *err);

#endif
