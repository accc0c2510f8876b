/*
 * Loss, gradient and exact Hessian-vector products of grouped multinomial logistic regression.
 * For a group with logits z, probabilities p = softmax(z) and counts n (total N):
 *   d loss / d z = N p - n,      d^2 loss / d z^2 = N (diag(p) - p p^T),
 * and each feature row f in the group receives the z-derivative unchanged, because z is the sum
 * of the rows. Invariant: group g's features are feat[feat_off[g] .. feat_off[g+1]) and its
 * counts count[count_off[g] .. count_off[g+1]), both appended together by duet_mlr_batch_add.
 */
#include "embedded/mlr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embedded/lbfgs.h"
#include "util/mem.h"
#include "util/rng.h"

/* Classes at most in any model here; bounds the stack buffers below. */
#define MLR_MAX_CLASSES 256

void duet_mlr_batch_free(duet_mlr_batch *b)
{
    if (b == NULL)
        return;
    duet_free(b->feat_off);
    duet_free(b->feat);
    duet_free(b->count_off);
    duet_free(b->count_class);
    duet_free(b->count);
    duet_free(b->total);
    memset(b, 0, sizeof *b);
}

void duet_mlr_batch_clear(duet_mlr_batch *b, size_t n_classes, double weight)
{
    b->n_classes = n_classes;
    b->weight = weight;
    b->n_groups = 0;
    if (b->feat_off != NULL)
        b->feat_off[0] = 0;
    if (b->count_off != NULL)
        b->count_off[0] = 0;
}

/* Grows *p (elements of `size` bytes) to hold at least `need` elements; 0 on failure. */
static int reserve(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 1;
    size_t grown = *cap ? *cap : 1024;
    while (grown < need)
        grown *= 2;
    int overflow;
    size_t bytes = duet_mul_size(grown, size, &overflow);
    void *q = overflow ? NULL : duet_realloc(*p, bytes);
    if (q == NULL)
        return 0;
    *p = q;
    *cap = grown;
    return 1;
}

static int reserve_groups(duet_mlr_batch *b, size_t need)
{
    size_t cap = b->cap_groups, c1 = cap, c2 = cap, c3 = cap;
    void *fo = b->feat_off, *co = b->count_off, *tot = b->total;
    int ok = reserve(&fo, &c1, need + 1, sizeof(size_t));
    b->feat_off = fo;
    ok = ok && reserve(&co, &c2, need + 1, sizeof(size_t));
    b->count_off = co;
    ok = ok && reserve(&tot, &c3, need + 1, sizeof(double));
    b->total = tot;
    if (ok)
        b->cap_groups = c3;
    return ok;
}

duet_status duet_mlr_batch_add(duet_mlr_batch *b, const uint32_t *feat, size_t n_feat,
                               const uint16_t *classes, const double *counts, size_t n_counts,
                               duet_error *err)
{
    size_t g = b->n_groups;
    int first = b->feat_off == NULL;
    size_t nf = first ? 0 : b->feat_off[g], nc = first ? 0 : b->count_off[g];
    void *feat_buf = b->feat, *class_buf = b->count_class, *count_buf = b->count;
    size_t cap_counts = b->cap_counts, cap_counts2 = b->cap_counts;
    int ok = reserve_groups(b, g + 1) && reserve(&feat_buf, &b->cap_feat, nf + n_feat, 4);
    b->feat = feat_buf;
    ok = ok && reserve(&class_buf, &cap_counts, nc + n_counts, sizeof(uint16_t));
    b->count_class = class_buf;
    ok = ok && reserve(&count_buf, &cap_counts2, nc + n_counts, sizeof(double));
    b->count = count_buf;
    if (!ok)
        return duet_error_set(err, DUET_ENOMEM, "out of memory adding training group %zu", g);
    b->cap_counts = cap_counts < cap_counts2 ? cap_counts : cap_counts2;
    if (first) {
        b->feat_off[0] = 0;
        b->count_off[0] = 0;
    }
    memcpy(b->feat + nf, feat, n_feat * sizeof *feat);
    double total = 0.0;
    for (size_t k = 0; k < n_counts; k++) {
        b->count_class[nc + k] = classes[k];
        b->count[nc + k] = counts[k];
        total += counts[k];
    }
    b->total[g] = total;
    b->feat_off[g + 1] = nf + n_feat;
    b->count_off[g + 1] = nc + n_counts;
    b->n_groups = g + 1;
    return DUET_OK;
}

