/*
 * Job files of the worker protocol: the manifest an executor writes into a job directory and the
 * result a worker writes back. Both use one line-oriented text format that C and a stock Python
 * read without extra packages (docs/worker-protocol.md describes it for worker authors):
 *
 *     # comment
 *     key = value
 *
 * Keys are [a-z0-9_.-]+ and appear at most once. A value runs to the end of its line, with
 * spaces around it removed; the bytes '%', control characters and a leading or trailing space are
 * written as %XX (two hex digits), and a list is comma-separated with ',' inside an element
 * written as %2C. Files are at most DUET_JOBFILE_MAX_BYTES and every line ends with '\n'.
 */
#ifndef DUET_JOBFILE_H
#define DUET_JOBFILE_H

#include <stddef.h>
#include <stdint.h>

#include "run/backend.h"
#include "run/subset.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/options.h"

/* Version of the manifest and result formats; a reader rejects any other. */
#define DUET_WORKER_PROTOCOL 1

/* Largest manifest or result file accepted, in bytes. */
#define DUET_JOBFILE_MAX_BYTES ((size_t)1 << 28)

/* File names inside a job directory. */
#define DUET_JOB_MANIFEST "manifest"
#define DUET_JOB_RESULT   "result"
#define DUET_JOB_STDOUT   "stdout"
#define DUET_JOB_STDERR   "stderr"

/* Exit statuses of a worker process. Any other status (1, 128 + signal) means it crashed. */
enum {
    DUET_WORKER_EXIT_OK = 0,         /* result written with status = ok */
    DUET_WORKER_EXIT_USAGE = 2,      /* bad command line; nothing written */
    DUET_WORKER_EXIT_MANIFEST = 3,   /* manifest missing or invalid; status = invalid */
    DUET_WORKER_EXIT_EVALUATION = 4, /* the evaluation failed; status = failed */
    DUET_WORKER_EXIT_TIMEOUT = 5,    /* the evaluation exceeded the timeout; status = timeout */
    DUET_WORKER_EXIT_RESULT = 6,     /* the result file could not be written */
};

/* A parsed key = value file: n pairs in file order, values decoded. Owns its strings. */
typedef struct duet_kv {
    size_t n;
    char **keys;
    char **values;
} duet_kv;

/* Parses text of len bytes; `origin` (a path) starts every error message (DUET_EFORMAT). */
duet_status duet_kv_parse(const char *text, size_t len, const char *origin, duet_kv *out,
                          duet_error *err);
/* Reads and parses the file at path (DUET_ENOTFOUND when it does not exist). */
duet_status duet_kv_read(const char *path, duet_kv *out, duet_error *err);
void duet_kv_free(duet_kv *kv);
/* The decoded value of key, or NULL when absent. */
const char *duet_kv_get(const duet_kv *kv, const char *key);

