/*
 * Allocation failures on the main paths: loading an experiment script, running a small DUET
 * experiment on the synthetic backend (which writes snapshots and the journal), reading the
 * results back, and replaying a journal. With the failing allocator of a DUET_FAULT_INJECTION
 * build, the n-th allocation (the library's and Lua's) fails for n = 0, 1, 2, ... until the
 * operation completes without reaching the failure. Every attempt must return DUET_ENOMEM and,
 * under the sanitizers, leak nothing and touch no freed memory. Other builds skip these tests.
 *
 * HDF5 and GSL allocate with their own allocators, which this build does not make fail.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/journal.h"
#include "results/results.h"
#include "run/config.h"
#include "run/runner.h"
#include "util/mem.h"

/* A DUET run small enough that failing each of its allocations in turn takes seconds. */
static const char script[] =
    "local duet = require 'duet'\n"
    "return duet.experiment {\n"
    "  name = 'faults', seed = 4,\n"
    "  backend = duet.backend.synthetic { domains = 3, items = 40 },\n"
    "  tasks = { duet.task { name = 'a', noise = 0.01 } },\n"
    "  methods = { duet.method.duet { restarts = 1, fit_iterations = 5, candidates = 16,\n"
    "                                 refine = 1, selector = 'uniform' } },\n"
    "  budget = { points = 9, iterations = 3 },\n"
    "  warm_start = { design = 'vertices' },\n"
    "}\n";

typedef duet_status (*operation)(void *context);

/* Skips the calling test, before it allocates anything, unless allocations can be made to fail. */
static void require_fault_injection(void)
{
#ifndef DUET_FAULT_INJECTION
    skip();
#endif
}

/* The error of the latest operation, printed when its status is wrong. */
static duet_error last_error;

/*
 * Runs op with the n-th allocation failing for every n until op needs no more allocations;
 * returns the number of allocations op makes when nothing fails.
 */
static long fail_each_allocation(const char *what, operation op, void *context)
{
#ifndef DUET_FAULT_INJECTION
    (void)what;
    (void)op;
    (void)context;
    skip();
    return 0;
#else
    for (long n = 0; n < 1000000; n++) {
        duet_mem_fail_after(n);
        duet_status st = op(context);
        long attempts = duet_mem_alloc_count();
        duet_mem_fail_after(-1);
        if (attempts <= n) {
            assert_int_equal(st, DUET_OK);
            print_message("%s: %ld allocations, each failed once\n", what, n);
            return n;
        }
        if (st != DUET_ENOMEM)
            print_error("%s: allocation %ld failing gave status %d: %s\n", what, n, (int)st,
                        last_error.msg);
        assert_int_equal(st, DUET_ENOMEM);
    }
    fail();
    return 0;
#endif
}

static duet_status load_script(void *context)
{
    (void)context;
    duet_config *cfg = NULL;
    duet_status st = duet_config_load_string(script, "=faults.lua", NULL, &cfg, &last_error);
    if (st == DUET_OK && (cfg->n_methods != 1 || cfg->iterations != 3))
        fail_msg("the script loaded with wrong values");
    duet_config_free(cfg);
    return st;
}

static void loading_survives_failures(void **state)
{
    (void)state;
    require_fault_injection();
    fail_each_allocation("load", load_script, NULL);
}

typedef struct run_case {
    duet_config *cfg;
    char out[600];
} run_case;

static duet_status run_once(void *context)
{
    run_case *rc = context;
    char journal[700];
    snprintf(journal, sizeof journal, "%s.journal", rc->out);
    unlink(rc->out);
    unlink(journal);
    duet_run_options ro = {.out_path = rc->out, .snapshot_seconds = 0};
    return duet_run(rc->cfg, &ro, &last_error);
}

static void running_survives_failures(void **state)
{
    (void)state;
    require_fault_injection();
    run_case rc;
    duet_error err;
    assert_int_equal(duet_config_load_string(script, "=faults.lua", NULL, &rc.cfg, &err), DUET_OK);
    snprintf(rc.out, sizeof rc.out, "%s/run.h5", duet_test_tmpdir("fault_run"));
    fail_each_allocation("run", run_once, &rc);

    /* The last, undisturbed run wrote a complete file. */
    duet_results *r = NULL;
    assert_int_equal(duet_results_read(rc.out, &r, &err), DUET_OK);
    assert_int_equal(r->tasks[0].methods[0].trials[0].complete, 1);
    duet_results_free(r);
    duet_config_free(rc.cfg);
}

typedef struct io_case {
    duet_results *r;
    char path[600];
    char copy[620];
} io_case;

static duet_status write_and_read(void *context)
{
    io_case *io = context;
    duet_status st = duet_results_write(io->r, io->copy, &last_error);
    duet_results *back = NULL;
    if (st == DUET_OK)
        st = duet_results_read(io->copy, &back, &last_error);
    if (st == DUET_OK && back->tasks[0].methods[0].trials[0].feedback[2] !=
                             io->r->tasks[0].methods[0].trials[0].feedback[2])
        fail_msg("the results read back differ from those written");
    duet_results_free(back);
    return st;
}

static duet_status replay_journal(void *context)
{
    io_case *io = context;
    duet_results *r = NULL;
    duet_status st = duet_results_read(io->path, &r, &last_error);
    size_t applied = 0, torn = 0;
    char journal[700];
    snprintf(journal, sizeof journal, "%s.journal", io->copy);
    if (st == DUET_OK)
        st = duet_journal_replay(journal, 42, r, &applied, &torn, &last_error);
    if (st == DUET_OK && applied != 3)
        fail_msg("replay applied %zu rows, expected 3", applied);
    duet_results_free(r);
    return st;
}

/* Writes a journal of rows 0..2 of trial 0 of r, then clears those rows in the file at path. */
static void make_journal(io_case *io)
{
    duet_error err;
    char journal[700];
    snprintf(journal, sizeof journal, "%s.journal", io->copy);
    unlink(journal);
    duet_journal *j = NULL;
    assert_int_equal(duet_journal_open(journal, 42, &j, &err), DUET_OK);
    duet_task_results *task = &io->r->tasks[0];
    duet_trial_results *tr = &task->methods[0].trials[0];
    for (size_t t = 0; t < 3; t++)
        assert_int_equal(
            duet_journal_iteration(j, 0, 0, 0, t, tr, task->n, task->methods[0].samples, &err),
            DUET_OK);
    duet_journal_close(j);
    tr->iterations_done = 0;
    tr->complete = 0;
    assert_int_equal(duet_results_write(io->r, io->path, &err), DUET_OK);
}

static void results_io_survives_failures(void **state)
{
    (void)state;
    require_fault_injection();
    run_case rc;
    duet_error err;
    assert_int_equal(duet_config_load_string(script, "=faults.lua", NULL, &rc.cfg, &err), DUET_OK);
    snprintf(rc.out, sizeof rc.out, "%s/run.h5", duet_test_tmpdir("fault_io"));
    assert_int_equal(run_once(&rc), DUET_OK);
    duet_config_free(rc.cfg);

    io_case io;
    snprintf(io.path, sizeof io.path, "%s", rc.out);
    snprintf(io.copy, sizeof io.copy, "%s.copy.h5", rc.out);
    assert_int_equal(duet_results_read(io.path, &io.r, &err), DUET_OK);
    fail_each_allocation("write+read", write_and_read, &io);
    make_journal(&io);
    fail_each_allocation("journal replay", replay_journal, &io);
    duet_results_free(io.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loading_survives_failures),
        cmocka_unit_test(running_survives_failures),
        cmocka_unit_test(results_io_survives_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
