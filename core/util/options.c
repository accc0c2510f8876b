/*
 * Option tables: defaults, parsing from Lua tables with type and range checks, help text and
 * serialization back to Lua syntax. Every message starts with the caller's location so that a
 * user can find the offending line of the experiment script.
 */
#include "util/options.h"

#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lua/luaduet.h"
#include "util/buf.h"
#include "util/mem.h"

#define FIELD(dest, opt, type)  ((type *)((char *)(dest) + (opt)->offset))
#define CFIELD(dest, opt, type) ((const type *)((const char *)(dest) + (opt)->offset))

const duet_option *duet_option_find(const duet_option *spec, const char *name)
{
    for (const duet_option *o = spec; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/* Returns the index of `name` among the '|'-separated choices, or -1. */
static int choice_index(const char *choices, const char *name)
{
    size_t len = strlen(name);
    int index = 0;
    for (const char *p = choices; p && *p; index++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0)
            return index;
        if (!bar)
            break;
        p = bar + 1;
    }
    return -1;
}

const char *duet_option_choice_name(const duet_option *option, int index)
{
    static char name[64];
    const char *p = option->choices;
    for (int i = 0; p && *p; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (i == index) {
            if (n >= sizeof name)
                n = sizeof name - 1;
            memcpy(name, p, n);
            name[n] = '\0';
            return name;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    return "?";
}

static const char *type_name(duet_option_type type)
{
    switch (type) {
    case DUET_OPT_INT:
        return "integer";
    case DUET_OPT_DOUBLE:
        return "number";
    case DUET_OPT_BOOL:
        return "boolean";
    case DUET_OPT_STRING:
        return "string";
    case DUET_OPT_ENUM:
        return "choice";
    case DUET_OPT_DOUBLES:
        return "list of numbers";
    case DUET_OPT_STRINGS:
        return "list of strings";
    }
    return "value";
}

/* Writes a bound: whole numbers in full (9007199254740992, not 9.007199255e+15). */
static void bound_text(double v, char *out, size_t size)
{
    if (v == floor(v) && fabs(v) < 1e18)
        snprintf(out, size, "%.0f", v);
    else
        snprintf(out, size, "%.10g", v);
}

/* Writes "between MIN and MAX" style range text for a numeric option into out. */
static void range_text(const duet_option *o, char *out, size_t size)
{
    int has_min = isfinite(o->min), has_max = isfinite(o->max) && o->max > o->min;
    char lo[32], hi[32];
    bound_text(o->min, lo, sizeof lo);
    bound_text(o->max, hi, sizeof hi);
    if (has_min && has_max)
        snprintf(out, size, "between %s and %s", lo, hi);
    else if (has_min)
        snprintf(out, size, "at least %s", lo);
    else if (has_max)
        snprintf(out, size, "at most %s", hi);
    else
        snprintf(out, size, "finite");
}

static int in_range(const duet_option *o, double x)
{
    if (isfinite(o->min) && x < o->min)
        return 0;
    if (isfinite(o->max) && o->max > o->min && x > o->max)
        return 0;
    return 1;
}

/* Frees a list field of dest. */
static void free_field(const duet_option *o, void *dest)
{
    switch (o->type) {
    case DUET_OPT_STRING: {
        char **s = FIELD(dest, o, char *);
        duet_free(*s);
        *s = NULL;
        break;
    }
    case DUET_OPT_DOUBLES: {
        duet_doubles *d = FIELD(dest, o, duet_doubles);
        duet_free(d->v);
        d->v = NULL;
        d->n = 0;
        break;
    }
    case DUET_OPT_STRINGS: {
        duet_strings *s = FIELD(dest, o, duet_strings);
        for (size_t i = 0; i < s->n; i++)
            duet_free(s->v[i]);
        duet_free(s->v);
        s->v = NULL;
        s->n = 0;
        break;
    }
    default:
        break;
    }
}

void duet_options_free(const duet_option *spec, void *dest)
{
    for (const duet_option *o = spec; o && o->name; o++)
        free_field(o, dest);
}

/* Counts comma-separated entries of a textual list default ("" has none). */
static size_t list_count(const char *text)
{
    if (*text == '\0')
        return 0;
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    return n;
}

static duet_status parse_default(const duet_option *o, void *dest, duet_error *err)
{
    const char *t = o->default_value;
    char *end = NULL;
    switch (o->type) {
    case DUET_OPT_INT:
        *FIELD(dest, o, int64_t) = strtoll(t, &end, 10);
        break;
    case DUET_OPT_DOUBLE:
        *FIELD(dest, o, double) = strtod(t, &end);
        break;
    case DUET_OPT_BOOL:
        *FIELD(dest, o, int) = strcmp(t, "true") == 0;
        end = (char *)t + ((strcmp(t, "true") == 0 || strcmp(t, "false") == 0) ? strlen(t) : 0);
        break;
    case DUET_OPT_STRING:
        free_field(o, dest);
        *FIELD(dest, o, char *) = duet_strdup(t);
        if (*FIELD(dest, o, char *) == NULL)
            return duet_error_set(err, DUET_ENOMEM, "out of memory setting option '%s'", o->name);
        return DUET_OK;
    case DUET_OPT_ENUM: {
        int index = choice_index(o->choices, t);
        if (index < 0)
            return duet_error_set(err, DUET_EINVAL,
                                  "option table bug: default '%s' of '%s' is not among '%s'", t,
                                  o->name, o->choices);
        *FIELD(dest, o, int) = index;
        return DUET_OK;
    }
    case DUET_OPT_DOUBLES: {
        free_field(o, dest);
        duet_doubles *d = FIELD(dest, o, duet_doubles);
        size_t n = list_count(t);
        d->v = duet_calloc(n ? n : 1, sizeof *d->v);
        if (d->v == NULL)
            return duet_error_set(err, DUET_ENOMEM, "out of memory setting option '%s'", o->name);
        const char *p = t;
        for (size_t i = 0; i < n; i++) {
            d->v[i] = strtod(p, &end);
            p = *end == ',' ? end + 1 : end;
        }
        d->n = n;
        return DUET_OK;
    }
    case DUET_OPT_STRINGS: {
        free_field(o, dest);
        duet_strings *s = FIELD(dest, o, duet_strings);
        size_t n = list_count(t);
        s->v = duet_calloc(n ? n : 1, sizeof *s->v);
        if (s->v == NULL)
            return duet_error_set(err, DUET_ENOMEM, "out of memory setting option '%s'", o->name);
        const char *p = t;
        for (size_t i = 0; i < n; i++, s->n++) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            s->v[i] = duet_malloc(len + 1);
            if (s->v[i] == NULL)
                return duet_error_set(err, DUET_ENOMEM, "out of memory setting option '%s'",
                                      o->name);
            memcpy(s->v[i], p, len);
            s->v[i][len] = '\0';
            p = comma ? comma + 1 : p + len;
        }
        return DUET_OK;
    }
    }
    if (end == NULL || *end != '\0')
        return duet_error_set(err, DUET_EINVAL,
                              "option table bug: default '%s' of '%s' is not a %s", t, o->name,
                              type_name(o->type));
    return DUET_OK;
}

duet_status duet_options_defaults(const duet_option *spec, void *dest, duet_error *err)
{
    for (const duet_option *o = spec; o && o->name; o++) {
        if (o->default_value == NULL)
            continue;
        duet_status st = parse_default(o, dest, err);
        if (st != DUET_OK)
            return st;
    }
    return DUET_OK;
}

/* Describes the Lua value at idx for an error message: 3, "abc", a table, nil. */
static void describe_value(lua_State *L, int idx, char *out, size_t size)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(out, size, "%lld", (long long)lua_tointeger(L, idx));
        else
            snprintf(out, size, "%.17g", lua_tonumber(L, idx));
        break;
    case LUA_TSTRING:
        snprintf(out, size, "\"%.60s\"", lua_tostring(L, idx));
        break;
    case LUA_TBOOLEAN:
        snprintf(out, size, "%s", lua_toboolean(L, idx) ? "true" : "false");
        break;
    default:
        snprintf(out, size, "a %s", luaL_typename(L, idx));
    }
}

