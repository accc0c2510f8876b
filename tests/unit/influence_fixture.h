/*
 * A small multinomial logistic-regression problem shared by the influence tests: generated
 * features, labels drawn from a random linear softmax model, a training split and a held-out
 * split of one dataset. Header-only so each test program carries its own copy.
 */
#ifndef DUET_INFLUENCE_FIXTURE_H
#define DUET_INFLUENCE_FIXTURE_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/logreg.h"
#include "util/rng.h"

typedef struct fixture {
    duet_logreg *lr;
    duet_diffmodel model;
    size_t d, classes, n_train, n_heldout;
    uint64_t *train, *heldout; /* train = 0..n_train-1, heldout follows */
    double *x;                 /* [(n_train + n_heldout) x d] */
    int32_t *y;
    double *theta; /* trained on the whole training split */
} fixture;

/* Labels come from softmax(W x) with W ~ N(0, signal^2), so the classes overlap. */
static inline void fixture_data(uint64_t seed, size_t n, size_t d, size_t classes, double signal,
                                double *x, int32_t *y)
{
    duet_rng rng;
    duet_rng_init(&rng, seed);
    double w[64 * 8];
    for (size_t i = 0; i < classes * d; i++)
        w[i] = signal * duet_rng_normal(&rng);
    for (size_t i = 0; i < n; i++) {
        double logits[8], top = -INFINITY, sum = 0;
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = duet_rng_normal(&rng);
        for (size_t c = 0; c < classes; c++) {
            logits[c] = 0;
            for (size_t j = 0; j < d; j++)
                logits[c] += w[c * d + j] * x[i * d + j];
            top = fmax(top, logits[c]);
        }
        for (size_t c = 0; c < classes; c++)
            sum += (logits[c] = exp(logits[c] - top));
        double u = duet_rng_uniform(&rng) * sum;
        y[i] = (int32_t)(classes - 1);
        for (size_t c = 0; c < classes; c++) {
            if (u < logits[c]) {
                y[i] = (int32_t)c;
                break;
            }
            u -= logits[c];
        }
    }
}

/* Builds the model and trains it to gradient norm 1e-12; returns 0 on success. */
static inline int fixture_init(fixture *f, uint64_t seed, size_t n_train, size_t n_heldout,
                               size_t d, size_t classes, double l2)
{
    memset(f, 0, sizeof *f);
    size_t n = n_train + n_heldout;
    f->d = d;
    f->classes = classes;
    f->n_train = n_train;
    f->n_heldout = n_heldout;
    f->x = malloc(n * d * sizeof *f->x);
    f->y = malloc(n * sizeof *f->y);
    f->train = malloc(n * sizeof *f->train);
    fixture_data(seed, n, d, classes, 1.5, f->x, f->y);
    for (size_t i = 0; i < n; i++)
        f->train[i] = i;
    f->heldout = f->train + n_train;
    duet_error err;
    if (duet_logreg_new(n, d, classes, f->x, f->y, l2, &f->lr, &err) != DUET_OK)
        return 1;
    duet_logreg_diffmodel(f->lr, &f->model);
    f->theta = calloc(f->model.n_params, sizeof *f->theta);
    return f->model.train(f->model.self, f->train, n_train, 1e-12, NULL, f->theta, &err) != DUET_OK;
}

static inline void fixture_free(fixture *f)
{
    duet_logreg_free(f->lr);
    free(f->x);
    free(f->y);
    free(f->train);
    free(f->theta);
}

#endif
