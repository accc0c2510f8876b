/*
 * Reading and writing the manifest and result files of the worker protocol (format in
 * jobfile.h). Parsing is strict and total: any input, however malformed, yields either a fully
 * validated structure or an error naming the file, the line and the offending key, and never
 * reads past the given length.
 */
#include "exec/jobfile.h"

#include <ctype.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ key = value */

static int key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX escapes of s[0..len) into a new string; NULL on a bad escape or a NUL byte. */
static char *decode(const char *s, size_t len, int *bad)
{
    char *out = duet_malloc(len + 1);
    *bad = 0;
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        int hi = i + 1 < len ? hex_value(s[i + 1]) : -1;
        int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            duet_free(out);
            *bad = 1;
            return NULL;
        }
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return out;
}

static void kv_reset(duet_kv *kv)
{
    for (size_t i = 0; i < kv->n; i++) {
        duet_free(kv->keys[i]);
        duet_free(kv->values[i]);
    }
    duet_free(kv->keys);
    duet_free(kv->values);
    memset(kv, 0, sizeof *kv);
}

void duet_kv_free(duet_kv *kv)
{
    if (kv)
        kv_reset(kv);
}

const char *duet_kv_get(const duet_kv *kv, const char *key)
{
    for (size_t i = 0; i < kv->n; i++)
        if (strcmp(kv->keys[i], key) == 0)
            return kv->values[i];
    return NULL;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

duet_status duet_kv_parse(const char *text, size_t len, const char *origin, duet_kv *out,
                          duet_error *err)
{
    memset(out, 0, sizeof *out);
    if (len > DUET_JOBFILE_MAX_BYTES)
        return duet_error_set(err, DUET_ELIMIT, "%s: %zu bytes exceed the limit of %zu", origin,
                              len, DUET_JOBFILE_MAX_BYTES);
    if (len > 0 && text[len - 1] != '\n')
        return duet_error_set(err, DUET_EFORMAT,
                              "%s: the last line does not end with a newline; the file is "
                              "truncated or was not written by a worker",
                              origin);
    size_t cap = 0, line = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *q = p;
        p = nl + 1;
        if (memchr(q, '\0', (size_t)(nl - q)) != NULL) {
            kv_reset(out);
            return duet_error_set(err, DUET_EFORMAT, "%s:%zu: the line contains a NUL byte", origin,
                                  line);
        }
        while (q < nl && is_blank(*q))
            q++;
        if (q == nl || *q == '#')
            continue;
        const char *key = q;
        while (q < nl && key_char(*q))
            q++;
        size_t key_len = (size_t)(q - key);
        while (q < nl && is_blank(*q))
            q++;
        if (key_len == 0 || q == nl || *q != '=') {
            kv_reset(out);
            return duet_error_set(err, DUET_EFORMAT,
                                  "%s:%zu: expected 'key = value' with a key of a-z, 0-9, '_', "
                                  "'.' and '-', got '%.*s'",
                                  origin, line, (int)(nl - key > 60 ? 60 : nl - key), key);
        }
        q++;
        while (q < nl && is_blank(*q))
            q++;
        const char *vend = nl;
        while (vend > q && (is_blank(vend[-1]) || vend[-1] == '\r'))
            vend--;
        for (const char *c = q; c < vend; c++)
            if ((unsigned char)*c < 0x20 && *c != '\t') {
                kv_reset(out);
                return duet_error_set(err, DUET_EFORMAT,
                                      "%s:%zu: the value of '%.*s' contains control character "
                                      "0x%02x; write it as %%%02X",
                                      origin, line, (int)key_len, key, (unsigned char)*c,
                                      (unsigned char)*c);
            }
        char *k = duet_malloc(key_len + 1);
        if (k == NULL) {
            kv_reset(out);
            return duet_error_set(err, DUET_ENOMEM, "%s: out of memory", origin);
        }
        memcpy(k, key, key_len);
        k[key_len] = '\0';
        if (duet_kv_get(out, k) != NULL) {
            duet_error_set(err, DUET_EFORMAT, "%s:%zu: key '%s' appears twice", origin, line, k);
            duet_free(k);
            kv_reset(out);
            return DUET_EFORMAT;
        }
        int bad = 0;
        char *v = decode(q, (size_t)(vend - q), &bad);
        if (v == NULL) {
            duet_free(k);
            kv_reset(out);
            if (bad)
                return duet_error_set(err, DUET_EFORMAT,
                                      "%s:%zu: the value of '%.*s' has a '%%' not followed by two "
                                      "hex digits (or encodes a NUL byte)",
                                      origin, line, (int)key_len, key);
            return duet_error_set(err, DUET_ENOMEM, "%s: out of memory", origin);
        }
        if (out->n == cap) {
            size_t ncap = cap ? 2 * cap : 32;
            char **nk = duet_realloc(out->keys, ncap * sizeof *nk);
            if (nk)
                out->keys = nk;
            char **nv = nk ? duet_realloc(out->values, ncap * sizeof *nv) : NULL;
            if (nv)
                out->values = nv;
            if (nk == NULL || nv == NULL) {
                duet_free(k);
                duet_free(v);
                kv_reset(out);
                return duet_error_set(err, DUET_ENOMEM, "%s: out of memory", origin);
            }
            cap = ncap;
        }
        out->keys[out->n] = k;
        out->values[out->n] = v;
        out->n++;
    }
    return DUET_OK;
}

