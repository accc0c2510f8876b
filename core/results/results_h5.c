/*
 * HDF5 writer and reader of the results model (layout in docs/results-format.md).
 *
 * The writer never modifies a results file in place: it writes a complete new file under a
 * temporary name, flushes it, and renames it over the old one, so a crash leaves the previous
 * snapshot intact. The reader treats the file as untrusted input: it checks the format tag,
 * every dataset's rank, shape and type class before reading, and caps the memory a file can make
 * it allocate, reporting DUET_EFORMAT or DUET_ELIMIT with the dataset's path.
 */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/h5check.h"
#include "results/results.h"
#include "util/fileio.h"
#include "util/mem.h"

/* Elements (of 8 bytes) a file may make the reader allocate in all, at most: 2 GiB. */
#define READ_BUDGET_ELEMENTS ((size_t)1 << 28)
#define MAX_DOMAINS          4096

/* ------------------------------------------------------------------ error text */

/* Appends the innermost HDF5 error description to err's message. */
static herr_t walk_error(unsigned n, const H5E_error2_t *e, void *data)
{
    char *out = data;
    if (n == 0 && e->desc)
        snprintf(out, 256, "%s", e->desc);
    return 0;
}

static duet_status h5_fail(duet_error *err, duet_status status, const char *what, const char *path)
{
    char detail[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_error, detail);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0])
        return duet_error_set(err, status, "%s %s (%s)", what, path, detail);
    return duet_error_set(err, status, "%s %s", what, path);
}

/* Silences HDF5's own printing; errors are reported through duet_error instead. */
static void quiet_hdf5(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* ------------------------------------------------------------------ writing */

typedef struct writer {
    const char *path;
    duet_error *err;
    int failed;
} writer;

static int wfail(writer *w, const char *what, const char *name)
{
    if (!w->failed) {
        char where[512];
        snprintf(where, sizeof where, "'%s' in %s", name, w->path);
        h5_fail(w->err, DUET_EIO, what, where);
    }
    w->failed = 1;
    return -1;
}

static hid_t new_group(writer *w, hid_t parent, const char *name)
{
    if (w->failed)
        return -1;
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t g = H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0)
        wfail(w, "cannot create group", name);
    return g;
}

static void attr_string(writer *w, hid_t obj, const char *name, const char *value)
{
    if (w->failed)
        return;
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char *v = value ? value : "";
    if (a < 0 || H5Awrite(a, type, &v) < 0)
        wfail(w, "cannot write attribute", name);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
}

static void attr_int(writer *w, hid_t obj, const char *name, int64_t value)
{
    if (w->failed)
        return;
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, H5T_NATIVE_INT64, &value) < 0)
        wfail(w, "cannot write attribute", name);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
}

static void attr_double(writer *w, hid_t obj, const char *name, double value)
{
    if (w->failed)
        return;
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, H5T_NATIVE_DOUBLE, &value) < 0)
        wfail(w, "cannot write attribute", name);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
}

