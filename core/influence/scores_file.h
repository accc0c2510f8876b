/*
 * The scores file: per-item scores of training items, one HDF5 dataset per (kind, domain),
 * written by `duet influence` or by an external worker (for example an LLM job on a GPU host)
 * and read by backends for their item_scores.
 *
 * Layout (HDF5 1.10):
 *   /                      attributes format = "duet-scores" (string), version = 1 (int64)
 *   /<kind>/<domain>       float64 [n]: score of training item i of the domain, i = 0..n-1;
 *                          larger means more helpful; kind is "influence" or "less"
 *     attributes, all optional for readers (`duet influence` writes every one):
 *       key        string, 16 lower-case hex digits: the cache key defined in influence/run.h
 *       estimator  string: "exact", "cg", "lissa", "identity", "datainf", "less", or the
 *                  external worker's own method name
 *       settings   string: the estimator's settings, "name=value, ..."
 *       model      string: the model's settings
 *       pool_hash  string, 16 hex digits: hash of the pool file the scores came from
 *       n_heldout  int64: held-out items the scores were computed against
 *       seconds    float64: wall time of training, solve and scoring
 * Domain and kind names are HDF5 link names: non-empty, without '/', and not ".".
 */
#ifndef DUET_SCORES_FILE_H
#define DUET_SCORES_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/log.h"

#define DUET_SCORES_FORMAT  "duet-scores"
#define DUET_SCORES_VERSION 1

/* Descriptive attributes of one scores dataset; strings are NUL-terminated. */
typedef struct duet_scores_meta {
    char key[17]; /* "" when the dataset has none */
    char estimator[64];
    char settings[512];
    char model[512];
    char pool_hash[17];
    int64_t n_heldout;
    double seconds;
} duet_scores_meta;

/*
 * 64-bit FNV-1a hash (Fowler, Noll and Vo) of a file's bytes, used as the pool checksum.
 * Fails with DUET_EIO if the file cannot be read.
 */
duet_status duet_hash_file(const char *path, uint64_t *out, duet_error *err);

/* FNV-1a 64 of a NUL-terminated string, continuing from `hash` (start with DUET_FNV_OFFSET). */
#define DUET_FNV_OFFSET 0xcbf29ce484222325ULL
uint64_t duet_hash_string(uint64_t hash, const char *s);

/* Formats a 64-bit value as 16 lower-case hex digits into out[17]. */
void duet_hash_hex(uint64_t value, char out[17]);

/*
 * Looks up /<kind>/<domain> in the scores file at path. *found is 0 when the file, the kind or
 * the domain is absent, which is not an error. Otherwise *found is 1, *n is the dataset's
 * length, and meta has its attributes (absent ones are left empty or zero).
 */
duet_status duet_scores_probe(const char *path, const char *kind, const char *domain, int *found,
                              uint64_t *n, duet_scores_meta *meta, duet_error *err);

/*
 * Reads /<kind>/<domain> into out[0..n-1]. Fails with DUET_ENOTFOUND if it is absent and with
 * DUET_EFORMAT if the file is not a scores file of this version or the dataset's length differs
 * from n. meta may be NULL.
 */
duet_status duet_scores_read(const char *path, const char *kind, const char *domain, uint64_t n,
                             double *out, duet_scores_meta *meta, duet_error *err);

/*
 * Writes scores[0..n-1] and meta to /<kind>/<domain>, creating the file and the kind's group
 * when absent and replacing an existing dataset of that name. Other datasets are left as they
 * are.
 */
duet_status duet_scores_write(const char *path, const char *kind, const char *domain,
                              const double *scores, uint64_t n, const duet_scores_meta *meta,
                              duet_error *err);

/*
 * An advisory lock that serializes processes sharing one scores file: an exclusive flock(2) on
 * the lock file "<path>.lock" beside it, created when absent and never removed (removing it
 * would let two processes lock different files). Backends computing scores on first use and
 * `duet influence` hold it around their probe, compute, write and read. A second process
 * therefore waits for the first and then finds the scores cached. The lock belongs to the open
 * file description, so a child forked while it is held shares it until the child closes fd.
 */
typedef struct duet_scores_lock {
    int fd; /* -1 when not held */
} duet_scores_lock;

/*
 * Takes the lock of the scores file at path, waiting while another process has it. Before
 * waiting it logs one INFO line on log (may be NULL). When the lock file cannot be created (a
 * read-only folder), an existing one is opened read-only; if neither works, fails with DUET_EIO
 * naming the lock file.
 */
duet_status duet_scores_lock_acquire(const char *path, duet_scores_lock *lock, const duet_log *log,
                                     duet_error *err);

/* Releases the lock; a lock that is not held (fd -1) is left alone. */
void duet_scores_lock_release(duet_scores_lock *lock);

#endif
