/*
 * Acquisitions: beta schedules at the first rounds, the information gain against a dense
 * determinant, log EI against long double and the far-tail asymptotic series, and the
 * random-Fourier-feature approximation of both kernels and of the posterior.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bo/acq.h"
#include "bo/gp.h"
#include "util/rng.h"

static void beta_schedules_defined_at_start(void **state)
{
    (void)state;
    duet_gp *gp = duet_gp_new(2, DUET_GP_MATERN52, NULL);
    duet_beta_params p = {DUET_BETA_CONSTANT, 1.0, 0.1, 2, 1.0};
    double beta;
    assert_int_equal(duet_acq_beta(&p, 0, gp, &beta, NULL), DUET_OK);
    assert_true(beta == 1.0);

    p.schedule = DUET_BETA_GP_UCB;
    double b0, b1, b2;
    assert_int_equal(duet_acq_beta(&p, 0, gp, &b0, NULL), DUET_OK);
    assert_int_equal(duet_acq_beta(&p, 1, gp, &b1, NULL), DUET_OK);
    assert_int_equal(duet_acq_beta(&p, 2, gp, &b2, NULL), DUET_OK);
    assert_true(isfinite(b0) && b0 > 0.0);
    assert_true(b0 == b1);
    assert_true(b2 > b1);
    /* beta_2 - beta_1 = 2 (d/2 + 2) log 2 for d = 2; beta_1 = 2 log(pi^2 / 0.3). */
    assert_close(b2 - b1, 6.0 * log(2.0), 1e-12, 0);
    assert_close(b1, 2.0 * log(9.8696044010893586 / 0.3), 1e-12, 0);

    /* IGP-UCB with zero and with one observation. */
    p.schedule = DUET_BETA_IGP_UCB;
    assert_int_equal(duet_acq_beta(&p, 1, gp, &b0, NULL), DUET_OK);
    double r = sqrt(duet_gp_noise_variance(gp));
    double root = 1.0 + r * sqrt(2.0 * (1.0 + log(10.0)));
    assert_close(b0, root * root, 1e-12, 0);
    double x[2] = {0.4, 0.6};
    assert_int_equal(duet_gp_add(gp, x, 2.0, NULL), DUET_OK);
    assert_int_equal(duet_acq_beta(&p, 1, gp, &b1, NULL), DUET_OK);
    assert_true(isfinite(b1) && b1 > b0);

    duet_error err;
    p.delta = 1.5;
    assert_int_equal(duet_acq_beta(&p, 1, gp, &beta, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "1.5"));
    duet_gp_free(gp);
}

/* 0.5 log det(I + K_f / lambda) by a plain Cholesky of I + K_f / lambda. */
static void info_gain_matches_dense_determinant(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 3);
    size_t d = 2, n = 15;
    double x[30], lh[4] = {log(0.3), log(0.5), log(1.7), log(0.05)};
    duet_gp *gp = duet_gp_new(d, DUET_GP_SE, NULL);
    for (size_t i = 0; i < n; i++) {
        x[i * d] = duet_rng_uniform(&rng);
        x[i * d + 1] = duet_rng_uniform(&rng);
        assert_int_equal(duet_gp_add(gp, x + i * d, duet_rng_normal(&rng), NULL), DUET_OK);
    }
    assert_int_equal(duet_gp_set_hyper(gp, lh, NULL), DUET_OK);
    double M[225], logdet = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double a = (x[i * d] - x[j * d]) / 0.3, b = (x[i * d + 1] - x[j * d + 1]) / 0.5;
            M[i * n + j] = 1.7 * exp(-0.5 * (a * a + b * b)) / 0.05 + (i == j);
        }
    for (size_t j = 0; j < n; j++) {
        for (size_t k = 0; k < j; k++)
            M[j * n + j] -= M[j * n + k] * M[j * n + k];
        M[j * n + j] = sqrt(M[j * n + j]);
        logdet += 2.0 * log(M[j * n + j]);
        for (size_t i = j + 1; i < n; i++) {
            for (size_t k = 0; k < j; k++)
                M[i * n + j] -= M[i * n + k] * M[j * n + k];
            M[i * n + j] /= M[j * n + j];
        }
    }
    assert_close(duet_gp_info_gain(gp), 0.5 * logdet, 1e-10, 1e-12);
    duet_gp_free(gp);
}

