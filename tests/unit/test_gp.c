/*
 * GP regression against an independent dense computation in this file, central finite
 * differences, scikit-learn (run under /usr/bin/python3), and ill-conditioned inputs.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bo/gp.h"
#include "util/rng.h"

#define LOG_TWO_PI 1.8378770664093454836

/* ------------------------------------------------------------------ dense reference */

static double ref_kernel(duet_gp_kernel kernel, size_t d, const double *lh, const double *a,
                         const double *b)
{
    double r2 = 0.0;
    for (size_t k = 0; k < d; k++) {
        double t = (a[k] - b[k]) / exp(lh[k]);
        r2 += t * t;
    }
    double sf2 = exp(lh[d]);
    if (kernel == DUET_GP_SE)
        return sf2 * exp(-0.5 * r2);
    double r = sqrt(r2);
    return sf2 * (1.0 + sqrt(5.0) * r + 5.0 * r2 / 3.0) * exp(-sqrt(5.0) * r);
}

typedef struct ref_result {
    double lml;
    double mean[64], var[64];
} ref_result;

/*
 * Posterior by the textbook formulas: population-sd standardization, K with the noise on the
 * diagonal, a Cholesky factor computed with plain loops, and forward/back substitution.
 */
static void ref_posterior(duet_gp_kernel kernel, size_t d, size_t n, const double *x,
                          const double *y, const double *lh, size_t m, const double *xs,
                          ref_result *out)
{
    double mean = 0.0, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += y[i] / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (y[i] - mean) * (y[i] - mean);
    double sd = sqrt(ss / (double)n);
    if (sd < 1e-12)
        sd = 1.0;
    double *L = calloc(n * n, sizeof *L), *z = calloc(n, sizeof *z), *a = calloc(n, sizeof *a);
    double *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = ref_kernel(kernel, d, lh, x + i * d, x + j * d);
            if (i == j)
                s += exp(lh[d + 1]);
            for (size_t k = 0; k < j; k++)
                s -= L[i * n + k] * L[j * n + k];
            L[i * n + j] = i == j ? sqrt(s) : s / L[j * n + j];
        }
    for (size_t i = 0; i < n; i++) {
        double s = (y[i] - mean) / sd;
        for (size_t k = 0; k < i; k++)
            s -= L[i * n + k] * z[k];
        z[i] = s / L[i * n + i];
    }
    for (size_t i = n; i-- > 0;) {
        double s = z[i];
        for (size_t k = i + 1; k < n; k++)
            s -= L[k * n + i] * a[k];
        a[i] = s / L[i * n + i];
    }
    out->lml = -0.5 * (double)n * LOG_TWO_PI;
    for (size_t i = 0; i < n; i++)
        out->lml += -0.5 * z[i] * z[i] - log(L[i * n + i]);
    for (size_t c = 0; c < m; c++) {
        double mu = 0.0, vv = 0.0;
        for (size_t i = 0; i < n; i++) {
            double k = ref_kernel(kernel, d, lh, xs + c * d, x + i * d);
            mu += k * a[i];
            double s = k;
            for (size_t j = 0; j < i; j++)
                s -= L[i * n + j] * v[j];
            v[i] = s / L[i * n + i];
            vv += v[i] * v[i];
        }
        out->mean[c] = mean + sd * mu;
        out->var[c] = sd * sd * (exp(lh[d]) - vv);
    }
    free(L);
    free(z);
    free(a);
    free(v);
}

/* ------------------------------------------------------------------ fixtures */

/* Random problem: n inputs in [0,1]^d, smooth outputs with noise, random log hyperparameters. */
static void random_problem(duet_rng *rng, size_t d, size_t n, double *x, double *y, double *lh)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t k = 0; k < d; k++) {
            x[i * d + k] = duet_rng_uniform(rng);
            s += sin(3.0 * x[i * d + k] + (double)k);
        }
        y[i] = 10.0 + 4.0 * s + 0.3 * duet_rng_normal(rng);
    }
    for (size_t k = 0; k < d; k++)
        lh[k] = log(0.2 + 0.8 * duet_rng_uniform(rng));
    lh[d] = log(0.5 + duet_rng_uniform(rng));
    lh[d + 1] = log(1e-3 + 0.1 * duet_rng_uniform(rng));
}

