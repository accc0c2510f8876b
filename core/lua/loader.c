/*
 * The experiment loader: runs an experiment script in Lua 5.4, applies `--set` overrides and
 * turns the returned table into a validated duet_config.
 *
 * Every check happens here, before a run allocates anything for its work: unknown keys, wrong
 * types, out-of-range values, unknown names, duplicate labels and sizes over the documented
 * limits. Messages start with the place that wrote the value ("script.lua:LINE:" from the
 * builders' _where fields, or "--set key=value:"), so a user can go straight to it.
 */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/executors.h"
#include "lua/luaduet.h"
#include "run/config.h"
#include "run/registry.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

typedef struct experiment_options {
    char *name;
    char *description;
    int64_t seed;
    int64_t trials;
} experiment_options;

typedef struct budget_options {
    int64_t points;
    int64_t iterations;
    int64_t samples;
} budget_options;

typedef struct method_entry_options {
    int warm_start;
    char *name;
    int64_t samples;
} method_entry_options;

static const duet_option experiment_option_table[] = {
    {"name", DUET_OPT_STRING, offsetof(experiment_options, name), NULL, NAN, NAN, NULL,
     "experiment name, used in results and figures"},
    {"description", DUET_OPT_STRING, offsetof(experiment_options, description), "", NAN, NAN, NULL,
     "one-paragraph description stored with the results"},
    {"seed", DUET_OPT_INT, offsetof(experiment_options, seed), "0", 0, 9007199254740991.0, NULL,
     "experiment seed from which every random stream is derived"},
    {"trials", DUET_OPT_INT, offsetof(experiment_options, trials), "1", 1, DUET_MAX_TRIALS, NULL,
     "independent repetitions of every task and method"},
    {NULL},
};

static const duet_option budget_option_table[] = {
    {"points", DUET_OPT_INT, offsetof(budget_options, points), NULL, 1, DUET_MAX_POINTS, NULL,
     "data budget M: items in every training subset"},
    {"iterations", DUET_OPT_INT, offsetof(budget_options, iterations), NULL, 1, DUET_MAX_ITERATIONS,
     NULL, "iterations T of every trial"},
    {"samples", DUET_OPT_INT, offsetof(budget_options, samples), "1", 1, DUET_MAX_SAMPLES, NULL,
     "inner samples k: subsets drawn and evaluated per iteration"},
    {NULL},
};

static const duet_option warm_start_option_table[] = {
    {"design", DUET_OPT_ENUM, offsetof(duet_warm_start, design), "none", NAN, NAN,
     "none|uniform|dirichlet|vertices",
     "points observed before the first iteration by methods that use them"},
    {"count", DUET_OPT_INT, offsetof(duet_warm_start, count), "1", 0, DUET_MAX_WARM_START, NULL,
     "number of Dirichlet draws of the dirichlet design"},
    {"alpha", DUET_OPT_DOUBLE, offsetof(duet_warm_start, alpha), "1", 1e-3, 1e3, NULL,
     "Dirichlet concentration of the dirichlet design (1 = uniform on the simplex)"},
    {NULL},
};

static const duet_option method_entry_option_table[] = {
    {"name", DUET_OPT_STRING, offsetof(method_entry_options, name), "", NAN, NAN, NULL,
     "label of this method in the results (default: its type)"},
    {"warm_start", DUET_OPT_BOOL, offsetof(method_entry_options, warm_start), "true", NAN, NAN,
     NULL, "observe the experiment's warm start (for methods that use one)"},
    {"samples", DUET_OPT_INT, offsetof(method_entry_options, samples), "0", 0, DUET_MAX_SAMPLES,
     NULL, "inner samples k for this method (0: the budget's samples)"},
    {NULL},
};

static const char *const experiment_keys[] = {"backend",    "tasks",    "methods", "budget",
                                              "warm_start", "executor", "sweep",   NULL};
static const char *const method_entry_keys[] = {"name", "samples", "selector", "warm_start", NULL};
static const char *const task_entry_keys[] = {"name", NULL};
static const char *const lua_method_keys[] = {"propose",    "observe", "init",    "selector",
                                              "warm_start", "name",    "samples", NULL};

/* Option names one method type may declare, at most. */
#define DUET_MAX_OPTION_NAMES 128

/* ------------------------------------------------------------------ helpers */

/* Copies the string field `_where` of the table at idx into out, or `fallback`. */
static void table_where(lua_State *L, int idx, const char *fallback, char *out, size_t size)
{
    duet_lua_rawfield(L, idx, "_where");
    const char *where = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : fallback;
    size_t len = strlen(where);
    if (len >= size)
        len = size - 1;
    memcpy(out, where, len);
    out[len] = '\0';
    lua_pop(L, 1);
}

/*
 * Appends " (with --set A, --set B)" to where when the table at idx has values set from the
 * command line. Errors found later, when the backend opens the task or the method runs, then
 * point at the overrides as well as at the script line.
 */
static void append_set_origins(lua_State *L, int idx, char *where, size_t size)
{
    int top = lua_gettop(L);
    duet_lua_rawfield(L, idx, "_set");
    if (lua_type(L, -1) == LUA_TTABLE) {
        size_t len = strlen(where);
        int first = 1;
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
            if (lua_type(L, -1) == LUA_TSTRING && len < size) {
                int w = snprintf(where + len, size - len, "%s%s", first ? " (with " : ", ",
                                 lua_tostring(L, -1));
                len += w > 0 ? (size_t)w : 0;
                first = 0;
            }
            lua_pop(L, 1);
        }
        if (!first && len < size)
            snprintf(where + len, size - len, ")");
    }
    lua_settop(L, top);
}

