/* Status names and the error context. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[DUET_ESTATUS_COUNT] = {
    [DUET_OK] = "success",
    [DUET_EINVAL] = "invalid argument",
    [DUET_ENOMEM] = "out of memory",
    [DUET_EIO] = "input/output error",
    [DUET_EFORMAT] = "malformed file",
    [DUET_ENOTFOUND] = "not found",
    [DUET_ENUMERIC] = "numerical failure",
    [DUET_ELIMIT] = "limit exceeded",
    [DUET_EEXTERNAL] = "external program failed",
    [DUET_EINTERRUPT] = "interrupted",
    [DUET_EMISMATCH] = "configuration mismatch",
};

const char *duet_status_name(duet_status status)
{
    if ((int)status < 0 || status >= DUET_ESTATUS_COUNT)
        return "unknown status";
    return status_names[status];
}

void duet_error_clear(duet_error *err)
{
    if (err == NULL)
        return;
    err->status = DUET_OK;
    err->msg[0] = '\0';
}

duet_status duet_error_set(duet_error *err, duet_status status, const char *fmt, ...)
{
    if (err == NULL)
        return status;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return status;
}

duet_status duet_error_prefix(duet_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return DUET_OK;
    char prefix[DUET_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Keep the prefix whole and cut the inner message if the two do not fit. */
    char inner[DUET_ERROR_MSG_MAX];
    memcpy(inner, err->msg, sizeof inner);
    int plen = (int)strnlen(prefix, sizeof prefix - 3);
    int room = (int)sizeof err->msg - plen - 3;
    snprintf(err->msg, sizeof err->msg, "%.*s: %.*s", plen, prefix, room, inner);
    return err->status;
}

int duet_status_exit_code(duet_status status)
{
    switch (status) {
    case DUET_OK:
        return 0;
    case DUET_EINVAL:
    case DUET_ENOTFOUND:
    case DUET_ELIMIT:
    case DUET_EMISMATCH:
        return 2;
    default:
        return 1;
    }
}
