/*
 * The embedded models as differentiable models: loss, gradient and Hessian-vector product
 * against central finite differences, per-example gradients (and their sparse dot products and
 * squared norms) against the set gradient, the Hessian diagonal against unit products, the
 * loss at zero against its closed form, convergence to the tolerance, and determinism.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/records.h"
#include "data/tagset.h"
#include "embedded/charlm.h"
#include "embedded/postag.h"

static const char *const texts[] = {
    "In the beginning God created the heaven and the earth.",
    "A notional unit of computing power.",
    "FREE!!! Click here to claim your $1000 prize",
    "the act of moving something from one place to another; \"the transfer of goods\"",
    "Hello Bob, the meeting moved to 3pm. Cheers",
    "",
    "\xc3\xa9t\xc3\xa9 caf\xc3\xa9",
};

static const char *const tagged[][2] = {
    {"The jury said Friday .", "at nn vbd nr ."},
    {"He's not going to the city", "pps+bez * vbg in at nn-tl"},
    {"Four dogs ran quickly home", "cd nns vbd rb nr"},
    {"She gave him 2 books and a pen .", "pps vbd ppo cd nns cc at nn ."},
    {"Mr. Kennedy would n't agree", "np np md * vb"},
};

#define N_TEXTS  (sizeof texts / sizeof texts[0])
#define N_TAGGED (sizeof tagged / sizeof tagged[0])

static void fill_texts(duet_records *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < N_TEXTS; i++)
        assert_int_equal(duet_records_append(r, texts[i], strlen(texts[i]), NULL, 0, NULL),
                         DUET_OK);
}

static void fill_tagged(duet_records *r)
{
    memset(r, 0, sizeof *r);
    r->tagged = 1;
    for (size_t i = 0; i < N_TAGGED; i++)
        assert_int_equal(duet_records_append(r, tagged[i][0], strlen(tagged[i][0]), tagged[i][1],
                                             strlen(tagged[i][1]), NULL),
                         DUET_OK);
}

typedef struct fixture {
    duet_records records;
    duet_charlm *lm;
    duet_postag *tagger;
    duet_diffmodel model;
    size_t n_examples;
} fixture;

static int setup_lm(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    fill_texts(&f->records);
    const duet_records *lists[1] = {&f->records};
    duet_charlm_config config = {37, 3, 40, {0.05, 500, 8, 0}};
    assert_int_equal(duet_charlm_new(&config, lists, 1, &f->lm, NULL), DUET_OK);
    f->model = duet_charlm_diffmodel(f->lm);
    f->n_examples = N_TEXTS;
    *state = f;
    return 0;
}

static int setup_tagger(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    fill_tagged(&f->records);
    const duet_records *lists[1] = {&f->records};
    duet_postag_config config = {53, {0.05, 500, 8, 0}};
    assert_int_equal(duet_postag_new(&config, lists, 1, &f->tagger, NULL), DUET_OK);
    f->model = duet_postag_diffmodel(f->tagger);
    f->n_examples = N_TAGGED;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    duet_charlm_free(f->lm);
    duet_postag_free(f->tagger);
    duet_records_free(&f->records);
    free(f);
    return 0;
}

static double *random_vector(size_t n, uint64_t seed, double scale)
{
    double *v = malloc(n * sizeof *v);
    duet_rng rng;
    duet_rng_init(&rng, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = scale * duet_rng_normal(&rng);
    return v;
}

static const uint64_t all_examples[] = {0, 1, 2, 3, 4, 5, 6};

/* Directional derivatives of the loss along random directions match the gradient. */
static void gradient_matches_differences(void **state)
{
    fixture *f = *state;
    duet_diffmodel *m = &f->model;
    size_t p = m->n_params;
    double *theta = random_vector(p, 1, 0.3), *g = malloc(p * sizeof *g);
    double *plus = malloc(p * sizeof *plus), *minus = malloc(p * sizeof *minus);
    assert_int_equal(m->grad(m->self, theta, all_examples, f->n_examples, g, NULL), DUET_OK);
    for (uint64_t trial = 0; trial < 4; trial++) {
        double *v = random_vector(p, 100 + trial, 1.0);
        const double h = 1e-5;
        for (size_t i = 0; i < p; i++) {
            plus[i] = theta[i] + h * v[i];
            minus[i] = theta[i] - h * v[i];
        }
        double lp, lm, gv = 0.0;
        assert_int_equal(m->loss(m->self, plus, all_examples, f->n_examples, &lp, NULL), DUET_OK);
        assert_int_equal(m->loss(m->self, minus, all_examples, f->n_examples, &lm, NULL), DUET_OK);
        for (size_t i = 0; i < p; i++)
            gv += g[i] * v[i];
        assert_close((lp - lm) / (2 * h), gv, 1e-6, 1e-7);
        free(v);
    }
    free(theta);
    free(g);
    free(plus);
    free(minus);
}

