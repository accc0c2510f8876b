/*
 * The Lua state used to run experiment scripts, and the `duet.core` C module that the Lua half
 * of the duet module (lua/duet.lua) builds on: the registered names and the program version.
 *
 * Every state is bounded: its allocator counts the bytes Lua holds and refuses to go past a cap,
 * and a count hook raises an error when one protected call runs more than a set number of VM
 * instructions, so a hostile or buggy script ends with an error instead of exhausting memory or
 * running forever. Lua reports a refused allocation by a long jump, which is safe only inside a
 * protected call; the invariant is that the cap and the library's fault-injection countdown
 * apply only while a protected call made through this file (or lua_close, whose finalizers Lua
 * itself protects) is running. Outside those, the loader reads finished tables with raw access
 * and the collector stopped, so no Lua code runs and only small allocations happen.
 */
#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/executors.h"
#include "lua/luaduet.h"
#include "run/registry.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

#ifndef DUET_LUA_DIR
#define DUET_LUA_DIR "lua"
#endif
#ifndef DUET_VERSION
#define DUET_VERSION "0"
#endif

/* Instructions between two calls of the count hook. */
#define HOOK_STRIDE 10000

/* What one state may use; the allocator's user data, freed by duet_lua_close. */
typedef struct lua_budget {
    size_t used;               /* bytes Lua holds now */
    size_t max_bytes;          /* cap on `used` while armed */
    uint64_t max_instructions; /* per outermost protected call */
    uint64_t instructions;     /* run (and charged for allocations) since the outermost call */
    int depth;                 /* protected calls in progress (armed when > 0) */
    int closing;               /* lua_close is running (cap applies, no fault injection) */
    int cap_hit;               /* an allocation was refused for the cap since the last call */
    int work_hit;              /* ... or because the call had used up its instructions */
    int grace;                 /* > 0: an error message is being built, allow its memory */
} lua_budget;

static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    lua_budget *b = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        b->used -= old;
        return NULL;
    }
    int armed = b->depth > 0 || b->closing;
    size_t room = b->used < b->max_bytes ? b->max_bytes - b->used : 0;
    if (armed && nsize > old && nsize - old > room) {
        b->cap_hit = 1;
        return NULL;
    }
    /*
     * The count hook runs only every HOOK_STRIDE instructions, and a few instructions can copy
     * gigabytes (string.rep in a loop), so a call over its budget gets no more memory.
     */
    if (b->depth > 0 && nsize > old && b->instructions > b->max_instructions && !b->grace) {
        b->work_hit = 1;
        return NULL;
    }
    /* duet_realloc consults the fault-injection countdown; plain realloc does not. */
    void *p = b->depth > 0 ? duet_realloc(ptr, nsize) : realloc(ptr, nsize);
    if (p == NULL)
        return NULL;
    /* Filling new memory is work the VM does not count; charge it, at 8 bytes an instruction. */
    if (b->depth > 0 && nsize > old)
        b->instructions += (nsize - old) / 8;
    b->used = b->used - old + nsize;
    return p;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    void *ud;
    lua_getallocf(L, &ud);
    lua_budget *b = ud;
    b->instructions += HOOK_STRIDE;
    if (b->instructions <= b->max_instructions)
        return;
    /*
     * From now on the hook runs at every instruction, so a script that catches this error with
     * pcall gets it again at its next instruction and cannot go on.
     */
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    lua_getinfo(L, "Sl", ar);
    b->grace = 1;
    lua_pushfstring(L,
                    "%s:%d: the script ran more than %I Lua instructions in one call without "
                    "finishing; it probably loops forever",
                    ar->short_src, ar->currentline, (lua_Integer)b->max_instructions);
    b->grace = 0;
    lua_error(L);
}

/*
 * setmetatable and debug.setmetatable without __gc: Lua runs finalizers with hooks switched off,
 * so a finalizer that never returns could not be stopped by the instruction limit.
 */
