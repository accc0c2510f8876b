/* The in-memory results model: allocation, diagnostics series, progress counts. */
#include "results/results.h"

#include <math.h>
#include <string.h>

#include "util/mem.h"

/* Allocates count doubles set to NaN. */
static double *nan_array(size_t count)
{
    double *v = duet_malloc((count ? count : 1) * sizeof *v);
    if (v != NULL)
        for (size_t i = 0; i < count; i++)
            v[i] = NAN;
    return v;
}

void duet_trial_results_clear(duet_trial_results *tr)
{
    duet_free(tr->proposed);
    duet_free(tr->ratios);
    duet_free(tr->counts);
    duet_free(tr->ess);
    duet_free(tr->samples);
    duet_free(tr->sample_values);
    duet_free(tr->feedback);
    duet_free(tr->value);
    duet_free(tr->inner_optimum);
    duet_free(tr->best_sample);
    duet_free(tr->best_so_far);
    duet_free(tr->regret);
    duet_free(tr->seconds);
    for (size_t i = 0; i < tr->n_diag; i++) {
        duet_free(tr->diag[i].name);
        duet_free(tr->diag[i].values);
    }
    duet_free(tr->diag);
    duet_free(tr->warm_ratios);
    duet_free(tr->warm_feedback);
    duet_free(tr->warm_value);
    duet_free(tr->answer_items);
    duet_free(tr->answer_counts);
    duet_free(tr->model_answer);
    memset(tr, 0, sizeof *tr);
}

duet_status duet_trial_results_alloc(duet_trial_results *tr, size_t T, size_t n, size_t k, size_t W,
                                     size_t M, duet_error *err)
{
    memset(tr, 0, sizeof *tr);
    int o1 = 0, o2 = 0, o3 = 0;
    size_t tn = duet_mul_size(T, n, &o1), tk = duet_mul_size(T, k, &o2);
    size_t wn = duet_mul_size(W, n, &o3);
    if (o1 || o2 || o3)
        return duet_error_set(err, DUET_ELIMIT, "results arrays of %zu x %zu are too large", T,
                              n > k ? n : k);
    tr->proposed = nan_array(tn);
    tr->ratios = nan_array(tn);
    tr->counts = duet_calloc(tn ? tn : 1, sizeof *tr->counts);
    tr->ess = nan_array(tn);
    tr->samples = nan_array(tk);
    tr->sample_values = nan_array(tk);
    tr->feedback = nan_array(T);
    tr->value = nan_array(T);
    tr->inner_optimum = nan_array(T);
    tr->best_sample = duet_calloc(T ? T : 1, sizeof *tr->best_sample);
    tr->best_so_far = nan_array(T);
    tr->regret = nan_array(T);
    tr->seconds = nan_array(T);
    tr->warm_total = W;
    tr->warm_ratios = nan_array(wn);
    tr->warm_feedback = nan_array(W);
    tr->warm_value = nan_array(W);
    tr->answer_iteration = -1;
    tr->answer_sample = -1;
    tr->answer_feedback = NAN;
    tr->answer_items = duet_calloc(M ? M : 1, sizeof *tr->answer_items);
    tr->answer_counts = duet_calloc(n ? n : 1, sizeof *tr->answer_counts);
    tr->model_answer = nan_array(n);
    if (!tr->proposed || !tr->ratios || !tr->counts || !tr->ess || !tr->samples ||
        !tr->sample_values || !tr->feedback || !tr->value || !tr->inner_optimum ||
        !tr->best_sample || !tr->best_so_far || !tr->regret || !tr->seconds || !tr->warm_ratios ||
        !tr->warm_feedback || !tr->warm_value || !tr->answer_items || !tr->answer_counts ||
        !tr->model_answer) {
        duet_trial_results_clear(tr);
        return duet_error_set(err, DUET_ENOMEM, "out of memory for the results of a trial");
    }
    return DUET_OK;
}

