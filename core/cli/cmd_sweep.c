/*
 * `duet sweep`: runs one experiment script at every point of a grid or list of `--set`
 * overrides and seeds, one results file per point. Points whose file is already complete with
 * the same resolved configuration are skipped, unfinished ones are resumed, so an interrupted
 * sweep continues where it stopped. Every point's configuration is checked before any runs, and
 * an invalid one stops the sweep with exit status 2. A point that fails while running does not
 * stop the others; the exit status is then 1.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "results/results.h"
#include "run/config.h"
#include "run/runner.h"
#include "util/buf.h"
#include "util/mem.h"

void duet_cmd_sweep_help(FILE *out)
{
    fprintf(out,
            "usage: duet sweep SCRIPT.lua [--grid KEY=V1,V2,...]... [--list KEY=V1,V2,...]...\n"
            "                  [--seeds A..B | --seeds A,B,...] [--out-dir DIR] [--set KEY=V]...\n"
            "                  [--dry-run] [-q]\n\n"
            "Runs SCRIPT.lua at every point of a sweep, one results file per point named after "
            "its\nvalues (DIR/KEY=V,...,seed=S.h5). The script may declare a sweep (sweep = { grid "
            "=\n{ [\"budget.samples\"] = { 1, 2 } }, seeds = { 1, 2 } }): --grid or --list axes "
            "replace its\naxes, and --seeds its seeds, each part on its own. Every point's "
            "configuration is checked\nbefore any runs. Complete points are skipped and "
            "unfinished ones resumed.\n\n"
            "  --grid KEY=V1,V2   a cartesian axis: every combination with the other axes\n"
            "  --list KEY=V1,V2   an axis that advances together with the other --list axes\n"
            "  --seeds SPEC       experiment seeds A..B (inclusive) or A,B,C; each point runs "
            "per seed\n"
            "  --out-dir DIR      folder of the results files (default results/NAME-sweep)\n"
            "  --set KEY=VALUE    an override applied to every point (repeatable)\n"
            "  --dry-run          list the points and their files without running\n"
            "  -q, --quiet        fewer messages\n\n"
            "`duet info DIR/*.h5` and `duet plot DIR/*.h5` read the results together.\n");
}

typedef struct axis {
    char *key;
    size_t n;
    char **values;
} axis;

typedef struct sweep {
    axis axes[DUET_MAX_SWEEP_AXES];
    size_t n_axes;
    int is_list;
    uint64_t *seeds;
    size_t n_seeds;
} sweep;

static void sweep_free(sweep *s)
{
    for (size_t a = 0; a < s->n_axes; a++) {
        for (size_t v = 0; v < s->axes[a].n; v++)
            duet_free(s->axes[a].values[v]);
        duet_free(s->axes[a].values);
        duet_free(s->axes[a].key);
    }
    duet_free(s->seeds);
}

/* Adds the axis "KEY=V1,V2,..." to s; returns 0 with a message on a malformed axis. */
static int add_axis(sweep *s, const char *spec, const char *option)
{
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec || eq[1] == '\0') {
        duet_cli_usage("sweep", "%s '%s' needs the form key.path=v1,v2,...", option, spec);
        return 0;
    }
    if (s->n_axes == DUET_MAX_SWEEP_AXES) {
        duet_cli_usage("sweep", "at most %d axes", DUET_MAX_SWEEP_AXES);
        return 0;
    }
    axis *a = &s->axes[s->n_axes++];
    a->key = duet_malloc((size_t)(eq - spec) + 1);
    a->values = duet_calloc(DUET_MAX_SWEEP_VALUES, sizeof *a->values);
    if (a->key == NULL || a->values == NULL)
        return 0;
    memcpy(a->key, spec, (size_t)(eq - spec));
    a->key[eq - spec] = '\0';
    for (const char *p = eq + 1; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (a->n == DUET_MAX_SWEEP_VALUES || len == 0) {
            duet_cli_usage("sweep", "%s '%s': empty value or more than %d values", option, spec,
                           DUET_MAX_SWEEP_VALUES);
            return 0;
        }
        if ((a->values[a->n] = duet_malloc(len + 1)) == NULL)
            return 0;
        memcpy(a->values[a->n], p, len);
        a->values[a->n++][len] = '\0';
        p = comma ? comma + 1 : p + len;
    }
    return 1;
}

