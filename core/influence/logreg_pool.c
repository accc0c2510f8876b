/*
 * The "logreg" model factory: reads a logistic-regression pool file (features and labels per
 * domain, layout in factory.h) and builds one multinomial logistic regression per domain, over
 * the domain's training rows followed by its held-out rows. Also the writer of such files, for
 * tests and benchmarks.
 *
 * Invariant: an open pool keeps only the domain names and the root settings. Features are read
 * when a domain is opened and freed when it is closed, so one domain is in memory at a time.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "backends/embedded.h"
#include "influence/factory.h"
#include "model/logreg.h"
#include "util/mem.h"
#include "util/rng.h"

#define POOL_FORMAT "duet-logreg-pool"

typedef struct logreg_pool {
    char *path;
    int64_t classes;
    double l2;
    size_t n_domains;
    char **names;
    char settings[128];
} logreg_pool;

typedef struct logreg_domain {
    duet_logreg *model;
    uint64_t *index; /* 0 .. n_train + n_heldout - 1: training rows, then held-out rows */
} logreg_domain;

static void pool_close(void *state)
{
    logreg_pool *p = state;
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_domains; i++)
        duet_free(p->names[i]);
    duet_free(p->names);
    duet_free(p->path);
    duet_free(p);
}

static herr_t collect_name(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    logreg_pool *p = data;
    char **grown = duet_realloc(p->names, (p->n_domains + 1) * sizeof *grown);
    if (grown == NULL)
        return -1;
    p->names = grown;
    p->names[p->n_domains] = duet_strdup(name);
    if (p->names[p->n_domains] == NULL)
        return -1;
    p->n_domains++;
    return 0;
}

static duet_status read_root(hid_t file, logreg_pool *p, duet_error *err)
{
    char format[64] = "";
    H5T_class_t cls;
    size_t size = 0;
    hsize_t dims[1];
    if (H5LTget_attribute_info(file, "/", "format", dims, &cls, &size) < 0 || cls != H5T_STRING ||
        size >= sizeof format || H5LTget_attribute_string(file, "/", "format", format) < 0 ||
        strcmp(format, POOL_FORMAT) != 0)
        return duet_error_set(err, DUET_EFORMAT,
                              "%s is not a logistic-regression pool (root attribute format must "
                              "be '%s')",
                              p->path, POOL_FORMAT);
    if (H5LTget_attribute(file, "/", "classes", H5T_NATIVE_INT64, &p->classes) < 0 ||
        H5LTget_attribute(file, "/", "l2", H5T_NATIVE_DOUBLE, &p->l2) < 0)
        return duet_error_set(err, DUET_EFORMAT,
                              "%s: the root attributes classes and l2 are missing", p->path);
    hid_t group = H5Gopen2(file, "domains", H5P_DEFAULT);
    herr_t rc =
        group < 0 ? -1 : H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, p);
    if (group >= 0)
        H5Gclose(group);
    if (rc < 0 || p->n_domains == 0)
        return duet_error_set(err, DUET_EFORMAT, "%s: the group /domains is missing or empty",
                              p->path);
    snprintf(p->settings, sizeof p->settings, "logreg classes=%lld l2=%.17g", (long long)p->classes,
             p->l2);
    return DUET_OK;
}

