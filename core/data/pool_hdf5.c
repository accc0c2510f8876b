/*
 * The HDF5 layout of pool files (see docs/pool-format.md) and the in-memory pool that reading
 * one produces. Every call into HDF5 runs with HDF5's automatic error printing switched off and
 * restored afterwards, so the library prints nothing; failures become duet_error messages that
 * name the file and the object.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "data/pool_internal.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ writing helpers */

static hid_t vlen_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Writes a string attribute (n == 0: scalar value v[0]; otherwise an array of n strings). */
static int set_strings(hid_t obj, const char *name, size_t n, const char *const *v)
{
    hsize_t dims[1] = {n};
    hid_t type = vlen_string_type();
    hid_t space = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
    hid_t attr =
        type >= 0 && space >= 0 ? H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = attr >= 0 && H5Awrite(attr, type, v) >= 0;
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return ok;
}

static int set_string(hid_t obj, const char *name, const char *value)
{
    return set_strings(obj, name, 0, &value);
}

static int set_number(hid_t obj, const char *name, hid_t type, const void *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = space >= 0 ? H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = attr >= 0 && H5Awrite(attr, type, value) >= 0;
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    return ok;
}

static int write_array(hid_t group, const char *name, hid_t type, size_t n, const void *data)
{
    hsize_t dims[1] = {n};
    return H5LTmake_dataset(group, name, 1, dims, type, data) >= 0;
}