/* Parses "A..B" or "A,B,C" into s->seeds; returns 0 with a message when malformed. */
static int parse_seeds(sweep *s, const char *spec)
{
    unsigned long long a = 0, b = 0;
    int used = 0;
    if (sscanf(spec, "%llu..%llu%n", &a, &b, &used) == 2 && spec[used] == '\0') {
        if (b < a || b - a >= DUET_MAX_SWEEP_VALUES) {
            duet_cli_usage("sweep",
                           "--seeds %s: the range must be increasing and hold at most %d "
                           "seeds",
                           spec, DUET_MAX_SWEEP_VALUES);
            return 0;
        }
        s->seeds = duet_calloc((size_t)(b - a + 1), sizeof *s->seeds);
        for (unsigned long long x = a; s->seeds && x <= b; x++)
            s->seeds[s->n_seeds++] = x;
        return s->seeds != NULL;
    }
    s->seeds = duet_calloc(DUET_MAX_SWEEP_VALUES, sizeof *s->seeds);
    for (const char *p = spec; s->seeds && *p;) {
        char *end = NULL;
        errno = 0;
        unsigned long long x = strtoull(p, &end, 10);
        if (errno || end == p || (*end != ',' && *end != '\0') || *p == '-' ||
            s->n_seeds == DUET_MAX_SWEEP_VALUES) {
            duet_cli_usage("sweep",
                           "--seeds '%s' is not a range A..B or a list A,B,C of "
                           "non-negative integers",
                           spec);
            return 0;
        }
        s->seeds[s->n_seeds++] = x;
        p = *end ? end + 1 : end;
    }
    return s->seeds != NULL;
}

/* Copies the sweep declared in the script into s (when the command line declared none). */
static int declared_sweep(sweep *s, const duet_config *cfg, int axes, int seeds)
{
    if (axes) {
        s->is_list = cfg->sweep_is_list;
        for (size_t a = 0; a < cfg->n_sweep_axes; a++) {
            axis *x = &s->axes[s->n_axes++];
            x->key = duet_strdup(cfg->sweep_axes[a].key);
            x->values = duet_calloc(cfg->sweep_axes[a].n_values, sizeof *x->values);
            if (x->key == NULL || x->values == NULL)
                return 0;
            for (; x->n < cfg->sweep_axes[a].n_values; x->n++)
                if ((x->values[x->n] = duet_strdup(cfg->sweep_axes[a].values[x->n])) == NULL)
                    return 0;
        }
    }
    if (seeds && cfg->n_sweep_seeds) {
        s->seeds = duet_calloc(cfg->n_sweep_seeds, sizeof *s->seeds);
        if (s->seeds == NULL)
            return 0;
        memcpy(s->seeds, cfg->sweep_seeds, cfg->n_sweep_seeds * sizeof *s->seeds);
        s->n_seeds = cfg->n_sweep_seeds;
    }
    return 1;
}

/* Number of points before seeds: the product of axis sizes (grid) or the common size (list). */
static size_t point_count(const sweep *s)
{
    if (s->n_axes == 0)
        return 1;
    if (s->is_list)
        return s->axes[0].n;
    size_t n = 1;
    for (size_t a = 0; a < s->n_axes; a++)
        n *= s->axes[a].n;
    return n;
}

/* The value index of axis a at point p (last axis fastest in a grid). */
static size_t value_index(const sweep *s, size_t a, size_t p)
{
    if (s->is_list)
        return p;
    for (size_t b = s->n_axes; b-- > a + 1;)
        p /= s->axes[b].n;
    return p % s->axes[a].n;
}

/* Appends text to a file name, replacing characters that do not belong in one. */
static void put_name_part(duet_buf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        char c = *p;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-' || c == '_' || c == '+' || c == '=' || c == ',';
        duet_buf_append(b, keep ? &c : "_", 1);
    }
}

