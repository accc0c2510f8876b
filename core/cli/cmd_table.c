/*
 * `duet table`: the final values of results files as a table, and checks of claims about them.
 *
 * For every task and method: the mean and standard error over complete trials of the final
 * best-so-far feedback, and the paired difference to a reference method over the trials both
 * completed. Trial i of every method of one experiment seed shares its selection and evaluation
 * streams, so pairs are formed only between files of the same seed, where they share common
 * random numbers. Differences are oriented so that a positive value means better than the
 * reference, whatever the task's goal. A label that several files share is shown with its file.
 *
 * Claims: --check-best LABEL reports, per task, whether LABEL's mean is better than every other
 * method's; --check-order A,B,C whether the means improve from A to B to C. Each claim line ends
 * in "holds" or "fails" with the numbers, so reports can quote them.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "results/journal.h"
#include "results/results.h"
#include "util/mem.h"

void duet_cmd_table_help(FILE *out)
{
    fprintf(
        out,
        "usage: duet table FILE.h5 [FILE.h5...] [--reference LABEL] [--format markdown|tsv]\n"
        "                  [--check-best LABEL] [--check-order A,B,C]\n\n"
        "Prints, per task and method, the final best feedback (mean +- standard error over\n"
        "complete trials) and the paired difference to the reference method over trials both\n"
        "completed (positive = better than the reference). Methods of several files are listed\n"
        "together; a label that several files share is shown as 'LABEL [FILE]', and only files\n"
        "of the same experiment seed are paired.\n\n"
        "  --reference LABEL   method the differences refer to (default: the first duet_if "
        "or duet)\n"
        "  --format F          markdown (default) or tsv\n"
        "  --check-best LABEL  per task: is LABEL better than every other method?\n"
        "  --check-order A,B,C per task: do the means improve from A to B to C?\n");
}

typedef struct row {
    const duet_results *file;
    const duet_task_results *task;
    const duet_method_results *method;
    const char *path; /* the results file, as given on the command line */
    char name[160];   /* the label, or "label [file.h5]" when several files have the label */
} row;

typedef struct summary {
    double mean, se;
    size_t count;
} summary;

static double final_best(const duet_trial_results *tr)
{
    return tr->iterations_done ? tr->best_so_far[tr->iterations_done - 1] : NAN;
}

static summary summary_of(const double *x, size_t n)
{
    summary s = {NAN, 0.0, 0};
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            sum += x[i];
            sum2 += x[i] * x[i];
            s.count++;
        }
    if (s.count == 0)
        return s;
    s.mean = sum / (double)s.count;
    if (s.count > 1) {
        double var = (sum2 - sum * sum / (double)s.count) / (double)(s.count - 1);
        s.se = sqrt(var > 0 ? var : 0) / sqrt((double)s.count);
    }
    return s;
}

/* Final best of every complete trial of r; the count is 0 when none is complete. */
static summary final_summary(const row *r)
{
    size_t n = r->file->trials, used = 0;
    double *values = duet_malloc((n ? n : 1) * sizeof *values);
    if (values == NULL)
        return (summary){NAN, 0.0, 0};
    for (size_t i = 0; i < n; i++)
        if (r->method->trials[i].complete)
            values[used++] = final_best(&r->method->trials[i]);
    summary s = summary_of(values, used);
    duet_free(values);
    return s;
}

/*
 * Paired difference of a against b over the trials both completed, oriented by the task's goal
 * (positive = a is better). Files of different experiment seeds share no streams: no pairs.
 */
static summary paired(const row *a, const row *b)
{
    size_t n = 0, trials = a->file->trials < b->file->trials ? a->file->trials : b->file->trials;
    if (a->file->seed != b->file->seed)
        trials = 0;
    double *d = duet_malloc((trials ? trials : 1) * sizeof *d);
    if (d == NULL)
        return (summary){NAN, 0.0, 0};
    double sign = a->task->goal == 0 ? 1.0 : -1.0;
    for (size_t i = 0; i < trials; i++)
        if (a->method->trials[i].complete && b->method->trials[i].complete)
            d[n++] = sign * (final_best(&a->method->trials[i]) - final_best(&b->method->trials[i]));
    summary s = summary_of(d, n);
    duet_free(d);
    return s;
}