duet_status duet_kv_read(const char *path, duet_kv *out, duet_error *err)
{
    char *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    duet_status st = duet_read_text_file(path, DUET_JOBFILE_MAX_BYTES, &text, &len, err);
    if (st != DUET_OK)
        return st;
    st = duet_kv_parse(text, len, path, out, err);
    duet_free(text);
    return st;
}

static void put_encoded(duet_buf *b, const char *s, int escape_comma)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int edge_space = c == ' ' && (i == 0 || i + 1 == len);
        if (c < 0x20 || c == 0x7f || c == '%' || edge_space || (escape_comma && c == ','))
            duet_buf_printf(b, "%%%02X", c);
        else
            duet_buf_append(b, (const char *)&s[i], 1);
    }
}

void duet_kv_put(duet_buf *b, const char *key, const char *value)
{
    duet_buf_printf(b, "%s = ", key);
    put_encoded(b, value, 0);
    duet_buf_puts(b, "\n");
}

void duet_kv_putf(duet_buf *b, const char *key, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    duet_kv_put(b, key, value);
}

void duet_kv_put_element(duet_buf *b, const char *element)
{
    put_encoded(b, element, 1);
}

void duet_kv_free_list(char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        duet_free(list[i]);
    duet_free(list);
}

duet_status duet_kv_split_list(const char *value, const char *what, char ***out, size_t *n,
                               duet_error *err)
{
    *out = NULL;
    *n = 0;
    if (*value == '\0')
        return DUET_OK;
    size_t count = 1;
    for (const char *c = value; *c; c++)
        count += *c == ',';
    char **list = duet_calloc(count, sizeof *list);
    if (list == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", what);
    const char *start = value;
    for (size_t i = 0; i < count; i++) {
        const char *stop = strchr(start, ',');
        size_t len = stop ? (size_t)(stop - start) : strlen(start);
        int bad = 0;
        list[i] = decode(start, len, &bad);
        if (list[i] == NULL) {
            duet_kv_free_list(list, count);
            return duet_error_set(err, bad ? DUET_EFORMAT : DUET_ENOMEM, "%s: element %zu %s", what,
                                  i + 1, bad ? "has a bad %XX escape" : "does not fit in memory");
        }
        start = stop ? stop + 1 : start + len;
    }
    *out = list;
    *n = count;
    return DUET_OK;
}

duet_status duet_kv_parse_u64(const char *value, const char *what, uint64_t *out, duet_error *err)
{
    if (value == NULL)
        return duet_error_set(err, DUET_EFORMAT, "%s is missing", what);
    if (*value < '0' || *value > '9')
        return duet_error_set(err, DUET_EFORMAT, "%s = '%.40s' is not a non-negative integer", what,
                              value);
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(value, &end, 10);
    if (errno != 0 || *end != '\0')
        return duet_error_set(err, DUET_EFORMAT,
                              "%s = '%.40s' is not an integer in 0..18446744073709551615", what,
                              value);
    *out = (uint64_t)v;
    return DUET_OK;
}

duet_status duet_kv_parse_double(const char *value, const char *what, int allow_nan, double *out,
                                 duet_error *err)
{
    if (value == NULL)
        return duet_error_set(err, DUET_EFORMAT, "%s is missing", what);
    if (allow_nan && strcmp(value, "nan") == 0) {
        *out = NAN;
        return DUET_OK;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || isspace((unsigned char)*value))
        return duet_error_set(err, DUET_EFORMAT, "%s = '%.40s' is not a number", what, value);
    if (!isfinite(v))
        return duet_error_set(err, DUET_EFORMAT, "%s = '%.40s' is not a finite number%s", what,
                              value, allow_nan ? " (write nan for an unknown value)" : "");
    *out = v;
    return DUET_OK;
}

/* ------------------------------------------------------------------ options */

#define CFIELD(dest, o, type) ((const type *)((const char *)(dest) + (o)->offset))

void duet_kv_put_options(duet_buf *b, const char *prefix, const duet_option *spec,
                         const void *options)
{
    for (const duet_option *o = spec; o && o->name; o++) {
        char key[256];
        snprintf(key, sizeof key, "%s.%s", prefix, o->name);
        duet_buf_printf(b, "%s = ", key);
        switch (o->type) {
        case DUET_OPT_INT:
            duet_buf_printf(b, "%lld", (long long)*CFIELD(options, o, int64_t));
            break;
        case DUET_OPT_DOUBLE:
            duet_buf_printf(b, "%.17g", *CFIELD(options, o, double));
            break;
        case DUET_OPT_BOOL:
            duet_buf_puts(b, *CFIELD(options, o, int) ? "true" : "false");
            break;
        case DUET_OPT_STRING: {
            const char *s = *CFIELD(options, o, char *);
            put_encoded(b, s ? s : "", 0);
            break;
        }
        case DUET_OPT_ENUM:
            duet_buf_puts(b, duet_option_choice_name(o, *CFIELD(options, o, int)));
            break;
        case DUET_OPT_DOUBLES: {
            const duet_doubles *d = CFIELD(options, o, duet_doubles);
            for (size_t i = 0; i < d->n; i++)
                duet_buf_printf(b, "%s%.17g", i ? "," : "", d->v[i]);
            break;
        }
        case DUET_OPT_STRINGS: {
            const duet_strings *s = CFIELD(options, o, duet_strings);
            for (size_t i = 0; i < s->n; i++) {
                if (i)
                    duet_buf_puts(b, ",");
                put_encoded(b, s->v[i], 1);
            }
            break;
        }
        }
        duet_buf_puts(b, "\n");
    }
}

/* Pushes the text of one option value as the Lua value its type expects. */
static duet_status push_option_value(lua_State *L, const duet_option *o, const char *text,
                                     const char *what, duet_error *err)
{
    switch (o->type) {
    case DUET_OPT_INT: {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end)
            return duet_error_set(err, DUET_EFORMAT, "%s = '%.40s' is not an integer", what, text);
        lua_pushinteger(L, (lua_Integer)v);
        return DUET_OK;
    }
    case DUET_OPT_DOUBLE: {
        double v = 0;
        duet_status st = duet_kv_parse_double(text, what, 0, &v, err);
        if (st == DUET_OK)
            lua_pushnumber(L, v);
        return st;
    }
    case DUET_OPT_BOOL:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return duet_error_set(err, DUET_EFORMAT, "%s = '%.40s' is not true or false", what,
                                  text);
        lua_pushboolean(L, strcmp(text, "true") == 0);
        return DUET_OK;
    case DUET_OPT_STRING:
    case DUET_OPT_ENUM:
        lua_pushstring(L, text);
        return DUET_OK;
    case DUET_OPT_DOUBLES:
    case DUET_OPT_STRINGS: {
        char **list = NULL;
        size_t n = 0;
        duet_status st = duet_kv_split_list(text, what, &list, &n, err);
        if (st != DUET_OK)
            return st;
        lua_createtable(L, (int)(n < 4096 ? n : 4096), 0);
        for (size_t i = 0; i < n && st == DUET_OK; i++) {
            if (o->type == DUET_OPT_STRINGS) {
                lua_pushstring(L, list[i]);
            } else {
                double v = 0;
                st = duet_kv_parse_double(list[i], what, 0, &v, err);
                if (st != DUET_OK)
                    break;
                lua_pushnumber(L, v);
            }
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        duet_kv_free_list(list, n);
        if (st != DUET_OK)
            lua_pop(L, 1);
        return st;
    }
    }
    return duet_error_set(err, DUET_EINVAL, "%s: unknown option type", what);
}

static int build_options_table(lua_State *L)
{
    const duet_kv *kv = lua_touserdata(L, 1);
    const char *prefix = lua_touserdata(L, 2);
    const duet_option *spec = lua_touserdata(L, 3);
    duet_error *err = lua_touserdata(L, 4);
    duet_status *st = lua_touserdata(L, 5);
    size_t plen = strlen(prefix);
    lua_newtable(L);
    int table = lua_gettop(L);
    for (size_t i = 0; i < kv->n && *st == DUET_OK; i++) {
        const char *key = kv->keys[i];
        if (strncmp(key, prefix, plen) != 0 || key[plen] != '.')
            continue;
        const char *name = key + plen + 1;
        const duet_option *o = duet_option_find(spec, name);
        if (o == NULL) {
            /* An unknown name is reported by duet_options_from_lua with a suggestion. */
            lua_pushstring(L, kv->values[i]);
            lua_setfield(L, table, name);
            continue;
        }
        *st = push_option_value(L, o, kv->values[i], key, err);
        if (*st == DUET_OK)
            lua_setfield(L, table, name);
    }
    return 1;
}

duet_status duet_kv_get_options(const duet_kv *kv, const char *prefix, const duet_option *spec,
                                void *options, const char *origin, duet_error *err)
{
    lua_State *L = luaL_newstate();
    if (L == NULL)
        return duet_error_set(err, DUET_ENOMEM, "%s: out of memory reading %s options", origin,
                              prefix);
    duet_status st = DUET_OK;
    lua_pushcfunction(L, build_options_table);
    lua_pushlightuserdata(L, (void *)kv);
    lua_pushlightuserdata(L, (void *)prefix);
    lua_pushlightuserdata(L, (void *)spec);
    lua_pushlightuserdata(L, err);
    lua_pushlightuserdata(L, &st);
    if (lua_pcall(L, 5, 1, 0) != LUA_OK) {
        st = duet_error_set(err, DUET_ENOMEM, "%s: cannot read %s options: %s", origin, prefix,
                            lua_tostring(L, -1));
    } else if (st == DUET_OK) {
        st = duet_options_from_lua(L, lua_gettop(L), spec, options, NULL, origin, prefix, err);
    } else {
        duet_error_prefix(err, "%s", origin);
    }
    lua_close(L);
    return st;
}

/* ------------------------------------------------------------------ manifest */

duet_status duet_job_manifest_format(duet_buf *b, const duet_job_spec *s, duet_error *err)
{
    duet_buf_puts(b, "# duet job manifest: one evaluation (see docs/worker-protocol.md)\n");
    duet_kv_putf(b, "protocol", "%d", DUET_WORKER_PROTOCOL);
    duet_kv_put(b, "job", s->job);
    duet_kv_putf(b, "attempt", "%u", s->attempt);
    duet_kv_put(b, "backend", s->backend_type->name);
    duet_kv_put_options(b, "backend", s->backend_type->options, s->backend_options);
    duet_kv_put(b, "task", s->task);
    duet_kv_put_options(b, "task", s->backend_type->task_options, s->task_options);
    duet_kv_putf(b, "points", "%llu", (unsigned long long)s->points);
    duet_kv_putf(b, "seed", "%llu", (unsigned long long)s->seed);
    duet_kv_putf(b, "experiment_seed", "%llu", (unsigned long long)s->experiment_seed);
    duet_kv_putf(b, "timeout", "%.17g", s->timeout);
    duet_kv_put(b, "script_dir", s->script_dir);
    duet_kv_put(b, "data_dir", s->data_dir);
    const duet_subset *sub = s->subset;
    duet_kv_putf(b, "domains", "%zu", sub->n_domains);
    for (size_t i = 0; i < sub->n_domains; i++) {
        char key[64];
        snprintf(key, sizeof key, "domain.%zu.name", i + 1);
        duet_kv_put(b, key, s->domain_names[i]);
        snprintf(key, sizeof key, "domain.%zu.size", i + 1);
        duet_kv_putf(b, key, "%llu", (unsigned long long)s->domain_sizes[i]);
        snprintf(key, sizeof key, "domain.%zu.count", i + 1);
        duet_kv_putf(b, key, "%llu", (unsigned long long)sub->counts[i]);
        duet_buf_printf(b, "domain.%zu.items = ", i + 1);
        for (uint64_t j = sub->offset[i]; j < sub->offset[i + 1]; j++)
            duet_buf_printf(b, "%s%llu", j > sub->offset[i] ? "," : "",
                            (unsigned long long)sub->items[j]);
        duet_buf_puts(b, "\n");
    }
    return duet_buf_status(b, err);
}

void duet_job_manifest_free(duet_job_manifest *m)
{
    if (m == NULL)
        return;
    duet_kv_free(&m->kv);
    duet_free(m->domain_names);
    duet_free(m->domain_sizes);
    duet_subset_free(&m->subset);
    memset(m, 0, sizeof *m);
}

/* Reads the comma-separated item ids of one domain into items[0..count). */
static duet_status read_items(const char *value, const char *key, uint64_t count, uint64_t size,
                              uint64_t *items, duet_error *err)
{
    const char *p = value;
    for (uint64_t j = 0; j < count; j++) {
        if (*p < '0' || *p > '9')
            return duet_error_set(err, DUET_EFORMAT, "%s: item %llu is not a non-negative integer",
                                  key, (unsigned long long)j + 1);
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || (*end != ',' && *end != '\0') || (*end == '\0' && j + 1 < count) ||
            (*end == ',' && j + 1 == count))
            return duet_error_set(err, DUET_EFORMAT,
                                  "%s: expected %llu comma-separated item ids, the list breaks at "
                                  "item %llu",
                                  key, (unsigned long long)count, (unsigned long long)j + 1);
        if (v >= size)
            return duet_error_set(err, DUET_EFORMAT,
                                  "%s: item id %llu is outside the domain's %llu items", key, v,
                                  (unsigned long long)size);
        items[j] = v;
        p = *end == ',' ? end + 1 : end;
    }
    if (count == 0 && *value != '\0')
        return duet_error_set(err, DUET_EFORMAT, "%s: lists items although the count is 0", key);
    return DUET_OK;
}

