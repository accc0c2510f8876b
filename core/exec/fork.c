/*
 * The fork executor: N child processes forked from the running duet after its backend and tasks
 * are open, so each evaluation reuses the loaded data instead of reopening the backend as the
 * worker-based executors do. The parent sends each child one job at a time over a pipe (task,
 * seed, per-domain counts and item indices) and reads back the evaluation result. Results do not
 * depend on which child ran a job, since every evaluation carries its own seed.
 *
 * A child that dies (a crash in the backend) is replaced, and its job is tried again up to
 * `retries` times; then the on_failure policy applies as for the other executors: "stop" fails
 * the job, "skip" records NaN feedback. A child that runs a job longer than `timeout` seconds
 * is killed with SIGKILL and handled like one that died. Children ignore SIGINT and SIGTERM (the
 * parent decides when the run stops) and are killed if the parent dies.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec/executors.h"
#include "util/mem.h"

duet_status duet_executor_fork_create(const duet_executor_options *o, const duet_executor_env *env,
                                      duet_executor *out, duet_error *err);

typedef struct job_header {
    uint64_t task, seed, n_domains, total;
} job_header;

typedef struct result_message {
    int32_t status;
    uint32_t error_len;
    double feedback, value, seconds;
    uint64_t n_metrics;
    double metrics[DUET_TASK_METRICS_MAX];
} result_message;

typedef struct child {
    pid_t pid;
    int to_child;   /* write end of the job pipe */
    int from_child; /* read end of the result pipe */
    size_t job;     /* index of the job it runs, or SIZE_MAX when idle */
    double started; /* monotonic time the job was sent, in seconds */
} child;

