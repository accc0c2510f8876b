/*
 * The tagger. Token features are computed once when the model is built. Invariant: token j of
 * the dataset has features feat[feat_off[j] .. feat_off[j+1]) (the bias row last) and tag
 * label[j]; example i owns tokens tok_off[i] .. tok_off[i+1].
 */
#include "embedded/postag.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "data/tagset.h"
#include "embedded/mlr_model.h"
#include "util/mem.h"

/* Features per token at most (see token_features). */
#define MAX_FEATURES 16
/* Bytes of a word that features look at; longer words are cut. */
#define WORD_MAX 64

struct duet_postag {
    duet_postag_config cfg;
    size_t n_examples, n_tokens;
    uint64_t *tok_off;  /* [n_examples + 1] */
    uint64_t *feat_off; /* [n_tokens + 1] */
    uint32_t *feat;
    uint8_t *label; /* [n_tokens] */
    duet_mlr_model model;
};

typedef struct word_view {
    const char *s;
    size_t n;
} word_view;

/* Hash of a feature: its kind (one letter) and its text. */
static uint32_t feature_row(const duet_postag_config *cfg, char kind, const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ (unsigned char)kind;
    h *= 0x100000001b3ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)tolower((unsigned char)s[i]);
        h *= 0x100000001b3ull;
    }
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return (uint32_t)(h % cfg->buckets);
}

static size_t suffix_features(const duet_postag_config *cfg, char kind, word_view w, size_t max_len,
                              uint32_t *feat)
{
    size_t n = 0;
    for (size_t k = 1; k <= max_len && k <= w.n; k++)
        feat[n++] = feature_row(cfg, (char)(kind + (char)k), w.s + w.n - k, k);
    return n;
}

/* Features of token i of a sentence with n words; returns their count (<= MAX_FEATURES). */
static size_t token_features(const duet_postag_config *cfg, const word_view *words, size_t n,
                             size_t i, uint32_t *feat)
{
    word_view w = words[i];
    size_t k = 0;
    feat[k++] = feature_row(cfg, 'w', w.s, w.n);
    k += suffix_features(cfg, 'a', w, 3, feat + k); /* kinds 'b', 'c', 'd' */
    feat[k++] = feature_row(cfg, 'p', w.s, w.n < 2 ? w.n : 2);
    int upper = 0, lower = 0, digit = 0, hyphen = 0;
    for (size_t j = 0; j < w.n; j++) {
        unsigned char c = (unsigned char)w.s[j];
        upper += isupper(c) != 0;
        lower += islower(c) != 0;
        digit += isdigit(c) != 0;
        hyphen += c == '-';
    }
    char shape[5] = {isupper((unsigned char)w.s[0]) ? 'C' : 'c',
                     lower == 0 && upper > 0 ? 'A' : 'a', digit ? 'D' : 'd', hyphen ? 'H' : 'h',
                     upper + lower + digit == 0 ? 'P' : 'p'};
    feat[k++] = feature_row(cfg, 's', shape, sizeof shape);
    if (i == 0)
        feat[k++] = feature_row(cfg, 'f', shape, 1);
    static const word_view start = {"<s>", 3}, end = {"</s>", 4};
    word_view prev = i > 0 ? words[i - 1] : start, next = i + 1 < n ? words[i + 1] : end;
    feat[k++] = feature_row(cfg, 'l', prev.s, prev.n);
    feat[k++] = feature_row(cfg, 'r', next.s, next.n);
    feat[k++] =
        feature_row(cfg, 'L', prev.s + (prev.n > 3 ? prev.n - 3 : 0), prev.n < 3 ? prev.n : 3);
    feat[k++] =
        feature_row(cfg, 'R', next.s + (next.n > 3 ? next.n - 3 : 0), next.n < 3 ? next.n : 3);
    feat[k++] = (uint32_t)cfg->buckets; /* bias */
    return k;
}

