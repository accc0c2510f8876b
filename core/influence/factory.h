/*
 * The seam between `duet influence` and whatever supplies the models: a factory opens a pool
 * file and, per domain, gives a duet_diffmodel together with the domain's training and
 * held-out example sets. Scores are indexed by position in the training set, which must list
 * the domain's training items in the order the backend numbers them (item i of the domain is
 * train[i]).
 *
 * The table duet_influence_factories lists every factory; `duet influence --model NAME`
 * selects one and the first is the default. A backend that wants its pool scored adds its own
 * factory to that table.
 */
#ifndef DUET_INFLUENCE_FACTORY_H
#define DUET_INFLUENCE_FACTORY_H

#include <stddef.h>
#include <stdint.h>

#include "model/diffmodel.h"
#include "util/error.h"

typedef struct duet_influence_domain {
    duet_diffmodel model;  /* borrows the factory's per-domain state */
    const uint64_t *train; /* [n_train] example indices of the model's dataset */
    size_t n_train;
    const uint64_t *heldout; /* [n_heldout] */
    size_t n_heldout;
    void *impl; /* the factory's per-domain state, freed by domain_close */
} duet_influence_domain;

typedef struct duet_influence_model_factory {
    const char *name;    /* value of --model */
    const char *summary; /* one line for --help */
    /* Gradient-norm tolerance of training that `duet influence` uses without --train-tol. */
    double default_train_tol;
    /*
     * 1 when domain_open, domain_close and the models they return may be used for different
     * domains on different threads at once (so runs may train domains in parallel).
     */
    int concurrent_domains;
    /* Opens the pool file at path; *state is freed by close (which accepts NULL). */
    duet_status (*open)(const char *pool_path, void **state, duet_error *err);
    void (*close)(void *state);
    size_t (*domain_count)(const void *state);
    const char *(*domain_name)(const void *state, size_t domain);
    /* Text naming the model and its hyperparameters; it enters the cache key. */
    const char *(*model_settings)(const void *state);
    /* Builds the model of one domain; *out is released by domain_close. */
    duet_status (*domain_open)(void *state, size_t domain, duet_influence_domain *out,
                               duet_error *err);
    void (*domain_close)(void *state, duet_influence_domain *dom);
} duet_influence_model_factory;

/* NULL-terminated; the first entry is the default. */
extern const duet_influence_model_factory *const duet_influence_factories[];

/* Looks a factory up by name; NULL when none has that name. */
const duet_influence_model_factory *duet_influence_factory_find(const char *name);

/*
 * Multinomial logistic regression over a feature pool file ("logreg"). Layout (HDF5):
 *   /                           attributes format = "duet-logreg-pool", classes (int64),
 *                               l2 (float64)
 *   /domains/<name>/x_train     float64 [n_train x d]     /domains/<name>/y_train   int32 [n_train]
 *   /domains/<name>/x_heldout   float64 [n_heldout x d]   /domains/<name>/y_heldout int32
 * [n_heldout] Domains are listed in increasing byte order of their names; d is the same for all.
 */
extern const duet_influence_model_factory duet_influence_factory_logreg;

/* One domain of a logistic-regression pool, as duet_logreg_pool_write takes it. */
typedef struct duet_logreg_pool_domain {
    const char *name;
    size_t n_train, n_heldout;
    const double *x_train;   /* [n_train x d] */
    const int32_t *y_train;  /* [n_train] */
    const double *x_heldout; /* [n_heldout x d] */
    const int32_t *y_heldout;
} duet_logreg_pool_domain;

/* Writes a logistic-regression pool file (replacing path) with d features per example. */
duet_status duet_logreg_pool_write(const char *path, size_t classes, double l2, size_t d,
                                   size_t n_domains, const duet_logreg_pool_domain *domains,
                                   duet_error *err);

/*
 * Writes a generated pool: domains "d00", "d01", ... each with its own random linear softmax
 * model W ~ N(0, 1.5^2) (so domains differ), standard normal features and labels drawn from
 * softmax(W x). All randomness comes from seed.
 */
duet_status duet_logreg_pool_generate(const char *path, uint64_t seed, size_t n_domains,
                                      size_t n_train, size_t n_heldout, size_t d, size_t classes,
                                      double l2, duet_error *err);

#endif