/* Edit distance between two short strings (for "did you mean"). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diagonal + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = up;
        }
    }
    return row[lb];
}

/* The known option name nearest to key, or NULL if none is close. */
static const char *nearest_name(const duet_option *spec, const char *const *extra, const char *key)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (const duet_option *o = spec; o && o->name; o++) {
        size_t d = edit_distance(key, o->name);
        if (d < best_d) {
            best_d = d;
            best = o->name;
        }
    }
    for (const char *const *e = extra; e && *e; e++) {
        size_t d = edit_distance(key, *e);
        if (d < best_d) {
            best_d = d;
            best = *e;
        }
    }
    return best;
}

/* Appends the known option names of spec to b, comma-separated. */
static void list_names(duet_buf *b, const duet_option *spec, const char *const *extra)
{
    int first = 1;
    for (const duet_option *o = spec; o && o->name; o++, first = 0)
        duet_buf_printf(b, "%s%s", first ? "" : ", ", o->name);
    for (const char *const *e = extra; e && *e; e++, first = 0)
        duet_buf_printf(b, "%s%s", first ? "" : ", ", *e);
}

static duet_status unknown_key(lua_State *L, const duet_option *spec, const char *const *ignore,
                               const char *where, const char *context, duet_error *err)
{
    if (lua_type(L, -2) != LUA_TSTRING) {
        char value[96];
        describe_value(L, -1, value, sizeof value);
        return duet_error_set(err, DUET_EINVAL,
                              "%s: %s: unexpected positional entry %s; write options as "
                              "name = value",
                              where, context, value);
    }
    const char *key = lua_tostring(L, -2);
    const char *near = nearest_name(spec, ignore, key);
    duet_buf names = {0};
    list_names(&names, spec, ignore);
    if (near)
        duet_error_set(err, DUET_EINVAL, "%s: %s: unknown option '%s'; did you mean '%s'?", where,
                       context, key, near);
    else
        duet_error_set(err, DUET_EINVAL, "%s: %s: unknown option '%s'; known options are: %s",
                       where, context, key, duet_buf_str(&names));
    duet_buf_free(&names);
    return DUET_EINVAL;
}

