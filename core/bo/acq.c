/*
 * Exploration schedules, log expected improvement, and random-Fourier-feature Thompson
 * samples.
 *
 * Invariant: after duet_rff_sample succeeds, omega, phase and theta describe one function
 * f(x) = ymean + yscale * phi(x) . theta, and duet_rff_eval evaluates exactly that function
 * until the next sample. This file includes OpenBLAS's <cblas.h> and must not include GSL.
 */
#include "bo/acq.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "util/mem.h"

#define PI          3.14159265358979323846
#define LOG_SQRT2PI 0.91893853320467274178
#define SQRT1_2     0.70710678118654752440

/* ------------------------------------------------------------------ schedules */

double duet_acq_beta_gp_ucb(size_t t, size_t dim, double delta)
{
    double tt = t < 1 ? 1.0 : (double)t;
    return 2.0 * (((double)dim / 2.0 + 2.0) * log(tt) + log(PI * PI / (3.0 * delta)));
}

double duet_acq_beta_igp_ucb(double gamma, double rkhs_bound, double noise_sd, double delta)
{
    double root = rkhs_bound + noise_sd * sqrt(2.0 * (gamma + 1.0 + log(1.0 / delta)));
    return root * root;
}

duet_status duet_acq_beta(const duet_beta_params *p, size_t t, const duet_gp *gp, double *beta,
                          duet_error *err)
{
    if (p->schedule == DUET_BETA_CONSTANT) {
        if (!(p->value >= 0.0 && isfinite(p->value)))
            return duet_error_set(err, DUET_EINVAL,
                                  "constant beta %g is invalid; give a finite value >= 0",
                                  p->value);
        *beta = p->value;
        return DUET_OK;
    }
    if (!(p->delta > 0.0 && p->delta < 1.0))
        return duet_error_set(err, DUET_EINVAL, "delta %g is invalid; give a value in (0, 1)",
                              p->delta);
    if (p->schedule == DUET_BETA_GP_UCB) {
        if (p->dim == 0)
            return duet_error_set(err, DUET_EINVAL, "GP-UCB needs a domain dimension >= 1");
        *beta = duet_acq_beta_gp_ucb(t, p->dim, p->delta);
        return DUET_OK;
    }
    if (p->schedule != DUET_BETA_IGP_UCB)
        return duet_error_set(err, DUET_EINVAL, "unknown beta schedule %d", (int)p->schedule);
    if (!(p->rkhs_bound >= 0.0 && isfinite(p->rkhs_bound)))
        return duet_error_set(err, DUET_EINVAL,
                              "IGP-UCB RKHS bound %g is invalid; give a finite value >= 0",
                              p->rkhs_bound);
    double noise_sd = sqrt(duet_gp_noise_variance(gp));
    *beta = duet_acq_beta_igp_ucb(duet_gp_info_gain(gp), p->rkhs_bound, noise_sd, p->delta);
    return DUET_OK;
}

/* ------------------------------------------------------------------ expected improvement */

/* Tail of the Mills-ratio continued fraction: c = 1 / (u + 2 / (u + 3 / (u + ...))). */
static double mills_tail(double u)
{
    double t = 0.0;
    for (int k = 120; k >= 2; k--)
        t = (double)k / (u + t);
    return 1.0 / (u + t);
}

double duet_acq_log_h(double z, double *dlogh)
{
    if (z >= -5.0) {
        double cdf = 0.5 * erfc(-z * SQRT1_2);
        double pdf = exp(-0.5 * z * z - LOG_SQRT2PI);
        double h = z * cdf + pdf;
        if (dlogh != NULL)
            *dlogh = cdf / h;
        return log(h);
    }
    double u = -z;
    if (u > 1e150) {
        if (dlogh != NULL)
            *dlogh = u;
        return -DBL_MAX;
    }
    /*
     * With the Mills ratio M(u) = Q(u) / phi(u) = 1 / (u + c): h = phi(u) (1 - u M(u))
     * = phi(u) c / (u + c), and Phi(z) / h(z) = M(u) phi(u) / h = 1 / c.
     */
    double c = mills_tail(u);
    if (dlogh != NULL)
        *dlogh = 1.0 / c;
    return -0.5 * u * u - LOG_SQRT2PI + log(c) - log(u + c);
}

