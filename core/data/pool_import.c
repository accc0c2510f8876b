/*
 * Building a pool from raw sources: run the importers a preset needs, combine units into
 * domains, split each domain with its own random stream, and write the file atomically.
 * Invariant: a domain's three splits are disjoint and each lists its records in source order.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/pool_internal.h"
#include "util/mem.h"
#include "util/rng.h"

const char *duet_split_name(duet_split split)
{
    static const char *const names[DUET_SPLIT_COUNT] = {"train", "heldout", "eval"};
    return (int)split >= 0 && split < DUET_SPLIT_COUNT ? names[split] : "?";
}

void duet_pool_clear(duet_pool *pool)
{
    for (size_t d = 0; d < pool->n_domains; d++) {
        duet_pool_domain *dom = &pool->domains[d];
        duet_free(dom->name);
        duet_free(dom->units);
        duet_free(dom->summary);
        for (int s = 0; s < DUET_SPLIT_COUNT; s++) {
            duet_records_free(&dom->split[s]);
            duet_free(dom->source_index[s]);
        }
    }
    duet_free(pool->domains);
    duet_free(pool->path);
    duet_free(pool->preset);
    memset(pool, 0, sizeof *pool);
}

/* Copies the next space-separated word of *cursor into word (size bytes); 0 at the end. */
static int next_word(const char **cursor, char *word, size_t size)
{
    const char *p = *cursor;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return 0;
    size_t n = strcspn(p, " ");
    snprintf(word, size, "%.*s", (int)n, p);
    *cursor = p + n;
    return 1;
}

/* The source folder a unit comes from: the part before ':' ("brown:news" -> "brown"). */
static void source_of_unit(const char *unit, char *source, size_t size)
{
    size_t n = strcspn(unit, ":");
    snprintf(source, size, "%.*s", (int)n, unit);
}

