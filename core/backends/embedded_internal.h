/*
 * State shared by the files of the embedded backend (embedded.c: domains, tasks, evaluation;
 * embedded_items.c: item scores and features). Not part of the public interface.
 */
#ifndef DUET_BACKEND_EMBEDDED_INTERNAL_H
#define DUET_BACKEND_EMBEDDED_INTERNAL_H

#include <stddef.h>

#include "backends/embedded.h"
#include "data/pool.h"
#include "influence/influence.h"
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
