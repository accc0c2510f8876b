/*
 * Shared parts of the selectors in this folder: per-domain state fetched once at create(),
 * count checks with messages that name the domain, selection weights, the effective sample
 * size, and successive sampling without replacement. Internal to core/selectors.
 */
#ifndef DUET_SELECTOR_COMMON_H
#define DUET_SELECTOR_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "run/selector.h"

typedef struct duet_selector_base {
    const char *selector; /* selector name, for messages */
    size_t n;             /* pool domains */
    uint64_t *sizes;      /* [n] training items per domain */
    char **names;         /* [n] domain names, owned */
    double **scores;      /* [n] arrays of sizes[i] scores, owned; NULL when no kind was fetched */
} duet_selector_base;

/*
 * Copies the pool's sizes and names and, when kind is not NULL, fetches every domain's scores of
 * that kind through the backend's item_scores (rejecting a backend without it and non-finite
 * scores). On failure *b owns nothing.
 */
duet_status duet_selector_base_init(duet_selector_base *b, const duet_selector_env *env,
                                    const char *selector, const char *kind, duet_error *err);
void duet_selector_base_free(duet_selector_base *b);

/*
 * Checks that out matches the pool and that domain i's count fits its `admissible` items;
 * `what` names those items in the message ("items", "items kept after removing 20%").
 */
duet_status duet_selector_check_count(const duet_selector_base *b, const duet_subset *out, size_t i,
                                      uint64_t admissible, const char *what, duet_error *err);

/* Per-domain log-weights of a weighted draw and the ESS of each domain's distribution. */
typedef struct duet_selector_weights {
    size_t n;
    double **logw; /* [n][sizes[i]] */
    double *ess;   /* [n] */
} duet_selector_weights;

typedef enum duet_weight_rule {
    DUET_WEIGHTS_PAPER = 0,    /* duet_selector_log_weights_paper */
    DUET_WEIGHTS_TEMPERED = 1, /* duet_selector_log_weights_tempered */
} duet_weight_rule;

/* Computes w from b's scores by rule; on failure w owns nothing. */
duet_status duet_selector_weights_init(duet_selector_weights *w, const duet_selector_base *b,
                                       duet_weight_rule rule, double eps, double tau,
                                       duet_error *err);
void duet_selector_weights_free(duet_selector_weights *w);

/* log w_i = log(s_i - min s + eps): the rule of the DUET paper (Chen et al., 2025). */
void duet_selector_log_weights_paper(const double *s, size_t n, double eps, double *logw);
/* log w_i = z_i / tau with z the scores standardized to mean 0 and standard deviation 1 (all 0
 * when the scores are constant). */
void duet_selector_log_weights_tempered(const double *s, size_t n, double tau, double *logw);
/* 1 / sum p_i^2 of the distribution p_i proportional to exp(logw_i). */
double duet_selector_ess(const double *logw, size_t n);

/*
 * Draws k distinct indices of [0, n) by successive sampling with weights exp(logw_i), in draw
 * order, through Gumbel-top-k: the k largest of logw_i + G_i with G_i standard Gumbel. Items
 * with logw_i = -inf are never drawn; the caller ensures at least k finite weights.
 */
duet_status duet_selector_successive(duet_rng *rng, const double *logw, size_t n, size_t k,
                                     uint64_t *out, duet_error *err);

/* Indices of the k largest values of v, in decreasing order of value, ties to the lower index. */
duet_status duet_selector_top_k(const double *v, size_t n, size_t k, uint64_t *out,
                                duet_error *err);

#endif
