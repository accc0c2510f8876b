/*
 * Exact GP regression: kernels, the Cholesky factor with its jitter ladder, the O(n^2) row
 * append, predictions with input gradients, the log marginal likelihood with its
 * hyperparameter gradient, and the prediction cache of a fixed point set.
 *
 * Invariant: when gp->factored is set, chol contains the lower Cholesky factor L (row-major,
 * leading dimension cap) of K = sf2 k(X, X) + (sn2 + jitter) I for the n stored inputs and the
 * current hyperparameters, and alpha = K^-1 ys, beta = L^-1 ys for the current standardized
 * outputs ys. The upper triangles of chol and kinv hold the kernel derivative factors and unit
 * kernel values of the stored pairs (see store_pair). When cache_valid is also set, cache_v holds
 * L^-1 K_f(X, C) for the cached points.
 *
 * LAPACK is called in column-major form on the row-major arrays: a row-major lower triangle is
 * a column-major upper one, so dpotrf('U') yields L without any transposition or allocation.
 * This file includes OpenBLAS's <cblas.h> and must not include GSL headers.
 */
#include "bo/gp.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

#include "util/mem.h"

#define SQRT5      2.2360679774997896964
#define LOG_TWO_PI 1.8378770664093454836

struct duet_gp {
    size_t dim, n, cap;
    duet_gp_kernel kernel;
    double *log_hyper;    /* [dim + 2] */
    double *inv_l2;       /* [dim] 1 / l_k^2 */
    double sf2, sn2;      /* signal and noise variance, standardized units */
    double *x;            /* [cap x dim] inputs */
    double *y, *ys;       /* [cap] raw and standardized outputs */
    double ymean, yscale; /* standardization */
    double *chol;         /* [cap x cap] lower factor, row-major */
    double *alpha, *beta; /* [cap] K^-1 ys and L^-1 ys */
    double jitter;        /* absolute jitter of the current factor */
    double lml;           /* log marginal likelihood of the current factor */
    int factored;
    double *kinv;          /* [cap x cap] workspace for K^-1 */
    double *kstar, *v, *w; /* [cap] prediction workspaces */
    double *gfac;          /* [cap] kernel derivative factors of the last prediction */
    double *grad_work;     /* [dim + 2] */
    size_t cache_m, cache_cap;
    double *cache_x; /* [cache_cap x dim] cached points */
    double *cache_v; /* [cap x cache_m] L^-1 K_f(X, C) */
    int cache_valid;
};

static void unpack_hyper(duet_gp *gp);

static const double default_lengthscale = 0.3, default_signal = 1.0, default_noise = 1e-2;

/* ------------------------------------------------------------------ kernel */

/* Scaled squared distance r^2 = sum_k (a_k - b_k)^2 / l_k^2. */
static double scaled_r2(const duet_gp *gp, const double *a, const double *b)
{
    double r2 = 0.0;
    for (size_t k = 0; k < gp->dim; k++) {
        double d = a[k] - b[k];
        r2 += d * d * gp->inv_l2[k];
    }
    return r2;
}

