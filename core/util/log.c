/* Leveled logging through a sink. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

void duet_logf(const duet_log *log, duet_log_level level, const char *fmt, ...)
{
    if (log == NULL || log->fn == NULL || level > log->max)
        return;
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    log->fn(log->userdata, level, message);
}

const char *duet_log_level_name(duet_log_level level)
{
    switch (level) {
    case DUET_LOG_ERROR:
        return "error";
    case DUET_LOG_WARN:
        return "warning";
    case DUET_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}