static int guarded_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE && duet_lua_rawfield(L, 2, "__gc") != LUA_TNIL) {
        luaL_where(L, 1);
        lua_pushliteral(L, "setmetatable: a metatable with __gc is not allowed in experiment "
                           "scripts, because a finalizer cannot be interrupted");
        lua_concat(L, 2);
        return lua_error(L);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/*
 * string.rep that returns "" at once when the result is empty: the C loop of Lua 5.4 still runs
 * n times for an empty string, which the instruction limit counts as one instruction.
 * NOTE: other library functions also run as one instruction, so a pathological pattern given
 * to string.find or string.gsub can still run for long before the limit is checked.
 */
static int bounded_rep(lua_State *L)
{
    size_t len = 0, sep_len = 0;
    luaL_checklstring(L, 1, &len);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &sep_len);
    if (n <= 0 || len + sep_len == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Replaces table[name] (the table on top of the stack) by the guarded setmetatable. */
static void guard_setmetatable(lua_State *L, const char *name)
{
    if (duet_lua_rawfield(L, -1, name) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return;
    }
    lua_pushcclosure(L, guarded_setmetatable, 1);
    lua_setfield(L, -2, name);
}

static lua_budget *budget_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

void duet_lua_set_limits(lua_State *L, size_t max_bytes, uint64_t max_instructions)
{
    lua_budget *b = budget_of(L);
    if (max_bytes > 0)
        b->max_bytes = max_bytes;
    if (max_instructions > 0)
        b->max_instructions = max_instructions;
}

void duet_lua_close(lua_State *L)
{
    if (L == NULL)
        return;
    lua_budget *b = budget_of(L);
    b->closing = 1;
    b->depth = 0;
    lua_close(L);
    duet_free(b);
}

int duet_lua_pcall_raw(lua_State *L, int nargs, int nresults, int msgh)
{
    lua_budget *b = budget_of(L);
    if (b->depth++ == 0) {
        b->instructions = 0;
        b->cap_hit = 0;
        b->work_hit = 0;
        b->grace = 0;
        lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STRIDE);
    }
    int rc = lua_pcall(L, nargs, nresults, msgh);
    b->depth--;
    return rc;
}

/* Removes what reaches outside the process or its files; run as a protected call. */
static int sandbox_state(lua_State *L)
{
    static const char *const globals[] = {"io", "print", "dofile", "loadfile", NULL};
    static const char *const os_fields[] = {"exit",    "execute",   "remove", "rename",
                                            "tmpname", "setlocale", NULL};
    for (const char *const *g = globals; *g; g++) {
        lua_pushnil(L);
        lua_setglobal(L, *g);
    }
    lua_getglobal(L, "os");
    for (const char *const *f = os_fields; *f; f++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *f);
    }
    lua_getglobal(L, "package");
    lua_pushnil(L);
    lua_setfield(L, -2, "loadlib");
    lua_pushliteral(L, "");
    lua_setfield(L, -2, "cpath");
    return 0;
}

duet_status duet_lua_sandbox(lua_State *L, duet_error *err)
{
    lua_pushcfunction(L, sandbox_state);
    return duet_lua_pcall(L, 0, 0, err);
}

int duet_lua_load(lua_State *L, const char *text, size_t len, const char *chunkname)
{
    /* lua_load protects itself, so its allocations may fail like those of a protected call. */
    lua_budget *b = budget_of(L);
    b->depth++;
    int rc = luaL_loadbufferx(L, text, len, chunkname, "t");
    b->depth--;
    return rc;
}

int duet_lua_rawfield(lua_State *L, int idx, const char *key)
{
    idx = lua_absindex(L, idx);
    lua_pushstring(L, key);
    return lua_rawget(L, idx);
}

/* Pushes a Lua list of the `name` fields of a NULL-terminated array of descriptors. */
#define PUSH_NAMES(L, array)                                                                       \
    do {                                                                                           \
        lua_newtable(L);                                                                           \
        for (int i_ = 0; (array)[i_]; i_++) {                                                      \
            lua_pushstring(L, (array)[i_]->name);                                                  \
            lua_rawseti(L, -2, i_ + 1);                                                            \
        }                                                                                          \
    } while (0)

static int core_backends(lua_State *L)
{
    PUSH_NAMES(L, duet_backends);
    return 1;
}

