/*
 * Methods written in Lua. The experiment script defines
 *
 *     duet.method.lua { name = "mine",
 *                       init = function(env) return {} end,            -- optional
 *                       propose = function(state, t, rng) return {...} end,
 *                       observe = function(state, obs) end }            -- optional
 *
 * and the runner drives it like a C method: same budget, selector, logging and plots. `env`
 * holds n, domains, points, iterations, samples and goal; `t` counts iterations from 1; `rng` is
 * the iteration's random stream with methods uniform(), normal(), integer(n) and dirichlet(n)
 * (valid only during the call); obs holds iteration, warm_start, ratios, utility and samples.
 * propose must return n non-negative finite shares summing to 1 within 1e-9.
 */
#include <lauxlib.h>
#include <math.h>
#include <string.h>

#include "lua/luaduet.h"
#include "util/mem.h"
#include "util/simplex.h"

#define RNG_METATABLE "duet.rng"

typedef struct lua_method {
    lua_State *L;
    int table_ref;
    int state_ref;
    size_t n;
} lua_method;

typedef struct rng_handle {
    duet_rng *rng; /* NULL once the call that received it has returned */
} rng_handle;

static duet_rng *check_rng(lua_State *L)
{
    rng_handle *h = luaL_checkudata(L, 1, RNG_METATABLE);
    if (h->rng == NULL)
        luaL_error(L, "this random stream belongs to a propose call that has returned; use the "
                      "rng passed to the current call");
    return h->rng;
}

static int rng_uniform(lua_State *L)
{
    lua_pushnumber(L, duet_rng_uniform(check_rng(L)));
    return 1;
}

static int rng_normal(lua_State *L)
{
    lua_pushnumber(L, duet_rng_normal(check_rng(L)));
    return 1;
}

static int rng_integer(lua_State *L)
{
    duet_rng *rng = check_rng(L);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 1, 2, "the range must hold at least one integer");
    lua_pushinteger(L, (lua_Integer)duet_rng_below(rng, (uint64_t)n) + 1);
    return 1;
}

