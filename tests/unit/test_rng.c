/* Philox known answers, stream independence and distribution moments. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "util/rng.h"

/* Known-answer vectors published with Random123 (kat_vectors, philox4x32 with 10 rounds). */
static void philox_known_answers(void **state)
{
    (void)state;
    static const struct {
        uint32_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
         {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
         {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint32_t out[4];
        duet_philox4x32_10(kat[i].ctr, kat[i].key, out);
        for (int j = 0; j < 4; j++)
            assert_int_equal(out[j], kat[i].out[j]);
    }
}

static void derived_streams_differ(void **state)
{
    (void)state;
    uint64_t base = duet_seed_index(0, 7);
    uint64_t a = duet_seed_label(base, "method:duet");
    uint64_t b = duet_seed_label(base, "method:uniform");
    assert_true(a != b);
    assert_true(duet_seed_label(base, "method:duet") == a);
    duet_rng ra, rb;
    duet_rng_init(&ra, a);
    duet_rng_init(&rb, b);
    int same = 0;
    for (int i = 0; i < 64; i++)
        same += duet_rng_u32(&ra) == duet_rng_u32(&rb);
    assert_true(same < 3);
}

static void same_key_same_sequence(void **state)
{
    (void)state;
    duet_rng a, b;
    duet_rng_init(&a, 12345);
    duet_rng_init(&b, 12345);
    for (int i = 0; i < 1000; i++)
        assert_true(duet_rng_uniform(&a) == duet_rng_uniform(&b));
}

static void uniform_and_normal_moments(void **state)
{
    (void)state;
    duet_rng r;
    duet_rng_init(&r, 99);
    const int n = 200000;
    double su = 0, suu = 0, sn = 0, snn = 0;
    for (int i = 0; i < n; i++) {
        double u = duet_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        su += u;
        suu += u * u;
        double z = duet_rng_normal(&r);
        sn += z;
        snn += z * z;
    }
    /* Tolerances are about five standard errors of each estimate. */
    assert_close(su / n, 0.5, 0, 5 * sqrt(1.0 / 12 / n));
    assert_close(suu / n - (su / n) * (su / n), 1.0 / 12, 0, 0.002);
    assert_close(sn / n, 0.0, 0, 5 / sqrt((double)n));
    assert_close(snn / n, 1.0, 0, 5 * sqrt(2.0 / n));
}

static void gamma_moments(void **state)
{
    (void)state;
    const double shapes[] = {0.3, 1.0, 2.5, 9.0};
    duet_rng r;
    duet_rng_init(&r, 5);
    for (size_t s = 0; s < 4; s++) {
        const int n = 100000;
        double a = shapes[s], sum = 0, sum2 = 0;
        for (int i = 0; i < n; i++) {
            double g = duet_rng_gamma(&r, a);
            assert_true(g >= 0);
            sum += g;
            sum2 += g * g;
        }
        double mean = sum / n, var = sum2 / n - mean * mean;
        /* Gamma(a, 1) has mean a and variance a. */
        assert_close(mean, a, 0, 5 * sqrt(a / n));
        assert_close(var, a, 0.05, 0);
    }
}

static void dirichlet_on_simplex_with_mean(void **state)
{
    (void)state;
    const double alpha[3] = {1.0, 2.0, 5.0};
    duet_rng r;
    duet_rng_init(&r, 11);
    double mean[3] = {0};
    const int n = 50000;
    for (int i = 0; i < n; i++) {
        double x[3];
        duet_rng_dirichlet(&r, 3, alpha, x);
        double s = 0;
        for (int j = 0; j < 3; j++) {
            assert_true(x[j] >= 0);
            s += x[j];
            mean[j] += x[j] / n;
        }
        assert_close(s, 1.0, 0, 1e-12);
    }
    for (int j = 0; j < 3; j++)
        assert_close(mean[j], alpha[j] / 8.0, 0, 0.005);
}

static void choose_is_uniform_and_distinct(void **state)
{
    (void)state;
    duet_rng r;
    duet_rng_init(&r, 3);
    enum { N = 10, K = 4, REPS = 40000 };
    int hits[N] = {0};
    for (int rep = 0; rep < REPS; rep++) {
        uint64_t out[K];
        duet_rng_choose(&r, N, K, out);
        for (int j = 0; j < K; j++) {
            assert_true(out[j] < N);
            if (j > 0)
                assert_true(out[j] > out[j - 1]);
            hits[out[j]]++;
        }
    }
    /* Each item is chosen with probability K/N. */
    for (int i = 0; i < N; i++)
        assert_close(hits[i] / (double)REPS, (double)K / N, 0, 0.012);
}

static void below_covers_range(void **state)
{
    (void)state;
    duet_rng r;
    duet_rng_init(&r, 8);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t x = duet_rng_below(&r, 7);
        assert_true(x < 7);
        seen[x]++;
    }
    for (int i = 0; i < 7; i++)
        assert_true(seen[i] > 850 && seen[i] < 1150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(philox_known_answers),
        cmocka_unit_test(derived_streams_differ),
        cmocka_unit_test(same_key_same_sequence),
        cmocka_unit_test(uniform_and_normal_moments),
        cmocka_unit_test(gamma_moments),
        cmocka_unit_test(dirichlet_on_simplex_with_mean),
        cmocka_unit_test(choose_is_uniform_and_distinct),
        cmocka_unit_test(below_covers_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
