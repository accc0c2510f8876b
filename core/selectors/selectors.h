/*
 * The inner data selectors of this module, each a duet_selector_type that the registry lists.
 *
 *   influence       influence-weighted sampling within each domain ("paper" or "tempered" rule)
 *   remove_harmful  drop the lowest-scoring fraction q of each domain, then sample uniformly
 *   less            LESS gradient-cosine scores: top-k or weighted sampling
 *   logdet          greedy log-determinant (DPP-style) diversity over item features
 *
 * Weighted draws without replacement are successive sampling: items are taken one at a time,
 * each with probability proportional to its weight among the items not yet taken. They are
 * implemented as Gumbel-top-k (equivalently, Efraimidis and Spirakis, "Weighted random sampling
 * with a reservoir", IPL 2006), which gives the same distribution over ordered samples.
 *
 * A domain whose admissible items (all items, or those kept by remove_harmful) are fewer than
 * its count makes draw() fail with DUET_ELIMIT naming the domain; no selector returns a smaller
 * subset.
 */
#ifndef DUET_SELECTORS_H
#define DUET_SELECTORS_H

#include "run/selector.h"

extern const duet_selector_type duet_selector_influence;
extern const duet_selector_type duet_selector_remove_harmful;
extern const duet_selector_type duet_selector_less;
extern const duet_selector_type duet_selector_logdet;

/* Option structs, laid out as the option tables of each type describe. */
typedef struct duet_selector_influence_options {
    int rule;   /* 0 "paper": p ~ score - min + eps; 1 "tempered": softmax(z / tau) */
    double eps; /* paper rule: weight of the lowest-scoring item, in score units */
    double tau; /* tempered rule: temperature applied to standardized scores */
} duet_selector_influence_options;

typedef struct duet_selector_remove_harmful_options {
    double q; /* fraction of each domain dropped: floor(q * size) lowest raw scores */
} duet_selector_remove_harmful_options;

typedef struct duet_selector_less_options {
    int draw;   /* 0 "top": highest cosines; 1 "weighted": softmax(z / tau) successive sampling */
    double tau; /* weighted draw: temperature applied to standardized cosines */
} duet_selector_less_options;

typedef struct duet_selector_logdet_options {
    double bandwidth;   /* RBF kernel length scale in feature units; 0: median pairwise distance */
    int64_t candidates; /* items considered per domain and draw: a uniform random subset */
} duet_selector_logdet_options;

#endif