static duet_gp *make_gp(duet_gp_kernel kernel, size_t d, size_t n, const double *x, const double *y,
                        const double *lh)
{
    duet_error err;
    duet_gp *gp = duet_gp_new(d, kernel, &err);
    assert_non_null(gp);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(duet_gp_add(gp, x + i * d, y[i], &err), DUET_OK);
    assert_int_equal(duet_gp_set_hyper(gp, lh, &err), DUET_OK);
    return gp;
}

/* ------------------------------------------------------------------ tests */

static void posterior_matches_dense_reference(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 11);
    const size_t dims[3] = {1, 3, 6}, counts[3] = {1, 5, 30};
    for (int kernel = 0; kernel < 2; kernel++)
        for (size_t a = 0; a < 3; a++)
            for (size_t b = 0; b < 3; b++) {
                size_t d = dims[a], n = counts[b], m = 10;
                double x[30 * 6], y[30], lh[8], xs[10 * 6];
                random_problem(&rng, d, n, x, y, lh);
                for (size_t i = 0; i < m * d; i++)
                    xs[i] = 1.2 * duet_rng_uniform(&rng) - 0.1;
                ref_result ref;
                ref_posterior((duet_gp_kernel)kernel, d, n, x, y, lh, m, xs, &ref);
                duet_gp *gp = make_gp((duet_gp_kernel)kernel, d, n, x, y, lh);
                assert_true(duet_gp_jitter(gp) == 0.0);
                assert_close(duet_gp_log_marginal(gp), ref.lml, 1e-10, 1e-10);
                for (size_t c = 0; c < m; c++) {
                    double mean, var;
                    assert_int_equal(duet_gp_predict(gp, xs + c * d, &mean, &var, NULL, NULL, NULL),
                                     DUET_OK);
                    assert_close(mean, ref.mean[c], 1e-10, 1e-10);
                    assert_close(var, ref.var[c], 1e-8, 1e-10);
                }
                duet_gp_free(gp);
            }
}

static void input_gradients_match_finite_differences(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 12);
    for (int kernel = 0; kernel < 2; kernel++) {
        size_t d = 4, n = 20;
        double x[80], y[20], lh[6];
        random_problem(&rng, d, n, x, y, lh);
        duet_gp *gp = make_gp((duet_gp_kernel)kernel, d, n, x, y, lh);
        for (int rep = 0; rep < 10; rep++) {
            double p[4], dm[4], dv[4], mean, var;
            for (size_t k = 0; k < d; k++)
                p[k] = duet_rng_uniform(&rng);
            assert_int_equal(duet_gp_predict(gp, p, &mean, &var, dm, dv, NULL), DUET_OK);
            for (size_t k = 0; k < d; k++) {
                double h = 1e-6, mp, vp, mm, vm, save = p[k];
                p[k] = save + h;
                duet_gp_predict(gp, p, &mp, &vp, NULL, NULL, NULL);
                p[k] = save - h;
                duet_gp_predict(gp, p, &mm, &vm, NULL, NULL, NULL);
                p[k] = save;
                assert_close(dm[k], (mp - mm) / (2 * h), 1e-5, 1e-6);
                assert_close(dv[k], (vp - vm) / (2 * h), 1e-5, 1e-6);
            }
        }
        duet_gp_free(gp);
    }
}

static void lml_gradient_matches_finite_differences(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 13);
    /* 33 and 90 points take the blocked path of the covariance inverse; 25 points do not. */
    const size_t sizes[3] = {25, 33, 90};
    for (int kernel = 0; kernel < 2; kernel++)
        for (int rep = 0; rep < 3; rep++) {
            size_t d = 3, n = sizes[rep];
            double x[270], y[90], lh[5], grad[5], lml;
            random_problem(&rng, d, n, x, y, lh);
            duet_gp *gp = make_gp((duet_gp_kernel)kernel, d, n, x, y, lh);
            assert_int_equal(duet_gp_log_marginal_grad(gp, &lml, grad, NULL), DUET_OK);
            assert_close(lml, duet_gp_log_marginal(gp), 0, 0);
            for (size_t j = 0; j < d + 2; j++) {
                double h = 1e-5, q[5], up, down;
                memcpy(q, lh, sizeof q);
                q[j] = lh[j] + h;
                assert_int_equal(duet_gp_set_hyper(gp, q, NULL), DUET_OK);
                up = duet_gp_log_marginal(gp);
                q[j] = lh[j] - h;
                assert_int_equal(duet_gp_set_hyper(gp, q, NULL), DUET_OK);
                down = duet_gp_log_marginal(gp);
                assert_close(grad[j], (up - down) / (2 * h), 1e-5, 1e-6);
            }
            duet_gp_free(gp);
        }
}