/* Hv matches the central difference of the gradient along v, entry by entry. */
static void hvp_matches_differences(void **state)
{
    fixture *f = *state;
    duet_diffmodel *m = &f->model;
    size_t p = m->n_params;
    double *theta = random_vector(p, 2, 0.3), *v = random_vector(p, 3, 1.0);
    double *hv = malloc(p * sizeof *hv), *gp = malloc(p * sizeof *gp), *gm = malloc(p * sizeof *gm);
    double *x = malloc(p * sizeof *x);
    assert_int_equal(m->hvp(m->self, theta, all_examples, f->n_examples, v, hv, NULL), DUET_OK);
    const double h = 1e-5;
    for (size_t i = 0; i < p; i++)
        x[i] = theta[i] + h * v[i];
    assert_int_equal(m->grad(m->self, x, all_examples, f->n_examples, gp, NULL), DUET_OK);
    for (size_t i = 0; i < p; i++)
        x[i] = theta[i] - h * v[i];
    assert_int_equal(m->grad(m->self, x, all_examples, f->n_examples, gm, NULL), DUET_OK);
    double norm = 0.0;
    for (size_t i = 0; i < p; i++)
        norm = fmax(norm, fabs(hv[i]));
    assert_true(norm > 1e-3);
    for (size_t i = 0; i < p; i++)
        assert_close((gp[i] - gm[i]) / (2 * h), hv[i], 1e-5, 1e-7 * norm);

    /* The model keeps probabilities at the last theta. After theta changes in place, the
     * product must again match differences at the new theta. */
    for (size_t i = 0; i < p; i++)
        theta[i] += 0.2 * v[(i * 7) % p];
    assert_int_equal(m->hvp(m->self, theta, all_examples, f->n_examples, v, hv, NULL), DUET_OK);
    for (size_t i = 0; i < p; i++)
        x[i] = theta[i] + h * v[i];
    assert_int_equal(m->grad(m->self, x, all_examples, f->n_examples, gp, NULL), DUET_OK);
    for (size_t i = 0; i < p; i++)
        x[i] = theta[i] - h * v[i];
    assert_int_equal(m->grad(m->self, x, all_examples, f->n_examples, gm, NULL), DUET_OK);
    for (size_t i = 0; i < p; i++)
        assert_close((gp[i] - gm[i]) / (2 * h), hv[i], 1e-5, 1e-7 * norm);
    free(theta);
    free(v);
    free(hv);
    free(gp);
    free(gm);
    free(x);
}

/* The set gradient is the mean of the per-example gradients, and grad_dot agrees with both. */
static void example_gradients_consistent(void **state)
{
    fixture *f = *state;
    duet_diffmodel *m = &f->model;
    size_t p = m->n_params, n = f->n_examples;
    double *theta = random_vector(p, 4, 0.3), *v = random_vector(p, 5, 1.0);
    double *g = malloc(p * sizeof *g), *ge = malloc(p * sizeof *ge),
           *mean = calloc(p, sizeof *mean);
    for (uint64_t e = 0; e < n; e++) {
        assert_int_equal(m->example_grad(m->self, theta, e, ge, NULL), DUET_OK);
        double dot = 0.0, fast;
        for (size_t i = 0; i < p; i++) {
            mean[i] += ge[i] / (double)n;
            dot += ge[i] * v[i];
        }
        assert_int_equal(m->example_grad_dot(m->self, theta, e, v, &fast, NULL), DUET_OK);
        assert_close(fast, dot, 1e-10, 1e-10);
        double sq = 0.0, sparse = -1.0;
        for (size_t i = 0; i < p; i++)
            sq += ge[i] * ge[i];
        assert_int_equal(m->example_grad_sqnorm(m->self, theta, e, &sparse, NULL), DUET_OK);
        assert_close(sparse, sq, 1e-10, 1e-12);
    }
    assert_int_equal(m->grad(m->self, theta, all_examples, n, g, NULL), DUET_OK);
    for (size_t i = 0; i < p; i++)
        assert_close(mean[i], g[i], 1e-10, 1e-12);
    free(theta);
    free(v);
    free(g);
    free(ge);
    free(mean);
}