typedef struct fork_state {
    size_t n;
    child *children;
    int64_t retries;
    double timeout; /* seconds per job; 0: no limit */
    int on_failure;
    const duet_log *log;
    const duet_exec_context *ctx; /* of the batch the children were forked for */
} fork_state;

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Writes or reads exactly len bytes, retrying after signals; 0 on success, -1 on EOF or error. */
static int write_full(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_full(int fd, void *data, size_t len)
{
    char *p = data;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The child's loop: read a job, evaluate it, write the result, until the job pipe closes. */
static void child_main(const duet_exec_context *ctx, int in, int out)
{
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) {
        job_header h;
        if (read_full(in, &h, sizeof h) != 0)
            _exit(0);
        duet_subset subset = {0};
        uint64_t *counts = duet_malloc((size_t)h.n_domains * sizeof *counts);
        result_message r = {0};
        char error[DUET_ERROR_MSG_MAX] = "";
        duet_error err;
        duet_error_clear(&err);
        if (counts == NULL || h.task >= ctx->n_tasks ||
            read_full(in, counts, (size_t)h.n_domains * sizeof *counts) != 0)
            _exit(3);
        duet_status st = duet_subset_init(&subset, (size_t)h.n_domains, counts, &err);
        if (st == DUET_OK && read_full(in, subset.items, (size_t)subset.total * sizeof(uint64_t)))
            _exit(3);
        duet_eval_result result = {0};
        if (st == DUET_OK)
            st = ctx->backend_type->evaluate(ctx->backend, ctx->tasks[h.task], &subset, h.seed,
                                             &result, &err);
        r.status = (int32_t)st;
        r.feedback = result.feedback;
        r.value = result.value;
        r.seconds = result.seconds;
        r.n_metrics = result.n_metrics;
        memcpy(r.metrics, result.metrics, sizeof r.metrics);
        if (st != DUET_OK)
            snprintf(error, sizeof error, "%s", err.msg);
        r.error_len = (uint32_t)strlen(error);
        duet_subset_free(&subset);
        duet_free(counts);
        if (write_full(out, &r, sizeof r) != 0 || write_full(out, error, r.error_len) != 0)
            _exit(4);
    }
}

/* Forks child i; returns 0 on success. */
static int spawn_child(fork_state *s, size_t i)
{
    int jobs[2], results[2];
    if (pipe(jobs) != 0)
        return -1;
    if (pipe(results) != 0) {
        close(jobs[0]);
        close(jobs[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(jobs[0]);
        close(jobs[1]);
        close(results[0]);
        close(results[1]);
        return -1;
    }
    if (pid == 0) {
        /* Keep only this child's two pipe ends. */
        for (size_t k = 0; k < s->n; k++)
            if (s->children[k].pid > 0) {
                close(s->children[k].to_child);
                close(s->children[k].from_child);
            }
        close(jobs[1]);
        close(results[0]);
        child_main(s->ctx, jobs[0], results[1]);
        _exit(0);
    }
    close(jobs[0]);
    close(results[1]);
    s->children[i] = (child){pid, jobs[1], results[0], SIZE_MAX, 0.0};
    return 0;
}

/* Closes a child's pipes and reaps it; returns a description of how it ended. */
static void reap_child(child *c, char *how, size_t size)
{
    close(c->to_child);
    close(c->from_child);
    int status = 0;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        snprintf(how, size, "the evaluation process was killed by signal %d", WTERMSIG(status));
    else
        snprintf(how, size, "the evaluation process exited with status %d", WEXITSTATUS(status));
    c->pid = 0;
}

static void stop_children(fork_state *s)
{
    char how[128];
    for (size_t i = 0; i < s->n; i++)
        if (s->children[i].pid > 0)
            reap_child(&s->children[i], how, sizeof how);
}

static int send_job(child *c, const duet_eval_job *job, size_t index)
{
    const duet_subset *x = job->subset;
    job_header h = {job->task, job->seed, x->n_domains, x->total};
    if (write_full(c->to_child, &h, sizeof h) != 0 ||
        write_full(c->to_child, x->counts, x->n_domains * sizeof *x->counts) != 0 ||
        write_full(c->to_child, x->items, (size_t)x->total * sizeof *x->items) != 0)
        return -1;
    c->job = index;
    c->started = monotonic_seconds();
    return 0;
}

/* Records the final failure of a job under the on_failure policy. */
static void fail_job(fork_state *s, duet_eval_job *job, const char *why)
{
    if (s->on_failure == DUET_ON_FAILURE_SKIP) {
        memset(&job->result, 0, sizeof job->result);
        job->result.feedback = job->result.value = NAN;
        job->status = DUET_OK;
        duet_logf(s->log, DUET_LOG_WARN, "skipping an evaluation of task %zu: %s", job->task, why);
        return;
    }
    job->status = DUET_EEXTERNAL;
    snprintf(job->error, sizeof job->error, "%s", why);
}

/* Reads a job's result from its child into job; returns -1 when the child died instead. */
static int read_result(child *c, duet_eval_job *job)
{
    result_message r;
    char error[DUET_ERROR_MSG_MAX];
    if (read_full(c->from_child, &r, sizeof r) != 0 || r.error_len >= sizeof error ||
        read_full(c->from_child, error, r.error_len) != 0)
        return -1;
    error[r.error_len] = '\0';
    job->status = (duet_status)r.status;
    job->result.feedback = r.feedback;
    job->result.value = r.value;
    job->result.seconds = r.seconds;
    job->result.n_metrics = r.n_metrics <= DUET_TASK_METRICS_MAX ? r.n_metrics : 0;
    memcpy(job->result.metrics, r.metrics, sizeof r.metrics);
    snprintf(job->error, sizeof job->error, "%s", error);
    return 0;
}

/* Milliseconds poll() may wait before the earliest running job reaches the timeout; -1: forever. */
static int poll_timeout_ms(const fork_state *s)
{
    if (s->timeout <= 0)
        return -1;
    double now = monotonic_seconds(), wait = INFINITY;
    for (size_t i = 0; i < s->n; i++) {
        const child *c = &s->children[i];
        if (c->job != SIZE_MAX)
            wait = fmin(wait, c->started + s->timeout - now);
    }
    if (wait == INFINITY)
        return -1;
    if (wait <= 0)
        return 0;
    return wait > 3600.0 ? 3600000 : (int)ceil(wait * 1000.0);
}

static duet_status fork_run(void *state, const duet_exec_context *ctx, duet_eval_job *jobs,
                            size_t n, duet_error *err)
{
    fork_state *s = state;
    if (s->ctx != ctx) {
        /* The children were forked for another backend or task set: start them again. */
        stop_children(s);
        s->ctx = ctx;
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->children[i].pid == 0 && spawn_child(s, i) != 0)
            return duet_error_set(err, DUET_EEXTERNAL, "cannot start an evaluation process: %s",
                                  strerror(errno));
    int *attempts = duet_calloc(n ? n : 1, sizeof *attempts);
    struct pollfd *fds = duet_calloc(s->n, sizeof *fds);
    if (attempts == NULL || fds == NULL) {
        duet_free(attempts);
        duet_free(fds);
        return duet_error_set(err, DUET_ENOMEM, "out of memory running a batch");
    }
    /* Jobs still to send, in order; a failed job goes back to the front. */
    size_t *queue = duet_malloc((n ? n : 1) * sizeof *queue);
    size_t head = 0, tail = 0, done = 0;
    duet_status st = DUET_OK;
    if (queue == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "out of memory running a batch");
        goto out;
    }
    for (size_t j = 0; j < n; j++)
        queue[tail++] = j;
    while (done < n && st == DUET_OK) {
        for (size_t i = 0; i < s->n && head < tail; i++) {
            child *c = &s->children[i];
            if (c->job != SIZE_MAX)
                continue;
            size_t j = queue[head++];
            attempts[j]++;
            if (send_job(c, &jobs[j], j) != 0) {
                char how[128];
                reap_child(c, how, sizeof how);
                queue[--head] = j; /* try the job again on the replacement */
                attempts[j]--;
                if (spawn_child(s, i) != 0)
                    st = duet_error_set(err, DUET_EEXTERNAL,
                                        "cannot start an evaluation process: %s", strerror(errno));
            }
        }
        size_t busy = 0;
        for (size_t i = 0; i < s->n; i++) {
            fds[i] = (struct pollfd){s->children[i].from_child, POLLIN, 0};
            busy += s->children[i].job != SIZE_MAX;
        }
        if (st != DUET_OK || busy == 0)
            continue;
        if (poll(fds, s->n, poll_timeout_ms(s)) < 0) {
            if (errno == EINTR)
                continue;
            st = duet_error_set(err, DUET_EEXTERNAL, "waiting for evaluations failed: %s",
                                strerror(errno));
            break;
        }
        double now = monotonic_seconds();
        for (size_t i = 0; i < s->n; i++) {
            child *c = &s->children[i];
            if (c->job == SIZE_MAX)
                continue;
            size_t j = c->job;
            char how[160];
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (read_result(c, &jobs[j]) == 0) {
                    c->job = SIZE_MAX;
                    done++;
                    continue;
                }
                reap_child(c, how, sizeof how); /* it died during the job */
            } else if (s->timeout > 0 && now - c->started >= s->timeout) {
                kill(c->pid, SIGKILL);
                reap_child(c, how, sizeof how);
                snprintf(how, sizeof how,
                         "the evaluation timed out after %g s (executor option timeout); raise "
                         "the timeout or make the evaluation cheaper",
                         s->timeout);
            } else {
                continue;
            }
            /* Replace the child, then retry the job or give up. */
            c->job = SIZE_MAX;
            if (spawn_child(s, i) != 0) {
                st = duet_error_set(err, DUET_EEXTERNAL, "cannot start an evaluation process: %s",
                                    strerror(errno));
                break;
            }
            if (attempts[j] <= s->retries) {
                duet_logf(s->log, DUET_LOG_WARN, "retrying an evaluation of task %zu: %s",
                          jobs[j].task, how);
                queue[--head] = j;
            } else {
                fail_job(s, &jobs[j], how);
                done++;
            }
        }
    }
out:
    duet_free(queue);
    duet_free(attempts);
    duet_free(fds);
    if (st != DUET_OK)
        stop_children(s);
    return st;
}

static void fork_destroy(void *state)
{
    fork_state *s = state;
    if (s == NULL)
        return;
    stop_children(s);
    duet_free(s->children);
    duet_free(s);
}

duet_status duet_executor_fork_create(const duet_executor_options *o, const duet_executor_env *env,
                                      duet_executor *out, duet_error *err)
{
    fork_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL || (s->children = duet_calloc((size_t)o->jobs, sizeof *s->children)) == NULL) {
        duet_free(s);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating the fork executor");
    }
    s->n = (size_t)o->jobs;
    s->retries = o->retries;
    s->timeout = o->timeout;
    s->on_failure = o->on_failure;
    s->log = env->log;
    for (size_t i = 0; i < s->n; i++)
        s->children[i].job = SIZE_MAX;
    out->name = "fork";
    out->parallelism = s->n;
    out->state = s;
    out->run = fork_run;
    out->destroy = fork_destroy;
    return DUET_OK;
}