double duet_acq_log_ei(double mean, double sd, double best, double *dmean, double *dsd)
{
    if (!(sd > 0.0)) {
        double gain = mean - best;
        if (dmean != NULL)
            *dmean = gain > 0.0 ? 1.0 / gain : 0.0;
        if (dsd != NULL)
            *dsd = 0.0;
        return gain > 0.0 ? log(gain) : -INFINITY;
    }
    double z = (mean - best) / sd, dlogh;
    double value = log(sd) + duet_acq_log_h(z, &dlogh);
    if (dmean != NULL)
        *dmean = dlogh / sd;
    if (dsd != NULL)
        *dsd = (1.0 - z * dlogh) / sd;
    return value;
}

/* ------------------------------------------------------------------ random Fourier features */

struct duet_rff {
    size_t dim, count; /* input dimension and D */
    double *omega;     /* [D x dim] frequencies */
    double *phase;     /* [D] */
    double amplitude;  /* sqrt(2 sf2 / D) */
    double *theta;     /* [D] weights of the sampled function */
    double *precision; /* [D x D] Phi' Phi + lambda I, then its lower factor; first sample */
    double *design;    /* [rows_cap x D] features of the observations */
    size_t rows_cap;
    double *hyper; /* [dim + 2] log hyperparameters of the last sample */
    double ymean, yscale;
};

duet_rff *duet_rff_new(size_t dim, size_t features, duet_error *err)
{
    int overflow = 0;
    size_t dk = duet_mul_size(features, dim, &overflow);
    duet_mul_size(dk, sizeof(double), &overflow);
    if (dim == 0 || features == 0 || overflow) {
        duet_error_set(err, DUET_EINVAL,
                       "random Fourier features need dimension and feature count >= 1 (got "
                       "%zu and %zu)",
                       dim, features);
        return NULL;
    }
    duet_rff *rff = duet_calloc(1, sizeof *rff);
    if (rff != NULL) {
        rff->dim = dim;
        rff->count = features;
        rff->omega = duet_malloc(dk * sizeof(double));
        rff->phase = duet_malloc(features * sizeof(double));
        rff->theta = duet_calloc(features, sizeof(double));
        rff->hyper = duet_malloc((dim + 2) * sizeof(double));
        rff->yscale = 1.0;
    }
    if (rff == NULL || rff->omega == NULL || rff->phase == NULL || rff->theta == NULL ||
        rff->hyper == NULL) {
        duet_rff_free(rff);
        duet_error_set(err, DUET_ENOMEM, "out of memory creating %zu random Fourier features",
                       features);
        return NULL;
    }
    return rff;
}

void duet_rff_free(duet_rff *rff)
{
    if (rff == NULL)
        return;
    duet_free(rff->omega);
    duet_free(rff->phase);
    duet_free(rff->theta);
    duet_free(rff->precision);
    duet_free(rff->design);
    duet_free(rff->hyper);
    duet_free(rff);
}

size_t duet_rff_count(const duet_rff *rff)
{
    return rff->count;
}

void duet_rff_draw(duet_rff *rff, duet_gp_kernel kernel, const double *log_hyper, duet_rng *rng)
{
    size_t d = rff->dim;
    for (size_t j = 0; j < rff->count; j++) {
        /* Matern-5/2: a Gaussian scaled by sqrt(5 / chi^2_5) is a t with 5 degrees of freedom. */
        double scale = 1.0;
        if (kernel == DUET_GP_MATERN52)
            scale = 1.0 / sqrt(2.0 * duet_rng_gamma(rng, 2.5) / 5.0);
        for (size_t k = 0; k < d; k++)
            rff->omega[j * d + k] = duet_rng_normal(rng) * scale * exp(-log_hyper[k]);
        rff->phase[j] = 2.0 * PI * duet_rng_uniform(rng);
    }
    rff->amplitude = sqrt(2.0 * exp(log_hyper[d]) / (double)rff->count);
}

void duet_rff_features(const duet_rff *rff, const double *x, double *phi)
{
    size_t d = rff->dim;
    for (size_t j = 0; j < rff->count; j++) {
        double a = rff->phase[j];
        for (size_t k = 0; k < d; k++)
            a += rff->omega[j * d + k] * x[k];
        phi[j] = rff->amplitude * cos(a);
    }
}

