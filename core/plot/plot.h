/*
 * Figures from results files, rendered by gnuplot. Every figure FIG.EXT is written together
 * with its data table FIG.dat and gnuplot script FIG.gp, so a user can restyle it and rerun
 * `gnuplot FIG.gp`.
 */
#ifndef DUET_PLOT_H
#define DUET_PLOT_H

#include <stddef.h>

#include "results/results.h"
#include "util/error.h"

typedef enum duet_figure {
    DUET_FIGURE_BEST = 0,      /* best-so-far feedback: mean and standard-error band per method */
    DUET_FIGURE_REGRET = 1,    /* simple, cumulative and average regret (known optimum only) */
    DUET_FIGURE_MIXTURE = 2,   /* realized mixture per iteration as stacked bars */
    DUET_FIGURE_ABLATION = 3,  /* final best per method and paired difference to a reference */
    DUET_FIGURE_ESTIMATOR = 4, /* histogram of every inner sample's feedback per method */
    DUET_FIGURE_KERROR = 5,    /* error of the best-of-k estimator against k */
} duet_figure;

/* Parses a figure name ("best", "regret", ...); returns -1 for an unknown name. */
int duet_figure_parse(const char *name);
/* The names of every figure, separated by '|'. */
extern const char duet_figure_names[];

typedef struct duet_plot_options {
    duet_figure figure;
    const char *output;        /* FIG.png, FIG.svg or FIG.pdf */
    const char *task;          /* only this task, or NULL for every task */
    const char *const *labels; /* [n_files] label per file when several are merged, or NULL */
    const char *gnuplot;       /* gnuplot program, or NULL for $DUET_GNUPLOT or "gnuplot" */
    const char *reference;     /* ablation: label of the reference method, or NULL for DUET-IF */
} duet_plot_options;

/*
 * Writes the data table and script for the figure from one or more results files (their
 * methods are merged per task name) and runs gnuplot to render it.
 */
duet_status duet_plot(const duet_results *const *files, size_t n_files,
                      const duet_plot_options *opt, duet_error *err);

/*
 * Runs a program with an argument vector (no shell), waiting for it; its standard error is
 * captured into err on failure. Used for gnuplot and other external tools.
 */
duet_status duet_spawn_wait(const char *const *argv, duet_error *err);

#endif
