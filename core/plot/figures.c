/*
 * Figure writers: each appends data blocks to the table and plot commands to the gnuplot script
 * of a figure. Statistics across trials use only what a trial has finished: at iteration t, the
 * trials with at least t + 1 finished iterations. Standard errors are sample standard deviations
 * divided by the square root of the count.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot/plot_internal.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ helpers */

void plot_acc_add(plot_acc *a, double x)
{
    if (!isfinite(x))
        return;
    a->sum += x;
    a->sum2 += x * x;
    a->count++;
}

plot_stat plot_acc_stat(const plot_acc *a)
{
    plot_stat s = {NAN, 0.0, a->count};
    if (a->count == 0)
        return s;
    double n = (double)a->count;
    s.mean = a->sum / n;
    if (a->count > 1) {
        double var = (a->sum2 - a->sum * a->sum / n) / (n - 1.0);
        s.se = sqrt(var > 0 ? var : 0) / sqrt(n);
    }
    return s;
}

void plot_terminal(const plot_target *t, size_t rows, size_t cols, int width, int height)
{
    int w = width * (int)cols, h = height * (int)rows;
    if (strcmp(t->terminal, "pdfcairo") == 0)
        duet_buf_printf(t->gp, "set terminal pdfcairo size %gin,%gin noenhanced font 'sans,8'\n",
                        w / 100.0, h / 100.0);
    else if (strcmp(t->terminal, "svg") == 0)
        duet_buf_printf(t->gp, "set terminal svg size %d,%d noenhanced dynamic font 'sans,10'\n", w,
                        h);
    else
        duet_buf_printf(t->gp, "set terminal pngcairo size %d,%d noenhanced font 'sans,10'\n", w,
                        h);
    duet_buf_puts(t->gp, "set output ");
    duet_buf_put_lua_string(t->gp, t->image);
    duet_buf_puts(t->gp, "\nset datafile missing 'nan'\nset grid lc rgb '#dddddd'\n");
    /* Twelve distinct colours (Tableau 10 and two more), so that up to 12 methods differ. */
    static const char *const palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                          "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                          "#9c755f", "#bab0ac", "#1f1f1f", "#8cd17d"};
    for (size_t i = 0; i < sizeof palette / sizeof palette[0]; i++)
        duet_buf_printf(t->gp, "set linetype %zu lc rgb '%s' lw 2 pt 7\n", i + 1, palette[i]);
    duet_buf_printf(t->gp, "set linetype cycle %zu\n", sizeof palette / sizeof palette[0]);
}

void plot_grid(size_t n, size_t *rows, size_t *cols)
{
    *cols = n < 2 ? 1 : 2;
    if (n > 4)
        *cols = 3;
    *rows = (n + *cols - 1) / *cols;
}

void plot_string(duet_buf *b, const char *s)
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

void plot_feedback_label(const plot_panel *p, const char *what, char *out, size_t size)
{
    snprintf(out, size, "%s %s (%s)", what, p->metric && *p->metric ? p->metric : "feedback",
             p->goal == 0 ? "higher is better" : "lower is better");
}

static void set_title(const plot_target *t, const char *title)
{
    duet_buf_puts(t->gp, "set title ");
    plot_string(t->gp, title);
    duet_buf_puts(t->gp, "\n");
}

static void set_ylabel(const plot_target *t, const char *label)
{
    duet_buf_puts(t->gp, "set ylabel ");
    plot_string(t->gp, label);
    duet_buf_puts(t->gp, "\n");
}

/* 1 for a maximized task, -1 for a minimized one: multiplies feedback into "higher is better". */
static double orientation(const plot_panel *p)
{
    return p->goal == 0 ? 1.0 : -1.0;
}

/* Appends one curve (mean and band) of a data block to the plot command. */
static void plot_band(const plot_target *t, size_t block, size_t color, const char *label,
                      int first)
{
    duet_buf_printf(t->gp,
                    "%s'%s' index %zu using 1:4:5 with filledcurves lc %zu notitle, \\\n"
                    "     '' index %zu using 1:2 with linespoints lc %zu pt 7 ps 0.5 lw 2 title ",
                    first ? "" : ", \\\n     ", t->datname, block, color, block, color);
    plot_string(t->gp, label);
}

