/*
 * Pre-checks of HDF5 files read from untrusted sources (see h5check.h).
 *
 * HDF5 1.10.8 decodes a global heap collection by stepping from one entry to the next by each
 * entry's size. A free-space entry (index 0) whose size is 0 never advances, so H5Aread of a
 * variable-length string stored there spins forever; an entry whose size runs past the
 * collection makes H5HG_read copy that many bytes out of a smaller buffer. This walk repeats the
 * decoder's steps on every byte sequence "GCOL" with version 1 (the only places HDF5 accepts as
 * a collection) and rejects the file before HDF5 sees it. The invariant: in every collection
 * this check passes, each step advances and each entry lies inside the collection.
 */
#include "results/h5check.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"

#define BLOCK       ((size_t)1 << 20)
#define HEADER_SIZE 16 /* "GCOL", version, 3 reserved bytes, 8-byte collection size */
#define ENTRY_SIZE  16 /* index (2), reference count (2), reserved (4), object size (8) */

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int read_at(FILE *f, uint64_t offset, unsigned char *buf, size_t n)
{
    if (offset > (uint64_t)INT64_MAX || fseeko(f, (off_t)offset, SEEK_SET) != 0)
        return 0;
    return fread(buf, 1, n, f) == n;
}

/*
 * Returns NULL when the collection at offset decodes in finitely many steps with every entry
 * inside it (or when HDF5 would refuse it anyway because it does not fit in the file), else
 * what is wrong with it.
 */
static const char *collection_fault(FILE *f, uint64_t offset, uint64_t file_size)
{
    unsigned char head[HEADER_SIZE];
    if (!read_at(f, offset, head, sizeof head) || head[4] != 1)
        return NULL;
    uint64_t size = le64(head + 8);
    if (size < HEADER_SIZE || size > file_size || offset > file_size - size)
        return NULL; /* HDF5 fails to read the collection's image */
    uint64_t p = offset + HEADER_SIZE, end = offset + size;
    while (p < end) {
        unsigned char entry[ENTRY_SIZE];
        if (end - p < ENTRY_SIZE)
            return NULL; /* the rest is taken as free space */
        if (!read_at(f, p, entry, sizeof entry))
            return NULL;
        unsigned index = (unsigned)entry[0] | (unsigned)entry[1] << 8;
        uint64_t object = le64(entry + 8);
        uint64_t need = object;
        if (index > 0 && object > UINT64_MAX - ENTRY_SIZE - 7)
            return "an entry larger than the file";
        if (index > 0)
            need = ENTRY_SIZE + ((object + 7) & ~(uint64_t)7);
        if (need == 0)
            return "a free-space entry of size 0";
        if (need > end - p)
            return "an entry that runs past the end of its collection";
        p += need;
    }
    return NULL;
}

/* Size of lengths in the superblock at offset 0 (versions 0 to 3), or 0 when none is there. */
static int length_size(FILE *f)
{
    unsigned char sb[16];
    static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (!read_at(f, 0, sb, sizeof sb) || memcmp(sb, signature, 8) != 0)
        return 0;
    return sb[8] <= 1 ? sb[14] : sb[10];
}

duet_status duet_h5_check_heaps(const char *path, duet_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return duet_error_set(err, DUET_EIO, "cannot open results file %s: %s", path,
                              strerror(errno));
    duet_status st = DUET_OK;
    uint64_t file_size = 0;
    if (fseeko(f, 0, SEEK_END) == 0 && ftello(f) > 0)
        file_size = (uint64_t)ftello(f);
    int lengths = length_size(f);
    if (lengths != 0 && lengths != 8) {
        fclose(f);
        return duet_error_set(err, DUET_EFORMAT,
                              "%s stores HDF5 lengths in %d bytes; duet reads files with 8-byte "
                              "lengths only (as duet and h5py write them)",
                              path, lengths);
    }
    unsigned char *block = duet_malloc(BLOCK + 3);
    if (block == NULL) {
        fclose(f);
        return duet_error_set(err, DUET_ENOMEM, "out of memory checking %s", path);
    }
    uint64_t base = 0; /* file offset of block[0] */
    size_t kept = 0;   /* bytes carried over from the previous block */
    while (st == DUET_OK && base + kept < file_size) {
        if (fseeko(f, (off_t)(base + kept), SEEK_SET) != 0)
            break;
        size_t got = fread(block + kept, 1, BLOCK, f);
        if (got == 0)
            break;
        size_t n = kept + got;
        for (size_t i = 0; i + 4 <= n && st == DUET_OK; i++) {
            if (memcmp(block + i, "GCOL", 4) != 0)
                continue;
            const char *fault = collection_fault(f, base + i, file_size);
            if (fault)
                st = duet_error_set(err, DUET_EFORMAT,
                                    "%s is damaged: the global heap (variable-length strings) at "
                                    "byte %llu has %s; restore the file from a copy or rerun the "
                                    "experiment",
                                    path, (unsigned long long)(base + i), fault);
        }
        kept = n < 3 ? n : 3;
        memmove(block, block + n - kept, kept);
        base += n - kept;
    }
    if (st == DUET_OK && ferror(f))
        st =
            duet_error_set(err, DUET_EIO, "cannot read results file %s: %s", path, strerror(errno));
    duet_free(block);
    fclose(f);
    return st;
}
