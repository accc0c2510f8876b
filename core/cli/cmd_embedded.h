/*
 * Subcommands of the duet program that belong to the embedded CPU backend. Each takes the
 * arguments after the program name, so argv[0] is the subcommand word ("data", "train",
 * "presets"), and returns the process exit status: 0 on success, 2 for usage and
 * configuration errors, 1 for other failures.
 */
#ifndef DUET_CMD_EMBEDDED_H
#define DUET_CMD_EMBEDDED_H

/* duet data import|presets: builds pool files from the raw sources. */
int duet_cmd_data(int argc, char **argv);

/* duet bench train: training throughput of both embedded models and of fastText. */
int duet_cmd_bench_train(int argc, char **argv);

/* duet bench presets: feedback spread of the embedded task presets (uniform, best, noise). */
int duet_cmd_bench_presets(int argc, char **argv);

#endif