static duet_status manifest_fields(duet_job_manifest *m, const char *path, duet_error *err)
{
    const duet_kv *kv = &m->kv;
    uint64_t protocol = 0, n = 0;
    duet_status st = duet_kv_parse_u64(duet_kv_get(kv, "protocol"), "protocol", &protocol, err);
    if (st == DUET_OK && protocol != DUET_WORKER_PROTOCOL)
        st = duet_error_set(err, DUET_EFORMAT,
                            "protocol %llu is not the version %d that this worker reads",
                            (unsigned long long)protocol, DUET_WORKER_PROTOCOL);
    const char *required[] = {"job", "backend", "task", "script_dir", "data_dir"};
    const char **fields[] = {&m->job, &m->backend, &m->task, &m->script_dir, &m->data_dir};
    for (size_t i = 0; st == DUET_OK && i < 5; i++)
        if ((*fields[i] = duet_kv_get(kv, required[i])) == NULL)
            st = duet_error_set(err, DUET_EFORMAT, "key '%s' is missing", required[i]);
    if (st == DUET_OK)
        st = duet_kv_parse_u64(duet_kv_get(kv, "attempt"), "attempt", &m->attempt, err);
    if (st == DUET_OK)
        st = duet_kv_parse_u64(duet_kv_get(kv, "points"), "points", &m->points, err);
    if (st == DUET_OK)
        st = duet_kv_parse_u64(duet_kv_get(kv, "seed"), "seed", &m->seed, err);
    if (st == DUET_OK)
        st = duet_kv_parse_u64(duet_kv_get(kv, "experiment_seed"), "experiment_seed",
                               &m->experiment_seed, err);
    if (st == DUET_OK)
        st = duet_kv_parse_double(duet_kv_get(kv, "timeout"), "timeout", 0, &m->timeout, err);
    if (st == DUET_OK && m->timeout < 0)
        st = duet_error_set(err, DUET_EFORMAT, "timeout = %g is negative", m->timeout);
    if (st == DUET_OK)
        st = duet_kv_parse_u64(duet_kv_get(kv, "domains"), "domains", &n, err);
    if (st == DUET_OK && (n < 1 || n > 65536))
        st = duet_error_set(err, DUET_EFORMAT, "domains = %llu is outside 1..65536",
                            (unsigned long long)n);
    if (st != DUET_OK)
        return duet_error_prefix(err, "%s", path);
    m->n_domains = (size_t)n;
    m->domain_names = duet_calloc(n, sizeof *m->domain_names);
    m->domain_sizes = duet_calloc(n, sizeof *m->domain_sizes);
    uint64_t *counts = duet_calloc(n, sizeof *counts);
    if (!m->domain_names || !m->domain_sizes || !counts) {
        duet_free(counts);
        return duet_error_set(err, DUET_ENOMEM, "%s: out of memory", path);
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n && st == DUET_OK; i++) {
        char key[64];
        snprintf(key, sizeof key, "domain.%zu.name", i + 1);
        m->domain_names[i] = (char *)duet_kv_get(kv, key);
        if (m->domain_names[i] == NULL || m->domain_names[i][0] == '\0')
            st = duet_error_set(err, DUET_EFORMAT, "key '%s' is missing or empty", key);
        snprintf(key, sizeof key, "domain.%zu.size", i + 1);
        if (st == DUET_OK)
            st = duet_kv_parse_u64(duet_kv_get(kv, key), key, &m->domain_sizes[i], err);
        snprintf(key, sizeof key, "domain.%zu.count", i + 1);
        if (st == DUET_OK)
            st = duet_kv_parse_u64(duet_kv_get(kv, key), key, &counts[i], err);
        if (st == DUET_OK && counts[i] > m->domain_sizes[i])
            st = duet_error_set(err, DUET_EFORMAT, "%s = %llu exceeds the domain's size %llu", key,
                                (unsigned long long)counts[i],
                                (unsigned long long)m->domain_sizes[i]);
        total += counts[i];
        if (st == DUET_OK && total > ((uint64_t)1 << 40))
            st = duet_error_set(err, DUET_EFORMAT, "the item counts add up to more than 2^40");
    }
    if (st == DUET_OK)
        st = duet_subset_init(&m->subset, m->n_domains, counts, err);
    duet_free(counts);
    for (size_t i = 0; i < n && st == DUET_OK; i++) {
        char key[64];
        snprintf(key, sizeof key, "domain.%zu.items", i + 1);
        const char *items = duet_kv_get(kv, key);
        if (items == NULL)
            st = duet_error_set(err, DUET_EFORMAT, "key '%s' is missing", key);
        else
            st = read_items(items, key, m->subset.counts[i], m->domain_sizes[i],
                            m->subset.items + m->subset.offset[i], err);
    }
    if (st != DUET_OK)
        return duet_error_prefix(err, "%s", path);
    return DUET_OK;
}