/* Returns the string field `key` of the table at idx, or NULL (valid while the table lives). */
static const char *string_field(lua_State *L, int idx, const char *key)
{
    duet_lua_rawfield(L, idx, key);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1);
    return s;
}

/* Allocates a zeroed option struct of `size` bytes and fills its defaults. */
static void *options_alloc(size_t size, duet_error *err)
{
    void *p = duet_calloc(1, size ? size : 1);
    if (p == NULL)
        duet_error_set(err, DUET_ENOMEM, "out of memory reading the experiment");
    return p;
}

/* Checks that the value at idx is a table built by duet.<kind>... (its _kind field). */
static duet_status expect_kind(lua_State *L, int idx, const char *kind, const char *where,
                               const char *what, const char *example, duet_error *err)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return duet_error_set(err, DUET_EINVAL, "%s: %s must be built with %s, got a %s", where,
                              what, example, luaL_typename(L, idx));
    const char *k = string_field(L, idx, "_kind");
    if (k == NULL || strcmp(k, kind) != 0)
        return duet_error_set(err, DUET_EINVAL, "%s: %s must be built with %s, got %s%s", where,
                              what, example, k ? "a " : "a plain table", k ? k : "");
    return DUET_OK;
}

/* ------------------------------------------------------------------ sections */

static duet_status read_backend(lua_State *L, int exp, duet_config *cfg, duet_error *err)
{
    duet_lua_rawfield(L, exp, "backend");
    int idx = lua_gettop(L);
    duet_status st = DUET_OK;
    if (lua_isnil(L, idx)) {
        st = duet_error_set(err, DUET_EINVAL,
                            "%s: experiment: 'backend' is required, e.g. backend = "
                            "duet.backend.synthetic { domains = 5 }",
                            cfg->where);
        goto done;
    }
    if ((st = expect_kind(L, idx, "backend", cfg->where, "'backend'", "duet.backend.<name> { ... }",
                          err)) != DUET_OK)
        goto done;
    char where[256];
    table_where(L, idx, cfg->where, where, sizeof where);
    const char *type = string_field(L, idx, "_type");
    cfg->backend = type ? duet_backend_find(type) : NULL;
    if (cfg->backend == NULL) {
        st = duet_error_set(err, DUET_EINVAL, "%s: unknown backend '%s'; see `duet help backends`",
                            where, type ? type : "?");
        goto done;
    }
    if ((cfg->backend_where = duet_strdup(where)) == NULL ||
        (cfg->backend_options = options_alloc(cfg->backend->options_size, err)) == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "out of memory reading the backend");
        goto done;
    }
    char context[96];
    snprintf(context, sizeof context, "backend %s", cfg->backend->name);
    st = duet_options_from_lua(L, idx, cfg->backend->options, cfg->backend_options, NULL, where,
                               context, err);
done:
    lua_settop(L, idx - 1);
    return st;
}

static duet_status read_budget(lua_State *L, int exp, duet_config *cfg, duet_error *err)
{
    duet_lua_rawfield(L, exp, "budget");
    int idx = lua_gettop(L);
    duet_status st = DUET_OK;
    if (lua_type(L, idx) != LUA_TTABLE) {
        st = duet_error_set(err, DUET_EINVAL,
                            "%s: experiment: 'budget' must be a table such as { points = 1000, "
                            "iterations = 10, samples = 1 }, got %s",
                            cfg->where, lua_isnil(L, idx) ? "nothing" : luaL_typename(L, idx));
        goto done;
    }
    budget_options b = {0};
    st = duet_options_from_lua(L, idx, budget_option_table, &b, NULL, cfg->where,
                               "experiment: budget", err);
    cfg->points = b.points;
    cfg->iterations = b.iterations;
    cfg->samples = b.samples;
done:
    lua_settop(L, idx - 1);
    return st;
}

static duet_status read_warm_start(lua_State *L, int exp, duet_config *cfg, duet_error *err)
{
    duet_lua_rawfield(L, exp, "warm_start");
    int idx = lua_gettop(L);
    duet_status st = duet_options_defaults(warm_start_option_table, &cfg->warm_start, err);
    if (st == DUET_OK && !lua_isnil(L, idx))
        st = duet_options_from_lua(L, idx, warm_start_option_table, &cfg->warm_start, NULL,
                                   cfg->where, "experiment: warm_start", err);
    lua_settop(L, idx - 1);
    return st;
}

/* Reads the optional `executor` entry: a table built by duet.executor.<type>. */
static duet_status read_executor(lua_State *L, int exp, duet_config *cfg, duet_error *err)
{
    duet_lua_rawfield(L, exp, "executor");
    int idx = lua_gettop(L);
    duet_status st = DUET_OK;
    if (lua_isnil(L, idx))
        goto done;
    if ((st = expect_kind(L, idx, "executor", cfg->where, "'executor'",
                          "duet.executor.<type> { ... }", err)) != DUET_OK)
        goto done;
    char where[256];
    table_where(L, idx, cfg->where, where, sizeof where);
    const char *type = string_field(L, idx, "_type");
    cfg->executor_type = type ? duet_executor_type_find(type) : NULL;
    if (cfg->executor_type == NULL) {
        st =
            duet_error_set(err, DUET_EINVAL, "%s: unknown executor '%s'; see `duet help executors`",
                           where, type ? type : "?");
        goto done;
    }
    cfg->executor_where = duet_strdup(where);
    cfg->executor_options = duet_calloc(1, sizeof *cfg->executor_options);
    if (cfg->executor_where == NULL || cfg->executor_options == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "out of memory reading the executor");
        goto done;
    }
    char context[64];
    snprintf(context, sizeof context, "executor %s", cfg->executor_type->name);
    st = duet_options_from_lua(L, idx, cfg->executor_type->options, cfg->executor_options, NULL,
                               where, context, err);
