/*
 * Counter-based random streams (Philox4x32-10, Salmon et al., SC 2011).
 *
 * Every random draw in duet comes from a duet_rng whose 64-bit key is derived from the
 * experiment seed and labels that name its purpose, for example
 *     key = duet_seed_label(duet_seed_label(seed, "task:gsm8k"), "method:duet") ...
 * Streams derived this way are independent of each other and of the order in which they are
 * created, so adding a method or a task never changes another one's draws, and a resumed run
 * re-derives exactly the streams of the original. No function reads a global generator.
 */
#ifndef DUET_RNG_H
#define DUET_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct duet_rng {
    uint32_t key[2]; /* Philox key: the stream's identity */
    uint32_t ctr[4]; /* block counter, incremented once per four 32-bit outputs */
    uint32_t out[4]; /* current block of outputs */
    unsigned used;   /* outputs of `out` already consumed, 0..4 */
} duet_rng;

/* Mixes two 64-bit values into a new seed (SplitMix64 finalizer over a ^ rotated b). */
uint64_t duet_seed_mix(uint64_t a, uint64_t b);
/* Derives a child seed from a parent seed and a label (FNV-1a of the label, then mixed). */
uint64_t duet_seed_label(uint64_t parent, const char *label);
/* Derives a child seed from a parent seed and an integer index. */
uint64_t duet_seed_index(uint64_t parent, uint64_t index);

/* Starts the stream with the given key at counter 0. */
void duet_rng_init(duet_rng *rng, uint64_t key);

/* One Philox4x32-10 block: out = philox(ctr, key). Exposed for known-answer tests. */
void duet_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

uint32_t duet_rng_u32(duet_rng *rng);
uint64_t duet_rng_u64(duet_rng *rng);
/* Uniform on [0, 1) with 53 random bits. */
double duet_rng_uniform(duet_rng *rng);
/* Uniform on (0, 1): never returns 0, for logarithms. */
double duet_rng_uniform_open(duet_rng *rng);
/* Uniform integer in [0, n) without modulo bias; n must be positive. */
uint64_t duet_rng_below(duet_rng *rng, uint64_t n);
/* Standard normal (polar Box-Muller). */
double duet_rng_normal(duet_rng *rng);
/* Exponential with rate 1. */
double duet_rng_exponential(duet_rng *rng);
/* Gamma(shape, 1) by Marsaglia and Tsang (2000); shape must be positive. */
double duet_rng_gamma(duet_rng *rng, double shape);
/*
 * Dirichlet(alpha) draw into out[0..n-1]; alpha has n positive entries, or is NULL for the flat
 * Dirichlet(1, ..., 1), which is the uniform distribution on the simplex.
 */
void duet_rng_dirichlet(duet_rng *rng, size_t n, const double *alpha, double *out);
/*
 * Chooses k distinct indices of [0, n) uniformly (Knuth's selection sampling, algorithm S),
 * written to out[0..k-1] in increasing order. Requires k <= n.
 */
void duet_rng_choose(duet_rng *rng, uint64_t n, uint64_t k, uint64_t *out);
/* Shuffles idx[0..n-1] in place (Fisher-Yates). */
void duet_rng_shuffle(duet_rng *rng, uint64_t n, uint64_t *idx);

#endif
