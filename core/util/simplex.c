/* Simplex projection, floors and largest-remainder rounding. */
#include "util/simplex.h"

#include "util/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int compare_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

void duet_simplex_project(double *v, size_t n, double *work)
{
    memcpy(work, v, n * sizeof *work);
    qsort(work, n, sizeof *work, compare_desc);

    /* theta is chosen so that sum_i max(v_i - theta, 0) = 1. */
    double cumulative = 0.0, theta = 0.0;
    for (size_t j = 0; j < n; j++) {
        cumulative += work[j];
        double candidate = (cumulative - 1.0) / (double)(j + 1);
        if (work[j] - candidate > 0.0)
            theta = candidate;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = v[i] > theta ? v[i] - theta : 0.0;
    duet_simplex_normalize(v, n);
}

void duet_simplex_normalize(double *r, size_t n)
{
    /* Kahan summation keeps the sum accurate for many small shares. */
    double sum = 0.0, carry = 0.0;
    for (size_t i = 0; i < n; i++) {
        double y = r[i] - carry;
        double t = sum + y;
        carry = (t - sum) - y;
        sum = t;
    }
    size_t largest = 0;
    for (size_t i = 0; i < n; i++) {
        r[i] /= sum;
        if (r[i] > r[largest])
            largest = i;
    }
    /* Put the residue of the division on the largest share, where it is relatively smallest. */
    double rest = 1.0;
    for (size_t i = 0; i < n; i++)
        if (i != largest)
            rest -= r[i];
    if (rest >= 0.0)
        r[largest] = rest;
}

void duet_simplex_apply_floor(double *r, size_t n, double min_share)
{
    if (min_share <= 0.0)
        return;
    double scale = 1.0 - (double)n * min_share;
    for (size_t i = 0; i < n; i++)
        r[i] = min_share + scale * r[i];
    duet_simplex_normalize(r, n);
}

void duet_simplex_drop_below(double *r, size_t n, double threshold)
{
    if (threshold <= 0.0 || n == 0)
        return;
    size_t largest = 0, kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i] > r[largest])
            largest = i;
        if (r[i] >= threshold)
            kept++;
    }
    for (size_t i = 0; i < n; i++)
        if (r[i] < threshold && !(kept == 0 && i == largest))
            r[i] = 0.0;
    duet_simplex_normalize(r, n);
}

double duet_simplex_violation(const double *r, size_t n)
{
    double sum = 0.0, worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(r[i]))
            return INFINITY;
        sum += r[i];
        if (-r[i] > worst)
            worst = -r[i];
    }
    double off = fabs(sum - 1.0);
    return off > worst ? off : worst;
}

/* Largest-remainder apportionment of `total` over the entries of `share` with active[i] set. */
static void apportion(const double *share, size_t n, uint64_t total, const unsigned char *active,
                      uint64_t *counts, double *remainder)
{
    double mass = 0.0;
    for (size_t i = 0; i < n; i++)
        if (active[i])
            mass += share[i];
    uint64_t assigned = 0;
    for (size_t i = 0; i < n; i++) {
        counts[i] = 0;
        remainder[i] = -1.0;
        if (!active[i] || mass <= 0.0)
            continue;
        double exact = (double)total * share[i] / mass;
        double whole = floor(exact);
        counts[i] = (uint64_t)whole;
        remainder[i] = exact - whole;
        assigned += counts[i];
    }
    if (mass <= 0.0) {
        /* No active share has mass: spread evenly over the active entries. */
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            m += active[i] != 0;
        for (size_t i = 0; i < n; i++)
            if (active[i]) {
                counts[i] = total / m;
                remainder[i] = 0.0;
                assigned += counts[i];
            }
    }
    while (assigned < total) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (active[i] && (best == n || remainder[i] > remainder[best]))
                best = i;
        if (best == n)
            break;
        counts[best]++;
        remainder[best] = -1.0;
        assigned++;
    }
}

duet_status duet_simplex_counts(const double *r, size_t n, uint64_t total, const uint64_t *capacity,
                                uint64_t *counts, duet_error *err)
{
    if (n == 0)
        return duet_error_set(err, DUET_EINVAL, "a mixture needs at least one domain");
    if (duet_simplex_violation(r, n) > 1e-9)
        return duet_error_set(err, DUET_EINVAL,
                              "mixture is not on the simplex (violation %.3g); shares must be "
                              "non-negative and sum to 1",
                              duet_simplex_violation(r, n));
    if (capacity != NULL) {
        uint64_t room = 0;
        for (size_t i = 0; i < n; i++)
            room += capacity[i];
        if (room < total)
            return duet_error_set(err, DUET_ELIMIT,
                                  "budget of %llu points exceeds the %llu points of all domains "
                                  "together; lower the budget",
                                  (unsigned long long)total, (unsigned long long)room);
    }
    unsigned char *active = duet_calloc(n, 1);
    double *remainder = duet_malloc(n * sizeof *remainder);
    uint64_t *fixed = duet_calloc(n, sizeof *fixed);
    if (active == NULL || remainder == NULL || fixed == NULL) {
        duet_free(active);
        duet_free(remainder);
        duet_free(fixed);
        return duet_error_set(err, DUET_ENOMEM, "out of memory rounding a mixture of %zu domains",
                              n);
    }
    memset(active, 1, n);

    /* Domains that would exceed their capacity are filled and removed; repeat on the rest. */
    uint64_t left = total;
    for (;;) {
        apportion(r, n, left, active, counts, remainder);
        int clipped = 0;
        for (size_t i = 0; capacity != NULL && i < n; i++)
            if (active[i] && counts[i] > capacity[i]) {
                fixed[i] = capacity[i];
                left -= capacity[i];
                active[i] = 0;
                clipped = 1;
            }
        if (!clipped)
            break;
    }
    for (size_t i = 0; i < n; i++)
        if (!active[i])
            counts[i] = fixed[i];
    duet_free(active);
    duet_free(remainder);
    duet_free(fixed);
    return DUET_OK;
}
