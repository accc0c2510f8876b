/*
 * The embedded backend on a pool imported from the committed fixture: pool path resolution,
 * task pools for each setting and type, option checks, deterministic and seed-dependent
 * feedback, and sanity values of in-domain training against training on another domain.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/embedded.h"
#include "data/pool.h"

typedef struct fixture {
    char dir[512];
    void *backend;
} fixture;

static const duet_backend_type *B = &duet_backend_embedded;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", duet_test_tmpdir("backend"));
    char path[700];
    snprintf(path, sizeof path, "%s/tiny.h5", f->dir);
    duet_error err;
    assert_int_equal(duet_pool_import(duet_pool_preset_find("tiny"), DUET_TEST_FIXTURES "/raw",
                                      path, 1, NULL, &err),
                     DUET_OK);
    duet_embedded_options o;
    duet_embedded_default_options(&o);
    o.pool = (char *)"tiny";
    o.eval_size = 20;
    o.buckets = 1024; /* smaller models keep the sanitizer build fast on the tiny pool */
    o.pos_buckets = 4096;
    duet_backend_env env = {NULL, 1, NULL, f->dir};
    assert_int_equal(B->open(&o, &env, &f->backend, &err), DUET_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    B->close(f->backend);
    free(f);
    return 0;
}

static duet_embedded_task_options task_options(int type, const char *eval1, const char *eval2,
                                               int setting)
{
    static char *names[2];
    names[0] = (char *)eval1;
    names[1] = (char *)eval2;
    duet_embedded_task_options o;
    memset(&o, 0, sizeof o);
    o.type = type;
    o.eval.n = eval2 ? 2 : 1;
    o.eval.v = names;
    o.setting = setting;
    o.metric = DUET_EMBEDDED_METRIC_DEFAULT;
    o.eval_size = -1;
    o.temperature = -1;
    return o;
}

static size_t domain_index(void *backend, const char *name)
{
    for (size_t d = 0; d < B->domain_count(backend); d++)
        if (strcmp(B->domain_name(backend, d), name) == 0)
            return d;
    fail_msg("no domain %s", name);
    return 0;
}

/* A subset taking the first `count` records of each pool position listed in `take`. */
static void make_subset(duet_subset *s, const duet_task_info *info, void *backend, const int *take,
                        uint64_t count)
{
    memset(s, 0, sizeof *s);
    s->n_domains = info->n_pool;
    s->counts = calloc(info->n_pool, sizeof *s->counts);
    s->offset = calloc(info->n_pool + 1, sizeof *s->offset);
    s->items = calloc(count * info->n_pool + 1, sizeof *s->items);
    for (size_t i = 0; i < info->n_pool; i++) {
        uint64_t size = B->domain_size(backend, info->pool[i]);
        uint64_t available = count < size ? count : size;
        s->counts[i] = take[i] ? available : 0;
        s->offset[i + 1] = s->offset[i] + s->counts[i];
        for (uint64_t k = 0; k < s->counts[i]; k++)
            s->items[s->offset[i] + k] = k;
    }
    s->total = s->offset[info->n_pool];
}

static void free_subset(duet_subset *s)
{
    free(s->counts);
    free(s->offset);
    free(s->items);
}

static void domains_and_sizes(void **state)
{
    fixture *f = *state;
    assert_int_equal(B->domain_count(f->backend), 8);
    assert_string_equal(B->domain_name(f->backend, 0), "brown_press");
    assert_true(B->domain_size(f->backend, domain_index(f->backend, "kjv")) > 50);
}

static void missing_pool_explains_import(void **state)
{
    (void)state;
    duet_embedded_options o;
    duet_embedded_default_options(&o);
    o.pool = (char *)"absent";
    duet_backend_env env = {NULL, 1, "/nonexistent/script", "/nonexistent/data"};
    void *backend = NULL;
    duet_error err;
    assert_int_equal(B->open(&o, &env, &backend, &err), DUET_ENOTFOUND);
    assert_null(backend);
    assert_non_null(strstr(err.msg, "/nonexistent/data/absent.h5"));
    assert_non_null(strstr(err.msg, "/nonexistent/script/absent.h5"));
    assert_non_null(strstr(err.msg, "'absent' is not a pool preset"));
    assert_null(strstr(err.msg, "--preset absent"));
    /* A missing pool that a preset builds gets the import command. */
    o.pool = (char *)"tiny";
    assert_int_equal(B->open(&o, &env, &backend, &err), DUET_ENOTFOUND);
    assert_non_null(strstr(err.msg, "duet data import --preset tiny -o /nonexistent/data/tiny.h5"));
}