done:
    lua_settop(L, idx - 1);
    return st;
}

/* Checks that the value at idx is a non-empty sequence of at most `max` entries. */
static duet_status expect_list(lua_State *L, int idx, const char *key, size_t max,
                               const char *where, const char *example, size_t *n, duet_error *err)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return duet_error_set(err, DUET_EINVAL,
                              "%s: experiment: '%s' must be a list such as %s, got %s", where, key,
                              example, lua_isnil(L, idx) ? "nothing" : luaL_typename(L, idx));
    size_t len = (size_t)lua_rawlen(L, idx), keys = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        keys++;
    }
    if (keys != len)
        return duet_error_set(err, DUET_EINVAL,
                              "%s: experiment: '%s' must be a list (entries 1..n without names), "
                              "such as %s",
                              where, key, example);
    if (len == 0)
        return duet_error_set(err, DUET_EINVAL, "%s: experiment: '%s' is empty; add at least one",
                              where, key);
    if (len > max)
        return duet_error_set(err, DUET_ELIMIT,
                              "%s: experiment: '%s' has %zu entries, more than the limit of %zu",
                              where, key, len, max);
    *n = len;
    return DUET_OK;
}

static duet_status read_tasks(lua_State *L, int exp, duet_config *cfg, duet_error *err)
{
    duet_lua_rawfield(L, exp, "tasks");
    int list = lua_gettop(L);
    size_t n = 0;
    duet_status st = expect_list(L, list, "tasks", DUET_MAX_TASKS, cfg->where,
                                 "{ duet.task { name = \"a\" } }", &n, err);
    if (st != DUET_OK)
        goto done;
    cfg->tasks = duet_calloc(n, sizeof *cfg->tasks);
    if (cfg->tasks == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "out of memory reading %zu tasks", n);
        goto done;
    }
    for (size_t i = 0; i < n && st == DUET_OK; i++) {
        lua_rawgeti(L, list, (lua_Integer)i + 1);
        int idx = lua_gettop(L);
        char what[64];
        snprintf(what, sizeof what, "tasks[%zu]", i + 1);
        st = expect_kind(L, idx, "task", cfg->where, what, "duet.task { name = ..., ... }", err);
        if (st == DUET_OK) {
            duet_task_config *t = &cfg->tasks[i];
            cfg->n_tasks = i + 1;
            char where[512];
            table_where(L, idx, cfg->where, where, sizeof where);
            append_set_origins(L, idx, where, sizeof where);
            const char *name = string_field(L, idx, "name");
            if (name == NULL || *name == '\0')
                st = duet_error_set(err, DUET_EINVAL,
                                    "%s: task: 'name' is required and must be a non-empty string",
                                    where);
            else if ((t->name = duet_strdup(name)) == NULL ||
                     (t->where = duet_strdup(where)) == NULL ||
                     (t->options = options_alloc(cfg->backend->task_options_size, err)) == NULL)
                st = duet_error_set(err, DUET_ENOMEM, "out of memory reading task '%s'", name);
            for (size_t j = 0; st == DUET_OK && j < i; j++)
                if (strcmp(cfg->tasks[j].name, name) == 0)
                    st = duet_error_set(err, DUET_EINVAL,
                                        "%s: task name '%s' is already used at %s; task names "
                                        "must be unique",
                                        where, name, cfg->tasks[j].where);
            if (st == DUET_OK) {
                char context[96];
                snprintf(context, sizeof context, "task %s (backend %s)", name, cfg->backend->name);
                st = duet_options_from_lua(L, idx, cfg->backend->task_options, t->options,
                                           task_entry_keys, where, context, err);
            }
        }
        lua_settop(L, list);
    }
done:
    lua_settop(L, list - 1);
    return st;
}

/* Reads the `selector` field of a method table: a name, a duet.selector table, or absent. */
static duet_status read_selector(lua_State *L, int idx, duet_method_config *m,
                                 const char *default_name, const char *where, duet_error *err)
{
    duet_lua_rawfield(L, idx, "selector");
    int sel = lua_gettop(L);
    duet_status st = DUET_OK;
    const char *name = default_name;
    char sel_where[512];
    snprintf(sel_where, sizeof sel_where, "%s", where);
    if (lua_type(L, sel) == LUA_TSTRING) {
        name = lua_tostring(L, sel);
        /* A selector given with --set: an error names the override, not the script line. */
        duet_lua_rawfield(L, idx, "_set");
        if (lua_type(L, -1) == LUA_TTABLE && duet_lua_rawfield(L, -1, "selector") == LUA_TSTRING)
            snprintf(sel_where, sizeof sel_where, "%s", lua_tostring(L, -1));
        lua_settop(L, sel);
    } else if (lua_type(L, sel) == LUA_TTABLE) {
        st = expect_kind(L, sel, "selector", where, "'selector'", "duet.selector.<name> { ... }",
                         err);
        name = st == DUET_OK ? string_field(L, sel, "_type") : NULL;
        table_where(L, sel, where, sel_where, sizeof sel_where);
    } else if (!lua_isnil(L, sel)) {
        st = duet_error_set(err, DUET_EINVAL,
                            "%s: method %s: 'selector' must be a selector name or "
                            "duet.selector.<name> { ... }, got a %s",
                            where, m->label, luaL_typename(L, sel));
    }
    if (st == DUET_OK) {
        m->selector = name ? duet_selector_find(name) : NULL;
        if (m->selector == NULL)
            st = duet_error_set(err, DUET_EINVAL,
                                "%s: method %s: unknown selector '%s'; see `duet help selectors`",
                                sel_where, m->label, name ? name : "?");
    }
    if (st == DUET_OK &&
        (m->selector_options = options_alloc(m->selector->options_size, err)) == NULL)
        st = DUET_ENOMEM;
    if (st == DUET_OK) {
        char context[128];
        snprintf(context, sizeof context, "method %s: selector %s", m->label, m->selector->name);
        if (lua_type(L, sel) == LUA_TTABLE)
            st = duet_options_from_lua(L, sel, m->selector->options, m->selector_options, NULL,
                                       sel_where, context, err);
        else
            st = duet_options_defaults(m->selector->options, m->selector_options, err);
    }
    lua_settop(L, sel - 1);
    return st;
}