void duet_mlr_logits(const double *theta, size_t n_classes, const uint32_t *feat, size_t n_feat,
                     double *z)
{
    memset(z, 0, n_classes * sizeof *z);
    for (size_t k = 0; k < n_feat; k++) {
        const double *row = theta + (size_t)feat[k] * n_classes;
        for (size_t c = 0; c < n_classes; c++)
            z[c] += row[c];
    }
}

double duet_mlr_softmax(double *z, size_t n_classes)
{
    double max = z[0];
    for (size_t c = 1; c < n_classes; c++)
        max = z[c] > max ? z[c] : max;
    double sum = 0.0;
    for (size_t c = 0; c < n_classes; c++) {
        z[c] = exp(z[c] - max);
        sum += z[c];
    }
    for (size_t c = 0; c < n_classes; c++)
        z[c] /= sum;
    return max + log(sum);
}

unsigned duet_mlr_predict(const double *p, size_t n_classes, double temperature, duet_rng *rng)
{
    unsigned best = 0;
    if (temperature <= 0.0) {
        for (unsigned c = 1; c < n_classes; c++)
            best = p[c] > p[best] ? c : best;
        return best;
    }
    double w[MLR_MAX_CLASSES], total = 0.0;
    for (size_t c = 0; c < n_classes; c++) {
        w[c] = p[c] > 0.0 ? exp(log(p[c]) / temperature) : 0.0;
        total += w[c];
    }
    double u = duet_rng_uniform(rng) * total, acc = 0.0;
    for (size_t c = 0; c < n_classes; c++) {
        acc += w[c];
        if (u < acc)
            return (unsigned)c;
    }
    return (unsigned)(n_classes - 1);
}

/* Loss of group g given its logits z; overwrites z with the z-gradient N p - n when want_grad. */
static double group_loss(const duet_mlr_batch *b, size_t g, double *z, int want_grad)
{
    size_t C = b->n_classes;
    double linear = 0.0;
    for (size_t k = b->count_off[g]; k < b->count_off[g + 1]; k++)
        linear += b->count[k] * z[b->count_class[k]];
    double lse = duet_mlr_softmax(z, C);
    if (want_grad) {
        for (size_t c = 0; c < C; c++)
            z[c] *= b->total[g];
        for (size_t k = b->count_off[g]; k < b->count_off[g + 1]; k++)
            z[b->count_class[k]] -= b->count[k];
    }
    return b->total[g] * lse - linear;
}

/* Adds scale * r to every feature row of group g. */
static void scatter(const duet_mlr_batch *b, size_t g, const double *r, double scale, double *out)
{
    size_t C = b->n_classes;
    for (size_t k = b->feat_off[g]; k < b->feat_off[g + 1]; k++) {
        double *row = out + (size_t)b->feat[k] * C;
        for (size_t c = 0; c < C; c++)
            row[c] += scale * r[c];
    }
}

double duet_mlr_loss_grad(const duet_mlr_batch *b, size_t n_params, const double *theta,
                          double *grad)
{
    size_t C = b->n_classes;
    double z[MLR_MAX_CLASSES];
    if (grad != NULL)
        memset(grad, 0, n_params * sizeof *grad);
    double loss = 0.0;
    for (size_t g = 0; g < b->n_groups; g++) {
        size_t f0 = b->feat_off[g];
        duet_mlr_logits(theta, C, b->feat + f0, b->feat_off[g + 1] - f0, z);
        loss += group_loss(b, g, z, grad != NULL);
        if (grad != NULL)
            scatter(b, g, z, b->weight, grad);
    }
    return b->weight * loss;
}

/* Adds group g's term N (diag(p) - p p^T) (sum of v's rows) to its rows of out. */
static void hvp_group(const duet_mlr_batch *b, size_t g, const double *p, const double *v,
                      double *out)
{
    size_t C = b->n_classes, f0 = b->feat_off[g], nf = b->feat_off[g + 1] - f0;
    double dz[MLR_MAX_CLASSES];
    duet_mlr_logits(v, C, b->feat + f0, nf, dz);
    double mean = 0.0;
    for (size_t c = 0; c < C; c++)
        mean += p[c] * dz[c];
    for (size_t c = 0; c < C; c++)
        dz[c] = p[c] * (dz[c] - mean);
    scatter(b, g, dz, b->weight * b->total[g], out);
}

