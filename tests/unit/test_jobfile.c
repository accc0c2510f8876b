/*
 * The worker protocol's files: manifests and results round-trip exactly, the strict result
 * parser rejects every malformed input with a message naming the problem, the C worker's result
 * equals an in-process evaluation, and the Slurm helpers classify states and quote words.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/synthetic.h"
#include "exec/jobfile.h"
#include "exec/slurm.h"
#include "exec/worker.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/mem.h"
#include "util/rng.h"

/* A synthetic backend's options and task options with defaults, plus a subset of its 5 domains. */
typedef struct fixture {
    void *options;
    void *task_options;
    duet_subset subset;
    const char *names[5];
    uint64_t sizes[5];
} fixture;

static void fixture_init(fixture *f)
{
    const duet_backend_type *bt = &duet_backend_synthetic;
    f->options = duet_calloc(1, bt->options_size);
    f->task_options = duet_calloc(1, bt->task_options_size);
    assert_int_equal(duet_options_defaults(bt->options, f->options, NULL), DUET_OK);
    assert_int_equal(duet_options_defaults(bt->task_options, f->task_options, NULL), DUET_OK);
    uint64_t counts[5] = {3, 0, 2, 0, 0};
    assert_int_equal(duet_subset_init(&f->subset, 5, counts, NULL), DUET_OK);
    uint64_t items[5] = {0, 17, 3999, 5, 6};
    memcpy(f->subset.items, items, sizeof items);
    static const char *const names[5] = {"d1", "d2", "d3", "d4", "d5"};
    for (int i = 0; i < 5; i++) {
        f->names[i] = names[i];
        f->sizes[i] = 4000;
    }
}

static void fixture_free(fixture *f)
{
    duet_options_free(duet_backend_synthetic.options, f->options);
    duet_options_free(duet_backend_synthetic.task_options, f->task_options);
    duet_free(f->options);
    duet_free(f->task_options);
    duet_subset_free(&f->subset);
}

static duet_job_spec fixture_spec(const fixture *f, const char *task)
{
    duet_job_spec spec = {
        .job = "task bump, method m, trial 0, iteration 1, sample 1",
        .attempt = 2,
        .backend_type = &duet_backend_synthetic,
        .backend_options = f->options,
        .task = task,
        .task_options = f->task_options,
        .points = 5,
        .seed = UINT64_MAX - 12,
        .experiment_seed = 42,
        .timeout = 12.5,
        .script_dir = "/tmp/script dir",
        .data_dir = "/tmp/data%dir",
        .domain_names = f->names,
        .domain_sizes = f->sizes,
        .subset = &f->subset,
    };
    return spec;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void manifest_round_trip(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    const char *task = " odd%name,\twith\nnewline ";
    duet_job_spec spec = fixture_spec(&f, task);
    duet_buf b = {0};
    assert_int_equal(duet_job_manifest_format(&b, &spec, NULL), DUET_OK);
    char path[600];
    snprintf(path, sizeof path, "%s/manifest", duet_test_tmpdir("manifest"));
    write_text(path, b.data);
    duet_buf_free(&b);

    duet_job_manifest m;
    duet_error err;
    assert_int_equal(duet_job_manifest_read(path, &m, &err), DUET_OK);
    assert_string_equal(m.task, task);
    assert_string_equal(m.backend, "synthetic");
    assert_string_equal(m.job, spec.job);
    assert_string_equal(m.script_dir, "/tmp/script dir");
    assert_string_equal(m.data_dir, "/tmp/data%dir");
    assert_int_equal(m.attempt, 2);
    assert_int_equal(m.points, 5);
    assert_true(m.seed == UINT64_MAX - 12);
    assert_int_equal(m.experiment_seed, 42);
    assert_true(m.timeout == 12.5);
    assert_int_equal(m.n_domains, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(m.domain_names[i], f.names[i]);
        assert_int_equal(m.domain_sizes[i], 4000);
        assert_int_equal(m.subset.counts[i], f.subset.counts[i]);
    }
    assert_int_equal(m.subset.total, 5);
    assert_memory_equal(m.subset.items, f.subset.items, 5 * sizeof *m.subset.items);

    /* The options read back through the option tables equal the ones written. */
    void *opts = duet_calloc(1, duet_backend_synthetic.options_size);
    assert_int_equal(
        duet_kv_get_options(&m.kv, "backend", duet_backend_synthetic.options, opts, path, &err),
        DUET_OK);
    assert_memory_equal(opts, f.options, duet_backend_synthetic.options_size);
    duet_options_free(duet_backend_synthetic.options, opts);
    duet_free(opts);
    duet_job_manifest_free(&m);
    fixture_free(&f);
}

/* Replaces the first line starting with `key =` in text by `line` (or deletes it if NULL). */
static char *edit_line(const char *text, const char *key, const char *line)
{
    duet_buf b = {0};
    const char *p = text;
    size_t klen = strlen(key);
    int done = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (!done && strncmp(p, key, klen) == 0 && p[klen] == ' ') {
            if (line) {
                duet_buf_puts(&b, line);
                duet_buf_puts(&b, "\n");
            }
            done = 1;
        } else {
            duet_buf_append(&b, p, len);
        }
        p += len;
    }
    assert_true(done);
    return b.data;
}