double duet_gp_kernel_eval(duet_gp_kernel kernel, double r2, double *gfac)
{
    if (!(r2 < INFINITY)) {
        /* Overflowed distances: both kernels and their derivatives vanish at infinity. */
        if (gfac != NULL)
            *gfac = 0.0;
        return 0.0;
    }
    if (kernel == DUET_GP_SE) {
        double k = exp(-0.5 * r2);
        if (gfac != NULL)
            *gfac = k;
        return k;
    }
    double r = sqrt(r2), e = exp(-SQRT5 * r);
    if (gfac != NULL)
        *gfac = (5.0 / 3.0) * (1.0 + SQRT5 * r) * e;
    return (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * e;
}

static double kernel_at(const duet_gp *gp, const double *a, const double *b)
{
    return gp->sf2 * duet_gp_kernel_eval(gp->kernel, scaled_r2(gp, a, b), NULL);
}

/* ------------------------------------------------------------------ lifetime */

duet_gp *duet_gp_new(size_t dim, duet_gp_kernel kernel, duet_error *err)
{
    if (dim == 0) {
        duet_error_set(err, DUET_EINVAL, "GP input dimension is 0; give at least one input");
        return NULL;
    }
    if (kernel != DUET_GP_MATERN52 && kernel != DUET_GP_SE) {
        duet_error_set(err, DUET_EINVAL, "unknown GP kernel %d; use Matern-5/2 or SE", (int)kernel);
        return NULL;
    }
    duet_gp *gp = duet_calloc(1, sizeof *gp);
    if (gp == NULL) {
        duet_error_set(err, DUET_ENOMEM, "out of memory creating a GP of dimension %zu", dim);
        return NULL;
    }
    gp->dim = dim;
    gp->kernel = kernel;
    gp->log_hyper = duet_calloc(dim + 2, sizeof *gp->log_hyper);
    gp->inv_l2 = duet_calloc(dim, sizeof *gp->inv_l2);
    gp->grad_work = duet_calloc(dim + 2, sizeof *gp->grad_work);
    if (gp->log_hyper == NULL || gp->inv_l2 == NULL || gp->grad_work == NULL) {
        duet_gp_free(gp);
        duet_error_set(err, DUET_ENOMEM, "out of memory creating a GP of dimension %zu", dim);
        return NULL;
    }
    for (size_t k = 0; k < dim; k++)
        gp->log_hyper[k] = log(default_lengthscale);
    gp->log_hyper[dim] = log(default_signal);
    gp->log_hyper[dim + 1] = log(default_noise);
    unpack_hyper(gp);
    gp->yscale = 1.0;
    return gp;
}

void duet_gp_free(duet_gp *gp)
{
    if (gp == NULL)
        return;
    duet_free(gp->log_hyper);
    duet_free(gp->inv_l2);
    duet_free(gp->grad_work);
    duet_free(gp->x);
    duet_free(gp->y);
    duet_free(gp->ys);
    duet_free(gp->alpha);
    duet_free(gp->beta);
    duet_free(gp->chol);
    duet_free(gp->kinv);
    duet_free(gp->kstar);
    duet_free(gp->v);
    duet_free(gp->w);
    duet_free(gp->gfac);
    duet_free(gp->cache_x);
    duet_free(gp->cache_v);
    duet_free(gp);
}

static void unpack_hyper(duet_gp *gp)
{
    for (size_t k = 0; k < gp->dim; k++)
        gp->inv_l2[k] = exp(-2.0 * gp->log_hyper[k]);
    gp->sf2 = exp(gp->log_hyper[gp->dim]);
    gp->sn2 = exp(gp->log_hyper[gp->dim + 1]);
}

size_t duet_gp_dim(const duet_gp *gp)
{
    return gp->dim;
}

size_t duet_gp_count(const duet_gp *gp)
{
    return gp->n;
}

duet_gp_kernel duet_gp_kernel_kind(const duet_gp *gp)
{
    return gp->kernel;
}

size_t duet_gp_hyper_count(const duet_gp *gp)
{
    return gp->dim + 2;
}

/* Reallocates *p to count doubles; returns 0 on failure, leaving *p untouched. */
static int grow(double **p, size_t count)
{
    int overflow = 0;
    size_t bytes = duet_mul_size(count, sizeof(double), &overflow);
    if (overflow)
        return 0;
    double *q = duet_realloc(*p, bytes);
    if (q == NULL)
        return 0;
    *p = q;
    return 1;
}

duet_status duet_gp_reserve(duet_gp *gp, size_t capacity, duet_error *err)
{
    if (capacity <= gp->cap)
        return DUET_OK;
    int overflow = 0;
    size_t square = duet_mul_size(capacity, capacity, &overflow);
    size_t xs = duet_mul_size(capacity, gp->dim, &overflow);
    size_t vs = duet_mul_size(capacity, gp->cache_m > 0 ? gp->cache_m : 1, &overflow);
    if (overflow)
        return duet_error_set(err, DUET_ELIMIT, "GP capacity %zu is too large", capacity);

    /*
     * The leading dimension of the square buffers changes, so they move to fresh buffers row by
     * row, keeping both triangles (the upper ones hold the pair values, see store_pair).
     */
    double *chol = duet_malloc(square * sizeof *chol), *kinv = duet_malloc(square * sizeof *kinv);
    if (chol == NULL || kinv == NULL || !grow(&gp->x, xs) || !grow(&gp->y, capacity) ||
        !grow(&gp->ys, capacity) || !grow(&gp->alpha, capacity) || !grow(&gp->beta, capacity) ||
        !grow(&gp->kstar, capacity) || !grow(&gp->v, capacity) || !grow(&gp->w, capacity) ||
        !grow(&gp->gfac, capacity) || (gp->cache_m > 0 && !grow(&gp->cache_v, vs))) {
        duet_free(chol);
        duet_free(kinv);
        return duet_error_set(err, DUET_ENOMEM, "out of memory growing a GP to %zu points",
                              capacity);
    }
    for (size_t i = 0; i < gp->n; i++) {
        memcpy(chol + i * capacity, gp->chol + i * gp->cap, gp->n * sizeof *chol);
        memcpy(kinv + i * capacity, gp->kinv + i * gp->cap, gp->n * sizeof *kinv);
    }
    duet_free(gp->chol);
    duet_free(gp->kinv);
    gp->chol = chol;
    gp->kinv = kinv;
    gp->cap = capacity;
    return DUET_OK;
}

void duet_gp_clear(duet_gp *gp)
{
    gp->n = 0;
    gp->factored = 0;
    gp->cache_valid = 0;
    gp->ymean = 0.0;
    gp->yscale = 1.0;
    gp->jitter = 0.0;
}

/* ------------------------------------------------------------------ standardization */

/* Recomputes ys from y with the population standard deviation (constant outputs: sd = 1). */
static void standardize(duet_gp *gp)
{
    size_t n = gp->n;
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += gp->y[i];
    mean /= (double)n;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (gp->y[i] - mean) * (gp->y[i] - mean);
    double sd = sqrt(ss / (double)n);
    if (!(sd > 1e-12 * fmax(1.0, fabs(mean))))
        sd = 1.0;
    gp->ymean = mean;
    gp->yscale = sd;
    for (size_t i = 0; i < n; i++)
        gp->ys[i] = (gp->y[i] - mean) / sd;
}

/* beta = L^-1 ys, alpha = L^-T beta, and the log marginal likelihood, all in O(n^2). */
static void solve_outputs(duet_gp *gp)
{
    size_t n = gp->n;
    memcpy(gp->beta, gp->ys, n * sizeof *gp->beta);
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, gp->chol,
                (int)gp->cap, gp->beta, 1);
    memcpy(gp->alpha, gp->beta, n * sizeof *gp->alpha);
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, gp->chol, (int)gp->cap,
                gp->alpha, 1);
    double fit = 0.0, logdet = 0.0;
    for (size_t i = 0; i < n; i++) {
        fit += gp->beta[i] * gp->beta[i];
        logdet += log(gp->chol[i * gp->cap + i]);
    }
    gp->lml = -0.5 * fit - logdet - 0.5 * (double)n * LOG_TWO_PI;
}

