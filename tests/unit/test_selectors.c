/*
 * Inner selectors on a test-local backend with fixed scores and features. Draws are without
 * replacement with exact counts, and inclusion frequencies of weighted draws match successive-
 * sampling probabilities enumerated here. ESS matches its formula. remove_harmful drops exactly
 * the lowest floor(q n). logdet's greedy matches a greedy that recomputes each log det from a
 * dense Cholesky factorization, and stays below the exhaustive optimum.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selectors/selectors.h"

/* ---------------------------------------------------------------- test backend */

#define MAX_ITEMS 64

typedef struct fake_backend {
    size_t n;
    uint64_t sizes[4];
    double influence[4][MAX_ITEMS];
    double less[4][MAX_ITEMS];
    size_t dim;
    double features[4][MAX_ITEMS * 3];
} fake_backend;

static const char *const fake_names[] = {"alpha", "beta", "gamma", "delta"};

static const char *fake_domain_name(const void *state, size_t domain)
{
    return fake_names[domain];
}

static duet_status fake_item_scores(void *state, size_t domain, const char *kind, double *out,
                                    duet_error *err)
{
    fake_backend *b = state;
    const double *src = strcmp(kind, "less") == 0 ? b->less[domain] : b->influence[domain];
    memcpy(out, src, b->sizes[domain] * sizeof *out);
    return DUET_OK;
}

static duet_status fake_item_features(void *state, size_t domain, size_t *dim, double *out,
                                      duet_error *err)
{
    fake_backend *b = state;
    *dim = b->dim;
    if (out != NULL)
        memcpy(out, b->features[domain], b->sizes[domain] * b->dim * sizeof *out);
    return DUET_OK;
}

static const duet_backend_type fake_type = {
    .name = "fake",
    .domain_name = fake_domain_name,
    .item_scores = fake_item_scores,
    .item_features = fake_item_features,
};

static const duet_backend_type bare_type = {.name = "bare", .domain_name = fake_domain_name};

typedef struct harness {
    fake_backend backend;
    size_t pool[4];
    duet_selector_env env;
    duet_subset subset;
    uint64_t counts[4], offset[5], items[4 * MAX_ITEMS];
    double ess[4];
} harness;

static void harness_init(harness *h, size_t n, const uint64_t *sizes, const uint64_t *counts)
{
    memset(h, 0, sizeof *h);
    h->backend.n = n;
    for (size_t i = 0; i < n; i++) {
        h->backend.sizes[i] = sizes[i];
        h->pool[i] = i;
        h->counts[i] = counts[i];
        h->offset[i + 1] = h->offset[i] + counts[i];
    }
    h->env.n = n;
    h->env.pool = h->pool;
    h->env.domain_sizes = h->backend.sizes;
    h->env.backend_type = &fake_type;
    h->env.backend = &h->backend;
    h->subset.n_domains = n;
    h->subset.total = h->offset[n];
    h->subset.counts = h->counts;
    h->subset.offset = h->offset;
    h->subset.items = h->items;
}

static void *create(harness *h, const duet_selector_type *type, const void *options)
{
    void *state = NULL;
    duet_error err = {0};
    duet_status st = type->create(&h->env, options, &state, &err);
    if (st != DUET_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, DUET_OK);
    return state;
}

static void draw(harness *h, const duet_selector_type *type, void *state, duet_rng *rng)
{
    duet_error err = {0};
    duet_status st = type->draw(state, rng, &h->subset, h->ess, &err);
    if (st != DUET_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, DUET_OK);
}

/* Every domain's items are in range and pairwise distinct. */
static void assert_valid_draw(const harness *h)
{
    for (size_t i = 0; i < h->env.n; i++) {
        const uint64_t *it = h->items + h->offset[i];
        for (uint64_t a = 0; a < h->counts[i]; a++) {
            assert_true(it[a] < h->backend.sizes[i]);
            for (uint64_t b = 0; b < a; b++)
                assert_true(it[a] != it[b]);
        }
    }
}

/* ---------------------------------------------------------------- successive sampling */

/* Inclusion probabilities of k draws by successive sampling, by enumerating ordered draws. */
static void enumerate_inclusion(const double *w, size_t n, size_t k, unsigned taken, double prob,
                                double *incl)
{
    if (k == 0)
        return;
    double rest = 0;
    for (size_t i = 0; i < n; i++)
        if (!(taken & (1u << i)))
            rest += w[i];
    for (size_t i = 0; i < n; i++) {
        if (taken & (1u << i))
            continue;
        double pi = prob * w[i] / rest;
        incl[i] += pi;
        enumerate_inclusion(w, n, k - 1, taken | (1u << i), pi, incl);
    }
}

