/*
 * Reading and writing the HDF5 scores file, and the 64-bit FNV-1a hashes behind its cache keys.
 *
 * Invariant: every HDF5 handle opened in a function is closed before it returns, on every
 * path, and HDF5's own error printing is suppressed (H5E_BEGIN_TRY) around calls whose failure
 * is reported through duet_error instead.
 */
#include "influence/scores_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <hdf5.h>

#define FNV_PRIME 0x100000001b3ULL

uint64_t duet_hash_string(uint64_t hash, const char *s)
{
    for (; *s != '\0'; s++) {
        hash ^= (unsigned char)*s;
        hash *= FNV_PRIME;
    }
    return hash;
}

void duet_hash_hex(uint64_t value, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)value);
}

duet_status duet_hash_file(const char *path, uint64_t *out, duet_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return duet_error_set(err, DUET_EIO, "cannot open %s to compute its checksum", path);
    unsigned char buf[1 << 16];
    uint64_t hash = DUET_FNV_OFFSET;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < got; i++) {
            hash ^= buf[i];
            hash *= FNV_PRIME;
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return duet_error_set(err, DUET_EIO, "cannot read %s to compute its checksum", path);
    *out = hash;
    return DUET_OK;
}

/* ---------------------------------------------------------------- attributes */

/* Copies src into buf[size], cutting it to size - 1 bytes. */
static void copy_text(char *buf, size_t size, const char *src)
{
    size_t len = strlen(src);
    if (len >= size)
        len = size - 1;
    memcpy(buf, src, len);
    buf[len] = '\0';
}

/*
 * Reads string attribute `name` of loc into buf[size], accepting fixed-length and
 * variable-length strings (h5py writes the latter). Leaves buf empty when absent.
 */
static duet_status read_string_attr(hid_t loc, const char *name, char *buf, size_t size,
                                    const char *where, duet_error *err)
{
    buf[0] = '\0';
    if (H5Aexists(loc, name) <= 0)
        return DUET_OK;
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t type = attr < 0 ? -1 : H5Aget_type(attr);
    duet_status st = DUET_OK;
    if (type < 0 || H5Tget_class(type) != H5T_STRING) {
        st = duet_error_set(err, DUET_EFORMAT, "%s: attribute %s is not a string", where, name);
    } else if (H5Tis_variable_str(type) > 0) {
        hid_t mem = H5Tcopy(H5T_C_S1);
        H5Tset_size(mem, H5T_VARIABLE);
        H5Tset_cset(mem, H5Tget_cset(type));
        char *value = NULL;
        if (H5Aread(attr, mem, &value) < 0 || value == NULL)
            st = duet_error_set(err, DUET_EFORMAT, "%s: cannot read attribute %s", where, name);
        else
            copy_text(buf, size, value);
        H5free_memory(value);
        H5Tclose(mem);
    } else {
        size_t len = H5Tget_size(type);
        hid_t mem = H5Tcopy(H5T_C_S1);
        char tmp[1024];
        if (len + 1 > sizeof tmp) {
            st = duet_error_set(err, DUET_EFORMAT, "%s: attribute %s is longer than %zu bytes",
                                where, name, sizeof tmp - 1);
        } else {
            H5Tset_size(mem, len + 1);
            H5Tset_cset(mem, H5Tget_cset(type));
            if (H5Aread(attr, mem, tmp) < 0)
                st = duet_error_set(err, DUET_EFORMAT, "%s: cannot read attribute %s", where, name);
            else
                copy_text(buf, size, tmp);
        }
        H5Tclose(mem);
    }
    if (type >= 0)
        H5Tclose(type);
    if (attr >= 0)
        H5Aclose(attr);
    return st;
}

/* Reads numeric attribute `name` converted to mem_type into out; leaves out alone if absent. */
static duet_status read_number_attr(hid_t loc, const char *name, hid_t mem_type, void *out,
                                    const char *where, duet_error *err)
{
    if (H5Aexists(loc, name) <= 0)
        return DUET_OK;
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    herr_t rc = attr < 0 ? -1 : H5Aread(attr, mem_type, out);
    if (attr >= 0)
        H5Aclose(attr);
    if (rc < 0)
        return duet_error_set(err, DUET_EFORMAT, "%s: attribute %s is not a number", where, name);
    return DUET_OK;
}