/*
 * The Hessian diagonal equals e_j^T H e_j for every parameter j of a character model with one
 * context order, where no feature row occurs twice in a group, so the diagonal is exact.
 */
static void hess_diag_matches_products(void **state)
{
    (void)state;
    duet_records records;
    fill_texts(&records);
    const duet_records *lists[1] = {&records};
    duet_charlm_config config = {11, 1, 40, {0.05, 500, 8, 0}};
    duet_charlm *lm = NULL;
    assert_int_equal(duet_charlm_new(&config, lists, 1, &lm, NULL), DUET_OK);
    duet_diffmodel m = duet_charlm_diffmodel(lm);
    size_t p = m.n_params;
    double *theta = random_vector(p, 6, 0.3), *diag = malloc(p * sizeof *diag);
    double *unit = calloc(p, sizeof *unit), *col = malloc(p * sizeof *col);
    assert_int_equal(m.hess_diag(m.self, theta, all_examples, N_TEXTS, diag, NULL), DUET_OK);
    for (size_t j = 0; j < p; j++) {
        unit[j] = 1.0;
        assert_int_equal(m.hvp(m.self, theta, all_examples, N_TEXTS, unit, col, NULL), DUET_OK);
        unit[j] = 0.0;
        assert_close(diag[j], col[j], 1e-12, 1e-14);
    }
    free(theta);
    free(diag);
    free(unit);
    free(col);
    duet_charlm_free(lm);
    duet_records_free(&records);
}

/* At theta = 0 every prediction is uniform, so the mean loss is mean(tokens) * log(C). */
static void loss_at_zero_is_uniform(void **state)
{
    fixture *f = *state;
    duet_diffmodel *m = &f->model;
    double *zero = calloc(m->n_params, sizeof *zero);
    double loss;
    assert_int_equal(m->loss(m->self, zero, all_examples, f->n_examples, &loss, NULL), DUET_OK);
    double expected = 0.0;
    if (f->lm != NULL) {
        for (size_t i = 0; i < N_TEXTS; i++)
            expected += fmin((double)strlen(texts[i]), 40.0) * log(DUET_CHARLM_CLASSES);
    } else {
        for (size_t i = 0; i < N_TAGGED; i++) {
            size_t words = 1;
            for (const char *c = tagged[i][0]; *c; c++)
                words += *c == ' ';
            expected += (double)words * log(DUET_TAGSET_SIZE);
        }
    }
    assert_close(loss, expected / (double)f->n_examples, 1e-12, 0);
    free(zero);
}

