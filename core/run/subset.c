/* Training subsets: per-domain counts and the drawn item indices. */
#include "run/subset.h"

#include <string.h>

#include "util/mem.h"

duet_status duet_subset_init(duet_subset *s, size_t n_domains, const uint64_t *counts,
                             duet_error *err)
{
    memset(s, 0, sizeof *s);
    uint64_t total = 0;
    for (size_t i = 0; i < n_domains; i++)
        total += counts[i];
    int overflow = 0;
    size_t bytes = duet_mul_size((size_t)total, sizeof *s->items, &overflow);
    if (overflow || total > (uint64_t)SIZE_MAX)
        return duet_error_set(err, DUET_ELIMIT, "a subset of %llu items is too large",
                              (unsigned long long)total);
    s->counts = duet_calloc(n_domains, sizeof *s->counts);
    s->offset = duet_calloc(n_domains + 1, sizeof *s->offset);
    s->items = duet_malloc(bytes);
    if (s->counts == NULL || s->offset == NULL || s->items == NULL) {
        duet_subset_free(s);
        return duet_error_set(err, DUET_ENOMEM, "out of memory for a subset of %llu items",
                              (unsigned long long)total);
    }
    s->n_domains = n_domains;
    s->total = total;
    for (size_t i = 0; i < n_domains; i++) {
        s->counts[i] = counts[i];
        s->offset[i + 1] = s->offset[i] + counts[i];
    }
    return DUET_OK;
}

void duet_subset_free(duet_subset *s)
{
    duet_free(s->counts);
    duet_free(s->offset);
    duet_free(s->items);
    memset(s, 0, sizeof *s);
}

duet_status duet_subset_copy(duet_subset *dst, const duet_subset *src, duet_error *err)
{
    duet_status st = duet_subset_init(dst, src->n_domains, src->counts, err);
    if (st != DUET_OK)
        return st;
    memcpy(dst->items, src->items, (size_t)src->total * sizeof *src->items);
    return DUET_OK;
}
