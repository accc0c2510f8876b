/*
 * The Slurm executor: each batch of evaluations becomes a job array (`sbatch --array=0-N%P`,
 * P = jobs) whose task I runs the worker on job directory BATCH/I. The run folder must be on a
 * filesystem that the compute nodes share with this machine.
 *
 * Polling: `squeue -h -r -t all -j IDS -o %i|%T` every poll_seconds. A task in an active state is
 * waited for; an ended task's result file decides success or failure (so the result, not the
 * exit code, is the ground truth); a task that was preempted, lost its node or hit its time limit
 * is submitted again, up to `requeues` times; a task that left the queue without a result file is
 * a worker failure after three polls (shared filesystems may show files late).
 *
 * Invariant: when run() returns with an interrupt or an error, every array job of the batch has
 * been cancelled with scancel. sbatch, squeue and scancel run with argument vectors; the only
 * shell involved is the one Slurm starts for the generated batch script, whose arguments are
 * single-quoted.
 */
#include "exec/slurm.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/jobdir.h"
#include "exec/jobfile.h"
#include "exec/spawn.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

/* Seconds any single Slurm command may take. */
#define SLURM_COMMAND_TIMEOUT 60.0
/* Polls that an ended task may lack its result file before that counts as a failure. */
#define SLURM_MISSING_POLLS 3
/* Consecutive squeue failures that stop the run. */
#define SLURM_SQUEUE_FAILURES 20

typedef struct slurm_state {
    duet_jobdir jd;
} slurm_state;

/* ------------------------------------------------------------------ helpers */

duet_slurm_action duet_slurm_classify(const char *state)
{
    static const char *const active[] = {
        "PENDING",     "RUNNING",       "CONFIGURING", "COMPLETING",   "SUSPENDED",
        "REQUEUED",    "RESIZING",      "SIGNALING",   "STAGE_OUT",    "REQUEUE_HOLD",
        "REQUEUE_FED", "RESV_DEL_HOLD", "STOPPED",     "SPECIAL_EXIT", NULL};
    static const char *const ended[] = {"COMPLETED", "FAILED", "CANCELLED", "OUT_OF_MEMORY", NULL};
    static const char *const requeue[] = {"PREEMPTED", "NODE_FAIL", "BOOT_FAIL",
                                          "TIMEOUT",   "DEADLINE",  NULL};
    for (size_t i = 0; active[i]; i++)
        if (strcmp(state, active[i]) == 0)
            return DUET_SLURM_ACTIVE;
    for (size_t i = 0; ended[i]; i++)
        if (strcmp(state, ended[i]) == 0)
            return DUET_SLURM_ENDED;
    for (size_t i = 0; requeue[i]; i++)
        if (strcmp(state, requeue[i]) == 0)
            return DUET_SLURM_REQUEUE;
    return DUET_SLURM_UNKNOWN;
}

int duet_slurm_parse_squeue_line(const char *line, char *job_id, size_t job_id_size,
                                 unsigned long *index, char *state, size_t state_size)
{
    const char *under = strchr(line, '_');
    const char *bar = strchr(line, '|');
    if (under == NULL || bar == NULL || under > bar || under == line)
        return 0;
    for (const char *c = line; c < under; c++)
        if (!isdigit((unsigned char)*c))
            return 0;
    if (!isdigit((unsigned char)under[1]))
        return 0;
    char *end = NULL;
    unsigned long idx = strtoul(under + 1, &end, 10);
    if (end != bar)
        return 0;
    size_t id_len = (size_t)(under - line), st_len = strcspn(bar + 1, "\r\n ");
    if (id_len >= job_id_size || st_len == 0 || st_len >= state_size)
        return 0;
    memcpy(job_id, line, id_len);
    job_id[id_len] = '\0';
    memcpy(state, bar + 1, st_len);
    state[st_len] = '\0';
    *index = idx;
    return 1;
}

void duet_slurm_time_limit(const duet_executor_options *o, char *out, size_t size)
{
    if (o->time && o->time[0] != '\0')
        snprintf(out, size, "%s", o->time);
    else if (o->timeout > 0)
        snprintf(out, size, "%.0f", ceil(o->timeout / 60.0) + 1.0);
    else
        out[0] = '\0';
}

