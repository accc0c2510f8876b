/* `duet info`: what results files hold. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "results/journal.h"
#include "results/results.h"

void duet_cmd_info_help(FILE *out)
{
    fprintf(out, "usage: duet info FILE.h5 [FILE.h5...]\n\n"
                 "Prints what each results file holds: the experiment, its provenance, every "
                 "task with its\ndomains, and for every method how many trials and iterations "
                 "are complete and the mean\nbest feedback of the complete trials (and, apart, of "
                 "those in progress). Iterations "
                 "recorded in the journal FILE.h5.journal\nafter the last snapshot are counted "
                 "too.\n");
}

/*
 * Mean and standard error of the last best-so-far value of each trial that has one: over the
 * complete trials when complete is set, else over the trials still in progress.
 */
static void final_best(const duet_results *r, const duet_method_results *m, int complete,
                       double *mean, double *se, size_t *count)
{
    double s = 0, s2 = 0;
    size_t c = 0;
    for (size_t i = 0; i < r->trials; i++) {
        const duet_trial_results *tr = &m->trials[i];
        if (tr->iterations_done == 0 || (tr->complete != 0) != (complete != 0))
            continue;
        double v = tr->best_so_far[tr->iterations_done - 1];
        if (!isfinite(v))
            continue;
        s += v;
        s2 += v * v;
        c++;
    }
    *count = c;
    *mean = c ? s / (double)c : NAN;
    *se = c > 1 ? sqrt(fmax(0.0, (s2 - s * s / (double)c) / (double)(c - 1)) / (double)c) : 0.0;
}

static void print_file(const char *path, const duet_results *r, size_t journal_rows)
{
    size_t tc, tt, id, it;
    duet_results_progress(r, &tc, &tt, &id, &it);
    const duet_provenance *p = &r->prov;
    printf("%s\n", path);
    printf("  experiment  %s (seed %llu): %s, %zu of %zu trials complete, %zu of %zu iterations "
           "(over all tasks and methods)\n",
           r->experiment, (unsigned long long)r->seed, tc == tt ? "complete" : "incomplete", tc, tt,
           id, it);
    if (r->description && *r->description)
        printf("  about       %s\n", r->description);
    printf("  written by  duet %s, commit %.12s%s, %s, %s\n", p->duet_version, p->git_commit,
           p->git_dirty ? " (uncommitted changes)" : "", p->compiler, p->build_type);
    printf("  host        %s; started %s%s%s\n", p->host, p->started,
           p->finished && *p->finished ? ", finished " : ", not finished",
           p->finished && *p->finished ? p->finished : "");
    printf("  budget      M = %zu points, T = %zu iterations, %zu trials\n", r->points,
           r->iterations, r->trials);
    for (size_t t = 0; t < r->n_tasks; t++) {
        const duet_task_results *task = &r->tasks[t];
        printf("  task %s: %zu domains (", task->name, task->n);
        for (size_t i = 0; i < task->n; i++)
            printf("%s%s", i ? ", " : "", task->domains[i]);
        printf("); %s %s", task->goal == 0 ? "maximize" : "minimize", task->metric);
        if (task->optimum_known)
            printf(", best attainable %.6g", task->optimum);
        printf("\n    %-20s %-15s %-15s %3s %9s %11s  %s\n", "method", "type", "selector", "k",
               "trials", "iterations", "final best (mean +- se)");
        for (size_t m = 0; m < task->n_methods; m++) {
            const duet_method_results *mr = &task->methods[m];
            size_t done = 0, iters = 0;
            for (size_t i = 0; i < r->trials; i++) {
                done += mr->trials[i].complete != 0;
                iters += mr->trials[i].iterations_done;
            }
            double mean, se, partial, partial_se;
            size_t count, running;
            final_best(r, mr, 1, &mean, &se, &count);
            final_best(r, mr, 0, &partial, &partial_se, &running);
            char trials[32], iterations[32];
            snprintf(trials, sizeof trials, "%zu/%zu", done, r->trials);
            snprintf(iterations, sizeof iterations, "%zu/%zu", iters, r->trials * r->iterations);
            printf("    %-20s %-15s %-15s %3zu %9s %11s  ", mr->label, mr->type, mr->selector,
                   mr->samples, trials, iterations);
            if (count)
                printf("%.6g +- %.2g (%zu complete trial%s)", mean, se, count,
                       count == 1 ? "" : "s");
            else
                printf("-");
            if (running)
                printf("%s best so far %.6g over %zu trial%s in progress", count ? ";" : "",
                       partial, running, running == 1 ? "" : "s");
            printf("\n");
        }
    }
    if (journal_rows)
        printf("  journal     %zu records after the last snapshot are included above; `duet run "
               "--resume` merges them into the file\n",
               journal_rows);
}

int duet_cmd_info(int argc, char **argv)
{
    if (argc < 2)
        return duet_cli_usage("info", "missing FILE.h5");
    int code = DUET_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            return duet_cli_usage("info", "unknown option '%s'", argv[i]);
    }
    for (int i = 1; i < argc; i++) {
        duet_error err;
        duet_error_clear(&err);
        duet_results *r = NULL;
        if (duet_results_read_isolated(argv[i], DUET_RESULTS_READ_TIMEOUT, &r, &err) != DUET_OK) {
            int c = duet_cli_fail(&err);
            code = code ? code : c;
            continue;
        }
        char journal[4096];
        snprintf(journal, sizeof journal, "%s.journal", argv[i]);
        size_t applied = 0, torn = 0;
        if (access(journal, F_OK) == 0 &&
            duet_journal_replay(journal, duet_config_hash(r->prov.config), r, &applied, &torn,
                                &err) != DUET_OK)
            fprintf(stderr, "duet: warning: %s\n", err.msg);
        if (i > 1)
            printf("\n");
        print_file(argv[i], r, applied);
        duet_results_free(r);
    }
    return code;
}