/* Writes a dataset of rows x cols (cols = 0: a vector of rows). */
static void write_array(writer *w, hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                        size_t rows, size_t cols, const void *data)
{
    if (w->failed)
        return;
    hsize_t dims[2] = {rows, cols};
    hid_t space = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0 || (rows * (cols ? cols : 1) > 0 &&
                  H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
        wfail(w, "cannot write dataset", name);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(space);
}

static void write_doubles(writer *w, hid_t loc, const char *name, size_t rows, size_t cols,
                          const double *data)
{
    write_array(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, rows, cols, data);
}

static void write_int64s(writer *w, hid_t loc, const char *name, size_t rows, size_t cols,
                         const int64_t *data)
{
    write_array(w, loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, rows, cols, data);
}

static void write_strings(writer *w, hid_t loc, const char *name, size_t n, char *const *v)
{
    if (w->failed)
        return;
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    write_array(w, loc, name, type, type, n, 0, v);
    H5Tclose(type);
}

static void close_group(hid_t g)
{
    if (g >= 0)
        H5Gclose(g);
}

static void write_trial(writer *w, hid_t parent, size_t index, const duet_results *r,
                        const duet_task_results *task, const duet_method_results *mr)
{
    const duet_trial_results *tr = &mr->trials[index];
    char name[32];
    snprintf(name, sizeof name, "%zu", index);
    hid_t g = new_group(w, parent, name);
    size_t T = r->iterations, n = task->n, k = mr->samples;
    attr_int(w, g, "complete", tr->complete);
    attr_int(w, g, "iterations_done", (int64_t)tr->iterations_done);
    /* Seeds are 64-bit unsigned; decimal text keeps them exact in every reader. */
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)tr->seed);
    attr_string(w, g, "seed", seed);
    write_doubles(w, g, "proposed", T, n, tr->proposed);
    write_doubles(w, g, "ratios", T, n, tr->ratios);
    write_int64s(w, g, "counts", T, n, tr->counts);
    write_doubles(w, g, "ess", T, n, tr->ess);
    write_doubles(w, g, "samples", T, k, tr->samples);
    write_doubles(w, g, "sample_values", T, k, tr->sample_values);
    write_doubles(w, g, "feedback", T, 0, tr->feedback);
    write_doubles(w, g, "value", T, 0, tr->value);
    write_doubles(w, g, "inner_optimum", T, 0, tr->inner_optimum);
    write_int64s(w, g, "best_sample", T, 0, tr->best_sample);
    write_doubles(w, g, "best_so_far", T, 0, tr->best_so_far);
    write_doubles(w, g, "regret", T, 0, tr->regret);
    write_doubles(w, g, "seconds", T, 0, tr->seconds);

    hid_t diag = new_group(w, g, "diag");
    for (size_t i = 0; i < tr->n_diag; i++)
        write_doubles(w, diag, tr->diag[i].name, T, tr->diag[i].len, tr->diag[i].values);
    close_group(diag);

    hid_t warm = new_group(w, g, "warm_start");
    attr_int(w, warm, "points_done", (int64_t)tr->warm_done);
    write_doubles(w, warm, "ratios", tr->warm_total, n, tr->warm_ratios);
    write_doubles(w, warm, "feedback", tr->warm_total, 0, tr->warm_feedback);
    write_doubles(w, warm, "value", tr->warm_total, 0, tr->warm_value);
    close_group(warm);

    hid_t answer = new_group(w, g, "answer");
    attr_int(w, answer, "iteration", tr->answer_iteration);
    attr_int(w, answer, "sample", tr->answer_sample);
    attr_double(w, answer, "feedback", tr->answer_feedback);
    size_t items = 0;
    for (size_t i = 0; i < n; i++)
        items += (size_t)tr->answer_counts[i];
    write_int64s(w, answer, "counts", n, 0, tr->answer_counts);
    write_array(w, answer, "items", H5T_STD_U64LE, H5T_NATIVE_UINT64, items, 0, tr->answer_items);
    if (tr->has_model_answer)
        write_doubles(w, answer, "model_optimum", n, 0, tr->model_answer);
    close_group(answer);
    close_group(g);
}

static void write_task(writer *w, hid_t tasks, const duet_results *r, const duet_task_results *t)
{
    hid_t g = new_group(w, tasks, t->name);
    attr_string(w, g, "goal", t->goal == 0 ? "maximize" : "minimize");
    attr_string(w, g, "metric", t->metric);
    attr_int(w, g, "optimum_known", t->optimum_known);
    attr_double(w, g, "optimum", t->optimum);
    write_strings(w, g, "domains", t->n, t->domains);
    if (t->optimum_ratios)
        write_doubles(w, g, "optimum_ratios", t->n, 0, t->optimum_ratios);
    hid_t methods = new_group(w, g, "methods");
    for (size_t m = 0; m < t->n_methods; m++) {
        const duet_method_results *mr = &t->methods[m];
        hid_t mg = new_group(w, methods, mr->label);
        attr_string(w, mg, "type", mr->type);
        attr_string(w, mg, "selector", mr->selector);
        attr_int(w, mg, "samples", (int64_t)mr->samples);
        hid_t trials = new_group(w, mg, "trials");
        for (size_t i = 0; i < r->trials; i++)
            write_trial(w, trials, i, r, t, mr);
        close_group(trials);
        close_group(mg);
    }
    close_group(methods);
    close_group(g);
}

static void write_root(writer *w, hid_t f, const duet_results *r)
{
    const duet_provenance *p = &r->prov;
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
    attr_string(w, f, "format", DUET_RESULTS_FORMAT);
    attr_int(w, f, "format_version", DUET_RESULTS_FORMAT_VERSION);
    attr_string(w, f, "experiment", r->experiment);
    attr_string(w, f, "description", r->description);
    attr_string(w, f, "seed", seed);
    attr_int(w, f, "points", (int64_t)r->points);
    attr_int(w, f, "iterations", (int64_t)r->iterations);
    attr_int(w, f, "trials", (int64_t)r->trials);
    attr_string(w, f, "duet_version", p->duet_version);
    attr_string(w, f, "git_commit", p->git_commit);
    attr_int(w, f, "git_dirty", p->git_dirty);
    attr_string(w, f, "compiler", p->compiler);
    attr_string(w, f, "build_type", p->build_type);
    attr_string(w, f, "blas", p->blas);
    attr_int(w, f, "blas_threads", p->blas_threads);
    attr_string(w, f, "host", p->host);
    attr_string(w, f, "started", p->started);
    attr_string(w, f, "finished", p->finished);
    attr_string(w, f, "command_line", p->command_line);
    attr_string(w, f, "script_path", p->script_path);
    attr_string(w, f, "script", p->script);
    attr_string(w, f, "config", p->config);
    size_t tc, tt, id, it;
    duet_results_progress(r, &tc, &tt, &id, &it);
    attr_int(w, f, "complete", tc == tt);
}

