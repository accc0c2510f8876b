/*
 * The local executor: runs up to `jobs` worker processes at once on this machine, one per job
 * directory, each started with fork + execvp of the worker command (by default this program's
 * `duet worker`).
 *
 * Why worker processes and not forked copies of the running duet: the local executor then
 * speaks the same protocol as the Slurm executor, so a worker written in another language (the
 * LLM worker) runs locally unchanged, and a crash, a leak or a hang of one evaluation cannot
 * touch the run. The price is that every evaluation reopens the backend.
 *
 * Invariant: when run() returns, no worker it started is still running; on an interrupt the
 * process groups of the running workers get SIGTERM, then SIGKILL after a grace period.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "exec/jobdir.h"
#include "exec/jobfile.h"
#include "exec/spawn.h"
#include "util/mem.h"

/* Seconds a worker may run past the timeout it enforces itself before the executor kills it. */
#define LOCAL_KILL_GRACE 3.0
/* Seconds between SIGTERM and SIGKILL when stopping workers. */
#define LOCAL_TERM_GRACE 3.0

typedef struct local_state {
    duet_jobdir jd;
} local_state;

static int launch(local_state *ls, duet_jobdir_batch *b, size_t i)
{
    duet_jobdir_entry *e = &b->entries[i];
    char **argv = duet_calloc(ls->jd.worker_argc + 2, sizeof *argv);
    char out[4200], errp[4200];
    snprintf(out, sizeof out, "%s/%s", e->dir, DUET_JOB_STDOUT);
    snprintf(errp, sizeof errp, "%s/%s", e->dir, DUET_JOB_STDERR);
    duet_error err;
    duet_status st = DUET_ENOMEM;
    if (argv != NULL) {
        duet_jobdir_worker_argv(&ls->jd, b, i, argv);
        st = duet_spawn(argv, out, errp, &e->pid, &err);
    } else {
        duet_error_set(&err, st, "out of memory starting a worker");
    }
    duet_free(argv);
    if (st != DUET_OK) {
        /* A worker that cannot be started fails the same way every time: no retries. */
        return duet_jobdir_fail(&ls->jd, b, i, err.msg, 0) ? -1 : 0;
    }
    e->state = DUET_JOBDIR_RUNNING;
    e->started = duet_monotonic_seconds();
    duet_logf(ls->jd.log, DUET_LOG_DEBUG, "started worker pid %ld for %s in %s", (long)e->pid,
              e->job->label, e->dir);
    return 1;
}

/* Stops every running worker: SIGTERM to its process group, SIGKILL after a grace period. */
static void stop_all(local_state *ls, duet_jobdir_batch *b)
{
    size_t running = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->entries[i].state == DUET_JOBDIR_RUNNING) {
            kill(-b->entries[i].pid, SIGTERM);
            running++;
        }
    double deadline = duet_monotonic_seconds() + LOCAL_TERM_GRACE;
    while (running > 0) {
        for (size_t i = 0; i < b->n; i++) {
            duet_jobdir_entry *e = &b->entries[i];
            if (e->state != DUET_JOBDIR_RUNNING)
                continue;
            int status;
            pid_t got = waitpid(e->pid, &status, WNOHANG);
            if (got == e->pid || (got < 0 && errno == ECHILD)) {
                e->state = DUET_JOBDIR_WAITING;
                running--;
            } else if (duet_monotonic_seconds() > deadline) {
                kill(-e->pid, SIGKILL);
                kill(e->pid, SIGKILL);
            }
        }
        if (running > 0)
            duet_sleep_seconds(0.02);
    }
    duet_logf(ls->jd.log, DUET_LOG_INFO, "stopped the running workers");
}

static duet_status local_run(void *state, const duet_exec_context *ctx, duet_eval_job *jobs,
                             size_t n, duet_error *err)
{
    local_state *ls = state;
    duet_jobdir_batch b;
    duet_status st = duet_jobdir_batch_begin(&ls->jd, ctx, jobs, n, &b, err);
    if (st != DUET_OK) {
        duet_jobdir_batch_end(&ls->jd, &b);
        return st;
    }
    size_t limit = ls->jd.opt.jobs > 0 ? (size_t)ls->jd.opt.jobs : 1;
    double hard_limit = ls->jd.opt.timeout > 0 ? ls->jd.opt.timeout + LOCAL_KILL_GRACE : 0;
    sigset_t old_mask;
    duet_sigchld_block(&old_mask);
    for (;;) {
        if (ctx->interrupted && *ctx->interrupted) {
            stop_all(ls, &b);
            st = duet_error_set(err, DUET_EINTERRUPT, "interrupted while workers were running");
            break;
        }
        size_t running = 0, done = 0;
        for (size_t i = 0; i < n; i++) {
            running += b.entries[i].state == DUET_JOBDIR_RUNNING;
            done += b.entries[i].state == DUET_JOBDIR_DONE;
        }
        if (done == n)
            break;
        for (size_t i = 0; i < n && running < limit; i++)
            if (b.entries[i].state == DUET_JOBDIR_WAITING)
                running += launch(ls, &b, i) == 1;
        int progressed = 0;
        for (size_t i = 0; i < n; i++) {
            duet_jobdir_entry *e = &b.entries[i];
            if (e->state != DUET_JOBDIR_RUNNING)
                continue;
            int status = 0;
            pid_t got = waitpid(e->pid, &status, WNOHANG);
            if (got == 0) {
                if (hard_limit > 0 && duet_monotonic_seconds() - e->started > hard_limit) {
                    /* The worker did not enforce its own timeout: kill its process group. */
                    kill(-e->pid, SIGKILL);
                    kill(e->pid, SIGKILL);
                }
                continue;
            }
            progressed = 1;
            char ended[160];
            if (got < 0)
                snprintf(ended, sizeof ended, "could not be waited for: %s", strerror(errno));
            else
                duet_describe_wait_status(status, ended, sizeof ended);
            int exit_ok = got == e->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
            e->state = DUET_JOBDIR_WAITING;
            duet_jobdir_collect(&ls->jd, &b, i, ended, exit_ok);
        }
        /* Wake up when a worker ends, and at least every 0.2 s for interrupts and time limits. */
        if (!progressed)
            duet_sigchld_wait(0.2);
    }
    duet_sigmask_restore(&old_mask);
    duet_jobdir_batch_end(&ls->jd, &b);
    return st;
}

static void local_destroy(void *state)
{
    local_state *ls = state;
    if (ls == NULL)
        return;
    duet_jobdir_release(&ls->jd);
    duet_free(ls);
}

duet_status duet_executor_local_create(const duet_executor_options *o, const duet_executor_env *env,
                                       duet_executor *out, duet_error *err);

duet_status duet_executor_local_create(const duet_executor_options *o, const duet_executor_env *env,
                                       duet_executor *out, duet_error *err)
{
    local_state *ls = duet_calloc(1, sizeof *ls);
    if (ls == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for the local executor");
    duet_status st = duet_jobdir_init(&ls->jd, o, env, err);
    if (st != DUET_OK) {
        local_destroy(ls);
        return st;
    }
    out->name = "local";
    out->parallelism = o->jobs > 0 ? (size_t)o->jobs : 1;
    out->state = ls;
    out->run = local_run;
    out->destroy = local_destroy;
    return DUET_OK;
}
