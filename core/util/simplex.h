/*
 * Geometry of the probability simplex {r in R^n : r_i >= 0, sum_i r_i = 1}: projection,
 * floors, checks, and the rounding of a mixture to integer per-domain counts.
 */
#ifndef DUET_SIMPLEX_H
#define DUET_SIMPLEX_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/*
 * Euclidean projection of v[0..n-1] onto the simplex, in place (Duchi, Shalev-Shwartz, Singer
 * and Chandra, ICML 2008: sort, find the threshold, clip). O(n log n). work needs n doubles.
 * The result is non-negative and its sum is 1 up to rounding; duet_simplex_normalize may follow
 * to make the sum exact to the last bit that can be represented.
 */
void duet_simplex_project(double *v, size_t n, double *work);

/*
 * Rescales r so that its entries sum to 1 using compensated summation, then assigns the
 * remaining rounding residue to the largest entry. Requires r_i >= 0 and a positive sum.
 */
void duet_simplex_normalize(double *r, size_t n);

/*
 * Ensures every share is at least min_share by mixing with the uniform distribution:
 * r <- min_share + (1 - n * min_share) * r. Requires 0 <= min_share <= 1/n. r stays on the
 * simplex, and a share already above the floor keeps its order relative to the others.
 */
void duet_simplex_apply_floor(double *r, size_t n, double min_share);

/*
 * Sets shares below threshold to zero and renormalizes the rest (the rule of the DUET reference
 * code, but with renormalization so the training budget stays whole). If every share is below
 * the threshold the largest one is kept alone.
 */
void duet_simplex_drop_below(double *r, size_t n, double threshold);

/*
 * Returns the largest violation of the simplex constraints: max(max_i -r_i, |sum r - 1|),
 * or +inf when an entry is not finite.
 */
double duet_simplex_violation(const double *r, size_t n);

/*
 * Rounds the mixture r to per-domain counts that sum to exactly total by largest-remainder
 * (Hamilton) apportionment: counts[i] = floor(total * r_i), then the leftover units go to the
 * largest fractional parts, ties to the lower index. When capacity is not NULL, counts[i] may
 * not exceed capacity[i]: the excess of a full domain is reassigned to the others in proportion
 * to their shares, and DUET_ELIMIT is returned only when sum(capacity) < total.
 */
duet_status duet_simplex_counts(const double *r, size_t n, uint64_t total, const uint64_t *capacity,
                                uint64_t *counts, duet_error *err);

#endif