/* Writes len bytes of data to a new file at path and flushes it to disk. */
static duet_status write_image(const char *path, const unsigned char *data, size_t len,
                               duet_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return duet_error_set(err, DUET_EIO, "cannot create results file %s: %s", path,
                              strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t put = write(fd, data + done, len - done);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0) {
            int saved = put < 0 ? errno : ENOSPC;
            close(fd);
            return duet_error_set(err, DUET_EIO,
                                  "cannot write results file %s after %zu of %zu bytes: %s; the "
                                  "previous snapshot is kept",
                                  path, done, len, strerror(saved));
        }
        done += (size_t)put;
    }
    if (fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        return duet_error_set(err, DUET_EIO, "cannot flush results file %s: %s", path,
                              strerror(saved));
    }
    if (close(fd) != 0)
        return duet_error_set(err, DUET_EIO, "cannot close results file %s: %s", path,
                              strerror(errno));
    return DUET_OK;
}

/*
 * HDF5 builds the file in memory (the core driver without a backing store) and this code writes
 * the image, so a full disk or a size limit is an error of write(2) that the previous snapshot
 * survives. With the sec2 driver HDF5 1.10.8 hit it inside H5Fclose, left the file half closed,
 * and crashed at exit. The price is a second copy of the file in memory while it is written.
 */
duet_status duet_results_write(const duet_results *r, const char *path, duet_error *err)
{
    quiet_hdf5();
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return duet_error_set(err, DUET_EINVAL, "results path too long: %s", path);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18);
    H5Pset_fapl_core(fapl, (size_t)1 << 20, 0);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fapl);
    H5Pclose(fcpl);
    if (f < 0)
        return h5_fail(err, DUET_EIO, "cannot create results file", tmp);
    writer w = {tmp, err, 0};
    write_root(&w, f, r);
    hid_t tasks = new_group(&w, f, "tasks");
    for (size_t t = 0; t < r->n_tasks; t++)
        write_task(&w, tasks, r, &r->tasks[t]);
    close_group(tasks);
    unsigned char *image = NULL;
    duet_status st = DUET_OK;
    if (!w.failed && H5Fflush(f, H5F_SCOPE_GLOBAL) < 0)
        wfail(&w, "cannot flush", "file");
    ssize_t len = w.failed ? -1 : H5Fget_file_image(f, NULL, 0);
    if (!w.failed && len <= 0)
        wfail(&w, "cannot build the image of", "file");
    if (!w.failed && (image = duet_malloc((size_t)len)) == NULL)
        st = duet_error_set(err, DUET_ENOMEM, "out of memory writing %s (%zd bytes)", path, len);
    if (!w.failed && st == DUET_OK && H5Fget_file_image(f, image, (size_t)len) != len)
        wfail(&w, "cannot copy the image of", "file");
    if (H5Fclose(f) < 0 && !w.failed)
        wfail(&w, "cannot close", "file");
    if (w.failed)
        st = DUET_EIO;
    if (st == DUET_OK)
        st = write_image(tmp, image, (size_t)len, err);
    duet_free(image);
    if (st == DUET_OK && rename(tmp, path) != 0)
        st =
            duet_error_set(err, DUET_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (st != DUET_OK) {
        unlink(tmp);
        return st;
    }
    return duet_sync_parent_dir(path, err);
}

/* ------------------------------------------------------------------ reading */

/*
 * Elements the reader may allocate for the file at path. A duet file stores every array it
 * describes in full, uncompressed, so its arrays take at most size / 8 elements; four times
 * that plus 2^20 covers the arrays the reader adds (derived columns, over-estimates of spend),
 * so a small hostile file cannot make the reader allocate gigabytes.
 */
static size_t read_budget(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || sb.st_size < 0)
        return 0;
    size_t elements = (size_t)sb.st_size / 8;
    if (elements > READ_BUDGET_ELEMENTS / 4)
        return READ_BUDGET_ELEMENTS;
    return 4 * elements + ((size_t)1 << 20);
}

typedef struct reader {
    const char *path;
    duet_error *err;
    duet_status status;
    size_t budget; /* elements still allowed */
} reader;