static duet_status bad_value(lua_State *L, int idx, const duet_option *o, const char *what,
                             const char *where, const char *context, duet_error *err)
{
    char value[96];
    describe_value(L, idx, value, sizeof value);
    return duet_error_set(err, DUET_EINVAL, "%s: %s: option '%s' must be %s, got %s", where,
                          context, o->name, what, value);
}

/* Checks that the table at idx is a sequence 1..n and returns n, or -1. */
static lua_Integer sequence_length(lua_State *L, int idx)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), keys = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1)) {
            lua_pop(L, 1);
            return -1;
        }
        keys++;
    }
    return keys == n ? n : -1;
}

static duet_status read_number_list(lua_State *L, int idx, const duet_option *o, void *dest,
                                    const char *where, const char *context, duet_error *err)
{
    char what[160];
    char range[96];
    range_text(o, range, sizeof range);
    snprintf(what, sizeof what, "a list of finite numbers (entries %s)", range);
    if (lua_type(L, idx) != LUA_TTABLE)
        return bad_value(L, idx, o, what, where, context, err);
    lua_Integer n = sequence_length(L, idx);
    if (n < 0 || !in_range(o, (double)n) || n > DUET_OPTION_LIST_MAX)
        return bad_value(L, idx, o, what, where, context, err);
    free_field(o, dest);
    duet_doubles *d = FIELD(dest, o, duet_doubles);
    d->v = duet_calloc((size_t)(n ? n : 1), sizeof *d->v);
    if (d->v == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading option '%s'", o->name);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        int ok = lua_type(L, -1) == LUA_TNUMBER && isfinite(lua_tonumber(L, -1));
        if (ok)
            d->v[d->n++] = lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (!ok) {
            lua_rawgeti(L, idx, i);
            snprintf(what, sizeof what, "a list of finite numbers (entry %lld is not)",
                     (long long)i);
            duet_status st = bad_value(L, lua_gettop(L), o, what, where, context, err);
            lua_pop(L, 1);
            return st;
        }
    }
    return DUET_OK;
}

static duet_status read_string_list(lua_State *L, int idx, const duet_option *o, void *dest,
                                    const char *where, const char *context, duet_error *err)
{
    char what[160];
    char range[96];
    range_text(o, range, sizeof range);
    snprintf(what, sizeof what, "a string or a list of strings (entries %s)", range);
    free_field(o, dest);
    duet_strings *s = FIELD(dest, o, duet_strings);
    if (lua_type(L, idx) == LUA_TSTRING) {
        if (!in_range(o, 1.0))
            return bad_value(L, idx, o, what, where, context, err);
        s->v = duet_calloc(1, sizeof *s->v);
        if (s->v == NULL || (s->v[0] = duet_strdup(lua_tostring(L, idx))) == NULL)
            return duet_error_set(err, DUET_ENOMEM, "out of memory reading option '%s'", o->name);
        s->n = 1;
        return DUET_OK;
    }
    if (lua_type(L, idx) != LUA_TTABLE)
        return bad_value(L, idx, o, what, where, context, err);
    lua_Integer n = sequence_length(L, idx);
    if (n < 0 || !in_range(o, (double)n) || n > DUET_OPTION_LIST_MAX)
        return bad_value(L, idx, o, what, where, context, err);
    s->v = duet_calloc((size_t)(n ? n : 1), sizeof *s->v);
    if (s->v == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading option '%s'", o->name);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        if (lua_type(L, -1) != LUA_TSTRING) {
            snprintf(what, sizeof what, "a list of strings (entry %lld is not a string)",
                     (long long)i);
            duet_status st = bad_value(L, lua_gettop(L), o, what, where, context, err);
            lua_pop(L, 1);
            return st;
        }
        s->v[s->n] = duet_strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
        if (s->v[s->n] == NULL)
            return duet_error_set(err, DUET_ENOMEM, "out of memory reading option '%s'", o->name);
        s->n++;
    }
    return DUET_OK;
}

