/*
 * The C worker: reads JOB_DIR/manifest, reopens the named backend with the manifest's options,
 * opens the task, checks that the task's training pool has the domains and sizes the manifest
 * names, evaluates the subset with the manifest's seed and writes JOB_DIR/result.
 *
 * Invariant: whenever the manifest could be read far enough to start, the job directory ends
 * with a result file (ok, failed, timeout or invalid) unless the supervising process itself is
 * killed. The evaluation runs in a forked child; the parent waits up to the timeout, kills the
 * child's process group when it expires and reports a crash of the child as a failure.
 */
#define _GNU_SOURCE /* gethostname */
#include "exec/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec/jobfile.h"
#include "exec/spawn.h"
#include "run/registry.h"
#include "util/mem.h"

#ifndef DUET_VERSION
#define DUET_VERSION "0"
#endif

typedef struct worker_paths {
    char manifest[4096];
    char result[4096];
} worker_paths;

static void fill_identity(duet_job_result *r)
{
    if (gethostname(r->host, sizeof r->host - 1) != 0)
        snprintf(r->host, sizeof r->host, "unknown");
    snprintf(r->worker, sizeof r->worker, "duet %s (C worker)", DUET_VERSION);
}

/* Writes a result that is not ok and returns `code`, or DUET_WORKER_EXIT_RESULT on failure. */
static int write_failure(const worker_paths *p, duet_job_status status, int code,
                         const char *message, const duet_log *log)
{
    duet_job_result r;
    memset(&r, 0, sizeof r);
    r.status = status;
    snprintf(r.error, sizeof r.error, "%s", message);
    fill_identity(&r);
    duet_logf(log, DUET_LOG_ERROR, "%s: %s", duet_job_status_name(status), message);
    duet_error err;
    if (duet_job_result_write(p->result, &r, &err) != DUET_OK) {
        duet_logf(log, DUET_LOG_ERROR, "%s", err.msg);
        return DUET_WORKER_EXIT_RESULT;
    }
    return code;
}

/* Checks that the task's pool matches the manifest's domains, name by name and size by size. */
static duet_status check_pool(const duet_backend_type *bt, void *backend,
                              const duet_task_info *info, const duet_job_manifest *m,
                              duet_error *err)
{
    if (info->n_pool != m->n_domains)
        return duet_error_set(err, DUET_EMISMATCH,
                              "task %s of backend %s has %zu training domains here, the manifest "
                              "lists %zu; the worker runs another backend version or data",
                              m->task, m->backend, info->n_pool, m->n_domains);
    for (size_t i = 0; i < m->n_domains; i++) {
        const char *name = bt->domain_name(backend, info->pool[i]);
        uint64_t size = bt->domain_size(backend, info->pool[i]);
        if (strcmp(name, m->domain_names[i]) != 0 || size != m->domain_sizes[i])
            return duet_error_set(err, DUET_EMISMATCH,
                                  "pool domain %zu of task %s is %s with %llu items here, the "
                                  "manifest says %s with %llu; the worker sees other data than "
                                  "the run",
                                  i + 1, m->task, name, (unsigned long long)size,
                                  m->domain_names[i], (unsigned long long)m->domain_sizes[i]);
    }
    return DUET_OK;
}