static int rfail(reader *rd, duet_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int rfail(reader *rd, duet_status status, const char *fmt, ...)
{
    if (rd->status == DUET_OK) {
        char what[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        duet_error_set(rd->err, status, "%s: %s; the file is not a complete duet results file",
                       rd->path, what);
        H5Eclear2(H5E_DEFAULT);
        rd->status = status;
    }
    return -1;
}

/* Reads a scalar string attribute into a new string; "" if absent and optional. */
static char *read_attr_string(reader *rd, hid_t obj, const char *name, int required)
{
    if (rd->status != DUET_OK)
        return NULL;
    if (H5Aexists(obj, name) <= 0) {
        if (required)
            rfail(rd, DUET_EFORMAT, "attribute '%s' is missing", name);
        return required ? NULL : duet_strdup("");
    }
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ftype = a >= 0 ? H5Aget_type(a) : -1;
    hid_t space = a >= 0 ? H5Aget_space(a) : -1;
    char *result = NULL;
    if (a < 0 || H5Tget_class(ftype) != H5T_STRING || H5Sget_simple_extent_npoints(space) != 1) {
        rfail(rd, DUET_EFORMAT, "attribute '%s' is not a single string", name);
    } else if (H5Tis_variable_str(ftype) > 0) {
        hid_t mtype = H5Tcopy(H5T_C_S1);
        H5Tset_size(mtype, H5T_VARIABLE);
        H5Tset_cset(mtype, H5Tget_cset(ftype));
        char *v = NULL;
        if (H5Aread(a, mtype, &v) >= 0) {
            result = duet_strdup(v ? v : "");
            H5free_memory(v);
        } else {
            rfail(rd, DUET_EFORMAT, "attribute '%s' cannot be read", name);
        }
        H5Tclose(mtype);
    } else {
        size_t size = H5Tget_size(ftype);
        if (size > (1u << 24)) {
            rfail(rd, DUET_ELIMIT, "attribute '%s' is too long", name);
        } else if ((result = duet_calloc(size + 1, 1)) != NULL) {
            hid_t mtype = H5Tcopy(H5T_C_S1);
            H5Tset_size(mtype, size);
            if (H5Aread(a, mtype, result) < 0)
                rfail(rd, DUET_EFORMAT, "attribute '%s' cannot be read", name);
            H5Tclose(mtype);
        }
    }
    if (rd->status == DUET_OK && result == NULL)
        rfail(rd, DUET_ENOMEM, "out of memory reading attribute '%s'", name);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (a >= 0)
        H5Aclose(a);
    return result;
}

/*
 * Reads the single-valued attribute `name` of type class cls into dest as mem_type; records a
 * failure naming `what` ("an integer", "a number") when it is missing or of another shape.
 */
static void read_attr_scalar(reader *rd, hid_t obj, const char *name, H5T_class_t cls,
                             hid_t mem_type, void *dest, const char *what)
{
    if (rd->status != DUET_OK)
        return;
    if (H5Aexists(obj, name) <= 0) {
        rfail(rd, DUET_EFORMAT, "attribute '%s' is missing", name);
        return;
    }
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ftype = a >= 0 ? H5Aget_type(a) : -1;
    hid_t space = a >= 0 ? H5Aget_space(a) : -1;
    if (a < 0 || H5Tget_class(ftype) != cls || H5Sget_simple_extent_npoints(space) != 1 ||
        H5Aread(a, mem_type, dest) < 0)
        rfail(rd, DUET_EFORMAT, "attribute '%s' is not %s", name, what);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (a >= 0)
        H5Aclose(a);
}

static int64_t read_attr_int(reader *rd, hid_t obj, const char *name)
{
    int64_t v = 0;
    read_attr_scalar(rd, obj, name, H5T_INTEGER, H5T_NATIVE_INT64, &v, "an integer");
    return rd->status == DUET_OK ? v : 0;
}

static double read_attr_double(reader *rd, hid_t obj, const char *name)
{
    double v = NAN;
    read_attr_scalar(rd, obj, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, &v, "a number");
    return rd->status == DUET_OK ? v : NAN;
}

static uint64_t parse_seed(reader *rd, const char *text, const char *name)
{
    if (text == NULL)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        rfail(rd, DUET_EFORMAT, "attribute '%s' is not a decimal seed", name);
    return (uint64_t)v;
}

/*
 * Reads dataset `name` of loc, which must have exactly `rows` x `cols` elements (cols = 0: a
 * vector) of the given type class, into dest (already allocated by the caller).
 */
static void read_array(reader *rd, hid_t loc, const char *name, H5T_class_t cls, hid_t mem_type,
                       size_t rows, size_t cols, void *dest)
{
    if (rd->status != DUET_OK)
        return;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        rfail(rd, DUET_EFORMAT, "dataset '%s' is missing", name);
        return;
    }
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) {
        rfail(rd, DUET_EFORMAT, "'%s' is not a dataset", name);
        return;
    }
    hid_t space = H5Dget_space(d), ftype = H5Dget_type(d);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hsize_t dims[2] = {0, 0};
    int shape_ok = rank == (cols ? 2 : 1) && H5Sget_simple_extent_dims(space, dims, NULL) == rank &&
                   dims[0] == rows && (cols == 0 || dims[1] == cols);
    if (!shape_ok)
        rfail(rd, DUET_EFORMAT, "dataset '%s' has an unexpected shape", name);
    else if (H5Tget_class(ftype) != cls || H5Tget_size(ftype) > 8)
        rfail(rd, DUET_EFORMAT, "dataset '%s' has an unexpected type", name);
    else if (rows * (cols ? cols : 1) > 0 &&
             H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, dest) < 0)
        rfail(rd, DUET_EFORMAT, "dataset '%s' cannot be read", name);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(d);
}