static int make_dir(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return 0;
            *p = '/';
        }
    return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* What to do with a point's existing file: 0 run anew, 1 resume, 2 skip, -1 refuse. */
static int existing_state(const char *path, const duet_config *cfg, char *why, size_t size)
{
    if (access(path, F_OK) != 0)
        return 0;
    duet_results *r = NULL;
    duet_error err;
    if (duet_results_read_isolated(path, DUET_RESULTS_READ_TIMEOUT, &r, &err) != DUET_OK) {
        snprintf(why, size, "%s", err.msg);
        return -1;
    }
    int state;
    if (strcmp(r->prov.config ? r->prov.config : "", cfg->resolved) != 0) {
        snprintf(why, size,
                 "%s exists with another configuration; move it away or use another --out-dir",
                 path);
        state = -1;
    } else {
        size_t tc, tt, id, it;
        duet_results_progress(r, &tc, &tt, &id, &it);
        state = tc == tt ? 2 : 1;
    }
    duet_results_free(r);
    return state;
}

/* One point of a sweep: its --set assignments, label, results file name and load options. */
typedef struct sweep_point {
    duet_buf name, label;
    duet_buf *assign; /* [n_axes] the point's "key=value" overrides */
    duet_load_options lo;
    size_t index; /* 1-based, in the order of the sweep */
} sweep_point;

/*
 * Prepares point p with seed index s. The common overrides fill sets[0 .. n_common) and the
 * point's own follow them. Returns 0 when out of memory. Call point_free in both cases.
 */
static int point_init(sweep_point *pt, const sweep *sw, size_t p, size_t s, const char *dir,
                      const char **sets, size_t n_common, const duet_log *log)
{
    memset(pt, 0, sizeof *pt);
    size_t seeds = sw->n_seeds ? sw->n_seeds : 1, n_sets = n_common;
    pt->assign = duet_calloc(sw->n_axes ? sw->n_axes : 1, sizeof *pt->assign);
    for (size_t a = 0; pt->assign && a < sw->n_axes; a++) {
        const char *v = sw->axes[a].values[value_index(sw, a, p)];
        duet_buf_printf(&pt->assign[a], "%s=%s", sw->axes[a].key, v);
        sets[n_sets++] = duet_buf_str(&pt->assign[a]);
        duet_buf_printf(&pt->label, "%s%s=%s", a ? "," : "", sw->axes[a].key, v);
    }
    if (sw->n_seeds)
        duet_buf_printf(&pt->label, "%sseed=%llu", sw->n_axes ? "," : "",
                        (unsigned long long)sw->seeds[s]);
    if (pt->label.len == 0)
        duet_buf_puts(&pt->label, "base");
    duet_buf_printf(&pt->name, "%s/", dir);
    put_name_part(&pt->name, duet_buf_str(&pt->label));
    duet_buf_puts(&pt->name, ".h5");
    pt->index = p * seeds + s + 1;
    pt->lo = (duet_load_options){.sets = sets,
                                 .n_sets = n_sets,
                                 .seed_given = sw->n_seeds > 0,
                                 .seed = sw->n_seeds ? sw->seeds[s] : 0,
                                 .log = log};
    for (size_t a = 0; pt->assign && a < sw->n_axes; a++)
        if (pt->assign[a].failed)
            return 0;
    return pt->assign != NULL && !pt->label.failed && !pt->name.failed;
}

static void point_free(sweep_point *pt, size_t n_axes)
{
    for (size_t a = 0; pt->assign && a < n_axes; a++)
        duet_buf_free(&pt->assign[a]);
    duet_free(pt->assign);
    duet_buf_free(&pt->name);
    duet_buf_free(&pt->label);
}

enum { POINT_RAN, POINT_SKIPPED, POINT_FAILED };

