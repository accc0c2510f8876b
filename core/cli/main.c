/*
 * The duet program: a command table and dispatch. Exit status 0 on success, 1 on a runtime
 * failure, 2 on a usage or configuration error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_embedded.h"
#include "cli/cmd_influence.h"
#include "run/registry.h"

#ifndef DUET_VERSION
#define DUET_VERSION "0"
#endif

const duet_command duet_commands[] = {
    {"run", "run an experiment script and write its results file", duet_cmd_run, duet_cmd_run_help},
    {"sweep", "run a script over a grid or list of overrides and seeds, one file per point",
     duet_cmd_sweep, duet_cmd_sweep_help},
    {"info", "summarize what results files hold", duet_cmd_info, duet_cmd_info_help},
    {"table", "final values per task and method, paired differences and claim checks",
     duet_cmd_table, duet_cmd_table_help},
    {"plot", "draw a figure from results files with gnuplot", duet_cmd_plot, duet_cmd_plot_help},
    {"data", "build pool files of real text domains from the fetched sources", duet_cmd_data, NULL},
    {"influence", "compute or reuse per-domain influence scores of a pool file", duet_cmd_influence,
     NULL},
    {"bench", "benchmarks: timings beside a peer implementation", duet_cmd_bench,
     duet_cmd_bench_help},
    {"worker", "evaluate one job directory (started by executors)", duet_cmd_worker,
     duet_cmd_worker_help},
    {"help", "show help for a command or list methods, backends and selectors", duet_cmd_help,
     duet_cmd_help_help},
    {NULL, NULL, NULL, NULL},
};

const duet_command *duet_command_find(const char *name)
{
    for (const duet_command *c = duet_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int duet_cli_fail(const duet_error *err)
{
    fprintf(stderr, "duet: %s\n", err->msg[0] ? err->msg : duet_status_name(err->status));
    return duet_status_exit_code(err->status);
}

int duet_cli_usage(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "duet %s: ", command);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun `duet %s --help` for usage.\n", command);
    va_end(ap);
    return DUET_EXIT_USAGE;
}

void duet_cli_log_sink(void *userdata, duet_log_level level, const char *message)
{
    (void)userdata;
    fprintf(stderr, "duet: %s: %s\n", duet_log_level_name(level), message);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: duet COMMAND [ARGS...]\n\n"
                 "Tune training-data mixtures with Bayesian optimization and influence-based "
                 "data selection\n(DUET, arXiv 2502.00270), with the baselines to compare "
                 "against.\n\nCommands:\n");
    for (const duet_command *c = duet_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\nRun `duet help COMMAND` or `duet COMMAND --help` for a command's options, "
                 "and `duet help methods`\nfor the registered methods. `duet --version` prints "
                 "the version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return DUET_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("duet %s\n", DUET_VERSION);
        return DUET_EXIT_OK;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return DUET_EXIT_OK;
    }
    const duet_command *cmd = duet_command_find(name);
    if (cmd == NULL) {
        fprintf(stderr, "duet: unknown command '%s'\n\n", name);
        usage(stderr);
        return DUET_EXIT_USAGE;
    }
    /* Commands with subcommands (bench) read --help themselves. */
    for (int i = 2; i < argc && cmd->help && cmd->run != duet_cmd_bench; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cmd->help(stdout);
            return DUET_EXIT_OK;
        }
    return cmd->run(argc - 1, argv + 1);
}
