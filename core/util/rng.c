/*
 * Philox4x32-10 streams and the distributions built on them. The block function follows the
 * published algorithm: ten rounds of two 32x32->64 multiplications with the Weyl key schedule.
 */
#include "util/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void duet_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

uint64_t duet_seed_mix(uint64_t a, uint64_t b)
{
    uint64_t z = a ^ ((b << 29) | (b >> 35)) ^ 0x9E3779B97F4A7C15ull;
    z += b * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t duet_seed_label(uint64_t parent, const char *label)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
        h ^= *p;
        h *= 0x100000001B3ull;
    }
    return duet_seed_mix(parent, h);
}

uint64_t duet_seed_index(uint64_t parent, uint64_t index)
{
    return duet_seed_mix(parent, duet_seed_mix(index, 0x5851F42D4C957F2Dull));
}

void duet_rng_init(duet_rng *rng, uint64_t key)
{
    rng->key[0] = (uint32_t)key;
    rng->key[1] = (uint32_t)(key >> 32);
    rng->ctr[0] = rng->ctr[1] = rng->ctr[2] = rng->ctr[3] = 0;
    rng->used = 4;
}

uint32_t duet_rng_u32(duet_rng *rng)
{
    if (rng->used == 4) {
        duet_philox4x32_10(rng->ctr, rng->key, rng->out);
        if (++rng->ctr[0] == 0 && ++rng->ctr[1] == 0)
            ++rng->ctr[2];
        rng->used = 0;
    }
    return rng->out[rng->used++];
}

uint64_t duet_rng_u64(duet_rng *rng)
{
    uint64_t hi = duet_rng_u32(rng);
    return (hi << 32) | duet_rng_u32(rng);
}

double duet_rng_uniform(duet_rng *rng)
{
    return (double)(duet_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double duet_rng_uniform_open(duet_rng *rng)
{
    return ((double)(duet_rng_u64(rng) >> 12) + 0.5) * 0x1.0p-52;
}

uint64_t duet_rng_below(duet_rng *rng, uint64_t n)
{
    /* Rejects the top partial copy of [0, n) so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = duet_rng_u64(rng);
    while (x >= limit);
    return x % n;
}

double duet_rng_normal(duet_rng *rng)
{
    double u, v, s;
    do {
        u = 2.0 * duet_rng_uniform(rng) - 1.0;
        v = 2.0 * duet_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

double duet_rng_exponential(duet_rng *rng)
{
    return -log(duet_rng_uniform_open(rng));
}

double duet_rng_gamma(duet_rng *rng, double shape)
{
    if (shape < 1.0) {
        /* Gamma(a) = Gamma(a + 1) * U^(1/a) for a < 1. */
        double g = duet_rng_gamma(rng, shape + 1.0);
        return g * pow(duet_rng_uniform_open(rng), 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0;
    double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = duet_rng_normal(rng);
        double v = 1.0 + c * x;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        double u = duet_rng_uniform_open(rng);
        double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2)
            return d * v;
        if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v)))
            return d * v;
    }
}

void duet_rng_dirichlet(duet_rng *rng, size_t n, const double *alpha, double *out)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        out[i] = alpha ? duet_rng_gamma(rng, alpha[i]) : duet_rng_exponential(rng);
        sum += out[i];
    }
    if (!(sum > 0.0)) {
        /* All gammas underflowed (tiny alpha): put the mass on one uniformly chosen vertex. */
        size_t hit = (size_t)duet_rng_below(rng, n);
        for (size_t i = 0; i < n; i++)
            out[i] = i == hit ? 1.0 : 0.0;
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] /= sum;
}

void duet_rng_choose(duet_rng *rng, uint64_t n, uint64_t k, uint64_t *out)
{
    uint64_t chosen = 0;
    for (uint64_t i = 0; i < n && chosen < k; i++) {
        /* Item i is taken with probability (still needed) / (still available). */
        if ((double)(n - i) * duet_rng_uniform(rng) < (double)(k - chosen))
            out[chosen++] = i;
    }
}

void duet_rng_shuffle(duet_rng *rng, uint64_t n, uint64_t *idx)
{
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = duet_rng_below(rng, i);
        uint64_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
