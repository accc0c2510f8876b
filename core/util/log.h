/*
 * Leveled logging through a caller-supplied sink. The library formats a message only when its
 * level is enabled and hands it to the sink; it never writes to stdout or stderr itself. A NULL
 * logger, or one without a sink, discards everything.
 */
#ifndef DUET_LOG_H
#define DUET_LOG_H

typedef enum duet_log_level {
    DUET_LOG_ERROR = 0,
    DUET_LOG_WARN = 1,
    DUET_LOG_INFO = 2,
    DUET_LOG_DEBUG = 3,
} duet_log_level;

typedef void (*duet_log_fn)(void *userdata, duet_log_level level, const char *message);

typedef struct duet_log {
    duet_log_fn fn;     /* sink; NULL discards messages */
    void *userdata;     /* passed to fn unchanged */
    duet_log_level max; /* messages above this level are not formatted */
} duet_log;

void duet_logf(const duet_log *log, duet_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* "error", "warning", "info" or "debug". */
const char *duet_log_level_name(duet_log_level level);

#endif
