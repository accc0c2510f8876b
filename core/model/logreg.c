/*
 * Multinomial logistic regression implementing duet_diffmodel, trained by a truncated Newton
 * method (Newton steps solved by conjugate gradient on Hessian-vector products, with an Armijo
 * backtracking line search on J).
 *
 * Invariant: x and y are private copies fixed at creation and every label lies in [0, C), so
 * each function is a pure function of theta and its arguments; `prob` and `proj` are scratch
 * rows of length C that no call keeps across returns.
 */
#include "model/logreg.h"

#include <math.h>
#include <string.h>

#include "util/mem.h"

struct duet_logreg {
    size_t n, d, classes, p;
    double l2;
    double *x;    /* [n x d] */
    int32_t *y;   /* [n] */
    double *prob; /* [C] scratch: softmax probabilities of one example */
    double *proj; /* [C] scratch: a direction projected on one example */
};

/* Newton iterations before train() gives up. Each one at least halves the gradient norm
 * near the optimum, so 100 is far beyond what a well-posed problem needs. */
#define LOGREG_MAX_NEWTON 100

static duet_status check_set(const duet_logreg *m, const uint64_t *set, size_t n_set,
                             duet_error *err)
{
    if (n_set == 0)
        return duet_error_set(err, DUET_EINVAL,
                              "logistic regression: the example set is empty; pass at least one "
                              "example index");
    for (size_t k = 0; k < n_set; k++) {
        if (set[k] >= m->n)
            return duet_error_set(err, DUET_EINVAL,
                                  "logistic regression: example index %llu at position %zu is "
                                  "out of range (the model has %zu examples)",
                                  (unsigned long long)set[k], k, m->n);
    }
    return DUET_OK;
}

/* Row c of theta dotted with (x_i, 1). */
static double class_score(const duet_logreg *m, const double *theta, size_t c, const double *xi)
{
    const double *w = theta + c * (m->d + 1);
    double s = w[m->d];
    for (size_t j = 0; j < m->d; j++)
        s += w[j] * xi[j];
    return s;
}

/* Fills m->prob with the class probabilities of example i and returns its loss. */
static double example_softmax(duet_logreg *m, const double *theta, uint64_t i)
{
    const double *xi = m->x + i * m->d;
    double top = -INFINITY;
    for (size_t c = 0; c < m->classes; c++) {
        m->prob[c] = class_score(m, theta, c, xi);
        if (m->prob[c] > top)
            top = m->prob[c];
    }
    double sum = 0;
    for (size_t c = 0; c < m->classes; c++) {
        m->prob[c] = exp(m->prob[c] - top);
        sum += m->prob[c];
    }
    double loss = log(sum) - (class_score(m, theta, (size_t)m->y[i], xi) - top);
    for (size_t c = 0; c < m->classes; c++)
        m->prob[c] /= sum;
    return loss;
}

/* out[c * (d + 1) + j] += coef[c] * (x_i, 1)[j] for every class c. */
static void add_outer(const duet_logreg *m, uint64_t i, const double *coef, double *out)
{
    const double *xi = m->x + i * m->d;
    for (size_t c = 0; c < m->classes; c++) {
        double *row = out + c * (m->d + 1);
        for (size_t j = 0; j < m->d; j++)
            row[j] += coef[c] * xi[j];
        row[m->d] += coef[c];
    }
}

static duet_status logreg_loss(void *self, const double *theta, const uint64_t *set, size_t n_set,
                               double *out, duet_error *err)
{
    duet_logreg *m = self;
    duet_status st = check_set(m, set, n_set, err);
    if (st != DUET_OK)
        return st;
    double sum = 0;
    for (size_t k = 0; k < n_set; k++)
        sum += example_softmax(m, theta, set[k]);
    *out = sum / (double)n_set;
    return DUET_OK;
}

static duet_status logreg_grad(void *self, const double *theta, const uint64_t *set, size_t n_set,
                               double *g, duet_error *err)
{
    duet_logreg *m = self;
    duet_status st = check_set(m, set, n_set, err);
    if (st != DUET_OK)
        return st;
    memset(g, 0, m->p * sizeof *g);
    for (size_t k = 0; k < n_set; k++) {
        example_softmax(m, theta, set[k]);
        m->prob[m->y[set[k]]] -= 1.0;
        add_outer(m, set[k], m->prob, g);
    }
    for (size_t j = 0; j < m->p; j++)
        g[j] /= (double)n_set;
    return DUET_OK;
}

/*
 * The Hessian of l_i is (diag(p) - p p^T) kron (x~ x~^T), so H v needs only the projection
 * u_c = v_c . x~ and the class-space product w = p * u - p (p . u).
 */
