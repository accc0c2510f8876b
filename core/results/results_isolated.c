/*
 * Reading a results file that may be hostile: a child process reads it first, so that a crash
 * or an endless loop inside the HDF5 library (1.10.8 has several on damaged files) ends the
 * child, not the caller. The invariant: the caller's process parses the file only after a
 * child has parsed the same bytes to completion.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "results/results.h"

/* Reads path in this (child) process with default crash handling and no output, then exits. */
static _Noreturn void probe_child(const char *path)
{
    static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
        signal(crash_signals[i], SIG_DFL);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
    }
    duet_results *r = NULL;
    duet_error err;
    if (duet_results_read(path, &r, &err) == DUET_OK)
        duet_results_free(r);
    _exit(0);
}

duet_status duet_results_read_isolated(const char *path, double timeout_seconds, duet_results **out,
                                       duet_error *err)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return duet_error_set(err, DUET_EIO, "cannot start a process to check %s: %s", path,
                              strerror(errno));
    if (pid == 0)
        probe_child(path);

    struct timespec start, now, pause = {0, 2000000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR)
            return duet_error_set(err, DUET_EIO, "cannot wait for the process checking %s: %s",
                                  path, strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed =
            (double)(now.tv_sec - start.tv_sec) + 1e-9 * (double)(now.tv_nsec - start.tv_nsec);
        if (elapsed > timeout_seconds) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return duet_error_set(err, DUET_EFORMAT,
                                  "%s is damaged: reading it did not finish in %.0f s (the HDF5 "
                                  "library loops on it); restore the file from a copy",
                                  path, timeout_seconds);
        }
        nanosleep(&pause, NULL);
    }
    if (WIFSIGNALED(status))
        return duet_error_set(err, DUET_EFORMAT,
                              "%s is damaged: reading it crashed the HDF5 library (%s); restore "
                              "the file from a copy",
                              path, strsignal(WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return duet_error_set(err, DUET_EFORMAT,
                              "%s is damaged: reading it failed in the HDF5 library (exit "
                              "status %d); restore the file from a copy",
                              path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return duet_results_read(path, out, err);
}
