/*
 * Job directories of the local and Slurm executors (layout in jobdir.h).
 *
 * Invariant: an entry is DONE exactly when its duet_eval_job is final, i.e. holds either the
 * worker's ok result, or a NaN feedback after the retries of a failure under on_failure =
 * "skip", or a failure status with a message naming the job directory under "stop". A worker
 * failure is retried at most `retries` times; a manifest the worker rejects is never retried,
 * since running it again cannot help.
 */
#define _GNU_SOURCE /* realpath */
#include "exec/jobdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exec/jobfile.h"
#include "run/config.h"
#include "exec/spawn.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

static duet_status make_dir(const char *path, duet_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return duet_error_set(err, DUET_EIO, "cannot create folder %s: %s", tmp,
                                  strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return duet_error_set(err, DUET_EIO, "cannot create folder %s: %s", tmp, strerror(errno));
    return DUET_OK;
}

/* Absolute form of path: realpath when it exists, else the working directory prepended. */
static void absolute_path(const char *path, char *out, size_t size)
{
    char resolved[PATH_MAX];
    if (realpath(path, resolved) != NULL) {
        snprintf(out, size, "%s", resolved);
        return;
    }
    char cwd[PATH_MAX];
    if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
        snprintf(out, size, "%s", path);
    else
        duet_path_join(out, size, cwd, path);
}

static duet_status copy_strings(duet_strings *dst, const duet_strings *src, duet_error *err)
{
    dst->n = 0;
    dst->v = duet_calloc(src->n ? src->n : 1, sizeof *dst->v);
    if (dst->v == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for executor options");
    for (size_t i = 0; i < src->n; i++) {
        if ((dst->v[i] = duet_strdup(src->v[i])) == NULL)
            return duet_error_set(err, DUET_ENOMEM, "out of memory for executor options");
        dst->n = i + 1;
    }
    return DUET_OK;
}

static char *dup_or_empty(const char *s)
{
    return duet_strdup(s ? s : "");
}

/* Deep copy of the options, so the executor outlives the configuration it came from. */
static duet_status copy_options(duet_executor_options *dst, const duet_executor_options *src,
                                duet_error *err)
{
    *dst = *src;
    dst->worker = (duet_strings){0};
    dst->sbatch_args = (duet_strings){0};
    dst->setup = (duet_strings){0};
    dst->run_dir = dup_or_empty(src->run_dir);
    dst->partition = dup_or_empty(src->partition);
    dst->time = dup_or_empty(src->time);
    dst->mem = dup_or_empty(src->mem);
    dst->gpus = dup_or_empty(src->gpus);
    dst->slurm_bin = dup_or_empty(src->slurm_bin);
    if (!dst->run_dir || !dst->partition || !dst->time || !dst->mem || !dst->gpus ||
        !dst->slurm_bin)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for executor options");
    duet_status st = copy_strings(&dst->worker, &src->worker, err);
    if (st == DUET_OK)
        st = copy_strings(&dst->sbatch_args, &src->sbatch_args, err);
    if (st == DUET_OK)
        st = copy_strings(&dst->setup, &src->setup, err);
    return st;
}

duet_status duet_jobdir_init(duet_jobdir *jd, const duet_executor_options *o,
                             const duet_executor_env *env, duet_error *err)
{
    memset(jd, 0, sizeof *jd);
    jd->log = env->log;
    snprintf(jd->name, sizeof jd->name, "%s", env->name ? env->name : "duet");
    duet_status st = copy_options(&jd->opt, o, err);
    if (st != DUET_OK)
        return st;
    char run_dir[4096];
    if (jd->opt.run_dir[0] != '\0')
        snprintf(run_dir, sizeof run_dir, "%s", jd->opt.run_dir);
    else
        snprintf(run_dir, sizeof run_dir, "%s.jobs", env->out_path ? env->out_path : "duet");
    if ((st = make_dir(run_dir, err)) != DUET_OK)
        return st;
    char absolute[4096];
    absolute_path(run_dir, absolute, sizeof absolute);
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    if (snprintf(jd->session_dir, sizeof jd->session_dir, "%s/%s-%ld", absolute, stamp,
                 (long)getpid()) >= (int)sizeof jd->session_dir - 64)
        return duet_error_set(err, DUET_EINVAL, "run_dir %s is too long a path", absolute);
    if ((st = make_dir(jd->session_dir, err)) != DUET_OK)
        return st;
    snprintf(jd->failures_log, sizeof jd->failures_log, "%s/failures.log", jd->session_dir);

    /* The worker command: the given program and arguments, or this duet's `worker` command. */
    size_t argc = jd->opt.worker.n ? jd->opt.worker.n : 2;
    jd->worker_argv = duet_calloc(argc + 2, sizeof *jd->worker_argv);
    if (jd->worker_argv == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for the worker command");
    jd->worker_argc = argc;
    for (size_t i = 0; i < argc; i++) {
        const char *arg = jd->opt.worker.n ? jd->opt.worker.v[i]
                          : i == 0         ? env->self_path
                                           : "worker";
        if ((jd->worker_argv[i] = duet_strdup(arg)) == NULL)
            return duet_error_set(err, DUET_ENOMEM, "out of memory for the worker command");
    }
    return DUET_OK;
}

void duet_jobdir_release(duet_jobdir *jd)
{
    for (size_t i = 0; jd->worker_argv && i < jd->worker_argc; i++)
        duet_free(jd->worker_argv[i]);
    duet_free(jd->worker_argv);
    int default_run_dir = jd->opt.run_dir != NULL && jd->opt.run_dir[0] == '\0';
    duet_executor_options_free(&jd->opt);
    /*
     * The session folder is removed when nothing is left in it (no kept or failed jobs), and so
     * is the default RESULTS.h5.jobs folder around it when no other session remains.
     */
    if (jd->session_dir[0] != '\0' && rmdir(jd->session_dir) == 0 && default_run_dir) {
        char *slash = strrchr(jd->session_dir, '/');
        if (slash != NULL && slash != jd->session_dir) {
            *slash = '\0';
            rmdir(jd->session_dir);
        }
    }
    memset(jd, 0, sizeof *jd);
}

/*
 * Writes a file through a temporary name and a rename, without fsync: a worker never sees a
 * partial manifest, and after a crash of this machine the run is resumed and writes new ones.
 */
static duet_status write_file_quick(const char *path, const char *data, size_t len, duet_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%.4000s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (f == NULL)
        return duet_error_set(err, DUET_EIO, "cannot create %s: %s", tmp, strerror(errno));
    size_t wrote = fwrite(data, 1, len, f);
    int closed = fclose(f);
    if (wrote != len || closed != 0 || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        return duet_error_set(err, DUET_EIO, "cannot write %s: %s", path, strerror(saved));
    }
    return DUET_OK;
}

static duet_status write_manifest(duet_jobdir *jd, duet_jobdir_batch *b, size_t i, duet_error *err)
{
    duet_jobdir_entry *e = &b->entries[i];
    const duet_config *cfg = b->ctx->cfg;
    const duet_eval_job *job = e->job;
    duet_job_spec spec = {
        .job = job->label[0] ? job->label : "unnamed",
        .attempt = e->attempt,
        .backend_type = cfg->backend,
        .backend_options = cfg->backend_options,
        .task = cfg->tasks[job->task].name,
        .task_options = cfg->tasks[job->task].options,
        .points = (uint64_t)cfg->points,
        .seed = job->seed,
        .experiment_seed = b->ctx->env ? b->ctx->env->seed : cfg->seed,
        .timeout = jd->opt.timeout,
        .script_dir = b->script_dir,
        .data_dir = b->data_dir,
        .domain_names = b->ctx->domain_names[job->task],
        .domain_sizes = b->ctx->domain_sizes[job->task],
        .subset = job->subset,
    };
    duet_buf text = {0};
    duet_status st = duet_job_manifest_format(&text, &spec, err);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", e->dir, DUET_JOB_MANIFEST);
    if (st == DUET_OK)
        st = write_file_quick(path, text.data, text.len, err);
    duet_buf_free(&text);
    return st;
}

duet_status duet_jobdir_batch_begin(duet_jobdir *jd, const duet_exec_context *ctx,
                                    duet_eval_job *jobs, size_t n, duet_jobdir_batch *b,
                                    duet_error *err)
{
    memset(b, 0, sizeof *b);
    if (ctx->cfg == NULL || ctx->domain_names == NULL || ctx->domain_sizes == NULL)
        return duet_error_set(err, DUET_EINVAL,
                              "the %s executor needs the run's configuration in its context",
                              jd->opt.worker.n ? "worker" : "local or Slurm");
    b->ctx = ctx;
    b->n = n;
    jd->batches++;
    char name[32];
    snprintf(name, sizeof name, "b%06lu", jd->batches);
    duet_path_join(b->dir, sizeof b->dir, jd->session_dir, name);
    absolute_path(ctx->env && ctx->env->script_dir ? ctx->env->script_dir : ".", b->script_dir,
                  sizeof b->script_dir);
    absolute_path(ctx->env && ctx->env->data_dir ? ctx->env->data_dir : "data", b->data_dir,
                  sizeof b->data_dir);
    duet_status st = make_dir(b->dir, err);
    if (st != DUET_OK)
        return st;
    b->entries = duet_calloc(n ? n : 1, sizeof *b->entries);
    if (b->entries == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for %zu job directories", n);
    for (size_t i = 0; i < n && st == DUET_OK; i++) {
        duet_jobdir_entry *e = &b->entries[i];
        e->job = &jobs[i];
        e->attempt = 1;
        jobs[i].status = DUET_OK;
        jobs[i].error[0] = '\0';
        char index[32];
        snprintf(index, sizeof index, "%zu", i);
        duet_path_join(e->dir, sizeof e->dir, b->dir, index);
        st = make_dir(e->dir, err);
        if (st == DUET_OK)
            st = write_manifest(jd, b, i, err);
    }
    return st;
}

duet_status duet_jobdir_next_attempt(duet_jobdir *jd, duet_jobdir_batch *b, size_t i,
                                     duet_error *err)
{
    duet_jobdir_entry *e = &b->entries[i];
    char from[4200], to[4200];
    snprintf(from, sizeof from, "%s/%s", e->dir, DUET_JOB_RESULT);
    snprintf(to, sizeof to, "%s/%s.%u", e->dir, DUET_JOB_RESULT, e->attempt);
    if (rename(from, to) != 0 && errno != ENOENT)
        return duet_error_set(err, DUET_EIO, "cannot rename %s: %s", from, strerror(errno));
    e->attempt++;
    e->state = DUET_JOBDIR_WAITING;
    e->missing_polls = 0;
    return write_manifest(jd, b, i, err);
}

void duet_jobdir_worker_argv(const duet_jobdir *jd, duet_jobdir_batch *b, size_t i, char **argv)
{
    for (size_t k = 0; k < jd->worker_argc; k++)
        argv[k] = jd->worker_argv[k];
    argv[jd->worker_argc] = b->entries[i].dir;
    argv[jd->worker_argc + 1] = NULL;
}

/* The last non-empty line of the job's stderr file, to show with a failure. */
static void stderr_tail(const char *dir, char *out, size_t size)
{
    out[0] = '\0';
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, DUET_JOB_STDERR);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return;
    char chunk[2048];
    if (fseek(f, -(long)(sizeof chunk - 1), SEEK_END) != 0)
        fseek(f, 0, SEEK_SET);
    size_t n = fread(chunk, 1, sizeof chunk - 1, f);
    fclose(f);
    chunk[n] = '\0';
    while (n > 0 && (chunk[n - 1] == '\n' || chunk[n - 1] == '\r' || chunk[n - 1] == ' '))
        chunk[--n] = '\0';
    char *line = strrchr(chunk, '\n');
    snprintf(out, size, "%.300s", line ? line + 1 : chunk);
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
}

static void append_failure_log(const duet_jobdir *jd, const duet_jobdir_entry *e,
                               const char *message)
{
    FILE *f = fopen(jd->failures_log, "a");
    if (f == NULL)
        return;
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "%s\t%s\t%s\t%s\n", stamp, e->dir, e->job->label, message);
    fclose(f);
}

/* Makes entry i final after its last failure, under the on_failure policy. */
static int give_up(duet_jobdir *jd, duet_jobdir_batch *b, size_t i, const char *message)
{
    duet_jobdir_entry *e = &b->entries[i];
    duet_eval_job *job = e->job;
    e->state = DUET_JOBDIR_DONE;
    append_failure_log(jd, e, message);
    if (jd->opt.on_failure == DUET_ON_FAILURE_SKIP) {
        duet_logf(jd->log, DUET_LOG_WARN,
                  "skipping the evaluation of %s after %u attempt%s (on_failure = \"skip\"): %s; "
                  "its job directory is %s",
                  job->label, e->attempt, e->attempt == 1 ? "" : "s", message, e->dir);
        memset(&job->result, 0, sizeof job->result);
        job->result.feedback = NAN;
        job->result.value = NAN;
        job->status = DUET_OK;
        return 1;
    }
    job->status = DUET_EEXTERNAL;
    snprintf(job->error, sizeof job->error,
             "%.400s after %u attempt%s; see the job directory %.300s (its manifest, result, "
             "stdout and stderr), or set on_failure = \"skip\" in the executor to go on without "
             "it",
             message, e->attempt, e->attempt == 1 ? "" : "s", e->dir);
    return 1;
}

int duet_jobdir_fail(duet_jobdir *jd, duet_jobdir_batch *b, size_t i, const char *message,
                     int retryable)
{
    duet_jobdir_entry *e = &b->entries[i];
    e->failures++;
    if (retryable && e->failures <= (unsigned)jd->opt.retries) {
        duet_logf(jd->log, DUET_LOG_WARN, "retrying %s (attempt %u of %lld): %s", e->job->label,
                  e->attempt + 1, (long long)jd->opt.retries + 1, message);
        duet_error err;
        if (duet_jobdir_next_attempt(jd, b, i, &err) == DUET_OK)
            return 0;
        return give_up(jd, b, i, err.msg);
    }
    return give_up(jd, b, i, message);
}

int duet_jobdir_collect(duet_jobdir *jd, duet_jobdir_batch *b, size_t i, const char *ended,
                        int exit_ok)
{
    duet_jobdir_entry *e = &b->entries[i];
    char path[4200], message[DUET_ERROR_MSG_MAX], tail[400];
    snprintf(path, sizeof path, "%s/%s", e->dir, DUET_JOB_RESULT);
    duet_job_result r;
    duet_error err;
    duet_status st = duet_job_result_read(path, &r, &err);
    stderr_tail(e->dir, tail, sizeof tail);
    char how[200] = "";
    if (ended)
        snprintf(how, sizeof how, " (worker %s)", ended);
    if (st == DUET_ENOTFOUND) {
        snprintf(message, sizeof message, "the worker wrote no result file%s%s%s", how,
                 tail[0] ? "; its last stderr line: " : "", tail);
        return duet_jobdir_fail(jd, b, i, message, 1);
    }
    if (st != DUET_OK) {
        snprintf(message, sizeof message, "invalid result file%.200s: %.700s", how, err.msg);
        return duet_jobdir_fail(jd, b, i, message, 1);
    }
    if (r.status == DUET_JOB_INVALID) {
        snprintf(message, sizeof message, "the worker rejected the manifest: %.900s", r.error);
        return duet_jobdir_fail(jd, b, i, message, 0);
    }
    if (r.status != DUET_JOB_OK) {
        snprintf(message, sizeof message, "evaluation %s on %.100s%.200s: %.600s",
                 r.status == DUET_JOB_TIMEOUT ? "timed out" : "failed", r.host, how, r.error);
        return duet_jobdir_fail(jd, b, i, message, 1);
    }
    if (!exit_ok) {
        snprintf(message, sizeof message, "the worker wrote an ok result but then failed%s", how);
        return duet_jobdir_fail(jd, b, i, message, 1);
    }
    e->job->result = r.eval;
    e->job->status = DUET_OK;
    e->state = DUET_JOBDIR_DONE;
    return 1;
}

/* Removes a job directory and the files a worker leaves in it. */
static void remove_job_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

void duet_jobdir_batch_end(duet_jobdir *jd, duet_jobdir_batch *b)
{
    for (size_t i = 0; b->entries && i < b->n; i++) {
        const duet_jobdir_entry *e = &b->entries[i];
        int failed = e->state != DUET_JOBDIR_DONE || e->job->status != DUET_OK ||
                     isnan(e->job->result.feedback) || e->failures > 0;
        if (!failed && !jd->opt.keep_jobs)
            remove_job_dir(e->dir);
    }
    /* Batch-level files (the Slurm batch script) go too when no job directory is left. */
    char script[4200];
    snprintf(script, sizeof script, "%s/job.sh", b->dir);
    if (rmdir(b->dir) != 0 && errno == ENOTEMPTY) {
        DIR *d = opendir(b->dir);
        size_t left = 0;
        struct dirent *ent;
        while (d && (ent = readdir(d)) != NULL)
            left += ent->d_name[0] != '.' && strcmp(ent->d_name, "job.sh") != 0;
        if (d)
            closedir(d);
        if (left == 0) {
            unlink(script);
            rmdir(b->dir);
        }
    }
    duet_free(b->entries);
    memset(b, 0, sizeof *b);
}