/* ------------------------------------------------------------------ best so far */

void plot_figure_best(plot_panel *panels, size_t n_panels, const plot_target *t)
{
    size_t rows, cols;
    plot_grid(n_panels, &rows, &cols);
    plot_terminal(t, rows, cols, 700, 400);
    duet_buf_puts(t->gp, "set key outside right top font ',8'\n"
                         "set style fill transparent solid 0.2 noborder\n");
    duet_buf_printf(t->gp, "set multiplot layout %zu,%zu\n", rows, cols);
    size_t block = 0;
    for (size_t p = 0; p < n_panels; p++) {
        plot_panel *pn = &panels[p];
        char ylabel[256];
        plot_feedback_label(pn, "best", ylabel, sizeof ylabel);
        set_title(t, pn->task);
        set_ylabel(t, ylabel);
        duet_buf_printf(t->gp, "set xlabel 'iteration'\nset xrange [0.5:%zu.5]\nplot ",
                        pn->iterations);
        for (size_t s = 0; s < pn->n_series; s++) {
            const plot_series *sr = &pn->series[s];
            duet_buf_printf(t->dat, "# task %s, method %s: iteration mean se lower upper trials\n",
                            pn->task, sr->label);
            for (size_t it = 0; it < sr->file->iterations; it++) {
                plot_acc acc = {0};
                for (size_t i = 0; i < sr->file->trials; i++)
                    if (sr->method->trials[i].iterations_done > it)
                        plot_acc_add(&acc, sr->method->trials[i].best_so_far[it]);
                plot_stat st = plot_acc_stat(&acc);
                duet_buf_printf(t->dat, "%zu %.17g %.17g %.17g %.17g %zu\n", it + 1, st.mean, st.se,
                                st.mean - st.se, st.mean + st.se, st.count);
            }
            duet_buf_puts(t->dat, "\n\n");
            plot_band(t, block++, s + 1, sr->label, s == 0);
        }
        duet_buf_puts(t->gp, "\n");
    }
    duet_buf_puts(t->gp, "unset multiplot\n");
}

/* ------------------------------------------------------------------ regret */

/*
 * Three panels per task: simple regret r_t = f* - best value up to t, cumulative regret
 * R_t = sum_{s <= t} (f* - f(r_s)) and average regret R_t / t, where f(r_s) is the noiseless
 * value of iteration s's chosen subset; all oriented so that 0 is optimal.
 */
void plot_figure_regret(plot_panel *panels, size_t n_panels, const plot_target *t)
{
    plot_terminal(t, n_panels, 3, 600, 380);
    duet_buf_puts(t->gp, "set key outside right top font ',8'\n"
                         "set style fill transparent solid 0.2 noborder\nset xlabel 'iteration'\n");
    duet_buf_printf(t->gp, "set multiplot layout %zu,3\n", n_panels);
    static const char *const kinds[3] = {"simple regret", "cumulative regret", "average regret"};
    size_t block = 0;
    for (size_t p = 0; p < n_panels; p++) {
        plot_panel *pn = &panels[p];
        double sign = orientation(pn);
        for (int kind = 0; kind < 3; kind++) {
            char title[512];
            snprintf(title, sizeof title, "%s: %s", pn->task, kinds[kind]);
            set_title(t, title);
            set_ylabel(t, kinds[kind]);
            duet_buf_printf(t->gp, "set logscale y\nset xrange [0.5:%zu.5]\nplot ", pn->iterations);
            for (size_t s = 0; s < pn->n_series; s++) {
                const plot_series *sr = &pn->series[s];
                const duet_task_results *task = sr->task;
                duet_buf_printf(t->dat,
                                "# task %s, method %s, %s: iteration mean se lower "
                                "upper trials\n",
                                pn->task, sr->label, kinds[kind]);
                for (size_t it = 0; it < sr->file->iterations; it++) {
                    plot_acc acc = {0};
                    for (size_t i = 0; i < sr->file->trials; i++) {
                        const duet_trial_results *tr = &sr->method->trials[i];
                        if (tr->iterations_done <= it)
                            continue;
                        if (kind == 0) {
                            plot_acc_add(&acc, tr->regret[it]);
                            continue;
                        }
                        double cumulative = 0.0;
                        for (size_t u = 0; u <= it; u++)
                            cumulative += sign * (task->optimum - tr->value[u]);
                        plot_acc_add(&acc, kind == 1 ? cumulative : cumulative / (double)(it + 1));
                    }
                    plot_stat st = plot_acc_stat(&acc);
                    /* A regret of exactly zero or below has no place on a log axis. */
                    double mean = st.count && st.mean > 0 ? st.mean : NAN;
                    double lower = mean - st.se > 0 ? mean - st.se : mean;
                    duet_buf_printf(t->dat, "%zu %.17g %.17g %.17g %.17g %zu\n", it + 1, mean,
                                    st.se, lower, mean + st.se, st.count);
                }
                duet_buf_puts(t->dat, "\n\n");
                plot_band(t, block++, s + 1, sr->label, s == 0);
            }
            duet_buf_puts(t->gp, "\n");
        }
    }
    duet_buf_puts(t->gp, "unset multiplot\n");
}

