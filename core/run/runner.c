/* The experiment loop (see runner.h for the loop, its random streams and resume). */
#include "run/runner.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "results/journal.h"
#include "results/results.h"
#include "run/provenance.h"
#include "util/fileio.h"
#include "util/mem.h"
#include "util/simplex.h"

/* ------------------------------------------------------------------ streams */

uint64_t duet_stream_trial(uint64_t seed, const char *task, const char *method, size_t trial)
{
    uint64_t s = duet_seed_label(duet_seed_label(seed, "task"), task);
    s = duet_seed_label(duet_seed_label(s, "method"), method);
    return duet_seed_index(s, trial);
}

uint64_t duet_stream_shared(uint64_t seed, const char *task, size_t trial)
{
    uint64_t s = duet_seed_label(duet_seed_label(seed, "task"), task);
    return duet_seed_index(duet_seed_label(s, "shared"), trial);
}

static void stream(duet_rng *rng, uint64_t base, const char *purpose, uint64_t a, uint64_t b)
{
    duet_rng_init(rng, duet_seed_index(duet_seed_index(duet_seed_label(base, purpose), a), b));
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------------ state */

typedef struct task_run {
    void *handle;
    duet_task_info info;
    const char **domain_names; /* [n] */
    uint64_t *domain_sizes;    /* [n] */
} task_run;

enum { PHASE_WARM, PHASE_ITERATE, PHASE_DONE };

typedef struct trial_run {
    size_t ti, mi, trial;
    const duet_method_config *mc;
    task_run *task;
    duet_task_results *task_res;
    duet_trial_results *tr;
    size_t n, k;
    uint64_t seed_method, seed_shared;
    duet_method_env env;
    void *method;
    void *selector;
    int phase;
    size_t next; /* warm point or iteration being prepared */
    double *warm_design;
    double *proposal;
    double *realized;
    uint64_t *counts;
    duet_subset *subsets; /* [k] */
    double *ess;          /* [k x n] */
    double started;
    int64_t best_t, best_j;
    double best_feedback;
} trial_run;

typedef struct runner {
    const duet_config *cfg;
    const duet_run_options *opt;
    duet_error *err;
    void *backend;
    duet_backend_env env;
    size_t n_tasks;
    task_run *tasks;
    duet_results *results;
    duet_journal *journal;
    char journal_path[4096];
    uint64_t config_hash;
    double last_snapshot;
    double started;
    size_t evaluations_done, evaluations_total;
    duet_executor executor;
} runner;

/* 1 when feedback a is better than b under the task's goal. */
static int better(const duet_task_info *info, double a, double b)
{
    if (isnan(a))
        return 0;
    if (isnan(b))
        return 1;
    return info->goal == DUET_GOAL_MAXIMIZE ? a > b : a < b;
}

static double utility(const duet_task_info *info, double feedback)
{
    return info->goal == DUET_GOAL_MAXIMIZE ? feedback : -feedback;
}

/* ------------------------------------------------------------------ setup */

static duet_status open_tasks(runner *rn)
{
    const duet_config *cfg = rn->cfg;
    rn->tasks = duet_calloc(cfg->n_tasks, sizeof *rn->tasks);
    if (rn->tasks == NULL)
        return duet_error_set(rn->err, DUET_ENOMEM, "out of memory opening tasks");
    rn->n_tasks = cfg->n_tasks;
    for (size_t t = 0; t < cfg->n_tasks; t++) {
        task_run *tk = &rn->tasks[t];
        duet_status st =
            cfg->backend->task_open(rn->backend, cfg->tasks[t].name, cfg->tasks[t].options,
                                    (uint64_t)cfg->points, &tk->handle, &tk->info, rn->err);
        if (st != DUET_OK) {
            /* Backends often name the task themselves: name it once. */
            char head[256];
            snprintf(head, sizeof head, "task %s:", cfg->tasks[t].name);
            if (strncmp(rn->err->msg, head, strlen(head)) == 0)
                return duet_error_prefix(rn->err, "%s", cfg->tasks[t].where);
            return duet_error_prefix(rn->err, "%s: task %s", cfg->tasks[t].where,
                                     cfg->tasks[t].name);
        }
        size_t n = tk->info.n_pool;
        tk->domain_names = duet_calloc(n, sizeof *tk->domain_names);
        tk->domain_sizes = duet_calloc(n, sizeof *tk->domain_sizes);
        if (tk->domain_names == NULL || tk->domain_sizes == NULL)
            return duet_error_set(rn->err, DUET_ENOMEM, "out of memory opening tasks");
        uint64_t room = 0;
        for (size_t i = 0; i < n; i++) {
            size_t d = tk->info.pool[i];
            tk->domain_names[i] = cfg->backend->domain_name(rn->backend, d);
            tk->domain_sizes[i] = cfg->backend->domain_size(rn->backend, d);
            room += tk->domain_sizes[i];
        }
        if (n < 2)
            return duet_error_set(rn->err, DUET_EINVAL,
                                  "%s: task %s has %zu training domain%s; a mixture needs at "
                                  "least two",
                                  cfg->tasks[t].where, cfg->tasks[t].name, n, n == 1 ? "" : "s");
        if (room < (uint64_t)cfg->points)
            return duet_error_set(rn->err, DUET_ELIMIT,
                                  "%s: budget.points = %lld exceeds the %llu training items of "
                                  "task %s's domains; lower budget.points",
                                  cfg->where, (long long)cfg->points, (unsigned long long)room,
                                  cfg->tasks[t].name);
    }
    return DUET_OK;
}

static void close_tasks(runner *rn)
{
    for (size_t t = 0; rn->tasks && t < rn->n_tasks; t++) {
        if (rn->tasks[t].handle)
            rn->cfg->backend->task_close(rn->backend, rn->tasks[t].handle);
        duet_free(rn->tasks[t].domain_names);
        duet_free(rn->tasks[t].domain_sizes);
    }
    duet_free(rn->tasks);
    rn->tasks = NULL;
}

/*
 * Checks, before anything is written, that the backend gives each method's selector what it
 * needs, and runs each method type's option check against every task's pool.
 */
static duet_status check_methods(const runner *rn)
{
    const duet_config *cfg = rn->cfg;
    for (size_t m = 0; m < cfg->n_methods; m++) {
        const duet_method_config *mc = &cfg->methods[m];
        unsigned needs = mc->selector->needs;
        if ((needs & DUET_SELECTOR_NEEDS_SCORES) && cfg->backend->item_scores == NULL)
            return duet_error_set(rn->err, DUET_EINVAL,
                                  "%s: method %s: selector %s needs per-item scores, but backend "
                                  "%s does not provide them; choose selector uniform or another "
                                  "backend",
                                  mc->where, mc->label, mc->selector->name, cfg->backend->name);
        if ((needs & DUET_SELECTOR_NEEDS_FEATURES) && cfg->backend->item_features == NULL)
            return duet_error_set(rn->err, DUET_EINVAL,
                                  "%s: method %s: selector %s needs item features, but backend "
                                  "%s does not provide them; choose another selector or backend",
                                  mc->where, mc->label, mc->selector->name, cfg->backend->name);
    }
    for (size_t t = 0; t < cfg->n_tasks; t++)
        for (size_t m = 0; m < cfg->n_methods; m++) {
            const duet_method_config *mc = &cfg->methods[m];
            if (mc->type->check == NULL)
                continue;
            duet_status st = mc->type->check(mc->options, rn->tasks[t].info.n_pool, rn->err);
            if (st != DUET_OK)
                return duet_error_prefix(rn->err, "%s: method %s on task %s", mc->where, mc->label,
                                         cfg->tasks[t].name);
        }
    return DUET_OK;
}

/*
 * Rejects an experiment whose results arrays (every trial of every task and method is held in
 * memory, and each snapshot makes one more copy while it is written) would exceed
 * DUET_MAX_RESULTS_BYTES, before any of them is allocated.
 */
static duet_status check_results_size(const runner *rn)
{
    const duet_config *cfg = rn->cfg;
    double T = (double)cfg->iterations, total = 0;
    for (size_t t = 0; t < cfg->n_tasks; t++) {
        double n = (double)rn->tasks[t].info.n_pool;
        for (size_t m = 0; m < cfg->n_methods; m++) {
            const duet_method_config *mc = &cfg->methods[m];
            double k = (double)mc->samples;
            double W =
                mc->warm_start ? (double)duet_warm_start_points(&cfg->warm_start, (size_t)n) : 0;
            double per_trial = T * (4 * n + 2 * k + 8) + W * (n + 2) + (double)cfg->points + 2 * n;
            total += 8 * per_trial * (double)cfg->trials;
        }
    }
    if (total > DUET_MAX_RESULTS_BYTES)
        return duet_error_set(rn->err, DUET_ELIMIT,
                              "%s: experiment: its results would take %.3g GiB in memory "
                              "(tasks x methods x trials x iterations x (4 x domains + 2 x "
                              "samples) numbers), more than the limit of %.0f GiB; lower trials, "
                              "iterations or samples, or split the experiment",
                              cfg->where, total / 1073741824.0,
                              DUET_MAX_RESULTS_BYTES / 1073741824.0);
    return DUET_OK;
}

/* Builds an empty results model for the configuration. */
static duet_status new_results(runner *rn, duet_results **out)
{
    const duet_config *cfg = rn->cfg;
    duet_error *err = rn->err;
    duet_results *r = duet_calloc(1, sizeof *r);
    if (r == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for results");
    r->experiment = duet_strdup(cfg->name);
    r->description = duet_strdup(cfg->description);
    r->seed = cfg->seed;
    r->points = (size_t)cfg->points;
    r->iterations = (size_t)cfg->iterations;
    r->trials = (size_t)cfg->trials;
    r->tasks = duet_calloc(cfg->n_tasks, sizeof *r->tasks);
    duet_status st = DUET_OK;
    if (r->experiment == NULL || r->description == NULL || r->tasks == NULL)
        st = duet_error_set(err, DUET_ENOMEM, "out of memory for results");
    for (size_t t = 0; st == DUET_OK && t < cfg->n_tasks; t++) {
        duet_task_results *tr = &r->tasks[t];
        const task_run *tk = &rn->tasks[t];
        r->n_tasks = t + 1;
        tr->name = duet_strdup(cfg->tasks[t].name);
        tr->n = tk->info.n_pool;
        tr->goal = (int)tk->info.goal;
        tr->metric = duet_strdup(tk->info.metric ? tk->info.metric : "");
        tr->optimum_known = tk->info.optimum_known;
        tr->optimum = tk->info.optimum_known ? tk->info.optimum : NAN;
        tr->domains = duet_calloc(tr->n, sizeof *tr->domains);
        tr->methods = duet_calloc(cfg->n_methods, sizeof *tr->methods);
        if (!tr->name || !tr->metric || !tr->domains || !tr->methods) {
            st = duet_error_set(err, DUET_ENOMEM, "out of memory for results");
            break;
        }
        for (size_t i = 0; i < tr->n && st == DUET_OK; i++)
            if ((tr->domains[i] = duet_strdup(tk->domain_names[i])) == NULL)
                st = duet_error_set(err, DUET_ENOMEM, "out of memory for results");
        if (st == DUET_OK && tk->info.optimum_known && tk->info.optimum_ratios) {
            tr->optimum_ratios = duet_malloc(tr->n * sizeof *tr->optimum_ratios);
            if (tr->optimum_ratios == NULL)
                st = duet_error_set(err, DUET_ENOMEM, "out of memory for results");
            else
                memcpy(tr->optimum_ratios, tk->info.optimum_ratios,
                       tr->n * sizeof *tr->optimum_ratios);
        }
        for (size_t m = 0; m < cfg->n_methods && st == DUET_OK; m++) {
            const duet_method_config *mc = &cfg->methods[m];
            duet_method_results *mr = &tr->methods[m];
            tr->n_methods = m + 1;
            mr->label = duet_strdup(mc->label);
            mr->type = duet_strdup(mc->type->name);
            mr->selector = duet_strdup(mc->selector->name);
            mr->samples = (size_t)mc->samples;
            mr->trials = duet_calloc(r->trials, sizeof *mr->trials);
            if (!mr->label || !mr->type || !mr->selector || !mr->trials) {
                st = duet_error_set(err, DUET_ENOMEM, "out of memory for results");
                break;
            }
            size_t W = mc->warm_start ? duet_warm_start_points(&cfg->warm_start, tr->n) : 0;
            for (size_t i = 0; i < r->trials && st == DUET_OK; i++) {
                st = duet_trial_results_alloc(&mr->trials[i], r->iterations, tr->n, mr->samples, W,
                                              r->points, err);
                mr->trials[i].seed = duet_stream_trial(cfg->seed, tr->name, mr->label, i);
            }
        }
    }
    if (st == DUET_OK)
        st = duet_provenance_fill(&r->prov, cfg, rn->opt->command_line, err);
    if (st != DUET_OK) {
        duet_results_free(r);
        return st;
    }
    *out = r;
    return DUET_OK;
}

/*
 * Describes where two resolved configurations first differ: the `key = value` entry around the
 * first differing character in each, and the entry's `name` when its line has one (a task or a
 * method), e.g. "budget: iterations = 6 (now iterations = 8)".
 */
static void describe_difference(const char *old, const char *now, char *out, size_t size)
{
    const char *a = old, *b = now;
    while (*a && *a == *b) {
        a++;
        b++;
    }
    const char *line = a;
    while (line > old && line[-1] != '\n')
        line--;
    size_t line_len = strcspn(line, "\n");
    /* The key is the identifier before the last " = " that starts before the difference. */
    const char *eq = a;
    while (eq > line + 1 && !(eq[0] == '=' && eq[-1] == ' '))
        eq--;
    const char *key = eq - 1;
    while (key > line && (isalnum((unsigned char)key[-1]) || key[-1] == '_'))
        key--;
    if (!(eq[0] == '=' && eq > line + 1))
        key = line + strspn(line, " ");
    const char *key_now = now + (key - old);
    int was_len = (int)strcspn(key, ",}\n"), now_len = (int)strcspn(key_now, ",}\n");
    /* The entry's name, for the lines of tasks and methods. */
    char label[80] = "";
    const char *name = strstr(line, "name = \"");
    if (name != NULL && name < line + line_len && name != key)
        snprintf(label, sizeof label, "entry \"%.*s\": ", (int)strcspn(name + 8, "\""), name + 8);
    else {
        /* A top-level section such as budget or backend: the first word of the line. */
        const char *word = line + strspn(line, " ");
        size_t word_len = strspn(word, "abcdefghijklmnopqrstuvwxyz_");
        if (word != key && word_len > 0)
            snprintf(label, sizeof label, "%.*s: ", (int)word_len, word);
    }
    snprintf(out, size, "%s%.*s (now %.*s)", label, was_len > 120 ? 120 : was_len, key,
             now_len > 120 ? 120 : now_len, key_now);
}

/* Checks that a results file read for --resume matches the configuration. */
static duet_status check_resumable(runner *rn, const duet_results *old)
{
    const duet_config *cfg = rn->cfg;
    const char *was = old->prov.config ? old->prov.config : "";
    if (strcmp(was, cfg->resolved) != 0) {
        char where[400];
        describe_difference(was, cfg->resolved, where, sizeof where);
        return duet_error_set(rn->err, DUET_EMISMATCH,
                              "%s was written with another configuration: %s; resume with the "
                              "same script, --set options and --seed, or write to a new --out "
                              "file (the configuration of a results file is fixed once written)",
                              rn->opt->out_path, where);
    }
    return DUET_OK;
}

/* ------------------------------------------------------------------ trials */

static void trial_free(const runner *rn, trial_run *tr)
{
    if (tr->method)
        tr->mc->type->destroy(tr->method);
    if (tr->selector)
        tr->mc->selector->destroy(tr->selector);
    for (size_t j = 0; tr->subsets && j < tr->k; j++)
        duet_subset_free(&tr->subsets[j]);
    duet_free(tr->subsets);
    duet_free(tr->ess);
    duet_free(tr->warm_design);
    duet_free(tr->proposal);
    duet_free(tr->realized);
    duet_free(tr->counts);
    memset(tr, 0, sizeof *tr);
}

static duet_status warm_design(runner *rn, trial_run *tr)
{
    const duet_warm_start *ws = &rn->cfg->warm_start;
    size_t W = tr->tr->warm_total, n = tr->n;
    if (W == 0)
        return DUET_OK;
    tr->warm_design = duet_malloc(W * n * sizeof *tr->warm_design);
    if (tr->warm_design == NULL)
        return duet_error_set(rn->err, DUET_ENOMEM, "out of memory for the warm start");
    duet_rng rng;
    stream(&rng, tr->seed_shared, "warm_design", 0, 0);
    for (size_t p = 0; p < W; p++) {
        double *row = tr->warm_design + p * n;
        for (size_t i = 0; i < n; i++) {
            if (ws->design == DUET_WARM_UNIFORM)
                row[i] = 1.0 / (double)n;
            else if (ws->design == DUET_WARM_VERTICES)
                row[i] = i == p ? 1.0 : 0.0;
            else
                row[i] = ws->alpha;
        }
        if (ws->design == DUET_WARM_DIRICHLET) {
            double alpha[1024];
            for (size_t i = 0; i < n && i < 1024; i++)
                alpha[i] = ws->alpha;
            duet_rng_dirichlet(&rng, n, alpha, row);
        }
    }
    return DUET_OK;
}

static duet_status trial_start(runner *rn, size_t ti, size_t mi, size_t trial, trial_run *tr)
{
    const duet_config *cfg = rn->cfg;
    duet_error *err = rn->err;
    memset(tr, 0, sizeof *tr);
    tr->ti = ti;
    tr->mi = mi;
    tr->trial = trial;
    tr->mc = &cfg->methods[mi];
    tr->task = &rn->tasks[ti];
    tr->task_res = &rn->results->tasks[ti];
    tr->tr = &tr->task_res->methods[mi].trials[trial];
    tr->n = tr->task->info.n_pool;
    tr->k = (size_t)tr->mc->samples;
    tr->seed_method = duet_stream_trial(cfg->seed, cfg->tasks[ti].name, tr->mc->label, trial);
    tr->seed_shared = duet_stream_shared(cfg->seed, cfg->tasks[ti].name, trial);
    tr->best_t = tr->best_j = -1;
    tr->best_feedback = NAN;
    tr->started = now_seconds();
    size_t n = tr->n, k = tr->k;
    tr->proposal = duet_malloc(n * sizeof *tr->proposal);
    tr->realized = duet_malloc(n * sizeof *tr->realized);
    tr->counts = duet_malloc(n * sizeof *tr->counts);
    tr->subsets = duet_calloc(k, sizeof *tr->subsets);
    tr->ess = duet_malloc(k * n * sizeof *tr->ess);
    if (!tr->proposal || !tr->realized || !tr->counts || !tr->subsets || !tr->ess)
        return duet_error_set(err, DUET_ENOMEM, "out of memory starting a trial");

    tr->env = (duet_method_env){
        .n = n,
        .domain_names = tr->task->domain_names,
        .domain_sizes = tr->task->domain_sizes,
        .points = (uint64_t)cfg->points,
        .iterations = (size_t)cfg->iterations,
        .samples = k,
        .goal = tr->task->info.goal,
        .seed = tr->seed_method,
        .task_seed = duet_seed_label(
            duet_seed_label(duet_seed_label(cfg->seed, "task"), cfg->tasks[ti].name), "task-level"),
        .log = rn->opt->log,
        .backend_type = cfg->backend,
        .backend = rn->backend,
        .task = tr->task->handle,
        .pool = tr->task->info.pool,
    };
    duet_status st = tr->mc->type->create(&tr->env, tr->mc->options, &tr->method, err);
    if (st == DUET_OK) {
        duet_selector_env senv = {
            .n = n,
            .pool = tr->task->info.pool,
            .domain_sizes = tr->task->domain_sizes,
            .backend_type = cfg->backend,
            .backend = rn->backend,
            .log = rn->opt->log,
        };
        st = tr->mc->selector->create(&senv, tr->mc->selector_options, &tr->selector, err);
    }
    if (st == DUET_OK)
        st = warm_design(rn, tr);
    if (st != DUET_OK)
        return duet_error_prefix(err, "%s: method %s on task %s, trial %zu", tr->mc->where,
                                 tr->mc->label, cfg->tasks[ti].name, trial);
    tr->phase = tr->tr->warm_total > 0 ? PHASE_WARM : PHASE_ITERATE;
    return DUET_OK;
}

/* Fills subset j of the current step from `counts` using the shared selection stream. */
static duet_status draw_subset(runner *rn, trial_run *tr, const char *purpose, size_t step,
                               size_t j, duet_subset *out, double *ess)
{
    duet_subset_free(out);
    duet_status st = duet_subset_init(out, tr->n, tr->counts, rn->err);
    if (st != DUET_OK)
        return st;
    duet_rng rng;
    stream(&rng, tr->seed_shared, purpose, step, j);
    st = tr->mc->selector->draw(tr->selector, &rng, out, ess, rn->err);
    if (st != DUET_OK)
        return duet_error_prefix(rn->err, "selector %s", tr->mc->selector->name);
    return DUET_OK;
}

/* Realizes tr->proposal as counts summing to M and the realized ratios counts / M. */
static duet_status realize(runner *rn, trial_run *tr)
{
    duet_status st = duet_simplex_counts(tr->proposal, tr->n, (uint64_t)rn->cfg->points,
                                         tr->task->domain_sizes, tr->counts, rn->err);
    if (st != DUET_OK)
        return st;
    for (size_t i = 0; i < tr->n; i++)
        tr->realized[i] = (double)tr->counts[i] / (double)rn->cfg->points;
    return DUET_OK;
}

/* Calls propose for iteration t and checks the proposal. */
static duet_status propose(runner *rn, trial_run *tr, size_t t, duet_proposal *prop)
{
    duet_rng rng;
    stream(&rng, tr->seed_method, "propose", t, 0);
    memset(prop, 0, sizeof *prop);
    prop->ratios = tr->proposal;
    duet_status st = tr->mc->type->propose(tr->method, t, &rng, prop, rn->err);
    if (st != DUET_OK)
        return st;
    double violation = duet_simplex_violation(tr->proposal, tr->n);
    if (violation > 1e-9)
        return duet_error_set(rn->err, DUET_ENUMERIC,
                              "method %s proposed ratios that are not a mixture (off the simplex "
                              "by %.3g)",
                              tr->mc->label, violation);
    duet_simplex_normalize(tr->proposal, tr->n);
    return DUET_OK;
}

/* Records a proposal's diagnostics in row t. */
static duet_status record_diag(runner *rn, trial_run *tr, size_t t, const duet_proposal *prop)
{
    for (size_t d = 0; d < prop->diag.count; d++) {
        const duet_diag_entry *e = &prop->diag.entries[d];
        duet_series *s = NULL;
        duet_status st =
            duet_trial_series(tr->tr, e->name, e->len, (size_t)rn->cfg->iterations, &s, rn->err);
        if (st != DUET_OK)
            return st;
        memcpy(s->values + t * e->len, e->values, e->len * sizeof *e->values);
    }
    return DUET_OK;
}

/* Prepares the jobs of the trial's next step into jobs[]; returns how many through *count. */
static duet_status prepare(runner *rn, trial_run *tr, duet_eval_job *jobs, size_t *count)
{
    duet_status st;
    size_t n = tr->n;
    if (tr->phase == PHASE_WARM) {
        memcpy(tr->proposal, tr->warm_design + tr->next * n, n * sizeof *tr->proposal);
        if ((st = realize(rn, tr)) != DUET_OK ||
            (st = draw_subset(rn, tr, "warm_draw", tr->next, 0, &tr->subsets[0], tr->ess)) !=
                DUET_OK)
            return st;
        jobs[0] = (duet_eval_job){.task = tr->ti, .subset = &tr->subsets[0]};
        jobs[0].seed = duet_seed_index(duet_seed_label(tr->seed_shared, "warm_eval"), tr->next);
        snprintf(jobs[0].label, sizeof jobs[0].label,
                 "task %s, method %s, trial %zu, warm-start point %zu", rn->cfg->tasks[tr->ti].name,
                 tr->mc->label, tr->trial, tr->next + 1);
        *count = 1;
        return DUET_OK;
    }
    size_t t = tr->next;
    duet_proposal prop;
    if ((st = propose(rn, tr, t, &prop)) != DUET_OK || (st = realize(rn, tr)) != DUET_OK)
        return st;
    memcpy(tr->tr->proposed + t * n, tr->proposal, n * sizeof *tr->proposal);
    if ((st = record_diag(rn, tr, t, &prop)) != DUET_OK)
        return st;
    for (size_t j = 0; j < tr->k; j++) {
        if ((st = draw_subset(rn, tr, "draw", t, j, &tr->subsets[j], tr->ess + j * n)) != DUET_OK)
            return st;
        jobs[j] = (duet_eval_job){.task = tr->ti, .subset = &tr->subsets[j]};
        jobs[j].seed =
            duet_seed_index(duet_seed_index(duet_seed_label(tr->seed_shared, "eval"), t), j);
        snprintf(jobs[j].label, sizeof jobs[j].label,
                 "task %s, method %s, trial %zu, iteration %zu, sample %zu",
                 rn->cfg->tasks[tr->ti].name, tr->mc->label, tr->trial, t + 1, j + 1);
    }
    *count = tr->k;
    return DUET_OK;
}

/* Feeds the recorded warm point p to the method. */
static duet_status observe_warm(runner *rn, trial_run *tr, size_t p)
{
    const duet_trial_results *r = tr->tr;
    if (isnan(r->warm_feedback[p]))
        return DUET_OK; /* a skipped evaluation (on_failure = "skip") is not observed */
    double u = utility(&tr->task->info, r->warm_feedback[p]);
    duet_observation obs = {
        .iteration = p,
        .warm_start = 1,
        .ratios = r->warm_ratios + p * tr->n,
        .utility = u,
        .k = 1,
        .sample_utilities = &u,
    };
    return tr->mc->type->observe(tr->method, &obs, rn->err);
}

/* Feeds the recorded iteration t to the method and updates the best observed subset. */
static duet_status observe_iteration(runner *rn, trial_run *tr, size_t t)
{
    const duet_trial_results *r = tr->tr;
    /*
     * Samples skipped after failed evaluations (on_failure = "skip") are recorded as NaN; the
     * method sees only the evaluated ones, and nothing when none was evaluated.
     */
    double utilities[DUET_MAX_SAMPLES];
    size_t evaluated = 0;
    for (size_t j = 0; j < tr->k; j++)
        if (!isnan(r->samples[t * tr->k + j]))
            utilities[evaluated++] = utility(&tr->task->info, r->samples[t * tr->k + j]);
    if (evaluated == 0)
        return DUET_OK;
    duet_observation obs = {
        .iteration = t,
        .warm_start = 0,
        .ratios = r->ratios + t * tr->n,
        .utility = utility(&tr->task->info, r->feedback[t]),
        .k = evaluated,
        .sample_utilities = utilities,
    };
    if (better(&tr->task->info, r->feedback[t], tr->best_feedback)) {
        tr->best_feedback = r->feedback[t];
        tr->best_t = (int64_t)t;
        tr->best_j = r->best_sample[t];
    }
    return tr->mc->type->observe(tr->method, &obs, rn->err);
}

/* Records the results of the step prepared by prepare(). */
static duet_status consume(runner *rn, trial_run *tr, const duet_eval_job *jobs)
{
    duet_trial_results *r = tr->tr;
    size_t n = tr->n;
    const duet_config *cfg = rn->cfg;
    for (size_t j = 0; j < (tr->phase == PHASE_WARM ? 1 : tr->k); j++)
        if (jobs[j].status != DUET_OK)
            return duet_error_set(rn->err, jobs[j].status,
                                  "evaluation failed for method %s on task %s, trial %zu, %s %zu: "
                                  "%s",
                                  tr->mc->label, cfg->tasks[tr->ti].name, tr->trial,
                                  tr->phase == PHASE_WARM ? "warm-start point" : "iteration",
                                  tr->next + 1, jobs[j].error);
    duet_status st;
    if (tr->phase == PHASE_WARM) {
        size_t p = tr->next;
        memcpy(r->warm_ratios + p * n, tr->realized, n * sizeof *tr->realized);
        r->warm_feedback[p] = jobs[0].result.feedback;
        r->warm_value[p] = jobs[0].result.value;
        r->warm_done = p + 1;
        if ((st = duet_journal_warm(rn->journal, tr->ti, tr->mi, tr->trial, p, r, n, rn->err)) !=
                DUET_OK ||
            (st = observe_warm(rn, tr, p)) != DUET_OK)
            return st;
        if (++tr->next == r->warm_total) {
            tr->phase = PHASE_ITERATE;
            tr->next = 0;
        }
        return DUET_OK;
    }
    size_t t = tr->next, k = tr->k;
    size_t best = 0;
    double seconds = 0.0;
    for (size_t j = 0; j < k; j++) {
        r->samples[t * k + j] = jobs[j].result.feedback;
        r->sample_values[t * k + j] = jobs[j].result.value;
        seconds += jobs[j].result.seconds;
        if (better(&tr->task->info, jobs[j].result.feedback, jobs[best].result.feedback))
            best = j;
    }
    memcpy(r->ratios + t * n, tr->realized, n * sizeof *tr->realized);
    for (size_t i = 0; i < n; i++)
        r->counts[t * n + i] = (int64_t)tr->counts[i];
    memcpy(r->ess + t * n, tr->ess + best * n, n * sizeof *tr->ess);
    r->feedback[t] = jobs[best].result.feedback;
    r->value[t] = jobs[best].result.value;
    if (rn->cfg->backend->best_at_counts) {
        duet_status bst = rn->cfg->backend->best_at_counts(
            rn->backend, tr->task->handle, tr->counts, &r->inner_optimum[t], rn->err);
        if (bst != DUET_OK)
            return bst;
    }
    r->best_sample[t] = (int64_t)best;
    r->seconds[t] = now_seconds() - tr->started;
    tr->started = now_seconds();
    r->iterations_done = t + 1;
    duet_trial_update_derived(r, t, (int)tr->task->info.goal, tr->task_res->optimum_known,
                              tr->task_res->optimum);
    if ((st = duet_journal_iteration(rn->journal, tr->ti, tr->mi, tr->trial, t, r, n, k,
                                     rn->err)) != DUET_OK ||
        (st = observe_iteration(rn, tr, t)) != DUET_OK)
        return st;
    tr->next = t + 1;
    return DUET_OK;
}

/* Records the trial's answer once every iteration is done. */
static duet_status finish(runner *rn, trial_run *tr)
{
    duet_trial_results *r = tr->tr;
    size_t n = tr->n;
    duet_status st;
    if (tr->best_t >= 0) {
        /* Re-draw the best observed subset from its stream: the selector's draws are pure. */
        for (size_t i = 0; i < n; i++)
            tr->counts[i] = (uint64_t)r->counts[(size_t)tr->best_t * n + i];
        if ((st = draw_subset(rn, tr, "draw", (size_t)tr->best_t, (size_t)tr->best_j,
                              &tr->subsets[0], tr->ess)) != DUET_OK)
            return st;
        memcpy(r->answer_items, tr->subsets[0].items,
               (size_t)tr->subsets[0].total * sizeof *r->answer_items);
        for (size_t i = 0; i < n; i++)
            r->answer_counts[i] = (int64_t)tr->counts[i];
        r->answer_iteration = tr->best_t;
        r->answer_sample = tr->best_j;
        r->answer_feedback = tr->best_feedback;
    }
    if (tr->mc->type->answer) {
        duet_rng rng;
        stream(&rng, tr->seed_method, "answer", 0, 0);
        if ((st = tr->mc->type->answer(tr->method, &rng, r->model_answer, rn->err)) != DUET_OK)
            return st;
        r->has_model_answer = 1;
    }
    r->complete = 1;
    tr->phase = PHASE_DONE;
    return DUET_OK;
}

/*
 * Rebuilds the method state of a partly recorded trial by replaying its warm start and
 * iterations; every recomputed proposal must equal the recorded one.
 */
static duet_status replay(runner *rn, trial_run *tr)
{
    duet_trial_results *r = tr->tr;
    size_t n = tr->n;
    duet_status st;
    for (size_t p = 0; p < r->warm_done; p++)
        if ((st = observe_warm(rn, tr, p)) != DUET_OK)
            return st;
    if (r->warm_done < r->warm_total) {
        tr->next = r->warm_done;
        return DUET_OK;
    }
    tr->phase = PHASE_ITERATE;
    for (size_t t = 0; t < r->iterations_done; t++) {
        duet_proposal prop;
        if ((st = propose(rn, tr, t, &prop)) != DUET_OK)
            return st;
        if (memcmp(tr->proposal, r->proposed + t * n, n * sizeof *tr->proposal) != 0)
            return duet_error_set(rn->err, DUET_EMISMATCH,
                                  "resume: method %s on task %s, trial %zu proposed other ratios "
                                  "at iteration %zu than %s records; the file was written by "
                                  "another build or configuration. Write to a new --out file",
                                  tr->mc->label, rn->cfg->tasks[tr->ti].name, tr->trial, t + 1,
                                  rn->opt->out_path);
        if ((st = observe_iteration(rn, tr, t)) != DUET_OK)
            return st;
    }
    tr->next = r->iterations_done;
    return DUET_OK;
}

/* ------------------------------------------------------------------ snapshots */

static duet_status snapshot(runner *rn, int final)
{
    if (final) {
        time_t now = time(NULL);
        struct tm tm;
        char stamp[32];
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        duet_free(rn->results->prov.finished);
        if ((rn->results->prov.finished = duet_strdup(stamp)) == NULL)
            return duet_error_set(rn->err, DUET_ENOMEM, "out of memory");
    }
    duet_status st = duet_results_write(rn->results, rn->opt->out_path, rn->err);
    if (st == DUET_OK)
        st = duet_journal_reset(rn->journal, rn->err);
    rn->last_snapshot = now_seconds();
    return st;
}

static void report_progress(runner *rn)
{
    if (rn->opt->progress == NULL)
        return;
    size_t tc, tt, id, it;
    duet_results_progress(rn->results, &tc, &tt, &id, &it);
    duet_progress p = {
        .evaluations_done = rn->evaluations_done,
        .evaluations_total = rn->evaluations_total,
        .trials_done = tc,
        .trials_total = tt,
        .elapsed_seconds = now_seconds() - rn->started,
    };
    rn->opt->progress(rn->opt->progress_userdata, &p);
}

/* ------------------------------------------------------------------ the loop */

/* Counts evaluations already recorded, so progress starts where a resumed run left off. */
static void count_done(runner *rn)
{
    const duet_results *r = rn->results;
    for (size_t t = 0; t < r->n_tasks; t++)
        for (size_t m = 0; m < r->tasks[t].n_methods; m++)
            for (size_t i = 0; i < r->trials; i++) {
                const duet_trial_results *tr = &r->tasks[t].methods[m].trials[i];
                rn->evaluations_done +=
                    tr->warm_done + tr->iterations_done * r->tasks[t].methods[m].samples;
            }
}

static duet_status run_trials(runner *rn)
{
    const duet_config *cfg = rn->cfg;
    /*
     * Keep twice as many trials active as the executor runs evaluations at once, so its workers
     * stay busy while the parent proposes and records; results do not depend on this number.
     */
    size_t slots = rn->executor.parallelism > 1 ? 2 * rn->executor.parallelism : 1;
    size_t total = cfg->n_tasks * cfg->n_methods * (size_t)cfg->trials;
    trial_run *active = duet_calloc(slots, sizeof *active);
    size_t max_jobs = slots * DUET_MAX_SAMPLES;
    duet_eval_job *jobs = duet_calloc(max_jobs, sizeof *jobs);
    size_t *job_count = duet_calloc(slots, sizeof *job_count);
    void **task_handles = duet_calloc(rn->n_tasks, sizeof *task_handles);
    const char *const **task_names = duet_calloc(rn->n_tasks, sizeof *task_names);
    const uint64_t **task_sizes = duet_calloc(rn->n_tasks, sizeof *task_sizes);
    duet_status st = DUET_OK;
    if (!active || !jobs || !job_count || !task_handles || !task_names || !task_sizes) {
        st = duet_error_set(rn->err, DUET_ENOMEM, "out of memory for the run loop");
        goto done;
    }
    for (size_t t = 0; t < rn->n_tasks; t++) {
        task_handles[t] = rn->tasks[t].handle;
        task_names[t] = rn->tasks[t].domain_names;
        task_sizes[t] = rn->tasks[t].domain_sizes;
    }
    duet_exec_context ctx = {
        cfg->backend, rn->backend, task_handles, rn->n_tasks, rn->opt->log,
        cfg,          &rn->env,    task_names,   task_sizes,  rn->opt->interrupted};

    size_t next = 0; /* next (task, method, trial) index to start, trial varying fastest */
    for (;;) {
        /* Fill free slots with unfinished trials. */
        for (size_t s = 0; s < slots && st == DUET_OK; s++) {
            while (active[s].method == NULL && next < total) {
                size_t trial = next % (size_t)cfg->trials;
                size_t mi = (next / (size_t)cfg->trials) % cfg->n_methods;
                size_t ti = next / ((size_t)cfg->trials * cfg->n_methods);
                next++;
                if (rn->results->tasks[ti].methods[mi].trials[trial].complete)
                    continue;
                if ((st = trial_start(rn, ti, mi, trial, &active[s])) != DUET_OK ||
                    (st = replay(rn, &active[s])) != DUET_OK)
                    break;
                if (active[s].tr->iterations_done == (size_t)cfg->iterations &&
                    (st = finish(rn, &active[s])) != DUET_OK)
                    break;
                if (active[s].phase == PHASE_DONE)
                    trial_free(rn, &active[s]);
            }
        }
        if (st != DUET_OK)
            break;
        /* Prepare one step of every active trial. */
        size_t n_jobs = 0, busy = 0;
        for (size_t s = 0; s < slots && st == DUET_OK; s++) {
            job_count[s] = 0;
            if (active[s].method == NULL)
                continue;
            busy++;
            st = prepare(rn, &active[s], jobs + n_jobs, &job_count[s]);
            if (st != DUET_OK)
                st = duet_error_prefix(rn->err, "%s: method %s on task %s, trial %zu",
                                       active[s].mc->where, active[s].mc->label,
                                       cfg->tasks[active[s].ti].name, active[s].trial);
            n_jobs += job_count[s];
        }
        if (st != DUET_OK || busy == 0)
            break;
        if ((st = rn->executor.run(rn->executor.state, &ctx, jobs, n_jobs, rn->err)) != DUET_OK)
            break;
        /* Consume in slot order, so records and method updates never depend on timing. */
        size_t offset = 0;
        for (size_t s = 0; s < slots && st == DUET_OK; s++) {
            if (job_count[s] == 0)
                continue;
            st = consume(rn, &active[s], jobs + offset);
            rn->evaluations_done += job_count[s];
            offset += job_count[s];
            if (st == DUET_OK && active[s].phase == PHASE_ITERATE &&
                active[s].next == (size_t)cfg->iterations) {
                /* No snapshot here, because a snapshot per trial makes runs of many short
                 * trials quadratic in their number. A resumed run recomputes the answer/ group
                 * of a trial whose iterations are all in the journal. */
                st = finish(rn, &active[s]);
                trial_free(rn, &active[s]);
            }
        }
        if (st != DUET_OK)
            break;
        report_progress(rn);
        if (now_seconds() - rn->last_snapshot >= rn->opt->snapshot_seconds &&
            (st = snapshot(rn, 0)) != DUET_OK)
            break;
        if (rn->opt->interrupted && *rn->opt->interrupted) {
            st = duet_error_set(rn->err, DUET_EINTERRUPT,
                                "interrupted; the results so far are in %s. Continue with `duet "
                                "run %s --out %s --resume` and the same --set and --seed options",
                                rn->opt->out_path,
                                cfg->script_path ? cfg->script_path : "SCRIPT.lua",
                                rn->opt->out_path);
            break;
        }
    }
done:
    for (size_t s = 0; active && s < slots; s++)
        if (active[s].mc)
            trial_free(rn, &active[s]);
    duet_free(active);
    duet_free(jobs);
    duet_free(job_count);
    duet_free(task_handles);
    duet_free(task_names);
    duet_free(task_sizes);
    return st;
}

duet_status duet_run(const duet_config *cfg, const duet_run_options *opt, duet_error *err)
{
    runner rn = {.cfg = cfg, .opt = opt, .err = err};
    rn.started = now_seconds();
    rn.last_snapshot = rn.started;
    char script_dir[4096];
    duet_path_dirname(cfg->script_path ? cfg->script_path : ".", script_dir, sizeof script_dir);
    rn.env = (duet_backend_env){
        .log = opt->log,
        .seed = cfg->seed,
        .script_dir = script_dir,
        .data_dir = opt->data_dir ? opt->data_dir : "data",
    };
    if (opt->executor)
        rn.executor = *opt->executor;
    else
        duet_executor_inline(&rn.executor);
    rn.config_hash = duet_config_hash(cfg->resolved);
    snprintf(rn.journal_path, sizeof rn.journal_path, "%s.journal", opt->out_path);

    duet_status st = cfg->backend->open(cfg->backend_options, &rn.env, &rn.backend, err);
    if (st != DUET_OK) {
        duet_error_prefix(err, "%s: backend %s", cfg->backend_where, cfg->backend->name);
        return st;
    }
    if ((st = open_tasks(&rn)) != DUET_OK || (st = check_methods(&rn)) != DUET_OK ||
        (st = check_results_size(&rn)) != DUET_OK || opt->check_only)
        goto done;

    if (opt->resume) {
        /* A child process reads the file first: a damaged file can crash the HDF5 library. */
        duet_results *old = NULL;
        if ((st = duet_results_read_isolated(opt->out_path, DUET_RESULTS_READ_TIMEOUT, &old,
                                             err)) != DUET_OK) {
            if (st == DUET_ENOTFOUND)
                duet_error_set(err, DUET_ENOTFOUND,
                               "--resume: %s does not exist; run without --resume to start",
                               opt->out_path);
            goto done;
        }
        rn.results = old;
        if ((st = check_resumable(&rn, old)) != DUET_OK)
            goto done;
        size_t applied = 0, torn = 0;
        if ((st = duet_journal_replay(rn.journal_path, rn.config_hash, rn.results, &applied, &torn,
                                      err)) != DUET_OK)
            goto done;
        size_t tc, tt, id, it;
        duet_results_progress(rn.results, &tc, &tt, &id, &it);
        if (applied == 0 && tc == tt) {
            /* Nothing to do: leave the complete file untouched, its finish time included. */
            duet_logf(opt->log, DUET_LOG_INFO, "%s is complete; nothing to run", opt->out_path);
            goto done;
        }
        duet_logf(opt->log, DUET_LOG_INFO, "resuming %s: %zu records recovered from the journal%s",
                  opt->out_path, applied, torn ? " (its torn last record was dropped)" : "");
    } else {
        if ((st = new_results(&rn, &rn.results)) != DUET_OK)
            goto done;
        remove(rn.journal_path);
    }
    if ((st = duet_journal_open(rn.journal_path, rn.config_hash, &rn.journal, err)) != DUET_OK)
        goto done;
    duet_journal_set_sync(rn.journal, (duet_sync)opt->sync);
    rn.evaluations_total = (size_t)duet_config_evaluations(cfg);
    count_done(&rn);
    /* The first snapshot makes the file exist (and readable by duet info) from the start. */
    if ((st = snapshot(&rn, 0)) != DUET_OK)
        goto done;
    st = run_trials(&rn);
    duet_error saved = *err;
    duet_status fin = snapshot(&rn, st == DUET_OK);
    if (st == DUET_OK)
        st = fin;
    else
        *err = saved;
    if (st == DUET_OK)
        remove(rn.journal_path);
done:
    duet_journal_close(rn.journal);
    duet_results_free(rn.results);
    close_tasks(&rn);
    cfg->backend->close(rn.backend);
    return st;
}