/* h(z) = z Phi(z) + phi(z) directly in long double (64-bit significand). */
static long double h_long(long double z)
{
    long double cdf = 0.5L * erfcl(-z / sqrtl(2.0L));
    long double pdf = expl(-0.5L * z * z) / sqrtl(2.0L * 3.14159265358979323846264338327950L);
    return z * cdf + pdf;
}

static void log_h_matches_long_double(void **state)
{
    (void)state;
    for (double z = -30.0; z <= 10.0; z += 0.0625) {
        double dlogh, value = duet_acq_log_h(z, &dlogh);
        assert_close(value, (double)logl(h_long(z)), 0, 1e-12 * fmax(1.0, fabs(value)));
        /* d log h / dz = Phi(z) / h(z). */
        long double cdf = 0.5L * erfcl(-(long double)z / sqrtl(2.0L));
        assert_close(dlogh, (double)(cdf / h_long(z)), 1e-10, 0);
    }
}

static void log_h_far_tail_is_asymptotic(void **state)
{
    (void)state;
    /* h(-u) = phi(u) / u^2 (1 - 3/u^2 + 15/u^4 - 105/u^6 + ...) for large u. */
    const double us[6] = {100.0, 1e3, 1e5, 1e8, 1e12, 1e100};
    for (int i = 0; i < 6; i++) {
        double u = us[i], s = 1.0 / (u * u);
        double series = -0.5 * u * u - 0.5 * log(2.0 * 3.14159265358979323846) - 2.0 * log(u) +
                        log1p(-3.0 * s + 15.0 * s * s - 105.0 * s * s * s);
        double value = duet_acq_log_h(-u, NULL);
        assert_true(isfinite(value));
        assert_close(value, series, 1e-14, 1e-12);
    }
    assert_true(isfinite(duet_acq_log_h(-1e200, NULL)));
    assert_true(isfinite(duet_acq_log_h(-DBL_MAX, NULL)));
    double previous = -INFINITY;
    for (double z = -1e10; z < 20.0; z = z < -1.0 ? z / 1.7 : z + 0.37) {
        double value = duet_acq_log_h(z, NULL);
        assert_true(value > previous);
        previous = value;
    }
}

static void log_ei_matches_direct_formula(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 5);
    for (int rep = 0; rep < 200; rep++) {
        double mean = duet_rng_normal(&rng), sd = 0.05 + duet_rng_uniform(&rng), best = 0.3;
        double z = (mean - best) / sd;
        double direct = sd * (z * 0.5 * erfc(-z / sqrt(2.0)) +
                              exp(-0.5 * z * z) / sqrt(2.0 * 3.14159265358979323846));
        if (direct < 1e-6)
            continue;
        double dm, ds, value = duet_acq_log_ei(mean, sd, best, &dm, &ds);
        assert_close(value, log(direct), 1e-12, 1e-12);
        double h = 1e-6;
        double fm = (duet_acq_log_ei(mean + h, sd, best, NULL, NULL) -
                     duet_acq_log_ei(mean - h, sd, best, NULL, NULL)) /
                    (2 * h);
        double fs = (duet_acq_log_ei(mean, sd + h, best, NULL, NULL) -
                     duet_acq_log_ei(mean, sd - h, best, NULL, NULL)) /
                    (2 * h);
        assert_close(dm, fm, 1e-6, 1e-8);
        assert_close(ds, fs, 1e-6, 1e-8);
    }
    assert_true(duet_acq_log_ei(0.2, 0.0, 0.3, NULL, NULL) == -INFINITY);
    assert_close(duet_acq_log_ei(0.5, 0.0, 0.3, NULL, NULL), log(0.2), 1e-12, 0);
}

/* The exact kernels, written out independently of gp.c. */
static double exact_kernel(duet_gp_kernel kernel, const double *a, const double *b,
                           const double *lengthscale, double sf2, size_t d)
{
    double r2 = 0.0;
    for (size_t k = 0; k < d; k++)
        r2 += (a[k] - b[k]) * (a[k] - b[k]) / (lengthscale[k] * lengthscale[k]);
    if (kernel == DUET_GP_SE)
        return sf2 * exp(-0.5 * r2);
    double r = sqrt(5.0 * r2);
    return sf2 * (1.0 + r + r * r / 3.0) * exp(-r);
}