duet_status duet_trial_series(duet_trial_results *tr, const char *name, size_t len, size_t T,
                              duet_series **out, duet_error *err)
{
    for (size_t i = 0; i < tr->n_diag; i++)
        if (strcmp(tr->diag[i].name, name) == 0) {
            if (tr->diag[i].len != len)
                return duet_error_set(err, DUET_EINVAL,
                                      "diagnostic '%s' changed length from %zu to %zu", name,
                                      tr->diag[i].len, len);
            *out = &tr->diag[i];
            return DUET_OK;
        }
    duet_series *grown = duet_realloc(tr->diag, (tr->n_diag + 1) * sizeof *grown);
    if (grown == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for diagnostic '%s'", name);
    tr->diag = grown;
    duet_series *s = &tr->diag[tr->n_diag];
    int overflow = 0;
    size_t cells = duet_mul_size(T, len, &overflow);
    s->name = duet_strdup(name);
    s->len = len;
    s->values = overflow ? NULL : nan_array(cells);
    if (s->name == NULL || s->values == NULL) {
        duet_free(s->name);
        duet_free(s->values);
        return duet_error_set(err, DUET_ENOMEM, "out of memory for diagnostic '%s'", name);
    }
    tr->n_diag++;
    *out = s;
    return DUET_OK;
}

/* 1 when a is better than b for the goal (0 maximize, 1 minimize); NaN is never better. */
static int better(double a, double b, int goal)
{
    if (isnan(a))
        return 0;
    if (isnan(b))
        return 1;
    return goal == 0 ? a > b : a < b;
}

void duet_trial_update_derived(duet_trial_results *tr, size_t t, int goal, int optimum_known,
                               double optimum)
{
    double best = tr->feedback[t];
    if (t > 0 && better(tr->best_so_far[t - 1], best, goal))
        best = tr->best_so_far[t - 1];
    tr->best_so_far[t] = best;
    if (!optimum_known) {
        tr->regret[t] = NAN;
        return;
    }
    /* Simple regret uses the noiseless values of the evaluated subsets, not the noisy feedback. */
    double best_value = NAN;
    for (size_t s = 0; s <= t; s++)
        if (better(tr->value[s], best_value, goal))
            best_value = tr->value[s];
    tr->regret[t] = goal == 0 ? optimum - best_value : best_value - optimum;
}

void duet_results_progress(const duet_results *r, size_t *trials_complete, size_t *trials_total,
                           size_t *iterations_done, size_t *iterations_total)
{
    size_t tc = 0, tt = 0, id = 0, it = 0;
    for (size_t t = 0; t < r->n_tasks; t++)
        for (size_t m = 0; m < r->tasks[t].n_methods; m++)
            for (size_t i = 0; i < r->trials; i++) {
                const duet_trial_results *tr = &r->tasks[t].methods[m].trials[i];
                tt++;
                tc += tr->complete != 0;
                id += tr->iterations_done;
                it += r->iterations;
            }
    *trials_complete = tc;
    *trials_total = tt;
    *iterations_done = id;
    *iterations_total = it;
}

static void free_provenance(duet_provenance *p)
{
    char **fields[] = {&p->duet_version, &p->git_commit,  &p->compiler, &p->build_type,
                       &p->blas,         &p->host,        &p->started,  &p->finished,
                       &p->command_line, &p->script_path, &p->script,   &p->config};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        duet_free(*fields[i]);
        *fields[i] = NULL;
    }
}

void duet_results_free(duet_results *r)
{
    if (r == NULL)
        return;
    for (size_t t = 0; t < r->n_tasks; t++) {
        duet_task_results *task = &r->tasks[t];
        for (size_t m = 0; task->methods && m < task->n_methods; m++) {
            duet_method_results *mr = &task->methods[m];
            for (size_t i = 0; mr->trials && i < r->trials; i++)
                duet_trial_results_clear(&mr->trials[i]);
            duet_free(mr->trials);
            duet_free(mr->label);
            duet_free(mr->type);
            duet_free(mr->selector);
        }
        duet_free(task->methods);
        for (size_t i = 0; task->domains && i < task->n; i++)
            duet_free(task->domains[i]);
        duet_free(task->domains);
        duet_free(task->name);
        duet_free(task->metric);
        duet_free(task->optimum_ratios);
    }
    duet_free(r->tasks);
    duet_free(r->experiment);
    duet_free(r->description);
    free_provenance(&r->prov);
    duet_free(r);
}