static double ess_of(const double *w, size_t n)
{
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i];
    for (size_t i = 0; i < n; i++)
        sq += (w[i] / sum) * (w[i] / sum);
    return 1.0 / sq;
}

/* Empirical inclusion frequencies over `reps` draws of domain 0, within 5 standard errors. */
static void check_inclusion(harness *h, const duet_selector_type *type, void *state,
                            const double *expected, size_t n, int reps, uint64_t seed)
{
    double hits[MAX_ITEMS] = {0};
    duet_rng rng;
    duet_rng_init(&rng, seed);
    for (int r = 0; r < reps; r++) {
        draw(h, type, state, &rng);
        for (uint64_t j = 0; j < h->counts[0]; j++)
            hits[h->items[j]] += 1.0;
    }
    for (size_t i = 0; i < n; i++) {
        double p = expected[i], se = sqrt(p * (1 - p) / reps);
        assert_close(hits[i] / reps, p, 0, 5 * se + 1e-12);
    }
}

static void influence_paper_inclusion_matches_enumeration(void **state)
{
    (void)state;
    const double scores[5] = {-2.0, -1.0, 0.0, 2.0, 5.0};
    const double eps = 0.5;
    double w[5];
    for (size_t i = 0; i < 5; i++)
        w[i] = scores[i] - scores[0] + eps;
    for (uint64_t k = 1; k <= 3; k++) {
        harness h;
        uint64_t sizes[1] = {5}, counts[1] = {k};
        harness_init(&h, 1, sizes, counts);
        memcpy(h.backend.influence[0], scores, sizeof scores);
        duet_selector_influence_options opt = {.rule = 0, .eps = eps, .tau = 1};
        void *sel = create(&h, &duet_selector_influence, &opt);
        double incl[5] = {0};
        enumerate_inclusion(w, 5, (size_t)k, 0, 1.0, incl);
        check_inclusion(&h, &duet_selector_influence, sel, incl, 5, 40000, 100 + k);
        assert_close(h.ess[0], ess_of(w, 5), 1e-12, 0);
        duet_selector_influence.destroy(sel);
    }
}

static void influence_tempered_inclusion_matches_enumeration(void **state)
{
    (void)state;
    const double scores[6] = {0.3, -1.2, 2.5, 0.0, 1.1, -0.4};
    const double tau = 0.7;
    double mean = 0, var = 0, w[6];
    for (size_t i = 0; i < 6; i++)
        mean += scores[i] / 6;
    for (size_t i = 0; i < 6; i++)
        var += (scores[i] - mean) * (scores[i] - mean) / 6;
    for (size_t i = 0; i < 6; i++)
        w[i] = exp((scores[i] - mean) / sqrt(var) / tau);
    harness h;
    uint64_t sizes[1] = {6}, counts[1] = {2};
    harness_init(&h, 1, sizes, counts);
    memcpy(h.backend.influence[0], scores, sizeof scores);
    duet_selector_influence_options opt = {.rule = 1, .eps = 1e-8, .tau = tau};
    void *sel = create(&h, &duet_selector_influence, &opt);
    double incl[6] = {0};
    enumerate_inclusion(w, 6, 2, 0, 1.0, incl);
    check_inclusion(&h, &duet_selector_influence, sel, incl, 6, 40000, 7);
    assert_close(h.ess[0], ess_of(w, 6), 1e-12, 0);
    duet_selector_influence.destroy(sel);
}

static void influence_draws_exact_distinct_counts(void **state)
{
    (void)state;
    harness h;
    uint64_t sizes[3] = {40, 7, 25}, counts[3] = {40, 3, 0};
    harness_init(&h, 3, sizes, counts);
    duet_rng rng;
    duet_rng_init(&rng, 3);
    for (size_t i = 0; i < 3; i++)
        for (uint64_t j = 0; j < sizes[i]; j++)
            h.backend.influence[i][j] = duet_rng_normal(&rng);
    for (int rule = 0; rule < 2; rule++) {
        duet_selector_influence_options opt = {.rule = rule, .eps = 1e-8, .tau = 0.3};
        void *sel = create(&h, &duet_selector_influence, &opt);
        for (int r = 0; r < 200; r++) {
            draw(&h, &duet_selector_influence, sel, &rng);
            assert_valid_draw(&h);
        }
        duet_selector_influence.destroy(sel);
    }
}

