/*
 * Figures: data tables and gnuplot scripts written beside the image, then rendered by gnuplot.
 *
 * Statistics across trials use only iterations that a trial has finished: at iteration t the
 * mean and the standard error (sample standard deviation / sqrt(count)) are over the trials with
 * at least t finished iterations, and the count is written in the table.
 */
#include "plot/plot.h"
#include "plot/plot_internal.h"

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

static void free_panels(plot_panel *panels, size_t n)
{
    for (size_t i = 0; i < n; i++)
        duet_free(panels[i].series);
    duet_free(panels);
}

/* Groups every (task, method) of every file into one panel per task name. */
static duet_status collect(const duet_results *const *files, size_t n_files,
                           const duet_plot_options *opt, plot_panel **out, size_t *n_out,
                           duet_error *err)
{
    size_t cap = 0;
    for (size_t f = 0; f < n_files; f++)
        cap += files[f]->n_tasks;
    plot_panel *panels = duet_calloc(cap ? cap : 1, sizeof *panels);
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
            plot_panel *pn = &panels[p];
            if (files[f]->iterations > pn->iterations)
                pn->iterations = files[f]->iterations;
            plot_series *grown =
                duet_realloc(pn->series, (pn->n_series + task->n_methods) * sizeof *grown);
            if (grown == NULL) {
                free_panels(panels, n);
                return duet_error_set(err, DUET_ENOMEM, "out of memory collecting figure data");
            }
            pn->series = grown;
            for (size_t m = 0; m < task->n_methods; m++) {
                plot_series *s = &pn->series[pn->n_series++];
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

/* ------------------------------------------------------------------ output */

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

/* Replaces the extension of output by ext into out. */
static void sibling(const char *output, const char *ext, char *out, size_t size)
{
    const char *dot = strrchr(output, '.');
    const char *slash = strrchr(output, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - output) : strlen(output);
    snprintf(out, size, "%.*s%s", (int)stem, output, ext);
}

/*
 * Keeps the panels whose every series satisfies `keep`; returns how many remain. Used by figures
 * that need data only some backends record.
 */
static size_t filter_panels(plot_panel *panels, size_t n, int (*keep)(const plot_series *))
{
    size_t kept = 0;
    for (size_t p = 0; p < n; p++) {
        int all = 1;
        for (size_t s = 0; s < panels[p].n_series; s++)
            all &= keep(&panels[p].series[s]);
        if (all)
            panels[kept++] = panels[p];
        else
            duet_free(panels[p].series);
    }
    return kept;
}

static int optimum_known(const plot_series *s)
{
    return s->task->optimum_known;
}

static int inner_optimum_known(const plot_series *s)
{
    for (size_t i = 0; i < s->file->trials; i++)
        if (s->method->trials[i].iterations_done > 0 &&
            isfinite(s->method->trials[i].inner_optimum[0]))
            return 1;
    return 0;
}

duet_status duet_plot(const duet_results *const *files, size_t n_files,
                      const duet_plot_options *opt, duet_error *err)
{
    const char *term = terminal_for(opt->output, err);
    if (term == NULL)
        return DUET_EINVAL;
    plot_panel *panels = NULL;
    size_t n_panels = 0;
    duet_status st = collect(files, n_files, opt, &panels, &n_panels, err);
    if (st != DUET_OK)
        return st;
    if (opt->figure == DUET_FIGURE_REGRET) {
        n_panels = filter_panels(panels, n_panels, optimum_known);
        if (n_panels == 0) {
            duet_free(panels);
            return duet_error_set(err, DUET_EINVAL,
                                  "--figure regret needs tasks whose optimum is known (the "
                                  "synthetic backend); use --figure best for these results");
        }
    }
    if (opt->figure == DUET_FIGURE_KERROR) {
        n_panels = filter_panels(panels, n_panels, inner_optimum_known);
        if (n_panels == 0) {
            duet_free(panels);
            return duet_error_set(err, DUET_EINVAL,
                                  "--figure kerror needs a backend that records the inner "
                                  "optimum (the synthetic backend)");
        }
    }
    if (opt->figure == DUET_FIGURE_ABLATION && opt->reference != NULL) {
        for (size_t p = 0; p < n_panels; p++) {
            int found = 0;
            for (size_t s = 0; s < panels[p].n_series && !found; s++)
                found = strcmp(panels[p].series[s].label, opt->reference) == 0;
            if (!found) {
                st = duet_error_set(err, DUET_EINVAL,
                                    "--reference %s: task %s has no method with this label; "
                                    "`duet info` lists the labels",
                                    opt->reference, panels[p].task);
                free_panels(panels, n_panels);
                return st;
            }
        }
    }
    char datpath[4096], gppath[4096];
    sibling(opt->output, ".dat", datpath, sizeof datpath);
    sibling(opt->output, ".gp", gppath, sizeof gppath);
    const char *slash = strrchr(datpath, '/');
    const char *outslash = strrchr(opt->output, '/');

    duet_buf dat = {0}, gp = {0};
    duet_buf_puts(&gp, "# Written by duet plot; rerun with: gnuplot ");
    duet_buf_puts(&gp, strrchr(gppath, '/') ? strrchr(gppath, '/') + 1 : gppath);
    duet_buf_puts(&gp, " (from this folder)\n");
    plot_target target = {
        .image = outslash ? outslash + 1 : opt->output,
        .datname = slash ? slash + 1 : datpath,
        .terminal = term,
        .reference = opt->reference,
        .dat = &dat,
        .gp = &gp,
    };
    switch (opt->figure) {
    case DUET_FIGURE_BEST:
        plot_figure_best(panels, n_panels, &target);
        break;
    case DUET_FIGURE_REGRET:
        plot_figure_regret(panels, n_panels, &target);
        break;
    case DUET_FIGURE_MIXTURE:
        plot_figure_mixture(panels, n_panels, &target);
        break;
    case DUET_FIGURE_ABLATION:
        plot_figure_ablation(panels, n_panels, &target);
        break;
    case DUET_FIGURE_ESTIMATOR:
        plot_figure_estimator(panels, n_panels, &target);
        break;
    case DUET_FIGURE_KERROR:
        plot_figure_kerror(panels, n_panels, &target);
        break;
    }
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

const char duet_figure_names[] = "best|regret|mixture|ablation|estimator|kerror";

int duet_figure_parse(const char *name)
{
    static const char *const names[] = {"best",     "regret",    "mixture",
                                        "ablation", "estimator", "kerror"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}