static duet_status pool_open(const char *pool_path, void **state, duet_error *err)
{
    *state = NULL;
    logreg_pool *p = duet_calloc(1, sizeof *p);
    if (p == NULL || (p->path = duet_strdup(pool_path)) == NULL) {
        duet_free(p);
        return duet_error_set(err, DUET_ENOMEM, "logreg pool: no memory");
    }
    hid_t file = -1;
    duet_status st = DUET_OK;
    H5E_BEGIN_TRY
    {
        file = H5Fopen(pool_path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (file < 0)
            st = duet_error_set(err, DUET_EIO, "cannot open pool file %s as HDF5", pool_path);
        else
            st = read_root(file, p, err);
    }
    H5E_END_TRY;
    if (file >= 0)
        H5Fclose(file);
    if (st != DUET_OK) {
        pool_close(p);
        return st;
    }
    *state = p;
    return DUET_OK;
}

static size_t pool_domain_count(const void *state)
{
    return ((const logreg_pool *)state)->n_domains;
}

static const char *pool_domain_name(const void *state, size_t domain)
{
    return ((const logreg_pool *)state)->names[domain];
}

static const char *pool_model_settings(const void *state)
{
    return ((const logreg_pool *)state)->settings;
}

/* Reads rows [n x d] of features at "<group>/x_<split>" and labels at "y_<split>". */
static duet_status read_split(hid_t group, const char *split, size_t *n, size_t *d, double **x,
                              int32_t **y, const char *where, duet_error *err)
{
    char xname[32], yname[32];
    snprintf(xname, sizeof xname, "x_%s", split);
    snprintf(yname, sizeof yname, "y_%s", split);
    hsize_t xd[2] = {0, 0}, yd[1] = {0};
    int xrank = 0, yrank = 0;
    if (H5LTget_dataset_ndims(group, xname, &xrank) < 0 || xrank != 2 ||
        H5LTget_dataset_ndims(group, yname, &yrank) < 0 || yrank != 1 ||
        H5LTget_dataset_info(group, xname, xd, NULL, NULL) < 0 ||
        H5LTget_dataset_info(group, yname, yd, NULL, NULL) < 0 || xd[0] != yd[0])
        return duet_error_set(err, DUET_EFORMAT,
                              "%s: %s must be a 2-D dataset and %s a 1-D dataset with one label "
                              "per row",
                              where, xname, yname);
    *n = (size_t)xd[0];
    *d = (size_t)xd[1];
    int overflow = 0;
    size_t bytes = duet_mul_size(duet_mul_size(*n, *d, &overflow), sizeof **x, &overflow);
    *x = overflow ? NULL : duet_malloc(bytes);
    *y = duet_malloc(*n * sizeof **y);
    if (*x == NULL || *y == NULL)
        return duet_error_set(err, DUET_ENOMEM, "%s: no memory for %zu x %zu features", where, *n,
                              *d);
    if (H5LTread_dataset_double(group, xname, *x) < 0 ||
        H5LTread_dataset(group, yname, H5T_NATIVE_INT32, *y) < 0)
        return duet_error_set(err, DUET_EFORMAT, "%s: cannot read %s and %s", where, xname, yname);
    return DUET_OK;
}

/* Builds the model over the training rows followed by the held-out rows. */
static duet_status build_domain(logreg_pool *p, const char *where, size_t n_train, size_t d,
                                const double *xt, const int32_t *yt, size_t n_held,
                                const double *xh, const int32_t *yh, logreg_domain *impl,
                                duet_error *err)
{
    size_t n = n_train + n_held;
    double *x = duet_malloc(n * d * sizeof *x);
    int32_t *y = duet_malloc(n * sizeof *y);
    impl->index = duet_malloc(n * sizeof *impl->index);
    duet_status st = DUET_OK;
    if (x == NULL || y == NULL || impl->index == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "%s: no memory", where);
        goto done;
    }
    memcpy(x, xt, n_train * d * sizeof *x);
    memcpy(x + n_train * d, xh, n_held * d * sizeof *x);
    memcpy(y, yt, n_train * sizeof *y);
    memcpy(y + n_train, yh, n_held * sizeof *y);
    for (size_t i = 0; i < n; i++)
        impl->index[i] = i;
    st = duet_logreg_new(n, d, (size_t)p->classes, x, y, p->l2, &impl->model, err);
    if (st != DUET_OK)
        duet_error_prefix(err, "%s", where);
done:
    duet_free(x);
    duet_free(y);
    return st;
}

static void pool_domain_close(void *state, duet_influence_domain *dom)
{
    logreg_domain *impl = dom->impl;
    if (impl != NULL) {
        duet_logreg_free(impl->model);
        duet_free(impl->index);
        duet_free(impl);
    }
    memset(dom, 0, sizeof *dom);
}

