/*
 * Status codes and the error context that every fallible duet function fills.
 *
 * The library never prints and never aborts on bad input. A function that can fail returns a
 * duet_status and, when given a non-NULL duet_error, stores a one-line message there that names
 * the offending value, where it came from and what to do about it. Callers pass the same
 * context down, so the innermost failure keeps its text and outer layers may prefix context.
 */
#ifndef DUET_ERROR_H
#define DUET_ERROR_H

#include <stddef.h>

typedef enum duet_status {
    DUET_OK = 0,         /* success */
    DUET_EINVAL = 1,     /* an argument or configuration value is invalid */
    DUET_ENOMEM = 2,     /* an allocation failed */
    DUET_EIO = 3,        /* a file could not be read or written */
    DUET_EFORMAT = 4,    /* a file exists but its content is malformed or of another version */
    DUET_ENOTFOUND = 5,  /* a named thing (file, method, domain, key) does not exist */
    DUET_ENUMERIC = 6,   /* a numerical failure: not positive definite, NaN, no convergence */
    DUET_ELIMIT = 7,     /* a size exceeds a documented limit */
    DUET_EEXTERNAL = 8,  /* an external program (gnuplot, a worker, Slurm) failed */
    DUET_EINTERRUPT = 9, /* the run was interrupted by a signal */
    DUET_EMISMATCH = 10, /* existing results disagree with the requested configuration */
    DUET_ESTATUS_COUNT
} duet_status;

#define DUET_ERROR_MSG_MAX 1024

typedef struct duet_error {
    duet_status status;
    char msg[DUET_ERROR_MSG_MAX];
} duet_error;

/* Short lower-case name of a status, for example "invalid argument". */
const char *duet_status_name(duet_status status);

/* Resets err to DUET_OK with an empty message. err may be NULL. */
void duet_error_clear(duet_error *err);

/*
 * Stores status and a printf-style message in err (which may be NULL) and returns status, so
 * a caller can write `return duet_error_set(err, DUET_EINVAL, "...", ...);`.
 */
duet_status duet_error_set(duet_error *err, duet_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * Prepends "prefix: " to the message already in err, keeping its status. Used by outer layers to
 * add where a failure happened (a file name, a task) without losing the inner reason.
 */
duet_status duet_error_prefix(duet_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Process exit status for a failure: 2 for usage and configuration errors, 1 otherwise. */
int duet_status_exit_code(duet_status status);

#endif
