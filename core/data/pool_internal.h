/* The in-memory pool shared by the importer (pool_import.c) and the HDF5 code (pool_hdf5.c). */
#ifndef DUET_POOL_INTERNAL_H
#define DUET_POOL_INTERNAL_H

#include "data/import.h"
#include "data/pool.h"

typedef struct duet_pool_domain {
    char *name;    /* owned */
    char *units;   /* owned; space-separated import units */
    char *summary; /* owned */
    int tagged;
    duet_records split[DUET_SPLIT_COUNT];
    /* [split[s].n] position of each record in the domain's concatenated units (provenance) */
    uint64_t *source_index[DUET_SPLIT_COUNT];
} duet_pool_domain;

struct duet_pool {
    char *path;   /* owned */
    char *preset; /* owned */
    uint64_t split_seed;
    int64_t importer_version;
    size_t n_domains;
    duet_pool_domain *domains; /* [n_domains] */
};

/* Frees the domains' contents and the array; pool itself is not freed. */
void duet_pool_clear(duet_pool *pool);

/* Writes pool and the import's provenance (sources, licences, input files) to path. */
duet_status duet_pool_write_hdf5(const duet_pool *pool, const duet_import *imp, const char *path,
                                 duet_error *err);
/* Reads the file at path into pool (zeroed on entry). */
duet_status duet_pool_read_hdf5(duet_pool *pool, const char *path, duet_error *err);

#endif
