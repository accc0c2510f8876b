/*
 * The training benchmark. Each repeat draws its training records with a stream derived from
 * the seed and the repeat index. The fastText comparison writes the tagger's first training
 * sample and its evaluation sample to temporary files as one classification example per token.
 * Invariant: those files are removed on every exit path.
 */
#include "bench/bench_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "data/pool.h"
#include "data/tagset.h"
#include "embedded/charlm.h"
#include "embedded/postag.h"
#include "util/mem.h"
#include "util/rng.h"

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct bench_data {
    const duet_records *lists[256];
    size_t n_lists;
    const duet_records *eval;
    size_t total;
} bench_data;

/* The training splits of every (tagged) domain and the eval split of the first one. */
static duet_status gather(const duet_pool *pool, int tagged_only, bench_data *d, duet_error *err)
{
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < duet_pool_domain_count(pool) && d->n_lists < 256; i++) {
        if (tagged_only && !duet_pool_domain_tagged(pool, i))
            continue;
        if (d->eval == NULL)
            d->eval = duet_pool_records(pool, i, DUET_SPLIT_EVAL);
        d->lists[d->n_lists++] = duet_pool_records(pool, i, DUET_SPLIT_TRAIN);
        d->total += duet_pool_records(pool, i, DUET_SPLIT_TRAIN)->n;
    }
    if (d->n_lists == 0)
        return duet_error_set(err, DUET_EINVAL, "pool %s has no %sdomains", duet_pool_path(pool),
                              tagged_only ? "tagged " : "");
    return DUET_OK;
}

/* Draws `points` training examples and `eval` evaluation records for repeat r. */
static void draw(const duet_bench_train_config *c, const bench_data *d, size_t r, uint64_t *set,
                 size_t *scratch, size_t n_set, size_t *sample, size_t n_sample)
{
    duet_rng rng;
    duet_rng_init(&rng, duet_seed_index(duet_seed_label(c->seed, "bench:train"), r));
    duet_rng_choose(&rng, d->total, n_set, scratch);
    for (size_t i = 0; i < n_set; i++)
        set[i] = scratch[i];
    duet_rng_choose(&rng, d->eval->n, n_sample, sample);
}

/* The list holding example e of the concatenated lists; *record is its index in that list. */
static const duet_records *locate(const bench_data *d, uint64_t e, size_t *record)
{
    size_t l = 0;
    while (e >= d->lists[l]->n)
        e -= d->lists[l++]->n;
    *record = (size_t)e;
    return d->lists[l];
}

/* Units (characters or tokens) in the examples of set, in the concatenated lists. */
static double count_units(const bench_data *d, const uint64_t *set, size_t n, int tokens,
                          size_t max_chars)
{
    double units = 0.0;
    for (size_t i = 0; i < n; i++) {
        size_t e;
        const duet_records *list = locate(d, set[i], &e);
        size_t len = duet_records_len(list, e);
        if (!tokens) {
            units += (double)(len < max_chars ? len : max_chars);
            continue;
        }
        const char *s = duet_records_text(list, e);
        for (size_t k = 0; k < len; k++)
            units += s[k] != ' ' && (k == 0 || s[k - 1] == ' ');
    }
    return units;
}

