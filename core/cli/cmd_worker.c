/* `duet worker JOB_DIR`: evaluate one job directory of the worker protocol. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/jobfile.h"
#include "exec/worker.h"

void duet_cmd_worker_help(FILE *out)
{
    fprintf(out,
            "usage: duet worker [options] JOB_DIR\n\n"
            "Evaluates the job in JOB_DIR: reads JOB_DIR/manifest, trains and evaluates with the\n"
            "backend it names and writes JOB_DIR/result (see docs/worker-protocol.md). Executors\n"
            "start this command; run it by hand to repeat one evaluation.\n\n"
            "Options:\n"
            "  --no-capture   keep stdout and stderr instead of appending them to JOB_DIR/stdout\n"
            "                 and JOB_DIR/stderr\n"
            "  -v, --verbose  debug messages\n\n"
            "Exit status: 0 result ok, 2 usage error, 3 manifest missing or invalid, 4 evaluation\n"
            "failed, 5 timeout, 6 result could not be written.\n");
}

int duet_cmd_worker(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"no-capture", no_argument, NULL, 'n'},
        {"verbose", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    int capture = 1, verbose = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
        if (c == 'n')
            capture = 0;
        else if (c == 'v')
            verbose = 1;
        else
            return duet_cli_usage("worker", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc - 1)
        return duet_cli_usage(
            "worker", optind >= argc ? "missing JOB_DIR" : "expected one JOB_DIR, got extra '%s'",
            optind >= argc ? "" : argv[optind + 1]);
    duet_log log = {duet_cli_log_sink, NULL, verbose ? DUET_LOG_DEBUG : DUET_LOG_INFO};
    duet_worker_options opt = {.capture = capture, .log = &log};
    return duet_worker_run(argv[optind], &opt);
}
