/*
 * Figures: data tables and gnuplot scripts written beside the image, then rendered by gnuplot.
 *
 * Statistics across trials use only iterations that a trial has finished: at iteration t the
 * mean and the standard error (sample standard deviation / sqrt(count)) are over the trials with
 * at least t finished iterations, and the count is written in the table.
 */
#include "plot/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"

#ifndef DUET_GNUPLOT
#define DUET_GNUPLOT ""
#endif

/* ------------------------------------------------------------------ spawning */

duet_status duet_spawn_wait(const char *const *argv, duet_error *err)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return duet_error_set(err, DUET_EIO, "cannot create a pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return duet_error_set(err, DUET_EEXTERNAL, "cannot start %s: %s", argv[0], strerror(errno));
    }
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    char output[DUET_ERROR_MSG_MAX / 2];
    size_t used = 0;
    for (;;) {
        char chunk[512];
        ssize_t n = read(pipefd[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t take = (size_t)n < sizeof output - 1 - used ? (size_t)n : sizeof output - 1 - used;
        memcpy(output + used, chunk, take);
        used += take;
    }
    output[used] = '\0';
    close(pipefd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return DUET_OK;
    while (used > 0 && (output[used - 1] == '\n' || output[used - 1] == ' '))
        output[--used] = '\0';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return duet_error_set(err, DUET_EEXTERNAL,
                              "%s could not be run (%s); install it (for gnuplot: apt-get install "
                              "gnuplot-nox) or set DUET_GNUPLOT",
                              argv[0], output);
    return duet_error_set(err, DUET_EEXTERNAL, "%s failed (%s %d): %s", argv[0],
                          WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), output);
}

/* ------------------------------------------------------------------ merging files */

typedef struct series_ref {
    const duet_results *file;
    const duet_task_results *task;
    const duet_method_results *method;
    char label[256];
} series_ref;

typedef struct panel {
    const char *task;
    const char *metric;
    int goal;
    size_t iterations;
    size_t n_series;
    series_ref *series;
} panel;

static void free_panels(panel *panels, size_t n)
{
    for (size_t i = 0; i < n; i++)
        duet_free(panels[i].series);
    duet_free(panels);
}

/* Groups every (task, method) of every file into one panel per task name. */
static duet_status collect(const duet_results *const *files, size_t n_files,
                           const duet_plot_options *opt, panel **out, size_t *n_out,
                           duet_error *err)
{
    size_t cap = 0;
    for (size_t f = 0; f < n_files; f++)
        cap += files[f]->n_tasks;
    panel *panels = duet_calloc(cap ? cap : 1, sizeof *panels);
    if (panels == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory collecting figure data");
    size_t n = 0;
    for (size_t f = 0; f < n_files; f++)
        for (size_t t = 0; t < files[f]->n_tasks; t++) {
            const duet_task_results *task = &files[f]->tasks[t];
            if (opt->task && strcmp(opt->task, task->name) != 0)
                continue;
            size_t p = 0;
            while (p < n && strcmp(panels[p].task, task->name) != 0)
                p++;
            if (p == n) {
                panels[n].task = task->name;
                panels[n].metric = task->metric;
                panels[n].goal = task->goal;
                n++;
            }
            panel *pn = &panels[p];
            if (files[f]->iterations > pn->iterations)
                pn->iterations = files[f]->iterations;
            series_ref *grown =
                duet_realloc(pn->series, (pn->n_series + task->n_methods) * sizeof *grown);
            if (grown == NULL) {
                free_panels(panels, n);
                return duet_error_set(err, DUET_ENOMEM, "out of memory collecting figure data");
            }
            pn->series = grown;
            for (size_t m = 0; m < task->n_methods; m++) {
                series_ref *s = &pn->series[pn->n_series++];
                s->file = files[f];
                s->task = task;
                s->method = &task->methods[m];
                if (n_files > 1 && opt->labels && opt->labels[f])
                    snprintf(s->label, sizeof s->label, "%s (%s)", task->methods[m].label,
                             opt->labels[f]);
                else
                    snprintf(s->label, sizeof s->label, "%s", task->methods[m].label);
            }
        }
    if (n == 0) {
        duet_free(panels);
        if (opt->task)
            return duet_error_set(err, DUET_ENOTFOUND,
                                  "no task named '%s' in the results; `duet info` lists the tasks",
                                  opt->task);
        return duet_error_set(err, DUET_EINVAL, "the results hold no tasks to plot");
    }
    *out = panels;
    *n_out = n;
    return DUET_OK;
}

/* ------------------------------------------------------------------ statistics */

/* Mean, standard error and count of column t of a per-trial quantity over finished trials. */
static void stats(const series_ref *s, size_t t,
                  const double *(*column)(const duet_trial_results *), double *mean, double *se,
                  size_t *count)
{
    double sum = 0.0, sum2 = 0.0;
    size_t c = 0;
    for (size_t i = 0; i < s->file->trials; i++) {
        const duet_trial_results *tr = &s->method->trials[i];
        if (tr->iterations_done <= t)
            continue;
        double v = column(tr)[t];
        if (!isfinite(v))
            continue;
        sum += v;
        sum2 += v * v;
        c++;
    }
    *count = c;
    *mean = c ? sum / (double)c : NAN;
    double var = c > 1 ? (sum2 - sum * sum / (double)c) / (double)(c - 1) : 0.0;
    *se = c > 1 ? sqrt(var > 0 ? var : 0) / sqrt((double)c) : 0.0;
}

static const double *best_column(const duet_trial_results *tr)
{
    return tr->best_so_far;
}

static const double *regret_column(const duet_trial_results *tr)
{
    return tr->regret;
}

/* ------------------------------------------------------------------ writing */

/* The gnuplot terminal for the output's extension: "pngcairo", "svg" or "pdfcairo". */
static const char *terminal_for(const char *output, duet_error *err)
{
    const char *dot = strrchr(output, '.');
    if (dot && strcmp(dot, ".png") == 0)
        return "pngcairo";
    if (dot && strcmp(dot, ".svg") == 0)
        return "svg";
    if (dot && strcmp(dot, ".pdf") == 0)
        return "pdfcairo";
    duet_error_set(err, DUET_EINVAL,
                   "cannot tell the image format of '%s'; end the output name with .png, .svg or "
                   ".pdf",
                   output);
    return NULL;
}

/* Writes "set terminal ..." sized for rows x cols panels of the given pixel size. */
static void put_terminal(duet_buf *gp, const char *output, const char *term, size_t rows,
                         size_t cols, int width, int height)
{
    int w = width * (int)cols, h = height * (int)rows;
    if (strcmp(term, "pdfcairo") == 0)
        duet_buf_printf(gp, "set terminal pdfcairo size %gin,%gin noenhanced font 'sans,8'\n",
                        w / 100.0, h / 100.0);
    else if (strcmp(term, "svg") == 0)
        duet_buf_printf(gp, "set terminal svg size %d,%d noenhanced dynamic font 'sans,10'\n", w,
                        h);
    else
        duet_buf_printf(gp, "set terminal pngcairo size %d,%d noenhanced font 'sans,10'\n", w, h);
    duet_buf_puts(gp, "set output ");
    duet_buf_put_lua_string(gp, output);
    duet_buf_puts(gp, "\n");
}

static void grid(size_t n, size_t *rows, size_t *cols)
{
    *cols = n < 2 ? 1 : 2;
    if (n > 4)
        *cols = 3;
    *rows = (n + *cols - 1) / *cols;
}

/* Replaces the extension of output by ext into out. */
static void sibling(const char *output, const char *ext, char *out, size_t size)
{
    const char *dot = strrchr(output, '.');
    const char *slash = strrchr(output, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - output) : strlen(output);
    snprintf(out, size, "%.*s%s", (int)stem, output, ext);
}

/* A gnuplot string literal: single quotes, with embedded quotes doubled. */
static void put_gp_string(duet_buf *b, const char *s)
{
    duet_buf_puts(b, "'");
    for (; *s; s++) {
        if (*s == '\'')
            duet_buf_puts(b, "''");
        else if (*s != '\n')
            duet_buf_append(b, s, 1);
    }
    duet_buf_puts(b, "'");
}

/* Curves of best-so-far or regret: data blocks per (panel, series) and a multiplot script. */
static void write_curves(panel *panels, size_t n_panels, int regret, const char *output,
                         const char *datname, const char *term, duet_buf *dat, duet_buf *gp)
{
    size_t rows, cols;
    grid(n_panels, &rows, &cols);
    put_terminal(gp, output, term, rows, cols, 560, 400);
    duet_buf_printf(gp, "set datafile missing 'nan'\nset key %s box opaque font ',8'\n",
                    regret ? "top right" : "bottom right");
    duet_buf_puts(gp, "set grid lc rgb '#dddddd'\nset style fill transparent solid 0.2 noborder\n");
    duet_buf_printf(gp, "set multiplot layout %zu,%zu\n", rows, cols);
    size_t block = 0;
    for (size_t p = 0; p < n_panels; p++) {
        panel *pn = &panels[p];
        duet_buf_puts(gp, "set title ");
        put_gp_string(gp, pn->task);
        duet_buf_puts(gp, "\nset xlabel 'iteration'\nset ylabel ");
        if (regret) {
            duet_buf_puts(gp, "'simple regret'\nset logscale y\n");
        } else {
            char ylabel[256];
            snprintf(ylabel, sizeof ylabel, "best %s so far (%s)",
                     pn->metric && *pn->metric ? pn->metric : "feedback",
                     pn->goal == 0 ? "higher is better" : "lower is better");
            put_gp_string(gp, ylabel);
            duet_buf_puts(gp, "\nunset logscale y\n");
        }
        duet_buf_printf(gp, "\nset xrange [0.5:%zu.5]\nplot ", pn->iterations);
        for (size_t s = 0; s < pn->n_series; s++) {
            const series_ref *sr = &pn->series[s];
            duet_buf_printf(dat, "# task %s, method %s: iteration mean se lower upper trials\n",
                            pn->task, sr->label);
            for (size_t t = 0; t < sr->file->iterations; t++) {
                double mean, se;
                size_t count;
                stats(sr, t, regret ? regret_column : best_column, &mean, &se, &count);
                if (regret && count > 0 && mean <= 0)
                    mean = NAN; /* a regret of exactly zero has no place on a log axis */
                duet_buf_printf(dat, "%zu %.17g %.17g %.17g %.17g %zu\n", t + 1, mean, se,
                                mean - se, mean + se, count);
            }
            duet_buf_puts(dat, "\n\n");
            duet_buf_printf(gp,
                            "%s'%s' index %zu using 1:4:5 with filledcurves lc %zu notitle, \\\n"
                            "     '' index %zu using 1:2 with linespoints lc %zu pt 7 ps 0.5 "
                            "lw 2 title ",
                            s ? ", \\\n     " : "", datname, block, s + 1, block, s + 1);
            put_gp_string(gp, sr->label);
            block++;
        }
        duet_buf_puts(gp, "\n");
    }
    duet_buf_puts(gp, "unset multiplot\n");
}

/* Stacked bars of the mean realized mixture per iteration, one panel per (task, method). */
static void write_mixture(panel *panels, size_t n_panels, const char *output, const char *datname,
                          const char *term, duet_buf *dat, duet_buf *gp)
{
    size_t count = 0;
    for (size_t p = 0; p < n_panels; p++)
        count += panels[p].n_series;
    size_t rows, cols;
    grid(count, &rows, &cols);
    put_terminal(gp, output, term, rows, cols, 560, 380);
    duet_buf_puts(gp, "set datafile missing 'nan'\nset style data histograms\n"
                      "set style histogram rowstacked\nset style fill solid 0.85 border -1\n"
                      "set boxwidth 0.8\nset yrange [0:1]\nset key outside right font ',8'\n");
    duet_buf_printf(gp, "set multiplot layout %zu,%zu\n", rows, cols);
    size_t block = 0;
    for (size_t p = 0; p < n_panels; p++)
        for (size_t s = 0; s < panels[p].n_series; s++) {
            const series_ref *sr = &panels[p].series[s];
            size_t n = sr->task->n;
            duet_buf_printf(dat,
                            "# task %s, method %s: iteration then the mean share of each "
                            "domain over finished trials\n",
                            panels[p].task, sr->label);
            duet_buf_puts(dat, "iteration");
            for (size_t i = 0; i < n; i++)
                duet_buf_printf(dat, " %s", sr->task->domains[i]);
            duet_buf_puts(dat, "\n");
            for (size_t t = 0; t < sr->file->iterations; t++) {
                duet_buf_printf(dat, "%zu", t + 1);
                for (size_t i = 0; i < n; i++) {
                    double sum = 0.0;
                    size_t c = 0;
                    for (size_t k = 0; k < sr->file->trials; k++) {
                        const duet_trial_results *tr = &sr->method->trials[k];
                        if (tr->iterations_done > t) {
                            sum += tr->ratios[t * n + i];
                            c++;
                        }
                    }
                    duet_buf_printf(dat, " %.17g", c ? sum / (double)c : NAN);
                }
                duet_buf_puts(dat, "\n");
            }
            duet_buf_puts(dat, "\n\n");
            char title[512];
            snprintf(title, sizeof title, "%s: %s", panels[p].task, sr->label);
            duet_buf_puts(gp, "set title ");
            put_gp_string(gp, title);
            duet_buf_printf(gp,
                            "\nset xlabel 'iteration'\nset ylabel 'share of the budget'\n"
                            "plot for [i=2:%zu] '%s' index %zu using i:xtic(1) "
                            "title columnheader(i)\n",
                            n + 1, datname, block);
            block++;
        }
    duet_buf_puts(gp, "unset multiplot\n");
}

duet_status duet_plot(const duet_results *const *files, size_t n_files,
                      const duet_plot_options *opt, duet_error *err)
{
    const char *term = terminal_for(opt->output, err);
    if (term == NULL)
        return DUET_EINVAL;
    panel *panels = NULL;
    size_t n_panels = 0;
    duet_status st = collect(files, n_files, opt, &panels, &n_panels, err);
    if (st != DUET_OK)
        return st;
    if (opt->figure == DUET_FIGURE_REGRET) {
        size_t known = 0;
        for (size_t p = 0; p < n_panels; p++) {
            int all = 1;
            for (size_t s = 0; s < panels[p].n_series; s++)
                all &= panels[p].series[s].task->optimum_known;
            if (all)
                panels[known++] = panels[p];
            else
                duet_free(panels[p].series);
        }
        n_panels = known;
        if (known == 0) {
            free_panels(panels, 0);
            duet_free(panels);
            return duet_error_set(err, DUET_EINVAL,
                                  "--figure regret needs tasks whose optimum is known (the "
                                  "synthetic backend); use --figure best for these results");
        }
    }
    char datpath[4096], gppath[4096];
    sibling(opt->output, ".dat", datpath, sizeof datpath);
    sibling(opt->output, ".gp", gppath, sizeof gppath);
    const char *slash = strrchr(datpath, '/');
    const char *datname = slash ? slash + 1 : datpath;
    const char *outslash = strrchr(opt->output, '/');
    const char *outname = outslash ? outslash + 1 : opt->output;

    duet_buf dat = {0}, gp = {0};
    duet_buf_puts(&gp, "# Written by duet plot; rerun with: gnuplot ");
    duet_buf_puts(&gp, strrchr(gppath, '/') ? strrchr(gppath, '/') + 1 : gppath);
    duet_buf_puts(&gp, " (from this folder)\n");
    if (opt->figure == DUET_FIGURE_MIXTURE)
        write_mixture(panels, n_panels, outname, datname, term, &dat, &gp);
    else
        write_curves(panels, n_panels, opt->figure == DUET_FIGURE_REGRET, outname, datname, term,
                     &dat, &gp);
    free_panels(panels, n_panels);

    st = duet_buf_status(&dat, err);
    if (st == DUET_OK)
        st = duet_buf_status(&gp, err);
    if (st == DUET_OK)
        st = duet_write_file_atomic(datpath, duet_buf_str(&dat), dat.len, err);
    if (st == DUET_OK)
        st = duet_write_file_atomic(gppath, duet_buf_str(&gp), gp.len, err);
    duet_buf_free(&dat);
    duet_buf_free(&gp);
    if (st != DUET_OK)
        return st;

    /* gnuplot runs in the figure's folder so the script's relative names resolve. */
    const char *program = opt->gnuplot ? opt->gnuplot : getenv("DUET_GNUPLOT");
    if (program == NULL || *program == '\0')
        program = *DUET_GNUPLOT ? DUET_GNUPLOT : "gnuplot";
    char dir[4096];
    duet_path_dirname(gppath, dir, sizeof dir);
    const char *gpname = strrchr(gppath, '/') ? strrchr(gppath, '/') + 1 : gppath;
    char cd_arg[4200];
    snprintf(cd_arg, sizeof cd_arg, "cd '%s'", dir);
    const char *argv[] = {program, "-e", cd_arg, gpname, NULL};
    return duet_spawn_wait(argv, err);
}