/* Returns the length of the 1-D dataset `name`, or 0 with a failure recorded. */
static size_t dataset_length(reader *rd, hid_t loc, const char *name, size_t max)
{
    if (rd->status != DUET_OK)
        return 0;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        rfail(rd, DUET_EFORMAT, "dataset '%s' is missing", name);
        return 0;
    }
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t space = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[2] = {0, 0};
    size_t len = 0;
    if (space < 0 || H5Sget_simple_extent_ndims(space) != 1 ||
        H5Sget_simple_extent_dims(space, dims, NULL) != 1)
        rfail(rd, DUET_EFORMAT, "dataset '%s' is not a vector", name);
    else if (dims[0] > max)
        rfail(rd, DUET_ELIMIT, "dataset '%s' is longer than this program accepts", name);
    else
        len = (size_t)dims[0];
    if (space >= 0)
        H5Sclose(space);
    if (d >= 0)
        H5Dclose(d);
    return len;
}

/* Takes `count` elements from the reading budget; records ELIMIT when it runs out. */
static int spend(reader *rd, size_t rows, size_t cols)
{
    int overflow = 0;
    size_t count = duet_mul_size(rows, cols ? cols : 1, &overflow);
    if (overflow || count > rd->budget) {
        rfail(rd, DUET_ELIMIT, "%s", "the file's arrays are larger than this program reads");
        return 0;
    }
    rd->budget -= count;
    return 1;
}

static char **read_strings(reader *rd, hid_t loc, const char *name, size_t n)
{
    char **out = duet_calloc(n ? n : 1, sizeof *out);
    char **raw = duet_calloc(n ? n : 1, sizeof *raw);
    if (out == NULL || raw == NULL) {
        duet_free(out);
        duet_free(raw);
        rfail(rd, DUET_ENOMEM, "out of memory reading '%s'", name);
        return NULL;
    }
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    read_array(rd, loc, name, H5T_STRING, type, n, 0, raw);
    for (size_t i = 0; i < n; i++) {
        if (rd->status == DUET_OK && (out[i] = duet_strdup(raw[i] ? raw[i] : "")) == NULL)
            rfail(rd, DUET_ENOMEM, "out of memory reading '%s'", name);
        if (raw[i])
            H5free_memory(raw[i]);
    }
    H5Tclose(type);
    duet_free(raw);
    return out;
}

typedef struct name_list {
    size_t n;
    char **names;
    int overflow;
    int nomem; /* an allocation failed: the listing is incomplete */
} name_list;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    name_list *list = data;
    if (list->n >= 100000) {
        list->overflow = 1;
        return 1;
    }
    char **grown = duet_realloc(list->names, (list->n + 1) * sizeof *grown);
    if (grown == NULL) {
        list->nomem = 1;
        return -1;
    }
    list->names = grown;
    if ((list->names[list->n] = duet_strdup(name)) == NULL) {
        list->nomem = 1;
        return -1;
    }
    list->n++;
    return 0;
}

static void free_names(name_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        duet_free(list->names[i]);
    duet_free(list->names);
    memset(list, 0, sizeof *list);
}

/* Lists the links of group g in creation order (name order if the file does not track it). */
static void list_group(reader *rd, hid_t g, const char *what, name_list *out)
{
    memset(out, 0, sizeof *out);
    if (rd->status != DUET_OK)
        return;
    hsize_t idx = 0;
    herr_t rc = H5Literate(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, collect_name, out);
    if (rc < 0 && !out->nomem) {
        free_names(out);
        H5Eclear2(H5E_DEFAULT);
        idx = 0;
        rc = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, out);
    }
    if (out->nomem) {
        H5Eclear2(H5E_DEFAULT);
        rfail(rd, DUET_ENOMEM, "out of memory listing group '%s'", what);
    } else if (rc < 0 || out->overflow)
        rfail(rd, DUET_EFORMAT, "group '%s' cannot be listed", what);
}

static hid_t open_group(reader *rd, hid_t loc, const char *name)
{
    if (rd->status != DUET_OK)
        return -1;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        rfail(rd, DUET_EFORMAT, "group '%s' is missing", name);
        return -1;
    }
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0)
        rfail(rd, DUET_EFORMAT, "'%s' is not a group", name);
    return g;
}

