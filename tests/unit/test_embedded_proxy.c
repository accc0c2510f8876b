/*
 * Proxy training of the embedded backend on a pool imported from the committed fixture: losses
 * of the zero model against the uniform prediction, in-domain learning, determinism for equal
 * batch keys, clones, measuring without training, and the task-agnostic baselines run on it.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/embedded.h"
#include "baselines.h"
#include "data/pool.h"
#include "embedded/charlm.h"
#include "run/registry.h"
#include "util/simplex.h"

#define POOL_MAX 16

typedef struct fixture {
    char dir[512];
    void *backend;
    void *task;
    duet_task_info info;
    char *eval_names[1];
} fixture;

static const duet_backend_type *B = &duet_backend_embedded;

static void open_task(fixture *f, int type, const char *eval)
{
    f->eval_names[0] = (char *)eval;
    duet_embedded_task_options o;
    memset(&o, 0, sizeof o);
    o.type = type;
    o.eval.n = 1;
    o.eval.v = f->eval_names;
    o.setting = DUET_EMBEDDED_OUT_OF_DOMAIN;
    o.metric = DUET_EMBEDDED_METRIC_DEFAULT;
    o.eval_size = -1;
    o.temperature = -1;
    duet_error err;
    if (B->task_open(f->backend, "t", &o, 200, &f->task, &f->info, &err) != DUET_OK)
        fail_msg("%s", err.msg);
    assert_true(f->info.n_pool <= POOL_MAX);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", duet_test_tmpdir("proxy"));
    char path[700];
    snprintf(path, sizeof path, "%s/tiny.h5", f->dir);
    duet_error err;
    assert_int_equal(duet_pool_import(duet_pool_preset_find("tiny"), DUET_TEST_FIXTURES "/raw",
                                      path, 1, NULL, &err),
                     DUET_OK);
    duet_embedded_options o;
    duet_embedded_default_options(&o);
    o.pool = (char *)"tiny";
    o.buckets = 1024; /* small models keep the sanitizer build fast */
    o.pos_buckets = 4096;
    o.proxy_heldout = 40;
    duet_backend_env env = {NULL, 1, NULL, f->dir};
    assert_int_equal(B->open(&o, &env, &f->backend, &err), DUET_OK);
    open_task(f, DUET_EMBEDDED_LM, "kjv");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    B->task_close(f->backend, f->task);
    B->close(f->backend);
    free(f);
    return 0;
}

static size_t position_of(const fixture *f, const char *name)
{
    for (size_t i = 0; i < f->info.n_pool; i++)
        if (strcmp(B->domain_name(f->backend, f->info.pool[i]), name) == 0)
            return i;
    fail_msg("domain %s is not in the task's pool", name);
    return 0;
}

/* Zero parameters predict every class with probability 1/C: a loss of ln C nats per unit. */
static void zero_model_loss_is_log_classes(void **state)
{
    fixture *f = *state;
    size_t n = f->info.n_pool;
    void *p = NULL;
    double losses[POOL_MAX];
    assert_int_equal(B->proxy_open(f->backend, f->task, 1, &p, NULL), DUET_OK);
    assert_int_equal(B->proxy_heldout(f->backend, p, losses, NULL), DUET_OK);
    for (size_t i = 0; i < n; i++)
        assert_close(losses[i], log((double)DUET_CHARLM_CLASSES), 1e-12, 0);
    assert_int_equal(B->proxy_step(f->backend, p, NULL, 3, losses, NULL), DUET_OK);
    for (size_t i = 0; i < n; i++)
        assert_close(losses[i], log((double)DUET_CHARLM_CLASSES), 1e-12, 0);
    B->proxy_close(f->backend, p);

    /* The tagger's twelve coarse tags. */
    fixture pos = *f;
    open_task(&pos, DUET_EMBEDDED_POS, "brown_press");
    assert_int_equal(B->proxy_open(pos.backend, pos.task, 1, &p, NULL), DUET_OK);
    assert_int_equal(B->proxy_heldout(pos.backend, p, losses, NULL), DUET_OK);
    for (size_t i = 0; i < pos.info.n_pool; i++)
        assert_close(losses[i], log(12.0), 1e-12, 0);
    B->proxy_close(pos.backend, p);
    B->task_close(pos.backend, pos.task);
}

static void training_lowers_own_domain(void **state)
{
    fixture *f = *state;
    size_t n = f->info.n_pool, a = position_of(f, "brown_fiction"), b = position_of(f, "wordnet");
    double wa[POOL_MAX] = {0}, wb[POOL_MAX] = {0}, la[POOL_MAX], lb[POOL_MAX];
    wa[a] = 1.0;
    wb[b] = 1.0;
    void *pa = NULL, *pb = NULL;
    assert_int_equal(B->proxy_open(f->backend, f->task, 1, &pa, NULL), DUET_OK);
    assert_int_equal(B->proxy_open(f->backend, f->task, 1, &pb, NULL), DUET_OK);
    for (uint64_t s = 0; s < 30; s++) {
        assert_int_equal(B->proxy_step(f->backend, pa, wa, s, la, NULL), DUET_OK);
        assert_int_equal(B->proxy_step(f->backend, pb, wb, s, lb, NULL), DUET_OK);
    }
    assert_int_equal(B->proxy_heldout(f->backend, pa, la, NULL), DUET_OK);
    assert_int_equal(B->proxy_heldout(f->backend, pb, lb, NULL), DUET_OK);
    printf("held-out nats/char after 30 steps: fiction-trained %.3f on fiction, %.3f on wordnet; "
           "wordnet-trained %.3f on fiction, %.3f on wordnet\n",
           la[a], la[b], lb[a], lb[b]);
    assert_true(la[a] < lb[a]);
    assert_true(lb[b] < la[b]);
    for (size_t i = 0; i < n; i++) {
        assert_true(la[i] < log((double)DUET_CHARLM_CLASSES));
        assert_true(lb[i] < log((double)DUET_CHARLM_CLASSES));
    }
    B->proxy_close(f->backend, pa);
    B->proxy_close(f->backend, pb);
}