/* ------------------------------------------------------------------ mixture */

void plot_figure_mixture(plot_panel *panels, size_t n_panels, const plot_target *t)
{
    size_t count = 0;
    for (size_t p = 0; p < n_panels; p++)
        count += panels[p].n_series;
    size_t rows, cols;
    plot_grid(count, &rows, &cols);
    plot_terminal(t, rows, cols, 560, 380);
    duet_buf_puts(t->gp, "set style data histograms\nset style histogram rowstacked\n"
                         "set style fill solid 0.85 border -1\nset boxwidth 0.8\n"
                         "set yrange [0:1]\nset key outside right font ',8'\n"
                         "set xlabel 'iteration'\nset ylabel 'share of the budget'\n");
    duet_buf_printf(t->gp, "set multiplot layout %zu,%zu\n", rows, cols);
    size_t block = 0;
    for (size_t p = 0; p < n_panels; p++)
        for (size_t s = 0; s < panels[p].n_series; s++) {
            const plot_series *sr = &panels[p].series[s];
            size_t n = sr->task->n;
            duet_buf_printf(t->dat,
                            "# task %s, method %s: iteration then the mean share of "
                            "each domain over finished trials\n",
                            panels[p].task, sr->label);
            duet_buf_puts(t->dat, "iteration");
            for (size_t i = 0; i < n; i++)
                duet_buf_printf(t->dat, " %s", sr->task->domains[i]);
            duet_buf_puts(t->dat, "\n");
            for (size_t it = 0; it < sr->file->iterations; it++) {
                duet_buf_printf(t->dat, "%zu", it + 1);
                for (size_t i = 0; i < n; i++) {
                    plot_acc acc = {0};
                    for (size_t k = 0; k < sr->file->trials; k++)
                        if (sr->method->trials[k].iterations_done > it)
                            plot_acc_add(&acc, sr->method->trials[k].ratios[it * n + i]);
                    duet_buf_printf(t->dat, " %.17g", plot_acc_stat(&acc).mean);
                }
                duet_buf_puts(t->dat, "\n");
            }
            duet_buf_puts(t->dat, "\n\n");
            char title[512];
            snprintf(title, sizeof title, "%s: %s", panels[p].task, sr->label);
            set_title(t, title);
            duet_buf_printf(t->gp,
                            "plot for [i=2:%zu] '%s' index %zu using i:xtic(1) "
                            "title columnheader(i)\n",
                            n + 1, t->datname, block++);
        }
    duet_buf_puts(t->gp, "unset multiplot\n");
}

/* ------------------------------------------------------------------ ablation */

/* The last best-so-far value of a trial, or NaN when it has no finished iteration. */
static double final_best(const duet_trial_results *tr)
{
    return tr->iterations_done ? tr->best_so_far[tr->iterations_done - 1] : NAN;
}

/* The reference series of a panel: the named one, else the first DUET-IF or DUET, else the first.
 */