/* Splits s (n bytes) at single spaces into at most max views; returns the count. */
static size_t split_words(const char *s, size_t n, word_view *out, size_t max)
{
    size_t count = 0, start = 0;
    for (size_t i = 0; i <= n && count < max; i++) {
        if (i == n || s[i] == ' ') {
            if (i > start) {
                out[count].s = s + start;
                out[count].n = i - start > WORD_MAX ? WORD_MAX : i - start;
                count++;
            }
            start = i + 1;
        }
    }
    return count;
}

static size_t count_words(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += s[i] != ' ' && (i == 0 || s[i - 1] == ' ');
    return count;
}

static duet_status build_batch(void *owner, const uint64_t *set, size_t n_set, duet_mlr_batch *out,
                               duet_error *err)
{
    const duet_postag *m = owner;
    duet_status status = DUET_OK;
    double one = 1.0;
    for (size_t i = 0; i < n_set && status == DUET_OK; i++) {
        for (uint64_t j = m->tok_off[set[i]]; j < m->tok_off[set[i] + 1] && status == DUET_OK;
             j++) {
            uint16_t label = m->label[j];
            status = duet_mlr_batch_add(out, m->feat + m->feat_off[j],
                                        (size_t)(m->feat_off[j + 1] - m->feat_off[j]), &label, &one,
                                        1, err);
        }
    }
    return status;
}

/* Splits record i of r into words and coarse tags; fails when the counts differ. */
static duet_status record_tokens(const duet_records *r, size_t i, word_view *words, uint8_t *tags,
                                 size_t max, size_t *n, duet_error *err)
{
    size_t n_words = split_words(duet_records_text(r, i), duet_records_len(r, i), words, max);
    word_view tag_views[512];
    size_t n_tags = split_words(duet_records_tags(r, i), duet_records_tags_len(r, i), tag_views,
                                max < 512 ? max : 512);
    if (n_words != n_tags)
        return duet_error_set(err, DUET_EFORMAT,
                              "tagger: record %zu has %zu tokens but %zu tags; import the pool "
                              "again",
                              i, n_words, n_tags);
    for (size_t k = 0; k < n_words; k++)
        tags[k] = (uint8_t)duet_tagset_from_brown(tag_views[k].s, tag_views[k].n);
    *n = n_words;
    return DUET_OK;
}

static duet_status check_config(const duet_postag_config *c, duet_error *err)
{
    if (c->buckets < 1 || c->buckets > (1u << 26))
        return duet_error_set(err, DUET_EINVAL, "tagger: buckets = %zu; use 1 to 67108864 (2^26)",
                              c->buckets);
    return duet_mlr_fit_check(&c->fit, "tagger", err);
}

/* Tokens of a record at most; longer sentences are cut (the longest Brown sentence has 180). */
#define MAX_TOKENS 512

static duet_status encode(duet_postag *m, const duet_records *const *lists, size_t n_lists,
                          duet_error *err)
{
    word_view words[MAX_TOKENS];
    uint8_t tags[MAX_TOKENS];
    size_t e = 0, j = 0;
    m->tok_off[0] = 0;
    m->feat_off[0] = 0;
    for (size_t l = 0; l < n_lists; l++) {
        for (size_t i = 0; i < lists[l]->n; i++) {
            size_t n;
            duet_status status = record_tokens(lists[l], i, words, tags, MAX_TOKENS, &n, err);
            if (status != DUET_OK)
                return status;
            for (size_t k = 0; k < n; k++, j++) {
                size_t nf = token_features(&m->cfg, words, n, k, m->feat + m->feat_off[j]);
                m->feat_off[j + 1] = m->feat_off[j] + nf;
                m->label[j] = tags[k];
            }
            m->tok_off[++e] = j;
        }
    }
    m->n_tokens = j;
    return DUET_OK;
}

