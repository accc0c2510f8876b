/*
 * The scores file and the cached scoring loop: reuse when nothing changed, recomputation when
 * an estimator option or the pool changes, per-domain selection, read errors, and files written
 * by an external worker through h5py. Also checks the logistic-regression pool against
 * scikit-learn's solution of the same objective.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "influence/factory.h"
#include "influence/run.h"
#include "influence/scores_file.h"

#define PYTHON "/usr/bin/python3"

typedef struct captured {
    char text[8192];
} captured;

static void capture(void *userdata, duet_log_level level, const char *message)
{
    captured *c = userdata;
    size_t len = strlen(c->text);
    snprintf(c->text + len, sizeof c->text - len, "%s\n", message);
}

typedef struct setup {
    char pool[600], scores[600];
    duet_influence_settings settings;
    captured out;
    duet_log log;
    duet_influence_request req;
} setup;

static void setup_init(setup *s, const char *name)
{
    memset(s, 0, sizeof *s);
    const char *dir = duet_test_tmpdir(name);
    snprintf(s->pool, sizeof s->pool, "%s/pool.h5", dir);
    snprintf(s->scores, sizeof s->scores, "%s/scores.h5", dir);
    duet_error err = {0};
    assert_int_equal(duet_logreg_pool_generate(s->pool, 3, 2, 60, 30, 3, 3, 0.05, &err), DUET_OK);
    assert_int_equal(duet_influence_settings_defaults(&duet_influence_cg, &s->settings, &err),
                     DUET_OK);
    s->log = (duet_log){capture, &s->out, DUET_LOG_INFO};
    s->req = (duet_influence_request){
        .pool_path = s->pool,
        .scores_path = s->scores,
        .factory = &duet_influence_factory_logreg,
        .kind = "influence",
        .estimator = &duet_influence_cg,
        .settings = &s->settings,
        .train_tol = 1e-10,
        .log = &s->log,
    };
}

static void run(setup *s, duet_scores_outcome *outcomes, size_t capacity)
{
    duet_error err = {0};
    s->out.text[0] = '\0';
    duet_status st = duet_influence_run(&s->req, outcomes, capacity, &err);
    if (st != DUET_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, DUET_OK);
}

static void rerun_reuses_then_recomputes(void **state)
{
    (void)state;
    setup s;
    setup_init(&s, "cache");
    duet_scores_outcome o[2];
    run(&s, o, 2);
    assert_int_equal(o[0], DUET_SCORES_COMPUTED);
    assert_int_equal(o[1], DUET_SCORES_COMPUTED);
    assert_non_null(strstr(s.out.text, "domain d00: computed influence scores of 60 items"));

    double first[60], again[60];
    duet_scores_meta meta;
    duet_error err = {0};
    assert_int_equal(duet_scores_read(s.scores, "influence", "d01", 60, first, &meta, &err),
                     DUET_OK);
    assert_string_equal(meta.estimator, "cg");
    assert_string_equal(meta.settings, "damping=0, tol=1e-10, max_iter=1000");
    assert_int_equal(meta.n_heldout, 30);
    assert_int_equal(strlen(meta.key), 16);

    run(&s, o, 2);
    assert_int_equal(o[0], DUET_SCORES_REUSED);
    assert_int_equal(o[1], DUET_SCORES_REUSED);
    assert_non_null(strstr(s.out.text, "domain d01: reused cached influence scores"));

    /* A changed estimator option makes both domains stale. */
    s.settings.tol = 1e-9;
    run(&s, o, 2);
    assert_int_equal(o[0], DUET_SCORES_RECOMPUTED);
    assert_int_equal(o[1], DUET_SCORES_RECOMPUTED);
    assert_non_null(strstr(s.out.text, "stale"));
    assert_int_equal(duet_scores_read(s.scores, "influence", "d01", 60, again, &meta, &err),
                     DUET_OK);
    assert_string_equal(meta.settings, "damping=0, tol=1.0000000000000001e-09, max_iter=1000");
    for (size_t i = 0; i < 60; i++)
        assert_close(again[i], first[i], 1e-6, 1e-12);

    /* Another estimator too; then a rerun with it reuses. */
    s.req.estimator = &duet_influence_exact;
    assert_int_equal(duet_influence_settings_defaults(&duet_influence_exact, &s.settings, &err),
                     DUET_OK);
    run(&s, o, 2);
    assert_int_equal(o[0], DUET_SCORES_RECOMPUTED);
    run(&s, o, 2);
    assert_int_equal(o[0], DUET_SCORES_REUSED);

    /* A new pool file with the same domain names makes them stale. */
    assert_int_equal(duet_logreg_pool_generate(s.pool, 4, 2, 60, 30, 3, 3, 0.05, &err), DUET_OK);
    run(&s, o, 2);
    assert_int_equal(o[0], DUET_SCORES_RECOMPUTED);
    assert_int_equal(o[1], DUET_SCORES_RECOMPUTED);
}