static duet_status logreg_hvp(void *self, const double *theta, const uint64_t *set, size_t n_set,
                              const double *v, double *out, duet_error *err)
{
    duet_logreg *m = self;
    duet_status st = check_set(m, set, n_set, err);
    if (st != DUET_OK)
        return st;
    memset(out, 0, m->p * sizeof *out);
    for (size_t k = 0; k < n_set; k++) {
        uint64_t i = set[k];
        example_softmax(m, theta, i);
        double pu = 0;
        for (size_t c = 0; c < m->classes; c++) {
            m->proj[c] = class_score(m, v, c, m->x + i * m->d);
            pu += m->prob[c] * m->proj[c];
        }
        for (size_t c = 0; c < m->classes; c++)
            m->proj[c] = m->prob[c] * (m->proj[c] - pu);
        add_outer(m, i, m->proj, out);
    }
    for (size_t j = 0; j < m->p; j++)
        out[j] /= (double)n_set;
    return DUET_OK;
}

static duet_status logreg_example_grad_dot(void *self, const double *theta, uint64_t example,
                                           const double *v, double *out, duet_error *err)
{
    duet_logreg *m = self;
    duet_status st = check_set(m, &example, 1, err);
    if (st != DUET_OK)
        return st;
    example_softmax(m, theta, example);
    m->prob[m->y[example]] -= 1.0;
    double s = 0;
    for (size_t c = 0; c < m->classes; c++)
        s += m->prob[c] * class_score(m, v, c, m->x + example * m->d);
    *out = s;
    return DUET_OK;
}