static void botorch_prior_matches_gamma_densities(void **state)
{
    (void)state;
    duet_gp *gp = duet_gp_new(2, DUET_GP_MATERN52, NULL);
    double lh[4] = {log(0.4), log(0.7), log(1.3), log(0.02)}, grad[4];
    double value = duet_gp_log_prior(gp, DUET_GP_PRIOR_BOTORCH, lh, grad);
    /* Gamma(a, b) log density at p: a log b - lgamma(a) + (a - 1) log p - b p. */
    const double shape[4] = {3.0, 3.0, 2.0, 1.1}, rate[4] = {6.0, 6.0, 0.15, 0.05};
    double expected = 0.0;
    for (int j = 0; j < 4; j++) {
        double p = exp(lh[j]);
        expected +=
            shape[j] * log(rate[j]) - lgamma(shape[j]) + (shape[j] - 1) * log(p) - rate[j] * p;
    }
    assert_close(value, expected, 1e-12, 1e-12);
    for (int j = 0; j < 4; j++) {
        double q[4], h = 1e-6;
        memcpy(q, lh, sizeof q);
        q[j] += h;
        double up = duet_gp_log_prior(gp, DUET_GP_PRIOR_BOTORCH, q, NULL);
        q[j] -= 2 * h;
        double down = duet_gp_log_prior(gp, DUET_GP_PRIOR_BOTORCH, q, NULL);
        assert_close(grad[j], (up - down) / (2 * h), 1e-6, 1e-8);
    }
    assert_true(duet_gp_log_prior(gp, DUET_GP_PRIOR_NONE, lh, grad) == 0.0);
    double lower[4], upper[4];
    duet_gp_hyper_bounds(gp, DUET_GP_PRIOR_BOTORCH, lower, upper);
    assert_close(exp(lower[3]), 1e-4, 1e-12, 0);
    duet_gp_free(gp);
}

static void append_equals_refactorization(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 14);
    for (int kernel = 0; kernel < 2; kernel++) {
        size_t d = 5, n = 40, m = 50;
        double x[200], y[40], lh[7], cand[250];
        random_problem(&rng, d, n, x, y, lh);
        for (size_t i = 0; i < m * d; i++)
            cand[i] = duet_rng_uniform(&rng);
        /* Incremental: hyperparameters first, then one O(n^2) append per point. */
        duet_gp *inc = duet_gp_new(d, (duet_gp_kernel)kernel, NULL);
        assert_int_equal(duet_gp_set_hyper(inc, lh, NULL), DUET_OK);
        assert_int_equal(duet_gp_cache_set(inc, m, cand, d, NULL), DUET_OK);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(duet_gp_add(inc, x + i * d, y[i], NULL), DUET_OK);
            if (i == 3) {
                double mean[50], var[50];
                assert_int_equal(duet_gp_cache_predict(inc, mean, var, NULL), DUET_OK);
            }
        }
        duet_gp *full = make_gp((duet_gp_kernel)kernel, d, n, x, y, lh);
        size_t ldi, ldf;
        const double *li = duet_gp_factor(inc, &ldi), *lf = duet_gp_factor(full, &ldf);
        assert_non_null(li);
        assert_non_null(lf);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j <= i; j++)
                assert_close(li[i * ldi + j], lf[i * ldf + j], 1e-11, 1e-13);
        assert_close(duet_gp_log_marginal(inc), duet_gp_log_marginal(full), 1e-11, 1e-11);
        double gi[7], gf[7], li_lml, lf_lml;
        assert_int_equal(duet_gp_log_marginal_grad(inc, &li_lml, gi, NULL), DUET_OK);
        assert_int_equal(duet_gp_log_marginal_grad(full, &lf_lml, gf, NULL), DUET_OK);
        for (size_t j = 0; j < d + 2; j++)
            assert_close(gi[j], gf[j], 1e-9, 1e-10);

        /* The cache, extended row by row since i = 3, equals pointwise predictions. */
        double mean[50], var[50];
        assert_int_equal(duet_gp_cache_predict(inc, mean, var, NULL), DUET_OK);
        for (size_t c = 0; c < m; c++) {
            double pm, pv;
            duet_gp_predict(full, cand + c * d, &pm, &pv, NULL, NULL, NULL);
            assert_close(mean[c], pm, 1e-10, 1e-10);
            assert_close(var[c], pv, 1e-8, 1e-10);
        }
        duet_gp_free(inc);
        duet_gp_free(full);
    }
}

