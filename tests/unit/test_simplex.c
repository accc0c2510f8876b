/* Simplex projection, floors and largest-remainder counts against independent computations. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"
#include "util/simplex.h"

/* The projection threshold found by bisection on sum(max(v - t, 0)) = 1. */
static double threshold_by_bisection(const double *v, size_t n)
{
    double lo = -1e6, hi = 1e6;
    for (int it = 0; it < 400; it++) {
        double mid = 0.5 * (lo + hi), s = 0;
        for (size_t i = 0; i < n; i++)
            s += v[i] > mid ? v[i] - mid : 0;
        if (s > 1)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void projection_matches_bisection(void **state)
{
    (void)state;
    duet_rng r;
    duet_rng_init(&r, 1);
    for (int rep = 0; rep < 500; rep++) {
        size_t n = 2 + rep % 19;
        double v[20], p[20], work[20];
        for (size_t i = 0; i < n; i++)
            v[i] = 3.0 * duet_rng_normal(&r);
        memcpy(p, v, sizeof v);
        duet_simplex_project(p, n, work);
        double t = threshold_by_bisection(v, n);
        for (size_t i = 0; i < n; i++) {
            double expected = v[i] > t ? v[i] - t : 0;
            assert_close(p[i], expected, 0, 1e-9);
            assert_true(p[i] >= 0);
        }
        assert_true(duet_simplex_violation(p, n) <= 1e-12);
    }
}

static void projection_is_nearest_point(void **state)
{
    (void)state;
    duet_rng r;
    duet_rng_init(&r, 2);
    double v[5] = {0.9, -0.2, 0.4, 0.1, 0.3}, p[5], work[5];
    memcpy(p, v, sizeof v);
    duet_simplex_project(p, 5, work);
    double best = 0;
    for (int i = 0; i < 5; i++)
        best += (v[i] - p[i]) * (v[i] - p[i]);
    for (int rep = 0; rep < 20000; rep++) {
        double q[5], d = 0;
        duet_rng_dirichlet(&r, 5, NULL, q);
        for (int i = 0; i < 5; i++)
            d += (v[i] - q[i]) * (v[i] - q[i]);
        assert_true(d >= best - 1e-12);
    }
}

static void floor_and_drop_keep_simplex(void **state)
{
    (void)state;
    double r[4] = {0.7, 0.28, 0.02, 0.0};
    duet_simplex_apply_floor(r, 4, 0.05);
    for (int i = 0; i < 4; i++)
        assert_true(r[i] >= 0.05 - 1e-15);
    assert_true(duet_simplex_violation(r, 4) <= 1e-12);

    double s[4] = {0.7, 0.26, 0.04, 0.0};
    duet_simplex_drop_below(s, 4, 0.05);
    assert_true(s[2] == 0.0 && s[3] == 0.0);
    assert_close(s[0], 0.7 / 0.96, 1e-12, 0);
    assert_true(duet_simplex_violation(s, 4) <= 1e-12);
}

/* Largest remainder computed independently: sort indices by fractional part. */
static void counts_reference(const double *r, size_t n, uint64_t total, uint64_t *out)
{
    double frac[32];
    uint64_t used = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = (uint64_t)floor(total * r[i]);
        frac[i] = total * r[i] - floor(total * r[i]);
        used += out[i];
    }
    while (used < total) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (frac[i] > frac[best])
                best = i;
        out[best]++;
        frac[best] = -1;
        used++;
    }
}

static void counts_sum_exactly_and_match_reference(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 4);
    for (int rep = 0; rep < 2000; rep++) {
        size_t n = 2 + rep % 15;
        uint64_t total = 1 + duet_rng_below(&rng, 20000);
        double r[32];
        uint64_t c[32], ref[32];
        duet_rng_dirichlet(&rng, n, NULL, r);
        assert_int_equal(duet_simplex_counts(r, n, total, NULL, c, NULL), DUET_OK);
        counts_reference(r, n, total, ref);
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            sum += c[i];
            assert_true(fabs((double)c[i] - total * r[i]) < 1.0 + 1e-9);
            assert_int_equal(c[i], ref[i]);
        }
        assert_int_equal(sum, total);
    }
}

static void counts_respect_capacity(void **state)
{
    (void)state;
    double r[3] = {0.8, 0.1, 0.1};
    uint64_t cap[3] = {500, 10000, 10000}, c[3];
    assert_int_equal(duet_simplex_counts(r, 3, 1000, cap, c, NULL), DUET_OK);
    assert_int_equal(c[0], 500);
    assert_int_equal(c[1] + c[2], 500);
    assert_int_equal(c[1], 250);

    uint64_t small[3] = {100, 100, 100};
    duet_error err;
    assert_int_equal(duet_simplex_counts(r, 3, 1000, small, c, &err), DUET_ELIMIT);
    assert_non_null(strstr(err.msg, "1000"));
}

static void counts_reject_off_simplex(void **state)
{
    (void)state;
    double r[2] = {0.7, 0.7};
    uint64_t c[2];
    duet_error err;
    assert_int_equal(duet_simplex_counts(r, 2, 10, NULL, c, &err), DUET_EINVAL);
    double bad[2] = {NAN, 1.0};
    assert_int_equal(duet_simplex_counts(bad, 2, 10, NULL, c, &err), DUET_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(projection_matches_bisection),
        cmocka_unit_test(projection_is_nearest_point),
        cmocka_unit_test(floor_and_drop_keep_simplex),
        cmocka_unit_test(counts_sum_exactly_and_match_reference),
        cmocka_unit_test(counts_respect_capacity),
        cmocka_unit_test(counts_reject_off_simplex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
