/* The synthetic backend: its stated optimum is attained by the subset that the formula says
 * attains it, no subset exceeds it, and evaluations are deterministic in their seed. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "backends/synthetic.h"
#include "util/mem.h"
#include "util/rng.h"
#include "util/simplex.h"

typedef struct fixture {
    void *backend, *task;
    duet_task_info info;
    void *opts, *task_opts;
} fixture;

static void open_fixture(fixture *f, const double *optimum, size_t n, uint64_t points)
{
    const duet_backend_type *b = &duet_backend_synthetic;
    f->opts = duet_calloc(1, b->options_size);
    f->task_opts = duet_calloc(1, b->task_options_size);
    assert_int_equal(duet_options_defaults(b->options, f->opts, NULL), DUET_OK);
    assert_int_equal(duet_options_defaults(b->task_options, f->task_opts, NULL), DUET_OK);
    *(int64_t *)f->opts = (int64_t)n;                 /* "domains" is the first field */
    duet_doubles *opt = (duet_doubles *)f->task_opts; /* "optimum" is the first field */
    duet_free(opt->v);
    opt->v = duet_malloc(n * sizeof *opt->v);
    memcpy(opt->v, optimum, n * sizeof *opt->v);
    opt->n = n;
    duet_backend_env env = {.seed = 5};
    assert_int_equal(b->open(f->opts, &env, &f->backend, NULL), DUET_OK);
    assert_int_equal(b->task_open(f->backend, "t", f->task_opts, points, &f->task, &f->info, NULL),
                     DUET_OK);
}

static void close_fixture(fixture *f)
{
    const duet_backend_type *b = &duet_backend_synthetic;
    b->task_close(f->backend, f->task);
    b->close(f->backend);
    duet_options_free(b->task_options, f->task_opts);
    duet_free(f->opts);
    duet_free(f->task_opts);
}

/* Builds the subset of `counts` items per domain taking items in decreasing quality. */
static void best_items(fixture *f, const uint64_t *counts, size_t n, duet_subset *s)
{
    assert_int_equal(duet_subset_init(s, n, counts, NULL), DUET_OK);
    uint64_t size = duet_backend_synthetic.domain_size(f->backend, 0);
    double *q = duet_malloc(size * sizeof *q);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(duet_backend_synthetic.item_scores(f->backend, i, "quality", q, NULL),
                         DUET_OK);
        uint64_t taken = 0;
        for (uint64_t j = 0; j < size && taken < counts[i]; j++)
            if (q[j] == 1.0)
                s->items[s->offset[i] + taken++] = j;
        assert_int_equal(taken, counts[i]);
    }
    duet_free(q);
}

static void optimum_attained_exactly(void **state)
{
    (void)state;
    const double r_star[4] = {0.37, 0.33, 0.2, 0.1};
    const uint64_t M = 997;
    fixture f;
    open_fixture(&f, r_star, 4, M);
    assert_int_equal(f.info.optimum_known, 1);
    /* Independent computation: nearest lattice point of sum M, then the formula. */
    uint64_t counts[4] = {369, 329, 199, 100}; /* 997 r* = 368.89, 329.01, 199.4, 99.7 */
    double d2 = 0;
    for (int i = 0; i < 4; i++)
        d2 += pow((double)counts[i] / (double)M - r_star[i], 2);
    double expected = 1.0 * exp(-d2 / (2 * 0.25 * 0.25)) + 0.2;
    assert_close(f.info.optimum, expected, 1e-15, 0);
    duet_subset s;
    best_items(&f, counts, 4, &s);
    duet_eval_result out;
    assert_int_equal(duet_backend_synthetic.evaluate(f.backend, f.task, &s, 1, &out, NULL),
                     DUET_OK);
    assert_close(out.value, f.info.optimum, 1e-14, 0);
    duet_subset_free(&s);
    close_fixture(&f);
}

static void no_subset_exceeds_optimum(void **state)
{
    (void)state;
    const double r_star[3] = {0.5, 0.3, 0.2};
    fixture f;
    open_fixture(&f, r_star, 3, 200);
    duet_rng rng;
    duet_rng_init(&rng, 77);
    for (int rep = 0; rep < 300; rep++) {
        double r[3];
        uint64_t counts[3];
        duet_rng_dirichlet(&rng, 3, NULL, r);
        assert_int_equal(duet_simplex_counts(r, 3, 200, NULL, counts, NULL), DUET_OK);
        duet_subset s;
        assert_int_equal(duet_subset_init(&s, 3, counts, NULL), DUET_OK);
        for (size_t i = 0; i < 3; i++)
            duet_rng_choose(&rng, 4000, counts[i], s.items + s.offset[i]);
        duet_eval_result out;
        assert_int_equal(duet_backend_synthetic.evaluate(f.backend, f.task, &s, 9, &out, NULL),
                         DUET_OK);
        assert_true(out.value <= f.info.optimum + 1e-15);
        duet_eval_result again;
        assert_int_equal(duet_backend_synthetic.evaluate(f.backend, f.task, &s, 9, &again, NULL),
                         DUET_OK);
        assert_true(memcmp(&out.feedback, &again.feedback, sizeof(double)) == 0);
        duet_eval_result other;
        assert_int_equal(duet_backend_synthetic.evaluate(f.backend, f.task, &s, 10, &other, NULL),
                         DUET_OK);
        assert_true(other.feedback != out.feedback);
        assert_true(other.value == out.value);
        duet_subset_free(&s);
    }
    close_fixture(&f);
}

static void bad_items_rejected(void **state)
{
    (void)state;
    const double r_star[2] = {0.5, 0.5};
    fixture f;
    open_fixture(&f, r_star, 2, 10);
    uint64_t counts[2] = {5, 5};
    duet_subset s;
    assert_int_equal(duet_subset_init(&s, 2, counts, NULL), DUET_OK);
    for (size_t j = 0; j < 10; j++)
        s.items[j] = j;
    s.items[7] = 4000; /* one past the last item */
    duet_eval_result out;
    duet_error err;
    assert_int_equal(duet_backend_synthetic.evaluate(f.backend, f.task, &s, 1, &out, &err),
                     DUET_EINVAL);
    assert_non_null(strstr(err.msg, "item 4000"));
    duet_subset_free(&s);
    close_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(optimum_attained_exactly),
        cmocka_unit_test(no_subset_exceeds_optimum),
        cmocka_unit_test(bad_items_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