/* Rows of the task named `task` over all files, in file then method order. */
static size_t task_rows(duet_results *const *files, const char *const *paths, size_t n_files,
                        const char *task, row *out, size_t max)
{
    size_t n = 0;
    for (size_t f = 0; f < n_files; f++)
        for (size_t t = 0; t < files[f]->n_tasks; t++) {
            const duet_task_results *tk = &files[f]->tasks[t];
            if (strcmp(tk->name, task) != 0)
                continue;
            for (size_t m = 0; m < tk->n_methods && n < max; m++)
                out[n++] = (row){files[f], tk, &tk->methods[m], paths[f], ""};
        }
    for (size_t i = 0; i < n; i++) {
        int shared = 0;
        for (size_t j = 0; j < n && !shared; j++)
            shared = j != i && strcmp(out[j].method->label, out[i].method->label) == 0;
        const char *base = strrchr(out[i].path, '/');
        base = base ? base + 1 : out[i].path;
        if (shared)
            snprintf(out[i].name, sizeof out[i].name, "%.80s [%.70s]", out[i].method->label, base);
        else
            snprintf(out[i].name, sizeof out[i].name, "%.159s", out[i].method->label);
    }
    return n;
}

/*
 * The row named `label`: its shown name, or its label when exactly one row has it. Returns n
 * when there is none, and sets *ambiguous when several rows share the label.
 */
static size_t find_row(const row *rows, size_t n, const char *label, int *ambiguous)
{
    size_t found = n, count = 0;
    *ambiguous = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, label) == 0)
            return i;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].method->label, label) == 0 && count++ == 0)
            found = i;
    *ambiguous = count > 1;
    return count == 1 ? found : n;
}

static size_t reference_row(const row *rows, size_t n, const char *label, int *ambiguous)
{
    *ambiguous = 0;
    if (label)
        return find_row(rows, n, label, ambiguous);
    static const char *const preferred[] = {"duet_if", "duet"};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(rows[i].method->type, preferred[k]) == 0)
                return i;
    return 0;
}

/* "better" in the task's goal: a larger mean when maximizing, a smaller one when minimizing. */
static int better(const row *r, double a, double b)
{
    return r->task->goal == 0 ? a > b : a < b;
}

static void print_task(const row *rows, size_t n, size_t ref, int tsv)
{
    const duet_task_results *task = rows[0].task;
    if (!tsv) {
        printf("\n**%s** (%s, %s; mean +- standard error over complete trials)\n\n", task->name,
               task->metric, task->goal == 0 ? "higher is better" : "lower is better");
        printf("| method | final best | trials | vs %s (positive = better) | pairs |\n",
               ref < n ? rows[ref].name : "-");
        printf("|---|---|---|---|---|\n");
    }
    for (size_t i = 0; i < n; i++) {
        summary s = final_summary(&rows[i]);
        summary d = ref < n ? paired(&rows[i], &rows[ref]) : (summary){NAN, 0, 0};
        char value[64] = "-", diff[64] = "-";
        if (s.count)
            snprintf(value, sizeof value, "%.4f +- %.4f", s.mean, s.se);
        if (d.count)
            snprintf(diff, sizeof diff, "%+.4f +- %.4f", d.mean, d.se);
        if (tsv)
            printf("%s\t%s\t%.10g\t%.10g\t%zu\t%.10g\t%.10g\t%zu\n", task->name, rows[i].name,
                   s.mean, s.se, s.count, d.mean, d.se, d.count);
        else if (i == ref)
            printf("| %s | %s | %zu | (reference) | |\n", rows[i].name, value, s.count);
        else
            printf("| %s | %s | %zu | %s | %zu |\n", rows[i].name, value, s.count, diff, d.count);
    }
}

/* Prints whether `label` beats every other method of the task; returns 1 when it does. */
static int check_best(const row *rows, size_t n, const char *label)
{
    int ambiguous;
    size_t b = find_row(rows, n, label, &ambiguous);
    if (b == n) {
        printf("claim %s: %s is best: %s\n", rows[0].task->name, label,
               ambiguous ? "several files have this label; name one as 'LABEL [FILE]'"
                         : "no such method");
        return 0;
    }
    summary sb = final_summary(&rows[b]);
    if (sb.count == 0) {
        printf("claim %s: %s is best: it has no complete trial\n", rows[0].task->name, label);
        return 0;
    }
    int holds = 1;
    const char *closest = NULL;
    double margin = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (i == b)
            continue;
        summary s = final_summary(&rows[i]);
        if (s.count == 0)
            continue; /* no complete trial to compare with */
        double gap = rows[0].task->goal == 0 ? sb.mean - s.mean : s.mean - sb.mean;
        if (!better(&rows[i], sb.mean, s.mean))
            holds = 0;
        if (gap < margin) {
            margin = gap;
            closest = rows[i].name;
        }
    }
    printf("claim %s: %s is better than every other method: %s (closest: %s, margin %+.4g)\n",
           rows[0].task->name, label, holds ? "holds" : "fails", closest ? closest : "-", margin);
    return holds;
}

