/* A growing character buffer; an allocation failure is sticky and reported once at the end. */
#include "util/buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void duet_buf_free(duet_buf *b)
{
    duet_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

static int reserve(duet_buf *b, size_t extra)
{
    if (b->failed)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return 0;
        }
        cap *= 2;
    }
    char *data = duet_realloc(b->data, cap);
    if (data == NULL) {
        b->failed = 1;
        return 0;
    }
    b->data = data;
    b->cap = cap;
    return 1;
}

void duet_buf_append(duet_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void duet_buf_puts(duet_buf *b, const char *s)
{
    duet_buf_append(b, s, strlen(s));
}

void duet_buf_printf(duet_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n >= 0 && reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
    }
    va_end(ap);
}

void duet_buf_put_double(duet_buf *b, double x)
{
    if (isnan(x)) {
        duet_buf_puts(b, "0/0");
        return;
    }
    if (isinf(x)) {
        duet_buf_puts(b, x > 0 ? "1/0" : "-1/0");
        return;
    }
    char text[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, x);
        if (strtod(text, NULL) == x)
            break;
    }
    duet_buf_puts(b, text);
}

void duet_buf_put_lua_string(duet_buf *b, const char *s)
{
    duet_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            duet_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            duet_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            duet_buf_append(b, "\\n", 2);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                duet_buf_printf(b, "\\%03u", (unsigned)*p);
            else
                duet_buf_append(b, (const char *)p, 1);
        }
    }
    duet_buf_append(b, "\"", 1);
}

duet_status duet_buf_status(const duet_buf *b, duet_error *err)
{
    if (b->failed)
        return duet_error_set(err, DUET_ENOMEM, "out of memory while building text");
    return DUET_OK;
}

const char *duet_buf_str(const duet_buf *b)
{
    return b->data ? b->data : "";
}