/* A pool missing from the data folder is found beside the script. */
static void pool_found_beside_script(void **state)
{
    fixture *f = *state;
    duet_embedded_options o;
    duet_embedded_default_options(&o);
    o.pool = (char *)"tiny.h5";
    duet_backend_env env = {NULL, 1, f->dir, "/nonexistent/data"};
    void *backend = NULL;
    duet_error err;
    assert_int_equal(B->open(&o, &env, &backend, &err), DUET_OK);
    B->close(backend);
}

static void pools_by_setting_and_type(void **state)
{
    fixture *f = *state;
    struct {
        int type, setting;
        const char *eval;
        size_t n_pool;
    } cases[] = {
        {DUET_EMBEDDED_LM, DUET_EMBEDDED_OUT_OF_DOMAIN, "kjv", 7},
        {DUET_EMBEDDED_LM, DUET_EMBEDDED_IN_DOMAIN, "kjv", 8},
        {DUET_EMBEDDED_POS, DUET_EMBEDDED_IN_DOMAIN, "brown_press", 3},
        {DUET_EMBEDDED_POS, DUET_EMBEDDED_OUT_OF_DOMAIN, "brown_press", 2},
    };
    size_t kjv = domain_index(f->backend, "kjv"), press = domain_index(f->backend, "brown_press");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        duet_embedded_task_options o =
            task_options(cases[c].type, cases[c].eval, NULL, cases[c].setting);
        void *task;
        duet_task_info info;
        duet_error err;
        assert_int_equal(B->task_open(f->backend, "t", &o, 0, &task, &info, &err), DUET_OK);
        assert_int_equal(info.n_pool, cases[c].n_pool);
        int has_eval = 0;
        for (size_t i = 0; i < info.n_pool; i++)
            has_eval |= info.pool[i] == (cases[c].type == DUET_EMBEDDED_LM ? kjv : press);
        assert_int_equal(has_eval, cases[c].setting == DUET_EMBEDDED_IN_DOMAIN);
        assert_int_equal(info.goal, cases[c].type == DUET_EMBEDDED_LM ? DUET_GOAL_MINIMIZE
                                                                      : DUET_GOAL_MAXIMIZE);
        assert_false(info.optimum_known);
        B->task_close(f->backend, task);
    }
}

static void invalid_tasks_rejected(void **state)
{
    fixture *f = *state;
    void *task = NULL;
    duet_task_info info;
    duet_error err;
    duet_embedded_task_options o =
        task_options(DUET_EMBEDDED_LM, "gsm8k", NULL, DUET_EMBEDDED_OUT_OF_DOMAIN);
    assert_int_equal(B->task_open(f->backend, "t", &o, 0, &task, &info, &err), DUET_ENOTFOUND);
    assert_non_null(strstr(err.msg, "gsm8k"));
    assert_non_null(strstr(err.msg, "jargon"));
    o = task_options(DUET_EMBEDDED_POS, "kjv", NULL, DUET_EMBEDDED_IN_DOMAIN);
    assert_int_equal(B->task_open(f->backend, "t", &o, 0, &task, &info, &err), DUET_ENOTFOUND);
    assert_non_null(strstr(err.msg, "tagged"));
    o = task_options(DUET_EMBEDDED_LM, "kjv", NULL, DUET_EMBEDDED_IN_DOMAIN);
    o.temperature = 0.75;
    assert_int_equal(B->task_open(f->backend, "t", &o, 0, &task, &info, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "accuracy"));
    o = task_options(DUET_EMBEDDED_POS, "brown_press", NULL, DUET_EMBEDDED_IN_DOMAIN);
    o.metric = DUET_EMBEDDED_BPC;
    assert_int_equal(B->task_open(f->backend, "t", &o, 0, &task, &info, &err), DUET_EINVAL);
    assert_null(task);
}

