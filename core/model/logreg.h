/*
 * Multinomial logistic regression as a duet_diffmodel: a small strictly convex model on which
 * influence estimates can be checked against exact leave-one-out retraining, and which the
 * `duet influence` command and its benchmark use until a backend supplies its own model.
 *
 * Data: n examples with d features each (row-major x[n x d]) and labels y[i] in [0, C).
 * Parameters: theta is row-major [C x (d + 1)]; row c holds the weights of class c followed by
 * its bias, so p = C (d + 1) and each class is one contiguous block of d + 1 parameters.
 * Loss of example i: l_i(theta) = -log softmax(W x~_i)_{y_i} with x~_i = (x_i, 1).
 * With l2 > 0 the training objective J is strictly convex, so its minimizer is unique.
 *
 * The model keeps scratch space, so its functions must not run concurrently on one model.
 */
#ifndef DUET_LOGREG_H
#define DUET_LOGREG_H

#include <stddef.h>
#include <stdint.h>

#include "model/diffmodel.h"
#include "util/error.h"

typedef struct duet_logreg duet_logreg;

/*
 * Creates a model over a copy of x [n x d] and y [n]. Every label must lie in [0, classes),
 * classes >= 2, l2 >= 0. *out is freed with duet_logreg_free.
 */
duet_status duet_logreg_new(size_t n, size_t d, size_t classes, const double *x, const int32_t *y,
                            double l2, duet_logreg **out, duet_error *err);
void duet_logreg_free(duet_logreg *m);

/* Fills *out with the model's function table; *out borrows m, which must outlive it. */
void duet_logreg_diffmodel(duet_logreg *m, duet_diffmodel *out);

size_t duet_logreg_classes(const duet_logreg *m);

#endif