/* Runs, resumes or skips one point, printing what it does; returns a POINT_* outcome. */
static int run_point(const char *script, const sweep_point *pt, size_t total, int quiet,
                     const duet_log *log)
{
    duet_error err;
    duet_config *cfg = NULL;
    const char *label = duet_buf_str(&pt->label), *path = duet_buf_str(&pt->name);
    if (duet_config_load(script, &pt->lo, &cfg, &err) != DUET_OK) {
        fprintf(stderr, "duet sweep: point %zu/%zu (%s): %s\n", pt->index, total, label, err.msg);
        return POINT_FAILED;
    }
    char why[DUET_ERROR_MSG_MAX] = "";
    int outcome = POINT_RAN, state = existing_state(path, cfg, why, sizeof why);
    if (state == 2) {
        if (!quiet)
            fprintf(stderr, "duet sweep: point %zu/%zu (%s): complete, skipped\n", pt->index, total,
                    label);
        outcome = POINT_SKIPPED;
    } else if (state < 0) {
        fprintf(stderr, "duet sweep: point %zu/%zu (%s): %s\n", pt->index, total, label, why);
        outcome = POINT_FAILED;
    } else {
        if (!quiet)
            fprintf(stderr, "duet sweep: point %zu/%zu (%s): %s %s\n", pt->index, total, label,
                    state == 1 ? "resuming" : "running", path);
        duet_run_options ro = {
            .out_path = path,
            .resume = state == 1,
            .command_line = "duet sweep",
            .data_dir = getenv("DUET_DATA_DIR"),
            .log = log,
            .interrupted = &interrupted,
            .snapshot_seconds = 10.0,
        };
        if (duet_run(cfg, &ro, &err) != DUET_OK) {
            fprintf(stderr, "duet sweep: point %zu/%zu (%s): %s\n", pt->index, total, label,
                    err.msg);
            outcome = POINT_FAILED;
        }
    }
    duet_config_free(cfg);
    return outcome;
}

