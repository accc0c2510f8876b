/*
 * Limited-memory BFGS (Liu and Nocedal, "On the limited memory BFGS method for large scale
 * optimization", 1989) with the two-loop recursion and a backtracking Armijo line search, for
 * smooth strictly convex objectives such as the L2-regularized models of the embedded backend.
 */
#ifndef DUET_LBFGS_H
#define DUET_LBFGS_H

#include <stddef.h>

#include "util/error.h"

/* Computes f(x) into *f and, when g is not NULL, its gradient into g[0..n-1]. */
typedef duet_status (*duet_lbfgs_fn)(void *ctx, const double *x, double *f, double *g,
                                     duet_error *err);

typedef struct duet_lbfgs_options {
    size_t memory;   /* correction pairs kept (m), e.g. 8 */
    size_t max_iter; /* iterations at most; DUET_ENUMERIC is returned when they run out */
    double grad_tol; /* stop when ||g||_2 <= grad_tol */
    /*
     * Optional [n] positive diagonal preconditioner: the initial inverse-Hessian approximation
     * is gamma * diag(precond) instead of gamma * I (gamma = s.y / y.diag(precond).y of the
     * newest pair, 1 before the first pair). fn may rewrite its content, for example with the
     * inverse Hessian diagonal at the point it evaluates. Each direction then uses the content
     * left by the evaluation of the current iterate. NULL for none.
     */
    const double *precond;
} duet_lbfgs_options;

typedef struct duet_lbfgs_result {
    size_t iterations;  /* completed iterations */
    size_t evaluations; /* calls of fn */
    double f;           /* final objective */
    double grad_norm;   /* final ||g||_2 */
} duet_lbfgs_result;

/*
 * Minimizes fn from x (in: start, out: the last iterate) until ||g|| <= grad_tol. Returns
 * DUET_ENUMERIC when the line search fails or max_iter is reached before the tolerance. x then
 * contains the last accepted iterate, the lowest point found, and result describes it. result
 * may be NULL.
 */
duet_status duet_lbfgs_minimize(duet_lbfgs_fn fn, void *ctx, size_t n, double *x,
                                const duet_lbfgs_options *options, duet_lbfgs_result *result,
                                duet_error *err);

#endif
