/*
 * duet bench presets: measures how much the training mixture matters for each embedded task
 * preset (uniform mixture, single domains, random mixtures, noise) and prints a Markdown table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_presets.h"
#include "cmd_embedded.h"

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: duet bench presets [options]\n"
            "\n"
            "For each task of the preset file: feedback of the uniform mixture, of every single\n"
            "domain and of random flat-Dirichlet mixtures, and the noise standard deviation of\n"
            "repeated uniform evaluations with different seeds.\n"
            "\n"
            "  --pool FILE       pool file (default data/main9.h5)\n"
            "  --presets FILE    Lua module with a `panels` list (default %s)\n"
            "  --task NAME       measure only this task\n"
            "  --mixtures N      random mixtures per task (default 50)\n"
            "  --repeats N       uniform evaluations for the noise (default 10)\n"
            "  --points N        training records per evaluation (default 2000)\n"
            "  --seed N          seed of every draw (default 1)\n"
            "  --max-iter N      character model L-BFGS iterations (default 15)\n"
            "  --eval-size N     evaluation records per domain (default 500)\n",
            duet_bench_default_presets_file());
}

static void progress(void *userdata, const char *message)
{
    (void)userdata;
    fprintf(stderr, "duet bench presets: %s\n", message);
}

static int parse_count(const char *option, const char *value, uint64_t min, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v = value ? strtoull(value, &end, 10) : 0;
    if (value == NULL || *value == '-' || end == value || *end != '\0' || v < min) {
        fprintf(stderr, "duet bench presets: %s needs a whole number >= %" PRIu64 "\n", option,
                min);
        return 0;
    }
    *out = v;
    return 1;
}

int duet_cmd_bench_presets(int argc, char **argv)
{
    duet_bench_presets_config c;
    memset(&c, 0, sizeof c);
    duet_embedded_default_options(&c.backend);
    c.backend.pool = (char *)"data/main9.h5";
    c.lua_file = duet_bench_default_presets_file();
    c.random_mixtures = 50;
    c.repeats = 10;
    c.points = 2000;
    c.seed = 1;
    c.progress = progress;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return 0;
        }
        int ok = 1;
        if (strcmp(a, "--pool") == 0 && v)
            c.backend.pool = argv[i + 1];
        else if (strcmp(a, "--presets") == 0 && v)
            c.lua_file = v;
        else if (strcmp(a, "--task") == 0 && v)
            c.only = v;
        else if (strcmp(a, "--mixtures") == 0 && (ok = parse_count(a, v, 0, &n)))
            c.random_mixtures = (size_t)n;
        else if (strcmp(a, "--repeats") == 0 && (ok = parse_count(a, v, 2, &n)))
            c.repeats = (size_t)n;
        else if (strcmp(a, "--points") == 0 && (ok = parse_count(a, v, 1, &n)))
            c.points = n;
        else if (strcmp(a, "--seed") == 0 && (ok = parse_count(a, v, 0, &n)))
            c.seed = n;
        else if (strcmp(a, "--max-iter") == 0 && (ok = parse_count(a, v, 1, &n)))
            c.backend.max_iter = (int64_t)n;
        else if (strcmp(a, "--eval-size") == 0 && (ok = parse_count(a, v, 1, &n)))
            c.backend.eval_size = (int64_t)n;
        else if (ok) {
            fprintf(stderr, "duet bench presets: unknown option or missing value: %s\n", a);
            print_usage(stderr);
            return 2;
        }
        if (!ok)
            return 2;
        i++;
    }
    duet_bench_preset_row rows[DUET_BENCH_PRESETS_MAX];
    size_t n_rows = 0;
    duet_error err;
    duet_error_clear(&err);
    duet_status status = duet_bench_presets(&c, rows, &n_rows, &err);
    if (status != DUET_OK) {
        fprintf(stderr, "duet bench presets: %s\n", err.msg);
        return duet_status_exit_code(status);
    }
    printf("| task | metric | pool | uniform | best single | worst single | best of %zu random | "
           "worst random | noise sd (%zu repeats) | uniform to best, in sd | s/eval |\n",
           c.random_mixtures, c.repeats);
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < n_rows; i++) {
        const duet_bench_preset_row *r = &rows[i];
        printf("| %s | %s (%s) | %zu | %.4f | %.4f (%s) | %.4f (%s) | %.4f | %.4f | %.4f | %.1f | "
               "%.2f |\n",
               r->name, r->metric, r->minimize ? "lower is better" : "higher is better", r->n_pool,
               r->uniform, r->best_single, r->best_single_domain, r->worst_single,
               r->worst_single_domain, r->best_random, r->worst_random, r->noise_sd, r->gap_in_sd,
               r->seconds_per_eval);
    }
    return 0;
}