static void steps_are_deterministic(void **state)
{
    fixture *f = *state;
    size_t n = f->info.n_pool;
    double w[POOL_MAX], l1[POOL_MAX], l2[POOL_MAX], h1[POOL_MAX], h2[POOL_MAX];
    for (size_t i = 0; i < n; i++)
        w[i] = 1.0 / (double)n;
    void *p = NULL, *q = NULL, *copy = NULL;
    assert_int_equal(B->proxy_open(f->backend, f->task, 1, &p, NULL), DUET_OK);
    assert_int_equal(B->proxy_open(f->backend, f->task, 2, &q, NULL), DUET_OK);
    for (uint64_t s = 0; s < 5; s++) {
        assert_int_equal(B->proxy_step(f->backend, p, w, 100 + s, l1, NULL), DUET_OK);
        assert_int_equal(B->proxy_step(f->backend, q, w, 100 + s, l2, NULL), DUET_OK);
        assert_memory_equal(l1, l2, n * sizeof *l1);
    }
    /* Measuring only leaves the parameters as they were. */
    assert_int_equal(B->proxy_heldout(f->backend, p, h1, NULL), DUET_OK);
    assert_int_equal(B->proxy_step(f->backend, p, NULL, 7, l1, NULL), DUET_OK);
    assert_int_equal(B->proxy_heldout(f->backend, p, h2, NULL), DUET_OK);
    assert_memory_equal(h1, h2, n * sizeof *h1);

    /* A clone continues exactly as its original, and trains independently of it. */
    assert_int_equal(B->proxy_clone(f->backend, p, &copy, NULL), DUET_OK);
    assert_int_equal(B->proxy_step(f->backend, p, w, 9, l1, NULL), DUET_OK);
    assert_int_equal(B->proxy_step(f->backend, copy, w, 9, l2, NULL), DUET_OK);
    assert_memory_equal(l1, l2, n * sizeof *l1);
    assert_int_equal(B->proxy_step(f->backend, copy, w, 10, l2, NULL), DUET_OK);
    assert_int_equal(B->proxy_heldout(f->backend, p, h1, NULL), DUET_OK);
    assert_int_equal(B->proxy_heldout(f->backend, copy, h2, NULL), DUET_OK);
    assert_memory_not_equal(h1, h2, n * sizeof *h1);
    B->proxy_close(f->backend, copy);
    B->proxy_close(f->backend, q);
    B->proxy_close(f->backend, p);
}

/* Creates a method with its defaults and `key = value` overrides of integer options. */
static void run_method(fixture *f, const char *name, const char *const *keys, const int64_t *values,
                       size_t n_values, double *ratios)
{
    const duet_method_type *type = duet_method_find(name);
    assert_non_null(type);
    char *opts = calloc(1, type->options_size);
    assert_int_equal(duet_options_defaults(type->options, opts, NULL), DUET_OK);
    for (size_t v = 0; v < n_values; v++) {
        const duet_option *o = type->options;
        while (o->name && strcmp(o->name, keys[v]) != 0)
            o++;
        assert_non_null(o->name);
        memcpy(opts + o->offset, &values[v], sizeof values[v]);
    }
    const char *names[POOL_MAX];
    for (size_t i = 0; i < f->info.n_pool; i++)
        names[i] = B->domain_name(f->backend, f->info.pool[i]);
    duet_method_env env = {.n = f->info.n_pool,
                           .domain_names = names,
                           .iterations = 2,
                           .samples = 1,
                           .seed = 5,
                           .backend_type = B,
                           .backend = f->backend,
                           .task = f->task,
                           .pool = f->info.pool};
    void *method = NULL;
    duet_error err;
    if (type->create(&env, opts, &method, &err) != DUET_OK)
        fail_msg("%s", err.msg);
    duet_proposal prop = {.ratios = ratios};
    duet_rng rng;
    duet_rng_init(&rng, 1);
    assert_int_equal(type->propose(method, 0, &rng, &prop, &err), DUET_OK);
    type->destroy(method);
    free(opts);
}

static void baselines_run_on_embedded(void **state)
{
    fixture *f = *state;
    size_t n = f->info.n_pool;
    double ratios[POOL_MAX];
    const char *doremi_keys[] = {"steps", "reference_steps"};
    const int64_t doremi_values[] = {6, 6};
    run_method(f, "doremi", doremi_keys, doremi_values, 2, ratios);
    assert_true(duet_simplex_violation(ratios, n) <= 1e-12);
    const char *odm_keys[] = {"steps"};
    const int64_t odm_values[] = {12};
    run_method(f, "online_mixing", odm_keys, odm_values, 1, ratios);
    assert_true(duet_simplex_violation(ratios, n) <= 1e-12);
    const char *aioli_keys[] = {"rounds", "round_steps", "probe_steps", "probe_sweeps"};
    const int64_t aioli_values[] = {2, 2, 2, 1};
    run_method(f, "aioli", aioli_keys, aioli_values, 4, ratios);
    assert_true(duet_simplex_violation(ratios, n) <= 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zero_model_loss_is_log_classes),
        cmocka_unit_test(training_lowers_own_domain),
        cmocka_unit_test(steps_are_deterministic),
        cmocka_unit_test(baselines_run_on_embedded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
