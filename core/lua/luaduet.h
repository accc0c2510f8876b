/* The embedded Lua interpreter: state creation with the duet module path, protected calls. */
#ifndef DUET_LUADUET_H
#define DUET_LUADUET_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "run/method.h"
#include "util/error.h"

/*
 * Default limits of every state: bytes Lua may hold (1 GiB) and VM instructions one protected
 * call may run (5 x 10^8, about four seconds; every 8 bytes allocated count as one more), after
 * which the call fails with an error that says so.
 */
#define DUET_LUA_MAX_BYTES        ((size_t)1 << 30)
#define DUET_LUA_MAX_INSTRUCTIONS UINT64_C(500000000)

/*
 * Creates a Lua state with the standard libraries, `duet.core` preloaded, and package.path
 * extended with $DUET_LUA_PATH (if set), the project's lua/ folder and the folder of
 * script_path (may be NULL). setmetatable refuses metatables with __gc and debug.sethook is
 * absent, so that the instruction limit holds. The state has the default limits above; close it
 * with duet_lua_close, never lua_close.
 */
duet_status duet_lua_new_state(const char *script_path, lua_State **out, duet_error *err);

/*
 * Takes away from the state's scripts what reaches outside the process: io, print, dofile,
 * loadfile, os.exit/execute/remove/rename/tmpname/setlocale, package.loadlib and C modules.
 * For running untrusted text (the fuzz harness); experiment scripts keep these by default.
 */
duet_status duet_lua_sandbox(lua_State *L, duet_error *err);

/* Replaces the limits of a state made by duet_lua_new_state; 0 keeps a limit as it is. */
void duet_lua_set_limits(lua_State *L, size_t max_bytes, uint64_t max_instructions);

/* Closes a state made by duet_lua_new_state and frees its accounting; NULL is a no-op. */
void duet_lua_close(lua_State *L);

/*
 * lua_pcall for states made by duet_lua_new_state: inside it the memory cap, the instruction
 * limit (counted from the outermost such call) and the fault-injection countdown apply.
 * Returns lua_pcall's code.
 */
int duet_lua_pcall_raw(lua_State *L, int nargs, int nresults, int msgh);

/* luaL_loadbufferx of text (no binary chunks) under the memory cap; returns its code. */
int duet_lua_load(lua_State *L, const char *text, size_t len, const char *chunkname);

/* Pushes t[key] of the table at idx without metamethods; returns its type. */
int duet_lua_rawfield(lua_State *L, int idx, const char *key);

/*
 * lua_pcall with a message handler; on error stores "file:line: message" in err (the traceback
 * is kept after a blank line when DUET_LUA_TRACEBACK is set in the environment) and returns
 * DUET_EINVAL, DUET_ENOMEM when an allocation failed, or DUET_ELIMIT when the call went past
 * the state's memory cap or used up its instructions by allocating.
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