/* The evaluation child: everything after the manifest was read. Returns the exit status. */
static int evaluate_job(const worker_paths *p, const duet_job_manifest *m, const duet_log *log)
{
    duet_error err;
    duet_error_clear(&err);
    const duet_backend_type *bt = duet_backend_find(m->backend);
    if (bt == NULL) {
        char msg[DUET_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg,
                 "%.700s: backend '%s' is not registered in this duet build; run the job with a "
                 "worker that has it",
                 p->manifest, m->backend);
        return write_failure(p, DUET_JOB_INVALID, DUET_WORKER_EXIT_MANIFEST, msg, log);
    }
    void *options = duet_calloc(1, bt->options_size ? bt->options_size : 1);
    void *task_options = duet_calloc(1, bt->task_options_size ? bt->task_options_size : 1);
    void *backend = NULL, *task = NULL;
    duet_task_info info;
    int code = DUET_WORKER_EXIT_OK;
    duet_status st = options && task_options ? DUET_OK : DUET_ENOMEM;
    if (st != DUET_OK)
        duet_error_set(&err, st, "out of memory for the backend options");
    if (st == DUET_OK)
        st = duet_kv_get_options(&m->kv, "backend", bt->options, options, p->manifest, &err);
    if (st == DUET_OK)
        st = duet_kv_get_options(&m->kv, "task", bt->task_options, task_options, p->manifest, &err);
    if (st != DUET_OK) {
        code = write_failure(p, DUET_JOB_INVALID, DUET_WORKER_EXIT_MANIFEST, err.msg, log);
        goto done;
    }
    duet_backend_env env = {
        .log = log,
        .seed = m->experiment_seed,
        .script_dir = m->script_dir,
        .data_dir = m->data_dir,
    };
    if ((st = bt->open(options, &env, &backend, &err)) != DUET_OK) {
        duet_error_prefix(&err, "backend %s", bt->name);
        code = write_failure(p, DUET_JOB_FAILED, DUET_WORKER_EXIT_EVALUATION, err.msg, log);
        goto done;
    }
    if ((st = bt->task_open(backend, m->task, task_options, m->points, &task, &info, &err)) !=
        DUET_OK) {
        duet_error_prefix(&err, "task %s", m->task);
        code = write_failure(p, DUET_JOB_FAILED, DUET_WORKER_EXIT_EVALUATION, err.msg, log);
        goto done;
    }
    if ((st = check_pool(bt, backend, &info, m, &err)) != DUET_OK) {
        code = write_failure(p, DUET_JOB_INVALID, DUET_WORKER_EXIT_MANIFEST, err.msg, log);
        goto done;
    }
    duet_job_result r;
    memset(&r, 0, sizeof r);
    if ((st = bt->evaluate(backend, task, &m->subset, m->seed, &r.eval, &err)) != DUET_OK) {
        code = write_failure(p, DUET_JOB_FAILED, DUET_WORKER_EXIT_EVALUATION, err.msg, log);
        goto done;
    }
    if (!isfinite(r.eval.feedback)) {
        char msg[256];
        snprintf(msg, sizeof msg, "backend %s returned a non-finite feedback (%g) for task %s",
                 bt->name, r.eval.feedback, m->task);
        code = write_failure(p, DUET_JOB_FAILED, DUET_WORKER_EXIT_EVALUATION, msg, log);
        goto done;
    }
    if (r.eval.n_metrics > DUET_TASK_METRICS_MAX)
        r.eval.n_metrics = DUET_TASK_METRICS_MAX;
    for (size_t i = 0; i < r.eval.n_metrics; i++)
        snprintf(r.metric_names[i], sizeof r.metric_names[i], "%zu", i + 1);
    r.status = DUET_JOB_OK;
    fill_identity(&r);
    if (duet_job_result_write(p->result, &r, &err) != DUET_OK) {
        duet_logf(log, DUET_LOG_ERROR, "%s", err.msg);
        code = DUET_WORKER_EXIT_RESULT;
    }
done:
    if (task)
        bt->task_close(backend, task);
    if (backend)
        bt->close(backend);
    if (options)
        duet_options_free(bt->options, options);
    if (task_options)
        duet_options_free(bt->task_options, task_options);
    duet_free(options);
    duet_free(task_options);
    return code;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Redirects stdout and stderr to files in the job directory, appending to earlier attempts. */
static int capture_output(const char *job_dir)
{
    const char *names[2] = {DUET_JOB_STDOUT, DUET_JOB_STDERR};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", job_dir, names[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            return -1;
        fflush(i == 0 ? stdout : stderr);
        if (dup2(fd, i + 1) < 0) {
            close(fd);
            return -1;
        }
        close(fd);
    }
    return 0;
}

