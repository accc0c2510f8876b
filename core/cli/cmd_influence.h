/* Entry points of `duet influence` and `duet bench influence`; each returns the exit status. */
#ifndef DUET_CMD_INFLUENCE_H
#define DUET_CMD_INFLUENCE_H

/* argv[0] is the command name ("influence"); exit 0 on success, 2 on usage errors, 1 otherwise. */
int duet_cmd_influence(int argc, char **argv);
/* argv[0] is the command name ("influence"); same exit statuses. */
int duet_cmd_bench_influence(int argc, char **argv);

#endif
