/*
 * Exact Gaussian-process regression for the outer level of DUET.
 *
 * Model. Inputs x are points of R^dim (mixture ratios in duet, so every coordinate is in
 * [0, 1]). Outputs are standardized before fitting: ys = (y - mean(y)) / sd(y), where sd is the
 * population standard deviation (divisor n, as in scikit-learn's normalize_y). When sd is below
 * 1e-12 * max(1, |mean|) the outputs are treated as constant and sd is taken as 1. On the
 * standardized outputs the GP has zero prior mean and covariance
 *     cov(f(x), f(x')) = sf2 * k(r),   r^2 = sum_k (x_k - x'_k)^2 / l_k^2,
 * with one length-scale l_k per input dimension (ARD), signal variance sf2, and observation
 * noise variance sn2 added on the diagonal of the training covariance:
 *     Matern-5/2:          k(r) = (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r)
 *     squared exponential: k(r) = exp(-r^2 / 2)
 * sf2 and sn2 are in standardized output units; l_k is in input units.
 *
 * Hyperparameters travel as a vector of dim + 2 logarithms ("log hyperparameters"):
 *     [log l_1, ..., log l_dim, log sf2, log sn2].
 *
 * Predictions are of the latent function f, without observation noise, and are returned in
 * the original output units: mean = mean(y) + sd(y) * mu_s, variance = sd(y)^2 * var_s.
 *
 * The log marginal likelihood is that of the standardized outputs,
 *     log p(ys) = -ys' K^-1 ys / 2 - log det K / 2 - n log(2 pi) / 2,   K = sf2 k + (sn2 + j) I,
 * the quantity scikit-learn reports with normalize_y=True. j is the jitter of the Cholesky
 * ladder (0 unless K is numerically singular); it is recorded and returned by duet_gp_jitter.
 *
 * The Cholesky factor is computed with LAPACK's dpotrf. When it fails, the jitter is raised
 * through 0, 1e-10, 1e-9, ..., 1e-4 times the mean diagonal of K; when even 1e-4 fails the
 * function returns DUET_ENUMERIC and the GP has no usable factor until new hyperparameters or
 * data arrive.
 *
 * A duet_gp owns every buffer it uses. Buffers grow only in duet_gp_reserve, duet_gp_add and
 * duet_gp_cache_set, so predictions allocate nothing. A duet_gp is not safe to use from two
 * threads at once, because predictions write into its workspaces.
 */
#ifndef DUET_GP_H
#define DUET_GP_H

#include <stddef.h>

#include "util/error.h"
#include "util/rng.h"

typedef enum duet_gp_kernel {
    DUET_GP_MATERN52 = 0, /* Matern nu = 5/2 with ARD length-scales */
    DUET_GP_SE = 1,       /* squared exponential with ARD length-scales */
} duet_gp_kernel;

typedef enum duet_gp_prior {
    DUET_GP_PRIOR_NONE = 0, /* maximum likelihood */
    /*
     * Maximum a posteriori with the priors of BoTorch 0.11 SingleTaskGP: Gamma(3, 6)
     * (shape, rate) on each length-scale, Gamma(2, 0.15) on sf2 and Gamma(1.1, 0.05) on sn2,
     * with sn2 >= 1e-4. The densities are on the hyperparameters themselves (not their logs),
     * as GPyTorch evaluates them, so the optimum does not depend on the parametrization.
     */
    DUET_GP_PRIOR_BOTORCH = 1,
} duet_gp_prior;

typedef struct duet_gp duet_gp;

/*
 * Unit-variance kernel k at scaled squared distance r2 = r^2. When gfac is not NULL it
 * receives -2 dk/d(r^2), so that dk/dx_k = -gfac (x_k - x'_k) / l_k^2.
 */
double duet_gp_kernel_eval(duet_gp_kernel kernel, double r2, double *gfac);

