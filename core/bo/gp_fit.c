/*
 * Hyperparameter fitting of a duet_gp: multi-start maximization of the log marginal likelihood
 * plus a log prior over the log hyperparameters, with GSL's vector BFGS2.
 *
 * The bounds of duet_gp_hyper_bounds are enforced by optimizing an unconstrained u with
 *     theta_j = mid_j + half_j * tanh(u_j),
 * so every iterate is strictly inside the box and the fit cannot run away. The optimum is the
 * same as for the bounded problem in theta when it lies inside the box. At a bound the
 * gradient in u vanishes and the fit stops there.
 *
 * Invariant: after duet_gp_fit returns DUET_OK, the GP holds the best hyperparameters found and
 * a factor for them. This file includes GSL headers and must not include OpenBLAS's <cblas.h>.
 */
#include "bo/gp.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <string.h>

#include "util/mem.h"

/*
 * Curvature parameter of the BFGS2 line search. 0.5 needed about half the evaluations of
 * GSL's suggested 0.1 and reached the same optima on GP fits with 50 and 200 points.
 */
#define LINE_SEARCH_TOL 0.5

/* Stop when an iteration lowers the objective by less than this fraction: 1e7 * DBL_EPSILON. */
#define RELATIVE_DECREASE 2.220446049250313e-9

/* Objective value reported where the factorization fails: far worse than any real value. */
#define FAILED_OBJECTIVE 1e30

typedef struct fit_problem {
    duet_gp *gp;
    duet_gp_prior prior;
    size_t p;
    double *lower, *upper; /* [p] bounds on theta */
    double *theta;         /* [p] workspace */
    double *grad, *pgrad;  /* [p] likelihood and prior gradients */
    double *factored;      /* [p] theta of the GP's current factor, when factored_valid */
    int factored_valid;
    size_t evaluations; /* factorizations */
} fit_problem;

static void theta_from_u(const fit_problem *fp, const gsl_vector *u, double *theta)
{
    for (size_t j = 0; j < fp->p; j++) {
        double mid = 0.5 * (fp->lower[j] + fp->upper[j]);
        double half = 0.5 * (fp->upper[j] - fp->lower[j]);
        theta[j] = mid + half * tanh(gsl_vector_get(u, j));
    }
}

static double u_from_theta(const fit_problem *fp, size_t j, double theta)
{
    double mid = 0.5 * (fp->lower[j] + fp->upper[j]);
    double half = 0.5 * (fp->upper[j] - fp->lower[j]);
    double t = (theta - mid) / half;
    if (t > 0.999)
        t = 0.999;
    if (t < -0.999)
        t = -0.999;
    return atanh(t);
}

/*
 * Negative log posterior at u, and its gradient in u when g is not NULL. GSL often requests
 * the gradient right after the value at the same point; the factor is then reused.
 */
static double evaluate(fit_problem *fp, const gsl_vector *u, gsl_vector *g)
{
    theta_from_u(fp, u, fp->theta);
    int same =
        fp->factored_valid && memcmp(fp->theta, fp->factored, fp->p * sizeof *fp->theta) == 0;
    if (!same) {
        fp->evaluations++;
        fp->factored_valid = 0;
        if (duet_gp_set_hyper(fp->gp, fp->theta, NULL) != DUET_OK) {
            if (g != NULL)
                gsl_vector_set_zero(g);
            return FAILED_OBJECTIVE;
        }
        memcpy(fp->factored, fp->theta, fp->p * sizeof *fp->theta);
        fp->factored_valid = 1;
    }
    double lml = duet_gp_log_marginal(fp->gp);
    if (g != NULL && duet_gp_log_marginal_grad(fp->gp, &lml, fp->grad, NULL) != DUET_OK) {
        gsl_vector_set_zero(g);
        return FAILED_OBJECTIVE;
    }
    double lp = duet_gp_log_prior(fp->gp, fp->prior, fp->theta, fp->pgrad);
    if (g != NULL)
        for (size_t j = 0; j < fp->p; j++) {
            double t = tanh(gsl_vector_get(u, j));
            double half = 0.5 * (fp->upper[j] - fp->lower[j]);
            gsl_vector_set(g, j, -(fp->grad[j] + fp->pgrad[j]) * half * (1.0 - t * t));
        }
    return -(lml + lp);
}

static double objective_f(const gsl_vector *u, void *params)
{
    return evaluate(params, u, NULL);
}

static void objective_df(const gsl_vector *u, void *params, gsl_vector *g)
{
    evaluate(params, u, g);
}

static void objective_fdf(const gsl_vector *u, void *params, double *f, gsl_vector *g)
{
    *f = evaluate(params, u, g);
}

/* Sets the starting point of start s: the current hyperparameters, or a uniform draw. */
static void start_point(fit_problem *fp, size_t s, const double *current, duet_rng *rng,
                        gsl_vector *u)
{
    for (size_t j = 0; j < fp->p; j++) {
        double theta = current[j];
        if (s > 0) {
            double width = fp->upper[j] - fp->lower[j];
            theta = fp->lower[j] + width * (0.1 + 0.8 * duet_rng_uniform(rng));
        }
        gsl_vector_set(u, j, u_from_theta(fp, j, theta));
    }
}

