/*
 * State shared by the files of the embedded backend (embedded.c: tasks and evaluation;
 * embedded_proxy.c: proxy training). Not part of the public interface.
 */
#ifndef DUET_EMBEDDED_INTERNAL_H
#define DUET_EMBEDDED_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "backends/embedded.h"
#include "data/pool.h"
#include "embedded/charlm.h"
#include "embedded/postag.h"
#include "model/diffmodel.h"
#include "util/log.h"

typedef struct embedded_state {
    duet_embedded_options opt; /* pool points to pool_path */
    char *pool_path;           /* resolved path (owned) */
    duet_pool *pool;
    const duet_log *log;
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

#endif
