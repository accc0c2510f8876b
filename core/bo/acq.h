/*
 * Acquisition functions over a duet_gp posterior. Every acquisition is maximized.
 *
 * Convention: UCB(x) = mu(x) + sqrt(beta_t) * sigma(x), where mu and sigma are the posterior
 * mean and the latent standard deviation in original output units and beta_t is the squared
 * exploration multiplier, as in BoTorch's UpperConfidenceBound. The schedules below return
 * beta_t itself; round t counts from 1, and t = 0 is treated as t = 1 so that the first round
 * is well defined.
 */
#ifndef DUET_ACQ_H
#define DUET_ACQ_H

#include <stddef.h>

#include "bo/gp.h"
#include "util/error.h"
#include "util/rng.h"

typedef enum duet_beta_schedule {
    DUET_BETA_CONSTANT = 0, /* beta_t = value for every t */
    DUET_BETA_GP_UCB = 1,   /* continuous-domain GP-UCB, see duet_acq_beta_gp_ucb */
    DUET_BETA_IGP_UCB = 2,  /* IGP-UCB, see duet_acq_beta_igp_ucb */
} duet_beta_schedule;

typedef struct duet_beta_params {
    duet_beta_schedule schedule;
    double value;      /* constant schedule: beta itself, >= 0 */
    double delta;      /* confidence parameter in (0, 1) of GP-UCB and IGP-UCB */
    size_t dim;        /* GP-UCB: dimension of the search domain, >= 1 */
    double rkhs_bound; /* IGP-UCB: B, the assumed RKHS norm bound in standardized units */
} duet_beta_params;

/*
 * GP-UCB of Srinivas, Krause, Kakade and Seeger (2010, "Gaussian process optimization in the
 * bandit setting") in the continuous-domain form with their constants a, b, r dropped, as
 * limbo documents it after Brochu, Cora and de Freitas (2010):
 *     beta_t = 2 log(t^(dim/2 + 2) pi^2 / (3 delta)).
 * Positive and finite for every t >= 1 when delta < pi^2 / 3.
 */
double duet_acq_beta_gp_ucb(size_t t, size_t dim, double delta);

/*
 * IGP-UCB of Chowdhury and Gopalan (2017, "On kernelized multi-armed bandits"):
 *     sqrt(beta_t) = B + R sqrt(2 (gamma + 1 + ln(1 / delta))),
 * where gamma estimates the information gain gamma_{t-1} of the observations so far and R is
 * the sub-Gaussian noise scale. Returns beta_t, the square.
 */
double duet_acq_beta_igp_ucb(double gamma, double rkhs_bound, double noise_sd, double delta);

/*
 * beta_t of the schedule in p for round t. For IGP-UCB, gamma is duet_gp_info_gain of gp
 * (with lambda = sn2 + jitter) and R = sqrt(sn2), both in standardized units; with no
 * observations gamma = 0. DUET_EINVAL for parameters out of range.
 */
duet_status duet_acq_beta(const duet_beta_params *p, size_t t, const duet_gp *gp, double *beta,
                          duet_error *err);

/*
 * log h(z) with h(z) = z Phi(z) + phi(z), the expected improvement of a unit normal over
 * -z. Accurate to a few ulps for z >= -5 by the direct formula, and below that by the
 * continued fraction of the Mills ratio, which avoids the cancellation of the direct formula;
 * finite for every finite z (below z = -1e150 it returns -DBL_MAX). dlogh, when not NULL,
 * receives d log h / dz = Phi(z) / h(z) > 0.
 */
double duet_acq_log_h(double z, double *dlogh);

/*
 * log of the expected improvement over best, EI = sd * h((mean - best) / sd), with partial
 * derivatives in mean and sd when the pointers are not NULL. For sd <= 0 it is
 * log(max(mean - best, 0)), which is -inf when there is no improvement.
 */
double duet_acq_log_ei(double mean, double sd, double best, double *dmean, double *dsd);

/*
 * Thompson sampling with random Fourier features (Rahimi and Recht, 2007):
 *     phi_j(x) = sqrt(2 sf2 / D) cos(w_j . x + b_j),   b_j ~ U(0, 2 pi),
 * with w_j drawn from the kernel's spectral density: w_jk = z_k / l_k with z ~ N(0, I) for SE,
 * and the multivariate t with 5 degrees of freedom, w_jk = z_k / (l_k sqrt(g / 5)) with
 * g ~ chi^2_5, for Matern-5/2. Then E[phi(x) . phi(x')] = sf2 k(x, x').
 * A posterior sample is f(x) = phi(x) . theta with one draw of theta from the Bayesian linear
 * regression of the standardized outputs on the features (prior theta ~ N(0, I), noise
 * variance sn2 + jitter): a single coherent function, not independent marginal draws.
 */
typedef struct duet_rff duet_rff;

/* Creates a feature map for inputs of dimension dim with D = features >= 1 features. */
duet_rff *duet_rff_new(size_t dim, size_t features, duet_error *err);
void duet_rff_free(duet_rff *rff);
size_t duet_rff_count(const duet_rff *rff);

/* Draws frequencies and phases for the kernel and log hyperparameters (as in gp.h). */
void duet_rff_draw(duet_rff *rff, duet_gp_kernel kernel, const double *log_hyper, duet_rng *rng);
/* Writes the D features of x into phi. */
void duet_rff_features(const duet_rff *rff, const double *x, double *phi);

/*
 * Draws new features for gp's kernel and hyperparameters, then one weight vector from the
 * posterior given gp's observations. O(n D^2 + D^3). Allocates the D x D precision on the
 * first call and the n x D design whenever gp has grown past every earlier call. DUET_ENUMERIC if
 * the D x D posterior precision cannot be factored.
 */
duet_status duet_rff_sample(duet_rff *rff, const duet_gp *gp, duet_rng *rng, duet_error *err);

/* The sampled function at x in original output units, and its gradient when grad != NULL. */
double duet_rff_eval(const duet_rff *rff, const double *x, double *grad);

#endif