void duet_shell_quote(duet_buf *b, const char *s)
{
    duet_buf_puts(b, "'");
    for (const char *c = s; *c; c++) {
        if (*c == '\'')
            duet_buf_puts(b, "'\\''");
        else
            duet_buf_append(b, c, 1);
    }
    duet_buf_puts(b, "'");
}

static void command_path(const slurm_state *ss, const char *name, char *out, size_t size)
{
    if (ss->jd.opt.slurm_bin && ss->jd.opt.slurm_bin[0] != '\0')
        snprintf(out, size, "%s/%s", ss->jd.opt.slurm_bin, name);
    else
        snprintf(out, size, "%s", name);
}

/* Writes BATCH/job.sh, the script every array task of the batch runs. */
static duet_status write_batch_script(slurm_state *ss, duet_jobdir_batch *b, char *path,
                                      size_t size, duet_error *err)
{
    snprintf(path, size, "%s/job.sh", b->dir);
    duet_buf s = {0};
    duet_buf_puts(&s, "#!/bin/bash\n# Written by duet: array task I runs the worker on job "
                      "directory I of this batch.\n");
    for (size_t i = 0; i < ss->jd.opt.setup.n; i++) {
        duet_buf_puts(&s, ss->jd.opt.setup.v[i]);
        duet_buf_puts(&s, "\n");
    }
    duet_buf_puts(&s, "exec");
    for (size_t i = 0; i < ss->jd.worker_argc; i++) {
        duet_buf_puts(&s, " ");
        duet_shell_quote(&s, ss->jd.worker_argv[i]);
    }
    duet_buf_puts(&s, " ");
    duet_shell_quote(&s, b->dir);
    duet_buf_puts(&s, "/\"$SLURM_ARRAY_TASK_ID\"\n");
    duet_status st = duet_buf_status(&s, err);
    if (st == DUET_OK)
        st = duet_write_file_atomic(path, s.data, s.len, err);
    duet_buf_free(&s);
    return st;
}

/* Frees a NULL-terminated argument vector built by add_arg. */
static void free_args(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        duet_free(argv[i]);
    duet_free(argv);
}

/* Appends the argument prefix + value to the NULL-terminated vector *argv of *n entries. */
static int add_arg(char ***argv, size_t *n, const char *prefix, const char *value)
{
    char **grown = duet_realloc(*argv, (*n + 2) * sizeof **argv);
    if (grown == NULL)
        return 0;
    *argv = grown;
    duet_buf b = {0};
    duet_buf_puts(&b, prefix);
    duet_buf_puts(&b, value);
    if (b.failed || b.data == NULL) {
        duet_buf_free(&b);
        return 0;
    }
    (*argv)[(*n)++] = b.data;
    (*argv)[*n] = NULL;
    return 1;
}

