/* The BO benchmark table on a small grid: header, one row per case, positive timings. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_bo.h"

static void bench_table_has_one_row_per_case(void **state)
{
    (void)state;
    const size_t counts[2] = {10, 20}, dims[1] = {3};
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    duet_error err;
    assert_int_equal(duet_bench_bo_grid(out, 1, counts, 2, dims, 1, 15, 3, 1, &err), DUET_OK);
    fclose(out);
    char *line = strtok(text, "\n");
    assert_string_equal(line, "case\tn\td\tduet_ms\tsklearn_ms\tratio");
    const char *kinds[4] = {"step", "step", "kept", "observe"};
    const size_t ns[4] = {10, 20, 15, 15};
    for (int i = 0; i < 4; i++) {
        line = strtok(NULL, "\n");
        assert_non_null(line);
        char kind[16], peer[32], ratio[32];
        size_t n, d;
        double ms;
        assert_int_equal(sscanf(line, "%15s %zu %zu %lf %31s %31s", kind, &n, &d, &ms, peer, ratio),
                         6);
        assert_string_equal(kind, kinds[i]);
        assert_int_equal(n, ns[i]);
        assert_int_equal(d, 3);
        assert_true(ms > 0.0);
        /* The peer column is a positive time, or n/a without /usr/bin/python3 and sklearn. */
        assert_true(strcmp(peer, "n/a") == 0 || atof(peer) > 0.0);
        if (i == 3)
            assert_string_equal(peer, "n/a"); /* the peer has no observe case */
    }
    assert_null(strtok(NULL, "\n"));
    free(text);
}

static void bench_rejects_invalid_case(void **state)
{
    (void)state;
    const size_t counts[1] = {10}, dims[1] = {1};
    duet_error err;
    FILE *out = fopen("/dev/null", "w");
    assert_int_equal(duet_bench_bo_grid(out, 0, counts, 1, dims, 1, 0, 0, 0, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "d = 1"));
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bench_table_has_one_row_per_case),
        cmocka_unit_test(bench_rejects_invalid_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