static duet_status run_model(const duet_bench_train_config *c, const bench_data *d, int tagger,
                             duet_bench_train_row *row, duet_error *err)
{
    const duet_embedded_options *o = &c->options;
    duet_charlm *lm = NULL;
    duet_postag *tg = NULL;
    duet_diffmodel m;
    duet_status status;
    if (tagger) {
        duet_postag_config pc = {(size_t)o->pos_buckets,
                                 {o->pos_l2, (size_t)o->pos_max_iter, 8, 1}};
        status = duet_postag_new(&pc, d->lists, d->n_lists, &tg, err);
    } else {
        duet_charlm_config lc = {(size_t)o->buckets,
                                 (unsigned)o->orders,
                                 (size_t)o->max_chars,
                                 {o->l2, (size_t)o->max_iter, 8, 1}};
        status = duet_charlm_new(&lc, d->lists, d->n_lists, &lm, err);
    }
    if (status != DUET_OK)
        return status;
    m = tagger ? duet_postag_diffmodel(tg) : duet_charlm_diffmodel(lm);
    size_t n_set = c->points < d->total ? (size_t)c->points : d->total;
    size_t n_sample = c->eval_size < d->eval->n ? c->eval_size : d->eval->n;
    uint64_t *set = duet_malloc((n_set + 1) * sizeof *set);
    size_t *scratch = duet_malloc((n_set + 1) * sizeof *scratch);
    size_t *sample = duet_malloc((n_sample + 1) * sizeof *sample);
    double *theta = duet_malloc(m.n_params * sizeof *theta);
    if (set == NULL || scratch == NULL || sample == NULL || theta == NULL)
        status = duet_error_set(err, DUET_ENOMEM, "out of memory for the training benchmark");
    memset(row, 0, sizeof *row);
    row->model = tagger ? "tagger" : "character model";
    row->unit = tagger ? "tokens" : "characters";
    row->metric = tagger ? "tagging accuracy" : "bits per character";
    row->n_params = m.n_params;
    for (size_t r = 0; r < c->repeats && status == DUET_OK; r++) {
        draw(c, d, r, set, scratch, n_set, sample, n_sample);
        memset(theta, 0, m.n_params * sizeof *theta);
        duet_rng rng;
        duet_rng_init(&rng, r);
        double t0 = seconds_now();
        status = m.train(m.self, set, n_set, o->tol, &rng, theta, err);
        double t1 = seconds_now();
        double metric = 0.0;
        if (status == DUET_OK && tagger) {
            duet_postag_score sc = {0, 0, 0};
            status = duet_postag_score_records(tg, theta, d->eval, sample, n_sample, 0.0, NULL, &sc,
                                               err);
            metric = sc.correct / sc.tokens;
        } else if (status == DUET_OK) {
            duet_charlm_score sc = {0, 0, 0};
            status = duet_charlm_score_records(lm, theta, d->eval, sample, n_sample, 0.0, NULL, &sc,
                                               err);
            metric = sc.bits / sc.chars;
        }
        double t2 = seconds_now();
        size_t iterations = 0;
        double grad_norm;
        if (tagger)
            duet_postag_last_train(tg, &iterations, &grad_norm);
        else
            duet_charlm_last_train(lm, &iterations, &grad_norm);
        row->examples = (double)n_set;
        row->units += count_units(d, set, n_set, tagger, (size_t)o->max_chars) / (double)c->repeats;
        row->train_seconds += (t1 - t0) / (double)c->repeats;
        row->eval_seconds += (t2 - t1) / (double)c->repeats;
        row->iterations += (double)iterations / (double)c->repeats;
        row->metric_value += metric / (double)c->repeats;
    }
    duet_free(set);
    duet_free(scratch);
    duet_free(sample);
    duet_free(theta);
    duet_charlm_free(lm);
    duet_postag_free(tg);
    return status;
}

/* ------------------------------------------------------------------ fastText */

/* Writes one fastText line per token: the coarse tag as label, then word-window features. */
static int write_tokens(FILE *f, const duet_records *r, size_t i, double *count)
{
    const char *text = duet_records_text(r, i), *tags = duet_records_tags(r, i);
    size_t n = duet_records_len(r, i), nt = duet_records_tags_len(r, i);
    char words[512][65];
    unsigned labels[512];
    size_t nw = 0, k = 0, t = 0;
    while (k < n && nw < 512) {
        size_t start = k;
        while (k < n && text[k] != ' ')
            k++;
        snprintf(words[nw], sizeof words[nw], "%.*s", (int)(k - start > 64 ? 64 : k - start),
                 text + start);
        size_t tstart = t;
        while (t < nt && tags[t] != ' ')
            t++;
        labels[nw++] = duet_tagset_from_brown(tags + tstart, t - tstart);
        k++;
        t++;
    }
    for (size_t w = 0; w < nw; w++) {
        const char *word = words[w];
        size_t len = strlen(word);
        const char *suffix = word + (len > 3 ? len - 3 : 0);
        if (fprintf(f, "__label__%s w=%s s=%s p=%s n=%s\n", duet_tagset_name(labels[w]), word,
                    suffix, w > 0 ? words[w - 1] : "<s>", w + 1 < nw ? words[w + 1] : "</s>") < 0)
            return 0;
        *count += 1.0;
    }
    return 1;
}

