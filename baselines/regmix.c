/*
 * RegMix-style regression over mixtures (Liu, Zeng, Wang, Pang, Zhou, Jiang, Li and Xie,
 * "RegMix: Data Mixture as Regression for Language Model Pre-training", ICLR 2025), on the same
 * feedback budget as DUET.
 *
 * RegMix trains many small models on random Dirichlet mixtures, fits a regression from mixture
 * to the target metric, and picks the mixture by averaging the top-ranked candidates of a large
 * simulated screen. Here the first ceil(initial_fraction * T) iterations propose Dirichlet(alpha)
 * draws, as does any iteration with fewer than two observations. Every later iteration refits a
 * ridge regression (duet_regmix_fit: the linear terms r_i and, by default, the products r_i r_j of
 * Scheffe's quadratic mixture model) to every observation so far (warm start included) and proposes
 * the average of the `top` best predicted mixtures among `screen` Dirichlet(alpha) draws. Its
 * second answer is the same choice after the last observation. The utility is the best of the k
 * samples, as for every method.
 */
#include <lapacke.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "baselines.h"
#include "util/mem.h"
#include "util/simplex.h"

enum { MODEL_QUADRATIC = 0, MODEL_LINEAR = 1 };

typedef struct regmix_options {
    double initial_fraction;
    double alpha;
    int model;
    double ridge;
    int64_t screen;
    int64_t top;
} regmix_options;

static const duet_option regmix_option_table[] = {
    {"initial_fraction", DUET_OPT_DOUBLE, offsetof(regmix_options, initial_fraction), "0.5", 0, 1,
     NULL, "share of the iterations that propose random Dirichlet mixtures before fitting"},
    {"alpha", DUET_OPT_DOUBLE, offsetof(regmix_options, alpha), "1", 1e-3, 1e3, NULL,
     "Dirichlet concentration of the random mixtures and of the screen"},
    {"model", DUET_OPT_ENUM, offsetof(regmix_options, model), "quadratic", 0, 0, "quadratic|linear",
     "regression features: r_i and r_i r_j (quadratic), or r_i alone"},
    {"ridge", DUET_OPT_DOUBLE, offsetof(regmix_options, ridge), "0.01", 1e-12, 1e6, NULL,
     "ridge penalty on the coefficients (targets are standardized)"},
    {"screen", DUET_OPT_INT, offsetof(regmix_options, screen), "20000", 1, 10000000, NULL,
     "Dirichlet candidates ranked by the regression at each fitted iteration"},
    {"top", DUET_OPT_INT, offsetof(regmix_options, top), "20", 1, 10000, NULL,
     "best-ranked candidates averaged into the proposal"},
    {NULL},
};

size_t duet_regmix_feature_count(size_t n, int quadratic)
{
    return quadratic ? n + n * (n - 1) / 2 : n;
}

void duet_regmix_features(size_t n, int quadratic, const double *r, double *phi)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        phi[k++] = r[i];
    if (!quadratic)
        return;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            phi[k++] = r[i] * r[j];
}

/* Computes the mean and sample standard deviation of y[0..m-1], or sd = 1 when y is constant. */
static void standardize(const double *y, size_t m, double *mean, double *sd)
{
    double mu = 0.0, ss = 0.0;
    for (size_t t = 0; t < m; t++)
        mu += y[t];
    mu /= (double)m;
    for (size_t t = 0; t < m; t++)
        ss += (y[t] - mu) * (y[t] - mu);
    double s = m > 1 ? sqrt(ss / (double)(m - 1)) : 0.0;
    *mean = mu;
    *sd = s > 0.0 ? s : 1.0;
}