static void read_trial(reader *rd, hid_t trials, size_t index, const duet_results *r,
                       const duet_task_results *task, duet_method_results *mr)
{
    char name[32];
    snprintf(name, sizeof name, "%zu", index);
    hid_t g = open_group(rd, trials, name);
    if (g < 0)
        return;
    size_t T = r->iterations, n = task->n, k = mr->samples;
    duet_trial_results *tr = &mr->trials[index];
    hid_t warm = open_group(rd, g, "warm_start");
    size_t W = warm >= 0 ? dataset_length(rd, warm, "feedback", 1000000) : 0;
    hid_t answer = open_group(rd, g, "answer");
    /* An unfinished trial has no answer yet: its items dataset is empty. */
    size_t M = answer >= 0 ? dataset_length(rd, answer, "items", (size_t)1 << 27) : 0;
    if (rd->status == DUET_OK && M != 0 && M != r->points)
        rfail(rd, DUET_EFORMAT, "answer of trial %s has %zu items, not 0 or %zu", name, M,
              r->points);
    if (rd->status == DUET_OK && spend(rd, T, 6 * n + 2 * k + 10) && spend(rd, W, n + 2) &&
        spend(rd, r->points + n, 0) &&
        duet_trial_results_alloc(tr, T, n, k, W, r->points, rd->err) != DUET_OK)
        rd->status = rd->err->status;
    if (rd->status != DUET_OK)
        goto done;
    char *seed = read_attr_string(rd, g, "seed", 1);
    tr->seed = parse_seed(rd, seed, "seed");
    duet_free(seed);
    tr->complete = read_attr_int(rd, g, "complete") != 0;
    int64_t done = read_attr_int(rd, g, "iterations_done");
    if (rd->status == DUET_OK && (done < 0 || (size_t)done > T))
        rfail(rd, DUET_EFORMAT, "iterations_done of trial %s is out of range", name);
    tr->iterations_done = rd->status == DUET_OK ? (size_t)done : 0;
    read_array(rd, g, "proposed", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, n, tr->proposed);
    read_array(rd, g, "ratios", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, n, tr->ratios);
    read_array(rd, g, "counts", H5T_INTEGER, H5T_NATIVE_INT64, T, n, tr->counts);
    read_array(rd, g, "ess", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, n, tr->ess);
    read_array(rd, g, "samples", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, k, tr->samples);
    read_array(rd, g, "sample_values", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, k, tr->sample_values);
    read_array(rd, g, "feedback", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, 0, tr->feedback);
    read_array(rd, g, "value", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, 0, tr->value);
    read_array(rd, g, "inner_optimum", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, 0, tr->inner_optimum);
    read_array(rd, g, "best_sample", H5T_INTEGER, H5T_NATIVE_INT64, T, 0, tr->best_sample);
    read_array(rd, g, "best_so_far", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, 0, tr->best_so_far);
    read_array(rd, g, "regret", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, 0, tr->regret);
    read_array(rd, g, "seconds", H5T_FLOAT, H5T_NATIVE_DOUBLE, T, 0, tr->seconds);

    hid_t diag = open_group(rd, g, "diag");
    name_list names;
    list_group(rd, diag, "diag", &names);
    for (size_t i = 0; i < names.n && rd->status == DUET_OK; i++) {
        hid_t d = H5Dopen2(diag, names.names[i], H5P_DEFAULT);
        hid_t space = d >= 0 ? H5Dget_space(d) : -1;
        hsize_t dims[2] = {0, 0};
        if (space < 0 || H5Sget_simple_extent_ndims(space) != 2 ||
            H5Sget_simple_extent_dims(space, dims, NULL) != 2 || dims[0] != T || dims[1] == 0 ||
            dims[1] > 1u << 16)
            rfail(rd, DUET_EFORMAT, "diagnostic '%s' has an unexpected shape", names.names[i]);
        if (space >= 0)
            H5Sclose(space);
        if (d >= 0)
            H5Dclose(d);
        duet_series *s = NULL;
        if (rd->status == DUET_OK && spend(rd, T, (size_t)dims[1]) &&
            duet_trial_series(tr, names.names[i], (size_t)dims[1], T, &s, rd->err) != DUET_OK)
            rd->status = rd->err->status;
        if (s)
            read_array(rd, diag, names.names[i], H5T_FLOAT, H5T_NATIVE_DOUBLE, T, s->len,
                       s->values);
    }
    free_names(&names);
    close_group(diag);

    if (warm >= 0) {
        int64_t wd = read_attr_int(rd, warm, "points_done");
        if (rd->status == DUET_OK && (wd < 0 || (size_t)wd > W))
            rfail(rd, DUET_EFORMAT, "points_done of the warm start of trial %s is out of range",
                  name);
        tr->warm_done = rd->status == DUET_OK ? (size_t)wd : 0;
        read_array(rd, warm, "ratios", H5T_FLOAT, H5T_NATIVE_DOUBLE, W, n, tr->warm_ratios);
        read_array(rd, warm, "feedback", H5T_FLOAT, H5T_NATIVE_DOUBLE, W, 0, tr->warm_feedback);
        read_array(rd, warm, "value", H5T_FLOAT, H5T_NATIVE_DOUBLE, W, 0, tr->warm_value);
    }
    if (answer >= 0) {
        tr->answer_iteration = read_attr_int(rd, answer, "iteration");
        tr->answer_sample = read_attr_int(rd, answer, "sample");
        tr->answer_feedback = read_attr_double(rd, answer, "feedback");
        read_array(rd, answer, "counts", H5T_INTEGER, H5T_NATIVE_INT64, n, 0, tr->answer_counts);
        read_array(rd, answer, "items", H5T_INTEGER, H5T_NATIVE_UINT64, M, 0, tr->answer_items);
        int64_t sum = 0;
        for (size_t i = 0; i < n && rd->status == DUET_OK; i++) {
            if (tr->answer_counts[i] < 0)
                rfail(rd, DUET_EFORMAT, "answer counts of trial %s are negative", name);
            sum += tr->answer_counts[i];
        }
        if (rd->status == DUET_OK && (size_t)sum != M)
            rfail(rd, DUET_EFORMAT, "answer counts of trial %s do not add up to its items", name);
        if (rd->status == DUET_OK && H5Lexists(answer, "model_optimum", H5P_DEFAULT) > 0) {
            tr->has_model_answer = 1;
            read_array(rd, answer, "model_optimum", H5T_FLOAT, H5T_NATIVE_DOUBLE, n, 0,
                       tr->model_answer);
        }
    }
done:
    close_group(answer);
    close_group(warm);
    close_group(g);
}