/* Prints whether the means improve along the comma-separated labels; returns 1 when they do. */
static int check_order(const row *rows, size_t n, const char *order)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", order);
    int holds = 1;
    double previous = NAN;
    const char *previous_label = NULL;
    char detail[2048] = "";
    size_t used = 0;
    char *save = NULL;
    for (char *label = strtok_r(copy, ",", &save); label; label = strtok_r(NULL, ",", &save)) {
        int ambiguous;
        size_t i = find_row(rows, n, label, &ambiguous);
        if (i == n) {
            printf("claim %s: order %s: %s %s\n", rows[0].task->name, order,
                   ambiguous ? "several files have the label" : "no method", label);
            return 0;
        }
        summary s = final_summary(&rows[i]);
        if (s.count == 0) {
            printf("claim %s: order %s: %s has no complete trial\n", rows[0].task->name, order,
                   label);
            return 0;
        }
        if (previous_label && !better(&rows[i], s.mean, previous))
            holds = 0;
        used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s %.4f",
                                 previous_label ? " -> " : "", label, s.mean);
        if (used >= sizeof detail)
            used = sizeof detail - 1;
        previous = s.mean;
        previous_label = label;
    }
    printf("claim %s: means improve along %s: %s (%s)\n", rows[0].task->name, order,
           holds ? "holds" : "fails", detail);
    return holds;
}

int duet_cmd_table(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"reference", required_argument, NULL, 'r'},
        {"format", required_argument, NULL, 'f'},
        {"check-best", required_argument, NULL, 'b'},
        {"check-order", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *reference = NULL, *best = NULL, *order = NULL;
    int tsv = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            reference = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "tsv") != 0 && strcmp(optarg, "markdown") != 0)
                return duet_cli_usage("table", "--format '%s' is not markdown or tsv", optarg);
            tsv = strcmp(optarg, "tsv") == 0;
            break;
        case 'b':
            best = optarg;
            break;
        case 'o':
            order = optarg;
            break;
        default:
            return duet_cli_usage("table", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    size_t n_files = (size_t)(argc - optind);
    if (n_files == 0)
        return duet_cli_usage("table", "missing FILE.h5");
    duet_results **files = duet_calloc(n_files, sizeof *files);
    row *rows = duet_calloc(4096, sizeof *rows);
    int code = DUET_EXIT_OK;
    duet_error err;
    if (files == NULL || rows == NULL) {
        duet_error_set(&err, DUET_ENOMEM, "out of memory");
        code = duet_cli_fail(&err);
        goto done;
    }
    for (size_t f = 0; f < n_files; f++) {
        const char *path = argv[optind + (int)f];
        if (duet_results_read_isolated(path, DUET_RESULTS_READ_TIMEOUT, &files[f], &err) !=
            DUET_OK) {
            code = duet_cli_fail(&err);
            goto done;
        }
        char journal[4096];
        size_t applied = 0, torn = 0;
        snprintf(journal, sizeof journal, "%s.journal", path);
        if (duet_journal_replay(journal, duet_config_hash(files[f]->prov.config), files[f],
                                &applied, &torn, &err) != DUET_OK)
            fprintf(stderr, "duet: warning: %s\n", err.msg);
    }
    if (tsv)
        printf("task\tmethod\tmean\tse\ttrials\tdiff_mean\tdiff_se\tpairs\n");
    int all_hold = 1;
    /* Tasks in order of first appearance over the files. */
    for (size_t f = 0; f < n_files; f++)
        for (size_t t = 0; t < files[f]->n_tasks; t++) {
            const char *name = files[f]->tasks[t].name;
            int seen = 0;
            for (size_t g = 0; g <= f && !seen; g++)
                for (size_t u = 0; u < (g == f ? t : files[g]->n_tasks) && !seen; u++)
                    seen = strcmp(files[g]->tasks[u].name, name) == 0;
            if (seen)
                continue;
            size_t n =
                task_rows(files, (const char *const *)(argv + optind), n_files, name, rows, 4096);
            int ambiguous;
            size_t ref = reference_row(rows, n, reference, &ambiguous);
            if (reference && ref == n) {
                if (ambiguous)
                    fprintf(stderr,
                            "duet table: several files have a method '%s' in task %s; name one "
                            "as it is shown, 'LABEL [FILE]'\n",
                            reference, name);
                else
                    fprintf(stderr, "duet table: no method '%s' in task %s\n", reference, name);
                code = DUET_EXIT_USAGE;
                goto done;
            }
            if (!best && !order)
                print_task(rows, n, ref, tsv);
            if (best)
                all_hold &= check_best(rows, n, best);
            if (order)
                all_hold &= check_order(rows, n, order);
        }
    if ((best || order) && !all_hold)
        code = DUET_EXIT_FAILURE;
done:
    for (size_t f = 0; files && f < n_files; f++)
        duet_results_free(files[f]);
    duet_free(files);
    duet_free(rows);
    return code;
}