/* Jitter ladder: number of steps and the largest jitter relative to the mean diagonal. */
#define DUET_GP_JITTER_STEPS 8
#define DUET_GP_JITTER_MAX   1e-4

/*
 * Creates an empty GP over inputs of dimension dim >= 1 with default hyperparameters
 * l_k = 0.3, sf2 = 1, sn2 = 1e-2. Returns NULL and fills err on failure.
 */
duet_gp *duet_gp_new(size_t dim, duet_gp_kernel kernel, duet_error *err);
/* Frees gp and everything it owns; NULL is a no-op. */
void duet_gp_free(duet_gp *gp);

size_t duet_gp_dim(const duet_gp *gp);
/* Number of observations. */
size_t duet_gp_count(const duet_gp *gp);
duet_gp_kernel duet_gp_kernel_kind(const duet_gp *gp);
/* dim + 2: the length of a log-hyperparameter vector. */
size_t duet_gp_hyper_count(const duet_gp *gp);

/* Grows the buffers to hold capacity observations without further allocation. */
duet_status duet_gp_reserve(duet_gp *gp, size_t capacity, duet_error *err);

/* Removes every observation, keeping the hyperparameters and the buffers. */
void duet_gp_clear(duet_gp *gp);

/*
 * Appends the observation (x[0..dim-1], y). x and y must be finite (DUET_EINVAL otherwise).
 * When the GP has a factor for its current hyperparameters, the factor gains one row in
 * O(n^2) (a forward solve against the existing factor) instead of a refactorization; the same
 * jitter is kept. Only when the new diagonal entry of the factor would not be positive does
 * the GP refactor from scratch through the jitter ladder, which may return DUET_ENUMERIC.
 * The outputs are restandardized after every addition, in O(n^2). The observation is kept
 * even when the refactorization fails.
 */
duet_status duet_gp_add(duet_gp *gp, const double *x, double y, duet_error *err);

/* Copies the dim + 2 log hyperparameters into log_hyper. */
void duet_gp_get_hyper(const duet_gp *gp, double *log_hyper);
/* Largest magnitude of a log hyperparameter, so that 1 / l^2 and sf2 stay finite. */
#define DUET_GP_LOG_HYPER_MAX 300.0

/*
 * Sets the log hyperparameters and refactors (O(n^3)). Each value must lie within
 * +-DUET_GP_LOG_HYPER_MAX (DUET_EINVAL otherwise, NaN included). DUET_ENUMERIC when the jitter
 * ladder is exhausted.
 */
duet_status duet_gp_set_hyper(duet_gp *gp, const double *log_hyper, duet_error *err);

/* 1 when the GP has a Cholesky factor for its current data and hyperparameters. */
int duet_gp_ready(const duet_gp *gp);
/* Current signal variance sf2 and noise variance sn2, in standardized output units. */
double duet_gp_signal_variance(const duet_gp *gp);
double duet_gp_noise_variance(const duet_gp *gp);
/* Lower Cholesky factor [n x n] row-major with leading dimension *ld; NULL when not ready. */
const double *duet_gp_factor(const duet_gp *gp, size_t *ld);
/* Absolute jitter added to the diagonal of K by the last factorization, in standardized units. */
double duet_gp_jitter(const duet_gp *gp);
/* Mean and standard deviation used to standardize the outputs (0 and 1 with no data). */
double duet_gp_output_mean(const duet_gp *gp);
double duet_gp_output_scale(const duet_gp *gp);
/* Inputs [n x dim] row-major and standardized outputs [n]; valid until the next change. */
const double *duet_gp_inputs(const duet_gp *gp);
const double *duet_gp_outputs_standardized(const duet_gp *gp);
/* Largest raw output observed and its row; -inf and 0 with no data. */
double duet_gp_best_output(const duet_gp *gp, size_t *row);

/* Log marginal likelihood at the current hyperparameters (requires duet_gp_ready). */
double duet_gp_log_marginal(const duet_gp *gp);

