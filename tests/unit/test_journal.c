/* The run journal: records read back exactly, a torn last record is dropped, damage before
 * the last line is an error, and a journal of another configuration is refused. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "results/journal.h"
#include "results/results.h"
#include "util/mem.h"

enum { T = 5, N = 3, K = 2, W = 2, M = 10 };

/* A results model with one task, one method and one trial. */
static duet_results *model(void)
{
    duet_results *r = duet_calloc(1, sizeof *r);
    r->points = M;
    r->iterations = T;
    r->trials = 1;
    r->n_tasks = 1;
    r->tasks = duet_calloc(1, sizeof *r->tasks);
    duet_task_results *t = &r->tasks[0];
    t->n = N;
    t->goal = 0;
    t->optimum_known = 1;
    t->optimum = 9.0;
    t->n_methods = 1;
    t->methods = duet_calloc(1, sizeof *t->methods);
    t->methods[0].samples = K;
    t->methods[0].trials = duet_calloc(1, sizeof(duet_trial_results));
    assert_int_equal(duet_trial_results_alloc(&t->methods[0].trials[0], T, N, K, W, M, NULL),
                     DUET_OK);
    return r;
}

/* Fills row t with distinctive values, including a NaN and a subnormal. */
static void fill_row(duet_trial_results *tr, size_t t)
{
    for (size_t i = 0; i < N; i++) {
        tr->proposed[t * N + i] = 1.0 / 3.0 + (double)i * 1e-17;
        tr->ratios[t * N + i] = (double)(i + 2) / 10.0;
        tr->counts[t * N + i] = (int64_t)(i + 2);
        tr->ess[t * N + i] = 100.5 + (double)t;
    }
    tr->samples[t * K] = 0.1 * (double)t;
    tr->samples[t * K + 1] = 4.9e-324;
    tr->sample_values[t * K] = NAN;
    tr->sample_values[t * K + 1] = -0.0;
    tr->feedback[t] = 0.1 * (double)t;
    tr->value[t] = 0.5 + (double)t;
    tr->best_sample[t] = 0;
    tr->seconds[t] = 1.25;
    duet_series *s = NULL;
    assert_int_equal(duet_trial_series(tr, "beta", 2, T, &s, NULL), DUET_OK);
    s->values[t * 2] = 3.5;
    s->values[t * 2 + 1] = -1e300;
}

static const char *journal_path(void)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/run.journal", duet_test_tmpdir("journal"));
    return path;
}

