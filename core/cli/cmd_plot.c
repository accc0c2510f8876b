/* `duet plot`: figures from results files. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "plot/plot.h"
#include "results/journal.h"
#include "util/mem.h"

void duet_cmd_plot_help(FILE *out)
{
    fprintf(out,
            "usage: duet plot FILE.h5 [FILE.h5...] [--figure NAME] [-o FIG.png]\n\n"
            "Draws a figure with gnuplot and keeps its data table (FIG.dat) and script (FIG.gp)\n"
            "beside it, so it can be restyled and redrawn with `gnuplot FIG.gp`.\n\n"
            "  --figure best     best-so-far feedback per iteration, mean and standard-error band\n"
            "                    over trials, one line per method, one panel per task (default)\n"
            "  --figure regret   simple, cumulative and average regret on log scales (tasks\n"
            "                    with a known optimum, such as the synthetic backend's)\n"
            "  --figure mixture  realized mixture per iteration as stacked bars, one panel per\n"
            "                    task and method (mean over trials)\n"
            "  --figure ablation final best per method (mean and standard error) and its\n"
            "                    paired difference to a reference method over common trials\n"
            "  --figure estimator histogram of every inner sample's feedback per method, with\n"
            "                    each method's best observed value marked\n"
            "  --figure kerror   error of the best-of-k estimator against k (backends that\n"
            "                    know the inner optimum)\n"
            "  --reference NAME  ablation: the method the differences refer to (default: the\n"
            "                    first duet_if or duet method)\n"
            "  -o, --output FIG  output image: .png, .svg or .pdf (default: FILE-FIGURE.png)\n"
            "  --task NAME       only this task\n\n"
            "Several files are merged per task name; their methods are labelled with the file "
            "name.\n");
}

int duet_cmd_plot(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"figure", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"task", required_argument, NULL, 't'},
        {"reference", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    duet_plot_options po = {.figure = DUET_FIGURE_BEST};
    const char *figure = "best";
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            figure = optarg;
            if (duet_figure_parse(optarg) < 0)
                return duet_cli_usage("plot", "--figure '%s' is not one of %s", optarg,
                                      duet_figure_names);
            po.figure = (duet_figure)duet_figure_parse(optarg);
            break;
        case 'r':
            po.reference = optarg;
            break;
        case 'o':
            po.output = optarg;
            break;
        case 't':
            po.task = optarg;
            break;
        default:
            return duet_cli_usage("plot", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    int n_files = argc - optind;
    if (n_files < 1)
        return duet_cli_usage("plot", "missing FILE.h5");
    char default_out[4096];
    if (po.output == NULL) {
        const char *first = argv[optind];
        const char *dot = strrchr(first, '.');
        size_t stem = dot ? (size_t)(dot - first) : strlen(first);
        snprintf(default_out, sizeof default_out, "%.*s-%s.png", (int)stem, first, figure);
        po.output = default_out;
    }
    duet_results **files = duet_calloc((size_t)n_files, sizeof *files);
    const char **labels = duet_calloc((size_t)n_files, sizeof *labels);
    int code = DUET_EXIT_OK;
    duet_error err;
    duet_error_clear(&err);
    if (files == NULL || labels == NULL) {
        duet_error_set(&err, DUET_ENOMEM, "out of memory");
        code = duet_cli_fail(&err);
        goto done;
    }
    for (int i = 0; i < n_files; i++) {
        const char *path = argv[optind + i];
        if (duet_results_read_isolated(path, DUET_RESULTS_READ_TIMEOUT, &files[i], &err) !=
            DUET_OK) {
            code = duet_cli_fail(&err);
            goto done;
        }
        char journal[4096];
        snprintf(journal, sizeof journal, "%s.journal", path);
        size_t applied = 0, torn = 0;
        if (duet_journal_replay(journal, duet_config_hash(files[i]->prov.config), files[i],
                                &applied, &torn, &err) != DUET_OK)
            fprintf(stderr, "duet: warning: %s\n", err.msg);
        const char *slash = strrchr(path, '/');
        labels[i] = slash ? slash + 1 : path;
    }
    po.labels = labels;
    if (duet_plot((const duet_results *const *)files, (size_t)n_files, &po, &err) != DUET_OK)
        code = duet_cli_fail(&err);
    else
        fprintf(stderr, "duet: wrote %s (with its .dat table and .gp script)\n", po.output);
done:
    for (int i = 0; files && i < n_files; i++)
        duet_results_free(files[i]);
    duet_free(files);
    duet_free(labels);
    return code;
}
