/*
 * Allocation failures in influence scoring and the selectors: with the failing allocator of a
 * DUET_FAULT_INJECTION build, the n-th allocation fails for n = 0, 1, ... until an operation
 * completes. Each attempt must report DUET_ENOMEM or succeed, and (under the sanitizers) leak
 * nothing. Other builds skip these tests.
 */
#include "testutil.h"

#include <string.h>

#include "influence/influence.h"
#include "influence_fixture.h"
#include "selectors/selectors.h"
#include "util/mem.h"

typedef duet_status (*operation)(void *context);

/* Runs op with the n-th allocation failing, for every n until op needs no more allocations. */
static void fail_each_allocation(operation op, void *context)
{
#ifndef DUET_FAULT_INJECTION
    (void)op;
    (void)context;
    skip();
#else
    for (long n = 0; n < 100000; n++) {
        duet_mem_fail_after(n);
        duet_status st = op(context);
        long attempts = duet_mem_alloc_count();
        duet_mem_fail_after(-1);
        if (st != DUET_OK && st != DUET_ENOMEM)
            print_error("allocation %ld failing gave status %d\n", n, (int)st);
        assert_true(st == DUET_OK || st == DUET_ENOMEM);
        if (attempts <= n) {
            assert_int_equal(st, DUET_OK);
            return;
        }
    }
    fail();
#endif
}

typedef struct scoring {
    fixture f;
    const duet_influence_estimator *est;
    double scores[40];
} scoring;

static duet_status score_once(void *context)
{
    scoring *s = context;
    duet_influence_settings st;
    duet_error err;
    duet_status status = duet_influence_settings_defaults(s->est, &st, &err);
    if (s->est == &duet_influence_datainf)
        st.blocks = 3;
    duet_influence_problem pb = {&s->f.model, s->f.theta, s->f.train, s->f.n_train};
    if (status == DUET_OK)
        status = duet_influence_scores(&pb, s->f.heldout, s->f.n_heldout, s->est, &st, s->scores,
                                       NULL, &err);
    if (status == DUET_OK)
        status = duet_influence_less_scores(&pb, s->f.heldout, s->f.n_heldout, s->scores, &err);
    return status;
}

static void scores_survive_allocation_failures(void **state)
{
    (void)state;
#ifndef DUET_FAULT_INJECTION
    skip(); /* before the fixture exists, so that skipping leaks nothing */
#endif
    scoring s;
    assert_int_equal(fixture_init(&s.f, 41, 40, 20, 2, 3, 0.05), 0);
    for (size_t e = 0; duet_influence_estimators[e] != NULL; e++) {
        s.est = duet_influence_estimators[e];
        fail_each_allocation(score_once, &s);
    }
    fixture_free(&s.f);
}

/* A backend of two domains with fixed scores and two-dimensional features. */
static const char *test_domain_name(const void *state, size_t domain)
{
    return domain ? "beta" : "alpha";
}

static duet_status test_item_scores(void *state, size_t domain, const char *kind, double *out,
                                    duet_error *err)
{
    for (size_t i = 0; i < 12; i++)
        out[i] = (double)((i * 7 + domain) % 5);
    return DUET_OK;
}

static duet_status test_item_features(void *state, size_t domain, size_t *dim, double *out,
                                      duet_error *err)
{
    *dim = 2;
    for (size_t i = 0; out != NULL && i < 24; i++)
        out[i] = (double)((i * 3 + domain) % 7);
    return DUET_OK;
}

static const duet_backend_type test_backend = {
    .name = "test",
    .domain_name = test_domain_name,
    .item_scores = test_item_scores,
    .item_features = test_item_features,
};

typedef struct selecting {
    const duet_selector_type *type;
    const void *options;
} selecting;

static duet_status select_once(void *context)
{
    selecting *c = context;
    size_t pool[2] = {0, 1};
    uint64_t sizes[2] = {12, 12}, counts[2] = {4, 3}, offset[3] = {0, 4, 7}, items[7];
    duet_selector_env env = {2, pool, sizes, &test_backend, NULL, NULL};
    duet_subset subset = {2, 7, counts, offset, items};
    double ess[2];
    duet_rng rng;
    duet_rng_init(&rng, 1);
    void *sel = NULL;
    duet_error err;
    duet_status st = c->type->create(&env, c->options, &sel, &err);
    if (st == DUET_OK)
        st = c->type->draw(sel, &rng, &subset, ess, &err);
    c->type->destroy(sel);
    return st;
}

static void selectors_survive_allocation_failures(void **state)
{
    (void)state;
    duet_selector_influence_options influence = {1, 1e-8, 0.5};
    duet_selector_remove_harmful_options harmful = {0.2};
    duet_selector_less_options less = {1, 1.0};
    duet_selector_logdet_options logdet = {0, 8};
    selecting cases[] = {
        {&duet_selector_influence, &influence},
        {&duet_selector_remove_harmful, &harmful},
        {&duet_selector_less, &less},
        {&duet_selector_logdet, &logdet},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        fail_each_allocation(select_once, &cases[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scores_survive_allocation_failures),
        cmocka_unit_test(selectors_survive_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
