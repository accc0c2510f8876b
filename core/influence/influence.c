/*
 * Influence and LESS scores of a domain's training items, and the textual handling of
 * estimator settings (defaults, one option from text, the recorded settings string).
 *
 * Invariant: scores are computed from one held-out gradient and at most one solve per call,
 * and an error leaves the output array partly written but never reports success.
 */
#include "influence/influence.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/mem.h"

const duet_influence_estimator *duet_influence_estimator_find(const char *name)
{
    for (size_t i = 0; duet_influence_estimators[i] != NULL; i++) {
        if (strcmp(duet_influence_estimators[i]->name, name) == 0)
            return duet_influence_estimators[i];
    }
    return NULL;
}

/* ---------------------------------------------------------------- settings */

static const duet_option *find_option(const duet_influence_estimator *est, const char *name)
{
    for (const duet_option *o = est->options; o->name != NULL; o++) {
        if (strcmp(o->name, name) == 0)
            return o;
    }
    return NULL;
}

/* Parses value as the option's type into *st, checking the option's range. */
static duet_status parse_option(const duet_influence_estimator *est, const duet_option *o,
                                const char *value, duet_influence_settings *st, duet_error *err)
{
    char *end = NULL;
    errno = 0;
    double x = o->type == DUET_OPT_INT ? (double)strtoll(value, &end, 10) : strtod(value, &end);
    if (end == value || *end != '\0' || errno == ERANGE || !isfinite(x))
        return duet_error_set(
            err, DUET_EINVAL, "influence estimator %s: option %s = '%s' is not a valid %s",
            est->name, o->name, value, o->type == DUET_OPT_INT ? "integer" : "number");
    if (x < o->min || x > o->max)
        return duet_error_set(err, DUET_EINVAL,
                              "influence estimator %s: option %s = %s is outside [%g, %g]",
                              est->name, o->name, value, o->min, o->max);
    char *field = (char *)st + o->offset;
    if (o->type == DUET_OPT_INT) {
        int64_t v = (int64_t)strtoll(value, NULL, 10);
        memcpy(field, &v, sizeof v);
    } else {
        memcpy(field, &x, sizeof x);
    }
    return DUET_OK;
}

/* NOTE: parses only DUET_OPT_INT and DUET_OPT_DOUBLE, the only types the estimator tables use. */
duet_status duet_influence_settings_defaults(const duet_influence_estimator *est,
                                             duet_influence_settings *st, duet_error *err)
{
    memset(st, 0, sizeof *st);
    st->scale = 1.0;
    st->blocks = 1;
    for (const duet_option *o = est->options; o->name != NULL; o++) {
        duet_status status = parse_option(est, o, o->default_value, st, err);
        if (status != DUET_OK)
            return status;
    }
    return DUET_OK;
}

duet_status duet_influence_settings_set(const duet_influence_estimator *est,
                                        duet_influence_settings *st, const char *name,
                                        const char *value, duet_error *err)
{
    const duet_option *o = find_option(est, name);
    if (o == NULL) {
        char known[256] = "";
        size_t len = 0;
        for (const duet_option *k = est->options; k->name != NULL && len < sizeof known; k++)
            len +=
                (size_t)snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", k->name);
        return duet_error_set(err, DUET_EINVAL,
                              "influence estimator %s has no option '%s'; its options are: %s",
                              est->name, name, len ? known : "(none)");
    }
    return parse_option(est, o, value, st, err);
}

duet_status duet_influence_settings_format(const duet_influence_estimator *est,
                                           const duet_influence_settings *st, char *out,
                                           size_t size, duet_error *err)
{
    size_t len = 0;
    if (size > 0)
        out[0] = '\0';
    for (const duet_option *o = est->options; o->name != NULL; o++) {
        const char *field = (const char *)st + o->offset;
        const char *sep = len ? ", " : "";
        int w;
        if (o->type == DUET_OPT_INT) {
            int64_t v;
            memcpy(&v, field, sizeof v);
            w = snprintf(out + len, size - len, "%s%s=%lld", sep, o->name, (long long)v);
        } else {
            double v;
            memcpy(&v, field, sizeof v);
            w = snprintf(out + len, size - len, "%s%s=%.17g", sep, o->name, v);
        }
        if (w < 0 || (size_t)w >= size - len)
            return duet_error_set(err, DUET_ELIMIT,
                                  "influence estimator %s: its settings text needs more than "
                                  "%zu bytes",
                                  est->name, size);
        len += (size_t)w;
    }
    return DUET_OK;
}

