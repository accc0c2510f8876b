/*
 * duet data: pool files for the embedded backend. `import` runs the importers of a preset on
 * the raw sources fetched by scripts/fetch-data.sh and writes one HDF5 pool file; `presets`
 * lists the presets. Messages go to stderr, results to stdout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_embedded.h"
#include "data/pool.h"
#include "util/log.h"

static void print_usage(FILE *out)
{
    fprintf(out, "usage: duet data import [--preset NAME] [--raw DIR] [-o FILE.h5] [--seed N]\n"
                 "       duet data presets\n"
                 "\n"
                 "import  builds a pool file from the raw sources (fetch them first with\n"
                 "        scripts/fetch-data.sh)\n"
                 "  --preset NAME  domains to build: main9 (default), full or tiny\n"
                 "  --raw DIR      folder of raw sources (default data/raw)\n"
                 "  -o FILE.h5     output pool file (default data/<preset>.h5)\n"
                 "  --seed N       split seed: which records go to train, heldout and eval\n"
                 "                 (default 1)\n"
                 "presets lists the presets with their domains\n");
}

static void log_to_stderr(void *userdata, duet_log_level level, const char *message)
{
    (void)userdata;
    fprintf(stderr, "duet data: %s%s\n", level <= DUET_LOG_WARN ? "warning: " : "", message);
}

static int list_presets(void)
{
    for (size_t i = 0; i < duet_pool_preset_count(); i++) {
        const duet_pool_preset *p = duet_pool_preset_at(i);
        printf("%s: %s\n", p->name, p->summary);
        for (size_t d = 0; d < p->n_domains; d++)
            printf("  %-22s %s\n", p->domains[d].name, p->domains[d].summary);
    }
    return 0;
}

/* Parses a decimal unsigned 64-bit number; returns 0 when s is not one. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0')
        return 0;
    *out = (uint64_t)v;
    return 1;
}

static int run_import(int argc, char **argv)
{
    const char *preset_name = "main9", *raw = "data/raw", *out = NULL;
    uint64_t seed = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return 0;
        }
        int takes_value = strcmp(a, "--preset") == 0 || strcmp(a, "--raw") == 0 ||
                          strcmp(a, "-o") == 0 || strcmp(a, "--seed") == 0;
        if (!takes_value) {
            fprintf(stderr, "duet data import: unknown option %s\n", a);
            print_usage(stderr);
            return 2;
        }
        if (value == NULL) {
            fprintf(stderr, "duet data import: option %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--preset") == 0)
            preset_name = value;
        else if (strcmp(a, "--raw") == 0)
            raw = value;
        else if (strcmp(a, "-o") == 0)
            out = value;
        else if (!parse_u64(value, &seed)) {
            fprintf(stderr, "duet data import: --seed %s is not a non-negative integer\n", value);
            return 2;
        }
        i++;
    }
    const duet_pool_preset *preset = duet_pool_preset_find(preset_name);
    if (preset == NULL) {
        fprintf(stderr, "duet data import: unknown preset %s; `duet data presets` lists them\n",
                preset_name);
        return 2;
    }
    char default_out[256];
    if (out == NULL) {
        snprintf(default_out, sizeof default_out, "data/%s.h5", preset->name);
        out = default_out;
    }
    duet_log log = {log_to_stderr, NULL, DUET_LOG_INFO};
    duet_error err;
    duet_error_clear(&err);
    duet_status status = duet_pool_import(preset, raw, out, seed, &log, &err);
    if (status != DUET_OK) {
        fprintf(stderr, "duet data import: %s\n", err.msg);
        return duet_status_exit_code(status);
    }
    printf("wrote %s (preset %s, split seed %" PRIu64 ")\n", out, preset->name, seed);
    return 0;
}

int duet_cmd_data(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "import") == 0)
        return run_import(argc - 2, argv + 2);
    if (strcmp(argv[1], "presets") == 0)
        return list_presets();
    fprintf(stderr, "duet data: unknown subcommand %s\n", argv[1]);
    print_usage(stderr);
    return 2;
}