duet_status duet_regmix_fit(size_t n, int quadratic, size_t m, const double *ratios,
                            const double *y, double ridge, double *beta, double *mean, double *sd,
                            duet_error *err)
{
    size_t p = duet_regmix_feature_count(n, quadratic);
    int overflow = 0;
    size_t cells = duet_mul_size(m, p > m ? p : m, &overflow);
    if (overflow || m == 0)
        return duet_error_set(err, DUET_ELIMIT,
                              "regmix: cannot fit %zu observations with %zu features", m, p);
    double *phi = duet_malloc(cells * sizeof *phi);
    double *K = duet_malloc(m * m * sizeof *K);
    double *a = duet_malloc(m * sizeof *a);
    duet_status st = DUET_OK;
    if (phi == NULL || K == NULL || a == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "regmix: out of memory fitting %zu observations", m);
        goto done;
    }
    standardize(y, m, mean, sd);
    for (size_t t = 0; t < m; t++) {
        duet_regmix_features(n, quadratic, ratios + t * n, phi + t * p);
        a[t] = (y[t] - *mean) / *sd;
    }
    /* K = Phi Phi^T + ridge I (symmetric, so its row- and column-major layouts agree) */
    for (size_t s = 0; s < m; s++)
        for (size_t t = 0; t <= s; t++) {
            double dot = 0.0;
            for (size_t k = 0; k < p; k++)
                dot += phi[s * p + k] * phi[t * p + k];
            K[s * m + t] = K[t * m + s] = dot + (s == t ? ridge : 0.0);
        }
    lapack_int info = LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, K, (lapack_int)m,
                                         a, (lapack_int)m);
    if (info != 0) {
        st = duet_error_set(err, DUET_ENUMERIC,
                            "regmix: the ridge system of %zu observations is not positive "
                            "definite (LAPACK dposv info %d); raise the ridge option",
                            m, (int)info);
        goto done;
    }
    for (size_t k = 0; k < p; k++) {
        beta[k] = 0.0;
        for (size_t t = 0; t < m; t++)
            beta[k] += phi[t * p + k] * a[t];
    }
done:
    duet_free(phi);
    duet_free(K);
    duet_free(a);
    return st;
}

typedef struct regmix {
    size_t n, p, n_init;
    int quadratic;
    double ridge;
    size_t screen, top;
    size_t m, capacity; /* observations stored, and room */
    double *X;          /* [capacity x n] observed ratios */
    double *y;          /* [capacity] observed utilities */
    double *alphas;     /* [n] Dirichlet concentrations */
    double *beta, *phi; /* [p] */
    double *candidate;  /* [n] */
    double *best;       /* [top x n] best-ranked candidates */
    double *best_score; /* [top] their standardized predictions, descending */
    double predicted;   /* predicted utility of the last proposal (diagnostic) */
} regmix;

static void regmix_destroy(void *state)
{
    regmix *m = state;
    if (m == NULL)
        return;
    duet_free(m->X);
    duet_free(m->y);
    duet_free(m->alphas);
    duet_free(m->beta);
    duet_free(m->phi);
    duet_free(m->candidate);
    duet_free(m->best);
    duet_free(m->best_score);
    duet_free(m);
}

