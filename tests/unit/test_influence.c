/*
 * Influence estimators on multinomial logistic regression, each against an independent
 * computation: the model's derivatives against finite differences, the solves against a
 * Hessian written out from its closed form and solved by Gaussian elimination, DataInf
 * against its formula as dense matrices, and the scores against leave-one-out retraining.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "influence/influence.h"
#include "influence_check.h"
#include "influence_fixture.h"

/* ---------------------------------------------------------------- independent helpers */

/* Solves a x = b (a is n x n, destroyed) by Gaussian elimination with partial pivoting. */
static void gauss_solve(double *a, double *b, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        size_t piv = k;
        for (size_t i = k + 1; i < n; i++)
            if (fabs(a[i * n + k]) > fabs(a[piv * n + k]))
                piv = i;
        for (size_t j = 0; j < n; j++) {
            double t = a[k * n + j];
            a[k * n + j] = a[piv * n + j];
            a[piv * n + j] = t;
        }
        double t = b[k];
        b[k] = b[piv];
        b[piv] = t;
        for (size_t i = k + 1; i < n; i++) {
            double f = a[i * n + k] / a[k * n + k];
            for (size_t j = k; j < n; j++)
                a[i * n + j] -= f * a[k * n + j];
            b[i] -= f * b[k];
        }
    }
    for (size_t k = n; k-- > 0;) {
        for (size_t j = k + 1; j < n; j++)
            b[k] -= a[k * n + j] * b[j];
        b[k] /= a[k * n + k];
    }
}

/* Class probabilities of example i, written out from the softmax definition. */
static void probabilities(const fixture *f, const double *theta, size_t i, double *prob)
{
    double sum = 0;
    for (size_t c = 0; c < f->classes; c++) {
        const double *w = theta + c * (f->d + 1);
        double s = w[f->d];
        for (size_t j = 0; j < f->d; j++)
            s += w[j] * f->x[i * f->d + j];
        prob[c] = exp(s);
        sum += prob[c];
    }
    for (size_t c = 0; c < f->classes; c++)
        prob[c] /= sum;
}

/* Dense Hessian of J over the training split plus lambda I, from the closed form. */
static double *dense_hessian(const fixture *f, double lambda)
{
    size_t p = f->model.n_params, w = f->d + 1;
    double *h = calloc(p * p, sizeof *h), prob[8], xt[65];
    for (size_t i = 0; i < f->n_train; i++) {
        probabilities(f, f->theta, i, prob);
        memcpy(xt, f->x + i * f->d, f->d * sizeof *xt);
        xt[f->d] = 1.0;
        for (size_t a = 0; a < f->classes; a++)
            for (size_t b = 0; b < f->classes; b++) {
                double s = (a == b ? prob[a] : 0.0) - prob[a] * prob[b];
                for (size_t j = 0; j < w; j++)
                    for (size_t k = 0; k < w; k++)
                        h[(a * w + j) * p + b * w + k] += s * xt[j] * xt[k] / (double)f->n_train;
            }
    }
    for (size_t j = 0; j < p; j++)
        h[j * p + j] += f->model.l2 + lambda;
    return h;
}

static double held_out_loss(const fixture *f, const double *theta)
{
    double sum = 0, prob[8];
    for (size_t k = 0; k < f->n_heldout; k++) {
        size_t i = f->heldout[k];
        probabilities(f, theta, i, prob);
        sum -= log(prob[f->y[i]]);
    }
    return sum / (double)f->n_heldout;
}

/* Gradient of the held-out mean loss by central differences. */
static void held_out_grad_fd(const fixture *f, double *g)
{
    size_t p = f->model.n_params;
    double *t = malloc(p * sizeof *t), h = 1e-6;
    memcpy(t, f->theta, p * sizeof *t);
    for (size_t j = 0; j < p; j++) {
        t[j] = f->theta[j] + h;
        double up = held_out_loss(f, t);
        t[j] = f->theta[j] - h;
        g[j] = (up - held_out_loss(f, t)) / (2 * h);
        t[j] = f->theta[j];
    }
    free(t);
}

static const duet_influence_problem *problem_of(const fixture *f, duet_influence_problem *pb)
{
    pb->model = &f->model;
    pb->theta = f->theta;
    pb->train = f->train;
    pb->n_train = f->n_train;
    return pb;
}