static void write_rows(const char *path, size_t rows)
{
    duet_results *r = model();
    duet_trial_results *tr = &r->tasks[0].methods[0].trials[0];
    duet_journal *j = NULL;
    assert_int_equal(duet_journal_open(path, 42, &j, NULL), DUET_OK);
    for (size_t p = 0; p < W; p++) {
        tr->warm_ratios[p * N] = 1.0;
        tr->warm_ratios[p * N + 1] = tr->warm_ratios[p * N + 2] = 0.0;
        tr->warm_feedback[p] = 0.25 * (double)(p + 1);
        tr->warm_value[p] = NAN;
        assert_int_equal(duet_journal_warm(j, 0, 0, 0, p, tr, N, NULL), DUET_OK);
    }
    for (size_t t = 0; t < rows; t++) {
        fill_row(tr, t);
        assert_int_equal(duet_journal_iteration(j, 0, 0, 0, t, tr, N, K, NULL), DUET_OK);
    }
    duet_journal_close(j);
    duet_results_free(r);
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void rows_read_back_bit_for_bit(void **state)
{
    (void)state;
    const char *path = journal_path();
    write_rows(path, 3);
    duet_results *r = model();
    size_t applied = 0, torn = 0;
    assert_int_equal(duet_journal_replay(path, 42, r, &applied, &torn, NULL), DUET_OK);
    assert_int_equal(applied, W + 3);
    assert_int_equal(torn, 0);
    duet_trial_results *tr = &r->tasks[0].methods[0].trials[0];
    assert_int_equal(tr->iterations_done, 3);
    assert_int_equal(tr->warm_done, W);
    assert_true(tr->warm_feedback[1] == 0.5);
    for (size_t t = 0; t < 3; t++) {
        assert_true(same_bits(tr->proposed[t * N + 2], 1.0 / 3.0 + 2e-17));
        assert_int_equal(tr->counts[t * N + 1], 3);
        assert_true(same_bits(tr->samples[t * K + 1], 4.9e-324));
        assert_true(isnan(tr->sample_values[t * K]));
        assert_true(same_bits(tr->sample_values[t * K + 1], -0.0));
        assert_true(tr->value[t] == 0.5 + (double)t);
        assert_int_equal(tr->n_diag, 1);
        assert_true(tr->diag[0].values[t * 2 + 1] == -1e300);
        /* Derived columns are recomputed from the replayed rows. */
        assert_true(tr->best_so_far[t] == 0.1 * (double)t);
        assert_true(tr->regret[t] == 9.0 - (0.5 + (double)t));
    }
    unlink(path);
    duet_results_free(r);
}

/* Cuts the file at every byte inside its last line: the torn record is dropped, the rest kept. */
static void torn_last_record_is_dropped(void **state)
{
    (void)state;
    const char *path = journal_path();
    write_rows(path, 3);
    FILE *f = fopen(path, "rb");
    char text[8192];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    size_t last = len - 1;
    while (last > 0 && text[last - 1] != '\n')
        last--;
    for (size_t cut = last + 1; cut < len; cut += 7) {
        f = fopen(path, "wb");
        fwrite(text, 1, cut, f);
        fclose(f);
        duet_results *r = model();
        size_t applied = 0, torn = 0;
        assert_int_equal(duet_journal_replay(path, 42, r, &applied, &torn, NULL), DUET_OK);
        assert_int_equal(applied, W + 2);
        assert_int_equal(torn, 1);
        assert_int_equal(r->tasks[0].methods[0].trials[0].iterations_done, 2);
        duet_results_free(r);
    }
    unlink(path);
}

static void damage_before_last_line_is_an_error(void **state)
{
    (void)state;
    const char *path = journal_path();
    write_rows(path, 3);
    FILE *f = fopen(path, "r+b");
    char text[8192];
    size_t len = fread(text, 1, sizeof text, f);
    char *second_row = strstr(strstr(text, "\nI ") + 1, "\nI ");
    assert_non_null(second_row);
    second_row[10] ^= 1; /* flip one bit inside the record before the last */
    rewind(f);
    fwrite(text, 1, len, f);
    fclose(f);
    duet_results *r = model();
    size_t applied = 0, torn = 0;
    duet_error err;
    assert_int_equal(duet_journal_replay(path, 42, r, &applied, &torn, &err), DUET_EFORMAT);
    assert_non_null(strstr(err.msg, "corrupted journal record"));
    duet_results_free(r);
    unlink(path);
}

static void other_configuration_refused(void **state)
{
    (void)state;
    const char *path = journal_path();
    write_rows(path, 1);
    duet_results *r = model();
    size_t applied = 0, torn = 0;
    duet_error err;
    assert_int_equal(duet_journal_replay(path, 43, r, &applied, &torn, &err), DUET_EMISMATCH);
    assert_int_equal(applied, 0);
    duet_results_free(r);
    unlink(path);
}

static void crc32_known_value(void **state)
{
    (void)state;
    /* The standard check value of CRC-32/ISO-HDLC. */
    assert_int_equal(duet_crc32("123456789", 9), 0xCBF43926u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_read_back_bit_for_bit),
        cmocka_unit_test(torn_last_record_is_dropped),
        cmocka_unit_test(damage_before_last_line_is_an_error),
        cmocka_unit_test(other_configuration_refused),
        cmocka_unit_test(crc32_known_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
