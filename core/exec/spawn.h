/*
 * Starting programs with an argument vector (posix_spawnp), never through a shell, so no
 * argument is ever reinterpreted. Used for workers, sbatch, squeue and scancel.
 */
#ifndef DUET_SPAWN_H
#define DUET_SPAWN_H

#include <stddef.h>
#include <signal.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * Starts argv[0] (searched on PATH when it has no '/') with stdin from /dev/null and stdout and
 * stderr appended to out_path and err_path (NULL: inherited). The child leads a new process
 * group, so kill(-pid, sig) reaches everything it starts.
 */
duet_status duet_spawn(char *const *argv, const char *out_path, const char *err_path, pid_t *pid,
                       duet_error *err);

/*
 * Runs argv to completion, waiting at most timeout_seconds (then kills it), and returns its
 * standard output (NUL-terminated, at most max_bytes, owned by the caller) and its wait status.
 * Its standard error goes to *err_text when err_text is not NULL.
 */
duet_status duet_spawn_capture(char *const *argv, double timeout_seconds, size_t max_bytes,
                               char **out_text, char **err_text, int *wait_status, duet_error *err);

/* "exit status N" or "killed by signal N (NAME)" for a wait status, into out. */
void duet_describe_wait_status(int status, char *out, size_t size);

/* Writes dir + "/" + name into out; returns 0, leaving out empty, when it does not fit. */
int duet_path_join(char *out, size_t size, const char *dir, const char *name);

/*
 * Blocks SIGCHLD in the calling thread, so that duet_sigchld_wait can wait for a child to end
 * without polling; duet_sigmask_restore(old) undoes it.
 */
void duet_sigchld_block(sigset_t *old);
void duet_sigmask_restore(const sigset_t *old);
/* Waits at most `seconds` for SIGCHLD (blocked by duet_sigchld_block); any signal ends it. */
void duet_sigchld_wait(double seconds);

/* Monotonic seconds. */
double duet_monotonic_seconds(void);

/* Sleeps for the given seconds (returns early on a signal). */
void duet_sleep_seconds(double seconds);

#endif
