/* `duet bench bo`: the command-line entry of the BO benchmark (core/bench/bench_bo.h). */
#ifndef DUET_CMD_BENCH_BO_H
#define DUET_CMD_BENCH_BO_H

/*
 * Runs the benchmark and prints its table to stdout. argv[0] is the command name and the
 * arguments follow: --format tsv|table (also --format=...), --help. Returns 0 on success,
 * 2 for a usage error, and 1 when the benchmark fails (message on stderr).
 */
int duet_cmd_bench_bo(int argc, char **argv);

#endif
