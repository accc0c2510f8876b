/*
 * SHA-256 (FIPS 180-4) of byte strings and files, used to record the identity of every raw input
 * file that goes into a pool file.
 */
#ifndef DUET_SHA256_H
#define DUET_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct duet_sha256 {
    uint32_t h[8];  /* chaining state */
    uint64_t bytes; /* message length so far */
    unsigned char block[64];
    size_t used; /* bytes of `block` filled */
} duet_sha256;

void duet_sha256_init(duet_sha256 *s);
void duet_sha256_update(duet_sha256 *s, const void *data, size_t n);
/* Writes the digest as 64 lower-case hex digits and a NUL into hex[65]. */
void duet_sha256_final_hex(duet_sha256 *s, char hex[65]);

/* Digest of n bytes at data, as hex. */
void duet_sha256_hex(const void *data, size_t n, char hex[65]);

#endif