static duet_status read_method(lua_State *L, int idx, duet_config *cfg, duet_method_config *m,
                               duet_error *err)
{
    char where[512];
    table_where(L, idx, cfg->where, where, sizeof where);
    append_set_origins(L, idx, where, sizeof where);
    if ((m->where = duet_strdup(where)) == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading a method");
    const char *type = string_field(L, idx, "_type");
    m->lua_ref = LUA_NOREF;
    int is_lua = type && strcmp(type, "lua") == 0;
    m->type = is_lua ? &duet_method_lua : (type ? duet_method_find(type) : NULL);
    if (m->type == NULL)
        return duet_error_set(err, DUET_EINVAL, "%s: unknown method '%s'; see `duet help methods`",
                              where, type ? type : "?");

    /* Runner-level keys common to every method; the type's own options are read below. */
    const char *known[DUET_MAX_OPTION_NAMES + 2];
    size_t n_known = 0;
    if (is_lua)
        for (const char *const *k = lua_method_keys; *k; k++)
            known[n_known++] = *k;
    for (const duet_option *o = m->type->options; o && o->name && n_known < DUET_MAX_OPTION_NAMES;
         o++)
        known[n_known++] = o->name;
    known[n_known++] = "selector";
    known[n_known] = NULL;
    method_entry_options entry = {0};
    char context[128];
    snprintf(context, sizeof context, "method %s", m->type->name);
    duet_status st = duet_options_from_lua(L, idx, method_entry_option_table, &entry, known, where,
                                           context, err);
    if (st == DUET_OK && (entry.name == NULL || *entry.name == '\0')) {
        if (is_lua)
            st = duet_error_set(err, DUET_EINVAL,
                                "%s: a Lua method needs a name, as in duet.method.lua { name = "
                                "\"mine\", propose = ... }",
                                where);
        else {
            duet_free(entry.name);
            entry.name = duet_strdup(m->type->name);
        }
    }
    if (st == DUET_OK && entry.name == NULL)
        st = duet_error_set(err, DUET_ENOMEM, "out of memory reading a method");
    m->label = entry.name;
    m->samples = entry.samples > 0 ? entry.samples : cfg->samples;
    m->warm_start = entry.warm_start && (m->type->flags & DUET_METHOD_WARM_START);
    if (st != DUET_OK)
        return st;

    snprintf(context, sizeof context, "method %s", m->label);
    if (is_lua) {
        /* Keep the method's table alive for the run; its functions are called by duet_method_lua.
         */
        st = duet_options_from_lua(L, idx, NULL, NULL, (const char *const *)lua_method_keys, where,
                                   context, err);
        if (st == DUET_OK) {
            duet_lua_method_options *lo = duet_calloc(1, sizeof *lo);
            if (lo == NULL)
                return duet_error_set(err, DUET_ENOMEM, "out of memory reading a method");
            lua_pushvalue(L, idx);
            m->lua_ref = luaL_ref(L, LUA_REGISTRYINDEX);
            lo->L = L;
            lo->ref = m->lua_ref;
            m->options = lo;
        }
    } else {
        if ((m->options = options_alloc(m->type->options_size, err)) == NULL)
            return DUET_ENOMEM;
        st = duet_options_from_lua(L, idx, m->type->options, m->options, method_entry_keys, where,
                                   context, err);
    }
    if (st != DUET_OK)
        return st;
    return read_selector(L, idx, m, is_lua ? "uniform" : m->type->default_selector, where, err);
}

static duet_status read_methods(lua_State *L, int exp, duet_config *cfg, duet_error *err)
{
    duet_lua_rawfield(L, exp, "methods");
    int list = lua_gettop(L);
    size_t n = 0;
    duet_status st = expect_list(L, list, "methods", DUET_MAX_METHODS, cfg->where,
                                 "{ duet.method.uniform {} }", &n, err);
    if (st != DUET_OK)
        goto done;
    cfg->methods = duet_calloc(n, sizeof *cfg->methods);
    if (cfg->methods == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "out of memory reading %zu methods", n);
        goto done;
    }
    for (size_t i = 0; i < n && st == DUET_OK; i++) {
        lua_rawgeti(L, list, (lua_Integer)i + 1);
        int idx = lua_gettop(L);
        char what[64];
        snprintf(what, sizeof what, "methods[%zu]", i + 1);
        st = expect_kind(L, idx, "method", cfg->where, what, "duet.method.<name> { ... }", err);
        if (st == DUET_OK) {
            cfg->n_methods = i + 1;
            cfg->methods[i].lua_ref = LUA_NOREF;
            st = read_method(L, idx, cfg, &cfg->methods[i], err);
        }
        for (size_t j = 0; st == DUET_OK && j < i; j++)
            if (strcmp(cfg->methods[j].label, cfg->methods[i].label) == 0)
                st = duet_error_set(err, DUET_EINVAL,
                                    "%s: method label '%s' is already used at %s; give one of "
                                    "them another name = \"...\"",
                                    cfg->methods[i].where, cfg->methods[i].label,
                                    cfg->methods[j].where);
        lua_settop(L, list);
    }
done:
    lua_settop(L, list - 1);
    return st;
}