/* Runs the scikit-learn peer; returns 0 and skips when it cannot run. */
static int run_sklearn(const char *input, double *lml, double *mean, double *sd, size_t m)
{
    const char *py = "/usr/bin/python3";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s/tests/peer/gp_sklearn.py %s", py, DUET_SOURCE_DIR, input);
    if (access(py, X_OK) != 0)
        return 0;
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int ok = fscanf(p, "lml %lf", lml) == 1;
    for (size_t c = 0; ok && c < m; c++)
        ok = fscanf(p, "%lf %lf", &mean[c], &sd[c]) == 2;
    int status = pclose(p);
    if (status != 0 && !ok)
        return 0;
    assert_true(ok);
    return 1;
}

static void matches_scikit_learn(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 15);
    const char *dir = duet_test_tmpdir("gp-sklearn");
    char path[600];
    snprintf(path, sizeof path, "%s/problem.txt", dir);
    for (int kernel = 0; kernel < 2; kernel++) {
        size_t d = 4, n = 30, m = 20;
        double x[120], y[30], lh[6], xs[80];
        random_problem(&rng, d, n, x, y, lh);
        for (size_t i = 0; i < m * d; i++)
            xs[i] = duet_rng_uniform(&rng);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "%s %zu %zu %zu\n", kernel == 0 ? "matern52" : "se", d, n, m);
        for (size_t j = 0; j < d + 2; j++)
            fprintf(f, "%.17g ", lh[j]);
        fprintf(f, "\n");
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < d; k++)
                fprintf(f, "%.17g ", x[i * d + k]);
            fprintf(f, "%.17g\n", y[i]);
        }
        for (size_t c = 0; c < m; c++) {
            for (size_t k = 0; k < d; k++)
                fprintf(f, "%.17g ", xs[c * d + k]);
            fprintf(f, "\n");
        }
        fclose(f);
        double lml, mean[20], sd[20];
        if (!run_sklearn(path, &lml, mean, sd, m)) {
            unlink(path);
            rmdir(dir);
            print_message("skipped: /usr/bin/python3 with scikit-learn is not installed\n");
            skip();
        }
        duet_gp *gp = make_gp((duet_gp_kernel)kernel, d, n, x, y, lh);
        assert_close(duet_gp_log_marginal(gp), lml, 1e-8, 1e-8);
        for (size_t c = 0; c < m; c++) {
            double pm, pv;
            duet_gp_predict(gp, xs + c * d, &pm, &pv, NULL, NULL, NULL);
            assert_close(pm, mean[c], 1e-8, 1e-8);
            assert_close(sqrt(pv), sd[c], 1e-8, 1e-8);
        }
        duet_gp_free(gp);
    }
    unlink(path);
    rmdir(dir);
}

static void assert_finite_predictions(duet_gp *gp, duet_rng *rng, size_t d)
{
    for (int rep = 0; rep < 20; rep++) {
        double p[8], mean, var, dm[8], dv[8];
        for (size_t k = 0; k < d; k++)
            p[k] = duet_rng_uniform(rng);
        assert_int_equal(duet_gp_predict(gp, p, &mean, &var, dm, dv, NULL), DUET_OK);
        assert_true(isfinite(mean));
        assert_true(isfinite(var) && var >= 0.0);
        for (size_t k = 0; k < d; k++)
            assert_true(isfinite(dm[k]) && isfinite(dv[k]));
    }
}

