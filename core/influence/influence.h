/*
 * Influence scores of training items on a held-out split of the same domain, and the
 * estimators of the inverse-Hessian-vector product they need.
 *
 * Sign convention. With theta the minimizer of the training objective
 *     J(theta) = (1/n) sum_i l(z_i; theta) + (l2 / 2) |theta|^2,
 * H the Hessian of J at theta (it already contains l2 I) and lambda extra damping,
 *     score(z) = grad L_heldout(theta)^T (H + lambda I)^{-1} grad l(z; theta).
 * This is minus the I_up,loss of Koh and Liang ("Understanding Black-box Predictions via
 * Influence Functions", ICML 2017): to first order it is n times the increase of the held-out
 * mean loss when z is removed from training (up to a shift shared by all items, because the
 * leave-one-out objective renormalizes the mean). Larger scores mean more helpful items.
 *
 * One solve per domain suffices: s = (H + lambda I)^{-1} grad L_heldout, then
 * score(z) = grad l(z)^T s through the model's example_grad_dot.
 *
 * Estimators differ only in how they approximate s (see each descriptor's summary); the
 * `less` score kind needs no solve: it is the cosine between grad l(z) and grad L_heldout, the
 * unseen-task form of LESS (Xia et al., "LESS: Selecting Influential Data for Targeted
 * Instruction Tuning", ICML 2024) without its Adam preconditioning and random projection.
 */
#ifndef DUET_INFLUENCE_H
#define DUET_INFLUENCE_H

#include <stddef.h>
#include <stdint.h>

#include "model/diffmodel.h"
#include "util/error.h"
#include "util/options.h"

/*
 * Settings of every estimator in one struct; each estimator's option table lists the fields it
 * reads, and the others keep their defaults and are not recorded.
 */
typedef struct duet_influence_settings {
    double damping;          /* lambda added to H (exact, cg, lissa); absolute part (datainf) */
    double damping_relative; /* datainf: lambda += this * mean_i |g_i|^2 of the block */
    double tol;              /* cg: stop at |residual| <= tol * |grad L_heldout| */
    int64_t max_iter;        /* cg: iteration limit; reaching it is an error */
    double scale;            /* lissa: the recursion divides H + lambda I by this */
    int64_t depth;           /* lissa: recursion steps; 0 means n_train / 10 (at least 1) */
    int64_t blocks;          /* datainf: equal contiguous parameter blocks, each inverted alone */
    int64_t max_params;      /* exact: largest p accepted (the dense Hessian has p^2 entries) */
} duet_influence_settings;

/* A trained model and the training set whose objective defines H. Borrowed pointers. */
typedef struct duet_influence_problem {
    const duet_diffmodel *model;
    const double *theta;   /* [p] minimizer of J over `train` */
    const uint64_t *train; /* [n_train] example indices of the model's dataset */
    size_t n_train;
} duet_influence_problem;

/* What one solve did, recorded beside the scores. */
typedef struct duet_influence_report {
    size_t hvps;       /* Hessian-vector products over the training set */
    size_t iterations; /* cg iterations or lissa recursion steps */
    double residual;   /* cg: final |(H + lambda I) s - v| / |v|; NaN for others */
    double seconds;    /* wall time of the solve and the scoring */
} duet_influence_report;

typedef struct duet_influence_estimator {
    const char *name;           /* "exact", "cg", "lissa", "identity", "datainf" */
    const char *summary;        /* one line for help text */
    const duet_option *options; /* fields of duet_influence_settings it reads; NULL-name ended */
    /* s[0..p-1] = the estimator's approximation of (H + lambda I)^{-1} v. */
    duet_status (*solve)(const duet_influence_problem *pb, const duet_influence_settings *st,
                         const double *v, double *s, duet_influence_report *rep, duet_error *err);
} duet_influence_estimator;

extern const duet_influence_estimator duet_influence_exact;
extern const duet_influence_estimator duet_influence_cg;
extern const duet_influence_estimator duet_influence_lissa;
extern const duet_influence_estimator duet_influence_identity;
extern const duet_influence_estimator duet_influence_datainf;

/* NULL-terminated, in the order above. */
extern const duet_influence_estimator *const duet_influence_estimators[];

/* Looks an estimator up by name; NULL if none has that name. */
const duet_influence_estimator *duet_influence_estimator_find(const char *name);

/*
 * Sets every field of *st to the defaults of est's option table, and the fields est does not
 * read to fixed neutral values, so two settings structs of one estimator compare equal field
 * by field.
 */
duet_status duet_influence_settings_defaults(const duet_influence_estimator *est,
                                             duet_influence_settings *st, duet_error *err);

/*
 * Sets one option of est from text ("damping", "1e-4"), checking type and range. Rejects
 * names that est does not read.
 */
duet_status duet_influence_settings_set(const duet_influence_estimator *est,
                                        duet_influence_settings *st, const char *name,
                                        const char *value, duet_error *err);

/*
 * Writes "name=value" pairs of the options est reads, separated by ", ", doubles with 17
 * significant digits, into out[0..size-1]. The text is recorded with the scores and enters
 * the cache key. Returns DUET_ELIMIT if it does not fit.
 */
duet_status duet_influence_settings_format(const duet_influence_estimator *est,
                                           const duet_influence_settings *st, char *out,
                                           size_t size, duet_error *err);

/*
 * score[k] for every training item pb->train[k] against the held-out set, as defined above.
 * scores has pb->n_train entries. rep may be NULL.
 */
duet_status duet_influence_scores(const duet_influence_problem *pb, const uint64_t *heldout,
                                  size_t n_heldout, const duet_influence_estimator *est,
                                  const duet_influence_settings *st, double *scores,
                                  duet_influence_report *rep, duet_error *err);

/*
 * LESS-style scores: cos(grad l(z; theta), grad L_heldout(theta)) for every training item, in
 * [-1, 1]; 0 for an item whose gradient is zero. scores has pb->n_train entries.
 */
duet_status duet_influence_less_scores(const duet_influence_problem *pb, const uint64_t *heldout,
                                       size_t n_heldout, double *scores, duet_error *err);

#endif