duet_status duet_job_manifest_read(const char *path, duet_job_manifest *out, duet_error *err)
{
    memset(out, 0, sizeof *out);
    duet_status st = duet_kv_read(path, &out->kv, err);
    if (st == DUET_OK)
        st = manifest_fields(out, path, err);
    if (st != DUET_OK)
        duet_job_manifest_free(out);
    return st;
}

/* ------------------------------------------------------------------ result */

static const char *const status_names[] = {"ok", "failed", "timeout", "invalid"};

const char *duet_job_status_name(duet_job_status status)
{
    return (unsigned)status < 4 ? status_names[status] : "?";
}

static void put_double(duet_buf *b, const char *key, double v)
{
    if (isnan(v))
        duet_kv_put(b, key, "nan");
    else
        duet_kv_putf(b, key, "%.17g", v);
}

void duet_job_result_format(duet_buf *b, const duet_job_result *r)
{
    duet_buf_puts(b, "# duet job result (see docs/worker-protocol.md)\n");
    duet_kv_putf(b, "protocol", "%d", DUET_WORKER_PROTOCOL);
    duet_kv_put(b, "status", duet_job_status_name(r->status));
    if (r->status == DUET_JOB_OK) {
        put_double(b, "feedback", r->eval.feedback);
        put_double(b, "value", r->eval.value);
        put_double(b, "seconds", r->eval.seconds);
        duet_kv_putf(b, "metrics", "%zu", r->eval.n_metrics);
        for (size_t i = 0; i < r->eval.n_metrics; i++) {
            char key[64];
            snprintf(key, sizeof key, "metric.%zu.name", i + 1);
            duet_kv_put(b, key, r->metric_names[i]);
            snprintf(key, sizeof key, "metric.%zu.value", i + 1);
            put_double(b, key, r->eval.metrics[i]);
        }
    } else {
        duet_kv_put(b, "error", r->error);
    }
    duet_kv_put(b, "host", r->host);
    duet_kv_put(b, "worker", r->worker);
}