static void named_domains_and_less_kind(void **state)
{
    (void)state;
    setup s;
    setup_init(&s, "domains");
    const char *only[1] = {"d01"};
    s.req.domains = only;
    s.req.n_domains = 1;
    duet_scores_outcome o[2] = {DUET_SCORES_REUSED, DUET_SCORES_REUSED};
    run(&s, o, 2);
    assert_int_equal(o[0], DUET_SCORES_COMPUTED);
    assert_int_equal(o[1], DUET_SCORES_REUSED); /* untouched: only one domain was processed */
    int found = 1;
    uint64_t n = 0;
    duet_scores_meta meta;
    duet_error err = {0};
    assert_int_equal(duet_scores_probe(s.scores, "influence", "d00", &found, &n, &meta, &err),
                     DUET_OK);
    assert_int_equal(found, 0);

    s.req.kind = "less";
    run(&s, o, 1);
    assert_int_equal(o[0], DUET_SCORES_COMPUTED);
    double cosines[60];
    assert_int_equal(duet_scores_read(s.scores, "less", "d01", 60, cosines, &meta, &err), DUET_OK);
    assert_string_equal(meta.estimator, "less");
    for (size_t i = 0; i < 60; i++)
        assert_true(fabs(cosines[i]) <= 1.0);

    const char *missing[1] = {"news"};
    s.req.domains = missing;
    assert_int_equal(duet_influence_run(&s.req, NULL, 0, &err), DUET_ENOTFOUND);
    assert_non_null(strstr(err.msg, "domain news is not in pool"));
    s.req.domains = only;
    s.req.kind = "quality";
    assert_int_equal(duet_influence_run(&s.req, NULL, 0, &err), DUET_EINVAL);
}

static void read_rejects_mismatches(void **state)
{
    (void)state;
    setup s;
    setup_init(&s, "read");
    double v[60];
    duet_error err = {0};
    assert_int_equal(duet_scores_read(s.scores, "influence", "d00", 60, v, NULL, &err),
                     DUET_ENOTFOUND);
    run(&s, NULL, 0);
    assert_int_equal(duet_scores_read(s.scores, "influence", "d00", 59, v, NULL, &err),
                     DUET_EFORMAT);
    assert_non_null(strstr(err.msg, "holds 60 scores but the domain has 59"));
    assert_int_equal(duet_scores_read(s.scores, "influence", "d07", 60, v, NULL, &err),
                     DUET_ENOTFOUND);
    assert_int_equal(duet_scores_read(s.scores, "influence", "a/b", 60, v, NULL, &err),
                     DUET_EINVAL);
    /* The pool file is HDF5 but not a scores file. */
    assert_int_equal(duet_scores_read(s.pool, "influence", "d00", 60, v, NULL, &err), DUET_EFORMAT);
    assert_non_null(strstr(err.msg, "is not a scores file"));
    duet_scores_meta meta = {0};
    assert_int_equal(duet_scores_write(s.pool, "influence", "d00", v, 60, &meta, &err),
                     DUET_EFORMAT);
}

static int python_ok(const char *script)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s - <<'EOF'\n%s\nEOF\n", PYTHON, script);
    return system(cmd) == 0;
}

