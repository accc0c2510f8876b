/*
 * The embedded backend. A task fixes its training pool (every domain, or only the tagged ones
 * for "pos", minus the evaluation domains when out-of-domain) and builds one model over the
 * training splits of that pool. evaluate() trains from zero on the subset's records and scores
 * a random sample of each evaluation domain's eval split. Invariant: all randomness of an
 * evaluation comes from streams derived from its seed, so equal arguments give bit-identical
 * results. Item scores and features for the selectors are in embedded_items.c.
 */
#include "backends/embedded.h"
#include "backends/embedded_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "data/pool.h"
#include "data/tagset.h"
#include "embedded/charlm.h"
#include "embedded/postag.h"
#include "util/mem.h"
#include "util/rng.h"

static const duet_option embedded_option_table[] = {
    {"pool", DUET_OPT_STRING, offsetof(duet_embedded_options, pool), "main9", 0, 0, NULL,
     "pool file (relative paths resolve against the data folder, then the script's folder), "
     "or a preset name such as main9 for main9.h5"},
    {"buckets", DUET_OPT_INT, offsetof(duet_embedded_options, buckets), "4096", 1, 1 << 22, NULL,
     "character model: hashed context rows (parameters = (buckets + 1) * 96)"},
    {"orders", DUET_OPT_INT, offsetof(duet_embedded_options, orders), "3", 1, 8, NULL,
     "character model: context n-gram orders 1..orders"},
    {"max_chars", DUET_OPT_INT, offsetof(duet_embedded_options, max_chars), "200", 1, 100000, NULL,
     "character model: bytes of each record that are modelled"},
    {"l2", DUET_OPT_DOUBLE, offsetof(duet_embedded_options, l2), "0.01", 1e-12, 1e6, NULL,
     "character model: L2 regularization strength"},
    {"max_iter", DUET_OPT_INT, offsetof(duet_embedded_options, max_iter), "15", 1, 100000, NULL,
     "character model: L-BFGS iterations per evaluation at most (the training budget)"},
    {"pos_buckets", DUET_OPT_INT, offsetof(duet_embedded_options, pos_buckets), "16384", 1, 1 << 22,
     NULL, "tagger: hashed feature rows (parameters = (pos_buckets + 1) * 12)"},
    {"pos_l2", DUET_OPT_DOUBLE, offsetof(duet_embedded_options, pos_l2), "0.001", 1e-12, 1e6, NULL,
     "tagger: L2 regularization strength"},
    {"pos_max_iter", DUET_OPT_INT, offsetof(duet_embedded_options, pos_max_iter), "30", 1, 100000,
     NULL, "tagger: L-BFGS iterations per evaluation at most"},
    {"tol", DUET_OPT_DOUBLE, offsetof(duet_embedded_options, tol), "0.0001", 0, 1e6, NULL,
     "training stops before the iteration budget once the gradient norm is below this"},
    {"eval_size", DUET_OPT_INT, offsetof(duet_embedded_options, eval_size), "500", 1, 1000000, NULL,
     "evaluation records drawn per evaluation domain (their sampling is the feedback noise)"},
    {"temperature", DUET_OPT_DOUBLE, offsetof(duet_embedded_options, temperature), "0", 0, 100,
     NULL,
     "accuracy metrics: 0 scores the most probable prediction, > 0 samples predictions at "
     "this temperature"},
    {"proxy_lr", DUET_OPT_DOUBLE, offsetof(duet_embedded_options, proxy_lr), "0.1", 1e-9, 1e3, NULL,
     "proxy training: Adagrad learning rate"},
    {"proxy_batch", DUET_OPT_INT, offsetof(duet_embedded_options, proxy_batch), "8", 1, 100000,
     NULL, "proxy training: records drawn per domain and step"},
    {"proxy_heldout", DUET_OPT_INT, offsetof(duet_embedded_options, proxy_heldout), "100", 1,
     1000000, NULL, "proxy training: held-out records scored per domain (a fixed sample)"},
    {"scores", DUET_OPT_STRING, offsetof(duet_embedded_options, scores), "", 0, 0, NULL,
     "item scores file, cached across runs; empty means <pool>.scores.h5 beside the pool file "
     "(relative paths resolve against the pool file's folder)"},
    {"scores_model", DUET_OPT_ENUM, offsetof(duet_embedded_options, scores_model), "lm", 0, 0,
     "lm|pos",
     "model behind influence and less item scores: the character model (every domain) or the "
     "tagger (tagged domains only)"},
    {"estimator", DUET_OPT_STRING, offsetof(duet_embedded_options, estimator), "cg", 0, 0, NULL,
     "influence estimator of item scores: exact, cg, lissa, identity or datainf"},
    {"estimator_set", DUET_OPT_STRINGS, offsetof(duet_embedded_options, estimator_set), "", 0, 64,
     NULL, "estimator settings as \"name=value\" strings, e.g. {\"tol=1e-6\"}"},
    {"scores_train_tol", DUET_OPT_DOUBLE, offsetof(duet_embedded_options, scores_train_tol),
     "0.0001", 1e-12, 1e6, NULL,
     "gradient norm to which the scoring model is trained before influence or less scores"},
    {"scores_threads", DUET_OPT_INT, offsetof(duet_embedded_options, scores_threads), "0", 0, 64,
     NULL, "domains whose scores are computed at once, on threads; 0 means one per online CPU"},
    {"feature_dim", DUET_OPT_INT, offsetof(duet_embedded_options, feature_dim), "32", 1, 1024, NULL,
     "item_features (logdet selector): dimension of the projected character n-gram vector"},
    {NULL},
};