/* ------------------------------------------------------------------ factorization */

/*
 * Stores the pair (i, j), j < i: K_ij = sf2 k in the lower triangle of chol, and for the
 * likelihood gradient the derivative factor gfac in chol's upper triangle and the unit kernel
 * value k in kinv's upper triangle. LAPACK and the triangular solves read only the lower
 * triangles, so the upper ones survive factorization and inversion.
 */
static void store_pair(duet_gp *gp, size_t i, size_t j)
{
    size_t ld = gp->cap, d = gp->dim;
    double gfac,
        k = duet_gp_kernel_eval(gp->kernel, scaled_r2(gp, gp->x + i * d, gp->x + j * d), &gfac);
    gp->chol[i * ld + j] = gp->sf2 * k;
    gp->chol[j * ld + i] = gfac;
    gp->kinv[j * ld + i] = k;
}

/* Writes the lower triangle of K without jitter into chol, and the pair values. */
static void fill_covariance(duet_gp *gp)
{
    size_t n = gp->n, ld = gp->cap;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            store_pair(gp, i, j);
        gp->chol[i * ld + i] = gp->sf2 + gp->sn2;
    }
}

/* Relative jitter of ladder step s: 0, then 1e-10 ... DUET_GP_JITTER_MAX by decades. */
static double ladder_step(int s)
{
    return s == 0 ? 0.0 : DUET_GP_JITTER_MAX * pow(10.0, (double)(s - (DUET_GP_JITTER_STEPS - 1)));
}