static void duplicate_inputs_use_jitter(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 16);
    size_t d = 3, n = 30;
    double x[90], y[30], lh[5];
    random_problem(&rng, d, n, x, y, lh);
    for (size_t i = 10; i < 20; i++)
        memcpy(x + i * d, x, d * sizeof *x); /* ten exact copies of the first input */
    for (size_t i = 20; i < 30; i++)
        for (size_t k = 0; k < d; k++)
            x[i * d + k] = x[d + k] + 1e-13 * (double)i; /* near-copies of the second */
    lh[d + 1] = -60.0;                                   /* noise variance ~1e-26 */
    duet_gp *gp = make_gp(DUET_GP_MATERN52, d, n, x, y, lh);
    assert_true(duet_gp_jitter(gp) > 0.0);
    assert_true(duet_gp_jitter(gp) <= 1e-4 * (exp(lh[d]) + exp(lh[d + 1])));
    assert_true(isfinite(duet_gp_log_marginal(gp)));
    assert_finite_predictions(gp, &rng, d);

    duet_gp_fit_options opt = {DUET_GP_PRIOR_NONE, 3, 50};
    duet_error err;
    duet_status st = duet_gp_fit(gp, &opt, &rng, NULL, &err);
    assert_true(st == DUET_OK || st == DUET_ENUMERIC);
    if (st == DUET_OK) {
        assert_true(isfinite(duet_gp_log_marginal(gp)));
        assert_finite_predictions(gp, &rng, d);
    }
    duet_gp_free(gp);
}

static void constant_outputs_are_finite(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 17);
    size_t d = 2, n = 12;
    double x[24], y[12], lh[4];
    random_problem(&rng, d, n, x, y, lh);
    for (size_t i = 0; i < n; i++)
        y[i] = 3.25;
    duet_gp *gp = make_gp(DUET_GP_SE, d, n, x, y, lh);
    assert_true(duet_gp_output_scale(gp) == 1.0);
    assert_close(duet_gp_output_mean(gp), 3.25, 1e-15, 0);
    double p[2] = {0.3, 0.6}, mean, var;
    assert_int_equal(duet_gp_predict(gp, p, &mean, &var, NULL, NULL, NULL), DUET_OK);
    assert_close(mean, 3.25, 1e-12, 1e-12);
    duet_gp_fit_options opt = {DUET_GP_PRIOR_BOTORCH, 3, 100};
    assert_int_equal(duet_gp_fit(gp, &opt, &rng, NULL, NULL), DUET_OK);
    assert_true(isfinite(duet_gp_log_marginal(gp)));
    assert_finite_predictions(gp, &rng, d);
    duet_gp_free(gp);
}

static void thousand_points_stay_finite(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 18);
    size_t d = 3, n = 1000;
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * sizeof *y), lh[5];
    random_problem(&rng, d, n, x, y, lh);
    duet_gp *gp = make_gp(DUET_GP_MATERN52, d, n, x, y, lh);
    assert_true(isfinite(duet_gp_log_marginal(gp)));
    assert_finite_predictions(gp, &rng, d);
    double grad[5], lml;
    assert_int_equal(duet_gp_log_marginal_grad(gp, &lml, grad, NULL), DUET_OK);
    for (size_t j = 0; j < d + 2; j++)
        assert_true(isfinite(grad[j]));
    duet_gp_fit_options opt = {DUET_GP_PRIOR_BOTORCH, 1, 5};
    duet_gp_fit_info info;
    assert_int_equal(duet_gp_fit(gp, &opt, &rng, &info, NULL), DUET_OK);
    assert_true(isfinite(info.objective));
    assert_finite_predictions(gp, &rng, d);
    duet_gp_free(gp);
    free(x);
    free(y);
}