/* Root mean square error of phi(x) . phi(x') against the kernel over 40 pairs. */
static double rff_kernel_error(duet_gp_kernel kernel, size_t features, uint64_t seed)
{
    size_t d = 3;
    double lengthscale[3] = {0.3, 0.6, 1.1}, sf2 = 1.4;
    double lh[5] = {log(0.3), log(0.6), log(1.1), log(sf2), log(1e-2)};
    duet_rff *rff = duet_rff_new(d, features, NULL);
    assert_non_null(rff);
    duet_rng rng;
    duet_rng_init(&rng, seed);
    duet_rff_draw(rff, kernel, lh, &rng);
    double *pa = malloc(features * sizeof *pa), *pb = malloc(features * sizeof *pb);
    double ss = 0.0;
    for (int pair = 0; pair < 40; pair++) {
        double a[3], b[3];
        for (size_t k = 0; k < d; k++) {
            a[k] = duet_rng_uniform(&rng);
            b[k] = a[k] + 0.5 * duet_rng_normal(&rng) * lengthscale[k];
        }
        duet_rff_features(rff, a, pa);
        duet_rff_features(rff, b, pb);
        double dot = 0.0;
        for (size_t j = 0; j < features; j++)
            dot += pa[j] * pb[j];
        double e = dot - exact_kernel(kernel, a, b, lengthscale, sf2, d);
        ss += e * e;
    }
    free(pa);
    free(pb);
    duet_rff_free(rff);
    return sqrt(ss / 40.0);
}

static void rff_converges_to_kernel(void **state)
{
    (void)state;
    for (int kernel = 0; kernel < 2; kernel++) {
        double coarse = rff_kernel_error((duet_gp_kernel)kernel, 64, 7);
        double fine = rff_kernel_error((duet_gp_kernel)kernel, 65536, 7);
        /* Monte Carlo error shrinks as 1 / sqrt(D): a factor 32 from 64 to 65536 features. */
        assert_true(fine < 0.25 * coarse);
        assert_true(fine < 0.015);
    }
}

static void thompson_samples_match_posterior(void **state)
{
    (void)state;
    size_t d = 1, n = 6, samples = 400;
    double lh[3] = {log(0.25), log(1.0), log(1e-2)};
    duet_gp *gp = duet_gp_new(d, DUET_GP_MATERN52, NULL);
    for (size_t i = 0; i < n; i++) {
        double x = (double)i / (double)(n - 1);
        assert_int_equal(duet_gp_add(gp, &x, 5.0 + sin(6.0 * x), NULL), DUET_OK);
    }
    assert_int_equal(duet_gp_set_hyper(gp, lh, NULL), DUET_OK);
    duet_rff *rff = duet_rff_new(d, 512, NULL);
    duet_rng rng;
    duet_rng_init(&rng, 9);
    const double probes[3] = {0.1, 0.5, 1.3};
    double sum[3] = {0}, sum2[3] = {0};
    for (size_t s = 0; s < samples; s++) {
        assert_int_equal(duet_rff_sample(rff, gp, &rng, NULL), DUET_OK);
        for (int p = 0; p < 3; p++) {
            double f = duet_rff_eval(rff, &probes[p], NULL);
            sum[p] += f;
            sum2[p] += f * f;
        }
        if (s == 0) {
            double x = 0.37, grad, h = 1e-6;
            duet_rff_eval(rff, &x, &grad);
            double up = x + h, down = x - h;
            double fd = (duet_rff_eval(rff, &up, NULL) - duet_rff_eval(rff, &down, NULL)) / (2 * h);
            assert_close(grad, fd, 1e-6, 1e-8);
        }
    }
    for (int p = 0; p < 3; p++) {
        double mean, var;
        assert_int_equal(duet_gp_predict(gp, &probes[p], &mean, &var, NULL, NULL, NULL), DUET_OK);
        double m = sum[p] / (double)samples, v = sum2[p] / (double)samples - m * m;
        /* Four standard errors of the sample mean, and 35% on the variance. */
        assert_true(fabs(m - mean) < 4.0 * sqrt(var / (double)samples) + 0.02);
        assert_true(fabs(v - var) < 0.35 * var + 1e-4);
    }
    duet_rff_free(rff);
    duet_gp_free(gp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(beta_schedules_defined_at_start),
        cmocka_unit_test(info_gain_matches_dense_determinant),
        cmocka_unit_test(log_h_matches_long_double),
        cmocka_unit_test(log_h_far_tail_is_asymptotic),
        cmocka_unit_test(log_ei_matches_direct_formula),
        cmocka_unit_test(rff_converges_to_kernel),
        cmocka_unit_test(thompson_samples_match_posterior),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
