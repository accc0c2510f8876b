/*
 * L-BFGS. Invariant: the stored pairs (s_k, y_k) all satisfy s_k . y_k > 0, so the implicit
 * inverse-Hessian approximation stays positive definite and every search direction is a
 * descent direction.
 */
#include "embedded/lbfgs.h"

#include <math.h>
#include <string.h>

#include "util/mem.h"

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* d = -H g by the two-loop recursion over the `count` newest pairs, oldest first in the ring. */
static void search_direction(size_t n, const double *g, double *d, double *const *s,
                             double *const *y, const double *rho, double *alpha, size_t count,
                             size_t newest, size_t memory, const double *precond)
{
    for (size_t i = 0; i < n; i++)
        d[i] = -g[i];
    for (size_t k = 0; k < count; k++) {
        size_t j = (newest + memory - k) % memory;
        alpha[j] = rho[j] * dot(s[j], d, n);
        for (size_t i = 0; i < n; i++)
            d[i] -= alpha[j] * y[j][i];
    }
    if (precond != NULL) {
        double yhy = 0.0;
        for (size_t i = 0; count > 0 && i < n; i++)
            yhy += y[newest][i] * precond[i] * y[newest][i];
        double gamma = count > 0 ? dot(s[newest], y[newest], n) / yhy : 1.0;
        for (size_t i = 0; i < n; i++)
            d[i] *= gamma * precond[i];
    } else if (count > 0) {
        double gamma = dot(s[newest], y[newest], n) / dot(y[newest], y[newest], n);
        for (size_t i = 0; i < n; i++)
            d[i] *= gamma;
    }
    for (size_t k = count; k-- > 0;) {
        size_t j = (newest + memory - k) % memory;
        double beta = rho[j] * dot(y[j], d, n);
        for (size_t i = 0; i < n; i++)
            d[i] += (alpha[j] - beta) * s[j][i];
    }
}

duet_status duet_lbfgs_minimize(duet_lbfgs_fn fn, void *ctx, size_t n, double *x,
                                const duet_lbfgs_options *options, duet_lbfgs_result *result,
                                duet_error *err)
{
    size_t m = options->memory ? options->memory : 1;
    int overflow;
    size_t vec = duet_mul_size(n, sizeof(double), &overflow);
    size_t total = overflow ? 0 : duet_mul_size(2 * m + 4, vec, &overflow);
    double *block = overflow ? NULL : duet_malloc(total);
    double *scalars = duet_malloc(2 * m * sizeof *scalars);
    double **pairs = duet_malloc(2 * m * sizeof *pairs);
    if (block == NULL || scalars == NULL || pairs == NULL) {
        duet_free(block);
        duet_free(scalars);
        duet_free(pairs);
        return duet_error_set(err, DUET_ENOMEM, "out of memory for L-BFGS with %zu parameters", n);
    }
    double *g = block, *d = block + n, *x_new = block + 2 * n, *g_new = block + 3 * n;
    double **s = pairs, **y = pairs + m;
    for (size_t k = 0; k < m; k++) {
        s[k] = block + (4 + 2 * k) * n;
        y[k] = block + (5 + 2 * k) * n;
    }
    double *rho = scalars, *alpha = scalars + m;

    duet_lbfgs_result r = {0, 1, 0.0, 0.0};
    duet_status status = fn(ctx, x, &r.f, g, err);
    size_t count = 0, newest = m - 1;
    while (status == DUET_OK) {
        r.grad_norm = sqrt(dot(g, g, n));
        if (!isfinite(r.f) || !isfinite(r.grad_norm)) {
            status = duet_error_set(err, DUET_ENUMERIC,
                                    "L-BFGS: the objective or its gradient is not finite");
            break;
        }
        if (r.grad_norm <= options->grad_tol)
            break;
        if (r.iterations >= options->max_iter) {
            status = duet_error_set(err, DUET_ENUMERIC,
                                    "L-BFGS: gradient norm %.3g after %zu iterations is above the "
                                    "tolerance %.3g; raise the iteration limit or the tolerance",
                                    r.grad_norm, r.iterations, options->grad_tol);
            break;
        }
        search_direction(n, g, d, s, y, rho, alpha, count, newest, m, options->precond);
        double slope = dot(g, d, n);
        if (slope >= 0.0) { /* cannot happen with positive pairs; restart from steepest descent */
            for (size_t i = 0; i < n; i++)
                d[i] = -g[i];
            slope = -r.grad_norm * r.grad_norm;
            count = 0;
        }
        /*
         * Without a preconditioner the first step is scaled to length 1; every other step starts
         * at the full quasi-Newton step.
         */
        double step = count == 0 && options->precond == NULL ? fmin(1.0, 1.0 / r.grad_norm) : 1.0;
        double f_new = 0.0;
        int accepted = 0;
        for (int tries = 0; tries < 40 && status == DUET_OK; tries++, step *= 0.5) {
            for (size_t i = 0; i < n; i++)
                x_new[i] = x[i] + step * d[i];
            status = fn(ctx, x_new, &f_new, g_new, err);
            r.evaluations++;
            if (status == DUET_OK && isfinite(f_new) && f_new <= r.f + 1e-4 * step * slope) {
                accepted = 1;
                break;
            }
        }
        if (status != DUET_OK)
            break;
        if (!accepted) {
            status = duet_error_set(err, DUET_ENUMERIC,
                                    "L-BFGS: the line search found no decrease at gradient norm "
                                    "%.3g; the tolerance %.3g may be below rounding error",
                                    r.grad_norm, options->grad_tol);
            break;
        }
        size_t slot = (newest + 1) % m;
        for (size_t i = 0; i < n; i++) {
            s[slot][i] = x_new[i] - x[i];
            y[slot][i] = g_new[i] - g[i];
        }
        double sy = dot(s[slot], y[slot], n);
        if (sy > 1e-12 * sqrt(dot(s[slot], s[slot], n) * dot(y[slot], y[slot], n))) {
            rho[slot] = 1.0 / sy;
            newest = slot;
            if (count < m)
                count++;
        } else if (count == m) {
            count--; /* the rejected pair overwrote the oldest one, which is dropped */
        }
        memcpy(x, x_new, vec);
        memcpy(g, g_new, vec);
        r.f = f_new;
        r.iterations++;
    }
    if (result != NULL)
        *result = r;
    duet_free(block);
    duet_free(scalars);
    duet_free(pairs);
    return status;
}