/* Opens a task, evaluates `take` of its pool with seed, closes it; returns the feedback. */
static double feedback_of(fixture *f, duet_embedded_task_options *o, const char *only_domain,
                          uint64_t count, uint64_t seed, duet_eval_result *result)
{
    void *task;
    duet_task_info info;
    duet_error err;
    assert_int_equal(B->task_open(f->backend, "t", o, 0, &task, &info, &err), DUET_OK);
    int take[64];
    for (size_t i = 0; i < info.n_pool; i++)
        take[i] = only_domain == NULL ||
                  strcmp(B->domain_name(f->backend, info.pool[i]), only_domain) == 0;
    duet_subset s;
    make_subset(&s, &info, f->backend, take, count);
    duet_status status = B->evaluate(f->backend, task, &s, seed, result, &err);
    if (status != DUET_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(status, DUET_OK);
    free_subset(&s);
    B->task_close(f->backend, task);
    return result->feedback;
}

/* The seed picks the evaluation sample (20 of kjv's 36 eval records), so it moves the bpc. */
static void feedback_deterministic_per_seed(void **state)
{
    fixture *f = *state;
    duet_embedded_task_options o =
        task_options(DUET_EMBEDDED_LM, "kjv", NULL, DUET_EMBEDDED_OUT_OF_DOMAIN);
    duet_eval_result a, b, c;
    feedback_of(f, &o, NULL, 30, 7, &a);
    feedback_of(f, &o, NULL, 30, 7, &b);
    feedback_of(f, &o, NULL, 30, 8, &c);
    assert_memory_equal(&a.feedback, &b.feedback, sizeof a.feedback);
    assert_true(a.feedback != c.feedback);
    assert_true(a.seconds >= 0.0);
    assert_true(isnan(a.value));
}

/* Sampled accuracy varies with the seed even on a fixed evaluation sample. */
static void sampled_accuracy_depends_on_seed(void **state)
{
    fixture *f = *state;
    duet_embedded_task_options o =
        task_options(DUET_EMBEDDED_POS, "brown_press", NULL, DUET_EMBEDDED_IN_DOMAIN);
    o.temperature = 0.75;
    o.eval_size = 1000; /* the whole eval split: only the sampling differs between seeds */
    duet_eval_result a, b, argmax;
    feedback_of(f, &o, NULL, 100, 1, &a);
    feedback_of(f, &o, NULL, 100, 2, &b);
    assert_true(a.feedback != b.feedback);
    o.temperature = 0.0;
    double first = feedback_of(f, &o, NULL, 100, 1, &argmax);
    assert_true(feedback_of(f, &o, NULL, 100, 2, &argmax) == first);
}

static void multi_domain_feedback_is_mean(void **state)
{
    fixture *f = *state;
    duet_embedded_task_options o =
        task_options(DUET_EMBEDDED_LM, "kjv", "wordnet", DUET_EMBEDDED_OUT_OF_DOMAIN);
    duet_eval_result r;
    feedback_of(f, &o, NULL, 40, 3, &r);
    assert_int_equal(r.n_metrics, 2);
    assert_close(r.feedback, (r.metrics[0] + r.metrics[1]) / 2, 1e-15, 0);
    assert_true(r.metrics[0] != r.metrics[1]);
}

/* In-domain training beats training on a different kind of text, for both task types. */
static void in_domain_training_helps(void **state)
{
    fixture *f = *state;
    duet_eval_result r;
    duet_embedded_task_options lm =
        task_options(DUET_EMBEDDED_LM, "kjv", NULL, DUET_EMBEDDED_IN_DOMAIN);
    double own = feedback_of(f, &lm, "kjv", 120, 5, &r);
    double other = feedback_of(f, &lm, "jargon", 120, 5, &r);
    print_message("kjv bits per character: trained on kjv %.3f, on jargon %.3f\n", own, other);
    assert_true(own < other);
    assert_true(own < log2(96.0) / 2);

    duet_embedded_task_options pos =
        task_options(DUET_EMBEDDED_POS, "brown_learned", NULL, DUET_EMBEDDED_IN_DOMAIN);
    double accuracy = feedback_of(f, &pos, NULL, 200, 5, &r);
    print_message("brown_learned tagging accuracy with 3 tagged domains: %.3f\n", accuracy);
    assert_true(accuracy > 0.7);
    assert_true(accuracy <= 1.0);
}

static void bad_subset_rejected(void **state)
{
    fixture *f = *state;
    duet_embedded_task_options o =
        task_options(DUET_EMBEDDED_LM, "kjv", NULL, DUET_EMBEDDED_OUT_OF_DOMAIN);
    void *task;
    duet_task_info info;
    duet_error err;
    assert_int_equal(B->task_open(f->backend, "t", &o, 0, &task, &info, &err), DUET_OK);
    int take[64] = {1};
    duet_subset s;
    make_subset(&s, &info, f->backend, take, 5);
    s.items[0] = 1000000;
    duet_eval_result r;
    assert_int_equal(B->evaluate(f->backend, task, &s, 1, &r, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "1000000"));
    s.n_domains = 3;
    assert_int_equal(B->evaluate(f->backend, task, &s, 1, &r, &err), DUET_EINVAL);
    free_subset(&s);
    B->task_close(f->backend, task);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(domains_and_sizes),
        cmocka_unit_test(missing_pool_explains_import),
        cmocka_unit_test(pool_found_beside_script),
        cmocka_unit_test(pools_by_setting_and_type),
        cmocka_unit_test(invalid_tasks_rejected),
        cmocka_unit_test(feedback_deterministic_per_seed),
        cmocka_unit_test(sampled_accuracy_depends_on_seed),
        cmocka_unit_test(multi_domain_feedback_is_mean),
        cmocka_unit_test(in_domain_training_helps),
        cmocka_unit_test(bad_subset_rejected),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
