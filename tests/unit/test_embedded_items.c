/*
 * Item scores and item features of the embedded backend on the committed fixture pool, with a
 * small character model. Scores are computed once, reused from the scores file by another
 * backend and recomputed when the estimator settings change. They equal a direct computation,
 * LESS scores equal dense gradient cosines, and concurrent processes compute them once. Features
 * are checked against exact n-gram count cosines, and bad kinds and options are rejected.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/embedded.h"
#include "data/pool.h"
#include "influence/influence.h"
#include "influence/scores_file.h"
#include "influence_check.h"

static const duet_backend_type *B = &duet_backend_embedded;

typedef struct fixture {
    char dir[512];
    char pool[700];
    char log[8192]; /* captured log lines, one per line */
} fixture;

static void capture(void *userdata, duet_log_level level, const char *message)
{
    (void)level;
    char *buf = userdata;
    size_t used = strlen(buf);
    snprintf(buf + used, 8192 - used, "%s\n", message);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", duet_test_tmpdir("embedded_items"));
    snprintf(f->pool, sizeof f->pool, "%s/tiny.h5", f->dir);
    duet_error err;
    assert_int_equal(duet_pool_import(duet_pool_preset_find("tiny"), DUET_TEST_FIXTURES "/raw",
                                      f->pool, 1, NULL, &err),
                     DUET_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/*
 * Small models keep every test of this file fast, also under the sanitizers: one context order
 * has few distinct contexts, so training and Hessian-vector products are cheap.
 */
static duet_embedded_options small_options(void)
{
    duet_embedded_options o;
    duet_embedded_default_options(&o);
    o.pool = (char *)"tiny";
    o.buckets = 31;
    o.orders = 1;
    o.max_chars = 60;
    return o;
}

static void *open_backend(fixture *f, const duet_embedded_options *o, duet_log *log)
{
    duet_backend_env env = {log, 1, NULL, f->dir};
    void *backend = NULL;
    duet_error err = {0};
    duet_status st = B->open(o, &env, &backend, &err);
    if (st != DUET_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, DUET_OK);
    return backend;
}

static size_t domain_index(void *backend, const char *name)
{
    for (size_t d = 0; d < B->domain_count(backend); d++)
        if (strcmp(B->domain_name(backend, d), name) == 0)
            return d;
    fail_msg("no domain %s", name);
    return 0;
}

static size_t count_lines(const char *log, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(log, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static double *scores_of(void *backend, const char *domain, const char *kind)
{
    size_t d = domain_index(backend, domain);
    size_t n = (size_t)B->domain_size(backend, d);
    double *out = malloc(n * sizeof *out);
    duet_error err = {0};
    duet_status st = B->item_scores(backend, d, kind, out, &err);
    if (st != DUET_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, DUET_OK);
    return out;
}

/*
 * The first request computes every domain's scores (one line each) on two threads. A second
 * backend reuses them from the file, one thread gives bit-identical scores, and other estimator
 * settings make the backend recompute them.
 */
static void scores_computed_then_reused(void **state)
{
    fixture *f = *state;
    duet_log log = {capture, f->log, DUET_LOG_INFO};
    duet_embedded_options o = small_options();
    o.scores_threads = 2;
    void *a = open_backend(f, &o, &log);
    size_t domains = B->domain_count(a);
    size_t n = (size_t)B->domain_size(a, domain_index(a, "kjv"));
    double *first = scores_of(a, "kjv", "influence");
    assert_int_equal(count_lines(f->log, "domain kjv: computed influence scores"), 1);
    assert_int_equal(count_lines(f->log, "computed influence scores"), domains);
    for (size_t i = 0; i < n; i++)
        assert_true(isfinite(first[i]));
    double *again = scores_of(a, "kjv", "influence"); /* from memory: no new log line */
    double *other = scores_of(a, "jargon", "influence");
    assert_memory_equal(first, again, n * sizeof *first);
    assert_int_equal(count_lines(f->log, "influence scores"), domains);
    B->close(a);

    char scores[800];
    snprintf(scores, sizeof scores, "%s/tiny.scores.h5", f->dir);
    assert_int_equal(access(scores, F_OK), 0);
    f->log[0] = '\0';
    void *b = open_backend(f, &o, &log);
    double *reused = scores_of(b, "kjv", "influence");
    assert_int_equal(count_lines(f->log, "domain kjv: reused cached influence scores"), 1);
    assert_int_equal(count_lines(f->log, "reused cached influence scores"), domains);
    assert_int_equal(count_lines(f->log, "computed"), 0);
    assert_memory_equal(first, reused, n * sizeof *first);
    B->close(b);

    o.scores_threads = 1;
    o.scores = (char *)"serial.scores.h5";
    void *serial = open_backend(f, &o, NULL);
    double *one_thread = scores_of(serial, "kjv", "influence");
    double *one_thread_other = scores_of(serial, "jargon", "influence");
    assert_memory_equal(first, one_thread, n * sizeof *first);
    size_t n_other = (size_t)B->domain_size(serial, domain_index(serial, "jargon"));
    assert_memory_equal(other, one_thread_other, n_other * sizeof *other);
    B->close(serial);

    /* Other estimator settings make the cached scores stale; a looser tolerance moves them a
     * little. */
    char *set[1] = {(char *)"tol=1e-6"};
    o = small_options();
    o.estimator_set = (duet_strings){1, set};
    f->log[0] = '\0';
    void *c = open_backend(f, &o, &log);
    double *loose = scores_of(c, "kjv", "influence");
    assert_int_equal(count_lines(f->log, "are stale"), domains);
    assert_int_equal(count_lines(f->log, "domain kjv: computed influence scores"), 1);
    assert_true(max_rel_diff(loose, first, n) < 1e-3);
    B->close(c);
    free(first);
    free(again);
    free(other);
    free(reused);
    free(one_thread);
    free(one_thread_other);
    free(loose);
}

/* The scoring model of domain kjv, built and trained outside the backend. */
typedef struct direct_model {
    duet_pool *pool;
    void *state;
    duet_influence_domain dom;
    double *theta;
} direct_model;

static void direct_open(direct_model *d, const fixture *f, const duet_embedded_options *o)
{
    duet_error err = {0};
    assert_int_equal(duet_pool_open(f->pool, &d->pool, &err), DUET_OK);
    duet_embedded_scoring config;
    duet_embedded_scoring_from_options(o, DUET_EMBEDDED_LM, &config);
    assert_int_equal(duet_embedded_scoring_attach(d->pool, &config, &d->state, &err), DUET_OK);
    size_t k = 0;
    assert_true(duet_pool_find(d->pool, "kjv", &k));
    assert_int_equal(duet_influence_factory_charlm.domain_open(d->state, k, &d->dom, &err),
                     DUET_OK);
    const duet_diffmodel *m = &d->dom.model;
    d->theta = calloc(m->n_params, sizeof *d->theta);
    assert_int_equal(m->train(m->self, d->dom.train, d->dom.n_train,
                              DUET_EMBEDDED_SCORING_TRAIN_TOL, NULL, d->theta, &err),
                     DUET_OK);
}

static void direct_close(direct_model *d)
{
    duet_influence_factory_charlm.domain_close(d->state, &d->dom);
    duet_influence_factory_charlm.close(d->state);
    duet_pool_free(d->pool);
    free(d->theta);
}

/* Backend scores are the estimator's scores of the trained scoring model, item by item. */
static void scores_match_direct_computation(void **state)
{
    fixture *f = *state;
    duet_embedded_options o = small_options();
    void *backend = open_backend(f, &o, NULL);
    double *scores = scores_of(backend, "kjv", "influence");
    B->close(backend);
    direct_model d;
    direct_open(&d, f, &o);
    size_t n = d.dom.n_train;
    double *expected = malloc(n * sizeof *expected);
    duet_influence_settings st;
    duet_error err = {0};
    assert_int_equal(duet_influence_settings_defaults(&duet_influence_cg, &st, &err), DUET_OK);
    duet_influence_problem pb = {&d.dom.model, d.theta, d.dom.train, n};
    assert_int_equal(duet_influence_scores(&pb, d.dom.heldout, d.dom.n_heldout, &duet_influence_cg,
                                           &st, expected, NULL, &err),
                     DUET_OK);
    assert_true(max_rel_diff(scores, expected, n) < 1e-9);
    free(scores);
    free(expected);
    direct_close(&d);
}

/* LESS scores equal cosines computed from dense per-item gradients and the held-out gradient. */
static void less_scores_are_dense_cosines(void **state)
{
    fixture *f = *state;
    duet_embedded_options o = small_options();
    void *backend = open_backend(f, &o, NULL);
    double *scores = scores_of(backend, "kjv", "less");
    B->close(backend);
    direct_model d;
    direct_open(&d, f, &o);
    const duet_diffmodel *m = &d.dom.model;
    size_t p = m->n_params;
    double *v = malloc(p * sizeof *v), *g = malloc(p * sizeof *g);
    duet_error err = {0};
    assert_int_equal(m->grad(m->self, d.theta, d.dom.heldout, d.dom.n_heldout, v, &err), DUET_OK);
    for (size_t i = 0; i < d.dom.n_train; i++) {
        assert_int_equal(m->example_grad(m->self, d.theta, d.dom.train[i], g, &err), DUET_OK);
        double gv = 0, gg = 0, vv = 0;
        for (size_t j = 0; j < p; j++) {
            gv += g[j] * v[j];
            gg += g[j] * g[j];
            vv += v[j] * v[j];
        }
        assert_close(scores[i], gg > 0 ? gv / sqrt(gg * vv) : 0.0, 1e-9, 1e-12);
        assert_true(fabs(scores[i]) <= 1.0);
    }
    free(v);
    free(g);
    free(scores);
    direct_close(&d);
}

/* Child process: opens a backend, requests wordnet's influence scores, writes them and its log. */
static void child_scores(fixture *f, int k, int inherited_lock)
{
    char path[800];
    close(inherited_lock); /* the flock belongs to the parent's open file, which fork shares */
    f->log[0] = '\0';
    duet_log log = {capture, f->log, DUET_LOG_INFO};
    duet_embedded_options o = small_options();
    duet_backend_env env = {&log, 1, NULL, f->dir};
    void *backend = NULL;
    duet_error err = {0};
    if (B->open(&o, &env, &backend, &err) != DUET_OK)
        _exit(2);
    size_t d = 0;
    while (strcmp(B->domain_name(backend, d), "wordnet") != 0)
        d++;
    size_t n = (size_t)B->domain_size(backend, d);
    double *out = malloc(n * sizeof *out);
    if (B->item_scores(backend, d, "influence", out, &err) != DUET_OK)
        _exit(3);
    snprintf(path, sizeof path, "%s/child%d.bin", f->dir, k);
    FILE *fp = fopen(path, "wb");
    fwrite(out, sizeof *out, n, fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/child%d.log", f->dir, k);
    fp = fopen(path, "w");
    fputs(f->log, fp);
    fclose(fp);
    B->close(backend);
    _exit(0);
}

static size_t read_file(const char *path, char *buf, size_t size)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    size_t got = fread(buf, 1, size - 1, fp);
    buf[got] = '\0';
    fclose(fp);
    return got;
}

/*
 * Two processes ask for the same scores while this one holds the scores file's lock: once it is
 * released, one computes and writes them, and the other waits and reuses them.
 */
static void concurrent_first_use_computes_once(void **state)
{
    fixture *f = *state;
    char scores[800];
    snprintf(scores, sizeof scores, "%s/tiny.scores.h5", f->dir);
    duet_scores_lock lock;
    duet_error err = {0};
    assert_int_equal(duet_scores_lock_acquire(scores, &lock, NULL, &err), DUET_OK);
    pid_t pids[2];
    for (int k = 0; k < 2; k++) {
        fflush(NULL);
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0)
            child_scores(f, k, lock.fd);
    }
    sleep(1);
    duet_scores_lock_release(&lock);
    for (int k = 0; k < 2; k++) {
        int status = 0;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    char logs[2][8192], path[800];
    double bins[2][256];
    size_t sizes[2];
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/child%d.log", f->dir, k);
        read_file(path, logs[k], sizeof logs[k]);
        snprintf(path, sizeof path, "%s/child%d.bin", f->dir, k);
        sizes[k] = read_file(path, (char *)bins[k], sizeof bins[k]);
    }
    size_t computed = 0, reused = 0, waited = 0;
    for (int k = 0; k < 2; k++) {
        computed += count_lines(logs[k], "domain wordnet: computed influence scores");
        reused += count_lines(logs[k], "domain wordnet: reused cached influence scores");
        waited += count_lines(logs[k], "waiting for");
    }
    assert_int_equal(computed, 1);
    assert_int_equal(reused, 1);
    assert_true(waited >= 1);
    assert_int_equal(sizes[0], sizes[1]);
    assert_true(sizes[0] > 0);
    assert_memory_equal(bins[0], bins[1], sizes[0]);
}

/* Exact cosine of the byte 1- to 3-gram count vectors of two texts. */
static double ngram_cosine(const char *a, size_t la, const char *b, size_t lb)
{
    const char *texts[2] = {a, b};
    size_t lens[2] = {la, lb};
    char grams[2][200][3];
    size_t glen[2][200], counts[2][200] = {{0}}, n[2] = {0, 0};
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < lens[t]; i++)
            for (size_t order = 1; order <= 3 && i + order <= lens[t]; order++) {
                size_t k = 0;
                while (k < n[t] &&
                       !(glen[t][k] == order && memcmp(grams[t][k], texts[t] + i, order) == 0))
                    k++;
                if (k == n[t]) {
                    assert_true(n[t] < 200);
                    memcpy(grams[t][k], texts[t] + i, order);
                    glen[t][k] = order;
                    n[t]++;
                }
                counts[t][k]++;
            }
    double dot = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n[0]; i++) {
        aa += (double)(counts[0][i] * counts[0][i]);
        for (size_t j = 0; j < n[1]; j++)
            if (glen[0][i] == glen[1][j] && memcmp(grams[0][i], grams[1][j], glen[0][i]) == 0)
                dot += (double)(counts[0][i] * counts[1][j]);
    }
    for (size_t j = 0; j < n[1]; j++)
        bb += (double)(counts[1][j] * counts[1][j]);
    return dot / sqrt(aa * bb);
}

static double *features_of(void *backend, size_t d, size_t *dim)
{
    duet_error err = {0};
    assert_int_equal(B->item_features(backend, d, dim, NULL, &err), DUET_OK);
    size_t n = (size_t)B->domain_size(backend, d);
    double *x = malloc(n * *dim * sizeof *x);
    assert_int_equal(B->item_features(backend, d, dim, x, &err), DUET_OK);
    return x;
}

/*
 * Features have unit length, do not depend on the backend instance, and their inner products
 * approximate the cosines of the records' n-gram count vectors (a random projection to 1024
 * dimensions keeps them to a few hundredths).
 */
static void features_approximate_ngram_cosines(void **state)
{
    fixture *f = *state;
    duet_embedded_options o = small_options();
    void *a = open_backend(f, &o, NULL);
    size_t d = domain_index(a, "kjv"), dim = 0, n = (size_t)B->domain_size(a, d);
    double *x = features_of(a, d, &dim);
    assert_int_equal(dim, 32);
    for (size_t i = 0; i < n; i++) {
        double norm = 0;
        for (size_t j = 0; j < dim; j++)
            norm += x[i * dim + j] * x[i * dim + j];
        assert_close(norm, 1.0, 1e-12, 0);
    }
    void *b = open_backend(f, &o, NULL);
    size_t dim_b = 0;
    double *y = features_of(b, d, &dim_b);
    assert_memory_equal(x, y, n * dim * sizeof *x);
    B->close(b);
    B->close(a);
    free(x);
    free(y);

    o.feature_dim = 1024;
    void *wide = open_backend(f, &o, NULL);
    x = features_of(wide, d, &dim);
    assert_int_equal(dim, 1024);
    duet_pool *pool = NULL;
    duet_error err = {0};
    assert_int_equal(duet_pool_open(f->pool, &pool, &err), DUET_OK);
    const duet_records *r = duet_pool_records(pool, d, DUET_SPLIT_TRAIN);
    double sum_abs = 0, max_abs = 0;
    size_t pairs = 40;
    for (size_t i = 0; i < pairs; i++) {
        size_t la = duet_records_len(r, i), lb = duet_records_len(r, i + 1);
        double exact = ngram_cosine(duet_records_text(r, i), la < 60 ? la : 60,
                                    duet_records_text(r, i + 1), lb < 60 ? lb : 60);
        double approx = 0;
        for (size_t j = 0; j < dim; j++)
            approx += x[i * dim + j] * x[(i + 1) * dim + j];
        sum_abs += fabs(approx - exact);
        max_abs = fmax(max_abs, fabs(approx - exact));
    }
    print_message("feature cosines vs exact n-gram cosines: mean |error| %.4f, max %.4f\n",
                  sum_abs / (double)pairs, max_abs);
    assert_true(sum_abs / (double)pairs < 0.03);
    assert_true(max_abs < 0.1);
    duet_pool_free(pool);
    B->close(wide);
    free(x);
}

static void bad_kinds_and_options_rejected(void **state)
{
    fixture *f = *state;
    duet_embedded_options o = small_options();
    duet_error err = {0};
    void *backend = open_backend(f, &o, NULL);
    double out[512];
    assert_int_equal(B->item_scores(backend, 0, "quality", out, &err), DUET_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'influence' or 'less'"));
    B->close(backend);

    duet_backend_env env = {NULL, 1, NULL, f->dir};
    o.estimator = (char *)"newton";
    assert_int_equal(B->open(&o, &env, &backend, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "newton"));
    o.estimator = (char *)"cg";
    char *unknown[1] = {(char *)"scale=2"};
    o.estimator_set = (duet_strings){1, unknown};
    assert_int_equal(B->open(&o, &env, &backend, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "estimator_set"));
    char *malformed[1] = {(char *)"tol"};
    o.estimator_set = (duet_strings){1, malformed};
    assert_int_equal(B->open(&o, &env, &backend, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "name=value"));

    /* The tagger scores tagged domains only. */
    o = small_options();
    o.scores_model = DUET_EMBEDDED_POS;
    o.pos_buckets = 63;
    o.scores = (char *)"tagger.scores.h5";
    backend = open_backend(f, &o, NULL);
    assert_int_equal(B->item_scores(backend, domain_index(backend, "kjv"), "influence", out, &err),
                     DUET_EINVAL);
    assert_non_null(strstr(err.msg, "no part-of-speech tags"));
    double *tagged = scores_of(backend, "brown_press", "influence");
    size_t n = (size_t)B->domain_size(backend, domain_index(backend, "brown_press"));
    for (size_t i = 0; i < n; i++)
        assert_true(isfinite(tagged[i]));
    free(tagged);
    B->close(backend);
    char path[800];
    snprintf(path, sizeof path, "%s/tagger.scores.h5", f->dir);
    assert_int_equal(access(path, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(scores_computed_then_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(scores_match_direct_computation, setup, teardown),
        cmocka_unit_test_setup_teardown(less_scores_are_dense_cosines, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_first_use_computes_once, setup, teardown),
        cmocka_unit_test_setup_teardown(features_approximate_ngram_cosines, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_kinds_and_options_rejected, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
