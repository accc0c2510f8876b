/*
 * The embedded CPU backend: real text domains from a pool file (see data/pool.h) and a small
 * model trained from scratch on each training subset. Task type "lm" trains the character
 * language model (feedback in bits per character or next-character accuracy). Type "pos" trains
 * the part-of-speech tagger on the tagged Brown domains (feedback tagging accuracy). For the
 * selectors it serves item scores ("influence", "less"), cached in a scores file beside the
 * pool, and item features. Proxy training (run/backend.h) trains the task's model by Adagrad on
 * per-domain minibatches of the training splits and reports losses in nats per character (lm)
 * or per token (pos), held-out losses on a fixed sample of each domain's held-out split.
 * The option structs are public so that programs and tests can fill them without Lua.
 */
#ifndef DUET_BACKEND_EMBEDDED_H
#define DUET_BACKEND_EMBEDDED_H

#include <stdint.h>

#include "data/pool.h"
#include "influence/factory.h"
#include "run/backend.h"
#include "util/options.h"

extern const duet_backend_type duet_backend_embedded;

typedef struct duet_embedded_options {
    char *pool;            /* pool file path, or a preset name meaning "<name>.h5" */
    int64_t buckets;       /* character model: hashed context rows */
    int64_t orders;        /* character model: context orders 1..orders */
    int64_t max_chars;     /* character model: bytes of each record modelled */
    double l2;             /* character model: L2 strength */
    int64_t max_iter;      /* character model: L-BFGS iterations per evaluation at most */
    int64_t pos_buckets;   /* tagger: hashed feature rows */
    double pos_l2;         /* tagger: L2 strength */
    int64_t pos_max_iter;  /* tagger: L-BFGS iterations per evaluation at most */
    double tol;            /* training stops earlier when the gradient norm is below this */
    int64_t eval_size;     /* evaluation records drawn per domain and evaluation */
    double temperature;    /* 0: argmax predictions; > 0: sampled at this temperature */
    double proxy_lr;       /* proxy training: Adagrad learning rate */
    int64_t proxy_batch;   /* proxy training: records drawn per domain and step */
    int64_t proxy_heldout; /* proxy training: held-out records scored per domain */
    /* Item scores and features (selectors): */
    char *scores;               /* scores file; "" means "<pool>.scores.h5" beside the pool */
    int scores_model;           /* DUET_EMBEDDED_LM or DUET_EMBEDDED_POS: the scoring model */
    char *estimator;            /* influence estimator name, "cg" by default */
    duet_strings estimator_set; /* "name=value" settings of the estimator */
    double scores_train_tol;    /* gradient-norm tolerance of the scoring model's training */
    int64_t scores_threads;     /* domains scored at once; 0 means one per online CPU */
    int64_t feature_dim;        /* item_features: dimension of each item's feature vector */
} duet_embedded_options;

enum { DUET_EMBEDDED_LM = 0, DUET_EMBEDDED_POS = 1 };
enum { DUET_EMBEDDED_IN_DOMAIN = 0, DUET_EMBEDDED_OUT_OF_DOMAIN = 1 };
enum { DUET_EMBEDDED_METRIC_DEFAULT = 0, DUET_EMBEDDED_BPC = 1, DUET_EMBEDDED_ACCURACY = 2 };

typedef struct duet_embedded_task_options {
    int type;           /* DUET_EMBEDDED_LM or DUET_EMBEDDED_POS */
    duet_strings eval;  /* evaluation domain names, 1 to DUET_TASK_METRICS_MAX */
    int setting;        /* DUET_EMBEDDED_IN_DOMAIN or DUET_EMBEDDED_OUT_OF_DOMAIN */
    int metric;         /* DUET_EMBEDDED_METRIC_*: default is bpc for lm, accuracy for pos */
    int64_t eval_size;  /* records per evaluation domain; -1 takes the backend's eval_size */
    double temperature; /* -1 takes the backend's temperature */
    duet_strings train; /* training domains to keep (empty: every domain the setting allows) */
} duet_embedded_task_options;

/* Fills o with the defaults of the option table (pool "main9"); o->pool is a static string. */
void duet_embedded_default_options(duet_embedded_options *o);

/* The model that scores a pool's domains for influence and LESS, and its hyperparameters. */
typedef struct duet_embedded_scoring {
    int model;          /* DUET_EMBEDDED_LM (character model) or DUET_EMBEDDED_POS (tagger) */
    size_t buckets;     /* character model */
    unsigned orders;    /* character model */
    size_t max_chars;   /* character model */
    double l2;          /* character model */
    size_t pos_buckets; /* tagger */
    double pos_l2;      /* tagger */
} duet_embedded_scoring;

/*
 * Gradient-norm tolerance to which the scoring models are trained. The losses are summed over a
 * record's characters, so gradients are large (norm about 1e2 at zero) and 1e-4 is a relative
 * reduction of about 1e-6; tighter tolerances cost many more L-BFGS iterations.
 */
#define DUET_EMBEDDED_SCORING_TRAIN_TOL 1e-4

/* Copies the model hyperparameters of backend options o into *out for `model`. */
void duet_embedded_scoring_from_options(const duet_embedded_options *o, int model,
                                        duet_embedded_scoring *out);

/*
 * Makes factory state of duet_influence_factory_charlm or _postag (either one, the config picks
 * the model) over a pool already in memory, which it borrows: pool must outlive *state, which
 * the factory's close frees. duet_influence_request.pool_state takes it.
 */
duet_status duet_embedded_scoring_attach(duet_pool *pool, const duet_embedded_scoring *config,
                                         void **state, duet_error *err);

/*
 * `duet influence --model charlm|postag`: the character model or the tagger with the backend's
 * default hyperparameters, over each domain's training split and held-out split. The tagger
 * rejects untagged domains.
 */
extern const duet_influence_model_factory duet_influence_factory_charlm;
extern const duet_influence_model_factory duet_influence_factory_postag;

#endif