static duet_status refactor(duet_gp *gp, duet_error *err)
{
    size_t n = gp->n, ld = gp->cap;
    gp->factored = 0;
    gp->cache_valid = 0;
    if (n == 0) {
        gp->jitter = 0.0;
        gp->lml = 0.0;
        gp->factored = 1;
        return DUET_OK;
    }
    double diag = gp->sf2 + gp->sn2;
    lapack_int info = 0;
    for (int s = 0; s < DUET_GP_JITTER_STEPS; s++) {
        double jitter = ladder_step(s) * diag;
        fill_covariance(gp);
        for (size_t i = 0; i < n; i++)
            gp->chol[i * ld + i] += jitter;
        info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)n, gp->chol, (lapack_int)ld);
        if (info == 0) {
            gp->jitter = jitter;
            gp->factored = 1;
            solve_outputs(gp);
            return DUET_OK;
        }
    }
    return duet_error_set(err, DUET_ENUMERIC,
                          "GP covariance of %zu points is not positive definite even with "
                          "jitter %.3g (leading minor %d fails; signal variance %.3g, noise "
                          "variance %.3g); remove duplicate inputs or raise the noise variance",
                          n, ladder_step(DUET_GP_JITTER_STEPS - 1) * diag, (int)info, gp->sf2,
                          gp->sn2);
}

/* Extends the cached V = L^-1 K_f(X, C) by the row of observation i, in O(m i). */
static void cache_append_row(duet_gp *gp, size_t i)
{
    size_t m = gp->cache_m, d = gp->dim;
    double *row = gp->cache_v + i * m;
    const double *l = gp->chol + i * gp->cap;
    for (size_t c = 0; c < m; c++)
        row[c] = kernel_at(gp, gp->x + i * d, gp->cache_x + c * d);
    if (i > 0)
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)i, (int)m, -1.0, gp->cache_v, (int)m, l, 1, 1.0,
                    row, 1);
    cblas_dscal((int)m, 1.0 / l[i], row, 1);
}

/* Appends row n of the factor in O(n^2); returns 0 when its diagonal would not be positive. */
static int append_factor_row(duet_gp *gp)
{
    size_t n = gp->n, ld = gp->cap;
    double *row = gp->chol + n * ld;
    for (size_t j = 0; j < n; j++)
        store_pair(gp, n, j);
    if (n > 0)
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, gp->chol,
                    (int)ld, row, 1);
    double schur = gp->sf2 + gp->sn2 + gp->jitter;
    for (size_t j = 0; j < n; j++)
        schur -= row[j] * row[j];
    /* Below this pivot the factor would be useless; the jitter ladder decides instead. */
    if (!(schur > 1e-14 * (gp->sf2 + gp->sn2)))
        return 0;
    row[n] = sqrt(schur);
    return 1;
}

