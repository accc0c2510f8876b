/*
 * Pool files: the domains of an experiment, each split into a training pool, a held-out split
 * (for influence scores and task-agnostic baselines only) and an evaluation split (for tasks
 * only), stored in HDF5. docs/pool-format.md describes the layout for readers such as h5py.
 *
 * A preset names the domains and the units of imported records each one combines, and caps
 * the split sizes. duet_pool_import runs the importers, splits every domain with a stream
 * derived from the split seed, and writes the file atomically (temporary name, fsync, rename).
 */
#ifndef DUET_POOL_H
#define DUET_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "data/records.h"
#include "util/error.h"
#include "util/log.h"

#define DUET_POOL_FORMAT_VERSION 1

typedef enum duet_split {
    DUET_SPLIT_TRAIN = 0,   /* training pool: the items a subset is drawn from */
    DUET_SPLIT_HELDOUT = 1, /* for influence scores and task-agnostic baselines */
    DUET_SPLIT_EVAL = 2,    /* for evaluation tasks only */
    DUET_SPLIT_COUNT
} duet_split;

/* "train", "heldout" or "eval". */
const char *duet_split_name(duet_split split);

typedef struct duet_pool_domain_spec {
    const char *name;    /* domain name, also its HDF5 group name */
    const char *units;   /* space-separated import units combined into this domain */
    const char *summary; /* one line for humans */
} duet_pool_domain_spec;

typedef struct duet_pool_preset {
    const char *name;
    const char *summary;
    size_t n_domains;
    const duet_pool_domain_spec *domains;
    /*
     * Split sizes of a domain with n records: eval = min(max_eval, n / 5), heldout =
     * min(max_heldout, n / 10), train = min(max_train, n - eval - heldout).
     */
    uint64_t max_train, max_heldout, max_eval;
} duet_pool_preset;

/* Built-in presets: "main9", "full" and "tiny" (the committed test fixture). NULL if unknown. */
const duet_pool_preset *duet_pool_preset_find(const char *name);
size_t duet_pool_preset_count(void);
const duet_pool_preset *duet_pool_preset_at(size_t i);

/* Computes the split sizes of a domain with n records under preset. */
void duet_pool_split_sizes(const duet_pool_preset *preset, uint64_t n,
                           uint64_t sizes[DUET_SPLIT_COUNT]);

/*
 * Imports the raw sources under raw_dir that preset needs and writes the pool file out_path.
 * On failure no file is left at out_path (an existing file there is kept unchanged) and no
 * temporary file remains. log may be NULL.
 */
duet_status duet_pool_import(const duet_pool_preset *preset, const char *raw_dir,
                             const char *out_path, uint64_t split_seed, const duet_log *log,
                             duet_error *err);

/* A pool file loaded into memory. */
typedef struct duet_pool duet_pool;

/* Reads every domain and split of the pool file at path. */
duet_status duet_pool_open(const char *path, duet_pool **out, duet_error *err);
void duet_pool_free(duet_pool *pool);

size_t duet_pool_domain_count(const duet_pool *pool);
const char *duet_pool_domain_name(const duet_pool *pool, size_t domain);
/* 1 when the domain's records carry Brown part-of-speech tags. */
int duet_pool_domain_tagged(const duet_pool *pool, size_t domain);
const duet_records *duet_pool_records(const duet_pool *pool, size_t domain, duet_split split);
/* Stores the index of the named domain in *domain and returns 1, or returns 0. */
int duet_pool_find(const duet_pool *pool, const char *name, size_t *domain);
uint64_t duet_pool_split_seed(const duet_pool *pool);
const char *duet_pool_preset_name(const duet_pool *pool);
const char *duet_pool_path(const duet_pool *pool);

#endif
