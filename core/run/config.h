/*
 * A fully resolved experiment: what the Lua script declared, after `--set` overrides, with every
 * default filled in and every value checked. The runner reads only this struct; the resolved
 * configuration is also kept as Lua text (`resolved`) for the results file and for checking that
 * a resumed run uses the same settings.
 */
#ifndef DUET_CONFIG_H
#define DUET_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "run/backend.h"
#include "run/method.h"
#include "run/selector.h"
#include "util/error.h"
#include "util/log.h"

struct lua_State;

/* Limits checked before anything is allocated for a run. */
#define DUET_MAX_TASKS       256
#define DUET_MAX_METHODS     256
#define DUET_MAX_TRIALS      100000
#define DUET_MAX_ITERATIONS  100000
#define DUET_MAX_SAMPLES     1024
#define DUET_MAX_POINTS      100000000
#define DUET_MAX_WARM_START  100000
#define DUET_MAX_EVALUATIONS 1000000000.0
/* Bytes of results arrays held in memory (checked once the backend reports the domains). */
#define DUET_MAX_RESULTS_BYTES 4294967296.0

typedef enum duet_warm_design {
    DUET_WARM_NONE = 0,
    DUET_WARM_UNIFORM = 1,
    DUET_WARM_DIRICHLET = 2,
    DUET_WARM_VERTICES = 3,
} duet_warm_design;

typedef struct duet_warm_start {
    int design;    /* duet_warm_design */
    int64_t count; /* Dirichlet draws; ignored by the other designs */
    double alpha;  /* Dirichlet concentration */
} duet_warm_start;

typedef struct duet_task_config {
    char *name;
    char *where;   /* "script.lua:LINE" of the duet.task call */
    void *options; /* the backend's task option struct */
} duet_task_config;

typedef struct duet_method_config {
    char *label; /* unique within the experiment; the results group name */
    char *where;
    const duet_method_type *type;
    void *options;
    const duet_selector_type *selector;
    void *selector_options;
    int64_t samples; /* k for this method */
    int warm_start;  /* 1 when the method observes the warm start (its type uses one) */
    int lua_ref;     /* registry reference of a Lua-defined method table, or -1 */
} duet_method_config;

/* One axis of a sweep declared in the script: a dotted key and its values as `--set` text. */
typedef struct duet_sweep_axis {
    char *key;
    size_t n_values;
    char **values;
} duet_sweep_axis;

/* Upper bounds on a declared sweep. */
#define DUET_MAX_SWEEP_AXES   16
#define DUET_MAX_SWEEP_VALUES 1024

typedef struct duet_config {
    char *name;
    char *description;
    char *where; /* of the duet.experiment call */
    char *script_path;
    char *script_text;
    uint64_t seed;
    const duet_backend_type *backend;
    void *backend_options;
    char *backend_where;
    size_t n_tasks;
    duet_task_config *tasks;
    size_t n_methods;
    duet_method_config *methods;
    int64_t points;     /* M */
    int64_t iterations; /* T */
    int64_t samples;    /* default k */
    int64_t trials;
    duet_warm_start warm_start;
    /* A sweep declared with `sweep = { grid = {...} | list = {...}, seeds = {...} }`. */
    int sweep_is_list; /* 1: axes advance together (zip); 0: cartesian grid */
    size_t n_sweep_axes;
    duet_sweep_axis *sweep_axes;
    size_t n_sweep_seeds;
    uint64_t *sweep_seeds;
    /* `executor = duet.executor.<type> { ... }`, or NULL type when the script has none. Not
     * part of `resolved`: a run may be resumed with another executor. */
    const struct duet_executor_type *executor_type;
    struct duet_executor_options *executor_options;
    char *executor_where;
    char *resolved;      /* the resolved configuration as Lua source text */
    struct lua_State *L; /* kept open for Lua-defined methods; owned */
} duet_config;

typedef struct duet_load_options {
    const char *const *sets; /* "key.path=value" overrides, applied in order */
    size_t n_sets;
    int seed_given; /* --seed N replaces the script's seed */
    uint64_t seed;
    const duet_log *log;
    /* Limits of the script's Lua state; 0 keeps DUET_LUA_MAX_BYTES / DUET_LUA_MAX_INSTRUCTIONS. */
    size_t lua_max_bytes;
    uint64_t lua_max_instructions;
    int sandbox; /* 1: run the script under duet_lua_sandbox (for untrusted text) */
} duet_load_options;

/*
 * Runs the experiment script, applies overrides, validates everything and fills *out.
 * Errors carry "script.lua:LINE:" (or "--set key=value:") and DUET_EINVAL for configuration
 * problems, DUET_EIO when the script cannot be read.
 */
duet_status duet_config_load(const char *script_path, const duet_load_options *opt,
                             duet_config **out, duet_error *err);

/* Builds a configuration from Lua source text (chunk name `chunkname`); for tests and resume. */
duet_status duet_config_load_string(const char *text, const char *chunkname,
                                    const duet_load_options *opt, duet_config **out,
                                    duet_error *err);

void duet_config_free(duet_config *cfg);

/* Total evaluations of the whole experiment (warm start included), for progress and limits. */
double duet_config_evaluations(const duet_config *cfg);

/* Warm-start points the design yields for n domains. */
size_t duet_warm_start_points(const duet_warm_start *ws, size_t n);

#endif