static size_t reference_series(const plot_panel *p, const char *name)
{
    for (size_t s = 0; name && s < p->n_series; s++)
        if (strcmp(p->series[s].label, name) == 0)
            return s;
    static const char *const preferred[] = {"duet_if", "duet"};
    for (size_t k = 0; k < 2; k++)
        for (size_t s = 0; s < p->n_series; s++)
            if (strcmp(p->series[s].method->type, preferred[k]) == 0)
                return s;
    return 0;
}

/*
 * Two panels per task: the final best feedback of every method (mean and standard error over
 * complete trials), and its paired difference to the reference method over the trials both
 * completed. Trial i of every method of one experiment seed shares the selection and evaluation
 * streams, so the difference is paired on common random numbers. Differences are oriented so
 * that positive means better than the reference.
 */
void plot_figure_ablation(plot_panel *panels, size_t n_panels, const plot_target *t)
{
    plot_terminal(t, n_panels, 2, 600, 420);
    duet_buf_puts(t->gp, "set style fill solid 0.6 border -1\nset boxwidth 0.7\nunset key\n"
                         "set xtics rotate by -35 font ',8'\nset bars 2\n");
    duet_buf_printf(t->gp, "set multiplot layout %zu,2\n", n_panels);
    size_t block = 0;
    for (size_t p = 0; p < n_panels; p++) {
        plot_panel *pn = &panels[p];
        size_t ref = reference_series(pn, t->reference);
        const plot_series *rs = &pn->series[ref];
        double sign = orientation(pn);
        duet_buf_printf(t->dat,
                        "# task %s: method index, label, final best mean, se, trials, "
                        "paired difference to %s (positive = better), se, pairs\n",
                        pn->task, rs->label);
        for (size_t s = 0; s < pn->n_series; s++) {
            const plot_series *sr = &pn->series[s];
            plot_acc best = {0}, diff = {0};
            /* Files of different experiment seeds share no streams, so they are not paired. */
            int same_seed = sr->file->seed == rs->file->seed;
            for (size_t i = 0; i < sr->file->trials; i++) {
                if (!sr->method->trials[i].complete)
                    continue;
                double b = final_best(&sr->method->trials[i]);
                plot_acc_add(&best, b);
                if (same_seed && i < rs->file->trials && rs->method->trials[i].complete)
                    plot_acc_add(&diff, sign * (b - final_best(&rs->method->trials[i])));
            }
            plot_stat b = plot_acc_stat(&best), d = plot_acc_stat(&diff);
            duet_buf_printf(t->dat, "%zu \"%s\" %.17g %.17g %zu %.17g %.17g %zu\n", s, sr->label,
                            b.mean, b.se, b.count, d.mean, d.se, d.count);
        }
        duet_buf_puts(t->dat, "\n\n");
        char ylabel[256], title[512];
        plot_feedback_label(pn, "final best", ylabel, sizeof ylabel);
        set_title(t, pn->task);
        set_ylabel(t, ylabel);
        duet_buf_printf(t->gp,
                        "set xrange [-0.6:%zu.6]\nunset xlabel\n"
                        "plot '%s' index %zu using 1:3:xtic(2) with boxes lc 2, "
                        "'' index %zu using 1:3:4 with yerrorbars lc -1 pt 0\n",
                        pn->n_series - 1, t->datname, block, block);
        snprintf(title, sizeof title, "%s: paired difference to %s over common trials", pn->task,
                 rs->label);
        set_title(t, title);
        set_ylabel(t, "difference (positive = better)");
        duet_buf_printf(t->gp,
                        "plot '%s' index %zu using 1:6:xtic(2) with boxes lc 3, "
                        "'' index %zu using 1:6:7 with yerrorbars lc -1 pt 0, 0 lc -1 notitle\n",
                        t->datname, block, block);
        block++;
    }
    duet_buf_puts(t->gp, "unset multiplot\n");
}

/* ------------------------------------------------------------------ estimator distribution */

#define HISTOGRAM_BINS 30

/*
 * Histograms of the feedback of every inner sample (all iterations and trials) per method, with
 * each method's best observed value marked (dashed, its colour) and, when the backend knows it,
 * the best value any subset with the drawn counts can reach (solid black).
 */
