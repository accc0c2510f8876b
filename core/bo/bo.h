/*
 * Bayesian optimization of a utility over the probability simplex of n domains: the outer
 * level of DUET (Chen, Lau, Foo and Low, "DUET: Optimizing Training Data Mixtures via
 * Feedback from Unseen Evaluation Tasks", arXiv 2502.00270).
 *
 * A duet_bo keeps a GP (core/bo/gp.h) of utility against mixture ratios. Each proposal
 *   1. refits the hyperparameters when fit_every observations have arrived since the last fit
 *      (and always before the first proposal with data), then draws a new candidate screen;
 *   2. scores the screen: a randomly shifted Kronecker (generalized golden-ratio) sequence in
 *      [0,1)^(n-1) mapped to the simplex by sorted spacings, plus the n vertices and the
 *      uniform mixture;
 *   3. refines the best `refine` screen points and the best observed mixture by projected
 *      gradient ascent on the acquisition (Euclidean projection onto the simplex, Duchi et al.
 *      2008), and keeps the best result;
 *   4. maps the result r to the floored simplex r = min_share + (1 - n min_share) r and, if
 *      drop_below is set, zeroes shares below it and renormalizes.
 * The search runs on the floored simplex, so the floor never moves the acquisition optimum.
 * Every proposal is non-negative and sums to 1 within 1e-12. Callers pass the realized ratios
 * (after rounding to item counts) to duet_bo_observe; the GP models those.
 */
#ifndef DUET_BO_H
#define DUET_BO_H

#include <stddef.h>
#include <stdint.h>

#include "bo/acq.h"
#include "bo/gp.h"
#include "util/error.h"
#include "util/options.h"
#include "util/rng.h"

typedef enum duet_bo_acquisition {
    DUET_BO_UCB = 0,      /* mu + sqrt(beta_t) sigma */
    DUET_BO_EI = 1,       /* log expected improvement over the best observed utility */
    DUET_BO_THOMPSON = 2, /* maximum of one random-Fourier-feature posterior sample */
} duet_bo_acquisition;

/* Settings of a duet_bo; the fields and their defaults are listed in duet_bo_option_table. */
typedef struct duet_bo_options {
    int kernel;             /* duet_gp_kernel */
    int prior;              /* duet_gp_prior */
    int64_t restarts;       /* hyperparameter optimizer starts per fit */
    int64_t fit_iterations; /* BFGS iterations per start */
    int acquisition;        /* duet_bo_acquisition */
    int beta;               /* duet_beta_schedule */
    double beta_value;      /* beta of the constant schedule */
    double delta;           /* confidence parameter of GP-UCB and IGP-UCB */
    double rkhs_bound;      /* B of IGP-UCB, standardized output units */
    int64_t candidates;     /* quasi-uniform screen points */
    int64_t refine;         /* local refinement starts */
    int64_t features;       /* random Fourier features for Thompson sampling */
    double min_share;       /* floor per domain, 0 = none */
    double drop_below;      /* zero shares below this and renormalize, 0 = off */
    int64_t fit_every;      /* refit hyperparameters every this many observations */
} duet_bo_options;

/* Option table for duet_bo_options, terminated by an entry with a NULL name. */
extern const duet_option duet_bo_option_table[];

/*
 * Fills o with the defaults of duet_bo_option_table, parsed from the table's text so that the
 * table stays the single source of the defaults.
 */
void duet_bo_options_init(duet_bo_options *o);

typedef struct duet_bo duet_bo;

/* Per-proposal diagnostics. Pointers stay valid until the next call on the same duet_bo. */
typedef struct duet_bo_diag {
    size_t observations;        /* observations in the GP */
    int refit;                  /* 1 when the hyperparameters were fitted for this proposal */
    const double *lengthscales; /* [n] ARD length-scales, input (ratio) units */
    double signal_variance;     /* sf2, standardized output units */
    double noise_variance;      /* sn2, standardized output units */
    double output_scale;        /* sd of the utilities: original = standardized * scale^2 */
    double jitter;              /* absolute jitter of the Cholesky factor, standardized units */
    double log_marginal;        /* log marginal likelihood of the standardized utilities */
    double beta;                /* beta_t of the schedule (squared UCB multiplier) */
    double mu;                  /* posterior mean at the proposal, utility units */
    double sigma;               /* posterior latent sd at the proposal, utility units */
    double acquisition;         /* acquisition value at the proposal */
    size_t evaluations;         /* acquisition evaluations: screen plus refinement */
} duet_bo_diag;

/*
 * Creates an optimizer over the simplex of n_domains >= 1 domains. opt is copied; values out
 * of the table's ranges, min_share > 1 / n_domains, or min_share and drop_below both set give
 * DUET_EINVAL. Returns NULL and fills err on failure.
 */
duet_bo *duet_bo_new(size_t n_domains, const duet_bo_options *opt, duet_error *err);
/* Frees bo; NULL is a no-op. */
void duet_bo_free(duet_bo *bo);

/*
 * Records the utility (larger is better) of the mixture `ratios` [n]. The ratios must be
 * finite, non-negative and sum to 1 within 1e-6, and the utility finite (DUET_EINVAL
 * otherwise, and nothing is recorded). With kept hyperparameters the GP update is O(n^2).
 */
duet_status duet_bo_observe(duet_bo *bo, const double *ratios, double utility, duet_error *err);

/*
 * Writes the next mixture to ratios_out [n]. iteration is 0-based and sets the round
 * t = iteration + 1 of the beta schedule. With no observation yet (or with one domain) the
 * proposal is the uniform mixture, and diag then has NaN beta, mu, sigma, acquisition, jitter
 * and log_marginal. Draws only from rng. diag may be NULL. DUET_ENUMERIC when the GP cannot be
 * factored or fitted.
 */
duet_status duet_bo_propose(duet_bo *bo, size_t iteration, duet_rng *rng, double *ratios_out,
                            duet_bo_diag *diag, duet_error *err);

/*
 * Writes the maximizer of the posterior mean over the (floored) simplex to ratios_out [n],
 * post-processed like a proposal; refits first when a refit is due. The uniform mixture when
 * there is no observation.
 */
duet_status duet_bo_posterior_optimum(duet_bo *bo, duet_rng *rng, double *ratios_out,
                                      duet_error *err);

/* Observations recorded so far. */
size_t duet_bo_count(const duet_bo *bo);
/* The GP, for inspection and predictions; owned by bo. Add observations with duet_bo_observe. */
duet_gp *duet_bo_gp(duet_bo *bo);

/*
 * Warm-start designs over the simplex of n domains.
 *   "uniform":   the uniform mixture (1 point, count ignored).
 *   "dirichlet": count draws from the flat Dirichlet, the uniform distribution on the simplex.
 *   "vertices":  the n single-domain mixtures (n points, count ignored).
 * duet_bo_warm_start_count returns the number of points a design yields, 0 for an unknown
 * design. duet_bo_warm_start writes them to out [points x n] row-major and uses rng only for
 * "dirichlet". It returns DUET_ENOTFOUND for an unknown design.
 */
size_t duet_bo_warm_start_count(const char *design, size_t count, size_t n);
duet_status duet_bo_warm_start(const char *design, size_t count, size_t n, duet_rng *rng,
                               double *out, duet_error *err);

#endif