static void solve_with(const fixture *f, const duet_influence_estimator *est,
                       const duet_influence_settings *st, const double *v, double *s)
{
    duet_influence_problem pb;
    duet_influence_report rep = {0};
    duet_error err = {0};
    duet_status status = est->solve(problem_of(f, &pb), st, v, s, &rep, &err);
    if (status != DUET_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(status, DUET_OK);
}

static void defaults(const duet_influence_estimator *est, duet_influence_settings *st)
{
    duet_error err = {0};
    assert_int_equal(duet_influence_settings_defaults(est, st, &err), DUET_OK);
}

/* ---------------------------------------------------------------- model derivatives */

static void logreg_derivatives_match_differences(void **state)
{
    (void)state;
    fixture f;
    assert_int_equal(fixture_init(&f, 11, 40, 30, 3, 3, 0.05), 0);
    size_t p = f.model.n_params;
    double g[16], gfd[16], v[16], hv[16], gp[16], gm[16], t[16];
    duet_error err = {0};
    assert_int_equal(f.model.grad(f.model.self, f.theta, f.heldout, f.n_heldout, g, &err), DUET_OK);
    held_out_grad_fd(&f, gfd);
    assert_true(max_rel_diff(g, gfd, p) < 1e-7);

    /* H v by central differences of the gradient of the training mean loss. */
    duet_rng rng;
    duet_rng_init(&rng, 5);
    for (size_t j = 0; j < p; j++)
        v[j] = duet_rng_normal(&rng);
    assert_int_equal(f.model.hvp(f.model.self, f.theta, f.train, f.n_train, v, hv, &err), DUET_OK);
    double h = 1e-5;
    for (size_t j = 0; j < p; j++)
        t[j] = f.theta[j] + h * v[j];
    f.model.grad(f.model.self, t, f.train, f.n_train, gp, &err);
    for (size_t j = 0; j < p; j++)
        t[j] = f.theta[j] - h * v[j];
    f.model.grad(f.model.self, t, f.train, f.n_train, gm, &err);
    for (size_t j = 0; j < p; j++)
        gfd[j] = (gp[j] - gm[j]) / (2 * h);
    assert_true(max_rel_diff(hv, gfd, p) < 1e-6);

    /* example_grad_dot against example_grad. */
    double dotv;
    assert_int_equal(f.model.example_grad(f.model.self, f.theta, 7, g, &err), DUET_OK);
    assert_int_equal(f.model.example_grad_dot(f.model.self, f.theta, 7, v, &dotv, &err), DUET_OK);
    double direct = 0;
    for (size_t j = 0; j < p; j++)
        direct += g[j] * v[j];
    assert_close(dotv, direct, 1e-12, 1e-14);
    fixture_free(&f);
}

static void logreg_training_reaches_tolerance(void **state)
{
    (void)state;
    fixture f;
    assert_int_equal(fixture_init(&f, 12, 60, 20, 4, 3, 0.01), 0);
    size_t p = f.model.n_params;
    double g[16];
    duet_error err = {0};
    f.model.grad(f.model.self, f.theta, f.train, f.n_train, g, &err);
    double norm = 0;
    for (size_t j = 0; j < p; j++) {
        g[j] += f.model.l2 * f.theta[j];
        norm += g[j] * g[j];
    }
    assert_true(sqrt(norm) <= 1e-12);
    fixture_free(&f);
}

static void logreg_rejects_bad_input(void **state)
{
    (void)state;
    double x[4] = {0, 1, 2, 3};
    int32_t y[2] = {0, 3};
    duet_logreg *m = NULL;
    duet_error err = {0};
    assert_int_equal(duet_logreg_new(2, 2, 3, x, y, 0.1, &m, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "label 3"));
    assert_null(m);
    y[1] = 1;
    assert_int_equal(duet_logreg_new(2, 2, 1, x, y, 0.1, &m, &err), DUET_EINVAL);
    assert_int_equal(duet_logreg_new(2, 2, 2, x, y, -1, &m, &err), DUET_EINVAL);
    assert_int_equal(duet_logreg_new(2, 2, 2, x, y, 0.1, &m, &err), DUET_OK);
    duet_diffmodel dm;
    duet_logreg_diffmodel(m, &dm);
    uint64_t bad = 9;
    double out;
    assert_int_equal(dm.loss(dm.self, x, &bad, 1, &out, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "out of range"));
    duet_logreg_free(m);
    duet_logreg_free(NULL);
}

/* ---------------------------------------------------------------- solves */

static void exact_and_cg_match_dense_solve(void **state)
{
    (void)state;
    fixture f;
    assert_int_equal(fixture_init(&f, 21, 80, 40, 4, 3, 0.02), 0);
    size_t p = f.model.n_params;
    double v[16], s_exact[16], s_cg[16], b[16];
    held_out_grad_fd(&f, v);
    for (int damped = 0; damped < 2; damped++) {
        double lambda = damped ? 0.3 : 0.0;
        double *h = dense_hessian(&f, lambda);
        memcpy(b, v, sizeof b);
        gauss_solve(h, b, p);
        free(h);
        duet_influence_settings st;
        defaults(&duet_influence_exact, &st);
        st.damping = lambda;
        solve_with(&f, &duet_influence_exact, &st, v, s_exact);
        assert_true(max_rel_diff(s_exact, b, p) < 1e-9);
        defaults(&duet_influence_cg, &st);
        st.damping = lambda;
        solve_with(&f, &duet_influence_cg, &st, v, s_cg);
        assert_true(max_rel_diff(s_cg, b, p) < 1e-8);
        assert_true(max_rel_diff(s_cg, s_exact, p) < 1e-8);
    }
    fixture_free(&f);
}

static void cg_error_tracks_tolerance(void **state)
{
    (void)state;
    fixture f;
    assert_int_equal(fixture_init(&f, 22, 80, 40, 5, 3, 0.01), 0);
    size_t p = f.model.n_params;
    double v[32], s_exact[32], s_cg[32];
    held_out_grad_fd(&f, v);
    duet_influence_settings st;
    defaults(&duet_influence_exact, &st);
    solve_with(&f, &duet_influence_exact, &st, v, s_exact);
    double previous = INFINITY;
    for (double tol = 1e-2; tol >= 1e-10; tol *= 1e-4) {
        defaults(&duet_influence_cg, &st);
        st.tol = tol;
        solve_with(&f, &duet_influence_cg, &st, v, s_cg);
        double e = max_rel_diff(s_cg, s_exact, p);
        /* The error is at most the residual times the condition number (below 1e3 here). */
        assert_true(e <= 1e3 * tol);
        assert_true(e <= previous);
        previous = e;
    }
    defaults(&duet_influence_cg, &st);
    st.tol = 1e-14;
    st.max_iter = 2;
    duet_influence_problem pb;
    duet_influence_report rep = {0};
    duet_error err = {0};
    assert_int_equal(duet_influence_cg.solve(problem_of(&f, &pb), &st, v, s_cg, &rep, &err),
                     DUET_ENUMERIC);
    assert_non_null(strstr(err.msg, "max_iter = 2"));
    fixture_free(&f);
}

static void lissa_converges_toward_exact(void **state)
{
    (void)state;
    fixture f;
    assert_int_equal(fixture_init(&f, 23, 60, 40, 3, 3, 0.05), 0);
    size_t p = f.model.n_params;
    double v[16], s_exact[16], s_lissa[16];
    held_out_grad_fd(&f, v);
    duet_influence_settings st;
    defaults(&duet_influence_exact, &st);
    st.damping = 1e-3;
    solve_with(&f, &duet_influence_exact, &st, v, s_exact);

    /* The trace bounds the largest eigenvalue, so scale = trace keeps the recursion stable. */
    double *h = dense_hessian(&f, 1e-3), trace = 0;
    for (size_t j = 0; j < p; j++)
        trace += h[j * p + j];
    free(h);
    double previous = INFINITY;
    for (int64_t depth = 10; depth <= 1000; depth *= 10) {
        defaults(&duet_influence_lissa, &st);
        st.scale = trace;
        st.depth = depth;
        solve_with(&f, &duet_influence_lissa, &st, v, s_lissa);
        double e = max_rel_diff(s_lissa, s_exact, p);
        print_message("lissa depth %6lld: relative error %.3g\n", (long long)depth, e);
        assert_true(e < previous);
        previous = e;
    }
    assert_true(previous < 1e-10);

    /* A scale below half the largest eigenvalue diverges, and the error says so. */
    defaults(&duet_influence_lissa, &st);
    st.scale = 1e-3;
    st.depth = 5000;
    duet_influence_problem pb;
    duet_influence_report rep = {0};
    duet_error err = {0};
    assert_int_equal(duet_influence_lissa.solve(problem_of(&f, &pb), &st, v, s_lissa, &rep, &err),
                     DUET_ENUMERIC);
    assert_non_null(strstr(err.msg, "diverged"));
    fixture_free(&f);
}

/* DataInf as matrices: (1/lambda)(I - (1/n) sum_i g_i g_i^T / (lambda + g_i^T g_i)), per block. */
static void datainf_matches_dense_formula(void **state)
{
    (void)state;
    fixture f;
    assert_int_equal(fixture_init(&f, 24, 25, 20, 2, 3, 0.05), 0);
    size_t p = f.model.n_params;
    double v[9], s[9], g[9], expected[9];
    held_out_grad_fd(&f, v);
    for (int64_t blocks = 1; blocks <= 3; blocks += 2) {
        duet_influence_settings st;
        defaults(&duet_influence_datainf, &st);
        st.blocks = blocks;
        st.damping = 0.01;
        solve_with(&f, &duet_influence_datainf, &st, v, s);

        size_t width = p / (size_t)blocks;
        duet_error err = {0};
        for (size_t b = 0; b < (size_t)blocks; b++) {
            double mean_sq = 0, m[9 * 9] = {0};
            for (size_t i = 0; i < f.n_train; i++) {
                f.model.example_grad(f.model.self, f.theta, i, g, &err);
                for (size_t j = b * width; j < (b + 1) * width; j++)
                    mean_sq += g[j] * g[j] / (double)f.n_train;
            }
            double lambda = 0.01 + 0.1 * mean_sq;
            for (size_t j = 0; j < width; j++)
                m[j * width + j] = 1.0 / lambda;
            for (size_t i = 0; i < f.n_train; i++) {
                f.model.example_grad(f.model.self, f.theta, i, g, &err);
                double *gb = g + b * width, gg = 0;
                for (size_t j = 0; j < width; j++)
                    gg += gb[j] * gb[j];
                for (size_t j = 0; j < width; j++)
                    for (size_t k = 0; k < width; k++)
                        m[j * width + k] -=
                            gb[j] * gb[k] / ((lambda + gg) * lambda * (double)f.n_train);
            }
            for (size_t j = 0; j < width; j++) {
                expected[b * width + j] = 0;
                for (size_t k = 0; k < width; k++)
                    expected[b * width + j] += m[j * width + k] * v[b * width + k];
            }
        }
        assert_true(max_rel_diff(s, expected, p) < 1e-12);
    }
    duet_influence_settings st;
    defaults(&duet_influence_datainf, &st);
    st.blocks = 4; /* 9 parameters do not split into 4 blocks */
    duet_influence_problem pb;
    duet_influence_report rep = {0};
    duet_error err = {0};
    assert_int_equal(duet_influence_datainf.solve(problem_of(&f, &pb), &st, v, s, &rep, &err),
                     DUET_EINVAL);
    fixture_free(&f);
}

static void identity_scores_are_gradient_dots(void **state)
{
    (void)state;
    fixture f;
    assert_int_equal(fixture_init(&f, 25, 30, 20, 3, 2, 0.05), 0);
    size_t p = f.model.n_params;
    double v[8], g[8], scores[30];
    held_out_grad_fd(&f, v);
    duet_influence_settings st;
    defaults(&duet_influence_identity, &st);
    duet_influence_problem pb;
    duet_error err = {0};
    assert_int_equal(duet_influence_scores(problem_of(&f, &pb), f.heldout, f.n_heldout,
                                           &duet_influence_identity, &st, scores, NULL, &err),
                     DUET_OK);
    for (size_t i = 0; i < f.n_train; i++) {
        f.model.example_grad(f.model.self, f.theta, i, g, &err);
        double expected = 0;
        for (size_t j = 0; j < p; j++)
            expected += g[j] * v[j];
        assert_close(scores[i], expected, 1e-6, 1e-9);
    }
    fixture_free(&f);
}

static void less_scores_are_cosines(void **state)
{
    (void)state;
    fixture f;
    assert_int_equal(fixture_init(&f, 26, 30, 20, 3, 3, 0.05), 0);
    size_t p = f.model.n_params;
    double v[16], g[16], scores[30];
    held_out_grad_fd(&f, v);
    duet_influence_problem pb;
    duet_error err = {0};
    assert_int_equal(
        duet_influence_less_scores(problem_of(&f, &pb), f.heldout, f.n_heldout, scores, &err),
        DUET_OK);
    for (size_t i = 0; i < f.n_train; i++) {
        f.model.example_grad(f.model.self, f.theta, i, g, &err);
        double gv = 0, gg = 0, vv = 0;
        for (size_t j = 0; j < p; j++) {
            gv += g[j] * v[j];
            gg += g[j] * g[j];
            vv += v[j] * v[j];
        }
        assert_close(scores[i], gv / sqrt(gg * vv), 1e-6, 1e-9);
        assert_true(fabs(scores[i]) <= 1.0);
    }
    fixture_free(&f);
}

/* ---------------------------------------------------------------- leave-one-out */

/*
 * Retrains without each of 200 training points (warm start from the full solution, gradient
 * tolerance 1e-12) and correlates n times the actual change of the held-out loss with the
 * scores. The renormalized leave-one-out objective shifts every prediction by the same amount,
 * which Pearson's correlation ignores.
 */
static void scores_predict_leave_one_out(void **state)
{
    (void)state;
    enum { N = 200 };
    fixture f;
    assert_int_equal(fixture_init(&f, 31, N, 200, 4, 3, 0.01), 0);
    size_t p = f.model.n_params;
    double actual[N], base = held_out_loss(&f, f.theta);
    double *theta = malloc(p * sizeof *theta);
    uint64_t set[N - 1];
    duet_error err = {0};
    for (size_t z = 0; z < N; z++) {
        size_t m = 0;
        for (size_t i = 0; i < N; i++)
            if (i != z)
                set[m++] = i;
        memcpy(theta, f.theta, p * sizeof *theta);
        assert_int_equal(f.model.train(f.model.self, set, N - 1, 1e-12, NULL, theta, &err),
                         DUET_OK);
        actual[z] = (double)N * (held_out_loss(&f, theta) - base);
    }
    free(theta);

    duet_influence_problem pb;
    for (size_t e = 0; duet_influence_estimators[e] != NULL; e++) {
        const duet_influence_estimator *est = duet_influence_estimators[e];
        duet_influence_settings st;
        defaults(est, &st);
        if (est == &duet_influence_datainf)
            st.blocks = 3;
        double scores[N];
        assert_int_equal(duet_influence_scores(problem_of(&f, &pb), f.heldout, f.n_heldout, est,
                                               &st, scores, NULL, &err),
                         DUET_OK);
        double r = pearson(scores, actual, N);
        print_message("leave-one-out Pearson r, %-8s: %.4f\n", est->name, r);
        if (est == &duet_influence_exact || est == &duet_influence_cg)
            assert_true(r >= 0.95);
    }
    fixture_free(&f);
}

/* ---------------------------------------------------------------- settings */

static void settings_parse_and_format(void **state)
{
    (void)state;
    duet_influence_settings st;
    duet_error err = {0};
    defaults(&duet_influence_lissa, &st);
    assert_close(st.damping, 1e-3, 0, 0);
    assert_close(st.scale, 1e4, 0, 0);
    assert_int_equal(st.depth, 0);
    defaults(&duet_influence_cg, &st);
    assert_close(st.tol, 1e-10, 0, 0);
    assert_int_equal(st.max_iter, 1000);
    assert_int_equal(duet_influence_settings_set(&duet_influence_cg, &st, "tol", "1e-6", &err),
                     DUET_OK);
    assert_close(st.tol, 1e-6, 0, 0);
    assert_int_equal(duet_influence_settings_set(&duet_influence_cg, &st, "scale", "2", &err),
                     DUET_EINVAL);
    assert_non_null(strstr(err.msg, "damping, tol, max_iter"));
    assert_int_equal(duet_influence_settings_set(&duet_influence_cg, &st, "tol", "abc", &err),
                     DUET_EINVAL);
    assert_int_equal(duet_influence_settings_set(&duet_influence_cg, &st, "tol", "2", &err),
                     DUET_EINVAL);
    assert_int_equal(duet_influence_settings_set(&duet_influence_cg, &st, "max_iter", "1.5", &err),
                     DUET_EINVAL);
    char text[256];
    assert_int_equal(
        duet_influence_settings_format(&duet_influence_cg, &st, text, sizeof text, &err), DUET_OK);
    assert_string_equal(text, "damping=0, tol=9.9999999999999995e-07, max_iter=1000");
    assert_int_equal(duet_influence_settings_format(&duet_influence_cg, &st, text, 10, &err),
                     DUET_ELIMIT);
    assert_ptr_equal(duet_influence_estimator_find("datainf"), &duet_influence_datainf);
    assert_null(duet_influence_estimator_find("newton"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logreg_derivatives_match_differences),
        cmocka_unit_test(logreg_training_reaches_tolerance),
        cmocka_unit_test(logreg_rejects_bad_input),
        cmocka_unit_test(exact_and_cg_match_dense_solve),
        cmocka_unit_test(cg_error_tracks_tolerance),
        cmocka_unit_test(lissa_converges_toward_exact),
        cmocka_unit_test(datainf_matches_dense_formula),
        cmocka_unit_test(identity_scores_are_gradient_dots),
        cmocka_unit_test(less_scores_are_cosines),
        cmocka_unit_test(scores_predict_leave_one_out),
        cmocka_unit_test(settings_parse_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