/* ------------------------------------------------------------------ sweep */

/* Converts the scalar at idx to `--set` text (numbers exactly, booleans, strings); NULL if not. */
static char *value_text(lua_State *L, int idx)
{
    duet_buf b = {0};
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            duet_buf_printf(&b, "%lld", (long long)lua_tointeger(L, idx));
        else
            duet_buf_put_double(&b, lua_tonumber(L, idx));
        break;
    case LUA_TBOOLEAN:
        duet_buf_puts(&b, lua_toboolean(L, idx) ? "true" : "false");
        break;
    case LUA_TSTRING:
        duet_buf_puts(&b, lua_tostring(L, idx));
        break;
    default:
        return NULL;
    }
    if (b.failed) {
        duet_buf_free(&b);
        return NULL;
    }
    return b.data ? b.data : duet_strdup("");
}

static int compare_axes(const void *a, const void *b)
{
    return strcmp(((const duet_sweep_axis *)a)->key, ((const duet_sweep_axis *)b)->key);
}

/* Reads the axes of the table at idx (key -> list of values), sorted by key. */
static duet_status read_sweep_axes(lua_State *L, int idx, duet_config *cfg, const char *what,
                                   duet_error *err)
{
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        int value = lua_gettop(L);
        if (lua_type(L, value - 1) != LUA_TSTRING || lua_type(L, value) != LUA_TTABLE ||
            lua_rawlen(L, value) == 0) {
            lua_pop(L, 2);
            return duet_error_set(err, DUET_EINVAL,
                                  "%s: sweep.%s must map dotted keys to non-empty lists, as in "
                                  "[\"budget.samples\"] = { 1, 2, 4 }",
                                  cfg->where, what);
        }
        if (cfg->n_sweep_axes == DUET_MAX_SWEEP_AXES) {
            lua_pop(L, 2);
            return duet_error_set(err, DUET_ELIMIT, "%s: sweep.%s has more than %d axes",
                                  cfg->where, what, DUET_MAX_SWEEP_AXES);
        }
        size_t n = (size_t)lua_rawlen(L, value);
        if (n > DUET_MAX_SWEEP_VALUES) {
            lua_pop(L, 2);
            return duet_error_set(err, DUET_ELIMIT, "%s: sweep.%s.%s has more than %d values",
                                  cfg->where, what, lua_tostring(L, value - 1),
                                  DUET_MAX_SWEEP_VALUES);
        }
        duet_sweep_axis *axis = &cfg->sweep_axes[cfg->n_sweep_axes++];
        axis->key = duet_strdup(lua_tostring(L, value - 1));
        axis->values = duet_calloc(n, sizeof *axis->values);
        if (axis->key == NULL || axis->values == NULL) {
            lua_pop(L, 2);
            return duet_error_set(err, DUET_ENOMEM, "out of memory reading the sweep");
        }
        for (size_t i = 0; i < n; i++, axis->n_values++) {
            lua_rawgeti(L, value, (lua_Integer)i + 1);
            axis->values[i] = value_text(L, -1);
            lua_pop(L, 1);
            if (axis->values[i] == NULL) {
                lua_pop(L, 2);
                return duet_error_set(err, DUET_EINVAL,
                                      "%s: sweep.%s.%s: value %zu is not a number, boolean or "
                                      "string",
                                      cfg->where, what, axis->key, i + 1);
            }
        }
        lua_pop(L, 1);
    }
    qsort(cfg->sweep_axes, cfg->n_sweep_axes, sizeof *cfg->sweep_axes, compare_axes);
    return DUET_OK;
}