static duet_status run_importers(const duet_pool_preset *preset, duet_import *imp,
                                 const duet_log *log, duet_error *err)
{
    for (size_t d = 0; d < preset->n_domains; d++) {
        const char *cursor = preset->domains[d].units;
        char unit[64], source[64];
        while (next_word(&cursor, unit, sizeof unit)) {
            source_of_unit(unit, source, sizeof source);
            size_t before = imp->n_files;
            duet_status status = duet_import_source_run(imp, source, err);
            if (status != DUET_OK)
                return status;
            if (imp->n_files > before)
                duet_logf(log, DUET_LOG_INFO, "imported %s: %zu files", source,
                          imp->n_files - before);
        }
    }
    return DUET_OK;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Gathers the domain's units in order; fails when a unit is missing or the domain too small. */
static duet_status collect_units(const duet_import *imp, const duet_pool_domain_spec *spec,
                                 const duet_records **units, size_t *n_units, uint64_t *total,
                                 duet_error *err)
{
    const char *cursor = spec->units;
    char unit[64];
    *n_units = 0;
    *total = 0;
    while (next_word(&cursor, unit, sizeof unit) && *n_units < 16) {
        const duet_import_unit *u = duet_import_find_unit(imp, unit);
        if (u == NULL)
            return duet_error_set(err, DUET_ENOTFOUND,
                                  "domain %s: the raw sources have no records of unit %s; check "
                                  "that its folder under %s is complete",
                                  spec->name, unit, imp->raw_dir);
        units[(*n_units)++] = &u->records;
        *total += u->records.n;
    }
    if (*total < 10)
        return duet_error_set(err, DUET_EFORMAT,
                              "domain %s has %llu records from units \"%s\" under %s; at least "
                              "10 are needed to fill its three splits",
                              spec->name, (unsigned long long)*total, spec->units, imp->raw_dir);
    return DUET_OK;
}

/* Appends record `index` of the concatenation of units to dst. */
static duet_status append_unit_record(duet_records *dst, const duet_records *const *units,
                                      size_t n_units, uint64_t index, duet_error *err)
{
    for (size_t u = 0; u < n_units; u++) {
        if (index < units[u]->n)
            return duet_records_append_from(dst, units[u], (size_t)index, err);
        index -= units[u]->n;
    }
    return duet_error_set(err, DUET_EINVAL, "record index past the end of the domain's units");
}

static duet_status build_domain(const duet_pool_preset *preset, const duet_import *imp, size_t d,
                                uint64_t split_seed, duet_pool_domain *dom, duet_error *err)
{
    const duet_pool_domain_spec *spec = &preset->domains[d];
    const duet_records *units[16];
    size_t n_units;
    uint64_t total;
    duet_status status = collect_units(imp, spec, units, &n_units, &total, err);
    if (status != DUET_OK)
        return status;
    dom->name = duet_strdup(spec->name);
    dom->units = duet_strdup(spec->units);
    dom->summary = duet_strdup(spec->summary);
    dom->tagged = units[0]->tagged;
    for (size_t u = 1; u < n_units; u++)
        if (units[u]->tagged != dom->tagged)
            return duet_error_set(err, DUET_EINVAL,
                                  "domain %s mixes tagged and untagged units (%s)", spec->name,
                                  spec->units);
    int overflow;
    size_t bytes = duet_mul_size((size_t)total, sizeof(size_t), &overflow);
    size_t *order = overflow ? NULL : duet_malloc(bytes);
    if (order == NULL || dom->name == NULL || dom->units == NULL || dom->summary == NULL) {
        duet_free(order);
        return duet_error_set(err, DUET_ENOMEM, "out of memory splitting domain %s", spec->name);
    }
    for (size_t i = 0; i < total; i++)
        order[i] = i;
    char label[128];
    snprintf(label, sizeof label, "split:%s", spec->name);
    duet_rng rng;
    duet_rng_init(&rng, duet_seed_label(split_seed, label));
    duet_rng_shuffle(&rng, (size_t)total, order);

    uint64_t sizes[DUET_SPLIT_COUNT];
    duet_pool_split_sizes(preset, total, sizes);
    /* The shuffled order is cut into eval, then heldout, then train. */
    static const duet_split cut_order[DUET_SPLIT_COUNT] = {DUET_SPLIT_EVAL, DUET_SPLIT_HELDOUT,
                                                           DUET_SPLIT_TRAIN};
    size_t start = 0;
    for (int k = 0; k < DUET_SPLIT_COUNT && status == DUET_OK; k++) {
        duet_split s = cut_order[k];
        size_t n = (size_t)sizes[s];
        uint64_t *index = duet_malloc((n ? n : 1) * sizeof *index);
        dom->source_index[s] = index;
        dom->split[s].tagged = dom->tagged;
        if (index == NULL) {
            status = duet_error_set(err, DUET_ENOMEM, "out of memory splitting %s", spec->name);
            break;
        }
        for (size_t i = 0; i < n; i++)
            index[i] = order[start + i];
        qsort(index, n, sizeof *index, compare_u64);
        for (size_t i = 0; i < n && status == DUET_OK; i++)
            status = append_unit_record(&dom->split[s], units, n_units, index[i], err);
        start += n;
    }
    duet_free(order);
    return status;
}

/* fsyncs the file or folder at path; returns 0 on success. */
static int sync_path(const char *path, int directory)
{
    int fd = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Writes to a temporary name beside out_path, syncs, and renames it into place. */
static duet_status write_atomically(const duet_pool *pool, const duet_import *imp,
                                    const char *out_path, duet_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid()) >= (int)sizeof tmp)
        return duet_error_set(err, DUET_ELIMIT, "output path %s is too long", out_path);
    duet_status status = duet_pool_write_hdf5(pool, imp, tmp, err);
    if (status == DUET_OK && sync_path(tmp, 0) != 0)
        status = duet_error_set(err, DUET_EIO, "cannot sync %s: %s", tmp, strerror(errno));
    if (status == DUET_OK && rename(tmp, out_path) != 0)
        status = duet_error_set(err, DUET_EIO, "cannot rename %s to %s: %s", tmp, out_path,
                                strerror(errno));
    if (status != DUET_OK) {
        remove(tmp);
        return status;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out_path);
    sync_path(dirname(dir), 1); /* best effort: the rename is already visible */
    return DUET_OK;
}

duet_status duet_pool_import(const duet_pool_preset *preset, const char *raw_dir,
                             const char *out_path, uint64_t split_seed, const duet_log *log,
                             duet_error *err)
{
    duet_import imp;
    duet_status status = duet_import_init(&imp, raw_dir, err);
    if (status != DUET_OK)
        return status;
    duet_pool pool;
    memset(&pool, 0, sizeof pool);
    pool.split_seed = split_seed;
    pool.importer_version = DUET_IMPORTER_VERSION;
    pool.preset = duet_strdup(preset->name);
    pool.domains = duet_calloc(preset->n_domains, sizeof *pool.domains);
    if (pool.preset == NULL || pool.domains == NULL)
        status =
            duet_error_set(err, DUET_ENOMEM, "out of memory importing preset %s", preset->name);
    else
        pool.n_domains = preset->n_domains;
    if (status == DUET_OK)
        status = run_importers(preset, &imp, log, err);
    for (size_t d = 0; status == DUET_OK && d < preset->n_domains; d++) {
        status = build_domain(preset, &imp, d, split_seed, &pool.domains[d], err);
        if (status == DUET_OK)
            duet_logf(log, DUET_LOG_INFO, "domain %s: %zu train, %zu heldout, %zu eval records",
                      preset->domains[d].name, pool.domains[d].split[DUET_SPLIT_TRAIN].n,
                      pool.domains[d].split[DUET_SPLIT_HELDOUT].n,
                      pool.domains[d].split[DUET_SPLIT_EVAL].n);
    }
    if (status == DUET_OK)
        status = write_atomically(&pool, &imp, out_path, err);
    duet_pool_clear(&pool);
    duet_import_free(&imp);
    return status;
}