duet_status duet_gp_add(duet_gp *gp, const double *x, double y, duet_error *err)
{
    if (!isfinite(y))
        return duet_error_set(err, DUET_EINVAL,
                              "GP output %g of observation %zu is not finite; pass a finite "
                              "utility",
                              y, gp->n);
    for (size_t k = 0; k < gp->dim; k++)
        if (!isfinite(x[k]))
            return duet_error_set(err, DUET_EINVAL,
                                  "GP input coordinate %zu of observation %zu is %g; inputs "
                                  "must be finite",
                                  k, gp->n, x[k]);
    if (gp->n == gp->cap) {
        size_t want = gp->cap < 16 ? 16 : 2 * gp->cap;
        duet_status st = duet_gp_reserve(gp, want, err);
        if (st != DUET_OK)
            return st;
    }
    size_t n = gp->n;
    memcpy(gp->x + n * gp->dim, x, gp->dim * sizeof *x);
    gp->y[n] = y;
    int appended = gp->factored && append_factor_row(gp);
    gp->n = n + 1;
    standardize(gp);
    if (!appended)
        return refactor(gp, err);
    solve_outputs(gp);
    if (gp->cache_valid)
        cache_append_row(gp, n);
    return DUET_OK;
}

/* ------------------------------------------------------------------ hyperparameters */

void duet_gp_get_hyper(const duet_gp *gp, double *log_hyper)
{
    memcpy(log_hyper, gp->log_hyper, (gp->dim + 2) * sizeof *log_hyper);
}

duet_status duet_gp_set_hyper(duet_gp *gp, const double *log_hyper, duet_error *err)
{
    for (size_t j = 0; j < gp->dim + 2; j++)
        if (!(fabs(log_hyper[j]) <= DUET_GP_LOG_HYPER_MAX))
            return duet_error_set(err, DUET_EINVAL,
                                  "GP log hyperparameter %zu is %g; keep every log "
                                  "hyperparameter within +-%g",
                                  j, log_hyper[j], DUET_GP_LOG_HYPER_MAX);
    memcpy(gp->log_hyper, log_hyper, (gp->dim + 2) * sizeof *log_hyper);
    unpack_hyper(gp);
    return refactor(gp, err);
}

const double *duet_gp_factor(const duet_gp *gp, size_t *ld)
{
    *ld = gp->cap;
    return gp->factored ? gp->chol : NULL;
}

double duet_gp_signal_variance(const duet_gp *gp)
{
    return gp->sf2;
}

double duet_gp_noise_variance(const duet_gp *gp)
{
    return gp->sn2;
}

int duet_gp_ready(const duet_gp *gp)
{
    return gp->factored;
}

double duet_gp_jitter(const duet_gp *gp)
{
    return gp->jitter;
}

double duet_gp_output_mean(const duet_gp *gp)
{
    return gp->ymean;
}

double duet_gp_output_scale(const duet_gp *gp)
{
    return gp->yscale;
}

const double *duet_gp_inputs(const duet_gp *gp)
{
    return gp->x;
}

const double *duet_gp_outputs_standardized(const duet_gp *gp)
{
    return gp->ys;
}

double duet_gp_best_output(const duet_gp *gp, size_t *row)
{
    double best = -INFINITY;
    size_t at = 0;
    for (size_t i = 0; i < gp->n; i++)
        if (gp->y[i] > best) {
            best = gp->y[i];
            at = i;
        }
    if (row != NULL)
        *row = at;
    return best;
}

double duet_gp_log_marginal(const duet_gp *gp)
{
    return gp->lml;
}

double duet_gp_info_gain(const duet_gp *gp)
{
    if (!gp->factored || gp->n == 0)
        return 0.0;
    double lambda = gp->sn2 + gp->jitter, logdet = 0.0;
    for (size_t i = 0; i < gp->n; i++)
        logdet += log(gp->chol[i * gp->cap + i]);
    /* log det(K_f + lambda I) / 2 - n log(lambda) / 2; never below 0 up to rounding. */
    return fmax(0.0, logdet - 0.5 * (double)gp->n * log(lambda));
}

