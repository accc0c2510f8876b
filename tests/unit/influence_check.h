/*
 * Comparison helpers of the influence tests: Pearson correlation and the largest difference
 * relative to the largest reference entry. Header-only so each test program has its own copy.
 */
#ifndef DUET_INFLUENCE_CHECK_H
#define DUET_INFLUENCE_CHECK_H

#include <math.h>
#include <stddef.h>

static inline double pearson(const double *a, const double *b, size_t n)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i] / (double)n;
        mb += b[i] / (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / sqrt(saa * sbb);
}

/* max_i |a_i - b_i| / max_i |b_i|. */
static inline double max_rel_diff(const double *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num = fmax(num, fabs(a[i] - b[i]));
        den = fmax(den, fabs(b[i]));
    }
    return num / den;
}

#endif
