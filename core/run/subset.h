/*
 * A training subset: for each domain of a task's pool, how many items were drawn and which.
 * Item indices count from 0 within the domain's training split.
 */
#ifndef DUET_SUBSET_H
#define DUET_SUBSET_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct duet_subset {
    size_t n_domains; /* domains of the task's pool */
    uint64_t total;   /* sum of counts */
    uint64_t *counts; /* [n_domains] items drawn from each domain */
    uint64_t *offset; /* [n_domains + 1] items of domain i are items[offset[i] .. offset[i+1]) */
    uint64_t *items;  /* [total] item indices, grouped by domain */
} duet_subset;

/* Allocates a subset with the given per-domain counts; items are left for the selector. */
duet_status duet_subset_init(duet_subset *s, size_t n_domains, const uint64_t *counts,
                             duet_error *err);
/* Frees the arrays and zeroes s; a zeroed subset may be freed. */
void duet_subset_free(duet_subset *s);
/* Copies src into dst (which must be zeroed or freed). */
duet_status duet_subset_copy(duet_subset *dst, const duet_subset *src, duet_error *err);

#endif
