/*
 * The inverse-Hessian-vector-product estimators: exact (dense Cholesky), conjugate gradient,
 * LiSSA, identity and DataInf.
 *
 * Invariant: each solve reads the model only through the duet_diffmodel interface, writes s
 * only at the end of a successful solve or as its own iterate, and allocates nothing that
 * outlives the call. The model's Hessian-vector product is of the mean loss L, so every
 * estimator that uses the Hessian of J adds (l2 + lambda) v itself.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <lapacke.h>

#include "influence/influence.h"
#include "util/mem.h"

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static double *alloc_vectors(size_t count, size_t p, const char *who, duet_error *err)
{
    int overflow = 0;
    size_t bytes = duet_mul_size(duet_mul_size(count, p, &overflow), sizeof(double), &overflow);
    double *v = overflow ? NULL : duet_malloc(bytes);
    if (v == NULL)
        duet_error_set(err, DUET_ENOMEM,
                       "influence estimator %s: no memory for %zu vectors of %zu "
                       "parameters",
                       who, count, p);
    return v;
}

/* out = (H_J + lambda I) v = H_L v + (l2 + lambda) v. */
static duet_status damped_hvp(const duet_influence_problem *pb, double lambda, const double *v,
                              double *out, duet_influence_report *rep, duet_error *err)
{
    const duet_diffmodel *m = pb->model;
    duet_status st = m->hvp(m->self, pb->theta, pb->train, pb->n_train, v, out, err);
    if (st != DUET_OK)
        return st;
    double shift = m->l2 + lambda;
    for (size_t j = 0; j < m->n_params; j++)
        out[j] += shift * v[j];
    rep->hvps++;
    return DUET_OK;
}

/* ---------------------------------------------------------------- exact */

/*
 * Builds H_J + lambda I column by column from p Hessian-vector products, symmetrizes it
 * (rounding makes the columns slightly asymmetric), and solves by Cholesky (LAPACK dpotrf and
 * dpotrs).
 */
static duet_status exact_solve(const duet_influence_problem *pb, const duet_influence_settings *st,
                               const double *v, double *s, duet_influence_report *rep,
                               duet_error *err)
{
    size_t p = pb->model->n_params;
    if ((int64_t)p > st->max_params)
        return duet_error_set(err, DUET_ELIMIT,
                              "influence estimator exact: the model has %zu parameters, more "
                              "than max_params = %lld; use estimator cg or raise max_params",
                              p, (long long)st->max_params);
    double *a = alloc_vectors(p + 2, p, "exact", err);
    if (a == NULL)
        return DUET_ENOMEM;
    double *unit = a + p * p, *col = unit + p;
    duet_status status = DUET_OK;
    memset(unit, 0, p * sizeof *unit);
    for (size_t j = 0; j < p && status == DUET_OK; j++) {
        unit[j] = 1.0;
        status = damped_hvp(pb, st->damping, unit, col, rep, err);
        unit[j] = 0.0;
        for (size_t i = 0; i < p; i++)
            a[i * p + j] = col[i];
    }
    if (status != DUET_OK)
        goto done;
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < i; j++) {
            double sym = 0.5 * (a[i * p + j] + a[j * p + i]);
            a[i * p + j] = a[j * p + i] = sym;
        }
    }
    lapack_int n = (lapack_int)p;
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, a, n);
    if (info != 0) {
        status = duet_error_set(err, DUET_ENUMERIC,
                                "influence estimator exact: H + lambda I is not positive "
                                "definite (LAPACK dpotrf info %d, damping %g); raise damping "
                                "or the model's l2",
                                (int)info, st->damping);
        goto done;
    }
    memcpy(s, v, p * sizeof *s);
    info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', n, 1, a, n, s, 1);
    if (info != 0)
        status = duet_error_set(err, DUET_ENUMERIC,
                                "influence estimator exact: LAPACK dpotrs failed with info %d",
                                (int)info);
done:
    duet_free(a);
    return status;
}

/* ---------------------------------------------------------------- cg */

/*
 * The Jacobi preconditioner inv[j] = 1 / (diag(H_L)_j + l2 + lambda) when the model provides its
 * Hessian diagonal; *have = 0 (and inv untouched) when it does not.
 */
static duet_status jacobi(const duet_influence_problem *pb, double lambda, double *inv, int *have,
                          duet_error *err)
{
    const duet_diffmodel *m = pb->model;
    *have = 0;
    if (m->hess_diag == NULL)
        return DUET_OK;
    duet_status st = m->hess_diag(m->self, pb->theta, pb->train, pb->n_train, inv, err);
    if (st != DUET_OK)
        return st;
    for (size_t j = 0; j < m->n_params; j++)
        inv[j] = 1.0 / (inv[j] + m->l2 + lambda);
    *have = 1;
    return DUET_OK;
}