static duet_status logreg_example_grad(void *self, const double *theta, uint64_t example, double *g,
                                       duet_error *err)
{
    return logreg_grad(self, theta, &example, 1, g, err);
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* J = L_S + (l2 / 2) |theta|^2. */
static duet_status objective(duet_logreg *m, const double *theta, const uint64_t *set, size_t n_set,
                             double *out, duet_error *err)
{
    duet_status st = logreg_loss(m, theta, set, n_set, out, err);
    *out += 0.5 * m->l2 * dot(theta, theta, m->p);
    return st;
}

/* Gradient of J. */
static duet_status objective_grad(duet_logreg *m, const double *theta, const uint64_t *set,
                                  size_t n_set, double *g, duet_error *err)
{
    duet_status st = logreg_grad(m, theta, set, n_set, g, err);
    for (size_t j = 0; j < m->p; j++)
        g[j] += m->l2 * theta[j];
    return st;
}

/*
 * Approximately solves (H_J) step = -g by conjugate gradient, stopping at relative residual
 * `forcing` or at non-positive curvature. work holds 3p doubles.
 */
static duet_status newton_direction(duet_logreg *m, const double *theta, const uint64_t *set,
                                    size_t n_set, const double *g, double forcing, double *step,
                                    double *work, duet_error *err)
{
    size_t p = m->p;
    double *r = work, *dir = work + p, *hd = work + 2 * p;
    memset(step, 0, p * sizeof *step);
    for (size_t j = 0; j < p; j++)
        r[j] = dir[j] = -g[j];
    double rr = dot(r, r, p), target = forcing * forcing * rr;
    for (size_t it = 0; it < 2 * p + 10 && rr > target; it++) {
        duet_status st = logreg_hvp(m, theta, set, n_set, dir, hd, err);
        if (st != DUET_OK)
            return st;
        for (size_t j = 0; j < p; j++)
            hd[j] += m->l2 * dir[j];
        double curv = dot(dir, hd, p);
        if (!(curv > 0)) {
            if (it == 0)
                memcpy(step, r, p * sizeof *step);
            break;
        }
        double alpha = rr / curv;
        for (size_t j = 0; j < p; j++) {
            step[j] += alpha * dir[j];
            r[j] -= alpha * hd[j];
        }
        double rr_new = dot(r, r, p);
        for (size_t j = 0; j < p; j++)
            dir[j] = r[j] + (rr_new / rr) * dir[j];
        rr = rr_new;
    }
    return DUET_OK;
}

/*
 * Backtracks from the full step until the Armijo condition holds. Near the optimum the
 * decrease of J falls below rounding, so a full step whose change of J is within rounding is
 * accepted and the gradient-norm test decides convergence.
 */
static duet_status line_search(duet_logreg *m, double *theta, const uint64_t *set, size_t n_set,
                               const double *g, const double *step, double *trial, duet_error *err)
{
    double j0 = 0, slope = dot(g, step, m->p);
    duet_status st = objective(m, theta, set, n_set, &j0, err);
    if (st != DUET_OK)
        return st;
    for (double t = 1.0; t > 1e-12; t *= 0.5) {
        double jt = 0;
        for (size_t j = 0; j < m->p; j++)
            trial[j] = theta[j] + t * step[j];
        st = objective(m, trial, set, n_set, &jt, err);
        if (st != DUET_OK)
            return st;
        int armijo = jt <= j0 + 1e-4 * t * slope;
        int rounding = t == 1.0 && fabs(jt - j0) <= 1e-14 * (1.0 + fabs(j0));
        if (armijo || rounding) {
            memcpy(theta, trial, m->p * sizeof *theta);
            return DUET_OK;
        }
    }
    return duet_error_set(err, DUET_ENUMERIC,
                          "logistic regression: the line search found no decrease of the "
                          "training objective (J = %.17g); the data may contain non-finite "
                          "values",
                          j0);
}

static duet_status logreg_train(void *self, const uint64_t *set, size_t n_set, double tol,
                                duet_rng *rng, double *theta, duet_error *err)
{
    duet_logreg *m = self;
    size_t p = m->p;
    duet_status st = check_set(m, set, n_set, err);
    if (st != DUET_OK)
        return st;
    double *buf = duet_malloc(6 * p * sizeof *buf);
    if (buf == NULL)
        return duet_error_set(err, DUET_ENOMEM,
                              "logistic regression: no memory for %zu training vectors", 6 * p);
    double *g = buf, *step = buf + p, *trial = buf + 2 * p, *work = buf + 3 * p;
    double gnorm = INFINITY;
    for (int it = 0; it < LOGREG_MAX_NEWTON; it++) {
        st = objective_grad(m, theta, set, n_set, g, err);
        if (st != DUET_OK)
            goto done;
        gnorm = sqrt(dot(g, g, p));
        if (gnorm <= tol)
            goto done;
        double forcing = fmin(0.5, sqrt(gnorm));
        st = newton_direction(m, theta, set, n_set, g, forcing, step, work, err);
        if (st == DUET_OK)
            st = line_search(m, theta, set, n_set, g, step, trial, err);
        if (st != DUET_OK)
            goto done;
    }
    st = duet_error_set(err, DUET_ENUMERIC,
                        "logistic regression: training stopped after %d Newton iterations with "
                        "gradient norm %.3g above the tolerance %.3g; loosen the tolerance or "
                        "raise l2",
                        LOGREG_MAX_NEWTON, gnorm, tol);
done:
    duet_free(buf);
    return st;
}

duet_status duet_logreg_new(size_t n, size_t d, size_t classes, const double *x, const int32_t *y,
                            double l2, duet_logreg **out, duet_error *err)
{
    *out = NULL;
    if (classes < 2)
        return duet_error_set(err, DUET_EINVAL,
                              "logistic regression: %zu classes given; at least 2 are needed",
                              classes);
    if (!(l2 >= 0) || !isfinite(l2))
        return duet_error_set(err, DUET_EINVAL,
                              "logistic regression: l2 = %g is invalid; use a finite value >= 0",
                              l2);
    for (size_t i = 0; i < n; i++) {
        if (y[i] < 0 || (size_t)y[i] >= classes)
            return duet_error_set(err, DUET_EINVAL,
                                  "logistic regression: label %d of example %zu is outside "
                                  "[0, %zu)",
                                  (int)y[i], i, classes);
    }
    int overflow = 0;
    size_t nx = duet_mul_size(n, d, &overflow);
    size_t p = duet_mul_size(classes, d + 1, &overflow);
    size_t x_bytes = duet_mul_size(nx, sizeof(double), &overflow);
    if (overflow)
        return duet_error_set(err, DUET_ELIMIT,
                              "logistic regression: %zu examples x %zu features is too large", n,
                              d);
    duet_logreg *m = duet_calloc(1, sizeof *m);
    if (m == NULL)
        return duet_error_set(err, DUET_ENOMEM, "logistic regression: no memory for the model");
    m->n = n;
    m->d = d;
    m->classes = classes;
    m->p = p;
    m->l2 = l2;
    m->x = duet_malloc(x_bytes);
    m->y = duet_malloc(n * sizeof *m->y);
    m->prob = duet_malloc(classes * sizeof *m->prob);
    m->proj = duet_malloc(classes * sizeof *m->proj);
    if (m->x == NULL || m->y == NULL || m->prob == NULL || m->proj == NULL) {
        duet_logreg_free(m);
        return duet_error_set(err, DUET_ENOMEM,
                              "logistic regression: no memory for %zu x %zu features", n, d);
    }
    if (x_bytes > 0)
        memcpy(m->x, x, x_bytes);
    if (n > 0)
        memcpy(m->y, y, n * sizeof *m->y);
    *out = m;
    return DUET_OK;
}

void duet_logreg_free(duet_logreg *m)
{
    if (m == NULL)
        return;
    duet_free(m->x);
    duet_free(m->y);
    duet_free(m->prob);
    duet_free(m->proj);
    duet_free(m);
}

void duet_logreg_diffmodel(duet_logreg *m, duet_diffmodel *out)
{
    out->self = m;
    out->n_params = m->p;
    out->l2 = m->l2;
    out->loss = logreg_loss;
    out->grad = logreg_grad;
    out->hvp = logreg_hvp;
    out->example_grad_dot = logreg_example_grad_dot;
    out->example_grad = logreg_example_grad;
    out->example_grad_sqnorm = NULL;
    out->hess_diag = NULL;
    out->train = logreg_train;
}

size_t duet_logreg_classes(const duet_logreg *m)
{
    return m->classes;
}