static void rejects_invalid_values(void **state)
{
    (void)state;
    duet_error err;
    assert_null(duet_gp_new(0, DUET_GP_SE, &err));
    assert_int_equal(err.status, DUET_EINVAL);
    duet_gp *gp = duet_gp_new(2, DUET_GP_SE, &err);
    double x[2] = {0.1, NAN}, good[2] = {0.1, 0.2};
    assert_int_equal(duet_gp_add(gp, x, 1.0, &err), DUET_EINVAL);
    assert_int_equal(duet_gp_add(gp, good, INFINITY, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "inf"));
    assert_int_equal(duet_gp_count(gp), 0);
    double lh[4] = {0, 0, 0, NAN};
    assert_int_equal(duet_gp_set_hyper(gp, lh, &err), DUET_EINVAL);
    duet_gp_fit_options opt = {DUET_GP_PRIOR_NONE, 1, 10};
    duet_rng rng;
    duet_rng_init(&rng, 1);
    assert_int_equal(duet_gp_fit(gp, &opt, &rng, NULL, &err), DUET_EINVAL);
    duet_gp_free(gp);
    duet_gp_free(NULL);
}

/* Objective (log marginal likelihood plus log prior) and its gradient at the current values. */
static double objective_at(duet_gp *gp, duet_gp_prior prior, double *grad)
{
    size_t p = duet_gp_hyper_count(gp);
    double lh[8], pg[8], lml;
    duet_gp_get_hyper(gp, lh);
    assert_int_equal(duet_gp_log_marginal_grad(gp, &lml, grad, NULL), DUET_OK);
    double lp = duet_gp_log_prior(gp, prior, lh, pg);
    for (size_t j = 0; j < p; j++)
        grad[j] += pg[j];
    return lml + lp;
}

static void fit_reaches_stationary_point(void **state)
{
    (void)state;
    for (int prior = 0; prior < 2; prior++) {
        duet_rng rng;
        duet_rng_init(&rng, 19);
        size_t d = 3, n = 40;
        double x[120], y[40], lh[5], grad[5];
        random_problem(&rng, d, n, x, y, lh);
        duet_gp *gp = make_gp(DUET_GP_MATERN52, d, n, x, y, lh);
        double before = objective_at(gp, (duet_gp_prior)prior, grad);
        duet_gp_fit_options opt = {(duet_gp_prior)prior, 4, 200};
        duet_gp_fit_info info;
        duet_rng fit_rng;
        duet_rng_init(&fit_rng, 5);
        assert_int_equal(duet_gp_fit(gp, &opt, &fit_rng, &info, NULL), DUET_OK);
        double after = objective_at(gp, (duet_gp_prior)prior, grad);
        assert_true(after >= before);
        assert_close(info.objective, after, 1e-12, 1e-12);
        double fitted[5], lower[5], upper[5];
        duet_gp_get_hyper(gp, fitted);
        duet_gp_hyper_bounds(gp, (duet_gp_prior)prior, lower, upper);
        for (size_t j = 0; j < d + 2; j++)
            if (fitted[j] > lower[j] + 0.5 && fitted[j] < upper[j] - 0.5)
                assert_true(fabs(grad[j]) < 1e-3);

        /* The same stream gives the same fit. */
        duet_gp *again = make_gp(DUET_GP_MATERN52, d, n, x, y, lh);
        duet_rng_init(&fit_rng, 5);
        assert_int_equal(duet_gp_fit(again, &opt, &fit_rng, NULL, NULL), DUET_OK);
        double twice[5];
        duet_gp_get_hyper(again, twice);
        for (size_t j = 0; j < d + 2; j++)
            assert_true(twice[j] == fitted[j]);
        duet_gp_free(gp);
        duet_gp_free(again);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(posterior_matches_dense_reference),
        cmocka_unit_test(input_gradients_match_finite_differences),
        cmocka_unit_test(lml_gradient_matches_finite_differences),
        cmocka_unit_test(botorch_prior_matches_gamma_densities),
        cmocka_unit_test(append_equals_refactorization),
        cmocka_unit_test(matches_scikit_learn),
        cmocka_unit_test(duplicate_inputs_use_jitter),
        cmocka_unit_test(constant_outputs_are_finite),
        cmocka_unit_test(thousand_points_stay_finite),
        cmocka_unit_test(rejects_invalid_values),
        cmocka_unit_test(fit_reaches_stationary_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
