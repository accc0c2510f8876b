/*
 * The selector interface: the inner level that draws a training subset with given per-domain
 * counts. Draws are always without replacement. A selector also reports, per domain, the
 * effective sample size 1 / sum_i p_i^2 of the distribution it drew from (the domain size for
 * uniform sampling), so how peaked a selection rule is can be read from the results.
 */
#ifndef DUET_SELECTOR_H
#define DUET_SELECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "run/backend.h"
#include "run/subset.h"
#include "util/error.h"
#include "util/options.h"
#include "util/rng.h"

typedef struct duet_selector_env {
    size_t n;                     /* domains of the task's pool */
    const size_t *pool;           /* [n] backend domain index of each pool position */
    const uint64_t *domain_sizes; /* [n] training items per pool domain */
    const duet_backend_type *backend_type;
    void *backend; /* for item_scores */
    const duet_log *log;
} duet_selector_env;

/* What a selector needs from the backend, checked before a run writes anything. */
enum {
    DUET_SELECTOR_NEEDS_SCORES = 1u << 0,   /* the backend's item_scores */
    DUET_SELECTOR_NEEDS_FEATURES = 1u << 1, /* the backend's item_features */
};

typedef struct duet_selector_type {
    const char *name;
    const char *summary;
    unsigned needs; /* DUET_SELECTOR_NEEDS_* flags */
    const duet_option *options;
    size_t options_size;
    duet_status (*create)(const duet_selector_env *env, const void *options, void **state,
                          duet_error *err);
    void (*destroy)(void *state);
    /*
     * Fills out (initialized by the caller with the counts) with counts[i] distinct items of
     * each pool domain i, and ess[i] with the effective sample size of domain i's draw.
     */
    duet_status (*draw)(void *state, duet_rng *rng, duet_subset *out, double *ess, duet_error *err);
} duet_selector_type;

#endif