/* An external worker writes float32 scores with variable-length string attributes (h5py's
 * default); the core reads them. */
static void reads_external_worker_file(void **state)
{
    (void)state;
    const char *dir = duet_test_tmpdir("external");
    char path[600], script[2048];
    snprintf(path, sizeof path, "%s/worker.h5", dir);
    snprintf(
        script, sizeof script,
        "import h5py, numpy as np\n"
        "with h5py.File('%s', 'w') as f:\n"
        "    f.attrs['format'] = 'duet-scores'\n"
        "    f.attrs['version'] = 1\n"
        "    d = f.create_dataset('influence/gsm8k', data=np.arange(5, dtype=np.float32) / 4)\n"
        "    d.attrs['estimator'] = 'datainf-lora'\n"
        "    d.attrs['n_heldout'] = 250\n",
        path);
    assert_true(python_ok(script));
    double v[5];
    duet_scores_meta meta;
    duet_error err = {0};
    duet_status st = duet_scores_read(path, "influence", "gsm8k", 5, v, &meta, &err);
    if (st != DUET_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, DUET_OK);
    for (size_t i = 0; i < 5; i++)
        assert_close(v[i], (double)i / 4, 0, 0);
    assert_string_equal(meta.estimator, "datainf-lora");
    assert_int_equal(meta.n_heldout, 250);
    assert_string_equal(meta.key, "");
}

/* The pool's model solves J with the bias penalized; scikit-learn does the same when the bias is
 * a constant feature and C = 1 / (n l2). */
static void logreg_pool_matches_sklearn(void **state)
{
    (void)state;
    setup s;
    setup_init(&s, "sklearn");
    char out[700], script[4096];
    snprintf(out, sizeof out, "%s.theta", s.pool);
    snprintf(script, sizeof script,
             "import h5py, numpy as np\n"
             "from sklearn.linear_model import LogisticRegression\n"
             "with h5py.File('%s') as f:\n"
             "    x = f['domains/d00/x_train'][...]; y = f['domains/d00/y_train'][...]\n"
             "    l2 = float(f.attrs['l2'])\n"
             "xt = np.hstack([x, np.ones((len(x), 1))])\n"
             "m = LogisticRegression(C=1 / (len(x) * l2), fit_intercept=False, tol=1e-8,\n"
             "                       max_iter=1000, multi_class='multinomial',\n"
             "                       solver='newton-cg').fit(xt, y)\n"
             "np.savetxt('%s', m.coef_.ravel(), fmt='%%.17g')\n",
             s.pool, out);
    assert_true(python_ok(script));
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    double expected[12];
    for (size_t j = 0; j < 12; j++)
        assert_int_equal(fscanf(f, "%lf", &expected[j]), 1);
    fclose(f);

    void *pool = NULL;
    duet_influence_domain dom;
    duet_error err = {0};
    assert_int_equal(duet_influence_factory_logreg.open(s.pool, &pool, &err), DUET_OK);
    assert_int_equal(duet_influence_factory_logreg.domain_count(pool), 2);
    assert_string_equal(duet_influence_factory_logreg.domain_name(pool, 0), "d00");
    assert_int_equal(duet_influence_factory_logreg.domain_open(pool, 0, &dom, &err), DUET_OK);
    assert_int_equal(dom.model.n_params, 12);
    assert_int_equal(dom.n_train, 60);
    assert_int_equal(dom.n_heldout, 30);
    double theta[12] = {0};
    assert_int_equal(
        dom.model.train(dom.model.self, dom.train, dom.n_train, 1e-12, NULL, theta, &err), DUET_OK);
    for (size_t j = 0; j < 12; j++)
        assert_close(theta[j], expected[j], 1e-7, 1e-9);
    duet_influence_factory_logreg.domain_close(pool, &dom);
    duet_influence_factory_logreg.close(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rerun_reuses_then_recomputes),
        cmocka_unit_test(named_domains_and_less_kind),
        cmocka_unit_test(read_rejects_mismatches),
        cmocka_unit_test(reads_external_worker_file),
        cmocka_unit_test(logreg_pool_matches_sklearn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