/* Allocates the D x D precision on first use and grows the design matrix to rows rows. */
static duet_status reserve_design(duet_rff *rff, size_t rows, duet_error *err)
{
    int overflow = 0;
    if (rff->precision == NULL) {
        size_t bytes = duet_mul_size(duet_mul_size(rff->count, rff->count, &overflow),
                                     sizeof(double), &overflow);
        rff->precision = overflow ? NULL : duet_malloc(bytes);
        if (rff->precision == NULL)
            return duet_error_set(err, DUET_ENOMEM,
                                  "out of memory for the precision of %zu random Fourier "
                                  "features",
                                  rff->count);
    }
    if (rows <= rff->rows_cap)
        return DUET_OK;
    size_t bytes =
        duet_mul_size(duet_mul_size(rows, rff->count, &overflow), sizeof(double), &overflow);
    double *p = overflow ? NULL : duet_realloc(rff->design, bytes);
    if (p == NULL)
        return duet_error_set(err, DUET_ENOMEM,
                              "out of memory for the features of %zu observations", rows);
    rff->design = p;
    rff->rows_cap = rows;
    return DUET_OK;
}

duet_status duet_rff_sample(duet_rff *rff, const duet_gp *gp, duet_rng *rng, duet_error *err)
{
    size_t n = duet_gp_count(gp), D = rff->count;
    if (duet_gp_dim(gp) != rff->dim)
        return duet_error_set(err, DUET_EINVAL,
                              "GP of dimension %zu does not match features of dimension %zu",
                              duet_gp_dim(gp), rff->dim);
    duet_status st = reserve_design(rff, n > 0 ? n : 1, err);
    if (st != DUET_OK)
        return st;
    duet_gp_get_hyper(gp, rff->hyper);
    duet_rff_draw(rff, duet_gp_kernel_kind(gp), rff->hyper, rng);
    double lambda = duet_gp_noise_variance(gp) + duet_gp_jitter(gp);
    rff->ymean = duet_gp_output_mean(gp);
    rff->yscale = duet_gp_output_scale(gp);

    /* precision = Phi' Phi + lambda I (lower triangle, row-major). */
    const double *x = duet_gp_inputs(gp), *ys = duet_gp_outputs_standardized(gp);
    for (size_t i = 0; i < n; i++)
        duet_rff_features(rff, x + i * rff->dim, rff->design + i * D);
    memset(rff->precision, 0, D * D * sizeof(double));
    if (n > 0)
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)D, (int)n, 1.0, rff->design, (int)D,
                    0.0, rff->precision, (int)D);
    for (size_t j = 0; j < D; j++)
        rff->precision[j * D + j] += lambda;
    lapack_int info =
        LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)D, rff->precision, (lapack_int)D);
    if (info != 0)
        return duet_error_set(err, DUET_ENUMERIC,
                              "posterior precision of %zu random Fourier features is not "
                              "positive definite (leading minor %d); use fewer features",
                              D, (int)info);

    /* theta = A^-1 Phi' ys + sqrt(lambda) L^-T z, with A = L L'. */
    memset(rff->theta, 0, D * sizeof(double));
    if (n > 0)
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)D, 1.0, rff->design, (int)D, ys, 1, 0.0,
                    rff->theta, 1);
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)D, rff->precision,
                (int)D, rff->theta, 1);
    double noise = sqrt(lambda);
    for (size_t j = 0; j < D; j++)
        rff->theta[j] += noise * duet_rng_normal(rng);
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, (int)D, rff->precision, (int)D,
                rff->theta, 1);
    return DUET_OK;
}

double duet_rff_eval(const duet_rff *rff, const double *x, double *grad)
{
    size_t d = rff->dim;
    double f = 0.0;
    if (grad != NULL)
        memset(grad, 0, d * sizeof *grad);
    for (size_t j = 0; j < rff->count; j++) {
        const double *w = rff->omega + j * d;
        double a = rff->phase[j];
        for (size_t k = 0; k < d; k++)
            a += w[k] * x[k];
        f += rff->theta[j] * cos(a);
        if (grad != NULL) {
            double s = -rff->theta[j] * sin(a);
            for (size_t k = 0; k < d; k++)
                grad[k] += s * w[k];
        }
    }
    double scale = rff->yscale * rff->amplitude;
    if (grad != NULL)
        for (size_t k = 0; k < d; k++)
            grad[k] *= scale;
    return rff->ymean + scale * f;
}