/*
 * Conjugate gradient on (H_J + lambda I) s = v from s = 0 (Hestenes and Stiefel, 1952),
 * preconditioned by the Hessian diagonal when the model provides it (otherwise plain CG).
 * Stops when the recursively updated residual drops below tol |v|; the reported residual is
 * recomputed from s with one more product, so it is the true one. The preconditioner changes
 * the iterates and their count, not the solution or the stopping rule.
 */
static duet_status cg_solve(const duet_influence_problem *pb, const duet_influence_settings *st,
                            const double *v, double *s, duet_influence_report *rep, duet_error *err)
{
    size_t p = pb->model->n_params;
    double *w = alloc_vectors(5, p, "cg", err);
    if (w == NULL)
        return DUET_ENOMEM;
    double *r = w, *dir = w + p, *ad = w + 2 * p, *z = w + 3 * p, *inv = w + 4 * p;
    int precondition = 0;
    duet_status status = jacobi(pb, st->damping, inv, &precondition, err);
    if (status != DUET_OK)
        goto done;
    double vnorm = sqrt(dot(v, v, p));
    memset(s, 0, p * sizeof *s);
    memcpy(r, v, p * sizeof *r);
    for (size_t j = 0; j < p; j++)
        z[j] = precondition ? inv[j] * r[j] : r[j];
    memcpy(dir, z, p * sizeof *dir);
    double rr = vnorm * vnorm, rz = dot(r, z, p), target = st->tol * vnorm;
    int64_t it = 0;
    for (; it < st->max_iter && sqrt(rr) > target; it++) {
        status = damped_hvp(pb, st->damping, dir, ad, rep, err);
        if (status != DUET_OK)
            goto done;
        double curv = dot(dir, ad, p);
        if (!(curv > 0)) {
            status = duet_error_set(err, DUET_ENUMERIC,
                                    "influence estimator cg: non-positive curvature %g at "
                                    "iteration %lld, so H + lambda I is not positive definite; "
                                    "raise damping (now %g)",
                                    curv, (long long)it, st->damping);
            goto done;
        }
        double alpha = rz / curv;
        for (size_t j = 0; j < p; j++) {
            s[j] += alpha * dir[j];
            r[j] -= alpha * ad[j];
            z[j] = precondition ? inv[j] * r[j] : r[j];
        }
        double rz_new = dot(r, z, p);
        for (size_t j = 0; j < p; j++)
            dir[j] = z[j] + (rz_new / rz) * dir[j];
        rz = rz_new;
        rr = dot(r, r, p);
    }
    rep->iterations += (size_t)it;
    status = damped_hvp(pb, st->damping, s, ad, rep, err);
    if (status != DUET_OK)
        goto done;
    double res = 0;
    for (size_t j = 0; j < p; j++)
        res += (ad[j] - v[j]) * (ad[j] - v[j]);
    rep->residual = vnorm > 0 ? sqrt(res) / vnorm : 0.0;
    if (sqrt(rr) > target)
        status = duet_error_set(err, DUET_ENUMERIC,
                                "influence estimator cg: no convergence in max_iter = %lld "
                                "iterations (relative residual %.3g, tol %.3g); raise max_iter "
                                "or damping, or loosen tol",
                                (long long)st->max_iter, rep->residual, st->tol);
done:
    duet_free(w);
    return status;
}

/* ---------------------------------------------------------------- lissa */

/*
 * LiSSA (Agarwal, Bullins and Hazan, "Second-Order Stochastic Optimization for Machine Learning
 * in Linear Time", JMLR 2017) in the form of the DUET reference code's torch-influence setup:
 *     h_0 = v,  h_j = v + (I - (H_J + lambda I) / scale) h_{j-1},  s = h_depth / scale.
 * Products use the full training set, so the recursion is deterministic and one repeat is all
 * there is. It converges to (H_J + lambda I)^{-1} v when scale exceeds half the largest
 * eigenvalue of H_J + lambda I and depth is large against scale / (smallest eigenvalue).
 */