static duet_status read_sweep(lua_State *L, int exp, duet_config *cfg, duet_error *err)
{
    duet_lua_rawfield(L, exp, "sweep");
    int idx = lua_gettop(L);
    duet_status st = DUET_OK;
    if (lua_isnil(L, idx))
        goto done;
    if (lua_type(L, idx) != LUA_TTABLE) {
        st = duet_error_set(err, DUET_EINVAL,
                            "%s: experiment: 'sweep' must be a table such as { grid = { "
                            "[\"budget.samples\"] = { 1, 2 } }, seeds = { 1, 2, 3 } }",
                            cfg->where);
        goto done;
    }
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
        int known = strcmp(k, "grid") == 0 || strcmp(k, "list") == 0 || strcmp(k, "seeds") == 0;
        lua_pop(L, 1);
        if (!known) {
            st = duet_error_set(err, DUET_EINVAL,
                                "%s: experiment: sweep: unknown key '%s'; known keys are grid, "
                                "list and seeds",
                                cfg->where, k);
            lua_pop(L, 1);
            goto done;
        }
    }
    cfg->sweep_axes = duet_calloc(DUET_MAX_SWEEP_AXES, sizeof *cfg->sweep_axes);
    if (cfg->sweep_axes == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "out of memory reading the sweep");
        goto done;
    }
    int kinds = 0;
    for (int list = 0; list < 2 && st == DUET_OK; list++) {
        duet_lua_rawfield(L, idx, list ? "list" : "grid");
        if (lua_type(L, -1) == LUA_TTABLE) {
            kinds++;
            cfg->sweep_is_list = list;
            st = read_sweep_axes(L, lua_gettop(L), cfg, list ? "list" : "grid", err);
        }
        lua_pop(L, 1);
    }
    if (st == DUET_OK && kinds > 1)
        st = duet_error_set(err, DUET_EINVAL,
                            "%s: experiment: sweep has both grid and list; use one of them",
                            cfg->where);
    for (size_t a = 1; st == DUET_OK && cfg->sweep_is_list && a < cfg->n_sweep_axes; a++)
        if (cfg->sweep_axes[a].n_values != cfg->sweep_axes[0].n_values)
            st = duet_error_set(err, DUET_EINVAL,
                                "%s: experiment: sweep.list axes must have equal lengths (%s has "
                                "%zu values, %s has %zu)",
                                cfg->where, cfg->sweep_axes[0].key, cfg->sweep_axes[0].n_values,
                                cfg->sweep_axes[a].key, cfg->sweep_axes[a].n_values);
    duet_lua_rawfield(L, idx, "seeds");
    if (st == DUET_OK && !lua_isnil(L, -1)) {
        int seeds = lua_gettop(L);
        size_t n = lua_type(L, seeds) == LUA_TTABLE ? (size_t)lua_rawlen(L, seeds) : 0;
        if (n == 0 || n > DUET_MAX_SWEEP_VALUES)
            st = duet_error_set(err, DUET_EINVAL,
                                "%s: experiment: sweep.seeds must be a list of 1 to %d seeds",
                                cfg->where, DUET_MAX_SWEEP_VALUES);
        else if ((cfg->sweep_seeds = duet_calloc(n, sizeof *cfg->sweep_seeds)) == NULL)
            st = duet_error_set(err, DUET_ENOMEM, "out of memory reading the sweep");
        for (size_t i = 0; st == DUET_OK && i < n; i++) {
            lua_rawgeti(L, seeds, (lua_Integer)i + 1);
            int ok = lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 0;
            cfg->sweep_seeds[i] = ok ? (uint64_t)lua_tointeger(L, -1) : 0;
            lua_pop(L, 1);
            if (!ok)
                st = duet_error_set(err, DUET_EINVAL,
                                    "%s: experiment: sweep.seeds[%zu] is not a non-negative "
                                    "integer",
                                    cfg->where, i + 1);
            cfg->n_sweep_seeds = i + 1;
        }
    }
    lua_pop(L, 1);
done:
    lua_settop(L, idx - 1);
    return st;
}

/* ------------------------------------------------------------------ resolved text */

static void format_selector(duet_buf *b, const duet_method_config *m)
{
    duet_buf_puts(b, "selector = { type = ");
    duet_buf_put_lua_string(b, m->selector->name);
    duet_buf_puts(b, ", ");
    duet_options_format(m->selector->options, m->selector_options, b);
    duet_buf_puts(b, "}, ");
}

static duet_status format_resolved(duet_config *cfg, duet_error *err)
{
    duet_buf b = {0};
    duet_buf_puts(&b, "return {\n  name = ");
    duet_buf_put_lua_string(&b, cfg->name);
    duet_buf_puts(&b, ",\n  description = ");
    duet_buf_put_lua_string(&b, cfg->description);
    duet_buf_printf(&b, ",\n  seed = %llu,\n  trials = %lld,\n", (unsigned long long)cfg->seed,
                    (long long)cfg->trials);
    duet_buf_printf(&b, "  budget = { points = %lld, iterations = %lld, samples = %lld },\n",
                    (long long)cfg->points, (long long)cfg->iterations, (long long)cfg->samples);
    duet_buf_puts(&b, "  warm_start = { ");
    duet_options_format(warm_start_option_table, &cfg->warm_start, &b);
    duet_buf_puts(&b, "},\n  backend = { type = ");
    duet_buf_put_lua_string(&b, cfg->backend->name);
    duet_buf_puts(&b, ", ");
    duet_options_format(cfg->backend->options, cfg->backend_options, &b);
    duet_buf_puts(&b, "},\n  tasks = {\n");
    for (size_t i = 0; i < cfg->n_tasks; i++) {
        duet_buf_puts(&b, "    { name = ");
        duet_buf_put_lua_string(&b, cfg->tasks[i].name);
        duet_buf_puts(&b, ", ");
        duet_options_format(cfg->backend->task_options, cfg->tasks[i].options, &b);
        duet_buf_puts(&b, "},\n");
    }
    duet_buf_puts(&b, "  },\n  methods = {\n");
    for (size_t i = 0; i < cfg->n_methods; i++) {
        const duet_method_config *m = &cfg->methods[i];
        duet_buf_puts(&b, "    { name = ");
        duet_buf_put_lua_string(&b, m->label);
        duet_buf_puts(&b, ", type = ");
        duet_buf_put_lua_string(&b, m->type->name);
        duet_buf_printf(&b, ", samples = %lld, warm_start = %s, ", (long long)m->samples,
                        m->warm_start ? "true" : "false");
        if (m->options)
            duet_options_format(m->type->options, m->options, &b);
        format_selector(&b, m);
        duet_buf_puts(&b, "},\n");
    }
    duet_buf_puts(&b, "  },\n}\n");
    duet_status st = duet_buf_status(&b, err);
    if (st == DUET_OK)
        cfg->resolved = b.data;
    else
        duet_buf_free(&b);
    return st;
}

/* ------------------------------------------------------------------ limits */

static duet_status check_limits(duet_config *cfg, duet_error *err)
{
    double total = duet_config_evaluations(cfg);
    if (total > DUET_MAX_EVALUATIONS)
        return duet_error_set(err, DUET_ELIMIT,
                              "%s: experiment: %.3g evaluations in all (tasks x methods x trials x "
                              "(iterations x samples + warm start)) exceed the limit of %.0f; "
                              "lower trials, iterations or samples",
                              cfg->where, total, DUET_MAX_EVALUATIONS);
    return DUET_OK;
}

