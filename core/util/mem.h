/*
 * Allocation for the whole library. Every allocation in core/ and baselines/ goes through these
 * functions so that a fault-injection build (DUET_FAULT_INJECTION) can make the n-th allocation
 * fail and check that each call site reports DUET_ENOMEM cleanly.
 */
#ifndef DUET_MEM_H
#define DUET_MEM_H

#include <stddef.h>

/* Like malloc, calloc and realloc, but 0-byte requests return a unique non-NULL pointer. */
void *duet_malloc(size_t size);
void *duet_calloc(size_t count, size_t size);
void *duet_realloc(void *ptr, size_t size);
/* Like free; NULL is a no-op. */
void duet_free(void *ptr);

/* Duplicates a NUL-terminated string; NULL on allocation failure or when s is NULL. */
char *duet_strdup(const char *s);

/*
 * Returns count * size, or 0 with *overflow set to 1 when the product does not fit in size_t.
 * Used before allocating arrays whose sizes come from user input.
 */
size_t duet_mul_size(size_t count, size_t size, int *overflow);

/*
 * Fault injection (only in builds with DUET_FAULT_INJECTION defined; no-ops otherwise):
 * after `countdown` further successful allocations, every allocation fails until reset with a
 * negative countdown. duet_mem_alloc_count returns how many allocations were attempted since
 * the last call to duet_mem_fail_after.
 */
void duet_mem_fail_after(long countdown);
long duet_mem_alloc_count(void);

#endif
