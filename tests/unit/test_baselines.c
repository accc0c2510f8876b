/*
 * The baselines: budget invariants of every registered method run through the loader and the
 * runner on the synthetic backend, the DoReMi, EXP3 and Aioli update rules against hand-worked
 * numbers or a known answer, RegMix's dual ridge fit against a primal dense solve, the failure
 * of proxy-based methods on a backend without proxy training, the synthetic proxy toy, and a
 * printed comparison of each baseline with the uniform mixture.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/synthetic.h"
#include "baselines.h"
#include "results/results.h"
#include "run/config.h"
#include "run/registry.h"
#include "run/runner.h"
#include "util/mem.h"
#include "util/options.h"
#include "util/rng.h"
#include "util/simplex.h"

#define DOMAINS 4
#define POINTS  100

/* Runs the script and reads its results file back. */
static duet_results *run_script(const char *script, const char *name)
{
    duet_error err;
    duet_config *cfg = NULL;
    if (duet_config_load_string(script, "=baselines.lua", NULL, &cfg, &err) != DUET_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    char out[600];
    snprintf(out, sizeof out, "%s/%s.h5", duet_test_tmpdir(name), name);
    duet_run_options ro = {.out_path = out, .snapshot_seconds = 1e9};
    if (duet_run(cfg, &ro, &err) != DUET_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    duet_config_free(cfg);
    duet_results *r = NULL;
    assert_int_equal(duet_results_read(out, &r, &err), DUET_OK);
    return r;
}

/* Writes an experiment over every registered method into buf. */
static void registry_script(char *buf, size_t size, size_t iterations)
{
    size_t used = (size_t)snprintf(
        buf, size,
        "local duet = require 'duet'\n"
        "return duet.experiment {\n"
        "  name = 'registry', seed = 11,\n"
        "  backend = duet.backend.synthetic { domains = %d, items = 300 },\n"
        "  tasks = { duet.task { name = 't', optimum = { 0.55, 0.25, 0.15, 0.05 } } },\n"
        "  warm_start = { design = 'vertices' },\n"
        "  methods = {\n",
        DOMAINS);
    const duet_method_type *m;
    /* The synthetic backend has no item features, which the logdet selector needs. */
    for (size_t i = 0; (m = duet_method_at(i)) != NULL; i++)
        used += (size_t)snprintf(
            buf + used, size - used, "    duet.method.%s { %s },\n", m->name,
            strcmp(m->default_selector, "logdet") == 0 ? "selector = 'influence'" : "");
    snprintf(buf + used, size - used,
             "  },\n"
             "  budget = { points = %d, iterations = %zu, samples = 2 }, trials = 1,\n"
             "}\n",
             POINTS, iterations);
}

static const duet_method_results *find_method(const duet_task_results *task, const char *label)
{
    for (size_t m = 0; m < task->n_methods; m++)
        if (strcmp(task->methods[m].label, label) == 0)
            return &task->methods[m];
    return NULL;
}

/* Evaluations of a trial: finite inner samples plus warm-start points. */
static size_t evaluations(const duet_trial_results *tr, size_t T, size_t k)
{
    size_t count = tr->warm_done;
    for (size_t j = 0; j < T * k; j++)
        count += isfinite(tr->samples[j]);
    return count;
}

static int proxy_based(const char *name)
{
    return strcmp(name, "doremi") == 0 || strcmp(name, "online_mixing") == 0 ||
           strcmp(name, "aioli") == 0;
}

static void registry_methods_keep_budget(void **state)
{
    (void)state;
    char script[8192];
    const size_t T = 4, k = 2, n = DOMAINS;
    registry_script(script, sizeof script, T);
    duet_results *r = run_script(script, "registry");
    const duet_task_results *task = &r->tasks[0];
    const duet_method_results *duet = find_method(task, "duet");
    assert_non_null(duet);
    size_t duet_evaluations = evaluations(&duet->trials[0], T, k);
    const duet_method_type *type;
    for (size_t i = 0; (type = duet_method_at(i)) != NULL; i++) {
        const duet_method_results *mr = find_method(task, type->name);
        assert_non_null(mr);
        const duet_trial_results *tr = &mr->trials[0];
        assert_int_equal(tr->complete, 1);
        assert_int_equal(tr->iterations_done, T);
        for (size_t t = 0; t < T; t++) {
            assert_true(duet_simplex_violation(tr->proposed + t * n, n) <= 1e-9);
            int64_t total = 0;
            for (size_t d = 0; d < n; d++)
                total += tr->counts[t * n + d];
            assert_int_equal(total, POINTS);
            for (size_t d = 0; d < n; d++)
                assert_close(tr->ratios[t * n + d], (double)tr->counts[t * n + d] / POINTS, 0,
                             1e-15);
        }
        /* Methods that observe the warm start spend exactly DUET's evaluations. */
        size_t spent = evaluations(tr, T, k);
        if (type->flags & DUET_METHOD_WARM_START)
            assert_int_equal(spent, duet_evaluations);
        else
            assert_int_equal(spent, duet_evaluations - duet->trials[0].warm_done);
        assert_int_equal(spent - tr->warm_done, T * k);
        if (!proxy_based(type->name))
            continue;
        /* A task-agnostic method proposes its one mixture at every iteration. */
        for (size_t t = 1; t < T; t++)
            assert_memory_equal(tr->proposed + t * n, tr->proposed, n * sizeof *tr->proposed);
    }
    duet_results_free(r);
}

static void doremi_update_hand_computed(void **state)
{
    (void)state;
    /*
     * alpha = (0.5, 0.3, 0.2), proxy losses (2.0, 1.0, 1.5), reference losses (1.5, 1.2, 1.5):
     * lambda = (0.5, 0, 0). alpha * exp(lambda) = (0.5 e^0.5, 0.3, 0.2) = (0.824361, 0.3, 0.2),
     * sum 1.324361, normalized (0.622459331, 0.226524401, 0.151016268). With c = 0.1 the
     * smoothed weights are 0.9 * alpha + 0.1 / 3 = (0.593546731, 0.237205294, 0.169247974).
     */
    double alpha[3] = {0.5, 0.3, 0.2};
    const double proxy[3] = {2.0, 1.0, 1.5}, reference[3] = {1.5, 1.2, 1.5};
    duet_doremi_update(3, alpha, proxy, reference, 1.0, 0.1);
    assert_close(alpha[0], 0.5935467314150025, 1e-12, 0);
    assert_close(alpha[1], 0.23720529448433186, 1e-12, 0);
    assert_close(alpha[2], 0.1692479741006657, 1e-12, 0);

    /* A proxy no worse than the reference anywhere leaves alpha unchanged without smoothing. */
    double same[3] = {0.5, 0.3, 0.2};
    const double better[3] = {1.5, 1.0, 1.4};
    duet_doremi_update(3, same, better, reference, 1.0, 0.0);
    assert_close(same[0], 0.5, 1e-15, 0);
    assert_close(same[1], 0.3, 1e-15, 0);
    assert_close(same[2], 0.2, 1e-15, 0);

    /* Excess losses far beyond exp's range still give a finite mixture. */
    double big[2] = {0.5, 0.5};
    const double high[2] = {5000.0, 1.0}, low[2] = {0.0, 0.0};
    duet_doremi_update(2, big, high, low, 1.0, 1e-4);
    assert_close(big[0], 1.0 - 0.5e-4, 1e-12, 0);
    assert_close(big[1], 0.5e-4, 1e-9, 0);
}

static void exp3_policy_formula(void **state)
{
    (void)state;
    /* eps_t = min(1/n, sqrt(ln n / (n t))): for n = 4, t = 1 the cap 0.25 binds (0.589 > 0.25),
     * for t = 100 it is sqrt(ln 4 / 400) = 0.0588705. */
    assert_close(duet_exp3_epsilon(4, 1), 0.25, 0, 1e-15);
    assert_close(duet_exp3_epsilon(4, 100), 0.05887050112577374, 1e-12, 0);

    /*
     * R = (1, 2, 0.5), eps_prev = 0.3, eps = 0.2: exp(0.3 R) = (1.349859, 1.822119, 1.161834),
     * sum 4.333812; pi = 0.4 * exp(0.3 R) / sum + 0.2 = (0.324588594, 0.368177010, 0.307234396).
     */
    const double rewards[3] = {1.0, 2.0, 0.5};
    double policy[3];
    duet_exp3_policy(3, rewards, 0.3, 0.2, policy);
    assert_close(policy[0], 0.32458859351354574, 1e-12, 0);
    assert_close(policy[1], 0.3681770102777662, 1e-12, 0);
    assert_close(policy[2], 0.30723439620868803, 1e-12, 0);

    /* Rewards whose exponentials overflow keep the exploration floor and the unit sum. */
    const double huge[2] = {1e6, 0.0};
    duet_exp3_policy(2, huge, 1.0, 0.1, policy);
    assert_close(policy[0], 0.9, 1e-12, 0);
    assert_close(policy[1], 0.1, 1e-12, 0);
}

static void aioli_interaction_recovers_matrix(void **state)
{
    (void)state;
    const size_t n = 4;
    const double one_hot = 0.7, rest = 0.1; /* (1 - 0.7) / 3 */
    double A_true[16], drops[16], A[16];
    duet_rng rng;
    duet_rng_init(&rng, 5);
    for (size_t k = 0; k < n * n; k++)
        A_true[k] = duet_rng_normal(&rng);
    /* Probe j trains on W_j = (rest, ..., one_hot at j, ..., rest): drops[i][j] = A_i . W_j. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            drops[i * n + j] = 0.0;
            for (size_t k = 0; k < n; k++)
                drops[i * n + j] += A_true[i * n + k] * (k == j ? one_hot : rest);
        }
    duet_aioli_interaction(n, one_hot, drops, A);
    for (size_t k = 0; k < n * n; k++)
        assert_close(A[k], A_true[k], 1e-12, 1e-12);

    /* One-hot probes (share 1) measure A directly. */
    duet_aioli_interaction(n, 1.0, A_true, A);
    for (size_t k = 0; k < n * n; k++)
        assert_close(A[k], A_true[k], 0, 1e-15);
}

/* Solves the p x p system M x = b in place by Gaussian elimination with partial pivoting. */
static void dense_solve(double *M, double *b, size_t p)
{
    for (size_t c = 0; c < p; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < p; r++)
            if (fabs(M[r * p + c]) > fabs(M[piv * p + c]))
                piv = r;
        for (size_t k = 0; k < p; k++) {
            double tmp = M[c * p + k];
            M[c * p + k] = M[piv * p + k];
            M[piv * p + k] = tmp;
        }
        double tb = b[c];
        b[c] = b[piv];
        b[piv] = tb;
        for (size_t r = c + 1; r < p; r++) {
            double f = M[r * p + c] / M[c * p + c];
            for (size_t k = c; k < p; k++)
                M[r * p + k] -= f * M[c * p + k];
            b[r] -= f * b[c];
        }
    }
    for (size_t c = p; c-- > 0;) {
        for (size_t k = c + 1; k < p; k++)
            b[c] -= M[c * p + k] * b[k];
        b[c] /= M[c * p + c];
    }
}

/* Checks duet_regmix_fit on m random mixtures against (Phi^T Phi + ridge I) beta = Phi^T z. */
static void check_regmix_fit(size_t m, int quadratic)
{
    enum { N = 4, P_MAX = 10, M_MAX = 32 };
    const double ridge = 0.05;
    size_t p = quadratic ? 10 : 4;
    assert_int_equal(duet_regmix_feature_count(N, quadratic), p);
    double ratios[M_MAX * N], y[M_MAX], phi[M_MAX * P_MAX], z[M_MAX];
    duet_rng rng;
    duet_rng_init(&rng, 17 + m);
    for (size_t t = 0; t < m; t++) {
        duet_rng_dirichlet(&rng, N, NULL, ratios + t * N);
        y[t] = 3.0 + ratios[t * N] - 2.0 * ratios[t * N + 1] * ratios[t * N + 2] +
               0.1 * duet_rng_normal(&rng);
    }
    /* Standardized targets: sample mean and sample standard deviation (m - 1). */
    double mean = 0.0, ss = 0.0;
    for (size_t t = 0; t < m; t++)
        mean += y[t] / (double)m;
    for (size_t t = 0; t < m; t++)
        ss += (y[t] - mean) * (y[t] - mean);
    double sd = sqrt(ss / (double)(m - 1));
    for (size_t t = 0; t < m; t++) {
        const double *r = ratios + t * N;
        double *row = phi + t * p;
        size_t c = 0;
        for (size_t i = 0; i < N; i++)
            row[c++] = r[i];
        for (size_t i = 0; quadratic && i < N; i++)
            for (size_t j = i + 1; j < N; j++)
                row[c++] = r[i] * r[j];
        z[t] = (y[t] - mean) / sd;
    }
    double M[P_MAX * P_MAX], expected[P_MAX];
    for (size_t a = 0; a < p; a++) {
        expected[a] = 0.0;
        for (size_t t = 0; t < m; t++)
            expected[a] += phi[t * p + a] * z[t];
        for (size_t b = 0; b < p; b++) {
            M[a * p + b] = a == b ? ridge : 0.0;
            for (size_t t = 0; t < m; t++)
                M[a * p + b] += phi[t * p + a] * phi[t * p + b];
        }
    }
    dense_solve(M, expected, p);

    double beta[P_MAX], fit_mean, fit_sd;
    duet_error err;
    assert_int_equal(
        duet_regmix_fit(N, quadratic, m, ratios, y, ridge, beta, &fit_mean, &fit_sd, &err),
        DUET_OK);
    assert_close(fit_mean, mean, 1e-13, 0);
    assert_close(fit_sd, sd, 1e-12, 0);
    for (size_t a = 0; a < p; a++)
        assert_close(beta[a], expected[a], 1e-8, 1e-10);
}

static void regmix_fit_matches_primal_solve(void **state)
{
    (void)state;
    check_regmix_fit(7, 1);  /* fewer observations than the 10 quadratic features */
    check_regmix_fit(25, 1); /* more observations than features */
    check_regmix_fit(12, 0); /* linear features only */
}

/* Fills opts (size bytes) with the defaults of a method's option table. */
static void *method_defaults(const duet_method_type *type)
{
    void *opts = calloc(1, type->options_size);
    assert_non_null(opts);
    assert_int_equal(duet_options_defaults(type->options, opts, NULL), DUET_OK);
    return opts;
}

static void proxy_methods_need_capability(void **state)
{
    (void)state;
    duet_backend_type bare = duet_backend_synthetic;
    bare.name = "bare";
    bare.proxy_open = NULL;
    bare.proxy_step = NULL;
    bare.proxy_heldout = NULL;
    bare.proxy_clone = NULL;
    bare.proxy_close = NULL;
    const char *names[] = {"doremi", "online_mixing", "aioli"};
    duet_method_env env = {.n = 3, .iterations = 2, .samples = 1, .seed = 1, .backend_type = &bare};
    for (size_t i = 0; i < 3; i++) {
        const duet_method_type *type = duet_method_find(names[i]);
        assert_non_null(type);
        void *opts = method_defaults(type);
        void *method = NULL;
        duet_error err;
        assert_int_equal(type->create(&env, opts, &method, &err), DUET_EINVAL);
        assert_null(method);
        assert_non_null(strstr(err.msg, names[i]));
        assert_non_null(strstr(err.msg, "backend bare"));
        assert_non_null(strstr(err.msg, "proxy training"));
        free(opts);
    }
}

typedef struct synthetic_fixture {
    const duet_backend_type *b;
    void *backend, *task;
    duet_task_info info;
    void *opts, *task_opts;
} synthetic_fixture;

static void synthetic_open(synthetic_fixture *f)
{
    f->b = &duet_backend_synthetic;
    f->opts = calloc(1, f->b->options_size);
    f->task_opts = calloc(1, f->b->task_options_size);
    assert_int_equal(duet_options_defaults(f->b->options, f->opts, NULL), DUET_OK);
    assert_int_equal(duet_options_defaults(f->b->task_options, f->task_opts, NULL), DUET_OK);
    duet_backend_env env = {NULL, 21, NULL, NULL};
    assert_int_equal(f->b->open(f->opts, &env, &f->backend, NULL), DUET_OK);
    assert_int_equal(f->b->task_open(f->backend, "t", f->task_opts, 100, &f->task, &f->info, NULL),
                     DUET_OK);
}

static void synthetic_close(synthetic_fixture *f)
{
    f->b->task_close(f->backend, f->task);
    f->b->close(f->backend);
    duet_options_free(f->b->options, f->opts);
    duet_options_free(f->b->task_options, f->task_opts);
    free(f->opts);
    free(f->task_opts);
}

static void synthetic_proxy_learns(void **state)
{
    (void)state;
    synthetic_fixture f;
    synthetic_open(&f);
    const duet_backend_type *b = f.b;
    size_t n = f.info.n_pool;
    assert_true(n >= 3 && n <= 16);
    void *p = NULL, *q = NULL, *copy = NULL;
    assert_int_equal(b->proxy_open(f.backend, f.task, 1, &p, NULL), DUET_OK);
    assert_int_equal(b->proxy_open(f.backend, f.task, 2, &q, NULL), DUET_OK);
    double start[16], end[16], lp[16], lq[16], weights[16] = {1.0};

    /* Measuring only (weights NULL) does not train. */
    assert_int_equal(b->proxy_heldout(f.backend, p, start, NULL), DUET_OK);
    assert_int_equal(b->proxy_step(f.backend, p, NULL, 7, lp, NULL), DUET_OK);
    assert_int_equal(b->proxy_heldout(f.backend, p, end, NULL), DUET_OK);
    assert_memory_equal(start, end, n * sizeof *start);

    /* Equal batch keys give equal minibatch losses on proxies in equal states. */
    assert_int_equal(b->proxy_step(f.backend, p, NULL, 8, lp, NULL), DUET_OK);
    assert_int_equal(b->proxy_step(f.backend, q, NULL, 8, lq, NULL), DUET_OK);
    assert_memory_equal(lp, lq, n * sizeof *lp);
    assert_int_equal(b->proxy_step(f.backend, q, NULL, 9, lq, NULL), DUET_OK);
    assert_memory_not_equal(lp, lq, n * sizeof *lp);

    /* Training on domain 0 alone (p) or domain 1 alone (q): each lowers its own domain more. */
    double other[16] = {0.0, 1.0};
    for (uint64_t s = 0; s < 40; s++) {
        assert_int_equal(b->proxy_step(f.backend, p, weights, s, lp, NULL), DUET_OK);
        assert_int_equal(b->proxy_step(f.backend, q, other, s, lq, NULL), DUET_OK);
    }
    double end_q[16];
    assert_int_equal(b->proxy_heldout(f.backend, p, end, NULL), DUET_OK);
    assert_int_equal(b->proxy_heldout(f.backend, q, end_q, NULL), DUET_OK);
    assert_true(end[0] < end_q[0]);
    assert_true(end_q[1] < end[1]);
    for (size_t i = 0; i < n; i++) {
        assert_true(end[i] < start[i]);
        assert_true(end_q[i] < start[i]);
    }
    /* A clone continues exactly as the original, and independently of it. */
    assert_int_equal(b->proxy_clone(f.backend, p, &copy, NULL), DUET_OK);
    double uniform[16];
    for (size_t i = 0; i < n; i++)
        uniform[i] = 1.0 / (double)n;
    assert_int_equal(b->proxy_step(f.backend, copy, uniform, 99, lq, NULL), DUET_OK);
    assert_int_equal(b->proxy_step(f.backend, p, uniform, 99, lp, NULL), DUET_OK);
    assert_memory_equal(lp, lq, n * sizeof *lp);
    assert_int_equal(b->proxy_step(f.backend, copy, uniform, 100, lq, NULL), DUET_OK);
    assert_int_equal(b->proxy_heldout(f.backend, copy, start, NULL), DUET_OK);
    assert_int_equal(b->proxy_heldout(f.backend, p, end, NULL), DUET_OK);
    for (size_t i = 0; i < n; i++)
        assert_true(start[i] < end[i]);
    b->proxy_close(f.backend, copy);
    b->proxy_close(f.backend, q);
    b->proxy_close(f.backend, p);
    b->proxy_close(f.backend, NULL);
    synthetic_close(&f);
}

/* Prints the mean final best feedback of every method; all must be finite. */
static void baselines_versus_uniform_report(void **state)
{
    (void)state;
    const char *script =
        "local duet = require 'duet'\n"
        "return duet.experiment {\n"
        "  name = 'report', seed = 2024,\n"
        "  backend = duet.backend.synthetic { domains = 5, items = 400 },\n"
        "  tasks = { duet.task { name = 't', optimum = { 0.45, 0.3, 0.15, 0.05, 0.05 } } },\n"
        "  methods = {\n"
        "    duet.method.uniform {}, duet.method.random_search {},\n"
        "    duet.method.select_influence {}, duet.method.select_less {},\n"
        "    duet.method.doremi {}, duet.method.online_mixing {}, duet.method.aioli {},\n"
        "    duet.method.regmix {}, duet.method.duet {},\n"
        "  },\n"
        "  budget = { points = 200, iterations = 15, samples = 2 }, trials = 3,\n"
        "}\n";
    duet_results *r = run_script(script, "report");
    const duet_task_results *task = &r->tasks[0];
    printf("synthetic backend, seed 2024, T = 15, k = 2, 3 trials; optimum %.4f\n", task->optimum);
    for (size_t m = 0; m < task->n_methods; m++) {
        const duet_method_results *mr = &task->methods[m];
        double sum = 0.0;
        for (size_t t = 0; t < r->trials; t++)
            sum += mr->trials[t].best_so_far[r->iterations - 1];
        double mean = sum / (double)r->trials;
        printf("  %-18s final best %.4f\n", mr->label, mean);
        assert_true(isfinite(mean));
    }
    duet_results_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_methods_keep_budget),
        cmocka_unit_test(doremi_update_hand_computed),
        cmocka_unit_test(exp3_policy_formula),
        cmocka_unit_test(aioli_interaction_recovers_matrix),
        cmocka_unit_test(regmix_fit_matches_primal_solve),
        cmocka_unit_test(proxy_methods_need_capability),
        cmocka_unit_test(synthetic_proxy_learns),
        cmocka_unit_test(baselines_versus_uniform_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
