/* The duet program's commands and their shared helpers. */
#ifndef DUET_CLI_H
#define DUET_CLI_H

#include <stdio.h>

#include "util/error.h"
#include "util/log.h"

/* Exit statuses of every command. */
enum { DUET_EXIT_OK = 0, DUET_EXIT_FAILURE = 1, DUET_EXIT_USAGE = 2 };

typedef struct duet_command {
    const char *name;
    const char *summary; /* one line for `duet help` */
    int (*run)(int argc, char **argv);
    void (*help)(FILE *out); /* NULL: the command prints its own usage for --help */
} duet_command;

/* NULL-terminated table of every command (main.c). */
extern const duet_command duet_commands[];
const duet_command *duet_command_find(const char *name);

/* Prints "duet: message" (and "duet: hint: ..." when given) to stderr; returns the exit code. */
int duet_cli_fail(const duet_error *err);
int duet_cli_usage(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A log sink printing "duet: level: message" to stderr. */
void duet_cli_log_sink(void *userdata, duet_log_level level, const char *message);

/* Commands defined in their own files. */
int duet_cmd_run(int argc, char **argv);
void duet_cmd_run_help(FILE *out);
int duet_cmd_info(int argc, char **argv);
void duet_cmd_info_help(FILE *out);
int duet_cmd_plot(int argc, char **argv);
void duet_cmd_plot_help(FILE *out);
int duet_cmd_help(int argc, char **argv);
int duet_cmd_bench(int argc, char **argv);
int duet_cmd_sweep(int argc, char **argv);
int duet_cmd_table(int argc, char **argv);
void duet_cmd_table_help(FILE *out);
void duet_cmd_sweep_help(FILE *out);
void duet_cmd_bench_help(FILE *out);
void duet_cmd_help_help(FILE *out);
int duet_cmd_worker(int argc, char **argv);
void duet_cmd_worker_help(FILE *out);

#endif