/* Submits the WAITING entries of the batch as one job array. */
static duet_status submit(slurm_state *ss, duet_jobdir_batch *b, const char *script,
                          duet_error *err)
{
    const duet_executor_options *o = &ss->jd.opt;
    duet_buf list = {0};
    size_t count = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->entries[i].state == DUET_JOBDIR_WAITING) {
            duet_buf_printf(&list, "%s%zu", count ? "," : "", i);
            count++;
        }
    if (count == 0)
        return DUET_OK;
    duet_buf_printf(&list, "%%%lld", (long long)(o->jobs > 0 ? o->jobs : 1));
    char sbatch[4200], time_limit[64], output[4200], name[200];
    command_path(ss, "sbatch", sbatch, sizeof sbatch);
    duet_slurm_time_limit(o, time_limit, sizeof time_limit);
    snprintf(output, sizeof output, "%s/%%a/slurm.out", b->dir);
    snprintf(name, sizeof name, "duet-%s", ss->jd.name);
    char **argv = NULL;
    size_t n = 0;
    int ok = add_arg(&argv, &n, "", sbatch) && add_arg(&argv, &n, "", "--parsable") &&
             add_arg(&argv, &n, "--job-name=", name) &&
             add_arg(&argv, &n, "--array=", duet_buf_str(&list)) &&
             add_arg(&argv, &n, "--output=", output) && add_arg(&argv, &n, "--error=", output) &&
             add_arg(&argv, &n, "", "--open-mode=append") &&
             add_arg(&argv, &n, "--mem=", o->mem && o->mem[0] ? o->mem : "1G");
    char cpus[32];
    snprintf(cpus, sizeof cpus, "%lld", (long long)(o->cpus > 0 ? o->cpus : 1));
    ok = ok && add_arg(&argv, &n, "--cpus-per-task=", cpus);
    if (ok && o->partition && o->partition[0])
        ok = add_arg(&argv, &n, "--partition=", o->partition);
    if (ok && time_limit[0])
        ok = add_arg(&argv, &n, "--time=", time_limit);
    if (ok && o->gpus && o->gpus[0])
        ok = add_arg(&argv, &n, "--gpus-per-task=", o->gpus);
    for (size_t i = 0; ok && i < o->sbatch_args.n; i++)
        ok = add_arg(&argv, &n, "", o->sbatch_args.v[i]);
    ok = ok && add_arg(&argv, &n, "", script);
    duet_buf_free(&list);
    if (!ok) {
        free_args(argv);
        return duet_error_set(err, DUET_ENOMEM, "out of memory building the sbatch command");
    }
    char *out = NULL, *errs = NULL;
    int status = 0;
    duet_status st = DUET_OK;
    for (int tries = 0; tries < 3; tries++) {
        st = duet_spawn_capture(argv, SLURM_COMMAND_TIMEOUT, 4096, &out, &errs, &status, err);
        if (st == DUET_OK && WIFEXITED(status) && WEXITSTATUS(status) == 0)
            break;
        if (st == DUET_OK) {
            char how[160];
            duet_describe_wait_status(status, how, sizeof how);
            st = duet_error_set(err, DUET_EEXTERNAL, "sbatch failed (%s): %.600s", how,
                                errs ? errs : "");
        }
        duet_free(out);
        duet_free(errs);
        out = errs = NULL;
        duet_logf(ss->jd.log, DUET_LOG_WARN, "%s; trying again", err->msg);
        duet_sleep_seconds(2.0);
    }
    free_args(argv);
    if (st != DUET_OK)
        return st;
    char job_id[64];
    size_t len = strspn(out, "0123456789");
    if (len == 0 || len >= sizeof job_id) {
        st = duet_error_set(err, DUET_EEXTERNAL,
                            "sbatch --parsable printed '%.80s' instead of a job id", out);
        duet_free(out);
        duet_free(errs);
        return st;
    }
    memcpy(job_id, out, len);
    job_id[len] = '\0';
    duet_free(out);
    duet_free(errs);
    for (size_t i = 0; i < b->n; i++) {
        duet_jobdir_entry *e = &b->entries[i];
        if (e->state != DUET_JOBDIR_WAITING)
            continue;
        snprintf(e->slurm_job, sizeof e->slurm_job, "%.40s_%zu", job_id, i);
        e->state = DUET_JOBDIR_RUNNING;
        e->missing_polls = 0;
    }
    duet_logf(ss->jd.log, DUET_LOG_INFO, "submitted %zu evaluation%s as Slurm job array %s (%s)",
              count, count == 1 ? "" : "s", job_id, b->dir);
    return DUET_OK;
}

/* Appends the distinct array job ids of running entries to b, comma-separated. */
static size_t running_job_ids(const duet_jobdir_batch *b, duet_buf *ids)
{
    size_t count = 0;
    for (size_t i = 0; i < b->n; i++) {
        const duet_jobdir_entry *e = &b->entries[i];
        if (e->state != DUET_JOBDIR_RUNNING)
            continue;
        size_t len = strcspn(e->slurm_job, "_");
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = b->entries[j].state == DUET_JOBDIR_RUNNING &&
                   strncmp(b->entries[j].slurm_job, e->slurm_job, len + 1) == 0;
        if (seen)
            continue;
        duet_buf_printf(ids, "%s%.*s", count ? "," : "", (int)len, e->slurm_job);
        count++;
    }
    return count;
}