static const duet_option embedded_task_option_table[] = {
    {"type", DUET_OPT_ENUM, offsetof(duet_embedded_task_options, type), "lm", 0, 0, "lm|pos",
     "lm: character language model on all domains; pos: tagger on the tagged Brown domains"},
    {"eval", DUET_OPT_STRINGS, offsetof(duet_embedded_task_options, eval), NULL, 1,
     DUET_TASK_METRICS_MAX, NULL, "evaluation domains; the feedback is the mean over them"},
    {"setting", DUET_OPT_ENUM, offsetof(duet_embedded_task_options, setting), "out-of-domain", 0, 0,
     "in-domain|out-of-domain",
     "out-of-domain removes the evaluation domains from the task's training pool"},
    {"metric", DUET_OPT_ENUM, offsetof(duet_embedded_task_options, metric), "default", 0, 0,
     "default|bpc|accuracy",
     "bpc (bits per character, lm only, minimized) or accuracy (maximized); default: bpc for lm, "
     "accuracy for pos"},
    {"eval_size", DUET_OPT_INT, offsetof(duet_embedded_task_options, eval_size), "-1", -1, 1000000,
     NULL, "evaluation records per domain for this task; -1 takes the backend's"},
    {"temperature", DUET_OPT_DOUBLE, offsetof(duet_embedded_task_options, temperature), "-1", -1,
     100, NULL, "prediction temperature for this task (accuracy only); -1 takes the backend's"},
    {"train", DUET_OPT_STRINGS, offsetof(duet_embedded_task_options, train), "", 0, 256, NULL,
     "training domains to keep in the pool (empty: every domain the setting allows)"},
    {NULL},
};

void duet_embedded_default_options(duet_embedded_options *o)
{
    memset(o, 0, sizeof *o);
    o->pool = (char *)"main9";
    o->buckets = 4096;
    o->orders = 3;
    o->max_chars = 200;
    o->l2 = 0.01;
    o->max_iter = 15;
    o->pos_buckets = 16384;
    o->pos_l2 = 0.001;
    o->pos_max_iter = 30;
    o->tol = 1e-4;
    o->eval_size = 500;
    o->temperature = 0.0;
    o->proxy_lr = 0.1;
    o->proxy_batch = 8;
    o->proxy_heldout = 100;
    o->scores = (char *)"";
    o->scores_model = DUET_EMBEDDED_LM;
    o->estimator = (char *)"cg";
    o->scores_train_tol = DUET_EMBEDDED_SCORING_TRAIN_TOL;
    o->scores_threads = 0;
    o->feature_dim = 32;
}