static int core_methods(lua_State *L)
{
    /* Lua-defined methods are built by duet.method.lua, which is not in the C registry. */
    lua_newtable(L);
    const duet_method_type *m;
    for (size_t i = 0; (m = duet_method_at(i)) != NULL; i++) {
        lua_pushstring(L, m->name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int core_selectors(lua_State *L)
{
    PUSH_NAMES(L, duet_selectors);
    return 1;
}

static int core_executors(lua_State *L)
{
    PUSH_NAMES(L, duet_executor_types);
    return 1;
}

static int open_core(lua_State *L)
{
    static const luaL_Reg functions[] = {
        {"backends", core_backends},
        {"methods", core_methods},
        {"selectors", core_selectors},
        {"executors", core_executors},
        {NULL, NULL},
    };
    luaL_newlib(L, functions);
    lua_pushstring(L, DUET_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}

static int message_handler(lua_State *L)
{
    budget_of(L)->grace = 1; /* reset by the next protected call if this one fails */
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    budget_of(L)->grace = 0;
    return 1;
}

duet_status duet_lua_pcall(lua_State *L, int nargs, int nresults, duet_error *err)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    int rc = duet_lua_pcall_raw(L, nargs, nresults, base);
    lua_remove(L, base);
    if (rc == LUA_OK)
        return DUET_OK;
    const char *msg = lua_tostring(L, -1);
    char text[DUET_ERROR_MSG_MAX];
    snprintf(text, sizeof text, "%s", msg ? msg : "unknown Lua error");
    /* The traceback follows the message after a newline; keep it only when asked for. */
    char *cut = strstr(text, "\nstack traceback:");
    if (cut && getenv("DUET_LUA_TRACEBACK") == NULL)
        *cut = '\0';
    lua_pop(L, 1);
    lua_budget *b = budget_of(L);
    if (rc == LUA_ERRMEM && b->cap_hit) {
        b->cap_hit = 0;
        return duet_error_set(err, DUET_ELIMIT,
                              "the script needs more than %zu MiB of Lua memory, the limit of "
                              "an experiment script; it probably builds tables without end",
                              b->max_bytes >> 20);
    }
    if (rc == LUA_ERRMEM && b->work_hit) {
        b->work_hit = 0;
        return duet_error_set(err, DUET_ELIMIT,
                              "the script did more than %llu Lua instructions of work in one "
                              "call (8 bytes of new memory count as one); it probably loops "
                              "forever",
                              (unsigned long long)b->max_instructions);
    }
    return duet_error_set(err, rc == LUA_ERRMEM ? DUET_ENOMEM : DUET_EINVAL, "%s", text);
}

/* Opens the libraries and sets package.preload and package.path; run as a protected call. */
static int init_state(lua_State *L)
{
    const char *path = lua_touserdata(L, 1);
    luaL_openlibs(L);
    lua_pushglobaltable(L);
    guard_setmetatable(L, "setmetatable");
    lua_pop(L, 1);
    lua_getglobal(L, "debug");
    guard_setmetatable(L, "setmetatable");
    lua_pushnil(L); /* debug.sethook would lift the instruction limit */
    lua_setfield(L, -2, "sethook");
    lua_pop(L, 1);
    lua_getglobal(L, "string");
    lua_getfield(L, -1, "rep");
    lua_pushcclosure(L, bounded_rep, 1);
    lua_setfield(L, -2, "rep");
    lua_pop(L, 1);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, open_core);
    lua_setfield(L, -2, "duet.core");
    lua_pop(L, 1);
    lua_getfield(L, -1, "path");
    lua_pushstring(L, path);
    lua_insert(L, -2);
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
    return 0;
}

duet_status duet_lua_new_state(const char *script_path, lua_State **out, duet_error *err)
{
    duet_buf path = {0};
    const char *extra = getenv("DUET_LUA_PATH");
    if (extra && *extra)
        duet_buf_printf(&path, "%s/?.lua;%s/?/init.lua;", extra, extra);
    duet_buf_printf(&path, "%s/?.lua;%s/?/init.lua;", DUET_LUA_DIR, DUET_LUA_DIR);
    if (script_path) {
        char dir[4096];
        duet_path_dirname(script_path, dir, sizeof dir);
        duet_buf_printf(&path, "%s/?.lua;", dir);
    }
    duet_status st = duet_buf_status(&path, err);
    lua_budget *b = st == DUET_OK ? duet_calloc(1, sizeof *b) : NULL;
    if (st == DUET_OK && b == NULL)
        st = duet_error_set(err, DUET_ENOMEM, "out of memory creating the Lua interpreter");
    if (st != DUET_OK) {
        duet_buf_free(&path);
        return st;
    }
    b->max_bytes = DUET_LUA_MAX_BYTES;
    b->max_instructions = DUET_LUA_MAX_INSTRUCTIONS;
    b->depth = 1; /* lua_newstate protects its own allocations */
    lua_State *L = lua_newstate(budget_alloc, b);
    b->depth = 0;
    if (L == NULL) {
        duet_free(b);
        duet_buf_free(&path);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating the Lua interpreter");
    }
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STRIDE);
    lua_pushcfunction(L, init_state);
    lua_pushlightuserdata(L, (void *)duet_buf_str(&path));
    st = duet_lua_pcall(L, 1, 0, err);
    duet_buf_free(&path);
    if (st != DUET_OK) {
        duet_lua_close(L);
        return st;
    }
    *out = L;
    return DUET_OK;
}