static herr_t write_string_attr(hid_t loc, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    hid_t space = H5Screate(H5S_SCALAR);
    if (H5Aexists(loc, name) > 0)
        H5Adelete(loc, name);
    hid_t attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = attr < 0 ? -1 : H5Awrite(attr, type, value);
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

static herr_t write_number_attr(hid_t loc, const char *name, hid_t type, const void *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    if (H5Aexists(loc, name) > 0)
        H5Adelete(loc, name);
    hid_t attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = attr < 0 ? -1 : H5Awrite(attr, type, value);
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    return rc;
}

/* ---------------------------------------------------------------- file and datasets */

static duet_status check_name(const char *what, const char *name, duet_error *err)
{
    if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0)
        return duet_error_set(err, DUET_EINVAL,
                              "%s name '%s' cannot name an HDF5 dataset: it must be non-empty, "
                              "without '/', and not '.'",
                              what, name);
    return DUET_OK;
}

/* Checks the root attributes of an open scores file. */
static duet_status check_format(hid_t file, const char *path, duet_error *err)
{
    char format[64];
    int64_t version = 0;
    duet_status st = read_string_attr(file, "format", format, sizeof format, path, err);
    if (st == DUET_OK)
        st = read_number_attr(file, "version", H5T_NATIVE_INT64, &version, path, err);
    if (st != DUET_OK)
        return st;
    if (strcmp(format, DUET_SCORES_FORMAT) != 0 || version != DUET_SCORES_VERSION)
        return duet_error_set(err, DUET_EFORMAT,
                              "%s is not a scores file of version %d (format '%s', version "
                              "%lld); write scores with `duet influence` or to the layout in "
                              "docs/influence.md",
                              path, DUET_SCORES_VERSION, format, (long long)version);
    return DUET_OK;
}

/* Opens an existing scores file and checks its format; *file < 0 when it does not exist. */
static duet_status open_existing(const char *path, unsigned flags, hid_t *file, duet_error *err)
{
    *file = -1;
    if (access(path, F_OK) != 0)
        return DUET_OK;
    H5E_BEGIN_TRY
    {
        *file = H5Fopen(path, flags, H5P_DEFAULT);
    }
    H5E_END_TRY;
    if (*file < 0)
        return duet_error_set(err, DUET_EFORMAT, "%s exists but is not an HDF5 file", path);
    duet_status st = DUET_OK;
    H5E_BEGIN_TRY
    {
        st = check_format(*file, path, err);
    }
    H5E_END_TRY;
    if (st != DUET_OK) {
        H5Fclose(*file);
        *file = -1;
    }
    return st;
}

static duet_status read_meta(hid_t dset, const char *where, duet_scores_meta *meta, duet_error *err)
{
    memset(meta, 0, sizeof *meta);
    duet_status st = read_string_attr(dset, "key", meta->key, sizeof meta->key, where, err);
    if (st == DUET_OK)
        st = read_string_attr(dset, "estimator", meta->estimator, sizeof meta->estimator, where,
                              err);
    if (st == DUET_OK)
        st = read_string_attr(dset, "settings", meta->settings, sizeof meta->settings, where, err);
    if (st == DUET_OK)
        st = read_string_attr(dset, "model", meta->model, sizeof meta->model, where, err);
    if (st == DUET_OK)
        st = read_string_attr(dset, "pool_hash", meta->pool_hash, sizeof meta->pool_hash, where,
                              err);
    if (st == DUET_OK)
        st = read_number_attr(dset, "n_heldout", H5T_NATIVE_INT64, &meta->n_heldout, where, err);
    if (st == DUET_OK)
        st = read_number_attr(dset, "seconds", H5T_NATIVE_DOUBLE, &meta->seconds, where, err);
    return st;
}

/* Opens /<kind>/<domain> of an open file; *dset < 0 when absent. */
static duet_status open_dataset(hid_t file, const char *kind, const char *domain, hid_t *dset,
                                uint64_t *n, const char *path, duet_error *err)
{
    *dset = -1;
    char link[600];
    snprintf(link, sizeof link, "%s/%s", kind, domain);
    if (H5Lexists(file, kind, H5P_DEFAULT) <= 0 || H5Lexists(file, link, H5P_DEFAULT) <= 0)
        return DUET_OK;
    *dset = H5Dopen2(file, link, H5P_DEFAULT);
    hid_t space = *dset < 0 ? -1 : H5Dget_space(*dset);
    hsize_t dims[1] = {0};
    int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    if (rank == 1)
        H5Sget_simple_extent_dims(space, dims, NULL);
    if (space >= 0)
        H5Sclose(space);
    if (rank != 1) {
        if (*dset >= 0)
            H5Dclose(*dset);
        *dset = -1;
        return duet_error_set(err, DUET_EFORMAT,
                              "%s: /%s is not a one-dimensional dataset of scores", path, link);
    }
    *n = (uint64_t)dims[0];
    return DUET_OK;
}