void duet_mlr_hvp(const duet_mlr_batch *b, size_t n_params, const double *theta, const double *v,
                  double *out)
{
    size_t C = b->n_classes;
    double p[MLR_MAX_CLASSES];
    memset(out, 0, n_params * sizeof *out);
    for (size_t g = 0; g < b->n_groups; g++) {
        size_t f0 = b->feat_off[g];
        duet_mlr_logits(theta, C, b->feat + f0, b->feat_off[g + 1] - f0, p);
        duet_mlr_softmax(p, C);
        hvp_group(b, g, p, v, out);
    }
}

void duet_mlr_probs(const duet_mlr_batch *b, const double *theta, double *probs)
{
    size_t C = b->n_classes;
    for (size_t g = 0; g < b->n_groups; g++) {
        size_t f0 = b->feat_off[g];
        duet_mlr_logits(theta, C, b->feat + f0, b->feat_off[g + 1] - f0, probs + g * C);
        duet_mlr_softmax(probs + g * C, C);
    }
}

void duet_mlr_hvp_probs(const duet_mlr_batch *b, size_t n_params, const double *probs,
                        const double *v, double *out)
{
    memset(out, 0, n_params * sizeof *out);
    for (size_t g = 0; g < b->n_groups; g++)
        hvp_group(b, g, probs + g * b->n_classes, v, out);
}

void duet_mlr_hess_diag(const duet_mlr_batch *b, size_t n_params, const double *theta, double *out)
{
    size_t C = b->n_classes;
    double p[MLR_MAX_CLASSES];
    memset(out, 0, n_params * sizeof *out);
    for (size_t g = 0; g < b->n_groups; g++) {
        size_t f0 = b->feat_off[g];
        duet_mlr_logits(theta, C, b->feat + f0, b->feat_off[g + 1] - f0, p);
        duet_mlr_softmax(p, C);
        for (size_t c = 0; c < C; c++)
            p[c] *= 1.0 - p[c];
        scatter(b, g, p, b->weight * b->total[g], out);
    }
}