/* Reads the value at the top of the stack into o's field. */
static duet_status read_value(lua_State *L, const duet_option *o, void *dest, const char *where,
                              const char *context, duet_error *err)
{
    int idx = lua_gettop(L);
    char what[160], range[96];
    range_text(o, range, sizeof range);
    switch (o->type) {
    case DUET_OPT_INT: {
        snprintf(what, sizeof what, "an integer %s", range);
        int isnum = 0;
        lua_Integer v = lua_tointegerx(L, idx, &isnum);
        if (lua_type(L, idx) != LUA_TNUMBER || !isnum || !in_range(o, (double)v))
            return bad_value(L, idx, o, what, where, context, err);
        *FIELD(dest, o, int64_t) = (int64_t)v;
        return DUET_OK;
    }
    case DUET_OPT_DOUBLE: {
        snprintf(what, sizeof what, "a number %s", range);
        double v = lua_tonumber(L, idx);
        if (lua_type(L, idx) != LUA_TNUMBER || !isfinite(v) || !in_range(o, v))
            return bad_value(L, idx, o, what, where, context, err);
        *FIELD(dest, o, double) = v;
        return DUET_OK;
    }
    case DUET_OPT_BOOL:
        if (lua_type(L, idx) != LUA_TBOOLEAN)
            return bad_value(L, idx, o, "true or false", where, context, err);
        *FIELD(dest, o, int) = lua_toboolean(L, idx);
        return DUET_OK;
    case DUET_OPT_STRING:
        if (lua_type(L, idx) != LUA_TSTRING)
            return bad_value(L, idx, o, "a string", where, context, err);
        free_field(o, dest);
        *FIELD(dest, o, char *) = duet_strdup(lua_tostring(L, idx));
        if (*FIELD(dest, o, char *) == NULL)
            return duet_error_set(err, DUET_ENOMEM, "out of memory reading option '%s'", o->name);
        return DUET_OK;
    case DUET_OPT_ENUM: {
        int index =
            lua_type(L, idx) == LUA_TSTRING ? choice_index(o->choices, lua_tostring(L, idx)) : -1;
        if (index < 0) {
            snprintf(what, sizeof what, "one of %s", o->choices);
            return bad_value(L, idx, o, what, where, context, err);
        }
        *FIELD(dest, o, int) = index;
        return DUET_OK;
    }
    case DUET_OPT_DOUBLES:
        return read_number_list(L, idx, o, dest, where, context, err);
    case DUET_OPT_STRINGS:
        return read_string_list(L, idx, o, dest, where, context, err);
    }
    return DUET_OK;
}

/*
 * Returns the `--set` origin recorded for key in the table at idx (see lua/duet/overrides.lua),
 * copied into buf, or fallback when the key was not overridden.
 */
static const char *set_origin(lua_State *L, int idx, const char *key, char *buf, size_t size,
                              const char *fallback)
{
    const char *result = fallback;
    int top = lua_gettop(L);
    duet_lua_rawfield(L, idx, "_set");
    if (lua_type(L, -1) == LUA_TTABLE && duet_lua_rawfield(L, -1, key) == LUA_TSTRING) {
        snprintf(buf, size, "%s", lua_tostring(L, -1));
        result = buf;
    }
    lua_settop(L, top);
    return result;
}

/* Keys starting with '_' are bookkeeping added by the Lua builders (_where, _kind, _set). */
static int is_ignored(const char *key, const char *const *ignore)
{
    if (key[0] == '_')
        return 1;
    for (const char *const *e = ignore; e && *e; e++)
        if (strcmp(*e, key) == 0)
            return 1;
    return 0;
}

