/*
 * Bayesian optimization over the simplex: model refits, the candidate screen, projected
 * gradient refinement, floors, and warm-start designs.
 *
 * Invariant: the search variable s always lies on the unit simplex and the GP models
 * r = min_share + (1 - n min_share) s. When bo->fitted is set, the GP's prediction cache holds
 * the mixtures of the current screen, which changes only at a refit; between refits the GP
 * extends the cache in O(m n) per observation, so a proposal with kept hyperparameters costs
 * O(m n) for the screen plus the refinement and allocates nothing.
 */
#include "bo/bo.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/simplex.h"

/* Projected-gradient steps per refinement start. */
#define REFINE_STEPS 25

const duet_option duet_bo_option_table[] = {
    {"kernel", DUET_OPT_ENUM, offsetof(duet_bo_options, kernel), "matern52", 0, 0, "matern52|se",
     "GP kernel over mixture ratios, with one length-scale per domain"},
    {"prior", DUET_OPT_ENUM, offsetof(duet_bo_options, prior), "botorch", 0, 0, "none|botorch",
     "hyperparameter prior: none (maximum likelihood) or the Gamma priors of BoTorch 0.11"},
    {"restarts", DUET_OPT_INT, offsetof(duet_bo_options, restarts), "4", 1, 100, NULL,
     "hyperparameter optimizer starts per fit (count)"},
    {"fit_iterations", DUET_OPT_INT, offsetof(duet_bo_options, fit_iterations), "100", 1, 10000,
     NULL, "BFGS iterations per hyperparameter start (count)"},
    {"acquisition", DUET_OPT_ENUM, offsetof(duet_bo_options, acquisition), "ucb", 0, 0,
     "ucb|ei|thompson", "acquisition maximized over the simplex"},
    {"beta", DUET_OPT_ENUM, offsetof(duet_bo_options, beta), "igp-ucb", 0, 0,
     "constant|gp-ucb|igp-ucb",
     "UCB exploration schedule beta_t (UCB = mu + sqrt(beta_t) sigma); gp-ucb uses the simplex "
     "dimension n - 1, igp-ucb is Chowdhury and Gopalan (2017)"},
    {"beta_value", DUET_OPT_DOUBLE, offsetof(duet_bo_options, beta_value), "1", 0, 1e6, NULL,
     "beta of the constant schedule (squared multiplier of sigma; the DUET code uses 1)"},
    {"delta", DUET_OPT_DOUBLE, offsetof(duet_bo_options, delta), "0.1", 1e-12, 0.99, NULL,
     "confidence parameter of gp-ucb and igp-ucb (probability)"},
    {"rkhs_bound", DUET_OPT_DOUBLE, offsetof(duet_bo_options, rkhs_bound), "1", 0, 1e6, NULL,
     "igp-ucb RKHS norm bound B (standardized utility units)"},
    {"candidates", DUET_OPT_INT, offsetof(duet_bo_options, candidates), "4096", 16, 1000000, NULL,
     "quasi-uniform screen points per refit (count)"},
    {"refine", DUET_OPT_INT, offsetof(duet_bo_options, refine), "4", 0, 1000, NULL,
     "best screen points refined by projected gradient ascent (count)"},
    {"features", DUET_OPT_INT, offsetof(duet_bo_options, features), "1024", 16, 16384, NULL,
     "random Fourier features of a Thompson sample (count)"},
    {"min_share", DUET_OPT_DOUBLE, offsetof(duet_bo_options, min_share), "0", 0, 1, NULL,
     "floor on every domain's share, applied with renormalization (fraction; 0 = none)"},
    {"drop_below", DUET_OPT_DOUBLE, offsetof(duet_bo_options, drop_below), "0", 0, 1, NULL,
     "zero shares below this and renormalize, as the DUET code does with 0.05 (fraction; 0 = "
     "off)"},
    {"fit_every", DUET_OPT_INT, offsetof(duet_bo_options, fit_every), "1", 1, 1000000, NULL,
     "refit hyperparameters every this many observations (count; 1 = every round)"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

typedef enum target_kind { TARGET_UCB, TARGET_EI, TARGET_THOMPSON, TARGET_MEAN } target_kind;

/* The function a search maximizes. */
typedef struct target {
    target_kind kind;
    double sqrt_beta; /* UCB */
    double best;      /* EI: best observed utility */
} target;

struct duet_bo {
    size_t n;
    duet_bo_options opt;
    duet_gp *gp;
    duet_rff *rff;        /* Thompson sampling only */
    int fitted;           /* hyperparameters fitted at least once */
    size_t fit_count;     /* observations at the last fit */
    double scale;         /* 1 - n min_share */
    size_t m;             /* screen points: candidates + n vertices + the uniform mixture */
    double *screen_s;     /* [m x n] points of the unit simplex */
    double *screen_r;     /* [m x n] the mixtures given to the GP */
    double *mean, *var;   /* [m] */
    double *score;        /* [m] */
    size_t *top;          /* [refine + 1] starts of the refinement */
    double *top_score;    /* [refine + 1] */
    double *alpha;        /* [n - 1] Kronecker generator */
    double *u;            /* [n - 1] one lattice point */
    double *s, *s_try;    /* [n] refinement iterate and trial */
    double *g, *g_try;    /* [n] gradients in s */
    double *r, *best_s;   /* [n] */
    double *dmean, *dvar; /* [n] */
    double *work;         /* [n] projection workspace */
    double *lengthscales; /* [n] diagnostics */
    double *log_hyper;    /* [n + 2] */
    size_t evaluations;
};

/* ------------------------------------------------------------------ options */

static duet_status check_options(size_t n, const duet_bo_options *o, duet_error *err)
{
    for (const duet_option *opt = duet_bo_option_table; opt->name != NULL; opt++) {
        const char *field = (const char *)o + opt->offset;
        double value;
        if (opt->type == DUET_OPT_INT)
            value = (double)*(const int64_t *)(const void *)field;
        else if (opt->type == DUET_OPT_DOUBLE)
            value = *(const double *)(const void *)field;
        else {
            int index = *(const int *)(const void *)field, count = 1;
            for (const char *c = opt->choices; *c != '\0'; c++)
                count += *c == '|';
            if (index < 0 || index >= count)
                return duet_error_set(err, DUET_EINVAL,
                                      "BO option %s has choice index %d; use one of %s", opt->name,
                                      index, opt->choices);
            continue;
        }
        if (!(value >= opt->min && value <= opt->max))
            return duet_error_set(err, DUET_EINVAL,
                                  "BO option %s = %g is out of range; use a value in [%g, %g]",
                                  opt->name, value, opt->min, opt->max);
    }
    if (o->min_share * (double)n > 1.0)
        return duet_error_set(err, DUET_EINVAL,
                              "min_share %g leaves no room for %zu domains; use at most %g",
                              o->min_share, n, 1.0 / (double)n);
    if (o->min_share > 0.0 && o->drop_below > 0.0)
        return duet_error_set(err, DUET_EINVAL,
                              "min_share %g and drop_below %g contradict each other; set one "
                              "of them to 0",
                              o->min_share, o->drop_below);
    return DUET_OK;
}

void duet_bo_options_init(duet_bo_options *o)
{
    memset(o, 0, sizeof *o);
    for (const duet_option *opt = duet_bo_option_table; opt->name != NULL; opt++) {
        char *field = (char *)o + opt->offset;
        if (opt->type == DUET_OPT_INT) {
            int64_t v = strtoll(opt->default_value, NULL, 10);
            memcpy(field, &v, sizeof v);
        } else if (opt->type == DUET_OPT_DOUBLE) {
            double v = strtod(opt->default_value, NULL);
            memcpy(field, &v, sizeof v);
        } else {
            /* The index of the default among the '|'-separated choices. */
            size_t len = strlen(opt->default_value);
            int index = 0;
            for (const char *c = opt->choices; c != NULL; index++) {
                if (strncmp(c, opt->default_value, len) == 0 && (c[len] == '|' || c[len] == 0))
                    break;
                c = strchr(c, '|');
                c = c != NULL ? c + 1 : NULL;
            }
            memcpy(field, &index, sizeof index);
        }
    }
}

/* ------------------------------------------------------------------ lifetime */

/* Root of x^(d+1) = x + 1 by Newton's method: the generalized golden ratio of dimension d. */
static double golden_ratio(size_t d)
{
    double x = 2.0;
    for (int it = 0; it < 100; it++) {
        double p = pow(x, (double)d);
        double step = (p * x - x - 1.0) / ((double)(d + 1) * p - 1.0);
        x -= step;
        if (fabs(step) < 1e-15)
            break;
    }
    return x;
}

static duet_status allocate(duet_bo *bo, duet_error *err)
{
    size_t n = bo->n, m = bo->m, k = (size_t)bo->opt.refine + 2;
    int overflow = 0;
    size_t mn = duet_mul_size(duet_mul_size(m, n, &overflow), sizeof(double), &overflow);
    if (overflow)
        return duet_error_set(err, DUET_ELIMIT,
                              "BO screen of %zu points in %zu domains is too "
                              "large; lower candidates",
                              m, n);
    bo->screen_s = duet_malloc(mn);
    bo->screen_r = duet_malloc(mn);
    bo->mean = duet_malloc(m * sizeof(double));
    bo->var = duet_malloc(m * sizeof(double));
    bo->score = duet_malloc(m * sizeof(double));
    bo->top = duet_malloc(k * sizeof(size_t));
    bo->top_score = duet_malloc(k * sizeof(double));
    bo->alpha = duet_malloc(n * sizeof(double));
    bo->u = duet_malloc(n * sizeof(double));
    double **vectors[] = {&bo->s,      &bo->s_try, &bo->g,    &bo->g_try,        &bo->r,
                          &bo->best_s, &bo->dmean, &bo->dvar, &bo->lengthscales, &bo->work};
    int ok = bo->screen_s && bo->screen_r && bo->mean && bo->var && bo->score && bo->top &&
             bo->top_score && bo->alpha && bo->u;
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        *vectors[i] = duet_calloc(n, sizeof(double));
        ok = ok && *vectors[i] != NULL;
    }
    bo->log_hyper = duet_calloc(n + 2, sizeof(double));
    ok = ok && bo->log_hyper != NULL;
    if (!ok)
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating a BO over %zu domains", n);
    return DUET_OK;
}

duet_bo *duet_bo_new(size_t n_domains, const duet_bo_options *opt, duet_error *err)
{
    if (n_domains == 0) {
        duet_error_set(err, DUET_EINVAL, "BO needs at least one domain");
        return NULL;
    }
    if (check_options(n_domains, opt, err) != DUET_OK)
        return NULL;
    duet_bo *bo = duet_calloc(1, sizeof *bo);
    if (bo == NULL) {
        duet_error_set(err, DUET_ENOMEM, "out of memory creating a BO over %zu domains", n_domains);
        return NULL;
    }
    bo->n = n_domains;
    bo->opt = *opt;
    bo->scale = 1.0 - (double)n_domains * opt->min_share;
    bo->m = (size_t)opt->candidates + n_domains + 1;
    int ok = allocate(bo, err) == DUET_OK;
    if (ok) {
        bo->gp = duet_gp_new(n_domains, (duet_gp_kernel)opt->kernel, err);
        ok = bo->gp != NULL;
    }
    if (ok && opt->acquisition == DUET_BO_THOMPSON) {
        bo->rff = duet_rff_new(n_domains, (size_t)opt->features, err);
        ok = bo->rff != NULL;
    }
    if (!ok) {
        duet_bo_free(bo);
        return NULL;
    }
    double phi = n_domains > 1 ? golden_ratio(n_domains - 1) : 1.0, a = 1.0;
    for (size_t k = 0; k + 1 < n_domains; k++) {
        a /= phi;
        bo->alpha[k] = a;
    }
    return bo;
}

void duet_bo_free(duet_bo *bo)
{
    if (bo == NULL)
        return;
    duet_gp_free(bo->gp);
    duet_rff_free(bo->rff);
    void *buffers[] = {bo->screen_s,     bo->screen_r, bo->mean,   bo->var,   bo->score, bo->top,
                       bo->top_score,    bo->alpha,    bo->u,      bo->s,     bo->s_try, bo->g,
                       bo->g_try,        bo->r,        bo->best_s, bo->dmean, bo->dvar,  bo->work,
                       bo->lengthscales, bo->log_hyper};
    for (size_t i = 0; i < sizeof buffers / sizeof *buffers; i++)
        duet_free(buffers[i]);
    duet_free(bo);
}

size_t duet_bo_count(const duet_bo *bo)
{
    return duet_gp_count(bo->gp);
}

duet_gp *duet_bo_gp(duet_bo *bo)
{
    return bo->gp;
}

/* ------------------------------------------------------------------ observations */

duet_status duet_bo_observe(duet_bo *bo, const double *ratios, double utility, duet_error *err)
{
    if (!isfinite(utility))
        return duet_error_set(err, DUET_EINVAL,
                              "utility %g of observation %zu is not finite; the task must "
                              "return a finite feedback",
                              utility, duet_gp_count(bo->gp));
    double violation = duet_simplex_violation(ratios, bo->n);
    if (!(violation <= 1e-6))
        return duet_error_set(err, DUET_EINVAL,
                              "ratios of observation %zu are off the simplex by %g; pass "
                              "non-negative shares that sum to 1",
                              duet_gp_count(bo->gp), violation);
    return duet_gp_add(bo->gp, ratios, utility, err);
}

/* ------------------------------------------------------------------ screen */

/* Maps s on the unit simplex to the mixture r on the floored simplex. */
static void to_mixture(const duet_bo *bo, const double *s, double *r)
{
    for (size_t k = 0; k < bo->n; k++)
        r[k] = bo->opt.min_share + bo->scale * s[k];
}

static void sort_ascending(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/*
 * Fills the screen with point i of the Kronecker sequence frac(shift + (i + 1) alpha) in
 * [0,1)^(n-1), mapped to the simplex by the spacings of its sorted coordinates. That map takes
 * the uniform distribution on the cube to the uniform one on the simplex. The n vertices and
 * the uniform mixture follow. The shift is drawn from rng, so every refit screens new points.
 */
static duet_status build_screen(duet_bo *bo, duet_rng *rng, duet_error *err)
{
    size_t n = bo->n, d = n - 1, lattice = (size_t)bo->opt.candidates;
    for (size_t k = 0; k < d; k++)
        bo->work[k] = duet_rng_uniform(rng);
    for (size_t i = 0; i < lattice; i++) {
        double *s = bo->screen_s + i * n;
        for (size_t k = 0; k < d; k++) {
            double x = bo->work[k] + (double)(i + 1) * bo->alpha[k];
            bo->u[k] = x - floor(x);
        }
        sort_ascending(bo->u, d);
        double previous = 0.0;
        for (size_t k = 0; k < d; k++) {
            s[k] = bo->u[k] - previous;
            previous = bo->u[k];
        }
        s[d] = 1.0 - previous;
    }
    for (size_t v = 0; v <= n; v++) {
        double *s = bo->screen_s + (lattice + v) * n;
        for (size_t k = 0; k < n; k++)
            s[k] = v == n ? 1.0 / (double)n : (double)(k == v);
    }
    for (size_t i = 0; i < bo->m; i++)
        to_mixture(bo, bo->screen_s + i * n, bo->screen_r + i * n);
    return duet_gp_cache_set(bo->gp, bo->m, bo->screen_r, n, err);
}

/* ------------------------------------------------------------------ targets */

/* Value of the target at mixture r, and its gradient in r when grad is not NULL. */
static duet_status target_eval(duet_bo *bo, const target *t, const double *r, double *value,
                               double *grad, duet_error *err)
{
    size_t n = bo->n;
    bo->evaluations++;
    if (t->kind == TARGET_THOMPSON) {
        *value = duet_rff_eval(bo->rff, r, grad);
        return DUET_OK;
    }
    double mean, var;
    duet_status st = duet_gp_predict(bo->gp, r, &mean, &var, grad ? bo->dmean : NULL,
                                     grad ? bo->dvar : NULL, err);
    if (st != DUET_OK)
        return st;
    double sd = sqrt(var), dsd_dvar = sd > 0.0 ? 0.5 / sd : 0.0, dm = 1.0, ds = 0.0;
    if (t->kind == TARGET_MEAN)
        *value = mean;
    else if (t->kind == TARGET_UCB) {
        *value = mean + t->sqrt_beta * sd;
        ds = t->sqrt_beta;
    } else
        *value = duet_acq_log_ei(mean, sd, t->best, &dm, &ds);
    if (grad != NULL)
        for (size_t k = 0; k < n; k++)
            grad[k] = dm * bo->dmean[k] + ds * dsd_dvar * bo->dvar[k];
    return DUET_OK;
}

/* Scores every screen point from the prediction cache (or the Thompson sample). */
static duet_status score_screen(duet_bo *bo, const target *t, duet_error *err)
{
    size_t m = bo->m;
    bo->evaluations += m;
    if (t->kind == TARGET_THOMPSON) {
        for (size_t c = 0; c < m; c++)
            bo->score[c] = duet_rff_eval(bo->rff, bo->screen_r + c * bo->n, NULL);
        return DUET_OK;
    }
    duet_status st = duet_gp_cache_predict(bo->gp, bo->mean, bo->var, err);
    if (st != DUET_OK)
        return st;
    for (size_t c = 0; c < m; c++) {
        double sd = sqrt(bo->var[c]);
        if (t->kind == TARGET_MEAN)
            bo->score[c] = bo->mean[c];
        else if (t->kind == TARGET_UCB)
            bo->score[c] = bo->mean[c] + t->sqrt_beta * sd;
        else
            bo->score[c] = duet_acq_log_ei(bo->mean[c], sd, t->best, NULL, NULL);
    }
    return DUET_OK;
}

/* Keeps the k best screen indices in bo->top, best first; returns how many were kept. */
static size_t select_top(duet_bo *bo, size_t k)
{
    size_t kept = 0;
    for (size_t c = 0; c < bo->m; c++) {
        double v = bo->score[c];
        if (isnan(v) || (kept == k && !(v > bo->top_score[kept - 1])))
            continue;
        size_t j = kept < k ? kept++ : kept - 1;
        for (; j > 0 && bo->top_score[j - 1] < v; j--) {
            bo->top[j] = bo->top[j - 1];
            bo->top_score[j] = bo->top_score[j - 1];
        }
        bo->top[j] = c;
        bo->top_score[j] = v;
    }
    return kept;
}

/* ------------------------------------------------------------------ refinement */

/* Value and s-gradient of the target at s on the unit simplex. */
static duet_status eval_at(duet_bo *bo, const target *t, const double *s, double *value, double *g,
                           duet_error *err)
{
    to_mixture(bo, s, bo->r);
    duet_status st = target_eval(bo, t, bo->r, value, g, err);
    for (size_t k = 0; st == DUET_OK && k < bo->n; k++)
        g[k] *= bo->scale;
    return st;
}

static double max_abs(const double *v, size_t n)
{
    double m = 0.0;
    for (size_t k = 0; k < n; k++)
        m = fmax(m, fabs(v[k]));
    return m;
}

/*
 * Projected gradient ascent from bo->s with value *f: a step along the gradient, projected
 * back onto the simplex, is accepted when it improves the target (then the step doubles) and
 * shrunk by 5 otherwise. Stops after REFINE_STEPS steps, or when a step gains less than 1e-9
 * of the value. Leaves the best point in bo->s and its value in *f.
 */
static duet_status refine(duet_bo *bo, const target *t, double *f, duet_error *err)
{
    size_t n = bo->n;
    duet_status st = eval_at(bo, t, bo->s, f, bo->g, err);
    double gmax = max_abs(bo->g, n);
    if (st != DUET_OK || !(gmax > 0.0) || !isfinite(gmax))
        return st;
    double eta = 0.05 / gmax;
    for (int step = 0; step < REFINE_STEPS; step++) {
        for (size_t k = 0; k < n; k++)
            bo->s_try[k] = bo->s[k] + eta * bo->g[k];
        duet_simplex_project(bo->s_try, n, bo->work);
        double moved = 0.0, ftry;
        for (size_t k = 0; k < n; k++)
            moved = fmax(moved, fabs(bo->s_try[k] - bo->s[k]));
        if (moved < 1e-10)
            break;
        st = eval_at(bo, t, bo->s_try, &ftry, bo->g_try, err);
        if (st != DUET_OK)
            return st;
        if (ftry > *f) {
            /* Gains below 1e-9 of the value no longer change the proposal meaningfully. */
            int converged = ftry - *f <= 1e-9 * fmax(1.0, fabs(ftry));
            *f = ftry;
            memcpy(bo->s, bo->s_try, n * sizeof *bo->s);
            memcpy(bo->g, bo->g_try, n * sizeof *bo->g);
            gmax = max_abs(bo->g, n);
            if (converged || !(gmax > 0.0) || !isfinite(gmax))
                break;
            eta = fmin(2.0 * eta, 0.5 / gmax);
        } else {
            eta *= 0.2;
            if (eta * gmax < 1e-10)
                break;
        }
    }
    return DUET_OK;
}

/* Puts the best observed mixture, mapped back to s and projected, into bo->s. */
static void best_observed_start(duet_bo *bo)
{
    size_t row, n = bo->n;
    duet_gp_best_output(bo->gp, &row);
    const double *r = duet_gp_inputs(bo->gp) + row * n;
    for (size_t k = 0; k < n; k++)
        bo->s[k] = bo->scale > 0.0 ? (r[k] - bo->opt.min_share) / bo->scale : 1.0 / (double)n;
    duet_simplex_project(bo->s, n, bo->work);
}

/* Maximizes the target: screen, then refinement from the best screen points and the best
 * observation. Leaves the argmax in bo->best_s and returns its value in *best. */
static duet_status maximize(duet_bo *bo, const target *t, double *best, duet_error *err)
{
    size_t n = bo->n, k = (size_t)bo->opt.refine;
    duet_status st = score_screen(bo, t, err);
    if (st != DUET_OK)
        return st;
    size_t kept = select_top(bo, k > 0 ? k : 1);
    *best = -INFINITY;
    /* The uniform mixture is the last screen point, and the result if every score is NaN. */
    memcpy(bo->best_s, bo->screen_s + (bo->m - 1) * n, n * sizeof *bo->best_s);
    if (kept > 0) {
        *best = bo->top_score[0];
        memcpy(bo->best_s, bo->screen_s + bo->top[0] * n, n * sizeof *bo->best_s);
    }
    /* Start k is the best observation; starts 0 .. kept-1 are screen points. */
    for (size_t i = 0; k > 0 && i <= kept; i++) {
        if (i < kept)
            memcpy(bo->s, bo->screen_s + bo->top[i] * n, n * sizeof *bo->s);
        else
            best_observed_start(bo);
        double f;
        st = refine(bo, t, &f, err);
        if (st != DUET_OK)
            return st;
        if (f > *best || !isfinite(*best)) {
            *best = f;
            memcpy(bo->best_s, bo->s, n * sizeof *bo->best_s);
        }
    }
    return DUET_OK;
}

/* Final mixture: floor mapping, optional dropping of small shares, exact normalization. */
static void finish(const duet_bo *bo, const double *s, double *out)
{
    size_t n = bo->n;
    for (size_t k = 0; k < n; k++)
        out[k] = fmax(s[k], 0.0);
    duet_simplex_normalize(out, n);
    duet_simplex_apply_floor(out, n, bo->opt.min_share);
    duet_simplex_drop_below(out, n, bo->opt.drop_below);
    duet_simplex_normalize(out, n);
}

/* ------------------------------------------------------------------ proposals */

/* Refits the hyperparameters and redraws the screen when a refit is due. */
static duet_status ensure_model(duet_bo *bo, duet_rng *rng, int *refit, duet_error *err)
{
    size_t count = duet_gp_count(bo->gp);
    *refit = 0;
    /* A GP without a factor (a failed refactorization on observe) also needs a refit. */
    if (bo->fitted && count - bo->fit_count < (size_t)bo->opt.fit_every && duet_gp_ready(bo->gp))
        return DUET_OK;
    duet_gp_fit_options fo = {(duet_gp_prior)bo->opt.prior, (size_t)bo->opt.restarts,
                              (size_t)bo->opt.fit_iterations};
    duet_status st = duet_gp_fit(bo->gp, &fo, rng, NULL, err);
    if (st != DUET_OK) {
        duet_error_prefix(err, "BO refit with %zu observations", count);
        return st;
    }
    bo->fitted = 1;
    bo->fit_count = count;
    *refit = 1;
    return build_screen(bo, rng, err);
}

static void fill_diag(duet_bo *bo, duet_bo_diag *diag, int refit)
{
    size_t n = bo->n;
    memset(diag, 0, sizeof *diag);
    diag->observations = duet_gp_count(bo->gp);
    diag->refit = refit;
    duet_gp_get_hyper(bo->gp, bo->log_hyper);
    for (size_t k = 0; k < n; k++)
        bo->lengthscales[k] = exp(bo->log_hyper[k]);
    diag->lengthscales = bo->lengthscales;
    diag->signal_variance = duet_gp_signal_variance(bo->gp);
    diag->noise_variance = duet_gp_noise_variance(bo->gp);
    diag->output_scale = duet_gp_output_scale(bo->gp);
    diag->jitter = duet_gp_jitter(bo->gp);
    diag->log_marginal = duet_gp_log_marginal(bo->gp);
    diag->beta = diag->mu = diag->sigma = diag->acquisition = NAN;
}

/* Writes the uniform mixture, the proposal before any observation, with NaN model diagnostics. */
static duet_status propose_uniform(duet_bo *bo, double *out, duet_bo_diag *diag)
{
    for (size_t k = 0; k < bo->n; k++)
        out[k] = 1.0 / (double)bo->n;
    duet_simplex_normalize(out, bo->n);
    if (diag != NULL) {
        fill_diag(bo, diag, 0);
        diag->log_marginal = diag->jitter = NAN;
    }
    return DUET_OK;
}

static duet_status make_target(duet_bo *bo, size_t iteration, duet_rng *rng, target *t,
                               double *beta, duet_error *err)
{
    duet_beta_params bp = {(duet_beta_schedule)bo->opt.beta, bo->opt.beta_value, bo->opt.delta,
                           bo->n > 1 ? bo->n - 1 : 1, bo->opt.rkhs_bound};
    duet_status st = duet_acq_beta(&bp, iteration + 1, bo->gp, beta, err);
    if (st != DUET_OK)
        return st;
    t->sqrt_beta = sqrt(*beta);
    t->best = duet_gp_best_output(bo->gp, NULL);
    if (bo->opt.acquisition == DUET_BO_EI)
        t->kind = TARGET_EI;
    else if (bo->opt.acquisition == DUET_BO_THOMPSON) {
        t->kind = TARGET_THOMPSON;
        return duet_rff_sample(bo->rff, bo->gp, rng, err);
    } else
        t->kind = TARGET_UCB;
    return DUET_OK;
}

duet_status duet_bo_propose(duet_bo *bo, size_t iteration, duet_rng *rng, double *ratios_out,
                            duet_bo_diag *diag, duet_error *err)
{
    if (duet_gp_count(bo->gp) == 0 || bo->n == 1)
        return propose_uniform(bo, ratios_out, diag);
    int refit;
    duet_status st = ensure_model(bo, rng, &refit, err);
    target t;
    double beta = NAN, value;
    if (st == DUET_OK)
        st = make_target(bo, iteration, rng, &t, &beta, err);
    bo->evaluations = 0;
    if (st == DUET_OK)
        st = maximize(bo, &t, &value, err);
    if (st != DUET_OK)
        return st;
    finish(bo, bo->best_s, ratios_out);
    if (diag == NULL)
        return DUET_OK;

    /* Diagnostics at the mixture actually proposed, after floors and dropping. */
    fill_diag(bo, diag, refit);
    double mean = NAN, var = NAN;
    st = duet_gp_predict(bo->gp, ratios_out, &mean, &var, NULL, NULL, err);
    if (st == DUET_OK)
        st = target_eval(bo, &t, ratios_out, &value, NULL, err);
    diag->beta = beta;
    diag->mu = mean;
    diag->sigma = sqrt(var);
    diag->acquisition = value;
    diag->evaluations = bo->evaluations;
    return st;
}

duet_status duet_bo_posterior_optimum(duet_bo *bo, duet_rng *rng, double *ratios_out,
                                      duet_error *err)
{
    if (duet_gp_count(bo->gp) == 0 || bo->n == 1)
        return propose_uniform(bo, ratios_out, NULL);
    int refit;
    duet_status st = ensure_model(bo, rng, &refit, err);
    target t = {TARGET_MEAN, 0.0, 0.0};
    double value;
    if (st == DUET_OK)
        st = maximize(bo, &t, &value, err);
    if (st == DUET_OK)
        finish(bo, bo->best_s, ratios_out);
    return st;
}

/* ------------------------------------------------------------------ warm start */

size_t duet_bo_warm_start_count(const char *design, size_t count, size_t n)
{
    if (design == NULL)
        return 0;
    if (strcmp(design, "uniform") == 0)
        return 1;
    if (strcmp(design, "dirichlet") == 0)
        return count;
    if (strcmp(design, "vertices") == 0)
        return n;
    return 0;
}

duet_status duet_bo_warm_start(const char *design, size_t count, size_t n, duet_rng *rng,
                               double *out, duet_error *err)
{
    if (n == 0)
        return duet_error_set(err, DUET_EINVAL, "warm start needs at least one domain");
    size_t points = duet_bo_warm_start_count(design, count, n);
    if (points == 0 && (design == NULL || strcmp(design, "dirichlet") != 0))
        return duet_error_set(err, DUET_ENOTFOUND,
                              "unknown warm-start design \"%s\"; use uniform, dirichlet or "
                              "vertices",
                              design ? design : "(null)");
    for (size_t i = 0; i < points; i++) {
        double *row = out + i * n;
        if (strcmp(design, "dirichlet") == 0)
            duet_rng_dirichlet(rng, n, NULL, row);
        else
            for (size_t k = 0; k < n; k++)
                row[k] = strcmp(design, "uniform") == 0 ? 1.0 / (double)n : (double)(k == i);
        duet_simplex_normalize(row, n);
    }
    return DUET_OK;
}