double duet_mlr_grad_dot(const duet_mlr_batch *b, const double *theta, const double *v)
{
    size_t C = b->n_classes;
    double z[MLR_MAX_CLASSES], vz[MLR_MAX_CLASSES];
    double sum = 0.0;
    for (size_t g = 0; g < b->n_groups; g++) {
        size_t f0 = b->feat_off[g], nf = b->feat_off[g + 1] - f0;
        duet_mlr_logits(theta, C, b->feat + f0, nf, z);
        group_loss(b, g, z, 1);
        duet_mlr_logits(v, C, b->feat + f0, nf, vz);
        for (size_t c = 0; c < C; c++)
            sum += z[c] * vz[c];
    }
    return b->weight * sum;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

duet_status duet_mlr_grad_sqnorm(const duet_mlr_batch *b, const double *theta, double *out,
                                 duet_error *err)
{
    size_t C = b->n_classes, entries = b->n_groups ? b->feat_off[b->n_groups] : 0;
    int overflow = 0;
    size_t zbytes =
        duet_mul_size(duet_mul_size(b->n_groups, C, &overflow), sizeof(double), &overflow);
    size_t pbytes = duet_mul_size(entries, sizeof(uint64_t), &overflow);
    double *zg = overflow ? NULL : duet_malloc(zbytes ? zbytes : 1);
    uint64_t *pairs = overflow ? NULL : duet_malloc(pbytes ? pbytes : 1);
    if (zg == NULL || pairs == NULL) {
        duet_free(zg);
        duet_free(pairs);
        return duet_error_set(err, DUET_ENOMEM, "out of memory for the gradient norm of %zu groups",
                              b->n_groups);
    }
    /* Each feature entry becomes (row << 32 | group), so sorting gathers the groups of a row. */
    for (size_t g = 0; g < b->n_groups; g++) {
        size_t f0 = b->feat_off[g];
        duet_mlr_logits(theta, C, b->feat + f0, b->feat_off[g + 1] - f0, zg + g * C);
        group_loss(b, g, zg + g * C, 1);
        for (size_t k = f0; k < b->feat_off[g + 1]; k++)
            pairs[k] = (uint64_t)b->feat[k] << 32 | (uint64_t)g;
    }
    qsort(pairs, entries, sizeof *pairs, compare_u64);
    double acc[MLR_MAX_CLASSES], sum = 0.0;
    for (size_t k = 0; k < entries;) {
        uint64_t row = pairs[k] >> 32;
        memset(acc, 0, C * sizeof *acc);
        for (; k < entries && pairs[k] >> 32 == row; k++) {
            const double *r = zg + (pairs[k] & 0xffffffffu) * C;
            for (size_t c = 0; c < C; c++)
                acc[c] += r[c];
        }
        for (size_t c = 0; c < C; c++)
            sum += acc[c] * acc[c];
    }
    duet_free(zg);
    duet_free(pairs);
    *out = b->weight * b->weight * sum;
    return DUET_OK;
}

typedef struct train_ctx {
    const duet_mlr_batch *batch;
    size_t n_params;
    double l2;
    double *precond; /* [n_params] inverse Hessian diagonal at the last evaluated point */
} train_ctx;

/*
 * Loss, gradient and the inverse of the Hessian diagonal of the regularized objective. The
 * diagonal entry of row f and class c is weight * sum over groups containing f of
 * N p_c (1 - p_c), plus l2 (exact when no row occurs twice in a group).
 */
static double loss_grad_precond(const train_ctx *t, const double *theta, double *grad)
{
    const duet_mlr_batch *b = t->batch;
    size_t C = b->n_classes;
    double z[MLR_MAX_CLASSES], curvature[MLR_MAX_CLASSES];
    memset(grad, 0, t->n_params * sizeof *grad);
    memset(t->precond, 0, t->n_params * sizeof *t->precond);
    double loss = 0.0;
    for (size_t g = 0; g < b->n_groups; g++) {
        size_t f0 = b->feat_off[g];
        duet_mlr_logits(theta, C, b->feat + f0, b->feat_off[g + 1] - f0, z);
        loss += group_loss(b, g, z, 1);
        /* z now contains N p - n; recover N p (1 - p) from it and the counts. */
        for (size_t c = 0; c < C; c++)
            curvature[c] = z[c];
        for (size_t k = b->count_off[g]; k < b->count_off[g + 1]; k++)
            curvature[b->count_class[k]] += b->count[k];
        for (size_t c = 0; c < C; c++)
            curvature[c] *= 1.0 - curvature[c] / b->total[g];
        scatter(b, g, z, b->weight, grad);
        scatter(b, g, curvature, b->weight, t->precond);
    }
    for (size_t i = 0; i < t->n_params; i++)
        t->precond[i] = 1.0 / (t->precond[i] + t->l2);
    return b->weight * loss;
}

static duet_status objective(void *ctx, const double *x, double *f, double *g, duet_error *err)
{
    (void)err;
    const train_ctx *t = ctx;
    double value =
        g != NULL ? loss_grad_precond(t, x, g) : duet_mlr_loss_grad(t->batch, t->n_params, x, NULL);
    double sq = 0.0;
    for (size_t i = 0; i < t->n_params; i++)
        sq += x[i] * x[i];
    if (g != NULL)
        for (size_t i = 0; i < t->n_params; i++)
            g[i] += t->l2 * x[i];
    *f = value + 0.5 * t->l2 * sq;
    return DUET_OK;
}

duet_status duet_mlr_train(const duet_mlr_batch *b, size_t n_params, double *theta,
                           const duet_mlr_train_options *options, duet_mlr_train_info *info,
                           duet_error *err)
{
    if (b->n_classes == 0 || b->n_classes > MLR_MAX_CLASSES)
        return duet_error_set(err, DUET_EINVAL, "model with %zu classes; 1 to %d are supported",
                              b->n_classes, MLR_MAX_CLASSES);
    double *precond = duet_malloc(n_params * sizeof *precond);
    train_ctx ctx = {b, n_params, options->l2, precond};
    if (precond == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory training %zu parameters", n_params);
    duet_lbfgs_options lo = {options->memory, options->max_iter, options->tol, precond};
    duet_lbfgs_result r = {0, 0, NAN, NAN};
    duet_status status = duet_lbfgs_minimize(objective, &ctx, n_params, theta, &lo, &r, err);
    duet_free(precond);
    if (info != NULL) {
        info->iterations = r.iterations;
        info->evaluations = r.evaluations;
        info->objective = r.f;
        info->grad_norm = r.grad_norm;
    }
    return status;
}