static int write_string_array(hid_t group, const char *name, size_t n, const char *const *v)
{
    hsize_t dims[1] = {n};
    hid_t type = vlen_string_type();
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t set = type >= 0 && space >= 0
                    ? H5Dcreate2(group, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                    : -1;
    int ok = set >= 0 && (n == 0 || H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    if (set >= 0)
        H5Dclose(set);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return ok;
}

static int write_split(hid_t parent, duet_split s, const duet_records *r, const uint64_t *index)
{
    hid_t g = H5Gcreate2(parent, duet_split_name(s), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return 0;
    static const uint64_t zero = 0;
    const uint64_t *off = r->n ? r->off : &zero;
    size_t text_len = (size_t)off[r->n];
    int ok = write_array(g, "text", H5T_NATIVE_UINT8, text_len, r->text ? r->text : "") &&
             write_array(g, "offsets", H5T_NATIVE_UINT64, r->n + 1, off) &&
             write_array(g, "source_index", H5T_NATIVE_UINT64, r->n, index);
    if (ok && r->tagged) {
        const uint64_t *tag_off = r->n ? r->tag_off : &zero;
        ok = write_array(g, "tags", H5T_NATIVE_UINT8, (size_t)tag_off[r->n],
                         r->tags ? r->tags : "") &&
             write_array(g, "tag_offsets", H5T_NATIVE_UINT64, r->n + 1, tag_off);
    }
    H5Gclose(g);
    return ok;
}

static int write_domain(hid_t domains, const duet_pool_domain *dom)
{
    hid_t g = H5Gcreate2(domains, dom->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return 0;
    int64_t tagged = dom->tagged;
    int ok = set_string(g, "units", dom->units) && set_string(g, "summary", dom->summary) &&
             set_number(g, "tagged", H5T_NATIVE_INT64, &tagged);
    for (int s = 0; ok && s < DUET_SPLIT_COUNT; s++)
        ok = write_split(g, (duet_split)s, &dom->split[s], dom->source_index[s]);
    H5Gclose(g);
    return ok;
}

/* Root attributes: format, versions, seed, preset, domain order and per-source provenance. */
static int write_root_attributes(hid_t file, const duet_pool *pool, const duet_import *imp)
{
    int64_t version = DUET_POOL_FORMAT_VERSION;
    size_t n = imp->n_sources;
    const char **names = duet_calloc(n + pool->n_domains + 1, sizeof *names);
    const char **packages = duet_calloc(n + 1, sizeof *packages);
    const char **licences = duet_calloc(n + 1, sizeof *licences);
    const char **digests = duet_calloc(n + 1, sizeof *digests);
    int ok = names && packages && licences && digests;
    for (size_t i = 0; ok && i < n; i++) {
        names[i] = imp->sources[i].name;
        packages[i] = imp->sources[i].package;
        licences[i] = imp->sources[i].licence;
        digests[i] = imp->sources[i].sha256;
    }
    ok = ok && set_string(file, "format", "duet-pool") &&
         set_number(file, "format_version", H5T_NATIVE_INT64, &version) &&
         set_number(file, "importer_version", H5T_NATIVE_INT64, &pool->importer_version) &&
         set_number(file, "split_seed", H5T_NATIVE_UINT64, &pool->split_seed) &&
         set_string(file, "preset", pool->preset) && set_strings(file, "sources", n, names) &&
         set_strings(file, "source_packages", n, packages) &&
         set_strings(file, "source_licences", n, licences) &&
         set_strings(file, "source_sha256", n, digests);
    for (size_t d = 0; ok && d < pool->n_domains; d++)
        names[d] = pool->domains[d].name;
    ok = ok && set_strings(file, "domains", pool->n_domains, names);
    duet_free(names);
    duet_free(packages);
    duet_free(licences);
    duet_free(digests);
    return ok;
}

static int write_inputs(hid_t file, const duet_import *imp)
{
    hid_t g = H5Gcreate2(file, "inputs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return 0;
    const char **digests = duet_calloc(imp->n_files + 1, sizeof *digests);
    int ok = digests != NULL;
    for (size_t i = 0; ok && i < imp->n_files; i++)
        digests[i] = imp->file_sha256[i];
    ok = ok && write_string_array(g, "path", imp->n_files, (const char *const *)imp->file_paths) &&
         write_string_array(g, "sha256", imp->n_files, digests);
    duet_free(digests);
    H5Gclose(g);
    return ok;
}

duet_status duet_pool_write_hdf5(const duet_pool *pool, const duet_import *imp, const char *path,
                                 duet_error *err)
{
    H5E_auto2_t saved_fn;
    void *saved_data;
    H5Eget_auto2(H5E_DEFAULT, &saved_fn, &saved_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    duet_status status = DUET_OK;
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        status = duet_error_set(err, DUET_EIO,
                                "cannot create the pool file %s; check that its folder exists "
                                "and is writable",
                                path);
    } else {
        hid_t domains = H5Gcreate2(file, "domains", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        int ok = domains >= 0 && write_root_attributes(file, pool, imp) && write_inputs(file, imp);
        for (size_t d = 0; ok && d < pool->n_domains; d++)
            ok = write_domain(domains, &pool->domains[d]);
        if (domains >= 0)
            H5Gclose(domains);
        if (H5Fclose(file) < 0)
            ok = 0;
        if (!ok)
            status = duet_error_set(
                err, DUET_EIO, "cannot write the pool file %s (disk full or not writable?)", path);
    }
    H5Eset_auto2(H5E_DEFAULT, saved_fn, saved_data);
    return status;
}

/* ------------------------------------------------------------------ reading */

/* Reads a scalar string attribute into an owned copy; NULL on failure. */
static char *get_string(hid_t obj, const char *name)
{
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return NULL;
    hid_t type = vlen_string_type();
    char *value = NULL, *copy = NULL;
    if (type >= 0 && H5Aread(attr, type, &value) >= 0 && value != NULL) {
        copy = duet_strdup(value);
        H5free_memory(value);
    }
    if (type >= 0)
        H5Tclose(type);
    H5Aclose(attr);
    return copy;
}

/* Reads a string array attribute into an owned array of owned strings. */
static char **get_strings(hid_t obj, const char *name, size_t *count)
{
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return NULL;
    hid_t space = H5Aget_space(attr);
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    hid_t type = vlen_string_type();
    char **raw = n >= 0 ? duet_calloc((size_t)n + 1, sizeof *raw) : NULL;
    char **copy = n >= 0 ? duet_calloc((size_t)n + 1, sizeof *copy) : NULL;
    int ok = type >= 0 && raw && copy && H5Aread(attr, type, raw) >= 0;
    for (hssize_t i = 0; ok && i < n; i++)
        ok = raw[i] != NULL && (copy[i] = duet_strdup(raw[i])) != NULL;
    if (type >= 0 && raw && space >= 0 && n > 0)
        H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw);
    if (!ok && copy) {
        for (hssize_t i = 0; i < n; i++)
            duet_free(copy[i]);
        duet_free(copy);
        copy = NULL;
    }
    duet_free(raw);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    H5Aclose(attr);
    *count = ok ? (size_t)n : 0;
    return copy;
}

static void free_strings(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        duet_free(v[i]);
    duet_free(v);
}

static int get_number(hid_t obj, const char *name, hid_t type, void *value)
{
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return 0;
    int ok = H5Aread(attr, type, value) >= 0;
    H5Aclose(attr);
    return ok;
}

/* Size in bytes of the file that holds obj, or 0 when unknown. */
static hsize_t file_size_of(hid_t obj)
{
    hsize_t size = 0;
    hid_t file = H5Iget_file_id(obj);
    if (file >= 0) {
        if (H5Fget_filesize(file, &size) < 0)
            size = 0;
        H5Fclose(file);
    }
    return size;
}

/*
 * Reads a 1-D dataset of `type` into a new buffer of *n elements (at least one allocated).
 * Pool files store their arrays uncompressed, so a dataset that declares more bytes than the
 * whole file holds is damaged or hostile and is rejected before anything is allocated for it.
 */
static void *read_array(hid_t group, const char *name, hid_t type, size_t elem, size_t *n)
{
    hsize_t dims[1] = {0};
    int rank = -1;
    if (H5LTget_dataset_ndims(group, name, &rank) < 0 || rank != 1 ||
        H5LTget_dataset_info(group, name, dims, NULL, NULL) < 0)
        return NULL;
    int overflow;
    size_t bytes = duet_mul_size((size_t)dims[0] + 1, elem, &overflow);
    if (!overflow && bytes - elem > file_size_of(group))
        return NULL;
    void *buf = overflow ? NULL : duet_malloc(bytes);
    if (buf == NULL)
        return NULL;
    if (dims[0] > 0 && H5LTread_dataset(group, name, type, buf) < 0) {
        duet_free(buf);
        return NULL;
    }
    *n = (size_t)dims[0];
    return buf;
}

/* Checks that off[0..n] runs from 0 to total without decreasing. */
static int offsets_valid(const uint64_t *off, size_t n, size_t total)
{
    if (off[0] != 0 || off[n] != total)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (off[i + 1] < off[i])
            return 0;
    return 1;
}

static duet_status read_split(hid_t domain_group, const char *path, duet_pool_domain *dom,
                              duet_split s, duet_error *err)
{
    const char *split = duet_split_name(s);
    hid_t g = H5Gopen2(domain_group, split, H5P_DEFAULT);
    if (g < 0)
        return duet_error_set(err, DUET_EFORMAT, "%s: domain %s has no %s split", path, dom->name,
                              split);
    duet_records *r = &dom->split[s];
    r->tagged = dom->tagged;
    size_t text_len = 0, n_off = 0, n_index = 0, tags_len = 0, n_tag_off = 0;
    r->text = read_array(g, "text", H5T_NATIVE_UINT8, 1, &text_len);
    r->off = read_array(g, "offsets", H5T_NATIVE_UINT64, sizeof(uint64_t), &n_off);
    dom->source_index[s] =
        read_array(g, "source_index", H5T_NATIVE_UINT64, sizeof(uint64_t), &n_index);
    int ok = r->text && r->off && dom->source_index[s] && n_off >= 1 && n_index == n_off - 1 &&
             offsets_valid(r->off, n_off - 1, text_len);
    if (ok && dom->tagged) {
        r->tags = read_array(g, "tags", H5T_NATIVE_UINT8, 1, &tags_len);
        r->tag_off = read_array(g, "tag_offsets", H5T_NATIVE_UINT64, sizeof(uint64_t), &n_tag_off);
        ok = r->tags && r->tag_off && n_tag_off == n_off &&
             offsets_valid(r->tag_off, n_tag_off - 1, tags_len);
    }
    H5Gclose(g);
    if (!ok)
        return duet_error_set(err, DUET_EFORMAT,
                              "%s: /domains/%s/%s is missing a dataset, has inconsistent "
                              "offsets or declares more data than the file holds; import the "
                              "pool again with duet data import",
                              path, dom->name, split);
    r->n = n_off - 1;
    r->text_cap = text_len + 1;
    r->off_cap = n_off;
    r->tags_cap = tags_len + 1;
    return DUET_OK;
}

static duet_status read_domain(hid_t domains, const char *path, duet_pool_domain *dom,
                               duet_error *err)
{
    hid_t g = H5Gopen2(domains, dom->name, H5P_DEFAULT);
    if (g < 0)
        return duet_error_set(err, DUET_EFORMAT,
                              "%s: the domain list names %s but there is no "
                              "group /domains/%s",
                              path, dom->name, dom->name);
    int64_t tagged = 0;
    dom->units = get_string(g, "units");
    dom->summary = get_string(g, "summary");
    duet_status status = DUET_OK;
    if (!get_number(g, "tagged", H5T_NATIVE_INT64, &tagged) || dom->units == NULL ||
        dom->summary == NULL)
        status = duet_error_set(err, DUET_EFORMAT,
                                "%s: /domains/%s lacks the units, summary or tagged attribute",
                                path, dom->name);
    dom->tagged = tagged != 0;
    for (int s = 0; status == DUET_OK && s < DUET_SPLIT_COUNT; s++)
        status = read_split(g, path, dom, (duet_split)s, err);
    H5Gclose(g);
    return status;
}

static duet_status read_file(hid_t file, duet_pool *pool, const char *path, duet_error *err)
{
    char *format = get_string(file, "format");
    int is_pool = format != NULL && strcmp(format, "duet-pool") == 0;
    duet_free(format);
    int64_t version = -1;
    if (!is_pool || !get_number(file, "format_version", H5T_NATIVE_INT64, &version))
        return duet_error_set(err, DUET_EFORMAT,
                              "%s is an HDF5 file but not a duet pool file (no format = "
                              "\"duet-pool\" attribute); create one with duet data import",
                              path);
    if (version != DUET_POOL_FORMAT_VERSION)
        return duet_error_set(err, DUET_EFORMAT,
                              "%s has pool format version %lld but this duet reads version %d; "
                              "import it again with duet data import",
                              path, (long long)version, DUET_POOL_FORMAT_VERSION);
    pool->preset = get_string(file, "preset");
    size_t n = 0;
    char **names = get_strings(file, "domains", &n);
    if (pool->preset == NULL || names == NULL ||
        !get_number(file, "split_seed", H5T_NATIVE_UINT64, &pool->split_seed) ||
        !get_number(file, "importer_version", H5T_NATIVE_INT64, &pool->importer_version)) {
        free_strings(names, n);
        return duet_error_set(err, DUET_EFORMAT,
                              "%s lacks the preset, domains, split_seed or importer_version "
                              "attribute; import it again with duet data import",
                              path);
    }
    pool->domains = duet_calloc(n + 1, sizeof *pool->domains);
    if (pool->domains == NULL) {
        free_strings(names, n);
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", path);
    }
    pool->n_domains = n;
    for (size_t d = 0; d < n; d++) {
        pool->domains[d].name = names[d];
        names[d] = NULL;
    }
    free_strings(names, n);
    hid_t domains = H5Gopen2(file, "domains", H5P_DEFAULT);
    if (domains < 0)
        return duet_error_set(err, DUET_EFORMAT, "%s has no /domains group", path);
    duet_status status = DUET_OK;
    for (size_t d = 0; status == DUET_OK && d < n; d++)
        status = read_domain(domains, path, &pool->domains[d], err);
    H5Gclose(domains);
    return status;
}

duet_status duet_pool_read_hdf5(duet_pool *pool, const char *path, duet_error *err)
{
    H5E_auto2_t saved_fn;
    void *saved_data;
    H5Eget_auto2(H5E_DEFAULT, &saved_fn, &saved_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    duet_status status;
    if (access(path, F_OK) != 0) {
        H5Eset_auto2(H5E_DEFAULT, saved_fn, saved_data);
        return duet_error_set(err, DUET_ENOTFOUND,
                              "pool file %s does not exist; fetch the raw sources with "
                              "scripts/fetch-data.sh and create it with duet data import "
                              "--preset main9 -o %s",
                              path, path);
    }
    htri_t is_hdf5 = H5Fis_hdf5(path);
    hid_t file = is_hdf5 > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (is_hdf5 == 0)
        status =
            duet_error_set(err, DUET_EFORMAT,
                           "%s is not an HDF5 file; create the pool with duet data import", path);
    else if (file < 0)
        status = duet_error_set(err, DUET_EFORMAT,
                                "cannot open the pool file %s: the HDF5 library rejects it, so "
                                "it is damaged or truncated (for example by an interrupted copy); "
                                "rebuild it with `make data` or `duet data import`",
                                path);
    else
        status = read_file(file, pool, path, err);
    if (file >= 0)
        H5Fclose(file);
    H5Eset_auto2(H5E_DEFAULT, saved_fn, saved_data);
    return status;
}

/* ------------------------------------------------------------------ public accessors */

duet_status duet_pool_open(const char *path, duet_pool **out, duet_error *err)
{
    *out = NULL;
    duet_pool *pool = duet_calloc(1, sizeof *pool);
    if (pool == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening %s", path);
    pool->path = duet_strdup(path);
    duet_status status = pool->path
                             ? duet_pool_read_hdf5(pool, path, err)
                             : duet_error_set(err, DUET_ENOMEM, "out of memory opening %s", path);
    if (status != DUET_OK) {
        duet_pool_free(pool);
        return status;
    }
    *out = pool;
    return DUET_OK;
}

void duet_pool_free(duet_pool *pool)
{
    if (pool == NULL)
        return;
    duet_pool_clear(pool);
    duet_free(pool);
}

size_t duet_pool_domain_count(const duet_pool *pool)
{
    return pool->n_domains;
}

const char *duet_pool_domain_name(const duet_pool *pool, size_t domain)
{
    return pool->domains[domain].name;
}

int duet_pool_domain_tagged(const duet_pool *pool, size_t domain)
{
    return pool->domains[domain].tagged;
}

const duet_records *duet_pool_records(const duet_pool *pool, size_t domain, duet_split split)
{
    return &pool->domains[domain].split[split];
}

int duet_pool_find(const duet_pool *pool, const char *name, size_t *domain)
{
    for (size_t d = 0; d < pool->n_domains; d++) {
        if (strcmp(pool->domains[d].name, name) == 0) {
            *domain = d;
            return 1;
        }
    }
    return 0;
}

uint64_t duet_pool_split_seed(const duet_pool *pool)
{
    return pool->split_seed;
}

const char *duet_pool_preset_name(const duet_pool *pool)
{
    return pool->preset;
}

const char *duet_pool_path(const duet_pool *pool)
{
    return pool->path;
}