static duet_status regmix_create(const duet_method_env *env, const void *options, void **state,
                                 duet_error *err)
{
    const regmix_options *o = options;
    regmix *m = duet_calloc(1, sizeof *m);
    if (m == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating regmix");
    m->n = env->n;
    m->quadratic = o->model == MODEL_QUADRATIC;
    m->p = duet_regmix_feature_count(m->n, m->quadratic);
    m->n_init = (size_t)ceil(o->initial_fraction * (double)env->iterations);
    m->ridge = o->ridge;
    m->screen = (size_t)o->screen;
    m->top = (size_t)o->top < m->screen ? (size_t)o->top : m->screen;
    m->predicted = NAN;
    m->alphas = duet_malloc(m->n * sizeof *m->alphas);
    m->beta = duet_malloc(m->p * sizeof *m->beta);
    m->phi = duet_malloc(m->p * sizeof *m->phi);
    m->candidate = duet_malloc(m->n * sizeof *m->candidate);
    m->best = duet_malloc(m->top * m->n * sizeof *m->best);
    m->best_score = duet_malloc(m->top * sizeof *m->best_score);
    if (!m->alphas || !m->beta || !m->phi || !m->candidate || !m->best || !m->best_score) {
        regmix_destroy(m);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating regmix");
    }
    for (size_t i = 0; i < m->n; i++)
        m->alphas[i] = o->alpha;
    *state = m;
    return DUET_OK;
}

/* Inserts the candidate into the best-ranked list if its score ranks among the top `kept`. */
static void keep_if_top(regmix *m, size_t kept, double score)
{
    size_t pos = kept < m->top ? kept : m->top - 1;
    if (kept >= m->top && score <= m->best_score[pos])
        return;
    while (pos > 0 && m->best_score[pos - 1] < score) {
        m->best_score[pos] = m->best_score[pos - 1];
        memcpy(m->best + pos * m->n, m->best + (pos - 1) * m->n, m->n * sizeof *m->best);
        pos--;
    }
    m->best_score[pos] = score;
    memcpy(m->best + pos * m->n, m->candidate, m->n * sizeof *m->candidate);
}

/* Fits the regression and writes the average of the top screened mixtures to ratios. */
static duet_status fit_and_screen(regmix *m, duet_rng *rng, double *ratios, duet_error *err)
{
    double mean = 0.0, sd = 1.0;
    duet_status st =
        duet_regmix_fit(m->n, m->quadratic, m->m, m->X, m->y, m->ridge, m->beta, &mean, &sd, err);
    if (st != DUET_OK)
        return st;
    for (size_t c = 0; c < m->screen; c++) {
        duet_rng_dirichlet(rng, m->n, m->alphas, m->candidate);
        duet_regmix_features(m->n, m->quadratic, m->candidate, m->phi);
        double score = 0.0;
        for (size_t k = 0; k < m->p; k++)
            score += m->phi[k] * m->beta[k];
        keep_if_top(m, c, score);
    }
    memset(ratios, 0, m->n * sizeof *ratios);
    for (size_t j = 0; j < m->top; j++)
        for (size_t i = 0; i < m->n; i++)
            ratios[i] += m->best[j * m->n + i] / (double)m->top;
    duet_simplex_normalize(ratios, m->n);
    duet_regmix_features(m->n, m->quadratic, ratios, m->phi);
    double score = 0.0;
    for (size_t k = 0; k < m->p; k++)
        score += m->phi[k] * m->beta[k];
    m->predicted = mean + sd * score;
    return DUET_OK;
}

static duet_status regmix_propose(void *state, size_t iteration, duet_rng *rng, duet_proposal *out,
                                  duet_error *err)
{
    regmix *m = state;
    duet_diag_entry *e = &out->diag.entries[out->diag.count++];
    e->name = "predicted";
    e->len = 1;
    e->values = &m->predicted;
    if (iteration < m->n_init || m->m < 2) {
        m->predicted = NAN;
        duet_rng_dirichlet(rng, m->n, m->alphas, out->ratios);
        return DUET_OK;
    }
    return fit_and_screen(m, rng, out->ratios, err);
}

static duet_status regmix_observe(void *state, const duet_observation *obs, duet_error *err)
{
    regmix *m = state;
    if (m->m == m->capacity) {
        size_t cap = m->capacity ? 2 * m->capacity : 16;
        double *X = duet_realloc(m->X, cap * m->n * sizeof *X);
        if (X != NULL)
            m->X = X;
        double *y = X ? duet_realloc(m->y, cap * sizeof *y) : NULL;
        if (y == NULL)
            return duet_error_set(err, DUET_ENOMEM, "regmix: out of memory storing observations");
        m->y = y;
        m->capacity = cap;
    }
    memcpy(m->X + m->m * m->n, obs->ratios, m->n * sizeof *m->X);
    m->y[m->m++] = obs->utility;
    return DUET_OK;
}

static duet_status regmix_answer(void *state, duet_rng *rng, double *ratios, duet_error *err)
{
    regmix *m = state;
    if (m->m >= 2)
        return fit_and_screen(m, rng, ratios, err);
    for (size_t i = 0; i < m->n; i++)
        ratios[i] = m->m == 1 ? m->X[i] : 1.0 / (double)m->n;
    return DUET_OK;
}

const duet_method_type duet_method_regmix = {
    .name = "regmix",
    .summary = "RegMix-style ridge regression from mixtures to feedback, random mixtures first, "
               "then the best predicted",
    .default_selector = "uniform",
    .flags = DUET_METHOD_WARM_START,
    .options = regmix_option_table,
    .options_size = sizeof(regmix_options),
    .create = regmix_create,
    .destroy = regmix_destroy,
    .propose = regmix_propose,
    .observe = regmix_observe,
    .answer = regmix_answer,
};