static void influence_rejects_count_above_size(void **state)
{
    (void)state;
    harness h;
    uint64_t sizes[2] = {5, 4}, counts[2] = {2, 5};
    harness_init(&h, 2, sizes, counts);
    duet_selector_influence_options opt = {.rule = 0, .eps = 1, .tau = 1};
    void *sel = create(&h, &duet_selector_influence, &opt);
    duet_rng rng;
    duet_rng_init(&rng, 1);
    duet_error err = {0};
    assert_int_equal(duet_selector_influence.draw(sel, &rng, &h.subset, h.ess, &err), DUET_ELIMIT);
    assert_non_null(strstr(err.msg, "domain beta needs 5 items but has only 4"));
    duet_selector_influence.destroy(sel);
}

static void selectors_need_backend_support(void **state)
{
    (void)state;
    harness h;
    uint64_t sizes[1] = {5}, counts[1] = {2};
    harness_init(&h, 1, sizes, counts);
    h.env.backend_type = &bare_type;
    void *sel = NULL;
    duet_error err = {0};
    duet_selector_influence_options opt = {.rule = 0, .eps = 1, .tau = 1};
    assert_int_equal(duet_selector_influence.create(&h.env, &opt, &sel, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "item scores"));
    assert_null(sel);
    duet_selector_logdet_options lo = {.bandwidth = 1, .candidates = 10};
    assert_int_equal(duet_selector_logdet.create(&h.env, &lo, &sel, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "item_features"));
    assert_null(sel);

    h.env.backend_type = &fake_type;
    h.backend.influence[0][3] = NAN;
    assert_int_equal(duet_selector_influence.create(&h.env, &opt, &sel, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "item 3 in domain alpha"));
    duet_selector_influence.destroy(NULL);
}

/* ---------------------------------------------------------------- remove_harmful */

static void remove_harmful_drops_lowest_fraction(void **state)
{
    (void)state;
    harness h;
    uint64_t sizes[2] = {10, 23}, counts[2] = {8, 5};
    harness_init(&h, 2, sizes, counts);
    duet_rng rng;
    duet_rng_init(&rng, 9);
    for (size_t i = 0; i < 2; i++)
        for (uint64_t j = 0; j < sizes[i]; j++)
            h.backend.influence[i][j] = duet_rng_normal(&rng);
    /* A tie at the cut in domain 0: the higher index is the one dropped. */
    h.backend.influence[0][2] = -5;
    h.backend.influence[0][6] = -4;
    h.backend.influence[0][8] = -4;
    duet_selector_remove_harmful_options opt = {.q = 0.2};
    void *sel = create(&h, &duet_selector_remove_harmful, &opt);

    /* Independent ranking: item j is dropped when floor(q n) items rank at or below it. */
    int dropped[2][MAX_ITEMS] = {{0}}, seen[2][MAX_ITEMS] = {{0}};
    for (size_t i = 0; i < 2; i++) {
        size_t n = (size_t)sizes[i], drop = (size_t)(0.2 * (double)n);
        for (size_t j = 0; j < n; j++) {
            size_t below = 0;
            for (size_t o = 0; o < n; o++) {
                double so = h.backend.influence[i][o], sj = h.backend.influence[i][j];
                below += so < sj || (so == sj && o > j);
            }
            dropped[i][j] = below < drop;
        }
    }
    assert_true(dropped[0][2]);
    assert_true(dropped[0][8]);
    assert_false(dropped[0][6]);
    for (int r = 0; r < 300; r++) {
        draw(&h, &duet_selector_remove_harmful, sel, &rng);
        assert_valid_draw(&h);
        for (size_t i = 0; i < 2; i++)
            for (uint64_t j = 0; j < counts[i]; j++)
                seen[i][h.items[h.offset[i] + j]] = 1;
    }
    for (size_t i = 0; i < 2; i++) {
        size_t kept = 0;
        for (size_t j = 0; j < sizes[i]; j++) {
            assert_int_equal(seen[i][j], !dropped[i][j]);
            kept += !dropped[i][j];
        }
        assert_close(h.ess[i], (double)kept, 0, 0);
    }
    assert_close(h.ess[0], 8.0, 0, 0);
    assert_close(h.ess[1], 19.0, 0, 0);
    duet_selector_remove_harmful.destroy(sel);

    /* Nine items of domain 0 exceed the eight it keeps. */
    counts[0] = 9;
    harness_init(&h, 2, sizes, counts);
    h.backend.influence[0][0] = 1;
    sel = create(&h, &duet_selector_remove_harmful, &opt);
    duet_error err = {0};
    assert_int_equal(duet_selector_remove_harmful.draw(sel, &rng, &h.subset, h.ess, &err),
                     DUET_ELIMIT);
    assert_non_null(strstr(err.msg, "domain alpha needs 9 items but has only 8"));
    duet_selector_remove_harmful.destroy(sel);
}

