/* Every baseline method, each defined in its own file of this folder. */
#ifndef DUET_BASELINES_H
#define DUET_BASELINES_H

#include <stddef.h>

#include "run/method.h"

extern const duet_method_type duet_method_uniform;
extern const duet_method_type duet_method_select_influence;
extern const duet_method_type duet_method_select_less;
extern const duet_method_type duet_method_random_search;
extern const duet_method_type duet_method_fixed;
extern const duet_method_type duet_method_doremi;
extern const duet_method_type duet_method_online_mixing;
extern const duet_method_type duet_method_aioli;
extern const duet_method_type duet_method_regmix;

/*
 * One DoReMi weight update on alpha[n] (a point of the simplex, every entry positive):
 * lambda_i = max(proxy_losses[i] - reference_losses[i], 0), alpha <- alpha * exp(eta * lambda)
 * normalized, then alpha <- (1 - smoothing) * alpha + smoothing / n.
 */
void duet_doremi_update(size_t n, double *alpha, const double *proxy_losses,
                        const double *reference_losses, double eta, double smoothing);

/* EXP3 exploration rate after t >= 1 rewards among n arms: min(1/n, sqrt(ln n / (n t))). */
double duet_exp3_epsilon(size_t n, size_t t);

/*
 * The EXP3 policy of online data mixing: policy_i = (1 - n * eps) * exp(eps_prev * R_i) /
 * sum_j exp(eps_prev * R_j) + eps, from the cumulative importance-weighted rewards R[n].
 */
void duet_exp3_policy(size_t n, const double *rewards, double eps_prev, double eps, double *policy);

/*
 * Computes Aioli's interaction matrix from probe results. Probe j trains on the mixture with
 * share `one_hot` on domain j and (1 - one_hot) / (n - 1) on each other domain, and
 * drops[i * n + j] is the held-out loss decrease of domain i after probe j. Solves drops = A W for
 * A (n x n, row-major), W being the probe mixtures as rows, so A[i * n + k] is the decrease of
 * domain i per unit share of domain k. Requires one_hot > 1 / n, which makes W invertible.
 */
void duet_aioli_interaction(size_t n, double one_hot, const double *drops, double *A);

/* RegMix regression features: r_i, then r_i r_j for i < j when quadratic. */
size_t duet_regmix_feature_count(size_t n, int quadratic);
void duet_regmix_features(size_t n, int quadratic, const double *r, double *phi);

/*
 * Ridge regression of the standardized targets z_t = (y_t - mean y) / sd y on the features of
 * ratios[t * n ..] (t < m), with penalty ridge ||beta||^2 and no intercept (sum r_i = 1 makes the
 * linear terms carry it). Writes beta[duet_regmix_feature_count(n, quadratic)], *mean and *sd
 * (sd is 1 when every y is equal). Solved in the dual form (Phi Phi^T + ridge I) a = z,
 * beta = Phi^T a, by LAPACK's Cholesky solver. DUET_ENUMERIC when the solve fails.
 */
duet_status duet_regmix_fit(size_t n, int quadratic, size_t m, const double *ratios,
                            const double *y, double ridge, double *beta, double *mean, double *sd,
                            duet_error *err);

#endif