static duet_status pool_domain_open(void *state, size_t domain, duet_influence_domain *out,
                                    duet_error *err)
{
    logreg_pool *p = state;
    memset(out, 0, sizeof *out);
    char where[512];
    snprintf(where, sizeof where, "%s, domain %s", p->path, p->names[domain]);
    logreg_domain *impl = duet_calloc(1, sizeof *impl);
    if (impl == NULL)
        return duet_error_set(err, DUET_ENOMEM, "%s: no memory", where);
    out->impl = impl;
    double *xt = NULL, *xh = NULL;
    int32_t *yt = NULL, *yh = NULL;
    size_t n_train = 0, n_held = 0, d = 0, dh = 0;
    duet_status st = DUET_OK;
    hid_t file = -1, group = -1;
    H5E_BEGIN_TRY
    {
        char link[300];
        snprintf(link, sizeof link, "domains/%s", p->names[domain]);
        file = H5Fopen(p->path, H5F_ACC_RDONLY, H5P_DEFAULT);
        group = file < 0 ? -1 : H5Gopen2(file, link, H5P_DEFAULT);
        if (group < 0)
            st = duet_error_set(err, DUET_EIO, "%s: cannot open the domain's group", where);
        if (st == DUET_OK)
            st = read_split(group, "train", &n_train, &d, &xt, &yt, where, err);
        if (st == DUET_OK)
            st = read_split(group, "heldout", &n_held, &dh, &xh, &yh, where, err);
    }
    H5E_END_TRY;
    if (group >= 0)
        H5Gclose(group);
    if (file >= 0)
        H5Fclose(file);
    if (st == DUET_OK && dh != d)
        st = duet_error_set(err, DUET_EFORMAT,
                            "%s: x_train has %zu features per row but x_heldout has %zu", where, d,
                            dh);
    if (st == DUET_OK)
        st = build_domain(p, where, n_train, d, xt, yt, n_held, xh, yh, impl, err);
    duet_free(xt);
    duet_free(yt);
    duet_free(xh);
    duet_free(yh);
    if (st != DUET_OK) {
        pool_domain_close(state, out);
        return st;
    }
    duet_logreg_diffmodel(impl->model, &out->model);
    out->train = impl->index;
    out->n_train = n_train;
    out->heldout = impl->index + n_train;
    out->n_heldout = n_held;
    return DUET_OK;
}

const duet_influence_model_factory duet_influence_factory_logreg = {
    .name = "logreg",
    .summary = "multinomial logistic regression over a feature pool file",
    .default_train_tol = 1e-8,
    .open = pool_open,
    .close = pool_close,
    .domain_count = pool_domain_count,
    .domain_name = pool_domain_name,
    .model_settings = pool_model_settings,
    .domain_open = pool_domain_open,
    .domain_close = pool_domain_close,
};

const duet_influence_model_factory *const duet_influence_factories[] = {
    &duet_influence_factory_logreg,
    &duet_influence_factory_charlm,
    &duet_influence_factory_postag,
    NULL,
};

const duet_influence_model_factory *duet_influence_factory_find(const char *name)
{
    for (size_t i = 0; duet_influence_factories[i] != NULL; i++) {
        if (strcmp(duet_influence_factories[i]->name, name) == 0)
            return duet_influence_factories[i];
    }
    return NULL;
}

/* ---------------------------------------------------------------- writer */

static herr_t write_split(hid_t group, const char *split, size_t n, size_t d, const double *x,
                          const int32_t *y)
{
    char xname[32], yname[32];
    snprintf(xname, sizeof xname, "x_%s", split);
    snprintf(yname, sizeof yname, "y_%s", split);
    hsize_t xd[2] = {n, d}, yd[1] = {n};
    if (H5LTmake_dataset_double(group, xname, 2, xd, x) < 0)
        return -1;
    return H5LTmake_dataset(group, yname, 1, yd, H5T_NATIVE_INT32, y);
}