/* ------------------------------------------------------------------ opening */

static int file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Resolves the pool option to an existing path in *out (owned), or explains how to make it. */
static duet_status resolve_pool(const char *pool, const duet_backend_env *env, char **out,
                                duet_error *err)
{
    char name[1024], tried[2][2048] = {"", ""};
    int is_path = strchr(pool, '/') != NULL || strstr(pool, ".h5") != NULL;
    snprintf(name, sizeof name, is_path ? "%s" : "%s.h5", pool);
    const char *chosen = NULL;
    if (name[0] == '/') {
        chosen = file_exists(name) ? name : NULL;
        snprintf(tried[0], sizeof tried[0], "%s", name);
    } else {
        const char *bases[2] = {env ? env->data_dir : NULL, env ? env->script_dir : NULL};
        for (int i = 0; i < 2 && chosen == NULL; i++) {
            if (bases[i] == NULL || bases[i][0] == '\0')
                continue;
            snprintf(tried[i], sizeof tried[i], "%s/%s", bases[i], name);
            if (file_exists(tried[i]))
                chosen = tried[i];
        }
        if (chosen == NULL && bases[0] == NULL && bases[1] == NULL && file_exists(name))
            chosen = name;
    }
    if (chosen == NULL && !is_path && duet_pool_preset_find(pool) == NULL)
        return duet_error_set(err, DUET_ENOTFOUND,
                              "pool file %s not found (looked for %s%s%s), and '%s' is not a "
                              "pool preset; use pool = \"main9\" (`make data` builds it), see "
                              "`duet data presets`, or give the path of a pool file",
                              name, tried[0][0] ? tried[0] : name, tried[1][0] ? " and " : "",
                              tried[1], pool);
    if (chosen == NULL)
        return duet_error_set(err, DUET_ENOTFOUND,
                              "pool file %s not found (looked for %s%s%s); create it with `make "
                              "data`, or with scripts/fetch-data.sh followed by `duet data "
                              "import --preset %s -o %s`",
                              name, tried[0][0] ? tried[0] : name, tried[1][0] ? " and " : "",
                              tried[1], is_path ? "main9" : pool, tried[0][0] ? tried[0] : name);
    *out = duet_strdup(chosen);
    return *out ? DUET_OK : duet_error_set(err, DUET_ENOMEM, "out of memory");
}

static void embedded_close(void *state)
{
    embedded_state *s = state;
    if (s == NULL)
        return;
    duet_embedded_items_close(s);
    duet_pool_free(s->pool);
    duet_free(s->pool_path);
    duet_free(s);
}

static duet_status embedded_open(const void *options, const duet_backend_env *env, void **state,
                                 duet_error *err)
{
    const duet_embedded_options *o = options;
    *state = NULL;
    embedded_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening the embedded backend");
    s->opt = *o;
    s->log = env ? env->log : NULL;
    duet_status status = resolve_pool(o->pool ? o->pool : "main9", env, &s->pool_path, err);
    if (status == DUET_OK)
        status = duet_pool_open(s->pool_path, &s->pool, err);
    if (status == DUET_OK)
        status = duet_embedded_items_open(s, o, err);
    if (status != DUET_OK) {
        embedded_close(s);
        return status;
    }
    s->opt.pool = s->pool_path;
    duet_logf(s->log, DUET_LOG_INFO, "embedded backend: pool %s with %zu domains (preset %s)",
              s->pool_path, duet_pool_domain_count(s->pool), duet_pool_preset_name(s->pool));
    *state = s;
    return DUET_OK;
}