static int rng_dirichlet(lua_State *L)
{
    duet_rng *rng = check_rng(L);
    lua_Integer n = luaL_checkinteger(L, 2);
    double alpha = luaL_optnumber(L, 3, 1.0);
    luaL_argcheck(L, n >= 1 && n <= 4096, 2, "the dimension must be between 1 and 4096");
    luaL_argcheck(L, alpha > 0, 3, "the concentration must be positive");
    double draw[4096], alphas[4096];
    for (lua_Integer i = 0; i < n; i++)
        alphas[i] = alpha;
    duet_rng_dirichlet(rng, (size_t)n, alphas, draw);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_pushnumber(L, draw[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* Pushes a userdata wrapping rng; the caller invalidates it after the call. */
static rng_handle *push_rng(lua_State *L, duet_rng *rng)
{
    rng_handle *h = lua_newuserdatauv(L, sizeof *h, 0);
    h->rng = rng;
    if (luaL_newmetatable(L, RNG_METATABLE)) {
        static const luaL_Reg methods[] = {{"uniform", rng_uniform},
                                           {"normal", rng_normal},
                                           {"integer", rng_integer},
                                           {"dirichlet", rng_dirichlet},
                                           {NULL, NULL}};
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
    return h;
}

static void push_doubles(lua_State *L, const double *v, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void lua_method_destroy(void *state)
{
    lua_method *m = state;
    if (m == NULL)
        return;
    luaL_unref(m->L, LUA_REGISTRYINDEX, m->state_ref);
    duet_free(m);
}

static duet_status lua_method_create(const duet_method_env *env, const void *options, void **state,
                                     duet_error *err)
{
    const duet_lua_method_options *o = options;
    lua_method *m = duet_calloc(1, sizeof *m);
    if (m == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating a Lua method");
    m->L = o->L;
    m->table_ref = o->ref;
    m->n = env->n;
    m->state_ref = LUA_NOREF;
    lua_State *L = m->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, m->table_ref);
    duet_lua_rawfield(L, -1, "init");
    if (lua_isfunction(L, -1)) {
        lua_createtable(L, 0, 8);
        lua_pushinteger(L, (lua_Integer)env->n);
        lua_setfield(L, -2, "n");
        lua_createtable(L, (int)env->n, 0);
        for (size_t i = 0; i < env->n; i++) {
            lua_pushstring(L, env->domain_names[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_setfield(L, -2, "domains");
        lua_pushinteger(L, (lua_Integer)env->points);
        lua_setfield(L, -2, "points");
        lua_pushinteger(L, (lua_Integer)env->iterations);
        lua_setfield(L, -2, "iterations");
        lua_pushinteger(L, (lua_Integer)env->samples);
        lua_setfield(L, -2, "samples");
        lua_pushstring(L, env->goal == DUET_GOAL_MAXIMIZE ? "maximize" : "minimize");
        lua_setfield(L, -2, "goal");
        duet_status st = duet_lua_pcall(L, 1, 1, err);
        if (st != DUET_OK) {
            lua_pop(L, 1);
            duet_free(m);
            return duet_error_prefix(err, "init");
        }
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_newtable(L);
        }
    } else {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    m->state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    *state = m;
    return DUET_OK;
}

/* Reads the ratios returned by propose (at the top of the stack) into out. */
static duet_status read_ratios(lua_State *L, size_t n, double *out, duet_error *err)
{
    if (lua_type(L, -1) != LUA_TTABLE)
        return duet_error_set(err, DUET_EINVAL,
                              "propose must return a list of %zu shares, got a %s", n,
                              luaL_typename(L, -1));
    if (lua_rawlen(L, -1) != n)
        return duet_error_set(err, DUET_EINVAL,
                              "propose returned %zu shares but the task has %zu domains",
                              (size_t)lua_rawlen(L, -1), n);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, -1, (lua_Integer)i + 1);
        int ok = lua_type(L, -1) == LUA_TNUMBER;
        out[i] = ok ? lua_tonumber(L, -1) : NAN;
        lua_pop(L, 1);
        if (!ok || !isfinite(out[i]) || out[i] < 0)
            return duet_error_set(err, DUET_EINVAL,
                                  "propose returned share %zu = %g; shares must be finite and "
                                  "non-negative",
                                  i + 1, out[i]);
    }
    double violation = duet_simplex_violation(out, n);
    if (violation > 1e-9)
        return duet_error_set(err, DUET_EINVAL,
                              "propose returned shares that sum to 1 %+.3g; they must sum to 1",
                              violation);
    duet_simplex_normalize(out, n);
    return DUET_OK;
}

static duet_status lua_method_propose(void *state, size_t iteration, duet_rng *rng,
                                      duet_proposal *out, duet_error *err)
{
    lua_method *m = state;
    lua_State *L = m->L;
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, m->table_ref);
    duet_lua_rawfield(L, -1, "propose");
    lua_rawgeti(L, LUA_REGISTRYINDEX, m->state_ref);
    lua_pushinteger(L, (lua_Integer)iteration + 1);
    rng_handle *h = push_rng(L, rng);
    duet_status st = duet_lua_pcall(L, 3, 1, err);
    h->rng = NULL;
    if (st == DUET_OK)
        st = read_ratios(L, m->n, out->ratios, err);
    lua_settop(L, top);
    return st == DUET_OK ? DUET_OK
                         : duet_error_prefix(err, "propose at iteration %zu", iteration + 1);
}

static duet_status lua_method_observe(void *state, const duet_observation *obs, duet_error *err)
{
    lua_method *m = state;
    lua_State *L = m->L;
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, m->table_ref);
    duet_lua_rawfield(L, -1, "observe");
    if (!lua_isfunction(L, -1)) {
        lua_settop(L, top);
        return DUET_OK;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, m->state_ref);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, (lua_Integer)obs->iteration + 1);
    lua_setfield(L, -2, "iteration");
    lua_pushboolean(L, obs->warm_start);
    lua_setfield(L, -2, "warm_start");
    push_doubles(L, obs->ratios, m->n);
    lua_setfield(L, -2, "ratios");
    lua_pushnumber(L, obs->utility);
    lua_setfield(L, -2, "utility");
    push_doubles(L, obs->sample_utilities, obs->k);
    lua_setfield(L, -2, "samples");
    duet_status st = duet_lua_pcall(L, 2, 0, err);
    lua_settop(L, top);
    return st == DUET_OK ? DUET_OK : duet_error_prefix(err, "observe");
}

static const duet_option lua_method_option_table[] = {{NULL}};

const duet_method_type duet_method_lua = {
    .name = "lua",
    .summary = "a method whose propose and observe functions are written in the experiment script",
    .default_selector = "uniform",
    .flags = DUET_METHOD_WARM_START,
    .options = lua_method_option_table,
    .options_size = sizeof(duet_lua_method_options),
    .create = lua_method_create,
    .destroy = lua_method_destroy,
    .propose = lua_method_propose,
    .observe = lua_method_observe,
};
