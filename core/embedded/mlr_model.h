/*
 * The duet_diffmodel adapter shared by the embedded models. A model supplies a function that
 * turns a set of example indices into a batch of groups (duet_mlr_batch). On top of it this
 * adapter provides loss, gradient, Hessian-vector product, per-example gradients and training.
 * The batch of the last set is cached (keyed by the set's length and a hash of its indices), so
 * repeated calls on one set, as conjugate-gradient solvers make, build it once. Hessian-vector
 * products also keep the batch's class probabilities at the last theta, keyed by a hash of its
 * values.
 * Not safe for concurrent calls on one model.
 */
#ifndef DUET_MLR_MODEL_H
#define DUET_MLR_MODEL_H

#include "embedded/mlr.h"
#include "model/diffmodel.h"

/* Training settings shared by the embedded models. */
typedef struct duet_mlr_fit {
    double l2;       /* regularization strength, > 0 */
    size_t max_iter; /* L-BFGS iterations at most */
    size_t memory;   /* L-BFGS correction pairs */
    /*
     * 1: train stops successfully after max_iter iterations even above the tolerance (a fixed
     * training budget, as the backend uses); 0: that is a DUET_ENUMERIC failure.
     */
    int accept_max_iter;
} duet_mlr_fit;

/* Fails with DUET_EINVAL naming `model` when fit is unusable (l2 not positive, no iterations). */
duet_status duet_mlr_fit_check(const duet_mlr_fit *fit, const char *model, duet_error *err);

/* Appends the groups of examples set[0..n_set-1] to out (already cleared). */
typedef duet_status (*duet_mlr_build_fn)(void *owner, const uint64_t *set, size_t n_set,
                                         duet_mlr_batch *out, duet_error *err);

typedef struct duet_mlr_model {
    void *owner; /* the concrete model, passed to build */
    duet_mlr_build_fn build;
    const char *name;  /* for messages: "character model", "tagger" */
    size_t n_examples; /* examples in the dataset: valid indices are below this */
    size_t n_params;
    size_t n_classes;
    duet_mlr_fit fit;
    duet_mlr_batch batch; /* cache of the last set */
    uint64_t cache_hash;
    size_t cache_n;
    int cache_valid;
    /*
     * Group probabilities of the cached batch at the parameters whose hash is probs_theta, for
     * repeated Hessian-vector products at one theta; probs_groups == 0 when not computed.
     */
    double *probs;
    size_t probs_groups, probs_cap;
    uint64_t probs_theta;
    duet_mlr_batch single;          /* scratch for one example */
    duet_mlr_train_info last_train; /* statistics of the last train call */
} duet_mlr_model;

/* Sets up m for a model with n_rows feature rows (n_rows * n_classes parameters). */
void duet_mlr_model_init(duet_mlr_model *m, void *owner, duet_mlr_build_fn build, const char *name,
                         size_t n_examples, size_t n_classes, size_t n_rows,
                         const duet_mlr_fit *fit);

/* A diffmodel whose self is m; m must outlive it. */
duet_diffmodel duet_mlr_model_diffmodel(duet_mlr_model *m);

/* Frees the cached batches. */
void duet_mlr_model_release(duet_mlr_model *m);

#endif