static size_t embedded_domain_count(const void *state)
{
    return duet_pool_domain_count(((const embedded_state *)state)->pool);
}

static const char *embedded_domain_name(const void *state, size_t domain)
{
    return duet_pool_domain_name(((const embedded_state *)state)->pool, domain);
}

static uint64_t embedded_domain_size(const void *state, size_t domain)
{
    return duet_pool_records(((const embedded_state *)state)->pool, domain, DUET_SPLIT_TRAIN)->n;
}

/* ------------------------------------------------------------------ tasks */

static void embedded_task_close(void *state, void *task)
{
    (void)state;
    embedded_task *t = task;
    if (t == NULL)
        return;
    duet_charlm_free(t->lm);
    duet_postag_free(t->tagger);
    duet_free(t->name);
    duet_free(t->pool);
    duet_free(t->first);
    duet_free(t->theta);
    duet_free(t->set);
    duet_free(t->sample);
    duet_free(t->heldout_off);
    duet_free(t->heldout_idx);
    duet_free(t);
}

/* Appends "a, b, c" of every domain name (tagged ones only when tagged_only) to buf. */
static void list_domains(const duet_pool *pool, int tagged_only, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t d = 0; d < duet_pool_domain_count(pool) && used < size; d++) {
        if (tagged_only && !duet_pool_domain_tagged(pool, d))
            continue;
        used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                                 duet_pool_domain_name(pool, d));
    }
}

/* Checks the task options and resolves the evaluation domains. */
static duet_status task_check(const embedded_state *s, const char *name,
                              const duet_embedded_task_options *o, embedded_task *t,
                              duet_error *err)
{
    t->type = o->type;
    t->metric = o->metric == DUET_EMBEDDED_METRIC_DEFAULT
                    ? (o->type == DUET_EMBEDDED_LM ? DUET_EMBEDDED_BPC : DUET_EMBEDDED_ACCURACY)
                    : o->metric;
    if (t->type == DUET_EMBEDDED_POS && t->metric == DUET_EMBEDDED_BPC)
        return duet_error_set(err, DUET_EINVAL,
                              "task %s: metric bpc needs type lm; a pos task reports accuracy",
                              name);
    t->eval_size = (size_t)(o->eval_size >= 1 ? o->eval_size : s->opt.eval_size);
    t->temperature = o->temperature >= 0.0 ? o->temperature : s->opt.temperature;
    if (t->temperature > 0.0 && t->metric == DUET_EMBEDDED_BPC)
        return duet_error_set(err, DUET_EINVAL,
                              "task %s: temperature %g applies to accuracy only; bits per "
                              "character do not depend on it (set temperature = 0 or metric = "
                              "\"accuracy\")",
                              name, t->temperature);
    if (o->eval.n < 1 || o->eval.n > DUET_TASK_METRICS_MAX)
        return duet_error_set(err, DUET_EINVAL, "task %s: eval lists %zu domains; give 1 to %d",
                              name, o->eval.n, DUET_TASK_METRICS_MAX);
    for (size_t i = 0; i < o->eval.n; i++) {
        size_t d;
        char known[2048];
        int tagged_only = t->type == DUET_EMBEDDED_POS;
        if (!duet_pool_find(s->pool, o->eval.v[i], &d) ||
            (tagged_only && !duet_pool_domain_tagged(s->pool, d))) {
            list_domains(s->pool, tagged_only, known, sizeof known);
            return duet_error_set(err, DUET_ENOTFOUND,
                                  "task %s: evaluation domain \"%s\" is not a%s domain of pool "
                                  "%s; choose from: %s",
                                  name, o->eval.v[i], tagged_only ? " tagged" : "",
                                  duet_pool_path(s->pool), known);
        }
        t->eval_domain[t->n_eval++] = d;
    }
    return DUET_OK;
}

