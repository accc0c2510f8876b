/* `duet bench bo [--format tsv|table]`: argument parsing around duet_bench_bo. */
#include "cmd_bench_bo.h"

#include <stdio.h>
#include <string.h>

#include "bench/bench_bo.h"
#include "util/error.h"

static void usage(FILE *out)
{
    fputs("usage: duet bench bo [--format tsv|table]\n"
          "\n"
          "Times one Bayesian-optimization step (hyperparameter fit and proposal) for 10, 50,\n"
          "200 and 1000 observations over 3, 9 and 16 domains, and one round with kept\n"
          "hyperparameters at 100 observations and 9 domains, next to the same work in\n"
          "scikit-learn and SciPy (/usr/bin/python3). Takes several minutes.\n"
          "\n"
          "  --format tsv|table  tab-separated columns or an aligned table (default table)\n"
          "  --help              print this help\n",
          out);
}

/* Parses the value of --format; returns 0 for table, 1 for tsv, -1 when invalid. */
static int parse_format(const char *value)
{
    if (strcmp(value, "table") == 0)
        return 0;
    if (strcmp(value, "tsv") == 0)
        return 1;
    return -1;
}

int duet_cmd_bench_bo(int argc, char **argv)
{
    int tsv = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strncmp(arg, "--format=", 9) == 0)
            value = arg + 9;
        else if (strcmp(arg, "--format") == 0 && i + 1 < argc)
            value = argv[++i];
        if (value == NULL || parse_format(value) < 0) {
            fprintf(stderr, "duet bench bo: invalid argument \"%s\"%s%s\n", arg,
                    value != NULL ? " with format " : "", value != NULL ? value : "");
            usage(stderr);
            return 2;
        }
        tsv = parse_format(value);
    }
    duet_error err;
    duet_error_clear(&err);
    duet_status st = duet_bench_bo(stdout, tsv, &err);
    if (st != DUET_OK) {
        fprintf(stderr, "duet bench bo: %s\n", err.msg);
        return duet_status_exit_code(st) == 2 ? 2 : 1;
    }
    return 0;
}