double duet_config_evaluations(const duet_config *cfg)
{
    double per_trial_methods = 0.0;
    for (size_t i = 0; i < cfg->n_methods; i++) {
        double warm = 0.0;
        if (cfg->methods[i].warm_start)
            warm = (double)duet_warm_start_points(&cfg->warm_start, 64);
        per_trial_methods += (double)cfg->iterations * (double)cfg->methods[i].samples + warm;
    }
    return (double)cfg->n_tasks * (double)cfg->trials * per_trial_methods;
}

size_t duet_warm_start_points(const duet_warm_start *ws, size_t n)
{
    switch (ws->design) {
    case DUET_WARM_UNIFORM:
        return 1;
    case DUET_WARM_DIRICHLET:
        return (size_t)ws->count;
    case DUET_WARM_VERTICES:
        return n;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ entry points */

/*
 * The location of `duet.experiment` in the script text, for when the builder was tail-called and
 * Lua kept no caller frame: the last line that mentions duet.experiment.
 */
static void experiment_line(const char *chunkname, const char *text, char *out, size_t size)
{
    const char *shown = chunkname[0] == '@' || chunkname[0] == '=' ? chunkname + 1 : chunkname;
    size_t line = 1, found = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            line++;
        else if (strncmp(p, "duet.experiment", 15) == 0)
            found = line;
    }
    if (found)
        snprintf(out, size, "%s:%zu", shown, found);
    else
        snprintf(out, size, "%s", shown);
}

static duet_status read_experiment(lua_State *L, int exp, const duet_load_options *opt,
                                   const char *fallback_where, duet_config *cfg, duet_error *err)
{
    char where[256];
    table_where(L, exp, fallback_where, where, sizeof where);
    if ((cfg->where = duet_strdup(where)) == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading the experiment");
    experiment_options e = {0};
    duet_status st = duet_options_from_lua(L, exp, experiment_option_table, &e, experiment_keys,
                                           where, "experiment", err);
    cfg->name = e.name;
    cfg->description = e.description;
    cfg->seed = (uint64_t)e.seed;
    cfg->trials = e.trials;
    if (st != DUET_OK)
        return st;
    if (cfg->name[0] == '\0' || strpbrk(cfg->name, "/\n") != NULL)
        return duet_error_set(err, DUET_EINVAL,
                              "%s: experiment: 'name' must be non-empty without '/' or newlines, "
                              "got \"%s\"",
                              where, cfg->name);
    if (opt && opt->seed_given)
        cfg->seed = opt->seed;
    if ((st = read_backend(L, exp, cfg, err)) != DUET_OK)
        return st;
    if ((st = read_budget(L, exp, cfg, err)) != DUET_OK)
        return st;
    if ((st = read_warm_start(L, exp, cfg, err)) != DUET_OK)
        return st;
    if ((st = read_tasks(L, exp, cfg, err)) != DUET_OK)
        return st;
    if ((st = read_methods(L, exp, cfg, err)) != DUET_OK)
        return st;
    if ((st = read_sweep(L, exp, cfg, err)) != DUET_OK)
        return st;
    if ((st = read_executor(L, exp, cfg, err)) != DUET_OK)
        return st;
    if ((st = check_limits(cfg, err)) != DUET_OK)
        return st;
    return format_resolved(cfg, err);
}

/* Applies the overrides to the experiment table at exp. */
static duet_status apply_sets(lua_State *L, int exp, const duet_load_options *opt, duet_error *err)
{
    for (size_t i = 0; opt && i < opt->n_sets; i++) {
        lua_getglobal(L, "require");
        lua_pushliteral(L, "duet.overrides");
        int rc = duet_lua_pcall_raw(L, 1, 1, 0);
        if (rc != LUA_OK) {
            duet_status st =
                duet_error_set(err, rc == LUA_ERRMEM ? DUET_ENOMEM : DUET_EIO,
                               "cannot load the override helper: %s", lua_tostring(L, -1));
            lua_pop(L, 1);
            return st;
        }
        duet_lua_rawfield(L, -1, "apply");
        lua_pushvalue(L, exp);
        lua_pushstring(L, opt->sets[i]);
        if ((rc = duet_lua_pcall_raw(L, 2, 0, 0)) != LUA_OK) {
            duet_status st = duet_error_set(err, rc == LUA_ERRMEM ? DUET_ENOMEM : DUET_EINVAL,
                                            "--set %s: %s", opt->sets[i], lua_tostring(L, -1));
            lua_pop(L, 2);
            return st;
        }
        lua_pop(L, 1);
    }
    return DUET_OK;
}

static duet_status load_chunk(lua_State *L, const char *text, size_t len, const char *chunkname,
                              const duet_load_options *opt, duet_config **out, duet_error *err)
{
    duet_config *cfg = duet_calloc(1, sizeof *cfg);
    if (cfg == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory loading an experiment");
    cfg->L = L;
    duet_status st = DUET_OK;
    int base = lua_gettop(L);
    if (opt)
        duet_lua_set_limits(L, opt->lua_max_bytes, opt->lua_max_instructions);
    if (opt && opt->sandbox && (st = duet_lua_sandbox(L, err)) != DUET_OK)
        goto fail;
    int rc = duet_lua_load(L, text, len, chunkname);
    if (rc != LUA_OK) {
        st = duet_error_set(err, rc == LUA_ERRMEM ? DUET_ENOMEM : DUET_EINVAL, "%s",
                            lua_tostring(L, -1));
        goto fail;
    }
    if ((st = duet_lua_pcall(L, 0, 1, err)) != DUET_OK)
        goto fail;
    /* From here C reads finished tables: no finalizer may run Lua code in between. */
    lua_gc(L, LUA_GCSTOP);
    int exp = lua_gettop(L);
    const char *shown = chunkname[0] == '@' || chunkname[0] == '=' ? chunkname + 1 : chunkname;
    if (lua_type(L, exp) != LUA_TTABLE || string_field(L, exp, "_kind") == NULL ||
        strcmp(string_field(L, exp, "_kind"), "experiment") != 0) {
        st = duet_error_set(err, DUET_EINVAL,
                            "%s: the script must end with `return duet.experiment { ... }`, but "
                            "it returned %s",
                            shown, lua_isnil(L, exp) ? "nothing" : luaL_typename(L, exp));
        goto fail;
    }
    if ((st = apply_sets(L, exp, opt, err)) != DUET_OK)
        goto fail;
    char fallback[512];
    experiment_line(chunkname, text, fallback, sizeof fallback);
    if ((st = read_experiment(L, exp, opt, fallback, cfg, err)) != DUET_OK)
        goto fail;
    lua_settop(L, base);
    lua_gc(L, LUA_GCRESTART);
    *out = cfg;
    return DUET_OK;
fail:
    lua_settop(L, base);
    lua_gc(L, LUA_GCRESTART);
    cfg->L = NULL; /* the caller closes L */
    duet_config_free(cfg);
    return st;
}

duet_status duet_config_load_string(const char *text, const char *chunkname,
                                    const duet_load_options *opt, duet_config **out,
                                    duet_error *err)
{
    lua_State *L = NULL;
    duet_status st = duet_lua_new_state(NULL, &L, err);
    if (st != DUET_OK)
        return st;
    st = load_chunk(L, text, strlen(text), chunkname, opt, out, err);
    if (st != DUET_OK) {
        duet_lua_close(L);
        return st;
    }
    (*out)->script_text = duet_strdup(text);
    (*out)->script_path = duet_strdup(chunkname[0] == '@' ? chunkname + 1 : chunkname);
    if ((*out)->script_text == NULL || (*out)->script_path == NULL) {
        duet_config_free(*out);
        *out = NULL;
        return duet_error_set(err, DUET_ENOMEM, "out of memory loading an experiment");
    }
    return DUET_OK;
}

duet_status duet_config_load(const char *script_path, const duet_load_options *opt,
                             duet_config **out, duet_error *err)
{
    char *text = NULL;
    size_t len = 0;
    duet_status st = duet_read_text_file(script_path, 1 << 24, &text, &len, err);
    if (st != DUET_OK)
        return st;
    if (strlen(text) != len) {
        duet_free(text);
        return duet_error_set(err, DUET_EINVAL,
                              "%s: the script contains a NUL byte; experiment scripts are text",
                              script_path);
    }
    lua_State *L = NULL;
    if ((st = duet_lua_new_state(script_path, &L, err)) != DUET_OK) {
        duet_free(text);
        return st;
    }
    char chunkname[1024];
    snprintf(chunkname, sizeof chunkname, "@%s", script_path);
    st = load_chunk(L, text, len, chunkname, opt, out, err);
    if (st != DUET_OK) {
        duet_lua_close(L);
        duet_free(text);
        return st;
    }
    (*out)->script_text = text;
    if (((*out)->script_path = duet_strdup(script_path)) == NULL) {
        duet_config_free(*out);
        *out = NULL;
        return duet_error_set(err, DUET_ENOMEM, "out of memory loading an experiment");
    }
    return DUET_OK;
}

void duet_config_free(duet_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n_tasks; i++) {
        duet_task_config *t = &cfg->tasks[i];
        if (t->options && cfg->backend)
            duet_options_free(cfg->backend->task_options, t->options);
        duet_free(t->options);
        duet_free(t->name);
        duet_free(t->where);
    }
    duet_free(cfg->tasks);
    for (size_t i = 0; i < cfg->n_methods; i++) {
        duet_method_config *m = &cfg->methods[i];
        if (m->options && m->type)
            duet_options_free(m->type->options, m->options);
        if (m->selector_options && m->selector)
            duet_options_free(m->selector->options, m->selector_options);
        duet_free(m->options);
        duet_free(m->selector_options);
        duet_free(m->label);
        duet_free(m->where);
    }
    duet_free(cfg->methods);
    for (size_t a = 0; a < cfg->n_sweep_axes; a++) {
        for (size_t v = 0; v < cfg->sweep_axes[a].n_values; v++)
            duet_free(cfg->sweep_axes[a].values[v]);
        duet_free(cfg->sweep_axes[a].values);
        duet_free(cfg->sweep_axes[a].key);
    }
    duet_free(cfg->sweep_axes);
    duet_free(cfg->sweep_seeds);
    if (cfg->backend_options && cfg->backend)
        duet_options_free(cfg->backend->options, cfg->backend_options);
    duet_free(cfg->backend_options);
    duet_free(cfg->backend_where);
    duet_executor_options_free(cfg->executor_options);
    duet_free(cfg->executor_options);
    duet_free(cfg->executor_where);
    duet_free(cfg->name);
    duet_free(cfg->description);
    duet_free(cfg->where);
    duet_free(cfg->script_path);
    duet_free(cfg->script_text);
    duet_free(cfg->resolved);
    if (cfg->L)
        duet_lua_close(cfg->L);
    duet_free(cfg);
}
