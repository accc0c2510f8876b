/*
 * State shared by the files of the embedded backend (embedded.c: domains, tasks, evaluation;
 * embedded_items.c: item scores and features; embedded_proxy.c: proxy training). Not part of
 * the public interface.
 */
#ifndef DUET_BACKEND_EMBEDDED_INTERNAL_H
#define DUET_BACKEND_EMBEDDED_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "backends/embedded.h"
#include "data/pool.h"
#include "embedded/charlm.h"
#include "embedded/postag.h"
#include "influence/influence.h"
#include "model/diffmodel.h"
#include "util/log.h"

/* Score kinds item_scores serves, in the order of embedded_items.scores. */
#define DUET_EMBEDDED_SCORE_KINDS 2

typedef struct embedded_items {
    char *scores_path; /* resolved scores file (owned) */
    const duet_influence_estimator *estimator;
    duet_influence_settings settings;
    duet_embedded_scoring scoring; /* model and hyperparameters of the scores */
    double train_tol;
    size_t threads; /* domains computed at once */
    /* [kind][domain] scores read or computed so far, NULL until first use (owned). */
    double **scores[DUET_EMBEDDED_SCORE_KINDS];
    size_t feature_dim;
    double *projection; /* [DUET_EMBEDDED_FEATURE_BUCKETS x feature_dim], NULL until first use */
    double **features;  /* [domain] features of the training items, NULL until first use */
} embedded_items;

typedef struct embedded_state {
    /*
     * Options as given, except that pool points to pool_path and the string options that only
     * embedded_items reads (scores, estimator, estimator_set) are cleared after opening.
     */
    duet_embedded_options opt;
    char *pool_path; /* resolved path (owned) */
    duet_pool *pool;
    const duet_log *log;
    embedded_items items;
} embedded_state;

typedef struct embedded_task {
    char *name;
    int type, metric;
    size_t n_eval;
    size_t eval_domain[DUET_TASK_METRICS_MAX];
    size_t n_pool;
    size_t *pool;    /* [n_pool] backend domain of each pool position */
    uint64_t *first; /* [n_pool + 1] first model example of each pool position */
    duet_charlm *lm;
    duet_postag *tagger;
    duet_diffmodel model;
    double *theta;  /* [n_params] */
    uint64_t *set;  /* [first[n_pool]] scratch for the training set */
    size_t *sample; /* [largest eval split] scratch for the evaluation sample */
    size_t eval_size;
    double temperature;
    double tol;
    /*
     * Held-out records that proxies are scored on, built by the first proxy_open: those of pool
     * position i are heldout_idx[heldout_off[i] .. heldout_off[i+1]) of its held-out split.
     */
    size_t *heldout_off; /* [n_pool + 1], or NULL before the first proxy */
    size_t *heldout_idx;
} embedded_task;

/* Proxy training of the embedded backend (see run/backend.h for the contract). */
duet_status duet_embedded_proxy_open(void *state, void *task, uint64_t seed, void **proxy,
                                     duet_error *err);
duet_status duet_embedded_proxy_step(void *state, void *proxy, const double *weights,
                                     uint64_t batch, double *losses, duet_error *err);
duet_status duet_embedded_proxy_heldout(void *state, void *proxy, double *losses, duet_error *err);
duet_status duet_embedded_proxy_clone(void *state, void *proxy, void **copy, duet_error *err);
void duet_embedded_proxy_close(void *state, void *proxy);

/* Checks and stores the item options of o in s->items; nothing is computed yet. */
duet_status duet_embedded_items_open(embedded_state *s, const duet_embedded_options *o,
                                     duet_error *err);
/* Frees s->items. */
void duet_embedded_items_close(embedded_state *s);

/* The backend's item_scores and item_features (core/run/backend.h). */
duet_status duet_embedded_item_scores(void *state, size_t domain, const char *kind, double *out,
                                      duet_error *err);
duet_status duet_embedded_item_features(void *state, size_t domain, size_t *dim, double *out,
                                        duet_error *err);

#endif