/* Runs BFGS from u; returns the final objective and leaves the optimum in u. */
static double run_start(fit_problem *fp, gsl_multimin_fdfminimizer *minimizer,
                        gsl_multimin_function_fdf *fdf, gsl_vector *u, size_t max_iterations)
{
    if (gsl_multimin_fdfminimizer_set(minimizer, fdf, u, 0.1, LINE_SEARCH_TOL) != GSL_SUCCESS)
        return FAILED_OBJECTIVE;
    double previous = gsl_multimin_fdfminimizer_minimum(minimizer);
    for (size_t it = 0; it < max_iterations; it++) {
        /* GSL_ENOPROG and other codes mean the line search cannot improve: stop there. */
        if (gsl_multimin_fdfminimizer_iterate(minimizer) != GSL_SUCCESS)
            break;
        if (gsl_multimin_test_gradient(gsl_multimin_fdfminimizer_gradient(minimizer), 1e-5) ==
            GSL_SUCCESS)
            break;
        /* The relative-decrease test of L-BFGS-B with its SciPy default factr = 1e7. */
        double f = gsl_multimin_fdfminimizer_minimum(minimizer);
        if (previous - f <= RELATIVE_DECREASE * fmax(fmax(fabs(previous), fabs(f)), 1.0))
            break;
        previous = f;
    }
    gsl_vector_memcpy(u, gsl_multimin_fdfminimizer_x(minimizer));
    double f = gsl_multimin_fdfminimizer_minimum(minimizer);
    return isfinite(f) ? f : FAILED_OBJECTIVE;
}

static duet_status check_fit_options(const duet_gp *gp, const duet_gp_fit_options *opt,
                                     duet_error *err)
{
    if (duet_gp_count(gp) == 0)
        return duet_error_set(err, DUET_EINVAL,
                              "cannot fit GP hyperparameters without observations; add one "
                              "first");
    if (opt->restarts == 0 || opt->max_iterations == 0)
        return duet_error_set(err, DUET_EINVAL,
                              "GP fit needs at least one start and one iteration (restarts %zu, "
                              "iterations %zu)",
                              opt->restarts, opt->max_iterations);
    if (opt->prior != DUET_GP_PRIOR_NONE && opt->prior != DUET_GP_PRIOR_BOTORCH)
        return duet_error_set(err, DUET_EINVAL, "unknown GP prior %d; use none or botorch",
                              (int)opt->prior);
    return DUET_OK;
}

duet_status duet_gp_fit(duet_gp *gp, const duet_gp_fit_options *opt, duet_rng *rng,
                        duet_gp_fit_info *info, duet_error *err)
{
    duet_status st = check_fit_options(gp, opt, err);
    if (st != DUET_OK)
        return st;
    size_t p = duet_gp_hyper_count(gp);
    double *buf = duet_malloc(8 * p * sizeof *buf);
    if (buf == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory fitting a GP");
    fit_problem fp = {.gp = gp,
                      .prior = opt->prior,
                      .p = p,
                      .lower = buf,
                      .upper = buf + p,
                      .theta = buf + 2 * p,
                      .grad = buf + 3 * p,
                      .pgrad = buf + 4 * p,
                      .factored = buf + 7 * p};
    double *current = buf + 5 * p, *best = buf + 6 * p;
    duet_gp_hyper_bounds(gp, opt->prior, fp.lower, fp.upper);
    duet_gp_get_hyper(gp, current);

    /*
     * GSL's default error handler aborts; it is switched off for the duration of the fit.
     * NOTE: the handler is process-wide, so fits in two threads at once would race on it.
     */
    gsl_error_handler_t *saved_handler = gsl_set_error_handler_off();
    gsl_multimin_fdfminimizer *minimizer =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, p);
    gsl_vector *u = gsl_vector_alloc(p);
    double best_f = FAILED_OBJECTIVE;
    size_t failed = 0;
    if (minimizer != NULL && u != NULL) {
        gsl_multimin_function_fdf fdf = {
            .f = objective_f, .df = objective_df, .fdf = objective_fdf, .n = p, .params = &fp};
        for (size_t s = 0; s < opt->restarts; s++) {
            start_point(&fp, s, current, rng, u);
            double f = run_start(&fp, minimizer, &fdf, u, opt->max_iterations);
            if (!(f < 0.5 * FAILED_OBJECTIVE)) {
                failed++;
                continue;
            }
            if (f < best_f) {
                best_f = f;
                theta_from_u(&fp, u, best);
            }
        }
    }
    gsl_vector_free(u);
    gsl_multimin_fdfminimizer_free(minimizer);
    gsl_set_error_handler(saved_handler);

    if (minimizer == NULL || u == NULL)
        st = duet_error_set(err, DUET_ENOMEM, "out of memory allocating the GSL minimizer");
    else if (!(best_f < 0.5 * FAILED_OBJECTIVE))
        st = duet_error_set(err, DUET_ENUMERIC,
                            "GP hyperparameter fit failed from all %zu starts: the covariance "
                            "of %zu points was never positive definite; remove duplicate inputs",
                            opt->restarts, duet_gp_count(gp));
    else
        st = duet_gp_set_hyper(gp, best, err);
    if (st == DUET_OK && info != NULL) {
        info->log_marginal = duet_gp_log_marginal(gp);
        info->objective = info->log_marginal + duet_gp_log_prior(gp, opt->prior, best, NULL);
        info->evaluations = fp.evaluations;
        info->failed_starts = failed;
    }
    if (st != DUET_OK && st != DUET_ENOMEM)
        duet_gp_set_hyper(gp, current, NULL);
    duet_free(buf);
    return st;
}