duet_status duet_postag_new(const duet_postag_config *config, const duet_records *const *lists,
                            size_t n_lists, duet_postag **out, duet_error *err)
{
    *out = NULL;
    duet_status status = check_config(config, err);
    if (status != DUET_OK)
        return status;
    size_t n = 0, tokens = 0;
    for (size_t l = 0; l < n_lists; l++) {
        if (!lists[l]->tagged)
            return duet_error_set(err, DUET_EINVAL,
                                  "tagger: record list %zu has no tags; part-of-speech tasks need "
                                  "tagged (Brown) domains",
                                  l);
        n += lists[l]->n;
        for (size_t i = 0; i < lists[l]->n; i++) {
            size_t words =
                count_words(duet_records_text(lists[l], i), duet_records_len(lists[l], i));
            tokens += words < MAX_TOKENS ? words : MAX_TOKENS;
        }
    }
    duet_postag *m = duet_calloc(1, sizeof *m);
    if (m == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for the tagger");
    m->cfg = *config;
    m->n_examples = n;
    m->tok_off = duet_malloc((n + 1) * sizeof *m->tok_off);
    m->feat_off = duet_malloc((tokens + 1) * sizeof *m->feat_off);
    m->feat = duet_malloc((tokens * MAX_FEATURES + 1) * sizeof *m->feat);
    m->label = duet_malloc(tokens + 1);
    if (m->tok_off == NULL || m->feat_off == NULL || m->feat == NULL || m->label == NULL)
        status = duet_error_set(err, DUET_ENOMEM, "out of memory for %zu tokens", tokens);
    if (status == DUET_OK)
        status = encode(m, lists, n_lists, err);
    if (status != DUET_OK) {
        duet_postag_free(m);
        return status;
    }
    duet_mlr_model_init(&m->model, m, build_batch, "tagger", n, DUET_TAGSET_SIZE,
                        config->buckets + 1, &config->fit);
    *out = m;
    return DUET_OK;
}

void duet_postag_free(duet_postag *m)
{
    if (m == NULL)
        return;
    duet_mlr_model_release(&m->model);
    duet_free(m->tok_off);
    duet_free(m->feat_off);
    duet_free(m->feat);
    duet_free(m->label);
    duet_free(m);
}

size_t duet_postag_n_params(const duet_postag *m)
{
    return m->model.n_params;
}

size_t duet_postag_n_examples(const duet_postag *m)
{
    return m->n_examples;
}

duet_diffmodel duet_postag_diffmodel(duet_postag *m)
{
    return duet_mlr_model_diffmodel(&m->model);
}

void duet_postag_last_train(const duet_postag *m, size_t *iterations, double *grad_norm)
{
    *iterations = m->model.last_train.iterations;
    *grad_norm = m->model.last_train.grad_norm;
}

duet_status duet_postag_score_records(const duet_postag *m, const double *theta,
                                      const duet_records *r, const size_t *idx, size_t n_idx,
                                      double temperature, duet_rng *rng, duet_postag_score *out,
                                      duet_error *err)
{
    if (temperature < 0.0 || (temperature > 0.0 && rng == NULL))
        return duet_error_set(err, DUET_EINVAL,
                              "tagger: temperature %g needs to be 0, or positive with a random "
                              "stream",
                              temperature);
    if (!r->tagged)
        return duet_error_set(err, DUET_EINVAL, "tagger: the evaluation records have no tags");
    word_view words[MAX_TOKENS];
    uint8_t tags[MAX_TOKENS];
    uint32_t feat[MAX_FEATURES];
    double p[DUET_TAGSET_SIZE];
    for (size_t j = 0; j < n_idx; j++) {
        size_t n;
        duet_status status = record_tokens(r, idx[j], words, tags, MAX_TOKENS, &n, err);
        if (status != DUET_OK)
            return status;
        for (size_t k = 0; k < n; k++) {
            size_t nf = token_features(&m->cfg, words, n, k, feat);
            duet_mlr_logits(theta, DUET_TAGSET_SIZE, feat, nf, p);
            duet_mlr_softmax(p, DUET_TAGSET_SIZE);
            out->nats -= log(p[tags[k]]);
            out->tokens += 1.0;
            out->correct += duet_mlr_predict(p, DUET_TAGSET_SIZE, temperature, rng) == tags[k];
        }
    }
    return DUET_OK;
}
