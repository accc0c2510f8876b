/*
 * The preset measurement. Every evaluation of a task gets its own seed derived from the
 * configured seed, the task name and the evaluation's index, so the measurement is
 * reproducible and independent of which other tasks run.
 */
#include "bench/bench_presets.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/mem.h"
#include "util/rng.h"
#include "util/simplex.h"

/* ------------------------------------------------------------------ reading the Lua presets */

static int choice_index(const char *value, const char *const *choices, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(value, choices[i]) == 0)
            return i;
    return -1;
}

/* Reads optional string field `key` of the table at the top of the stack as a choice. */
static duet_status read_choice(lua_State *L, const char *task, const char *key,
                               const char *const *choices, int n, int fallback, int *out,
                               duet_error *err)
{
    lua_getfield(L, -1, key);
    *out = fallback;
    if (!lua_isnil(L, -1)) {
        const char *value = lua_tostring(L, -1);
        *out = value ? choice_index(value, choices, n) : -1;
    }
    lua_pop(L, 1);
    if (*out < 0)
        return duet_error_set(err, DUET_EINVAL, "preset task %s: field %s has an unknown value",
                              task, key);
    return DUET_OK;
}

static duet_status read_task(lua_State *L, duet_embedded_task_options *o, char **name,
                             duet_error *err)
{
    static const char *const types[] = {"lm", "pos"};
    static const char *const settings[] = {"in-domain", "out-of-domain"};
    static const char *const metrics[] = {"default", "bpc", "accuracy"};
    memset(o, 0, sizeof *o);
    lua_getfield(L, -1, "name");
    *name = lua_isstring(L, -1) ? duet_strdup(lua_tostring(L, -1)) : NULL;
    lua_pop(L, 1);
    if (*name == NULL)
        return duet_error_set(err, DUET_EINVAL, "a preset task has no name string");
    duet_status status = read_choice(L, *name, "type", types, 2, 0, &o->type, err);
    if (status == DUET_OK)
        status = read_choice(L, *name, "setting", settings, 2, 1, &o->setting, err);
    if (status == DUET_OK)
        status = read_choice(L, *name, "metric", metrics, 3, 0, &o->metric, err);
    if (status != DUET_OK)
        return status;
    lua_getfield(L, -1, "eval_size");
    o->eval_size = lua_isinteger(L, -1) ? (int64_t)lua_tointeger(L, -1) : -1;
    lua_pop(L, 1);
    lua_getfield(L, -1, "temperature");
    o->temperature = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : -1.0;
    lua_pop(L, 1);
    lua_getfield(L, -1, "eval");
    size_t n = lua_istable(L, -1) ? (size_t)lua_rawlen(L, -1) : 0;
    o->eval.v = n ? duet_calloc(n, sizeof *o->eval.v) : NULL;
    for (size_t i = 0; o->eval.v && i < n; i++) {
        lua_rawgeti(L, -1, (lua_Integer)i + 1);
        if (lua_isstring(L, -1))
            o->eval.v[o->eval.n++] = duet_strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (n == 0 || o->eval.n != n)
        return duet_error_set(err, DUET_EINVAL,
                              "preset task %s: eval must be a list of domain names", *name);
    return DUET_OK;
}

duet_status duet_bench_read_tasks(const char *lua_file, duet_embedded_task_options *opts,
                                  char **names, size_t max, size_t *count, duet_error *err)
{
    *count = 0;
    lua_State *L = luaL_newstate();
    if (L == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory starting Lua");
    luaL_openlibs(L);
    duet_status status = DUET_OK;
    if (luaL_loadfile(L, lua_file) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        status = duet_error_set(err, DUET_EFORMAT, "cannot load the task presets: %s",
                                lua_tostring(L, -1));
    } else if (!lua_istable(L, -1)) {
        status = duet_error_set(err, DUET_EFORMAT, "%s does not return a table", lua_file);
    } else {
        lua_getfield(L, -1, "panels");
        size_t n = lua_istable(L, -1) ? (size_t)lua_rawlen(L, -1) : 0;
        if (n == 0)
            status =
                duet_error_set(err, DUET_EFORMAT, "%s has no `panels` list of tasks", lua_file);
        for (size_t i = 0; status == DUET_OK && i < n && i < max; i++) {
            lua_rawgeti(L, -1, (lua_Integer)i + 1);
            names[i] = NULL;
            status = lua_istable(L, -1)
                         ? read_task(L, &opts[i], &names[i], err)
                         : duet_error_set(err, DUET_EFORMAT, "%s: panel %zu is not a table",
                                          lua_file, i + 1);
            (*count)++;
            lua_pop(L, 1);
        }
    }
    lua_close(L);
    if (status != DUET_OK) {
        duet_bench_free_tasks(opts, names, *count);
        *count = 0;
    }
    return status;
}

void duet_bench_free_tasks(duet_embedded_task_options *opts, char **names, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        for (size_t k = 0; k < opts[i].eval.n; k++)
            duet_free(opts[i].eval.v[k]);
        duet_free(opts[i].eval.v);
        memset(&opts[i].eval, 0, sizeof opts[i].eval);
        duet_free(names[i]);
        names[i] = NULL;
    }
}

const char *duet_bench_default_presets_file(void)
{
    return DUET_LUA_DIR "/duet/embedded.lua";
}

/* ------------------------------------------------------------------ measuring */

typedef struct bench_task {
    const duet_backend_type *type;
    void *backend;
    void *task;
    duet_task_info info;
    uint64_t *capacity; /* [n_pool] training records per pool domain */
    duet_subset subset; /* arrays sized for the full budget */
    size_t *chosen;     /* [points] scratch for duet_rng_choose */
    uint64_t points;
    uint64_t seed;
    double seconds;
    size_t evaluations;
} bench_task;

/*
 * Draws a subset with mixture r (uniform items without replacement) and evaluates it. When
 * single_domain is a pool position, r is ignored and the subset comes from that domain alone.
 */
static duet_status evaluate_mixture(bench_task *b, const double *r, size_t single_domain,
                                    uint64_t index, double *feedback, duet_error *err)
{
    size_t n = b->info.n_pool;
    duet_status status = DUET_OK;
    if (single_domain < n) {
        /* A single domain takes the whole budget, or all its records when it has fewer. */
        for (size_t i = 0; i < n; i++)
            b->subset.counts[i] = 0;
        b->subset.counts[single_domain] =
            b->capacity[single_domain] < b->points ? b->capacity[single_domain] : b->points;
    } else {
        status = duet_simplex_counts(r, n, b->points, b->capacity, b->subset.counts, err);
    }
    if (status != DUET_OK)
        return status;
    uint64_t seed = duet_seed_index(b->seed, index);
    duet_rng rng;
    duet_rng_init(&rng, duet_seed_label(seed, "items"));
    b->subset.offset[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t start = b->subset.offset[i], count = b->subset.counts[i];
        b->subset.offset[i + 1] = start + count;
        duet_rng_choose(&rng, (size_t)b->capacity[i], (size_t)count, b->chosen);
        for (uint64_t k = 0; k < count; k++)
            b->subset.items[start + k] = b->chosen[k];
    }
    b->subset.total = b->subset.offset[n];
    duet_eval_result result;
    status = b->type->evaluate(b->backend, b->task, &b->subset, duet_seed_label(seed, "eval"),
                               &result, err);
    if (status != DUET_OK)
        return status;
    b->seconds += result.seconds;
    b->evaluations++;
    *feedback = result.feedback;
    return DUET_OK;
}

static int better(int minimize, double a, double b)
{
    return minimize ? a < b : a > b;
}

/* Reports "<task>: <done> of <total> <what> evaluated". */
static void report(const duet_bench_presets_config *c, const char *name, size_t done, size_t total,
                   const char *what)
{
    if (c->progress == NULL)
        return;
    char line[256];
    snprintf(line, sizeof line, "%s: %zu of %zu %s evaluated", name, done, total, what);
    c->progress(c->userdata, line);
}

/* Uniform repeats, single domains and random mixtures of one opened task. */
static duet_status measure(const duet_bench_presets_config *c, bench_task *b, const char *name,
                           duet_bench_preset_row *row, duet_error *err)
{
    size_t n = b->info.n_pool;
    int minimize = b->info.goal == DUET_GOAL_MINIMIZE;
    double r[256], sum = 0.0, sumsq = 0.0, value;
    duet_status status = DUET_OK;
    for (size_t i = 0; i < n; i++)
        r[i] = 1.0 / (double)n;
    for (size_t k = 0; k < c->repeats && status == DUET_OK; k++) {
        status = evaluate_mixture(b, r, n, k, &value, err);
        if (k == 0)
            row->uniform = value;
        sum += value;
        sumsq += value * value;
    }
    double mean = sum / (double)c->repeats;
    row->noise_sd = sqrt(fmax(0.0, (sumsq - c->repeats * mean * mean) / (double)(c->repeats - 1)));
    row->n_repeats = c->repeats;
    report(c, name, c->repeats, c->repeats, "uniform repeats");
    row->best_found = row->uniform;
    for (size_t i = 0; i < n && status == DUET_OK; i++) {
        status = evaluate_mixture(b, r, i, 1000 + i, &value, err);
        const char *domain = b->type->domain_name(b->backend, b->info.pool[i]);
        if (i == 0 || better(minimize, value, row->best_single)) {
            row->best_single = value;
            snprintf(row->best_single_domain, sizeof row->best_single_domain, "%s", domain);
        }
        if (i == 0 || better(minimize, row->worst_single, value)) {
            row->worst_single = value;
            snprintf(row->worst_single_domain, sizeof row->worst_single_domain, "%s", domain);
        }
    }
    if (status == DUET_OK && better(minimize, row->best_single, row->best_found))
        row->best_found = row->best_single;
    report(c, name, n, n, "single domains");
    duet_rng rng;
    duet_rng_init(&rng, duet_seed_label(b->seed, "mixtures"));
    for (size_t j = 0; j < c->random_mixtures && status == DUET_OK; j++) {
        duet_rng_dirichlet(&rng, n, NULL, r);
        status = evaluate_mixture(b, r, n, 2000 + j, &value, err);
        if (j == 0 || better(minimize, value, row->best_random))
            row->best_random = value;
        if (j == 0 || better(minimize, row->worst_random, value))
            row->worst_random = value;
        if ((j + 1) % 10 == 0)
            report(c, name, j + 1, c->random_mixtures, "random mixtures");
    }
    row->n_random = c->random_mixtures;
    if (status == DUET_OK && c->random_mixtures > 0 &&
        better(minimize, row->best_random, row->best_found))
        row->best_found = row->best_random;
    row->gap_in_sd = fabs(row->uniform - row->best_found) / row->noise_sd;
    row->seconds_per_eval = b->seconds / (double)(b->evaluations ? b->evaluations : 1);
    return status;
}

static void bench_task_free(bench_task *b)
{
    if (b->task != NULL)
        b->type->task_close(b->backend, b->task);
    duet_free(b->capacity);
    duet_free(b->subset.counts);
    duet_free(b->subset.offset);
    duet_free(b->subset.items);
    duet_free(b->chosen);
}

static duet_status measure_task(const duet_bench_presets_config *c, void *backend, const char *name,
                                const duet_embedded_task_options *o, duet_bench_preset_row *row,
                                duet_error *err)
{
    bench_task b;
    memset(&b, 0, sizeof b);
    memset(row, 0, sizeof *row);
    b.type = &duet_backend_embedded;
    b.backend = backend;
    b.points = c->points;
    b.seed = duet_seed_label(c->seed, name);
    snprintf(row->name, sizeof row->name, "%s", name);
    duet_status status = b.type->task_open(backend, name, o, 0, &b.task, &b.info, err);
    if (status != DUET_OK)
        return status;
    size_t n = b.info.n_pool;
    if (n > 256) {
        bench_task_free(&b);
        return duet_error_set(err, DUET_ELIMIT, "task %s has %zu pool domains; at most 256", name,
                              n);
    }
    b.capacity = duet_malloc(n * sizeof *b.capacity);
    b.subset.counts = duet_malloc(n * sizeof *b.subset.counts);
    b.subset.offset = duet_malloc((n + 1) * sizeof *b.subset.offset);
    b.subset.items = duet_malloc((size_t)(c->points + 1) * sizeof *b.subset.items);
    b.chosen = duet_malloc((size_t)(c->points + 1) * sizeof *b.chosen);
    b.subset.n_domains = n;
    if (!b.capacity || !b.subset.counts || !b.subset.offset || !b.subset.items || !b.chosen)
        status = duet_error_set(err, DUET_ENOMEM, "out of memory measuring task %s", name);
    for (size_t i = 0; status == DUET_OK && i < n; i++)
        b.capacity[i] = b.type->domain_size(backend, b.info.pool[i]);
    snprintf(row->metric, sizeof row->metric, "%s", b.info.metric);
    row->minimize = b.info.goal == DUET_GOAL_MINIMIZE;
    row->n_pool = n;
    if (status == DUET_OK)
        status = measure(c, &b, name, row, err);
    bench_task_free(&b);
    return status;
}

duet_status duet_bench_presets(const duet_bench_presets_config *config, duet_bench_preset_row *rows,
                               size_t *n_rows, duet_error *err)
{
    *n_rows = 0;
    if (config->repeats < 2)
        return duet_error_set(err, DUET_EINVAL,
                              "bench presets: repeats = %zu; at least 2 are "
                              "needed for a standard deviation",
                              config->repeats);
    duet_embedded_task_options opts[DUET_BENCH_PRESETS_MAX];
    char *names[DUET_BENCH_PRESETS_MAX];
    size_t count;
    duet_status status =
        duet_bench_read_tasks(config->lua_file, opts, names, DUET_BENCH_PRESETS_MAX, &count, err);
    if (status != DUET_OK)
        return status;
    duet_backend_env env = {NULL, config->seed, NULL, config->data_dir};
    void *backend = NULL;
    status = duet_backend_embedded.open(&config->backend, &env, &backend, err);
    for (size_t i = 0; status == DUET_OK && i < count; i++) {
        if (config->only != NULL && strcmp(config->only, names[i]) != 0)
            continue;
        status = measure_task(config, backend, names[i], &opts[i], &rows[*n_rows], err);
        if (status == DUET_OK)
            (*n_rows)++;
    }
    if (status == DUET_OK && config->only != NULL && *n_rows == 0)
        status = duet_error_set(err, DUET_ENOTFOUND, "no preset task is named %s in %s",
                                config->only, config->lua_file);
    if (backend != NULL)
        duet_backend_embedded.close(backend);
    duet_bench_free_tasks(opts, names, count);
    return status;
}
