/* Allocation wrappers with an optional failing allocator for fault-injection tests. */
#include "util/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef DUET_FAULT_INJECTION
static long fail_countdown = -1;
static long alloc_attempts;

/* Returns 1 when this allocation must fail. */
static int injected_failure(void)
{
    alloc_attempts++;
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

void duet_mem_fail_after(long countdown)
{
    fail_countdown = countdown;
    alloc_attempts = 0;
}

long duet_mem_alloc_count(void)
{
    return alloc_attempts;
}
#else
#define injected_failure() 0

void duet_mem_fail_after(long countdown)
{
    (void)countdown;
}

long duet_mem_alloc_count(void)
{
    return 0;
}
#endif

void *duet_malloc(size_t size)
{
    if (injected_failure())
        return NULL;
    return malloc(size ? size : 1);
}

void *duet_calloc(size_t count, size_t size)
{
    if (injected_failure())
        return NULL;
    if (count == 0 || size == 0)
        return calloc(1, 1);
    return calloc(count, size);
}

void *duet_realloc(void *ptr, size_t size)
{
    if (injected_failure())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void duet_free(void *ptr)
{
    free(ptr);
}

char *duet_strdup(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = duet_malloc(n);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

size_t duet_mul_size(size_t count, size_t size, int *overflow)
{
    if (size != 0 && count > SIZE_MAX / size) {
        *overflow = 1;
        return 0;
    }
    *overflow = 0;
    return count * size;
}
