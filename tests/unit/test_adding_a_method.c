/*
 * The example method of docs/adding-a-method.md, compiled from the document at build time,
 * registered at run time and run on the synthetic backend through the same loader and runner
 * as `duet run`; also the Lua method of the same document.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "results/results.h"
#include "run/config.h"
#include "run/registry.h"
#include "run/runner.h"
#include "util/simplex.h"

extern const duet_method_type duet_method_hill_climb;

static const char *script =
    "local duet = require 'duet'\n"
    "return duet.experiment {\n"
    "  name = 'guide', seed = 4,\n"
    "  backend = duet.backend.synthetic { domains = 4, items = 300 },\n"
    "  tasks = { duet.task { name = 't', optimum = { 0.7, 0.1, 0.1, 0.1 }, noise = 0.01 } },\n"
    "  methods = {\n"
    "    duet.method.hill_climb { concentration = 20 },\n"
    "    duet.method.lua {\n"
    "      name = 'cycle',\n"
    "      init = function(env) return { n = env.n } end,\n"
    "      propose = function(state, t, rng)\n"
    "        local r = {}\n"
    "        for i = 1, state.n do r[i] = 0.5 / (state.n - 1) end\n"
    "        r[(t - 1) % state.n + 1] = 0.5\n"
    "        return r\n"
    "      end,\n"
    "    },\n"
    "  },\n"
    "  budget = { points = 100, iterations = 12 }, trials = 3,\n"
    "}\n";

static duet_results *run_guide(void)
{
    duet_error err;
    duet_config *cfg = NULL;
    if (duet_config_load_string(script, "=guide.lua", NULL, &cfg, &err) != DUET_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    char out[600];
    snprintf(out, sizeof out, "%s/guide.h5", duet_test_tmpdir("guide"));
    duet_run_options ro = {.out_path = out, .snapshot_seconds = 1e9};
    if (duet_run(cfg, &ro, &err) != DUET_OK) {
        print_error("%s\n", err.msg);
        fail();
    }
    duet_config_free(cfg);
    duet_results *r = NULL;
    assert_int_equal(duet_results_read(out, &r, &err), DUET_OK);
    return r;
}

static void example_registers_and_runs(void **state)
{
    (void)state;
    duet_error err;
    assert_int_equal(duet_method_register(&duet_method_hill_climb, &err), DUET_OK);
    assert_ptr_equal(duet_method_find("hill_climb"), &duet_method_hill_climb);
    assert_int_equal(duet_method_register(&duet_method_hill_climb, &err), DUET_EINVAL);
    duet_results *r = run_guide();
    const duet_task_results *task = &r->tasks[0];
    assert_int_equal(task->n_methods, 2);
    assert_string_equal(task->methods[0].label, "hill_climb");
    for (size_t i = 0; i < r->trials; i++) {
        const duet_trial_results *tr = &task->methods[0].trials[i];
        assert_int_equal(tr->complete, 1);
        for (size_t t = 0; t < r->iterations; t++)
            assert_true(duet_simplex_violation(tr->proposed + t * 4, 4) <= 1e-12);
        /* After the first observation the draws concentrate around the best mixture seen. */
        double spread = 0;
        for (size_t t = 1; t < r->iterations; t++)
            spread += fabs(tr->proposed[t * 4] - tr->proposed[(t - 1) * 4]);
        assert_true(spread > 0);
    }
    /* The Lua method proposed exactly what its propose function computes. */
    const duet_trial_results *cycle = &task->methods[1].trials[0];
    for (size_t t = 0; t < r->iterations; t++)
        for (size_t i = 0; i < 4; i++) {
            double expected = i == t % 4 ? 0.5 : 0.5 / 3.0;
            assert_close(cycle->proposed[t * 4 + i], expected, 1e-15, 1e-15);
        }
    duet_results_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(example_registers_and_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