static void manifest_rejects_bad_input(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    duet_job_spec spec = fixture_spec(&f, "bump");
    duet_buf b = {0};
    assert_int_equal(duet_job_manifest_format(&b, &spec, NULL), DUET_OK);
    static const struct {
        const char *key, *line, *message;
    } cases[] = {
        {"protocol", "protocol = 2", "protocol 2 is not the version 1"},
        {"seed", NULL, "seed is missing"},
        {"seed", "seed = -3", "seed = '-3' is not a non-negative integer"},
        {"domain.1.items", "domain.1.items = 0,17", "expected 3 comma-separated item ids"},
        {"domain.1.items", "domain.1.items = 0,17,4000", "item id 4000 is outside"},
        {"domain.1.items", "domain.1.items = 0,,17", "item 2 is not a non-negative integer"},
        {"domain.2.items", "domain.2.items = 4", "lists items although the count is 0"},
        {"domain.3.count", "domain.3.count = 4001", "exceeds the domain's size 4000"},
        {"domains", "domains = 0", "domains = 0 is outside 1..65536"},
        {"timeout", "timeout = -1", "timeout = -1 is negative"},
        {"task", "task = a%2", "'%' not followed by two hex digits"},
        {"task", "task = a%00b", "'%' not followed by two hex digits (or encodes a NUL byte)"},
        {"backend", "backend = synthetic\nbackend = synthetic", "key 'backend' appears twice"},
        {"job", "no equals sign here", "expected 'key = value'"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *text = edit_line(b.data, cases[c].key, cases[c].line);
        char path[600];
        snprintf(path, sizeof path, "%s/manifest", duet_test_tmpdir("badmanifest"));
        write_text(path, text);
        duet_free(text);
        duet_job_manifest m;
        duet_error err;
        duet_error_clear(&err);
        duet_status st = duet_job_manifest_read(path, &m, &err);
        if (st == DUET_OK || strstr(err.msg, cases[c].message) == NULL)
            print_error("case %zu: status %d, message '%s', expected '%s'\n", c, (int)st, err.msg,
                        cases[c].message);
        assert_int_not_equal(st, DUET_OK);
        assert_non_null(strstr(err.msg, cases[c].message));
    }
    duet_buf_free(&b);
    fixture_free(&f);
}

static void result_round_trip_is_exact(void **state)
{
    (void)state;
    duet_rng rng;
    duet_rng_init(&rng, 9);
    for (int rep = 0; rep < 200; rep++) {
        duet_job_result r;
        memset(&r, 0, sizeof r);
        r.status = DUET_JOB_OK;
        r.eval.feedback = (duet_rng_uniform(&rng) - 0.5) * pow(10.0, (double)(rep % 40 - 20));
        r.eval.value = rep % 3 == 0 ? NAN : duet_rng_normal(&rng);
        r.eval.seconds = duet_rng_uniform(&rng) * 1000;
        r.eval.n_metrics = (size_t)rep % (DUET_TASK_METRICS_MAX + 1);
        for (size_t i = 0; i < r.eval.n_metrics; i++) {
            r.eval.metrics[i] = i == 1 ? NAN : duet_rng_normal(&rng);
            snprintf(r.metric_names[i], sizeof r.metric_names[i], "metric %zu, %%odd", i);
        }
        snprintf(r.host, sizeof r.host, "node-%d", rep);
        snprintf(r.worker, sizeof r.worker, "test worker");
        duet_buf b = {0};
        duet_job_result_format(&b, &r);
        duet_job_result back;
        duet_error err;
        assert_int_equal(duet_job_result_parse(b.data, b.len, "result", &back, &err), DUET_OK);
        duet_buf_free(&b);
        assert_memory_equal(&back.eval.feedback, &r.eval.feedback, sizeof(double));
        assert_true(isnan(r.eval.value) ? isnan(back.eval.value) : back.eval.value == r.eval.value);
        assert_memory_equal(&back.eval.seconds, &r.eval.seconds, sizeof(double));
        assert_int_equal(back.eval.n_metrics, r.eval.n_metrics);
        for (size_t i = 0; i < r.eval.n_metrics; i++) {
            assert_string_equal(back.metric_names[i], r.metric_names[i]);
            assert_true(isnan(r.eval.metrics[i]) ? isnan(back.eval.metrics[i])
                                                 : back.eval.metrics[i] == r.eval.metrics[i]);
        }
        assert_string_equal(back.host, r.host);
    }
}

static void result_parser_is_strict(void **state)
{
    (void)state;
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"", "the result is empty"},
        {"# only a comment\n", "the result is empty"},
        {"protocol = 1\nstatus = ok\nfeedback = 1\nvalue = nan\nseconds = 0", "newline"},
        {"status = ok\n", "protocol is missing"},
        {"protocol = 7\nstatus = ok\n", "protocol 7 is not the version 1"},
        {"protocol = 1\n", "key 'status' is missing"},
        {"protocol = 1\nstatus = done\n", "status = 'done' is not one of"},
        {"protocol = 1\nstatus = ok\nvalue = 1\nseconds = 0\n", "feedback is missing"},
        {"protocol = 1\nstatus = ok\nfeedback = nan\nvalue = 1\nseconds = 0\n",
         "feedback = 'nan' is not a finite number"},
        {"protocol = 1\nstatus = ok\nfeedback = inf\nvalue = 1\nseconds = 0\n",
         "feedback = 'inf' is not a finite number"},
        {"protocol = 1\nstatus = ok\nfeedback = 0.5x\nvalue = 1\nseconds = 0\n",
         "feedback = '0.5x' is not a number"},
        {"protocol = 1\nstatus = ok\nfeedback =  \nvalue = 1\nseconds = 0\n",
         "feedback = '' is not a number"},
        {"protocol = 1\nstatus = ok\nfeedback = 1\nseconds = 0\n", "value is missing"},
        {"protocol = 1\nstatus = ok\nfeedback = 1\nvalue = 1\nseconds = -2\n",
         "seconds = -2 is negative"},
        {"protocol = 1\nstatus = ok\nfeedback = 1\nvalue = 1\nseconds = 0\nmetrics = 9\n",
         "metrics = 9 exceeds the limit of 8"},
        {"protocol = 1\nstatus = ok\nfeedback = 1\nvalue = 1\nseconds = 0\nmetrics = 1\n",
         "found 0 metric keys"},
        {"protocol = 1\nstatus = ok\nfeedback = 1\nvalue = 1\nseconds = 0\nmetrics = 1\n"
         "metric.1.name = a\nmetric.2.value = 3\n",
         "metric.1.value is missing"},
        {"protocol = 1\nstatus = ok\nfeedback = 1\nvalue = 1\nseconds = 0\nbogus = 1\n",
         "unknown key 'bogus'"},
        {"protocol = 1\nstatus = ok\nfeedback = 1\nfeedback = 2\n", "key 'feedback' appears twice"},
        {"protocol = 1\nstatus = ok\nfeedback = 1\nvalue = 1\nseconds = 0\nerror = x\n",
         "an ok result must not have an 'error' key"},
        {"protocol = 1\nstatus = ok\nfeed back = 1\n", "expected 'key = value'"},
        {"protocol = 1\nstatus = ok\nFeedback = 1\n", "expected 'key = value'"},
        {"protocol = 1\nstatus = ok\nhost = a\x01"
         "b\n",
         "control character 0x01"},
    };
    for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
        duet_job_result r;
        duet_error err;
        duet_error_clear(&err);
        duet_status st = duet_job_result_parse(bad[c].text, strlen(bad[c].text), "R", &r, &err);
        if (st == DUET_OK || strstr(err.msg, bad[c].message) == NULL)
            print_error("case %zu: status %d, message '%s', expected '%s'\n", c, (int)st, err.msg,
                        bad[c].message);
        assert_int_not_equal(st, DUET_OK);
        assert_non_null(strstr(err.msg, bad[c].message));
    }
    /* A NUL byte inside the text ends nothing early: it is rejected. */
    const char nul[] = "protocol = 1\nstatus = ok\0\n";
    duet_job_result r;
    duet_error err;
    assert_int_not_equal(duet_job_result_parse(nul, sizeof nul - 1, "R", &r, &err), DUET_OK);
    assert_non_null(strstr(err.msg, "NUL byte"));

    const char *failed = "protocol = 1\nstatus = timeout\nerror = took 5%25 too long\n";
    assert_int_equal(duet_job_result_parse(failed, strlen(failed), "R", &r, &err), DUET_OK);
    assert_int_equal(r.status, DUET_JOB_TIMEOUT);
    assert_string_equal(r.error, "took 5% too long");
}