/* Cancels every array job of the batch that still has running entries. */
static void cancel_all(slurm_state *ss, duet_jobdir_batch *b)
{
    duet_buf ids = {0};
    size_t count = running_job_ids(b, &ids);
    char **argv = count && !ids.failed ? duet_calloc(count + 2, sizeof *argv) : NULL;
    if (argv == NULL) {
        duet_buf_free(&ids);
        return;
    }
    char scancel[4200];
    command_path(ss, "scancel", scancel, sizeof scancel);
    argv[0] = scancel;
    size_t k = 1;
    char *save = NULL;
    for (char *id = strtok_r(ids.data, ",", &save); id && k <= count;
         id = strtok_r(NULL, ",", &save))
        argv[k++] = id;
    char *out = NULL, *errs = NULL;
    int status = 0;
    duet_error err;
    if (duet_spawn_capture(argv, SLURM_COMMAND_TIMEOUT, 4096, &out, &errs, &status, &err) !=
        DUET_OK)
        duet_logf(ss->jd.log, DUET_LOG_ERROR, "cancelling the Slurm jobs failed: %s", err.msg);
    else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        duet_logf(ss->jd.log, DUET_LOG_ERROR, "scancel failed: %s", errs ? errs : "");
    else
        duet_logf(ss->jd.log, DUET_LOG_INFO, "cancelled %zu Slurm job array%s", count,
                  count == 1 ? "" : "s");
    duet_free(argv);
    duet_free(out);
    duet_free(errs);
    duet_buf_free(&ids);
}

/* Finds the entry of batch b whose current Slurm task is job_id_index. */
static duet_jobdir_entry *find_entry(duet_jobdir_batch *b, const char *job_id, unsigned long index)
{
    if (index >= b->n)
        return NULL;
    duet_jobdir_entry *e = &b->entries[index];
    size_t len = strlen(job_id);
    if (e->state != DUET_JOBDIR_RUNNING || strncmp(e->slurm_job, job_id, len) != 0 ||
        e->slurm_job[len] != '_')
        return NULL;
    return e;
}

/* One squeue poll: updates every running entry. Returns DUET_OK or an error after many fails. */
static duet_status poll_batch(slurm_state *ss, duet_jobdir_batch *b, int *squeue_failures,
                              duet_error *err)
{
    duet_buf ids = {0};
    if (running_job_ids(b, &ids) == 0) {
        duet_buf_free(&ids);
        return DUET_OK;
    }
    char squeue[4200];
    command_path(ss, "squeue", squeue, sizeof squeue);
    char *argv[] = {squeue, "-h", "-r", "-t", "all", "-j", ids.data, "-o", "%i|%T", NULL};
    char *out = NULL, *errs = NULL;
    int status = 0;
    duet_status st = ids.failed ? duet_error_set(err, DUET_ENOMEM, "out of memory")
                                : duet_spawn_capture(argv, SLURM_COMMAND_TIMEOUT, 1 << 24, &out,
                                                     &errs, &status, err);
    duet_buf_free(&ids);
    int purged = st == DUET_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) && errs &&
                 strstr(errs, "Invalid job id") != NULL;
    if (st != DUET_OK || (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !purged)) {
        if (st == DUET_OK)
            duet_error_set(err, DUET_EEXTERNAL, "squeue failed: %.600s", errs ? errs : "");
        duet_free(out);
        duet_free(errs);
        if (++*squeue_failures >= SLURM_SQUEUE_FAILURES)
            return duet_error_prefix(err, "%d polls in a row failed", *squeue_failures);
        duet_logf(ss->jd.log, DUET_LOG_WARN, "%s; polling again", err->msg);
        return DUET_OK;
    }
    *squeue_failures = 0;
    for (size_t i = 0; i < b->n; i++)
        b->entries[i].missing_polls += b->entries[i].state == DUET_JOBDIR_RUNNING;
    /* Entries that squeue lists get their missing count reset, or are handled by state. */
    char *save = NULL;
    for (char *line = purged ? NULL : strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char job_id[64], state[64];
        unsigned long index = 0;
        if (!duet_slurm_parse_squeue_line(line, job_id, sizeof job_id, &index, state, sizeof state))
            continue;
        duet_jobdir_entry *e = find_entry(b, job_id, index);
        if (e == NULL)
            continue;
        size_t i = (size_t)(e - b->entries);
        duet_slurm_action action = duet_slurm_classify(state);
        if (action == DUET_SLURM_ACTIVE) {
            e->missing_polls = 0;
            continue;
        }
        char ended[200];
        snprintf(ended, sizeof ended, "Slurm job %.63s ended in state %.63s", e->slurm_job, state);
        if (action == DUET_SLURM_REQUEUE && e->requeues < (unsigned)ss->jd.opt.requeues) {
            e->requeues++;
            duet_logf(ss->jd.log, DUET_LOG_WARN, "%s; submitting %s again (requeue %u of %lld)",
                      ended, e->job->label, e->requeues, (long long)ss->jd.opt.requeues);
            if ((st = duet_jobdir_next_attempt(&ss->jd, b, i, err)) != DUET_OK)
                break;
            continue;
        }
        char result[4200];
        snprintf(result, sizeof result, "%s/%s", e->dir, DUET_JOB_RESULT);
        int has_result = access(result, F_OK) == 0;
        /* A finished task whose result is not visible yet may be a shared-filesystem delay. */
        if (!has_result && action == DUET_SLURM_ENDED && strcmp(state, "COMPLETED") == 0 &&
            e->missing_polls < SLURM_MISSING_POLLS)
            continue;
        e->state = DUET_JOBDIR_WAITING;
        duet_jobdir_collect(&ss->jd, b, i, ended, strcmp(state, "COMPLETED") == 0);
    }
    /* Tasks that squeue no longer knows: their result file decides. */
    for (size_t i = 0; st == DUET_OK && i < b->n; i++) {
        duet_jobdir_entry *e = &b->entries[i];
        if (e->state != DUET_JOBDIR_RUNNING || e->missing_polls <= SLURM_MISSING_POLLS)
            continue;
        char ended[128];
        snprintf(ended, sizeof ended, "Slurm job %s left the queue", e->slurm_job);
        e->state = DUET_JOBDIR_WAITING;
        duet_jobdir_collect(&ss->jd, b, i, ended, 1);
    }
    duet_free(out);
    duet_free(errs);
    return st;
}

