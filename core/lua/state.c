/*
 * The Lua state used to run experiment scripts, and the `duet.core` C module that the Lua half
 * of the duet module (lua/duet.lua) builds on: the registered names and the program version.
 */
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/executors.h"
#include "lua/luaduet.h"
#include "run/registry.h"
#include "util/buf.h"
#include "util/fileio.h"

#ifndef DUET_LUA_DIR
#define DUET_LUA_DIR "lua"
#endif
#ifndef DUET_VERSION
#define DUET_VERSION "0"
#endif

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
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

duet_status duet_lua_pcall(lua_State *L, int nargs, int nresults, duet_error *err)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nresults, base);
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
    return duet_error_set(err, rc == LUA_ERRMEM ? DUET_ENOMEM : DUET_EINVAL, "%s", text);
}

duet_status duet_lua_new_state(const char *script_path, lua_State **out, duet_error *err)
{
    lua_State *L = luaL_newstate();
    if (L == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating the Lua interpreter");
    luaL_openlibs(L);

    /* package.preload["duet.core"] = open_core */
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, open_core);
    lua_setfield(L, -2, "duet.core");
    lua_pop(L, 1);

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
    lua_getfield(L, -1, "path");
    duet_buf_puts(&path, lua_tostring(L, -1) ? lua_tostring(L, -1) : "");
    lua_pop(L, 1);
    duet_status st = duet_buf_status(&path, err);
    if (st == DUET_OK) {
        lua_pushstring(L, duet_buf_str(&path));
        lua_setfield(L, -2, "path");
    }
    lua_pop(L, 1);
    duet_buf_free(&path);
    if (st != DUET_OK) {
        lua_close(L);
        return st;
    }
    *out = L;
    return DUET_OK;
}