static duet_status run_fasttext(const duet_bench_train_config *c, const bench_data *d,
                                duet_bench_fasttext_row *out, duet_error *err)
{
    memset(out, 0, sizeof *out);
    char train[400], test[400], model[400], command[2048];
    const char *dir = c->tmp_dir ? c->tmp_dir : "/tmp";
    long pid = (long)getpid();
    snprintf(train, sizeof train, "%s/duet-fasttext-%ld.train", dir, pid);
    snprintf(test, sizeof test, "%s/duet-fasttext-%ld.test", dir, pid);
    snprintf(model, sizeof model, "%s/duet-fasttext-%ld", dir, pid);
    size_t n_set = c->points < d->total ? (size_t)c->points : d->total;
    size_t n_sample = c->eval_size < d->eval->n ? c->eval_size : d->eval->n;
    uint64_t *set = duet_malloc((n_set + 1) * sizeof *set);
    size_t *scratch = duet_malloc((n_set + 1) * sizeof *scratch);
    size_t *sample = duet_malloc((n_sample + 1) * sizeof *sample);
    FILE *ft = fopen(train, "w"), *fe = fopen(test, "w");
    duet_status status = DUET_OK;
    if (set == NULL || scratch == NULL || sample == NULL)
        status = duet_error_set(err, DUET_ENOMEM, "out of memory for the fastText comparison");
    else if (ft == NULL || fe == NULL)
        status = duet_error_set(err, DUET_EIO, "cannot write fastText input files in %s", dir);
    if (status == DUET_OK) {
        draw(c, d, 0, set, scratch, n_set, sample, n_sample);
        double ignored = 0.0;
        for (size_t i = 0; i < n_set; i++) {
            size_t e;
            const duet_records *list = locate(d, set[i], &e);
            write_tokens(ft, list, e, &out->examples);
        }
        for (size_t i = 0; i < n_sample; i++)
            write_tokens(fe, d->eval, sample[i], &ignored);
    }
    if (ft != NULL && fclose(ft) != 0 && status == DUET_OK)
        status = duet_error_set(err, DUET_EIO, "cannot write %s", train);
    if (fe != NULL && fclose(fe) != 0 && status == DUET_OK)
        status = duet_error_set(err, DUET_EIO, "cannot write %s", test);
    if (status == DUET_OK) {
        snprintf(out->command, sizeof out->command,
                 "%s supervised -input %s -output %s -epoch 5 -lr 0.5 -dim 50 -thread 1 -verbose 0",
                 c->fasttext, train, model);
        double t0 = seconds_now();
        int rc = system(out->command);
        out->train_seconds = seconds_now() - t0;
        snprintf(command, sizeof command, "%s test %s.bin %s 2>/dev/null", c->fasttext, model,
                 test);
        FILE *p = rc == 0 ? popen(command, "r") : NULL;
        char line[256];
        while (p != NULL && fgets(line, sizeof line, p) != NULL)
            if (strncmp(line, "P@1", 3) == 0)
                out->accuracy = atof(line + 3);
        out->available = p != NULL && pclose(p) == 0;
    }
    remove(train);
    remove(test);
    snprintf(command, sizeof command, "%s.bin", model);
    remove(command);
    duet_free(set);
    duet_free(scratch);
    duet_free(sample);
    return status;
}

duet_status duet_bench_train(const duet_bench_train_config *config, duet_bench_train_row rows[2],
                             duet_bench_fasttext_row *fasttext, duet_error *err)
{
    if (config->repeats < 1)
        return duet_error_set(err, DUET_EINVAL, "training benchmark: repeats must be positive");
    duet_pool *pool;
    duet_status status = duet_pool_open(config->pool_path, &pool, err);
    if (status != DUET_OK)
        return status;
    bench_data all, tagged;
    status = gather(pool, 0, &all, err);
    if (status == DUET_OK)
        status = run_model(config, &all, 0, &rows[0], err);
    if (status == DUET_OK)
        status = gather(pool, 1, &tagged, err);
    if (status == DUET_OK)
        status = run_model(config, &tagged, 1, &rows[1], err);
    memset(fasttext, 0, sizeof *fasttext);
    if (status == DUET_OK && config->fasttext != NULL)
        status = run_fasttext(config, &tagged, fasttext, err);
    duet_pool_free(pool);
    return status;
}