/* Training reaches the tolerance on the regularized gradient, computed here independently. */
static void training_converges(void **state)
{
    fixture *f = *state;
    duet_diffmodel *m = &f->model;
    size_t p = m->n_params;
    double *theta = calloc(p, sizeof *theta), *g = malloc(p * sizeof *g);
    duet_rng rng;
    duet_rng_init(&rng, 9);
    const double tol = 1e-7;
    duet_error err;
    duet_status status = m->train(m->self, all_examples, f->n_examples, tol, &rng, theta, &err);
    if (status != DUET_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(status, DUET_OK);
    assert_int_equal(m->grad(m->self, theta, all_examples, f->n_examples, g, NULL), DUET_OK);
    double norm = 0.0;
    for (size_t i = 0; i < p; i++)
        norm += (g[i] + m->l2 * theta[i]) * (g[i] + m->l2 * theta[i]);
    assert_true(sqrt(norm) <= tol);
    /* The trained model fits better than the uniform one. */
    double *zero = calloc(p, sizeof *zero), trained, uniform;
    m->loss(m->self, theta, all_examples, f->n_examples, &trained, NULL);
    m->loss(m->self, zero, all_examples, f->n_examples, &uniform, NULL);
    assert_true(trained < 0.8 * uniform);
    free(theta);
    free(g);
    free(zero);
}

/* Same set gives bit-identical parameters; another set gives others. */
static void training_deterministic(void **state)
{
    fixture *f = *state;
    duet_diffmodel *m = &f->model;
    size_t p = m->n_params;
    double *a = calloc(p, sizeof *a), *b = calloc(p, sizeof *b), *c = calloc(p, sizeof *c);
    duet_rng rng;
    duet_rng_init(&rng, 1);
    const uint64_t other[] = {0, 1, 2};
    assert_int_equal(m->train(m->self, all_examples, f->n_examples, 1e-6, &rng, a, NULL), DUET_OK);
    assert_int_equal(m->train(m->self, other, 3, 1e-6, &rng, c, NULL), DUET_OK);
    assert_int_equal(m->train(m->self, all_examples, f->n_examples, 1e-6, &rng, b, NULL), DUET_OK);
    assert_memory_equal(a, b, p * sizeof *a);
    assert_true(memcmp(a, c, p * sizeof *a) != 0);
    free(a);
    free(b);
    free(c);
}

static void bad_example_index_rejected(void **state)
{
    fixture *f = *state;
    duet_diffmodel *m = &f->model;
    double *theta = calloc(m->n_params, sizeof *theta), loss;
    const uint64_t bad[] = {0, 99};
    duet_error err;
    assert_int_equal(m->loss(m->self, theta, bad, 2, &loss, &err), DUET_EINVAL);
    assert_non_null(strstr(err.msg, "99"));
    free(theta);
}

static void brown_tags_map_to_universal(void **state)
{
    (void)state;
    static const struct {
        const char *brown, *universal;
    } cases[] = {
        {"nn-tl", "NOUN"}, {"nps$", "NOUN"},    {"bez*", "VERB"}, {"md", "VERB"}, {"hvd", "VERB"},
        {"jjt", "ADJ"},    {"od", "ADJ"},       {"rb", "ADV"},    {"*", "ADV"},   {"ql", "ADV"},
        {"pp$$", "PRON"},  {"ppss+md", "PRON"}, {"wps", "PRON"},  {"at", "DET"},  {"dti", "DET"},
        {"wdt", "DET"},    {"ex", "DET"},       {"in", "ADP"},    {"cd", "NUM"},  {"cc", "CONJ"},
        {"cs", "CONJ"},    {"to", "PRT"},       {"rp", "PRT"},    {".", "."},     {"--", "."},
        {"``", "."},       {",-hl", "."},       {"fw-nn", "X"},   {"uh", "X"},    {"nil", "X"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(
            duet_tagset_name(duet_tagset_from_brown(cases[i].brown, strlen(cases[i].brown))),
            cases[i].universal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(gradient_matches_differences, setup_lm, teardown),
        cmocka_unit_test_setup_teardown(hvp_matches_differences, setup_lm, teardown),
        cmocka_unit_test_setup_teardown(example_gradients_consistent, setup_lm, teardown),
        cmocka_unit_test_setup_teardown(loss_at_zero_is_uniform, setup_lm, teardown),
        cmocka_unit_test_setup_teardown(training_converges, setup_lm, teardown),
        cmocka_unit_test_setup_teardown(training_deterministic, setup_lm, teardown),
        cmocka_unit_test_setup_teardown(bad_example_index_rejected, setup_lm, teardown),
        cmocka_unit_test_setup_teardown(gradient_matches_differences, setup_tagger, teardown),
        cmocka_unit_test_setup_teardown(hvp_matches_differences, setup_tagger, teardown),
        cmocka_unit_test_setup_teardown(example_gradients_consistent, setup_tagger, teardown),
        cmocka_unit_test_setup_teardown(loss_at_zero_is_uniform, setup_tagger, teardown),
        cmocka_unit_test_setup_teardown(training_converges, setup_tagger, teardown),
        cmocka_unit_test_setup_teardown(training_deterministic, setup_tagger, teardown),
        cmocka_unit_test_setup_teardown(bad_example_index_rejected, setup_tagger, teardown),
        cmocka_unit_test(hess_diag_matches_products),
        cmocka_unit_test(brown_tags_map_to_universal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