/* ------------------------------------------------------------------ likelihood gradient */

/*
 * Inverts the column-major upper triangular u (n x n, leading dimension ld) in place, by halves:
 * inv([A B; 0 C]) = [inv(A), -inv(A) B inv(C); 0, inv(C)]. The two products are level-3 BLAS,
 * where OpenBLAS's dtrtri runs its unblocked loop up to a few hundred rows. Returns LAPACK's info.
 */
static lapack_int invert_upper(double *u, size_t n, size_t ld)
{
    if (n <= 32)
        return LAPACKE_dtrtri_work(LAPACK_COL_MAJOR, 'U', 'N', (lapack_int)n, u, (lapack_int)ld);
    size_t k = n / 2;
    double *a = u, *b = u + k * ld, *c = u + k + k * ld;
    lapack_int info = invert_upper(a, k, ld);
    if (info == 0)
        info = invert_upper(c, n - k, ld);
    if (info != 0)
        return info;
    cblas_dtrmm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, (int)k,
                (int)(n - k), -1.0, a, (int)ld, b, (int)ld);
    cblas_dtrmm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)k,
                (int)(n - k), 1.0, c, (int)ld, b, (int)ld);
    return 0;
}

duet_status duet_gp_log_marginal_grad(duet_gp *gp, double *lml, double *grad, duet_error *err)
{
    if (!gp->factored)
        return duet_error_set(err, DUET_EINVAL,
                              "GP has no factor for its hyperparameters; set them first");
    size_t n = gp->n, ld = gp->cap, d = gp->dim;
    memset(grad, 0, (d + 2) * sizeof *grad);
    *lml = gp->lml;
    if (n == 0)
        return DUET_OK;

    /* kinv <- K^-1 from the factor (lower triangle, row-major). */
    for (size_t i = 0; i < n; i++)
        memcpy(gp->kinv + i * ld, gp->chol + i * ld, (i + 1) * sizeof *gp->kinv);
    lapack_int info = invert_upper(gp->kinv, n, ld);
    if (info == 0)
        info = LAPACKE_dlauum_work(LAPACK_COL_MAJOR, 'U', (lapack_int)n, gp->kinv, (lapack_int)ld);
    if (info != 0)
        return duet_error_set(
            err, DUET_ENUMERIC,
            "inverting the GP covariance of %zu points failed (LAPACK dtrtri/dlauum "
            "info %d)",
            n, (int)info);

    /* grad_j = sum_{i,k} W_ik dK_ik/dtheta_j / 2 with W = a a' - K^-1, symmetric. */
    double *gl = gp->grad_work;
    memset(gl, 0, (d + 2) * sizeof *gl);
    double gsf = 0.0, gsn = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *xi = gp->x + i * d;
        for (size_t j = 0; j < i; j++) {
            const double *xj = gp->x + j * d;
            double w = gp->alpha[i] * gp->alpha[j] - gp->kinv[i * ld + j];
            gsf += w * gp->kinv[j * ld + i];
            double wg = w * gp->chol[j * ld + i];
            for (size_t k = 0; k < d; k++) {
                double diff = xi[k] - xj[k];
                gl[k] += wg * diff * diff;
            }
        }
        double wii = gp->alpha[i] * gp->alpha[i] - gp->kinv[i * ld + i];
        gsf += 0.5 * wii;
        gsn += 0.5 * wii;
    }
    /* Off-diagonal pairs count twice in the trace, and the trace is halved. */
    for (size_t k = 0; k < d; k++)
        grad[k] = gl[k] * gp->sf2 * gp->inv_l2[k];
    grad[d] = gsf * gp->sf2;
    grad[d + 1] = gsn * gp->sn2;
    return DUET_OK;
}

