/* The embedded Lua interpreter: state creation with the duet module path, protected calls. */
#ifndef DUET_LUADUET_H
#define DUET_LUADUET_H

#include <lua.h>

#include "run/method.h"
#include "util/error.h"

/*
 * Creates a Lua state with the standard libraries, `duet.core` preloaded, and package.path
 * extended with $DUET_LUA_PATH (if set), the project's lua/ folder and the folder of
 * script_path (may be NULL).
 */
duet_status duet_lua_new_state(const char *script_path, lua_State **out, duet_error *err);

/*
 * lua_pcall with a message handler; on error stores "file:line: message" in err (the traceback
 * is kept after a blank line when DUET_LUA_TRACEBACK is set in the environment) and returns
 * DUET_EINVAL.
 */
duet_status duet_lua_pcall(lua_State *L, int nargs, int nresults, duet_error *err);

/* A method whose propose and observe functions are written in Lua (see lua/duet.lua). */
extern const duet_method_type duet_method_lua;

/* Options of a Lua-defined method: the state that holds its table and the table's reference. */
typedef struct duet_lua_method_options {
    lua_State *L;
    int ref;
} duet_lua_method_options;

#endif
