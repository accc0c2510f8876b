/*
 * A twice-differentiable model with an L2-regularized empirical-risk objective, as influence
 * estimators need it. For a set S of examples (indices into the model's dataset) and
 * parameters theta in R^p:
 *
 *     L_S(theta) = (1/|S|) sum_{z in S} l(z; theta)          (mean loss, no regularizer)
 *     J_S(theta) = L_S(theta) + (l2 / 2) ||theta||^2          (training objective)
 *
 * grad and hvp below are of L_S (the mean loss) without the regularizer; an estimator adds
 * l2 * v itself when it needs the Hessian of J. Implementations must be deterministic, and
 * must allow concurrent calls on distinct outputs only if they say so (none is assumed).
 */
#ifndef DUET_DIFFMODEL_H
#define DUET_DIFFMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/rng.h"

typedef struct duet_diffmodel {
    void *self;      /* implementation state */
    size_t n_params; /* p */
    double l2;       /* regularization strength of the training objective J */

    /* *out = L_S(theta). */
    duet_status (*loss)(void *self, const double *theta, const uint64_t *set, size_t n_set,
                        double *out, duet_error *err);
    /* g[0..p-1] = gradient of L_S at theta. */
    duet_status (*grad)(void *self, const double *theta, const uint64_t *set, size_t n_set,
                        double *g, duet_error *err);
    /* out[0..p-1] = (Hessian of L_S at theta) v. */
    duet_status (*hvp)(void *self, const double *theta, const uint64_t *set, size_t n_set,
                       const double *v, double *out, duet_error *err);
    /* *out = gradient of l(example; theta) dotted with v (cheap when the gradient is sparse). */
    duet_status (*example_grad_dot)(void *self, const double *theta, uint64_t example,
                                    const double *v, double *out, duet_error *err);
    /* g[0..p-1] = gradient of l(example; theta), dense. */
    duet_status (*example_grad)(void *self, const double *theta, uint64_t example, double *g,
                                duet_error *err);
    /*
     * Optional (NULL when absent): *out = |gradient of l(example; theta)|^2 without forming the
     * dense gradient. LESS scores use it in place of example_grad when the gradient is sparse.
     */
    duet_status (*example_grad_sqnorm)(void *self, const double *theta, uint64_t example,
                                       double *out, duet_error *err);
    /*
     * Optional (NULL when absent): d[0..p-1] = the diagonal of the Hessian of L_S at theta, or
     * a positive-semidefinite approximation of it. Conjugate gradient uses it as a Jacobi
     * preconditioner.
     */
    duet_status (*hess_diag)(void *self, const double *theta, const uint64_t *set, size_t n_set,
                             double *d, duet_error *err);
    /* Minimizes J_S from theta (in: start, out: minimizer) to gradient norm <= tol. */
    duet_status (*train)(void *self, const uint64_t *set, size_t n_set, double tol, duet_rng *rng,
                         double *theta, duet_error *err);
} duet_diffmodel;

#endif
