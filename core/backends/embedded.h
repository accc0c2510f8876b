/*
 * The embedded CPU backend: real text domains from a pool file (see data/pool.h) and a small
 * model trained from scratch on each training subset. Task type "lm" trains the character
 * language model (feedback in bits per character or next-character accuracy). Type "pos" trains
 * the part-of-speech tagger on the tagged Brown domains (feedback tagging accuracy).
 * Proxy training (run/backend.h) trains the task's model by Adagrad on per-domain minibatches
 * of the training splits and reports losses in nats per character (lm) or per token (pos),
 * held-out losses on a fixed sample of each domain's held-out split.
 * The option structs are public so that programs and tests can fill them without Lua.
 */
#ifndef DUET_BACKEND_EMBEDDED_H
#define DUET_BACKEND_EMBEDDED_H

#include <stdint.h>

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

#endif
