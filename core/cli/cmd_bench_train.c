/*
 * duet bench train: training throughput of the embedded models (examples per second, seconds
 * per evaluation) and of Debian's fastText on the same tagging examples, with the ratio.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench/bench_train.h"
#include "cmd_embedded.h"

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: duet bench train [options]\n"
            "\n"
            "Trains the character model and the tagger of the embedded backend on random\n"
            "records of a pool, as one evaluation does, and fastText on the same tagging\n"
            "examples, then prints throughput and seconds per evaluation.\n"
            "\n"
            "  --pool FILE       pool file (default data/main9.h5)\n"
            "  --points N        training records per run (default 2000)\n"
            "  --eval-size N     evaluation records (default 500)\n"
            "  --repeats N       runs per model (default 3)\n"
            "  --seed N          seed of the record draws (default 1)\n"
            "  --fasttext PROG   fastText program (default fasttext); --no-fasttext skips it\n");
}

static int parse_count(const char *option, const char *value, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v = value ? strtoull(value, &end, 10) : 0;
    if (value == NULL || *value == '-' || end == value || *end != '\0' || v == 0) {
        fprintf(stderr, "duet bench train: %s needs a positive whole number\n", option);
        return 0;
    }
    *out = v;
    return 1;
}

int duet_cmd_bench_train(int argc, char **argv)
{
    duet_bench_train_config c;
    memset(&c, 0, sizeof c);
    duet_embedded_default_options(&c.options);
    c.pool_path = "data/main9.h5";
    c.points = 2000;
    c.eval_size = 500;
    c.repeats = 3;
    c.seed = 1;
    c.fasttext = "fasttext";
    const char *tmp = getenv("TMPDIR");
    c.tmp_dir = tmp ? tmp : "/tmp";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return 0;
        }
        if (strcmp(a, "--no-fasttext") == 0) {
            c.fasttext = NULL;
            continue;
        }
        int ok = 1;
        if (strcmp(a, "--pool") == 0 && v)
            c.pool_path = v;
        else if (strcmp(a, "--fasttext") == 0 && v)
            c.fasttext = v;
        else if (strcmp(a, "--points") == 0 && (ok = parse_count(a, v, &n)))
            c.points = n;
        else if (strcmp(a, "--eval-size") == 0 && (ok = parse_count(a, v, &n)))
            c.eval_size = (size_t)n;
        else if (strcmp(a, "--repeats") == 0 && (ok = parse_count(a, v, &n)))
            c.repeats = (size_t)n;
        else if (strcmp(a, "--seed") == 0 && (ok = parse_count(a, v, &n)))
            c.seed = n;
        else if (ok) {
            fprintf(stderr, "duet bench train: unknown option or missing value: %s\n", a);
            print_usage(stderr);
            return 2;
        }
        if (!ok)
            return 2;
        i++;
    }
    duet_bench_train_row rows[2];
    duet_bench_fasttext_row ft;
    duet_error err;
    duet_error_clear(&err);
    duet_status status = duet_bench_train(&c, rows, &ft, &err);
    if (status != DUET_OK) {
        fprintf(stderr, "duet bench train: %s\n", err.msg);
        return duet_status_exit_code(status);
    }
    printf("| model | parameters | records | %s | L-BFGS iterations | train s | eval s | "
           "records/s | units/s | s per evaluation | metric |\n",
           "units");
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < 2; i++) {
        const duet_bench_train_row *r = &rows[i];
        printf(
            "| %s | %zu | %.0f | %.0f %s | %.1f | %.3f | %.3f | %.0f | %.0f | %.3f | %s %.4f |\n",
            r->model, r->n_params, r->examples, r->units, r->unit, r->iterations, r->train_seconds,
            r->eval_seconds, r->examples / r->train_seconds, r->units / r->train_seconds,
            r->train_seconds + r->eval_seconds, r->metric, r->metric_value);
    }
    if (c.fasttext != NULL && ft.available) {
        double ours = rows[1].units / rows[1].train_seconds;
        double theirs = ft.examples / ft.train_seconds;
        printf("\nfastText on the same %.0f tagging tokens: %.3f s, %.0f tokens/s, accuracy %.4f "
               "(tagger: %.0f tokens/s, accuracy %.4f; fastText/tagger throughput ratio %.2f)\n",
               ft.examples, ft.train_seconds, theirs, ft.accuracy, ours, rows[1].metric_value,
               theirs / ours);
        printf("fastText command: %s\n", ft.command);
    } else if (c.fasttext != NULL) {
        printf("\nfastText could not be run (%s); install Debian's fasttext package\n", c.fasttext);
    }
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        printf("peak resident memory: %.0f MB\n", (double)usage.ru_maxrss / 1024.0);
    return 0;
}
