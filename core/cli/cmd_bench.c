/* `duet bench SUBJECT`: benchmarks that print timings beside a peer implementation. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_bench_bo.h"
#include "cli/cmd_embedded.h"
#include "cli/cmd_influence.h"

typedef struct bench_subject {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} bench_subject;

static const bench_subject subjects[] = {
    {"bo", "time one BO step (fit and proposal) beside scikit-learn and SciPy", duet_cmd_bench_bo},
    {"train", "embedded training throughput beside fastText", duet_cmd_bench_train},
    {"presets", "feedback spread of the embedded task presets (uniform, best, noise)",
     duet_cmd_bench_presets},
    {"influence", "time every influence estimator on a pool (scores per second)",
     duet_cmd_bench_influence},
    {NULL, NULL, NULL},
};

void duet_cmd_bench_help(FILE *out)
{
    fprintf(out, "usage: duet bench SUBJECT [options]\n\nSubjects:\n");
    for (const bench_subject *s = subjects; s->name; s++)
        fprintf(out, "  %-10s %s\n", s->name, s->summary);
    fprintf(out, "\nRun `duet bench SUBJECT --help` for a subject's options. Results are recorded "
                 "in docs/benchmarks.md.\n");
}

int duet_cmd_bench(int argc, char **argv)
{
    if (argc < 2)
        return duet_cli_usage("bench", "missing SUBJECT");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        duet_cmd_bench_help(stdout);
        return DUET_EXIT_OK;
    }
    for (const bench_subject *s = subjects; s->name; s++)
        if (strcmp(s->name, argv[1]) == 0)
            return s->run(argc - 1, argv + 1);
    return duet_cli_usage("bench", "unknown subject '%s'", argv[1]);
}