static duet_status lissa_solve(const duet_influence_problem *pb, const duet_influence_settings *st,
                               const double *v, double *s, duet_influence_report *rep,
                               duet_error *err)
{
    size_t p = pb->model->n_params;
    int64_t depth = st->depth > 0 ? st->depth : (int64_t)(pb->n_train / 10);
    if (depth < 1)
        depth = 1;
    double *ah = alloc_vectors(1, p, "lissa", err);
    if (ah == NULL)
        return DUET_ENOMEM;
    duet_status status = DUET_OK;
    memcpy(s, v, p * sizeof *s);
    for (int64_t j = 1; j <= depth; j++) {
        status = damped_hvp(pb, st->damping, s, ah, rep, err);
        if (status != DUET_OK)
            goto done;
        double norm = 0;
        for (size_t i = 0; i < p; i++) {
            s[i] = v[i] + s[i] - ah[i] / st->scale;
            norm += s[i] * s[i];
        }
        rep->iterations++;
        if (!isfinite(norm)) {
            status = duet_error_set(err, DUET_ENUMERIC,
                                    "influence estimator lissa: the recursion diverged at step "
                                    "%lld; raise scale (now %g) above half the largest "
                                    "eigenvalue of the Hessian",
                                    (long long)j, st->scale);
            goto done;
        }
    }
    for (size_t i = 0; i < p; i++)
        s[i] /= st->scale;
done:
    duet_free(ah);
    return status;
}

/* ---------------------------------------------------------------- identity */

/* s = v: scores become plain gradient dot products (TracIn-like, no curvature). */
static duet_status identity_solve(const duet_influence_problem *pb,
                                  const duet_influence_settings *st, const double *v, double *s,
                                  duet_influence_report *rep, duet_error *err)
{
    memcpy(s, v, pb->model->n_params * sizeof *s);
    return DUET_OK;
}

/* ---------------------------------------------------------------- datainf */

/*
 * DataInf (Kwon, Wu, Wu and Zou, "DataInf: Efficiently Estimating Data Influence in
 * LoRA-tuned LLMs and Diffusion Models", ICLR 2024). H is replaced by the empirical Fisher
 * G = (1/n) sum_i g_i g_i^T of the mean loss (l2 is not part of G), restricted to each of
 * `blocks` equal contiguous parameter blocks, and the inverse is swapped with the average:
 *     (G_b + lambda_b I)^{-1} v_b ~ (1/(n lambda_b)) sum_i [v_b - g_ib (g_ib . v_b) /
 *                                                           (lambda_b + |g_ib|^2)],
 * with lambda_b = damping + damping_relative * mean_i |g_ib|^2 (DataInf's default is 0.1
 * times that mean). For the logistic-regression model, blocks = classes gives one block per
 * class row. Needs two passes over per-example gradients when damping_relative > 0.
 */
static duet_status datainf_block_damping(const duet_influence_problem *pb,
                                         const duet_influence_settings *st, size_t blocks,
                                         double *g, double *lambda, duet_error *err)
{
    const duet_diffmodel *m = pb->model;
    size_t width = m->n_params / blocks;
    for (size_t b = 0; b < blocks; b++)
        lambda[b] = 0;
    if (st->damping_relative > 0) {
        for (size_t k = 0; k < pb->n_train; k++) {
            duet_status status = m->example_grad(m->self, pb->theta, pb->train[k], g, err);
            if (status != DUET_OK)
                return status;
            for (size_t b = 0; b < blocks; b++)
                lambda[b] += dot(g + b * width, g + b * width, width);
        }
    }
    for (size_t b = 0; b < blocks; b++) {
        lambda[b] = st->damping + st->damping_relative * lambda[b] / (double)pb->n_train;
        if (!(lambda[b] > 0))
            return duet_error_set(err, DUET_ENUMERIC,
                                  "influence estimator datainf: block %zu has damping %g, but "
                                  "the formula needs a positive one; raise damping",
                                  b, lambda[b]);
    }
    return DUET_OK;
}