duet_status duet_logreg_pool_write(const char *path, size_t classes, double l2, size_t d,
                                   size_t n_domains, const duet_logreg_pool_domain *domains,
                                   duet_error *err)
{
    hid_t file = -1;
    herr_t rc = 0;
    H5E_BEGIN_TRY
    {
        file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        long long c = (long long)classes;
        hid_t top =
            file < 0 ? -1 : H5Gcreate2(file, "domains", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc = top < 0 ? -1 : 0;
        rc |= H5LTset_attribute_string(file, "/", "format", POOL_FORMAT);
        rc |= H5LTset_attribute_long_long(file, "/", "classes", &c, 1);
        rc |= H5LTset_attribute_double(file, "/", "l2", &l2, 1);
        for (size_t i = 0; i < n_domains && rc >= 0; i++) {
            const duet_logreg_pool_domain *dom = &domains[i];
            hid_t g = H5Gcreate2(top, dom->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            rc = g < 0 ? -1 : 0;
            if (rc >= 0)
                rc = write_split(g, "train", dom->n_train, d, dom->x_train, dom->y_train);
            if (rc >= 0)
                rc = write_split(g, "heldout", dom->n_heldout, d, dom->x_heldout, dom->y_heldout);
            if (g >= 0)
                H5Gclose(g);
        }
        if (top >= 0)
            H5Gclose(top);
    }
    H5E_END_TRY;
    if (file >= 0 && H5Fclose(file) < 0)
        rc = -1;
    if (file < 0 || rc < 0)
        return duet_error_set(err, DUET_EIO, "cannot write logistic-regression pool %s", path);
    return DUET_OK;
}

/* Draws n rows of standard normal features and labels from softmax(W x). */
static void generate_rows(duet_rng *rng, const double *w, size_t n, size_t d, size_t classes,
                          double *x, int32_t *y, double *logits)
{
    for (size_t i = 0; i < n; i++) {
        double top = -INFINITY, sum = 0;
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = duet_rng_normal(rng);
        for (size_t c = 0; c < classes; c++) {
            logits[c] = 0;
            for (size_t j = 0; j < d; j++)
                logits[c] += w[c * d + j] * x[i * d + j];
            top = fmax(top, logits[c]);
        }
        for (size_t c = 0; c < classes; c++)
            sum += (logits[c] = exp(logits[c] - top));
        double u = duet_rng_uniform(rng) * sum;
        y[i] = (int32_t)(classes - 1);
        for (size_t c = 0; c < classes; c++) {
            if (u < logits[c]) {
                y[i] = (int32_t)c;
                break;
            }
            u -= logits[c];
        }
    }
}

duet_status duet_logreg_pool_generate(const char *path, uint64_t seed, size_t n_domains,
                                      size_t n_train, size_t n_heldout, size_t d, size_t classes,
                                      double l2, duet_error *err)
{
    int overflow = 0;
    size_t rows = n_train + n_heldout;
    size_t per_domain = duet_mul_size(rows, d, &overflow) + classes * d + classes;
    size_t doubles = duet_mul_size(n_domains, per_domain, &overflow);
    if (overflow || n_domains == 0 || n_domains > 100 || classes < 2)
        return duet_error_set(err, DUET_EINVAL,
                              "generated pool: %zu domains of %zu rows x %zu features is "
                              "invalid (1 to 100 domains, at least 2 classes)",
                              n_domains, rows, d);
    double *xbuf = duet_malloc(duet_mul_size(doubles, sizeof(double), &overflow));
    int32_t *ybuf = duet_malloc(n_domains * rows * sizeof *ybuf);
    duet_logreg_pool_domain *doms = duet_calloc(n_domains, sizeof *doms);
    char(*names)[8] = duet_malloc(n_domains * sizeof *names);
    duet_status st = DUET_OK;
    if (overflow || xbuf == NULL || ybuf == NULL || doms == NULL || names == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "generated pool: no memory for %zu domains",
                            n_domains);
        goto done;
    }
    for (size_t k = 0; k < n_domains; k++) {
        duet_rng rng;
        duet_rng_init(&rng, duet_seed_index(seed, k));
        double *x = xbuf + k * per_domain, *w = x + rows * d, *logits = w + classes * d;
        int32_t *y = ybuf + k * rows;
        for (size_t i = 0; i < classes * d; i++)
            w[i] = 1.5 * duet_rng_normal(&rng);
        generate_rows(&rng, w, rows, d, classes, x, y, logits);
        snprintf(names[k], sizeof names[k], "d%02zu", k);
        doms[k] = (duet_logreg_pool_domain){names[k], n_train,         n_heldout,  x,
                                            y,        x + n_train * d, y + n_train};
    }
    st = duet_logreg_pool_write(path, classes, l2, d, n_domains, doms, err);
done:
    duet_free(xbuf);
    duet_free(ybuf);
    duet_free(doms);
    duet_free(names);
    return st;
}