/* ------------------------------------------------------------------ prediction */

duet_status duet_gp_predict(duet_gp *gp, const double *x, double *mean, double *var, double *dmean,
                            double *dvar, duet_error *err)
{
    size_t n = gp->n, d = gp->dim;
    if (dmean != NULL)
        memset(dmean, 0, d * sizeof *dmean);
    if (dvar != NULL)
        memset(dvar, 0, d * sizeof *dvar);
    if (n == 0) {
        *mean = gp->ymean;
        *var = gp->yscale * gp->yscale * gp->sf2;
        return DUET_OK;
    }
    if (!gp->factored)
        return duet_error_set(err, DUET_EINVAL,
                              "GP has no factor for its %zu observations; set or fit the "
                              "hyperparameters first",
                              n);
    int gradients = dmean != NULL || dvar != NULL;
    double mu = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r2 = scaled_r2(gp, x, gp->x + i * d);
        gp->kstar[i] =
            gp->sf2 * duet_gp_kernel_eval(gp->kernel, r2, gradients ? gp->gfac + i : NULL);
        mu += gp->kstar[i] * gp->alpha[i];
    }
    memcpy(gp->v, gp->kstar, n * sizeof *gp->v);
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, gp->chol,
                (int)gp->cap, gp->v, 1);
    double vv = cblas_ddot((int)n, gp->v, 1, gp->v, 1);
    double s2 = gp->yscale * gp->yscale;
    *mean = gp->ymean + gp->yscale * mu;
    *var = s2 * fmax(gp->sf2 - vv, 0.0);
    if (!gradients)
        return DUET_OK;

    /* w = K^-1 k*, so d var / dx = -2 sd^2 sum_i w_i dk_i/dx. */
    memcpy(gp->w, gp->v, n * sizeof *gp->w);
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, (int)n, gp->chol, (int)gp->cap,
                gp->w, 1);
    for (size_t i = 0; i < n; i++) {
        const double *xi = gp->x + i * d;
        /* dk_i/dx_k = -sf2 * gfac * (x_k - xi_k) / l_k^2 */
        double cm = -gp->sf2 * gp->gfac[i] * gp->alpha[i] * gp->yscale;
        double cv = 2.0 * gp->sf2 * gp->gfac[i] * gp->w[i] * s2;
        for (size_t k = 0; k < d; k++) {
            double t = (x[k] - xi[k]) * gp->inv_l2[k];
            if (dmean != NULL)
                dmean[k] += cm * t;
            if (dvar != NULL)
                dvar[k] += cv * t;
        }
    }
    return DUET_OK;
}

/* ------------------------------------------------------------------ prediction cache */

duet_status duet_gp_cache_set(duet_gp *gp, size_t m, const double *c, size_t ldc, duet_error *err)
{
    int overflow = 0;
    size_t cap = gp->cap > 0 ? gp->cap : 1;
    size_t xs = duet_mul_size(m, gp->dim, &overflow);
    size_t vs = duet_mul_size(cap, m, &overflow);
    if (overflow || m == 0)
        return duet_error_set(err, DUET_EINVAL, "GP prediction cache of %zu points is invalid", m);
    if (m > gp->cache_cap) {
        if (!grow(&gp->cache_x, xs))
            return duet_error_set(err, DUET_ENOMEM, "out of memory caching %zu GP points", m);
        gp->cache_cap = m;
    }
    if (!grow(&gp->cache_v, vs))
        return duet_error_set(err, DUET_ENOMEM, "out of memory caching %zu GP points", m);
    for (size_t i = 0; i < m; i++)
        memcpy(gp->cache_x + i * gp->dim, c + i * ldc, gp->dim * sizeof *c);
    gp->cache_m = m;
    gp->cache_valid = 0;
    return DUET_OK;
}