static void read_method(reader *rd, hid_t methods, const char *label, const duet_results *r,
                        const duet_task_results *task, duet_method_results *mr)
{
    hid_t g = open_group(rd, methods, label);
    if (g < 0)
        return;
    mr->label = duet_strdup(label);
    mr->type = read_attr_string(rd, g, "type", 1);
    mr->selector = read_attr_string(rd, g, "selector", 1);
    int64_t k = read_attr_int(rd, g, "samples");
    if (rd->status == DUET_OK && (k < 1 || k > 1024))
        rfail(rd, DUET_EFORMAT, "samples of method '%s' is out of range", label);
    mr->samples = (size_t)k;
    if (rd->status == DUET_OK && mr->label == NULL)
        rfail(rd, DUET_ENOMEM, "out of memory reading '%s'", label);
    mr->trials = rd->status == DUET_OK ? duet_calloc(r->trials, sizeof *mr->trials) : NULL;
    if (rd->status == DUET_OK && mr->trials == NULL)
        rfail(rd, DUET_ENOMEM, "out of memory reading trials of '%s'", label);
    hid_t trials = open_group(rd, g, "trials");
    for (size_t i = 0; i < r->trials && rd->status == DUET_OK; i++)
        read_trial(rd, trials, i, r, task, mr);
    close_group(trials);
    close_group(g);
}

static void read_task(reader *rd, hid_t tasks, const char *name, duet_results *r,
                      duet_task_results *t)
{
    hid_t g = open_group(rd, tasks, name);
    if (g < 0)
        return;
    t->name = duet_strdup(name);
    char *goal = read_attr_string(rd, g, "goal", 1);
    if (goal && strcmp(goal, "maximize") != 0 && strcmp(goal, "minimize") != 0)
        rfail(rd, DUET_EFORMAT, "goal of task '%s' is neither maximize nor minimize", name);
    t->goal = goal && strcmp(goal, "minimize") == 0;
    duet_free(goal);
    t->metric = read_attr_string(rd, g, "metric", 1);
    t->optimum_known = read_attr_int(rd, g, "optimum_known") != 0;
    t->optimum = read_attr_double(rd, g, "optimum");
    t->n = dataset_length(rd, g, "domains", MAX_DOMAINS);
    if (rd->status == DUET_OK && t->n == 0)
        rfail(rd, DUET_EFORMAT, "task '%s' has no domains", name);
    if (rd->status == DUET_OK)
        t->domains = read_strings(rd, g, "domains", t->n);
    if (rd->status == DUET_OK && H5Lexists(g, "optimum_ratios", H5P_DEFAULT) > 0) {
        t->optimum_ratios = duet_malloc(t->n * sizeof *t->optimum_ratios);
        if (t->optimum_ratios == NULL)
            rfail(rd, DUET_ENOMEM, "out of memory reading task '%s'", name);
        read_array(rd, g, "optimum_ratios", H5T_FLOAT, H5T_NATIVE_DOUBLE, t->n, 0,
                   t->optimum_ratios);
    }
    hid_t methods = open_group(rd, g, "methods");
    name_list labels;
    list_group(rd, methods, "methods", &labels);
    if (rd->status == DUET_OK && (labels.n == 0 || labels.n > 256))
        rfail(rd, DUET_EFORMAT, "task '%s' has no methods or too many", name);
    if (rd->status == DUET_OK && (t->methods = duet_calloc(labels.n, sizeof *t->methods)) == NULL)
        rfail(rd, DUET_ENOMEM, "out of memory reading task '%s'", name);
    for (size_t m = 0; m < labels.n && rd->status == DUET_OK; m++) {
        t->n_methods = m + 1;
        read_method(rd, methods, labels.names[m], r, t, &t->methods[m]);
    }
    free_names(&labels);
    close_group(methods);
    close_group(g);
}

