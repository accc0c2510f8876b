/* Shared types and helpers of the figure writers (plot.c collects data, figures.c draws). */
#ifndef DUET_PLOT_INTERNAL_H
#define DUET_PLOT_INTERNAL_H

#include <stddef.h>

#include "plot/plot.h"
#include "util/buf.h"

/* One method of one task of one results file: a line, bar or histogram of a figure. */
typedef struct plot_series {
    const duet_results *file;
    const duet_task_results *task;
    const duet_method_results *method;
    char label[256];
} plot_series;

/* Every series of one task name, over all the files: one panel of a figure. */
typedef struct plot_panel {
    const char *task;
    const char *metric;
    int goal;
    size_t iterations;
    size_t n_series;
    plot_series *series;
} plot_panel;

/* Where a figure writer puts its output. */
typedef struct plot_target {
    const char *image;     /* image file name, relative to the figure's folder */
    const char *datname;   /* data table file name, likewise */
    const char *terminal;  /* "pngcairo", "svg" or "pdfcairo" */
    const char *reference; /* reference method label for paired differences, or NULL */
    duet_buf *dat;         /* the data table being written */
    duet_buf *gp;          /* the gnuplot script being written */
} plot_target;

/* Summary statistics of a sample: mean, standard error (sd / sqrt(count)) and count. */
typedef struct plot_stat {
    double mean, se;
    size_t count;
} plot_stat;

/* Adds x to the running sums of a statistic; non-finite values are skipped. */
typedef struct plot_acc {
    double sum, sum2;
    size_t count;
} plot_acc;

void plot_acc_add(plot_acc *a, double x);
plot_stat plot_acc_stat(const plot_acc *a);

/* Writes "set terminal ... / set output ..." for rows x cols panels of width x height pixels. */
void plot_terminal(const plot_target *t, size_t rows, size_t cols, int width, int height);
/* Chooses a near-square layout of n panels. */
void plot_grid(size_t n, size_t *rows, size_t *cols);
/* Appends s as a gnuplot single-quoted string. */
void plot_string(duet_buf *b, const char *s);
/* The y-axis label for a task's feedback, e.g. "best accuracy so far (higher is better)". */
void plot_feedback_label(const plot_panel *p, const char *what, char *out, size_t size);

void plot_figure_best(plot_panel *panels, size_t n, const plot_target *t);
void plot_figure_regret(plot_panel *panels, size_t n, const plot_target *t);
void plot_figure_mixture(plot_panel *panels, size_t n, const plot_target *t);
void plot_figure_ablation(plot_panel *panels, size_t n, const plot_target *t);
void plot_figure_estimator(plot_panel *panels, size_t n, const plot_target *t);
void plot_figure_kerror(plot_panel *panels, size_t n, const plot_target *t);

#endif