/* The C worker's result equals an evaluation in this process with the same arguments. */
static void worker_matches_direct_evaluation(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    const duet_backend_type *bt = &duet_backend_synthetic;
    duet_job_spec spec = fixture_spec(&f, "bump");
    spec.timeout = 0;
    spec.data_dir = "/tmp";
    spec.script_dir = "/tmp";
    char dir[600];
    snprintf(dir, sizeof dir, "%s", duet_test_tmpdir("worker"));
    char path[700];
    snprintf(path, sizeof path, "%s/manifest", dir);
    duet_buf b = {0};
    assert_int_equal(duet_job_manifest_format(&b, &spec, NULL), DUET_OK);
    write_text(path, b.data);
    duet_buf_free(&b);

    duet_worker_options wo = {.capture = 0, .log = NULL};
    assert_int_equal(duet_worker_run(dir, &wo), DUET_WORKER_EXIT_OK);
    duet_job_result r;
    duet_error err;
    snprintf(path, sizeof path, "%s/result", dir);
    assert_int_equal(duet_job_result_read(path, &r, &err), DUET_OK);
    assert_int_equal(r.status, DUET_JOB_OK);

    void *backend = NULL, *task = NULL;
    duet_task_info info;
    duet_backend_env env = {.seed = 42, .script_dir = "/tmp", .data_dir = "/tmp"};
    assert_int_equal(bt->open(f.options, &env, &backend, &err), DUET_OK);
    assert_int_equal(bt->task_open(backend, "bump", f.task_options, 5, &task, &info, &err),
                     DUET_OK);
    duet_eval_result direct;
    assert_int_equal(bt->evaluate(backend, task, &f.subset, spec.seed, &direct, &err), DUET_OK);
    assert_memory_equal(&r.eval.feedback, &direct.feedback, sizeof(double));
    assert_memory_equal(&r.eval.value, &direct.value, sizeof(double));
    bt->task_close(backend, task);
    bt->close(backend);

    /* A manifest naming a domain the backend does not have is rejected, not evaluated. */
    f.names[1] = "elsewhere";
    spec = fixture_spec(&f, "bump");
    snprintf(path, sizeof path, "%s/manifest", dir);
    assert_int_equal(duet_job_manifest_format(&b, &spec, NULL), DUET_OK);
    write_text(path, b.data);
    duet_buf_free(&b);
    assert_int_equal(duet_worker_run(dir, &wo), DUET_WORKER_EXIT_MANIFEST);
    snprintf(path, sizeof path, "%s/result", dir);
    assert_int_equal(duet_job_result_read(path, &r, &err), DUET_OK);
    assert_int_equal(r.status, DUET_JOB_INVALID);
    assert_non_null(strstr(r.error, "manifest says elsewhere"));
    fixture_free(&f);
}