/* ---------------------------------------------------------------- less */

static void less_top_takes_highest_cosines(void **state)
{
    (void)state;
    harness h;
    uint64_t sizes[2] = {12, 6}, counts[2] = {4, 6};
    harness_init(&h, 2, sizes, counts);
    duet_rng rng;
    duet_rng_init(&rng, 4);
    for (size_t i = 0; i < 2; i++)
        for (uint64_t j = 0; j < sizes[i]; j++)
            h.backend.less[i][j] = 2 * duet_rng_uniform(&rng) - 1;
    duet_selector_less_options opt = {.draw = 0, .tau = 1};
    void *sel = create(&h, &duet_selector_less, &opt);
    draw(&h, &duet_selector_less, sel, &rng);
    assert_valid_draw(&h);
    for (size_t i = 0; i < 2; i++) {
        /* Each taken item beats every item left out. */
        int taken[MAX_ITEMS] = {0};
        for (uint64_t j = 0; j < counts[i]; j++)
            taken[h.items[h.offset[i] + j]] = 1;
        for (uint64_t a = 0; a < sizes[i]; a++)
            for (uint64_t b = 0; b < sizes[i]; b++)
                if (taken[a] && !taken[b])
                    assert_true(h.backend.less[i][a] > h.backend.less[i][b]);
        assert_close(h.ess[i], (double)counts[i], 0, 0);
    }
    duet_selector_less.destroy(sel);

    opt.draw = 1;
    opt.tau = 0.5;
    sel = create(&h, &duet_selector_less, &opt);
    for (int r = 0; r < 100; r++) {
        draw(&h, &duet_selector_less, sel, &rng);
        assert_valid_draw(&h);
    }
    double mean = 0, var = 0, w[12];
    for (size_t j = 0; j < 12; j++)
        mean += h.backend.less[0][j] / 12;
    for (size_t j = 0; j < 12; j++)
        var += (h.backend.less[0][j] - mean) * (h.backend.less[0][j] - mean) / 12;
    for (size_t j = 0; j < 12; j++)
        w[j] = exp((h.backend.less[0][j] - mean) / sqrt(var) / 0.5);
    assert_close(h.ess[0], ess_of(w, 12), 1e-12, 0);
    duet_selector_less.destroy(sel);
}

/* ---------------------------------------------------------------- logdet */

/* log det of the RBF kernel matrix over the listed items, by a dense Cholesky factorization. */
static double logdet_of(const double *x, size_t dim, const size_t *items, size_t k, double h)
{
    double a[16 * 16], sum = 0;
    for (size_t r = 0; r < k; r++)
        for (size_t c = 0; c < k; c++) {
            double d = 0;
            for (size_t j = 0; j < dim; j++) {
                double t = x[items[r] * dim + j] - x[items[c] * dim + j];
                d += t * t;
            }
            a[r * k + c] = exp(-d / (2 * h * h));
        }
    for (size_t j = 0; j < k; j++) {
        double s = a[j * k + j];
        for (size_t l = 0; l < j; l++)
            s -= a[j * k + l] * a[j * k + l];
        if (s <= 0)
            return -INFINITY;
        a[j * k + j] = sqrt(s);
        for (size_t i = j + 1; i < k; i++) {
            double t = a[i * k + j];
            for (size_t l = 0; l < j; l++)
                t -= a[i * k + l] * a[j * k + l];
            a[i * k + j] = t / a[j * k + j];
        }
        sum += 2 * log(a[j * k + j]);
    }
    return sum;
}

/* Largest log det over all k-subsets of n items, by enumeration. */
static double brute_force(const double *x, size_t dim, size_t n, size_t k, double h)
{
    double best = -INFINITY;
    size_t items[16];
    for (unsigned mask = 0; mask < (1u << n); mask++) {
        if ((size_t)__builtin_popcount(mask) != k)
            continue;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (mask & (1u << i))
                items[m++] = i;
        best = fmax(best, logdet_of(x, dim, items, k, h));
    }
    return best;
}