/* Recomputes V = L^-1 K_f(X, C) for the whole cache in O(m n^2). */
static void cache_rebuild(duet_gp *gp)
{
    size_t n = gp->n, m = gp->cache_m, d = gp->dim;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < m; c++)
            gp->cache_v[i * m + c] = kernel_at(gp, gp->x + i * d, gp->cache_x + c * d);
    if (n > 0)
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
                    (int)m, 1.0, gp->chol, (int)gp->cap, gp->cache_v, (int)m);
    gp->cache_valid = 1;
}

duet_status duet_gp_cache_predict(duet_gp *gp, double *mean, double *var, duet_error *err)
{
    size_t n = gp->n, m = gp->cache_m;
    if (m == 0)
        return duet_error_set(err, DUET_EINVAL, "GP prediction cache is empty; set it first");
    if (!gp->factored)
        return duet_error_set(err, DUET_EINVAL,
                              "GP has no factor for its %zu observations; set or fit the "
                              "hyperparameters first",
                              n);
    if (!gp->cache_valid) {
        cache_rebuild(gp);
    }
    /* mean = ymean + sd * V' beta; var = sd^2 * (sf2 - column sums of V^2). */
    for (size_t c = 0; c < m; c++) {
        mean[c] = 0.0;
        var[c] = 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = gp->cache_v + i * m;
        double b = gp->beta[i];
        for (size_t c = 0; c < m; c++) {
            mean[c] += row[c] * b;
            var[c] += row[c] * row[c];
        }
    }
    double s2 = gp->yscale * gp->yscale;
    for (size_t c = 0; c < m; c++) {
        mean[c] = gp->ymean + gp->yscale * mean[c];
        var[c] = s2 * fmax(gp->sf2 - var[c], 0.0);
    }
    return DUET_OK;
}

/* ------------------------------------------------------------------ priors and bounds */

/* Gamma(shape, rate) priors of BoTorch 0.11 SingleTaskGP. */
static const double gamma_lengthscale[2] = {3.0, 6.0}, gamma_signal[2] = {2.0, 0.15},
                    gamma_noise[2] = {1.1, 0.05};

void duet_gp_hyper_bounds(const duet_gp *gp, duet_gp_prior prior, double *lower, double *upper)
{
    size_t d = gp->dim;
    for (size_t k = 0; k < d; k++) {
        lower[k] = log(1e-3);
        upper[k] = log(1e3);
    }
    lower[d] = log(1e-2);
    upper[d] = log(1e2);
    lower[d + 1] = log(prior == DUET_GP_PRIOR_BOTORCH ? 1e-4 : 1e-6);
    upper[d + 1] = log(10.0);
}

/* log Gamma(p; shape, rate) at p = exp(t), and its derivative in t. */
static double log_gamma_density(double t, const double sr[2], double *dt)
{
    double p = exp(t);
    *dt = (sr[0] - 1.0) - sr[1] * p;
    return sr[0] * log(sr[1]) - lgamma(sr[0]) + (sr[0] - 1.0) * t - sr[1] * p;
}

double duet_gp_log_prior(const duet_gp *gp, duet_gp_prior prior, const double *log_hyper,
                         double *grad)
{
    size_t d = gp->dim;
    if (prior != DUET_GP_PRIOR_BOTORCH) {
        if (grad != NULL)
            memset(grad, 0, (d + 2) * sizeof *grad);
        return 0.0;
    }
    double total = 0.0, dt;
    for (size_t k = 0; k < d; k++) {
        total += log_gamma_density(log_hyper[k], gamma_lengthscale, &dt);
        if (grad != NULL)
            grad[k] = dt;
    }
    total += log_gamma_density(log_hyper[d], gamma_signal, &dt);
    if (grad != NULL)
        grad[d] = dt;
    total += log_gamma_density(log_hyper[d + 1], gamma_noise, &dt);
    if (grad != NULL)
        grad[d + 1] = dt;
    return total;
}