static duet_status slurm_run(void *state, const duet_exec_context *ctx, duet_eval_job *jobs,
                             size_t n, duet_error *err)
{
    slurm_state *ss = state;
    duet_jobdir_batch b;
    char script[4200];
    duet_status st = duet_jobdir_batch_begin(&ss->jd, ctx, jobs, n, &b, err);
    if (st == DUET_OK)
        st = write_batch_script(ss, &b, script, sizeof script, err);
    int squeue_failures = 0;
    double poll = ss->jd.opt.poll_seconds > 0 ? ss->jd.opt.poll_seconds : 1.0;
    while (st == DUET_OK) {
        size_t done = 0;
        for (size_t i = 0; i < n; i++)
            done += b.entries[i].state == DUET_JOBDIR_DONE;
        if (done == n)
            break;
        if ((st = submit(ss, &b, script, err)) != DUET_OK)
            break;
        /* Sleep in short steps so that an interrupt is noticed at once. */
        double until = duet_monotonic_seconds() + poll;
        while (duet_monotonic_seconds() < until && !(ctx->interrupted && *ctx->interrupted))
            duet_sleep_seconds(fmin(0.05, poll));
        if (ctx->interrupted && *ctx->interrupted) {
            st = duet_error_set(err, DUET_EINTERRUPT,
                                "interrupted; the Slurm jobs of the batch were cancelled");
            break;
        }
        st = poll_batch(ss, &b, &squeue_failures, err);
    }
    if (st != DUET_OK && b.entries != NULL)
        cancel_all(ss, &b);
    duet_jobdir_batch_end(&ss->jd, &b);
    return st;
}

static void slurm_destroy(void *state)
{
    slurm_state *ss = state;
    if (ss == NULL)
        return;
    duet_jobdir_release(&ss->jd);
    duet_free(ss);
}

duet_status duet_executor_slurm_create(const duet_executor_options *o, const duet_executor_env *env,
                                       duet_executor *out, duet_error *err)
{
    slurm_state *ss = duet_calloc(1, sizeof *ss);
    if (ss == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for the Slurm executor");
    duet_status st = duet_jobdir_init(&ss->jd, o, env, err);
    if (st != DUET_OK) {
        slurm_destroy(ss);
        return st;
    }
    out->name = "slurm";
    out->parallelism = o->jobs > 0 ? (size_t)o->jobs : 1;
    out->state = ss;
    out->run = slurm_run;
    out->destroy = slurm_destroy;
    return DUET_OK;
}