static duet_status datainf_solve(const duet_influence_problem *pb,
                                 const duet_influence_settings *st, const double *v, double *s,
                                 duet_influence_report *rep, duet_error *err)
{
    const duet_diffmodel *m = pb->model;
    size_t p = m->n_params, blocks = (size_t)st->blocks;
    if (blocks == 0 || p % blocks != 0)
        return duet_error_set(err, DUET_EINVAL,
                              "influence estimator datainf: blocks = %zu does not divide the "
                              "%zu parameters into equal blocks",
                              blocks, p);
    if (pb->n_train == 0)
        return duet_error_set(err, DUET_EINVAL,
                              "influence estimator datainf: the training set is empty");
    size_t width = p / blocks;
    double *g = alloc_vectors(2, p, "datainf", err);
    if (g == NULL)
        return DUET_ENOMEM;
    double *acc = g + p;
    double *lambda = duet_malloc(blocks * sizeof *lambda);
    duet_status status = DUET_OK;
    if (lambda == NULL) {
        status = duet_error_set(err, DUET_ENOMEM, "influence estimator datainf: no memory");
        goto done;
    }
    status = datainf_block_damping(pb, st, blocks, g, lambda, err);
    if (status != DUET_OK)
        goto done;
    memset(acc, 0, p * sizeof *acc);
    for (size_t k = 0; k < pb->n_train; k++) {
        status = m->example_grad(m->self, pb->theta, pb->train[k], g, err);
        if (status != DUET_OK)
            goto done;
        for (size_t b = 0; b < blocks; b++) {
            double *gb = g + b * width;
            double coef = dot(gb, v + b * width, width) / (lambda[b] + dot(gb, gb, width));
            for (size_t j = 0; j < width; j++)
                acc[b * width + j] += coef * gb[j];
        }
    }
    for (size_t b = 0; b < blocks; b++) {
        for (size_t j = b * width; j < (b + 1) * width; j++)
            s[j] = (v[j] - acc[j] / (double)pb->n_train) / lambda[b];
    }
done:
    duet_free(lambda);
    duet_free(g);
    return status;
}

/* ---------------------------------------------------------------- descriptors */

#define SETTING(field) offsetof(duet_influence_settings, field)

static const duet_option exact_options[] = {
    {"damping", DUET_OPT_DOUBLE, SETTING(damping), "0", 0, 1e300, NULL,
     "lambda added to the Hessian of the training objective"},
    {"max_params", DUET_OPT_INT, SETTING(max_params), "4096", 1, 1e9, NULL,
     "largest parameter count accepted (the dense Hessian holds max_params^2 doubles)"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

static const duet_option cg_options[] = {
    {"damping", DUET_OPT_DOUBLE, SETTING(damping), "0", 0, 1e300, NULL,
     "lambda added to the Hessian of the training objective"},
    {"tol", DUET_OPT_DOUBLE, SETTING(tol), "1e-10", 0, 1, NULL,
     "stop when the residual norm is at most tol times the norm of the held-out gradient"},
    {"max_iter", DUET_OPT_INT, SETTING(max_iter), "1000", 1, 1e9, NULL,
     "iteration limit; reaching it without convergence is an error"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

static const duet_option lissa_options[] = {
    {"damping", DUET_OPT_DOUBLE, SETTING(damping), "0.001", 0, 1e300, NULL,
     "lambda added to the Hessian of the training objective"},
    {"scale", DUET_OPT_DOUBLE, SETTING(scale), "10000", 1e-300, 1e300, NULL,
     "divisor of H + lambda I in the recursion; must exceed half its largest eigenvalue"},
    {"depth", DUET_OPT_INT, SETTING(depth), "0", 0, 1e12, NULL,
     "recursion steps; 0 means a tenth of the training items"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

static const duet_option identity_options[] = {
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

static const duet_option datainf_options[] = {
    {"damping", DUET_OPT_DOUBLE, SETTING(damping), "0", 0, 1e300, NULL,
     "absolute part of each block's lambda"},
    {"damping_relative", DUET_OPT_DOUBLE, SETTING(damping_relative), "0.1", 0, 1e300, NULL,
     "block lambda also adds this times the mean squared per-example gradient norm"},
    {"blocks", DUET_OPT_INT, SETTING(blocks), "1", 1, 1e9, NULL,
     "equal contiguous parameter blocks inverted separately (classes for logistic regression)"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

const duet_influence_estimator duet_influence_exact = {
    "exact", "dense Hessian from p Hessian-vector products, Cholesky solve (small p only)",
    exact_options, exact_solve};
const duet_influence_estimator duet_influence_cg = {
    "cg", "conjugate gradient on Hessian-vector products", cg_options, cg_solve};
const duet_influence_estimator duet_influence_lissa = {
    "lissa", "LiSSA recursion on full-batch Hessian-vector products", lissa_options, lissa_solve};
const duet_influence_estimator duet_influence_identity = {
    "identity", "no Hessian: gradient dot products (TracIn-like)", identity_options,
    identity_solve};
const duet_influence_estimator duet_influence_datainf = {
    "datainf", "DataInf closed form over per-example gradients, per parameter block",
    datainf_options, datainf_solve};

const duet_influence_estimator *const duet_influence_estimators[] = {
    &duet_influence_exact,    &duet_influence_cg,      &duet_influence_lissa,
    &duet_influence_identity, &duet_influence_datainf, NULL,
};