/* Appends "key = value\n" with the value encoded. */
void duet_kv_put(duet_buf *b, const char *key, const char *value);
void duet_kv_putf(duet_buf *b, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Appends one list element, encoded with ',' escaped, as used inside list values. */
void duet_kv_put_element(duet_buf *b, const char *element);

/*
 * Splits a list value at raw commas and decodes each element into a new array of n strings
 * (freed with duet_kv_free_list). An empty value is an empty list.
 */
duet_status duet_kv_split_list(const char *value, const char *what, char ***out, size_t *n,
                               duet_error *err);
void duet_kv_free_list(char **list, size_t n);

/* Strict number parsing of a whole value: no blanks, no trailing text, in range. */
duet_status duet_kv_parse_u64(const char *value, const char *what, uint64_t *out, duet_error *err);
/* Accepts "nan" only when allow_nan is set; never infinities. */
duet_status duet_kv_parse_double(const char *value, const char *what, int allow_nan, double *out,
                                 duet_error *err);

/* Appends "prefix.NAME = value" lines for every option of spec stored in `options`. */
void duet_kv_put_options(duet_buf *b, const char *prefix, const duet_option *spec,
                         const void *options);

/*
 * Fills `options` (zeroed, of the size spec describes) from the "prefix.NAME" keys of kv, with
 * the same type and range checks and defaults as an experiment script; keys under the prefix
 * that spec does not know are rejected. On failure free the struct with duet_options_free.
 */
duet_status duet_kv_get_options(const duet_kv *kv, const char *prefix, const duet_option *spec,
                                void *options, const char *origin, duet_error *err);

/* ------------------------------------------------------------------ manifest */

/* Everything an executor knows about one evaluation, for writing its manifest. */
typedef struct duet_job_spec {
    const char *job;  /* human-readable id: task, method, trial, iteration, sample */
    unsigned attempt; /* 1 for the first try */
    const duet_backend_type *backend_type;
    const void *backend_options;
    const char *task;                /* task name */
    const void *task_options;        /* the backend's task option struct */
    uint64_t points;                 /* data budget M the task was opened with */
    uint64_t seed;                   /* the evaluation's seed */
    uint64_t experiment_seed;        /* the backend's environment seed */
    double timeout;                  /* seconds for the evaluation; 0 means none */
    const char *script_dir;          /* absolute */
    const char *data_dir;            /* absolute */
    const char *const *domain_names; /* [subset->n_domains] names of the task's pool domains */
    const uint64_t *domain_sizes;    /* [subset->n_domains] */
    const duet_subset *subset;
} duet_job_spec;

/* Formats the manifest of spec into b. */
duet_status duet_job_manifest_format(duet_buf *b, const duet_job_spec *spec, duet_error *err);

/* A manifest as read back by a worker. Owns everything; free with duet_job_manifest_free. */
typedef struct duet_job_manifest {
    duet_kv kv;      /* every key, for backend and task options */
    const char *job; /* values point into kv */
    const char *backend;
    const char *task;
    uint64_t attempt;
    uint64_t points;
    uint64_t seed;
    uint64_t experiment_seed;
    double timeout;
    const char *script_dir;
    const char *data_dir;
    size_t n_domains;
    char **domain_names;    /* [n_domains], pointers into kv */
    uint64_t *domain_sizes; /* [n_domains] */
    duet_subset subset;     /* items per domain, checked against domain_sizes */
} duet_job_manifest;

/* Reads and validates the manifest file at path. */
duet_status duet_job_manifest_read(const char *path, duet_job_manifest *out, duet_error *err);
void duet_job_manifest_free(duet_job_manifest *m);

/* ------------------------------------------------------------------ result */

typedef enum duet_job_status {
    DUET_JOB_OK = 0,
    DUET_JOB_FAILED = 1,  /* the evaluation raised an error */
    DUET_JOB_TIMEOUT = 2, /* the evaluation exceeded its timeout */
    DUET_JOB_INVALID = 3, /* the manifest was missing or invalid */
} duet_job_status;

#define DUET_JOB_TEXT_MAX 512

typedef struct duet_job_result {
    duet_job_status status;
    duet_eval_result eval; /* feedback, value, seconds, metrics when status is DUET_JOB_OK */
    char metric_names[DUET_TASK_METRICS_MAX][64];
    char error[DUET_ERROR_MSG_MAX]; /* message when status is not DUET_JOB_OK */
    char host[DUET_JOB_TEXT_MAX];
    char worker[DUET_JOB_TEXT_MAX]; /* program and versions that evaluated */
} duet_job_result;

/* Formats r as a result file into b. */
void duet_job_result_format(duet_buf *b, const duet_job_result *r);
/* Writes r to path atomically (temporary file, fsync, rename). */
duet_status duet_job_result_write(const char *path, const duet_job_result *r, duet_error *err);
/*
 * Parses a result file strictly: unknown keys, a missing or other protocol version, a missing
 * or non-finite feedback of an ok result, bad metrics and duplicate keys are DUET_EFORMAT errors.
 */
duet_status duet_job_result_parse(const char *text, size_t len, const char *origin,
                                  duet_job_result *out, duet_error *err);
duet_status duet_job_result_read(const char *path, duet_job_result *out, duet_error *err);

/* "ok", "failed", "timeout" or "invalid". */
const char *duet_job_status_name(duet_job_status status);

#endif