static void logdet_greedy_matches_dense_greedy(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 17);
    for (int rep = 0; rep < 20; rep++) {
        harness h;
        size_t n = 8 + (size_t)rep % 5, k = 2 + (size_t)rep % 4;
        uint64_t sizes[1] = {n}, counts[1] = {k};
        harness_init(&h, 1, sizes, counts);
        h.backend.dim = 3;
        for (size_t j = 0; j < n * 3; j++)
            h.backend.features[0][j] = duet_rng_normal(&rng);
        double bw = 0.8 + 0.1 * rep;
        duet_selector_logdet_options opt = {.bandwidth = bw, .candidates = 100};
        void *sel = create(&h, &duet_selector_logdet, &opt);
        draw(&h, &duet_selector_logdet, sel, &rng);
        assert_valid_draw(&h);
        assert_close(h.ess[0], (double)k, 0, 0);

        /* Greedy from scratch: each step adds the item giving the largest dense log det. */
        size_t chosen[16];
        int taken[16] = {0};
        for (size_t t = 0; t < k; t++) {
            double best = -INFINITY;
            size_t arg = n;
            for (size_t i = 0; i < n; i++) {
                if (taken[i])
                    continue;
                chosen[t] = i;
                double v = logdet_of(h.backend.features[0], 3, chosen, t + 1, bw);
                if (v > best + 1e-12) {
                    best = v;
                    arg = i;
                }
            }
            chosen[t] = arg;
            taken[arg] = 1;
            assert_int_equal(h.items[t], arg);
        }
        double greedy_value = logdet_of(h.backend.features[0], 3, chosen, k, bw);
        assert_true(greedy_value <= brute_force(h.backend.features[0], 3, n, k, bw) + 1e-12);
        duet_selector_logdet.destroy(sel);
    }
}

static void logdet_exact_optimum_on_clusters(void **state)
{
    (void)state;
    /* Three tight clusters far apart: the best 3-subset takes one item of each, and so does
     * the greedy. */
    harness h;
    uint64_t sizes[1] = {9}, counts[1] = {3};
    harness_init(&h, 1, sizes, counts);
    h.backend.dim = 1;
    for (size_t j = 0; j < 9; j++)
        h.backend.features[0][j] = 10.0 * (double)(j % 3) + 0.01 * (double)j;
    duet_selector_logdet_options opt = {.bandwidth = 1, .candidates = 100};
    void *sel = create(&h, &duet_selector_logdet, &opt);
    duet_rng rng;
    duet_rng_init(&rng, 2);
    draw(&h, &duet_selector_logdet, sel, &rng);
    size_t items[3] = {(size_t)h.items[0], (size_t)h.items[1], (size_t)h.items[2]};
    assert_close(logdet_of(h.backend.features[0], 1, items, 3, 1.0),
                 brute_force(h.backend.features[0], 1, 9, 3, 1.0), 1e-9, 1e-12);
    int cluster[3] = {0};
    for (size_t t = 0; t < 3; t++)
        cluster[items[t] % 3]++;
    assert_int_equal(cluster[0], 1);
    assert_int_equal(cluster[1], 1);
    assert_int_equal(cluster[2], 1);
    duet_selector_logdet.destroy(sel);
}

static void logdet_candidate_subsample(void **state)
{
    (void)state;
    harness h;
    uint64_t sizes[2] = {60, 30}, counts[2] = {12, 30};
    harness_init(&h, 2, sizes, counts);
    h.backend.dim = 2;
    duet_rng rng;
    duet_rng_init(&rng, 5);
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < sizes[i] * 2; j++)
            h.backend.features[i][j] = duet_rng_normal(&rng);
    duet_selector_logdet_options opt = {.bandwidth = 0, .candidates = 20};
    void *sel = create(&h, &duet_selector_logdet, &opt);
    int seen[MAX_ITEMS] = {0};
    for (int r = 0; r < 50; r++) {
        draw(&h, &duet_selector_logdet, sel, &rng);
        assert_valid_draw(&h);
        for (size_t j = 0; j < 12; j++)
            seen[h.items[j]] = 1;
    }
    /* Random candidate subsets let more than 20 distinct items appear over the draws. */
    size_t distinct = 0;
    for (size_t j = 0; j < 60; j++)
        distinct += (size_t)seen[j];
    assert_true(distinct > 20);
    duet_selector_logdet.destroy(sel);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(influence_paper_inclusion_matches_enumeration),
        cmocka_unit_test(influence_tempered_inclusion_matches_enumeration),
        cmocka_unit_test(influence_draws_exact_distinct_counts),
        cmocka_unit_test(influence_rejects_count_above_size),
        cmocka_unit_test(selectors_need_backend_support),
        cmocka_unit_test(remove_harmful_drops_lowest_fraction),
        cmocka_unit_test(less_top_takes_highest_cosines),
        cmocka_unit_test(logdet_greedy_matches_dense_greedy),
        cmocka_unit_test(logdet_exact_optimum_on_clusters),
        cmocka_unit_test(logdet_candidate_subsample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