/* Waits for the evaluation child up to `timeout` seconds (0: forever); returns its wait status. */
static int wait_child(pid_t child, double timeout, int *timed_out)
{
    double deadline = timeout > 0 ? now_seconds() + timeout : 0;
    *timed_out = 0;
    for (;;) {
        int status = 0;
        pid_t got = waitpid(child, &status, WNOHANG);
        if (got == child)
            return status;
        if (got < 0 && errno != EINTR)
            return -1;
        if (timeout > 0 && now_seconds() >= deadline) {
            *timed_out = 1;
            kill(-child, SIGKILL);
            kill(child, SIGKILL);
            while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
            return status;
        }
        duet_sigchld_wait(0.5);
    }
}

int duet_worker_run(const char *job_dir, const duet_worker_options *opt)
{
    worker_paths p;
    const duet_log *log = opt ? opt->log : NULL;
    if (snprintf(p.manifest, sizeof p.manifest, "%s/%s", job_dir, DUET_JOB_MANIFEST) >=
            (int)sizeof p.manifest ||
        snprintf(p.result, sizeof p.result, "%s/%s", job_dir, DUET_JOB_RESULT) >=
            (int)sizeof p.result) {
        duet_logf(log, DUET_LOG_ERROR, "job directory path is too long: %s", job_dir);
        return DUET_WORKER_EXIT_USAGE;
    }
    if (opt && opt->capture && capture_output(job_dir) != 0) {
        duet_logf(log, DUET_LOG_ERROR, "cannot write the output files in job directory %s: %s",
                  job_dir, strerror(errno));
        return DUET_WORKER_EXIT_RESULT;
    }
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    duet_logf(log, DUET_LOG_INFO, "worker pid %ld on %s starts job directory %s", (long)getpid(),
              host, job_dir);
    unlink(p.result);

    duet_job_manifest m;
    duet_error err;
    if (duet_job_manifest_read(p.manifest, &m, &err) != DUET_OK)
        return write_failure(&p, DUET_JOB_INVALID, DUET_WORKER_EXIT_MANIFEST, err.msg, log);
    duet_logf(log, DUET_LOG_INFO, "job %s, attempt %llu: backend %s, task %s, %llu items", m.job,
              (unsigned long long)m.attempt, m.backend, m.task, (unsigned long long)m.subset.total);

    fflush(stdout);
    fflush(stderr);
    sigset_t old_mask;
    duet_sigchld_block(&old_mask);
    pid_t child = fork();
    if (child < 0) {
        duet_sigmask_restore(&old_mask);
        duet_job_manifest_free(&m);
        return write_failure(&p, DUET_JOB_FAILED, DUET_WORKER_EXIT_EVALUATION,
                             "cannot start the evaluation process (fork failed)", log);
    }
    if (child == 0) {
        duet_sigmask_restore(&old_mask);
        setpgid(0, 0);
        int code = evaluate_job(&p, &m, log);
        duet_job_manifest_free(&m);
        fflush(stdout);
        fflush(stderr);
        _exit(code);
    }
    setpgid(child, child);
    double timeout = m.timeout;
    char job[256];
    snprintf(job, sizeof job, "%s", m.job);
    duet_job_manifest_free(&m);
    int timed_out = 0;
    int status = wait_child(child, timeout, &timed_out);
    duet_sigmask_restore(&old_mask);
    char msg[DUET_ERROR_MSG_MAX];
    if (timed_out) {
        snprintf(msg, sizeof msg, "job %s exceeded its timeout of %g seconds and was killed", job,
                 timeout);
        return write_failure(&p, DUET_JOB_TIMEOUT, DUET_WORKER_EXIT_TIMEOUT, msg, log);
    }
    if (status >= 0 && WIFEXITED(status))
        return WEXITSTATUS(status);
    snprintf(msg, sizeof msg, "the evaluation process of job %s %s %d", job,
             status >= 0 && WIFSIGNALED(status) ? "was killed by signal" : "ended with status",
             status >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : status);
    return write_failure(&p, DUET_JOB_FAILED, DUET_WORKER_EXIT_EVALUATION, msg, log);
}
