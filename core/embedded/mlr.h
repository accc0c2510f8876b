/*
 * Multinomial logistic regression over sparse binary features, the engine shared by the
 * character language model and the part-of-speech tagger of the embedded backend.
 *
 * Examples are presented in groups: all examples of a group share one feature set (row
 * indices into the weight matrix) and differ only in their class. A group stores the count of
 * each class, so the character model can merge every position with the same context into one
 * group. With parameters W (n_features x n_classes, row-major) and logits z = sum_{f in F} W_f,
 * a group's loss is N lse(z) - sum_c n_c z_c (natural log; N = sum_c n_c), and a batch's loss is
 * `weight` times the sum over its groups.
 */
#ifndef DUET_MLR_H
#define DUET_MLR_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct duet_mlr_batch {
    size_t n_classes; /* C */
    double weight;    /* factor on the summed group losses, e.g. 1 / (examples in the set) */
    size_t n_groups;
    size_t *feat_off;                        /* [n_groups + 1] */
    uint32_t *feat;                          /* [feat_off[n_groups]] feature rows */
    size_t *count_off;                       /* [n_groups + 1] */
    uint16_t *count_class;                   /* [count_off[n_groups]] */
    double *count;                           /* [count_off[n_groups]] */
    double *total;                           /* [n_groups] sum of the group's counts */
    size_t cap_groups, cap_feat, cap_counts; /* allocated sizes */
} duet_mlr_batch;

/* A zeroed batch is empty. duet_mlr_batch_clear keeps the buffers for reuse. */
void duet_mlr_batch_free(duet_mlr_batch *b);
void duet_mlr_batch_clear(duet_mlr_batch *b, size_t n_classes, double weight);

/* Appends a group; classes[k] occurs counts[k] times (classes distinct within the group). */
duet_status duet_mlr_batch_add(duet_mlr_batch *b, const uint32_t *feat, size_t n_feat,
                               const uint16_t *classes, const double *counts, size_t n_counts,
                               duet_error *err);

/*
 * Returns the batch loss at theta ([n_features * C]); when grad is not NULL it is overwritten
 * with the gradient (n_params entries, zeroed first).
 */
double duet_mlr_loss_grad(const duet_mlr_batch *b, size_t n_params, const double *theta,
                          double *grad);

/* out[0..n_params-1] = (Hessian of the batch loss at theta) v, computed analytically. */
void duet_mlr_hvp(const duet_mlr_batch *b, size_t n_params, const double *theta, const double *v,
                  double *out);

/* probs[g * C + c] = softmax of group g's logits at theta, for every group (n_groups * C). */
void duet_mlr_probs(const duet_mlr_batch *b, const double *theta, double *probs);

/*
 * duet_mlr_hvp with the group probabilities of duet_mlr_probs at the same theta, which skips
 * the logits and exponentials of theta: the repeated products of a linear solve need only v.
 */
void duet_mlr_hvp_probs(const duet_mlr_batch *b, size_t n_params, const double *probs,
                        const double *v, double *out);

/*
 * out[0..n_params-1] = weight * sum over groups containing row f of N p_c (1 - p_c): the Hessian
 * diagonal of the batch loss, exact when no row occurs twice in a group.
 */
void duet_mlr_hess_diag(const duet_mlr_batch *b, size_t n_params, const double *theta, double *out);

/* Returns (gradient of the batch loss at theta) . v without forming the gradient. */
double duet_mlr_grad_dot(const duet_mlr_batch *b, const double *theta, const double *v);

/*
 * Stores |gradient of the batch loss at theta|^2 in *out without forming the dense gradient:
 * the per-group z-gradients are summed per feature row (rows shared by several groups add up
 * before squaring). Work and memory grow with the batch's feature entries, not with n_params.
 */
duet_status duet_mlr_grad_sqnorm(const duet_mlr_batch *b, const double *theta, double *out,
                                 duet_error *err);

/* Writes the logits of a feature set into z[0..C-1]. */
void duet_mlr_logits(const double *theta, size_t n_classes, const uint32_t *feat, size_t n_feat,
                     double *z);

/* Replaces z[0..C-1] by softmax(z) and returns log-sum-exp of the input. */
double duet_mlr_softmax(double *z, size_t n_classes);

/*
 * A prediction from class probabilities p[0..C-1]: the most probable class (ties to the lower
 * index) when temperature is 0, else a draw from softmax(log(p) / temperature) using rng.
 */
struct duet_rng;
unsigned duet_mlr_predict(const double *p, size_t n_classes, double temperature,
                          struct duet_rng *rng);

typedef struct duet_mlr_train_options {
    double l2;       /* strength of (l2 / 2) ||theta||^2 added to the batch loss */
    double tol;      /* stop when the gradient norm of the regularized objective is <= tol */
    size_t max_iter; /* L-BFGS iterations at most */
    size_t memory;   /* L-BFGS correction pairs */
} duet_mlr_train_options;

typedef struct duet_mlr_train_info {
    size_t iterations, evaluations;
    double objective, grad_norm;
} duet_mlr_train_info;

/* Minimizes loss + (l2 / 2) ||theta||^2 by L-BFGS from theta (in: start, out: minimizer). */
duet_status duet_mlr_train(const duet_mlr_batch *b, size_t n_params, double *theta,
                           const duet_mlr_train_options *options, duet_mlr_train_info *info,
                           duet_error *err);

#endif