void plot_figure_estimator(plot_panel *panels, size_t n_panels, const plot_target *t)
{
    size_t rows, cols;
    plot_grid(n_panels, &rows, &cols);
    plot_terminal(t, rows, cols, 600, 420);
    duet_buf_puts(t->gp, "set key top left box opaque font ',8'\nset ylabel 'samples'\n"
                         "set style fill transparent solid 0.35 border\n");
    duet_buf_printf(t->gp, "set multiplot layout %zu,%zu\n", rows, cols);
    size_t block = 0, arrow = 1;
    for (size_t p = 0; p < n_panels; p++) {
        plot_panel *pn = &panels[p];
        double lo = INFINITY, hi = -INFINITY, inner = -INFINITY;
        for (size_t s = 0; s < pn->n_series; s++) {
            const plot_series *sr = &pn->series[s];
            for (size_t i = 0; i < sr->file->trials; i++) {
                const duet_trial_results *tr = &sr->method->trials[i];
                for (size_t x = 0; x < tr->iterations_done * sr->method->samples; x++) {
                    double v = tr->samples[x];
                    if (isfinite(v)) {
                        lo = fmin(lo, v);
                        hi = fmax(hi, v);
                    }
                }
                for (size_t it = 0; it < tr->iterations_done; it++)
                    if (isfinite(tr->inner_optimum[it]))
                        inner = fmax(inner, orientation(pn) * tr->inner_optimum[it]);
            }
        }
        if (!(hi > lo))
            hi = lo + 1.0;
        double width = (hi - lo) / HISTOGRAM_BINS;
        char xlabel[256];
        plot_feedback_label(pn, "sample", xlabel, sizeof xlabel);
        set_title(t, pn->task);
        duet_buf_puts(t->gp, "set xlabel ");
        plot_string(t->gp, xlabel);
        duet_buf_puts(t->gp, "\nunset arrow\n");
        for (size_t s = 0; s < pn->n_series; s++) {
            const plot_series *sr = &pn->series[s];
            size_t counts[HISTOGRAM_BINS] = {0};
            double best = NAN;
            for (size_t i = 0; i < sr->file->trials; i++) {
                const duet_trial_results *tr = &sr->method->trials[i];
                for (size_t x = 0; x < tr->iterations_done * sr->method->samples; x++) {
                    double v = tr->samples[x];
                    if (!isfinite(v))
                        continue;
                    size_t bin = (size_t)((v - lo) / width);
                    counts[bin < HISTOGRAM_BINS ? bin : HISTOGRAM_BINS - 1]++;
                    if (isnan(best) || orientation(pn) * v > orientation(pn) * best)
                        best = v;
                }
            }
            duet_buf_printf(t->dat,
                            "# task %s, method %s: bin centre, samples (best observed "
                            "%.17g)\n",
                            pn->task, sr->label, best);
            for (size_t b = 0; b < HISTOGRAM_BINS; b++)
                duet_buf_printf(t->dat, "%.17g %zu\n", lo + ((double)b + 0.5) * width, counts[b]);
            duet_buf_puts(t->dat, "\n\n");
            if (isfinite(best))
                duet_buf_printf(t->gp,
                                "set arrow %zu from %.17g, graph 0 to %.17g, graph 1 nohead lc "
                                "%zu dt 2 lw 2\n",
                                arrow++, best, best, s + 1);
        }
        if (isfinite(inner))
            duet_buf_printf(t->gp,
                            "set arrow %zu from %.17g, graph 0 to %.17g, graph 1 nohead lc -1 "
                            "lw 2\n",
                            arrow++, orientation(pn) * inner, orientation(pn) * inner);
        duet_buf_printf(t->gp, "set boxwidth %.17g absolute\nplot ", width * 0.9);
        for (size_t s = 0; s < pn->n_series; s++) {
            duet_buf_printf(t->gp, "%s'%s' index %zu using 1:2 with boxes lc %zu title ",
                            s ? ", " : "", t->datname, block++, s + 1);
            plot_string(t->gp, pn->series[s].label);
        }
        duet_buf_puts(t->gp, "\n");
    }
    duet_buf_puts(t->gp, "unset multiplot\n");
}