duet_status duet_scores_probe(const char *path, const char *kind, const char *domain, int *found,
                              uint64_t *n, duet_scores_meta *meta, duet_error *err)
{
    *found = 0;
    duet_status st = check_name("kind", kind, err);
    if (st == DUET_OK)
        st = check_name("domain", domain, err);
    hid_t file = -1, dset = -1;
    if (st == DUET_OK)
        st = open_existing(path, H5F_ACC_RDONLY, &file, err);
    if (st != DUET_OK || file < 0)
        return st;
    H5E_BEGIN_TRY
    {
        st = open_dataset(file, kind, domain, &dset, n, path, err);
        if (st == DUET_OK && dset >= 0)
            st = read_meta(dset, path, meta, err);
    }
    H5E_END_TRY;
    *found = st == DUET_OK && dset >= 0;
    if (dset >= 0)
        H5Dclose(dset);
    H5Fclose(file);
    return st;
}

duet_status duet_scores_read(const char *path, const char *kind, const char *domain, uint64_t n,
                             double *out, duet_scores_meta *meta, duet_error *err)
{
    duet_status st = check_name("kind", kind, err);
    if (st == DUET_OK)
        st = check_name("domain", domain, err);
    hid_t file = -1, dset = -1;
    if (st == DUET_OK)
        st = open_existing(path, H5F_ACC_RDONLY, &file, err);
    if (st != DUET_OK)
        return st;
    if (file < 0)
        return duet_error_set(err, DUET_ENOTFOUND,
                              "scores file %s does not exist; run `duet "
                              "influence` to compute it",
                              path);
    uint64_t len = 0;
    H5E_BEGIN_TRY
    {
        st = open_dataset(file, kind, domain, &dset, &len, path, err);
        if (st == DUET_OK && dset < 0)
            st = duet_error_set(err, DUET_ENOTFOUND,
                                "%s has no '%s' scores for domain %s; compute them with `duet "
                                "influence --domain %s`",
                                path, kind, domain, domain);
        if (st == DUET_OK && len != n)
            st = duet_error_set(err, DUET_EFORMAT,
                                "%s: /%s/%s holds %llu scores but the domain has %llu training "
                                "items; the scores belong to another pool, so recompute them",
                                path, kind, domain, (unsigned long long)len, (unsigned long long)n);
        if (st == DUET_OK && n > 0 &&
            H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
            st = duet_error_set(err, DUET_EFORMAT, "%s: cannot read /%s/%s as numbers", path, kind,
                                domain);
        if (st == DUET_OK && meta != NULL)
            st = read_meta(dset, path, meta, err);
    }
    H5E_END_TRY;
    if (dset >= 0)
        H5Dclose(dset);
    H5Fclose(file);
    return st;
}

/* Opens the file for writing, creating it with its root attributes when absent. */
static duet_status open_for_write(const char *path, hid_t *file, duet_error *err)
{
    duet_status st = open_existing(path, H5F_ACC_RDWR, file, err);
    if (st != DUET_OK || *file >= 0)
        return st;
    H5E_BEGIN_TRY
    {
        *file = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    }
    H5E_END_TRY;
    if (*file < 0)
        return duet_error_set(err, DUET_EIO,
                              "cannot create scores file %s; check that its folder exists and "
                              "is writable",
                              path);
    int64_t version = DUET_SCORES_VERSION;
    if (write_string_attr(*file, "format", DUET_SCORES_FORMAT) < 0 ||
        write_number_attr(*file, "version", H5T_NATIVE_INT64, &version) < 0) {
        H5Fclose(*file);
        *file = -1;
        return duet_error_set(err, DUET_EIO, "cannot write the header of scores file %s", path);
    }
    return DUET_OK;
}

static herr_t write_meta(hid_t dset, const duet_scores_meta *meta)
{
    herr_t rc = 0;
    rc |= write_string_attr(dset, "key", meta->key);
    rc |= write_string_attr(dset, "estimator", meta->estimator);
    rc |= write_string_attr(dset, "settings", meta->settings);
    rc |= write_string_attr(dset, "model", meta->model);
    rc |= write_string_attr(dset, "pool_hash", meta->pool_hash);
    rc |= write_number_attr(dset, "n_heldout", H5T_NATIVE_INT64, &meta->n_heldout);
    rc |= write_number_attr(dset, "seconds", H5T_NATIVE_DOUBLE, &meta->seconds);
    return rc;
}

/*
 * Creates /<kind>/<domain> afresh (dropping an old one) and writes data and attributes.
 * NOTE: HDF5 1.10 does not reclaim the space of a dropped dataset, so a file rewritten many
 * times grows; `h5repack` compacts it.
 */
static duet_status write_dataset(hid_t file, const char *kind, const char *domain,
                                 const double *scores, uint64_t n, const duet_scores_meta *meta,
                                 const char *path, duet_error *err)
{
    char link[600];
    snprintf(link, sizeof link, "%s/%s", kind, domain);
    hid_t group = H5Lexists(file, kind, H5P_DEFAULT) > 0
                      ? H5Gopen2(file, kind, H5P_DEFAULT)
                      : H5Gcreate2(file, kind, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0)
        return duet_error_set(err, DUET_EIO, "%s: cannot create group /%s", path, kind);
    if (H5Lexists(group, domain, H5P_DEFAULT) > 0)
        H5Ldelete(group, domain, H5P_DEFAULT);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t dset =
        H5Dcreate2(group, domain, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = dset < 0 ? -1 : 0;
    if (rc == 0 && n > 0)
        rc = H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, scores);
    if (rc == 0)
        rc = write_meta(dset, meta);
    if (dset >= 0)
        H5Dclose(dset);
    H5Sclose(space);
    H5Gclose(group);
    if (rc < 0)
        return duet_error_set(err, DUET_EIO, "%s: cannot write /%s", path, link);
    return DUET_OK;
}

duet_status duet_scores_write(const char *path, const char *kind, const char *domain,
                              const double *scores, uint64_t n, const duet_scores_meta *meta,
                              duet_error *err)
{
    duet_status st = check_name("kind", kind, err);
    if (st == DUET_OK)
        st = check_name("domain", domain, err);
    hid_t file = -1;
    if (st == DUET_OK)
        st = open_for_write(path, &file, err);
    if (st != DUET_OK)
        return st;
    H5E_BEGIN_TRY
    {
        st = write_dataset(file, kind, domain, scores, n, meta, path, err);
    }
    H5E_END_TRY;
    if (H5Fclose(file) < 0 && st == DUET_OK)
        st = duet_error_set(err, DUET_EIO, "cannot finish writing scores file %s", path);
    return st;
}

/* ---------------------------------------------------------------- lock */

duet_status duet_scores_lock_acquire(const char *path, duet_scores_lock *lock, const duet_log *log,
                                     duet_error *err)
{
    char name[4096];
    lock->fd = -1;
    if ((size_t)snprintf(name, sizeof name, "%s.lock", path) >= sizeof name)
        return duet_error_set(err, DUET_EINVAL, "scores file path %s is too long", path);
    int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return duet_error_set(err, DUET_EIO,
                              "cannot create the lock file %s (%s); make its folder writable or "
                              "put the scores file elsewhere",
                              name, strerror(errno));
    int rc = flock(fd, LOCK_EX | LOCK_NB);
    if (rc != 0 && errno == EWOULDBLOCK) {
        duet_logf(log, DUET_LOG_INFO,
                  "waiting for %s: another process is computing or reading scores", name);
        do
            rc = flock(fd, LOCK_EX);
        while (rc != 0 && errno == EINTR);
    }
    if (rc != 0) {
        int saved = errno;
        close(fd);
        return duet_error_set(err, DUET_EIO, "cannot lock %s: %s", name, strerror(saved));
    }
    lock->fd = fd;
    return DUET_OK;
}

void duet_scores_lock_release(duet_scores_lock *lock)
{
    if (lock->fd < 0)
        return;
    close(lock->fd); /* closing the descriptor releases the flock */
    lock->fd = -1;
}
