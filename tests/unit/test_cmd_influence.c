/*
 * `duet influence` and `duet bench influence` through their entry points: exit statuses, the
 * reuse message on a rerun, and estimator options given with --set. The command sources are
 * compiled into this test because the library does not contain the command-line layer.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_bench_influence.c"
#include "cli/cmd_influence.c"
#include "influence/scores_file.h"

/* Runs a command with stdout and stderr sent to `log` and returns its exit status. */
static int run_captured(int (*cmd)(int, char **), int argc, char **argv, const char *log)
{
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    int rc = cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    return rc;
}

static int file_contains(const char *path, const char *needle)
{
    static char text[65536];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return strstr(text, needle) != NULL;
}

static void influence_command_caches(void **state)
{
    (void)state;
    const char *dir = duet_test_tmpdir("cmd");
    char pool[600], scores[600], log[600];
    snprintf(pool, sizeof pool, "%s/pool.h5", dir);
    snprintf(scores, sizeof scores, "%s/scores.h5", dir);
    snprintf(log, sizeof log, "%s/out.txt", dir);
    duet_error err = {0};
    assert_int_equal(duet_logreg_pool_generate(pool, 8, 3, 40, 20, 2, 3, 0.05, &err), DUET_OK);

    char *help[] = {"influence", "--help"};
    assert_int_equal(run_captured(duet_cmd_influence, 2, help, log), 0);
    assert_true(file_contains(log, "usage: duet influence"));
    assert_true(file_contains(log, "max_iter"));
    assert_true(file_contains(log, "charlm"));
    assert_true(file_contains(log, "postag"));
    assert_true(file_contains(log, "--threads"));

    char *first[] = {"influence", pool, "--estimator", "lissa", "--set", "depth=50", "-o", scores};
    assert_int_equal(run_captured(duet_cmd_influence, 8, first, log), 0);
    assert_true(file_contains(log, "domain d02: computed influence scores"));
    char lock[700];
    snprintf(lock, sizeof lock, "%s.lock", scores);
    assert_int_equal(access(lock, F_OK), 0); /* the lock file stays for later processes */
    duet_scores_meta meta;
    double v[40];
    assert_int_equal(duet_scores_read(scores, "influence", "d02", 40, v, &meta, &err), DUET_OK);
    assert_string_equal(meta.settings, "damping=0.001, scale=10000, depth=50");

    assert_int_equal(run_captured(duet_cmd_influence, 8, first, log), 0);
    assert_true(file_contains(log, "domain d00: reused cached influence scores"));

    char *changed[] = {"influence", pool,       "--estimator=lissa",
                       "--set",     "depth=60", "--domain",
                       "d01",       "-o",       scores};
    assert_int_equal(run_captured(duet_cmd_influence, 9, changed, log), 0);
    assert_true(file_contains(log, "domain d01: cached influence scores are stale"));
    assert_false(file_contains(log, "d00"));
}

static void influence_command_rejects_bad_usage(void **state)
{
    (void)state;
    const char *dir = duet_test_tmpdir("cmdbad");
    char pool[600], scores[600], log[600];
    snprintf(pool, sizeof pool, "%s/pool.h5", dir);
    snprintf(scores, sizeof scores, "%s/scores.h5", dir);
    snprintf(log, sizeof log, "%s/out.txt", dir);
    duet_error err = {0};
    assert_int_equal(duet_logreg_pool_generate(pool, 8, 1, 30, 10, 2, 2, 0.05, &err), DUET_OK);

    char *no_output[] = {"influence", pool};
    assert_int_equal(run_captured(duet_cmd_influence, 2, no_output, log), 2);
    assert_true(file_contains(log, "missing -o SCORES.h5"));
    char *bad_estimator[] = {"influence", pool, "--estimator", "newton", "-o", scores};
    assert_int_equal(run_captured(duet_cmd_influence, 6, bad_estimator, log), 2);
    assert_true(file_contains(log, "unknown estimator 'newton'"));
    char *bad_set[] = {"influence", pool, "--set", "depth=5", "-o", scores};
    assert_int_equal(run_captured(duet_cmd_influence, 6, bad_set, log), 2);
    assert_true(file_contains(log, "has no option 'depth'"));
    char *missing_pool[] = {"influence", "/nonexistent/pool.h5", "-o", scores};
    assert_int_equal(run_captured(duet_cmd_influence, 4, missing_pool, log), 1);
    assert_true(file_contains(log, "/nonexistent/pool.h5"));
    char *dangling[] = {"influence", pool, "-o"};
    assert_int_equal(run_captured(duet_cmd_influence, 3, dangling, log), 2);
    char *bad_threads[] = {"influence", pool, "--threads", "-1", "-o", scores};
    assert_int_equal(run_captured(duet_cmd_influence, 6, bad_threads, log), 2);
    assert_true(file_contains(log, "--threads needs an integer from 0 to 64"));
    char *zero_tol[] = {"influence", pool, "--train-tol", "0", "-o", scores};
    assert_int_equal(run_captured(duet_cmd_influence, 6, zero_tol, log), 2);
    assert_true(file_contains(log, "--train-tol must be positive"));
    char *bad_model[] = {"influence", pool, "--model", "charlm", "-o", scores};
    assert_int_equal(run_captured(duet_cmd_influence, 6, bad_model, log), 1);
    assert_true(file_contains(log, pool)); /* a logistic-regression pool is no text pool */
}

static void bench_command_prints_rows(void **state)
{
    (void)state;
    const char *dir = duet_test_tmpdir("bench");
    char log[600];
    snprintf(log, sizeof log, "%s/out.txt", dir);
    char *args[] = {"influence", "--domains",  "2", "--items",   "200", "--heldout",
                    "50",        "--features", "4", "--classes", "3"};
    assert_int_equal(run_captured(duet_cmd_bench_influence, 11, args, log), 0);
    assert_true(file_contains(log, "400 training items, 15 parameters, 1 thread;"));
    assert_true(file_contains(log, "exact"));
    assert_true(file_contains(log, "datainf"));
    char *threaded[] = {"influence", "--domains",  "2", "--items",   "200", "--heldout",
                        "50",        "--features", "4", "--threads", "2"};
    assert_int_equal(run_captured(duet_cmd_bench_influence, 11, threaded, log), 0);
    assert_true(file_contains(log, "2 threads"));
    char *bad[] = {"influence", "--estimators", "cg,newton"};
    assert_int_equal(run_captured(duet_cmd_bench_influence, 3, bad, log), 2);
    assert_true(file_contains(log, "unknown estimator newton"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(influence_command_caches),
        cmocka_unit_test(influence_command_rejects_bad_usage),
        cmocka_unit_test(bench_command_prints_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