static void read_provenance(reader *rd, hid_t f, duet_provenance *p)
{
    p->duet_version = read_attr_string(rd, f, "duet_version", 0);
    p->git_commit = read_attr_string(rd, f, "git_commit", 0);
    p->compiler = read_attr_string(rd, f, "compiler", 0);
    p->build_type = read_attr_string(rd, f, "build_type", 0);
    p->blas = read_attr_string(rd, f, "blas", 0);
    p->host = read_attr_string(rd, f, "host", 0);
    p->started = read_attr_string(rd, f, "started", 0);
    p->finished = read_attr_string(rd, f, "finished", 0);
    p->command_line = read_attr_string(rd, f, "command_line", 0);
    p->script_path = read_attr_string(rd, f, "script_path", 0);
    p->script = read_attr_string(rd, f, "script", 0);
    p->config = read_attr_string(rd, f, "config", 1);
    p->git_dirty = (int)read_attr_int(rd, f, "git_dirty");
    p->blas_threads = (int)read_attr_int(rd, f, "blas_threads");
}

duet_status duet_results_read(const char *path, duet_results **out, duet_error *err)
{
    quiet_hdf5();
    if (access(path, R_OK) != 0)
        return duet_error_set(err, errno == ENOENT ? DUET_ENOTFOUND : DUET_EIO,
                              "cannot open results file %s: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return duet_error_set(err, DUET_EFORMAT, "%s is not an HDF5 file", path);
    }
    duet_status st = duet_h5_check_heaps(path, err);
    if (st != DUET_OK)
        return st;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return h5_fail(err, DUET_EFORMAT, "cannot open results file", path);
    duet_results *r = duet_calloc(1, sizeof *r);
    reader rd = {path, err, DUET_OK, read_budget(path)};
    if (r == NULL) {
        H5Fclose(f);
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", path);
    }
    char *format = read_attr_string(&rd, f, "format", 1);
    if (rd.status == DUET_OK && strcmp(format, DUET_RESULTS_FORMAT) != 0)
        rfail(&rd, DUET_EFORMAT, "format tag is '%s', not duet-results", format);
    duet_free(format);
    int64_t version = read_attr_int(&rd, f, "format_version");
    if (rd.status == DUET_OK && (version < 1 || version > DUET_RESULTS_FORMAT_VERSION))
        rfail(&rd, DUET_EFORMAT, "%s", "format version is newer than this program reads");
    r->experiment = read_attr_string(&rd, f, "experiment", 1);
    r->description = read_attr_string(&rd, f, "description", 0);
    char *seed = read_attr_string(&rd, f, "seed", 1);
    r->seed = parse_seed(&rd, seed, "seed");
    duet_free(seed);
    int64_t points = read_attr_int(&rd, f, "points");
    int64_t iterations = read_attr_int(&rd, f, "iterations");
    int64_t trials = read_attr_int(&rd, f, "trials");
    if (rd.status == DUET_OK && (points < 1 || points > 100000000 || iterations < 1 ||
                                 iterations > 100000 || trials < 1 || trials > 100000))
        rfail(&rd, DUET_EFORMAT, "%s", "points, iterations or trials is out of range");
    r->points = (size_t)points;
    r->iterations = (size_t)iterations;
    r->trials = (size_t)trials;
    read_provenance(&rd, f, &r->prov);

    hid_t tasks = open_group(&rd, f, "tasks");
    name_list names;
    list_group(&rd, tasks, "tasks", &names);
    if (rd.status == DUET_OK && (names.n == 0 || names.n > 256))
        rfail(&rd, DUET_EFORMAT, "%s", "the file has no tasks or too many");
    if (rd.status == DUET_OK && (r->tasks = duet_calloc(names.n, sizeof *r->tasks)) == NULL)
        rfail(&rd, DUET_ENOMEM, "%s", "out of memory reading tasks");
    for (size_t t = 0; t < names.n && rd.status == DUET_OK; t++) {
        r->n_tasks = t + 1;
        read_task(&rd, tasks, names.names[t], r, &r->tasks[t]);
    }
    free_names(&names);
    close_group(tasks);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    if (rd.status != DUET_OK) {
        duet_results_free(r);
        return rd.status;
    }
    *out = r;
    return DUET_OK;
}