/* ------------------------------------------------------------------ estimator error against k */

/*
 * The error of the best-of-k estimator against k: for every method, the mean over trials and
 * iterations of the gap between the best value any subset with the drawn counts can reach and
 * the noiseless value of the best of the k samples; methods of one type form one line, ordered
 * by k. Needs a backend that knows the inner optimum (the synthetic backend).
 */
void plot_figure_kerror(plot_panel *panels, size_t n_panels, const plot_target *t)
{
    size_t rows, cols;
    plot_grid(n_panels, &rows, &cols);
    plot_terminal(t, rows, cols, 560, 400);
    duet_buf_puts(t->gp, "set key top right box opaque font ',8'\nset logscale x 2\n"
                         "set xlabel 'inner samples k'\nset ylabel 'estimator error'\n");
    duet_buf_printf(t->gp, "set multiplot layout %zu,%zu\n", rows, cols);
    size_t block = 0;
    for (size_t p = 0; p < n_panels; p++) {
        plot_panel *pn = &panels[p];
        set_title(t, pn->task);
        /* Pad the range by a factor 1.4 on the log scale, so no point sits on the frame. */
        size_t kmin = SIZE_MAX, kmax = 0;
        for (size_t s = 0; s < pn->n_series; s++) {
            size_t k = pn->series[s].method->samples;
            kmin = k < kmin ? k : kmin;
            kmax = k > kmax ? k : kmax;
        }
        if (pn->n_series > 0)
            duet_buf_printf(t->gp, "set xrange [%.6g:%.6g]\n", (double)kmin / 1.4,
                            (double)kmax * 1.4);
        duet_buf_puts(t->gp, "plot ");
        unsigned char *done = duet_calloc(pn->n_series ? pn->n_series : 1, 1);
        size_t lines = 0;
        for (size_t s = 0; done && s < pn->n_series; s++) {
            if (done[s])
                continue;
            const char *type = pn->series[s].method->type;
            duet_buf_printf(t->dat, "# task %s, methods of type %s: k, mean error, se, count\n",
                            pn->task, type);
            /* Emit the series of this type in increasing k. */
            size_t emitted = 0, first = s, last = s;
            for (;;) {
                size_t next = pn->n_series;
                for (size_t u = 0; u < pn->n_series; u++)
                    if (!done[u] && strcmp(pn->series[u].method->type, type) == 0 &&
                        (next == pn->n_series ||
                         pn->series[u].method->samples < pn->series[next].method->samples))
                        next = u;
                if (next == pn->n_series)
                    break;
                done[next] = 1;
                if (emitted++ == 0)
                    first = next;
                last = next;
                const plot_series *sr = &pn->series[next];
                plot_acc acc = {0};
                for (size_t i = 0; i < sr->file->trials; i++) {
                    const duet_trial_results *tr = &sr->method->trials[i];
                    for (size_t it = 0; it < tr->iterations_done; it++)
                        plot_acc_add(&acc,
                                     orientation(pn) * (tr->inner_optimum[it] - tr->value[it]));
                }
                plot_stat st = plot_acc_stat(&acc);
                duet_buf_printf(t->dat, "%zu %.17g %.17g %zu\n", sr->method->samples, st.mean,
                                st.se, st.count);
            }
            duet_buf_puts(t->dat, "\n\n");
            duet_buf_printf(t->gp,
                            "%s'%s' index %zu using 1:2:3 with yerrorlines lc %zu pt 7 lw 2 "
                            "title ",
                            lines ? ", " : "", t->datname, block++, lines + 1);
            /* One method: its label. Several: their type and the range of k. */
            char title[160];
            if (emitted == 1)
                snprintf(title, sizeof title, "%s", pn->series[first].method->label);
            else
                snprintf(title, sizeof title, "%s, k = %zu..%zu", type,
                         pn->series[first].method->samples, pn->series[last].method->samples);
            plot_string(t->gp, title);
            lines++;
        }
        duet_free(done);
        duet_buf_puts(t->gp, "\n");
    }
    duet_buf_puts(t->gp, "unset multiplot\n");
}
