/* A growing character buffer for building messages, configuration text and file content. */
#ifndef DUET_BUF_H
#define DUET_BUF_H

#include <stddef.h>

#include "util/error.h"

typedef struct duet_buf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
    int failed; /* set when an allocation failed; later appends do nothing */
} duet_buf;

/* A zeroed duet_buf is an empty buffer; no init function is needed. */
void duet_buf_free(duet_buf *b);
void duet_buf_append(duet_buf *b, const char *s, size_t n);
void duet_buf_puts(duet_buf *b, const char *s);
void duet_buf_printf(duet_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/*
 * Appends x in the shortest decimal form that reads back to the same double (at most 17
 * significant digits); NaN and infinities as 0/0, 1/0 and -1/0 so the text stays valid Lua.
 */
void duet_buf_put_double(duet_buf *b, double x);
/* Appends s as a double-quoted Lua string literal with escapes. */
void duet_buf_put_lua_string(duet_buf *b, const char *s);
/* DUET_ENOMEM with a message if any append failed, DUET_OK otherwise. */
duet_status duet_buf_status(const duet_buf *b, duet_error *err);
/* The content, or "" if nothing was appended. */
const char *duet_buf_str(const duet_buf *b);

#endif