duet_status duet_job_result_write(const char *path, const duet_job_result *r, duet_error *err)
{
    duet_buf b = {0};
    duet_job_result_format(&b, r);
    duet_status st = duet_buf_status(&b, err);
    if (st == DUET_OK)
        st = duet_write_file_atomic(path, b.data, b.len, err);
    duet_buf_free(&b);
    return st;
}

static int known_result_key(const char *key)
{
    static const char *const keys[] = {"protocol", "status", "feedback", "value",  "seconds",
                                       "metrics",  "error",  "host",     "worker", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(key, keys[i]) == 0)
            return 1;
    /* metric.N.name and metric.N.value are checked against `metrics` below; info.* is free. */
    return strncmp(key, "metric.", 7) == 0 || strncmp(key, "info.", 5) == 0;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static duet_status result_fields(const duet_kv *kv, duet_job_result *r, duet_error *err)
{
    for (size_t i = 0; i < kv->n; i++)
        if (!known_result_key(kv->keys[i]))
            return duet_error_set(err, DUET_EFORMAT,
                                  "unknown key '%s' (free-form keys must start with 'info.')",
                                  kv->keys[i]);
    uint64_t protocol = 0;
    duet_status st = duet_kv_parse_u64(duet_kv_get(kv, "protocol"), "protocol", &protocol, err);
    if (st != DUET_OK)
        return st;
    if (protocol != DUET_WORKER_PROTOCOL)
        return duet_error_set(err, DUET_EFORMAT,
                              "protocol %llu is not the version %d that this duet reads",
                              (unsigned long long)protocol, DUET_WORKER_PROTOCOL);
    const char *status = duet_kv_get(kv, "status");
    if (status == NULL)
        return duet_error_set(err, DUET_EFORMAT, "key 'status' is missing");
    int found = 0;
    for (int i = 0; i < 4; i++)
        if (strcmp(status, status_names[i]) == 0) {
            r->status = (duet_job_status)i;
            found = 1;
        }
    if (!found)
        return duet_error_set(err, DUET_EFORMAT,
                              "status = '%.40s' is not one of ok, failed, timeout, invalid",
                              status);
    copy_text(r->host, sizeof r->host, duet_kv_get(kv, "host"));
    copy_text(r->worker, sizeof r->worker, duet_kv_get(kv, "worker"));
    if (r->status != DUET_JOB_OK) {
        const char *e = duet_kv_get(kv, "error");
        copy_text(r->error, sizeof r->error, e && *e ? e : "the worker gave no error message");
        return DUET_OK;
    }
    if (duet_kv_get(kv, "error") != NULL)
        return duet_error_set(err, DUET_EFORMAT, "an ok result must not have an 'error' key");
    if ((st = duet_kv_parse_double(duet_kv_get(kv, "feedback"), "feedback", 0, &r->eval.feedback,
                                   err)) != DUET_OK ||
        (st = duet_kv_parse_double(duet_kv_get(kv, "value"), "value", 1, &r->eval.value, err)) !=
            DUET_OK ||
        (st = duet_kv_parse_double(duet_kv_get(kv, "seconds"), "seconds", 0, &r->eval.seconds,
                                   err)) != DUET_OK)
        return st;
    if (r->eval.seconds < 0)
        return duet_error_set(err, DUET_EFORMAT, "seconds = %g is negative", r->eval.seconds);
    uint64_t n = 0;
    const char *metrics = duet_kv_get(kv, "metrics");
    if (metrics != NULL && (st = duet_kv_parse_u64(metrics, "metrics", &n, err)) != DUET_OK)
        return st;
    if (n > DUET_TASK_METRICS_MAX)
        return duet_error_set(err, DUET_EFORMAT, "metrics = %llu exceeds the limit of %d",
                              (unsigned long long)n, DUET_TASK_METRICS_MAX);
    r->eval.n_metrics = (size_t)n;
    size_t metric_keys = 0;
    for (size_t i = 0; i < kv->n; i++)
        metric_keys += strncmp(kv->keys[i], "metric.", 7) == 0;
    if (metric_keys != 2 * n)
        return duet_error_set(err, DUET_EFORMAT,
                              "metrics = %llu needs metric.1.name/value .. metric.%llu.name/value "
                              "and nothing else under metric., found %zu metric keys",
                              (unsigned long long)n, (unsigned long long)n, metric_keys);
    for (size_t i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "metric.%zu.name", i + 1);
        const char *name = duet_kv_get(kv, key);
        if (name == NULL || *name == '\0')
            return duet_error_set(err, DUET_EFORMAT, "key '%s' is missing or empty", key);
        copy_text(r->metric_names[i], sizeof r->metric_names[i], name);
        snprintf(key, sizeof key, "metric.%zu.value", i + 1);
        if ((st = duet_kv_parse_double(duet_kv_get(kv, key), key, 1, &r->eval.metrics[i], err)) !=
            DUET_OK)
            return st;
    }
    return DUET_OK;
}

static duet_status result_from_kv(duet_kv *kv, const char *origin, duet_job_result *out,
                                  duet_error *err)
{
    duet_status st = DUET_OK;
    if (kv->n == 0)
        st = duet_error_set(err, DUET_EFORMAT, "%s: the result is empty", origin);
    else if ((st = result_fields(kv, out, err)) != DUET_OK)
        duet_error_prefix(err, "%s", origin);
    duet_kv_free(kv);
    return st;
}

duet_status duet_job_result_parse(const char *text, size_t len, const char *origin,
                                  duet_job_result *out, duet_error *err)
{
    memset(out, 0, sizeof *out);
    duet_kv kv;
    duet_status st = duet_kv_parse(text, len, origin, &kv, err);
    if (st != DUET_OK)
        return st;
    return result_from_kv(&kv, origin, out, err);
}

duet_status duet_job_result_read(const char *path, duet_job_result *out, duet_error *err)
{
    memset(out, 0, sizeof *out);
    duet_kv kv;
    duet_status st = duet_kv_read(path, &kv, err);
    if (st != DUET_OK)
        return st;
    return result_from_kv(&kv, path, out, err);
}