/* ---------------------------------------------------------------- scores */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static duet_status check_problem(const duet_influence_problem *pb, size_t n_heldout,
                                 duet_error *err)
{
    if (pb->n_train == 0)
        return duet_error_set(err, DUET_EINVAL,
                              "influence scores: the training set is empty; the domain needs "
                              "training items");
    if (n_heldout == 0)
        return duet_error_set(err, DUET_EINVAL,
                              "influence scores: the held-out set is empty; give the domain a "
                              "held-out split");
    return DUET_OK;
}

duet_status duet_influence_scores(const duet_influence_problem *pb, const uint64_t *heldout,
                                  size_t n_heldout, const duet_influence_estimator *est,
                                  const duet_influence_settings *st, double *scores,
                                  duet_influence_report *rep, duet_error *err)
{
    duet_influence_report local;
    if (rep == NULL)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    rep->residual = NAN;
    double t0 = seconds_now();
    duet_status status = check_problem(pb, n_heldout, err);
    if (status != DUET_OK)
        return status;
    const duet_diffmodel *m = pb->model;
    size_t p = m->n_params;
    double *v = duet_malloc(2 * p * sizeof *v);
    if (v == NULL)
        return duet_error_set(err, DUET_ENOMEM, "influence scores: no memory for %zu parameters",
                              p);
    double *s = v + p;
    status = m->grad(m->self, pb->theta, heldout, n_heldout, v, err);
    if (status == DUET_OK)
        status = est->solve(pb, st, v, s, rep, err);
    for (size_t k = 0; k < pb->n_train && status == DUET_OK; k++)
        status = m->example_grad_dot(m->self, pb->theta, pb->train[k], s, &scores[k], err);
    duet_free(v);
    rep->seconds = seconds_now() - t0;
    if (status != DUET_OK)
        duet_error_prefix(err, "influence scores (estimator %s)", est->name);
    return status;
}

/* Stores g(z) . v and |g(z)|^2 of one training item, sparsely when the model allows it. */
static duet_status less_terms(const duet_diffmodel *m, const double *theta, uint64_t example,
                              const double *v, double *g, double *gv, double *gg, duet_error *err)
{
    size_t p = m->n_params;
    if (m->example_grad_sqnorm != NULL) {
        duet_status status = m->example_grad_dot(m->self, theta, example, v, gv, err);
        if (status == DUET_OK)
            status = m->example_grad_sqnorm(m->self, theta, example, gg, err);
        return status;
    }
    duet_status status = m->example_grad(m->self, theta, example, g, err);
    *gv = 0;
    *gg = 0;
    for (size_t j = 0; j < p && status == DUET_OK; j++) {
        *gv += g[j] * v[j];
        *gg += g[j] * g[j];
    }
    return status;
}

duet_status duet_influence_less_scores(const duet_influence_problem *pb, const uint64_t *heldout,
                                       size_t n_heldout, double *scores, duet_error *err)
{
    duet_status status = check_problem(pb, n_heldout, err);
    if (status != DUET_OK)
        return status;
    const duet_diffmodel *m = pb->model;
    size_t p = m->n_params;
    double *v = duet_malloc(2 * p * sizeof *v);
    if (v == NULL)
        return duet_error_set(err, DUET_ENOMEM, "LESS scores: no memory for %zu parameters", p);
    double *g = v + p;
    status = m->grad(m->self, pb->theta, heldout, n_heldout, v, err);
    double vnorm = 0;
    for (size_t j = 0; j < p; j++)
        vnorm += v[j] * v[j];
    vnorm = sqrt(vnorm);
    for (size_t k = 0; k < pb->n_train && status == DUET_OK; k++) {
        double gv = 0, gg = 0;
        status = less_terms(m, pb->theta, pb->train[k], v, g, &gv, &gg, err);
        scores[k] = gg > 0 && vnorm > 0 ? gv / (sqrt(gg) * vnorm) : 0.0;
    }
    duet_free(v);
    return status;
}