/* A worker whose evaluation outlives the manifest's timeout is killed and reports it. */
static void worker_enforces_timeout(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    duet_job_spec spec = fixture_spec(&f, "bump");
    spec.timeout = 0.2;
    duet_buf b = {0};
    assert_int_equal(duet_job_manifest_format(&b, &spec, NULL), DUET_OK);
    /* 5 x 10^7 synthetic items take seconds to generate when the backend opens. */
    char *text = edit_line(b.data, "backend.items", "backend.items = 10000000");
    duet_buf_free(&b);
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s", duet_test_tmpdir("timeout"));
    snprintf(path, sizeof path, "%s/manifest", dir);
    write_text(path, text);
    duet_free(text);
    duet_worker_options wo = {.capture = 0, .log = NULL};
    assert_int_equal(duet_worker_run(dir, &wo), DUET_WORKER_EXIT_TIMEOUT);
    duet_job_result r;
    duet_error err;
    snprintf(path, sizeof path, "%s/result", dir);
    assert_int_equal(duet_job_result_read(path, &r, &err), DUET_OK);
    assert_int_equal(r.status, DUET_JOB_TIMEOUT);
    assert_non_null(strstr(r.error, "exceeded its timeout of 0.2 seconds"));
    fixture_free(&f);
}

static void slurm_states_and_lines(void **state)
{
    (void)state;
    assert_int_equal(duet_slurm_classify("PENDING"), DUET_SLURM_ACTIVE);
    assert_int_equal(duet_slurm_classify("RUNNING"), DUET_SLURM_ACTIVE);
    assert_int_equal(duet_slurm_classify("COMPLETING"), DUET_SLURM_ACTIVE);
    assert_int_equal(duet_slurm_classify("REQUEUED"), DUET_SLURM_ACTIVE);
    assert_int_equal(duet_slurm_classify("COMPLETED"), DUET_SLURM_ENDED);
    assert_int_equal(duet_slurm_classify("FAILED"), DUET_SLURM_ENDED);
    assert_int_equal(duet_slurm_classify("OUT_OF_MEMORY"), DUET_SLURM_ENDED);
    assert_int_equal(duet_slurm_classify("TIMEOUT"), DUET_SLURM_REQUEUE);
    assert_int_equal(duet_slurm_classify("PREEMPTED"), DUET_SLURM_REQUEUE);
    assert_int_equal(duet_slurm_classify("NODE_FAIL"), DUET_SLURM_REQUEUE);
    assert_int_equal(duet_slurm_classify("running"), DUET_SLURM_UNKNOWN);

    char id[16], st[16];
    unsigned long index = 0;
    assert_int_equal(
        duet_slurm_parse_squeue_line("1234_17|RUNNING", id, sizeof id, &index, st, sizeof st), 1);
    assert_string_equal(id, "1234");
    assert_int_equal(index, 17);
    assert_string_equal(st, "RUNNING");
    const char *bad[] = {
        "1234|RUNNING",   "1234_[3-5%2]|PENDING",        "_3|RUNNING", "12a_3|RUNNING", "1234_3|",
        "1234_3 RUNNING", "123456789012345678_1|RUNNING"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(duet_slurm_parse_squeue_line(bad[i], id, sizeof id, &index, st, sizeof st),
                         0);

    duet_executor_options o = {0};
    char limit[32];
    duet_slurm_time_limit(&o, limit, sizeof limit);
    assert_string_equal(limit, "");
    o.timeout = 61;
    duet_slurm_time_limit(&o, limit, sizeof limit);
    assert_string_equal(limit, "3");
    o.time = "1-00:00:00";
    duet_slurm_time_limit(&o, limit, sizeof limit);
    assert_string_equal(limit, "1-00:00:00");
}

/* A quoted word reaches a program through /bin/sh unchanged. */
static void shell_quote_survives_sh(void **state)
{
    (void)state;
    const char *words[] = {"plain", "with space", "it's", "$HOME `x` \"q\" \\", "'", "a\nb"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        duet_buf b = {0};
        duet_buf_puts(&b, "printf %s ");
        duet_shell_quote(&b, words[i]);
        FILE *p = popen(b.data, "r");
        assert_non_null(p);
        char out[256] = {0};
        size_t n = fread(out, 1, sizeof out - 1, p);
        pclose(p);
        out[n] = '\0';
        assert_string_equal(out, words[i]);
        duet_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manifest_round_trip),
        cmocka_unit_test(manifest_rejects_bad_input),
        cmocka_unit_test(result_round_trip_is_exact),
        cmocka_unit_test(result_parser_is_strict),
        cmocka_unit_test(worker_matches_direct_evaluation),
        cmocka_unit_test(worker_enforces_timeout),
        cmocka_unit_test(slurm_states_and_lines),
        cmocka_unit_test(shell_quote_survives_sh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