int duet_cmd_sweep(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"grid", required_argument, NULL, 'g'},  {"list", required_argument, NULL, 'l'},
        {"seeds", required_argument, NULL, 's'}, {"out-dir", required_argument, NULL, 'o'},
        {"set", required_argument, NULL, 'S'},   {"dry-run", no_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},       {NULL, 0, NULL, 0},
    };
    sweep sw = {0};
    const char **sets = duet_calloc((size_t)argc + DUET_MAX_SWEEP_AXES + 1, sizeof *sets);
    size_t n_common = 0;
    const char *out_dir = NULL;
    int dry = 0, quiet = 0, grid_given = 0, list_given = 0, code = DUET_EXIT_OK;
    opterr = 0;
    optind = 1;
    int c;
    while (sets && (c = getopt_long(argc, argv, "q", longopts, NULL)) != -1) {
        switch (c) {
        case 'g':
        case 'l':
            grid_given |= c == 'g';
            list_given |= c == 'l';
            if (!add_axis(&sw, optarg, c == 'g' ? "--grid" : "--list")) {
                code = DUET_EXIT_USAGE;
                goto done;
            }
            break;
        case 's':
            duet_free(sw.seeds);
            sw.seeds = NULL;
            sw.n_seeds = 0;
            if (!parse_seeds(&sw, optarg)) {
                code = DUET_EXIT_USAGE;
                goto done;
            }
            break;
        case 'o':
            out_dir = optarg;
            break;
        case 'S':
            if (strchr(optarg, '=') == NULL) {
                code = duet_cli_usage("sweep", "--set '%s' needs the form key.path=value", optarg);
                goto done;
            }
            sets[n_common++] = optarg;
            break;
        case 'n':
            dry = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            code = duet_cli_usage("sweep", "unknown or incomplete option '%s'", argv[optind - 1]);
            goto done;
        }
    }
    if (sets == NULL) {
        code = DUET_EXIT_FAILURE;
        goto done;
    }
    if (grid_given && list_given) {
        code = duet_cli_usage("sweep", "use either --grid or --list axes, not both");
        goto done;
    }
    sw.is_list = list_given;
    for (size_t a = 1; sw.is_list && a < sw.n_axes; a++)
        if (sw.axes[a].n != sw.axes[0].n) {
            code = duet_cli_usage("sweep", "--list axes must have equal lengths (%s: %zu, %s: %zu)",
                                  sw.axes[0].key, sw.axes[0].n, sw.axes[a].key, sw.axes[a].n);
            goto done;
        }
    if (optind != argc - 1) {
        code = duet_cli_usage("sweep", "expected one SCRIPT.lua");
        goto done;
    }
    const char *script = argv[optind];
    duet_log log = {duet_cli_log_sink, NULL, quiet ? DUET_LOG_WARN : DUET_LOG_INFO};
    duet_error err;
    duet_config *base = NULL;
    duet_load_options lo = {.sets = sets, .n_sets = n_common, .log = &log};
    if (duet_config_load(script, &lo, &base, &err) != DUET_OK) {
        code = duet_cli_fail(&err);
        goto done;
    }
    int ok = declared_sweep(&sw, base, sw.n_axes == 0, sw.n_seeds == 0);
    char dir[2048];
    snprintf(dir, sizeof dir, "%s", out_dir ? out_dir : "");
    if (out_dir == NULL)
        snprintf(dir, sizeof dir, "results/%s-sweep", base->name);
    duet_config_free(base);
    if (!ok) {
        duet_error_set(&err, DUET_ENOMEM, "out of memory preparing the sweep");
        code = duet_cli_fail(&err);
        goto done;
    }
    size_t points = point_count(&sw), seeds = sw.n_seeds ? sw.n_seeds : 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* Every point's configuration is loaded first, so a mistyped key or value stops the sweep
     * before any work. Points often share one mistake: each message is printed once. */
    size_t ran = 0, skipped = 0, failed = 0, invalid = 0, total = points * seeds;
    char last_error[DUET_ERROR_MSG_MAX] = "";
    for (size_t p = 0; p < points; p++)
        for (size_t s = 0; s < seeds; s++) {
            sweep_point pt;
            duet_config *cfg = NULL;
            if (!point_init(&pt, &sw, p, s, dir, sets, n_common, &log)) {
                fprintf(stderr, "duet sweep: out of memory\n");
                invalid++;
            } else if (duet_config_load(script, &pt.lo, &cfg, &err) != DUET_OK) {
                if (strcmp(err.msg, last_error) != 0)
                    fprintf(stderr, "duet sweep: point %zu/%zu (%s): %s\n", pt.index, total,
                            duet_buf_str(&pt.label), err.msg);
                snprintf(last_error, sizeof last_error, "%s", err.msg);
                invalid++;
            }
            duet_config_free(cfg);
            point_free(&pt, sw.n_axes);
        }
    if (invalid) {
        fprintf(stderr,
                "duet sweep: %zu of %zu points have an invalid configuration; nothing was run. "
                "Fix the script, --grid, --list or --set values above\n",
                invalid, total);
        code = DUET_EXIT_USAGE;
        goto done;
    }
    if (!dry && !make_dir(dir)) {
        duet_error_set(&err, DUET_EIO, "cannot create folder %s: %s", dir, strerror(errno));
        code = duet_cli_fail(&err);
        goto done;
    }
    for (size_t p = 0; p < points && !interrupted; p++)
        for (size_t s = 0; s < seeds && !interrupted; s++) {
            sweep_point pt;
            if (!point_init(&pt, &sw, p, s, dir, sets, n_common, &log)) {
                fprintf(stderr, "duet sweep: out of memory\n");
                failed++;
            } else if (dry) {
                printf("%zu/%zu %s -> %s\n", pt.index, total, duet_buf_str(&pt.label),
                       duet_buf_str(&pt.name));
            } else {
                int outcome = run_point(script, &pt, total, quiet, &log);
                ran += outcome == POINT_RAN;
                skipped += outcome == POINT_SKIPPED;
                failed += outcome == POINT_FAILED;
            }
            point_free(&pt, sw.n_axes);
        }
    if (!dry)
        fprintf(stderr, "duet sweep: %zu points: %zu run, %zu already complete, %zu failed%s\n",
                total, ran, skipped, failed, interrupted ? ", interrupted" : "");
    code = failed || interrupted ? DUET_EXIT_FAILURE : DUET_EXIT_OK;
done:
    sweep_free(&sw);
    duet_free(sets);
    return code;
}