/*
 * Computes the log marginal likelihood and its gradient with respect to the log
 * hyperparameters (grad has dim + 2 entries) at the current hyperparameters:
 *     d log p / d theta_j = tr((a a' - K^-1) dK/d theta_j) / 2,   a = K^-1 ys.
 * Costs one O(n^3) inverse from the factor. Requires duet_gp_ready (DUET_EINVAL otherwise).
 */
duet_status duet_gp_log_marginal_grad(duet_gp *gp, double *lml, double *grad, duet_error *err);

/*
 * Information gain of the observations under the current model,
 *     gamma = log det(I + K_f / lambda) / 2,   lambda = sn2 + jitter,
 * where K_f = sf2 k is the noise-free kernel matrix; 0 with no data. O(n) from the factor.
 */
double duet_gp_info_gain(const duet_gp *gp);

/*
 * Posterior of the latent f at x[0..dim-1]: mean and variance in original units. dmean and
 * dvar, when not NULL, receive the gradients with respect to x (dim entries each). With no
 * data this is the prior: mean 0, variance sf2. Requires duet_gp_ready when data exist
 * (DUET_EINVAL otherwise). Allocates nothing.
 */
duet_status duet_gp_predict(duet_gp *gp, const double *x, double *mean, double *var, double *dmean,
                            double *dvar, duet_error *err);

/*
 * Prediction cache for a fixed set of m points (for example a candidate screen). The GP keeps
 * V = L^-1 K(X, C) (n x m), extends it by one row in O(m n) whenever an observation is added
 * with hyperparameters kept, and recomputes it in O(m n^2) after new hyperparameters.
 * duet_gp_cache_set copies C [m x dim, leading dimension ldc]; duet_gp_cache_predict writes the
 * posterior mean and latent variance of every cached point in O(m n).
 */
duet_status duet_gp_cache_set(duet_gp *gp, size_t m, const double *c, size_t ldc, duet_error *err);
duet_status duet_gp_cache_predict(duet_gp *gp, double *mean, double *var, duet_error *err);

/*
 * Bounds of the log hyperparameters used by duet_gp_fit, for the given prior: length-scales in
 * [1e-3, 1e3] (input units, wide for inputs in [0, 1]), sf2 in [1e-2, 1e2] and sn2 in
 * [1e-6, 10], or [1e-4, 10] with the BoTorch prior (standardized output units).
 */
void duet_gp_hyper_bounds(const duet_gp *gp, duet_gp_prior prior, double *lower, double *upper);

/* Log prior density of log_hyper under `prior` (0 for none), with its gradient if not NULL. */
double duet_gp_log_prior(const duet_gp *gp, duet_gp_prior prior, const double *log_hyper,
                         double *grad);

typedef struct duet_gp_fit_options {
    duet_gp_prior prior;
    size_t restarts;       /* optimizer starts, >= 1; the first starts at the current values */
    size_t max_iterations; /* BFGS iterations per start, >= 1 */
} duet_gp_fit_options;

/* Result of a fit: the objective is the log marginal likelihood plus the log prior. */
typedef struct duet_gp_fit_info {
    double objective;
    double log_marginal;
    size_t evaluations;   /* objective evaluations over all starts */
    size_t failed_starts; /* starts that ended at a point whose factorization failed */
} duet_gp_fit_info;

/*
 * Fits the hyperparameters by maximizing the log marginal likelihood plus the log prior over
 * the log hyperparameters within duet_gp_hyper_bounds, with GSL's vector BFGS2 from
 * opt->restarts starts: the current hyperparameters, then points drawn uniformly from the
 * inner 80% of the bounds using rng. Leaves the GP factored at the best optimum. Needs at least
 * one observation. DUET_ENUMERIC when every start fails. info may be NULL.
 */
duet_status duet_gp_fit(duet_gp *gp, const duet_gp_fit_options *opt, duet_rng *rng,
                        duet_gp_fit_info *info, duet_error *err);

#endif