duet_status duet_options_from_lua(lua_State *L, int idx, const duet_option *spec, void *dest,
                                  const char *const *ignore, const char *where, const char *context,
                                  duet_error *err)
{
    idx = lua_absindex(L, idx);
    if (!lua_checkstack(L, 8))
        return duet_error_set(err, DUET_ENOMEM, "%s: %s: Lua stack exhausted", where, context);
    if (lua_type(L, idx) != LUA_TTABLE)
        return duet_error_set(err, DUET_EINVAL, "%s: %s: options must be a table, got a %s", where,
                              context, luaL_typename(L, idx));

    /* Reject unknown keys first, so a misspelled option is reported as such. */
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        int known =
            lua_type(L, -2) == LUA_TSTRING && (duet_option_find(spec, lua_tostring(L, -2)) ||
                                               is_ignored(lua_tostring(L, -2), ignore));
        if (!known) {
            char set_where[256];
            const char *key_where = where;
            if (lua_type(L, -2) == LUA_TSTRING) {
                const char *key = lua_tostring(L, -2);
                key_where = set_origin(L, idx, key, set_where, sizeof set_where, where);
            }
            duet_status st = unknown_key(L, spec, ignore, key_where, context, err);
            lua_pop(L, 2);
            return st;
        }
        lua_pop(L, 1);
    }

    for (const duet_option *o = spec; o && o->name; o++) {
        /* A value that came from `--set` is reported as such rather than by script line. */
        char set_where[256];
        const char *value_where = set_origin(L, idx, o->name, set_where, sizeof set_where, where);
        duet_lua_rawfield(L, idx, o->name);
        duet_status st = DUET_OK;
        if (lua_isnil(L, -1)) {
            if (o->default_value == NULL)
                st = duet_error_set(err, DUET_EINVAL, "%s: %s: option '%s' is required (%s: %s)",
                                    value_where, context, o->name, type_name(o->type), o->help);
            else
                st = parse_default(o, dest, err);
        } else {
            st = read_value(L, o, dest, value_where, context, err);
        }
        lua_pop(L, 1);
        if (st != DUET_OK)
            return st;
    }
    return DUET_OK;
}

duet_status duet_options_format(const duet_option *spec, const void *dest, duet_buf *out)
{
    for (const duet_option *o = spec; o && o->name; o++) {
        duet_buf_printf(out, "%s = ", o->name);
        switch (o->type) {
        case DUET_OPT_INT:
            duet_buf_printf(out, "%lld", (long long)*CFIELD(dest, o, int64_t));
            break;
        case DUET_OPT_DOUBLE:
            duet_buf_put_double(out, *CFIELD(dest, o, double));
            break;
        case DUET_OPT_BOOL:
            duet_buf_puts(out, *CFIELD(dest, o, int) ? "true" : "false");
            break;
        case DUET_OPT_STRING: {
            const char *s = *CFIELD(dest, o, char *);
            if (s)
                duet_buf_put_lua_string(out, s);
            else
                duet_buf_puts(out, "nil");
            break;
        }
        case DUET_OPT_ENUM:
            duet_buf_put_lua_string(out, duet_option_choice_name(o, *CFIELD(dest, o, int)));
            break;
        case DUET_OPT_DOUBLES: {
            const duet_doubles *d = CFIELD(dest, o, duet_doubles);
            duet_buf_puts(out, "{");
            for (size_t i = 0; i < d->n; i++) {
                if (i)
                    duet_buf_puts(out, ", ");
                duet_buf_put_double(out, d->v[i]);
            }
            duet_buf_puts(out, "}");
            break;
        }
        case DUET_OPT_STRINGS: {
            const duet_strings *s = CFIELD(dest, o, duet_strings);
            duet_buf_puts(out, "{");
            for (size_t i = 0; i < s->n; i++) {
                if (i)
                    duet_buf_puts(out, ", ");
                duet_buf_put_lua_string(out, s->v[i]);
            }
            duet_buf_puts(out, "}");
            break;
        }
        }
        duet_buf_puts(out, ", ");
    }
    return out->failed ? DUET_ENOMEM : DUET_OK;
}

void duet_options_help(const duet_option *spec, FILE *out, int indent)
{
    for (const duet_option *o = spec; o && o->name; o++) {
        char kind[128];
        if (o->type == DUET_OPT_ENUM)
            snprintf(kind, sizeof kind, "%s", o->choices);
        else
            snprintf(kind, sizeof kind, "%s", type_name(o->type));
        fprintf(out, "%*s%-18s %s (%s; default %s)\n", indent, "", o->name, o->help, kind,
                o->default_value ? (*o->default_value ? o->default_value : "empty")
                                 : "none, required");
    }
}
