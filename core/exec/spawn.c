/*
 * posix_spawnp with redirections and an optional captured output. A program that cannot be
 * started is an error of the call ("cannot run X: No such file or directory"), not a silent
 * exit status 127, because glibc's posix_spawn reports a failed exec to the caller.
 */
#define _GNU_SOURCE /* pipe2 */
#include "exec/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/mem.h"

double duet_monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void duet_sleep_seconds(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
}

int duet_path_join(char *out, size_t size, const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    if (size == 0)
        return 0;
    if (a + 1 + b + 1 > size) {
        out[0] = '\0';
        return 0;
    }
    memcpy(out, dir, a);
    out[a] = '/';
    memcpy(out + a + 1, name, b + 1);
    return 1;
}

void duet_sigchld_block(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, old);
}

void duet_sigmask_restore(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
}

void duet_sigchld_wait(double seconds)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    sigtimedwait(&set, NULL, &ts);
}

void duet_describe_wait_status(int status, char *out, size_t size)
{
    if (WIFEXITED(status))
        snprintf(out, size, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, size, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(out, size, "wait status %d", status);
}

extern char **environ;

/*
 * The environment of a started program: ours, plus OPENBLAS_NUM_THREADS=1 unless it is set.
 * Workers run side by side, so each gets one BLAS thread unless the user chose otherwise.
 */
static char **child_environment(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = duet_calloc(n + 2, sizeof *env);
    if (env == NULL)
        return NULL;
    memcpy(env, environ, n * sizeof *env);
    if (getenv("OPENBLAS_NUM_THREADS") == NULL)
        env[n] = "OPENBLAS_NUM_THREADS=1";
    return env;
}

/*
 * Starts argv with posix_spawnp: stdin from /dev/null, stdout and stderr on out_fd and err_fd
 * (when >= 0), a new process group, default SIGINT and SIGTERM handling. posix_spawn does not
 * run fork handlers, so starting a worker does not stop and restart OpenBLAS's thread pool.
 */
static duet_status start(char *const *argv, int out_fd, int err_fd, pid_t *pid, duet_error *err)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    char **env = child_environment();
    if (env == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory starting %s", argv[0]);
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    if (err_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(pid, argv[0], &actions, &attr, argv, env);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    duet_free(env);
    if (rc != 0)
        return duet_error_set(err, DUET_EEXTERNAL, "cannot run %s: %s%s", argv[0], strerror(rc),
                              rc == ENOENT ? " (is it installed and on PATH?)" : "");
    return DUET_OK;
}

static int open_append(const char *path)
{
    return path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
}

duet_status duet_spawn(char *const *argv, const char *out_path, const char *err_path, pid_t *pid,
                       duet_error *err)
{
    int out_fd = open_append(out_path), err_fd = open_append(err_path);
    if ((out_path && out_fd < 0) || (err_path && err_fd < 0)) {
        int e = errno;
        if (out_fd >= 0)
            close(out_fd);
        if (err_fd >= 0)
            close(err_fd);
        return duet_error_set(err, DUET_EIO, "cannot open the output files %s and %s: %s", out_path,
                              err_path, strerror(e));
    }
    duet_status st = start(argv, out_fd, err_fd, pid, err);
    if (out_fd >= 0)
        close(out_fd);
    if (err_fd >= 0)
        close(err_fd);
    return st;
}

/* Appends what is readable from fd to *buf (up to max bytes); returns 0 at end of file. */
static int drain(int fd, char **buf, size_t *len, size_t max)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return 0;
    size_t keep = *len + (size_t)n > max ? max - *len : (size_t)n;
    if (keep > 0) {
        char *grown = duet_realloc(*buf, *len + keep + 1);
        if (grown == NULL)
            return 0;
        *buf = grown;
        memcpy(*buf + *len, chunk, keep);
        *len += keep;
        (*buf)[*len] = '\0';
    }
    return 1;
}

duet_status duet_spawn_capture(char *const *argv, double timeout_seconds, size_t max_bytes,
                               char **out_text, char **err_text, int *wait_status, duet_error *err)
{
    int out_pipe[2], err_pipe[2];
    *out_text = NULL;
    if (err_text)
        *err_text = NULL;
    if (pipe2(out_pipe, O_CLOEXEC) != 0)
        return duet_error_set(err, DUET_EEXTERNAL, "cannot run %s: %s", argv[0], strerror(errno));
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        close(out_pipe[0]);
        close(out_pipe[1]);
        return duet_error_set(err, DUET_EEXTERNAL, "cannot run %s: %s", argv[0], strerror(errno));
    }
    pid_t pid;
    duet_status st = start(argv, out_pipe[1], err_pipe[1], &pid, err);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (st != DUET_OK) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        return st;
    }
    char *out = duet_calloc(1, 1), *errs = duet_calloc(1, 1);
    size_t out_len = 0, err_len = 0;
    int open_out = 1, open_err = 1, timed_out = 0;
    double deadline = duet_monotonic_seconds() + timeout_seconds;
    while ((open_out || open_err) && out && errs) {
        struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
        double left = deadline - duet_monotonic_seconds();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        int ready = poll(fds, 2, (int)(left * 1000) + 1);
        if (ready < 0 && errno != EINTR)
            break;
        if (open_out && (fds[0].revents & (POLLIN | POLLHUP)))
            open_out = drain(out_pipe[0], &out, &out_len, max_bytes);
        if (open_err && (fds[1].revents & (POLLIN | POLLHUP)))
            open_err = drain(err_pipe[0], &errs, &err_len, 65536);
        if (!open_out)
            fds[0].fd = -1;
        if (!open_err)
            fds[1].fd = -1;
    }
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (timed_out || out == NULL || errs == NULL)
        kill(-pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (out == NULL || errs == NULL) {
        duet_free(out);
        duet_free(errs);
        return duet_error_set(err, DUET_ENOMEM, "out of memory reading the output of %s", argv[0]);
    }
    if (timed_out) {
        duet_free(out);
        duet_free(errs);
        return duet_error_set(err, DUET_EEXTERNAL, "%s did not finish within %g seconds", argv[0],
                              timeout_seconds);
    }
    *out_text = out;
    if (err_text)
        *err_text = errs;
    else
        duet_free(errs);
    *wait_status = status;
    return DUET_OK;
}