/* The pool: every (tagged, for pos) domain, without the evaluation domains when out-of-domain. */
static duet_status task_pool(const embedded_state *s, const char *name, int out_of_domain,
                             const duet_strings *train, embedded_task *t, duet_error *err)
{
    size_t n = duet_pool_domain_count(s->pool);
    for (size_t k = 0; k < train->n; k++) {
        int found = 0;
        for (size_t d = 0; d < n && !found; d++)
            found = strcmp(duet_pool_domain_name(s->pool, d), train->v[k]) == 0;
        if (!found)
            return duet_error_set(err, DUET_ENOTFOUND,
                                  "task %s: training domain '%s' is not in %s; `duet data "
                                  "presets` lists the domains",
                                  name, train->v[k], duet_pool_path(s->pool));
    }
    t->pool = duet_malloc((n + 1) * sizeof *t->pool);
    t->first = duet_malloc((n + 2) * sizeof *t->first);
    if (t->pool == NULL || t->first == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening task %s", name);
    t->first[0] = 0;
    for (size_t d = 0; d < n; d++) {
        int is_eval = 0;
        for (size_t e = 0; e < t->n_eval; e++)
            is_eval |= t->eval_domain[e] == d;
        int listed = train->n == 0;
        for (size_t k = 0; k < train->n && !listed; k++)
            listed = strcmp(duet_pool_domain_name(s->pool, d), train->v[k]) == 0;
        if ((out_of_domain && is_eval) || !listed ||
            (t->type == DUET_EMBEDDED_POS && !duet_pool_domain_tagged(s->pool, d)))
            continue;
        t->pool[t->n_pool] = d;
        t->first[t->n_pool + 1] =
            t->first[t->n_pool] + duet_pool_records(s->pool, d, DUET_SPLIT_TRAIN)->n;
        t->n_pool++;
    }
    if (t->n_pool == 0)
        return duet_error_set(err, DUET_EINVAL,
                              "task %s: no training domain is left in the pool once the "
                              "evaluation domains are removed; use setting = \"in-domain\" or "
                              "fewer evaluation domains",
                              name);
    return DUET_OK;
}

/* Builds the task's model over the training splits of its pool, and the scratch buffers. */
static duet_status task_model(const embedded_state *s, embedded_task *t, duet_error *err)
{
    const duet_records *lists[256];
    if (t->n_pool > sizeof lists / sizeof lists[0])
        return duet_error_set(err, DUET_ELIMIT, "the embedded backend handles at most %zu domains",
                              sizeof lists / sizeof lists[0]);
    for (size_t i = 0; i < t->n_pool; i++)
        lists[i] = duet_pool_records(s->pool, t->pool[i], DUET_SPLIT_TRAIN);
    const duet_embedded_options *o = &s->opt;
    duet_status status;
    if (t->type == DUET_EMBEDDED_LM) {
        duet_charlm_config c = {(size_t)o->buckets,
                                (unsigned)o->orders,
                                (size_t)o->max_chars,
                                {o->l2, (size_t)o->max_iter, 8, 1}};
        status = duet_charlm_new(&c, lists, t->n_pool, &t->lm, err);
        if (status == DUET_OK)
            t->model = duet_charlm_diffmodel(t->lm);
    } else {
        duet_postag_config c = {(size_t)o->pos_buckets, {o->pos_l2, (size_t)o->pos_max_iter, 8, 1}};
        status = duet_postag_new(&c, lists, t->n_pool, &t->tagger, err);
        if (status == DUET_OK)
            t->model = duet_postag_diffmodel(t->tagger);
    }
    if (status != DUET_OK)
        return status;
    size_t largest = 1;
    for (size_t e = 0; e < t->n_eval; e++) {
        size_t n = duet_pool_records(s->pool, t->eval_domain[e], DUET_SPLIT_EVAL)->n;
        largest = n > largest ? n : largest;
    }
    t->theta = duet_malloc(t->model.n_params * sizeof *t->theta);
    t->set = duet_malloc(((size_t)t->first[t->n_pool] + 1) * sizeof *t->set);
    t->sample = duet_malloc(largest * sizeof *t->sample);
    if (t->theta == NULL || t->set == NULL || t->sample == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for a model of %zu parameters",
                              t->model.n_params);
    t->tol = o->tol;
    return DUET_OK;
}

static duet_status embedded_task_open(void *state, const char *name, const void *task_options,
                                      uint64_t points, void **task, duet_task_info *info,
                                      duet_error *err)
{
    embedded_state *s = state;
    const duet_embedded_task_options *o = task_options;
    *task = NULL;
    embedded_task *t = duet_calloc(1, sizeof *t);
    if (t == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening task %s", name);
    t->name = duet_strdup(name);
    duet_status status = t->name ? DUET_OK : duet_error_set(err, DUET_ENOMEM, "out of memory");
    if (status == DUET_OK)
        status = task_check(s, name, o, t, err);
    if (status == DUET_OK)
        status = task_pool(s, name, o->setting == DUET_EMBEDDED_OUT_OF_DOMAIN, &o->train, t, err);
    if (status == DUET_OK)
        status = task_model(s, t, err);
    if (status != DUET_OK) {
        embedded_task_close(s, t);
        return status;
    }
    memset(info, 0, sizeof *info);
    info->n_pool = t->n_pool;
    info->pool = t->pool;
    info->goal = t->metric == DUET_EMBEDDED_BPC ? DUET_GOAL_MINIMIZE : DUET_GOAL_MAXIMIZE;
    info->metric = t->metric == DUET_EMBEDDED_BPC ? "bits per character"
                   : t->type == DUET_EMBEDDED_LM  ? "next-character accuracy"
                                                  : "tagging accuracy";
    info->optimum_known = 0;
    info->optimum = NAN;
    info->optimum_ratios = NULL;
    duet_logf(s->log, DUET_LOG_INFO,
              "embedded task %s: %s, %zu training domains with %llu records, %zu parameters", name,
              info->metric, t->n_pool, (unsigned long long)t->first[t->n_pool], t->model.n_params);
    *task = t;
    return DUET_OK;
}

/* ------------------------------------------------------------------ evaluation */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Copies the subset into t->set as model example indices. */
static duet_status subset_examples(const embedded_task *t, const duet_subset *subset, size_t *n_set,
                                   duet_error *err)
{
    if (subset->n_domains != t->n_pool)
        return duet_error_set(err, DUET_EINVAL,
                              "task %s: the subset has %zu domains but the task's pool has %zu",
                              t->name, subset->n_domains, t->n_pool);
    size_t n = 0;
    for (size_t i = 0; i < t->n_pool; i++) {
        uint64_t size = t->first[i + 1] - t->first[i];
        for (uint64_t k = subset->offset[i]; k < subset->offset[i + 1]; k++) {
            if (subset->items[k] >= size)
                return duet_error_set(err, DUET_EINVAL,
                                      "task %s: item %llu of pool domain %zu is past its %llu "
                                      "training records",
                                      t->name, (unsigned long long)subset->items[k], i,
                                      (unsigned long long)size);
            t->set[n++] = t->first[i] + subset->items[k];
        }
    }
    if (n == 0)
        return duet_error_set(err, DUET_EINVAL, "task %s: the training subset is empty", t->name);
    *n_set = n;
    return DUET_OK;
}

/* Scores the trained model on a sample of one evaluation domain; returns the metric. */
static duet_status score_domain(const embedded_state *s, embedded_task *t, size_t domain,
                                duet_rng *rng, double *metric, duet_error *err)
{
    const duet_records *r = duet_pool_records(s->pool, domain, DUET_SPLIT_EVAL);
    if (r->n == 0)
        return duet_error_set(err, DUET_EFORMAT, "task %s: domain %s has an empty eval split",
                              t->name, duet_pool_domain_name(s->pool, domain));
    size_t k = t->eval_size < r->n ? t->eval_size : r->n;
    duet_rng_choose(rng, r->n, k, t->sample);
    duet_status status;
    if (t->type == DUET_EMBEDDED_LM) {
        duet_charlm_score sc = {0, 0, 0};
        status = duet_charlm_score_records(t->lm, t->theta, r, t->sample, k, t->temperature, rng,
                                           &sc, err);
        *metric = t->metric == DUET_EMBEDDED_BPC ? sc.bits / sc.chars : sc.correct / sc.chars;
    } else {
        duet_postag_score sc = {0, 0, 0};
        status = duet_postag_score_records(t->tagger, t->theta, r, t->sample, k, t->temperature,
                                           rng, &sc, err);
        *metric = sc.correct / sc.tokens;
    }
    if (status == DUET_OK && !isfinite(*metric))
        status = duet_error_set(err, DUET_ENUMERIC,
                                "task %s: the metric on domain %s is not finite (no characters "
                                "or tokens were scored?)",
                                t->name, duet_pool_domain_name(s->pool, domain));
    return status;
}

static duet_status embedded_evaluate(void *state, void *task, const duet_subset *subset,
                                     uint64_t seed, duet_eval_result *out, duet_error *err)
{
    embedded_state *s = state;
    embedded_task *t = task;
    double start = seconds_now();
    size_t n_set = 0;
    duet_status status = subset_examples(t, subset, &n_set, err);
    if (status != DUET_OK)
        return status;
    duet_rng train_rng, eval_rng;
    duet_rng_init(&train_rng, duet_seed_label(seed, "embedded:train"));
    duet_rng_init(&eval_rng, duet_seed_label(seed, "embedded:eval"));
    memset(t->theta, 0, t->model.n_params * sizeof *t->theta);
    status = t->model.train(t->model.self, t->set, n_set, t->tol, &train_rng, t->theta, err);
    if (status != DUET_OK)
        return duet_error_prefix(err, "task %s", t->name);
    memset(out, 0, sizeof *out);
    double sum = 0.0;
    for (size_t e = 0; e < t->n_eval && status == DUET_OK; e++) {
        status = score_domain(s, t, t->eval_domain[e], &eval_rng, &out->metrics[e], err);
        sum += out->metrics[e];
    }
    if (status != DUET_OK)
        return status;
    out->n_metrics = t->n_eval;
    out->feedback = sum / (double)t->n_eval;
    out->value = NAN;
    out->seconds = seconds_now() - start;
    duet_logf(s->log, DUET_LOG_DEBUG, "embedded task %s: %zu records, feedback %.6f in %.3f s",
              t->name, n_set, out->feedback, out->seconds);
    return DUET_OK;
}

const duet_backend_type duet_backend_embedded = {
    .name = "embedded",
    .summary = "real text domains (Brown, WordNet, mail, KJV, FOLDOC, Jargon) with a character "
               "language model or POS tagger trained on CPU per evaluation",
    .options = embedded_option_table,
    .options_size = sizeof(duet_embedded_options),
    .task_options = embedded_task_option_table,
    .task_options_size = sizeof(duet_embedded_task_options),
    .open = embedded_open,
    .close = embedded_close,
    .domain_count = embedded_domain_count,
    .domain_name = embedded_domain_name,
    .domain_size = embedded_domain_size,
    .task_open = embedded_task_open,
    .task_close = embedded_task_close,
    .evaluate = embedded_evaluate,
    .item_scores = duet_embedded_item_scores,
    .item_features = duet_embedded_item_features,
    .proxy_open = duet_embedded_proxy_open,
    .proxy_step = duet_embedded_proxy_step,
    .proxy_heldout = duet_embedded_proxy_heldout,
    .proxy_clone = duet_embedded_proxy_clone,
    .proxy_close = duet_embedded_proxy_close,
};
