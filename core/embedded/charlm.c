/*
 * The character model. Invariant: sym[off[i] .. off[i+1]) contains the classes of the first
 * max_chars bytes of example i, and every feature row index is below buckets + 1.
 */
#include "embedded/charlm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embedded/mlr_model.h"
#include "util/mem.h"

/* Symbol that pads the context before the first character of a record. */
#define START_SYMBOL DUET_CHARLM_CLASSES
#define SYMBOL_BITS  7

struct duet_charlm {
    duet_charlm_config cfg;
    size_t n_examples;
    uint8_t *sym;   /* encoded characters of all examples */
    uint64_t *off;  /* [n_examples + 1] */
    uint64_t *keys; /* scratch for batch building: one key per position */
    uint64_t *keys_tmp;
    size_t keys_cap;
    size_t radix_count[65536 + 1]; /* digit histogram of radix_sort */
    duet_mlr_model model;
};

unsigned duet_charlm_class(unsigned char byte)
{
    return byte >= 32 && byte < 127 ? (unsigned)(byte - 32) : DUET_CHARLM_CLASSES - 1;
}

/* SplitMix64 finalizer: a well-mixed hash of a 64-bit value. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* Feature rows of a packed context: one hashed row per order, then the bias row. */
static size_t context_features(const duet_charlm_config *cfg, uint64_t context, uint32_t *feat)
{
    for (unsigned k = 1; k <= cfg->orders; k++) {
        uint64_t mask = k * SYMBOL_BITS >= 64 ? ~0ull : (1ull << (k * SYMBOL_BITS)) - 1;
        feat[k - 1] =
            (uint32_t)(mix64((context & mask) * 0x9e3779b97f4a7c15ull + k) % cfg->buckets);
    }
    feat[cfg->orders] = (uint32_t)cfg->buckets;
    return cfg->orders + 1;
}

/* Shifts symbol s into a packed context of `orders` symbols (newest in the low bits). */
static uint64_t push_symbol(uint64_t context, unsigned s, unsigned orders)
{
    uint64_t mask = orders * SYMBOL_BITS >= 64 ? ~0ull : (1ull << (orders * SYMBOL_BITS)) - 1;
    return ((context << SYMBOL_BITS) | s) & mask;
}

static uint64_t start_context(unsigned orders)
{
    uint64_t c = 0;
    for (unsigned k = 0; k < orders; k++)
        c = (c << SYMBOL_BITS) | START_SYMBOL;
    return c;
}

static int compare_keys(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/*
 * Sorts keys[0..n) ascending by LSD radix sort on 16-bit digits, using tmp of n entries. Below
 * RADIX_MIN_KEYS keys a comparison sort is cheaper than clearing the 65,537-entry histogram per
 * digit, which matters when one record is batched alone (per-example gradients in scoring).
 */
#define RADIX_MIN_KEYS 4096
static void radix_sort(uint64_t *keys, uint64_t *tmp, size_t n, unsigned bits, size_t *count)
{
    if (n < RADIX_MIN_KEYS) {
        qsort(keys, n, sizeof *keys, compare_keys);
        return;
    }
    for (unsigned shift = 0; shift < bits; shift += 16) {
        memset(count, 0, (65536 + 1) * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[((keys[i] >> shift) & 0xffff) + 1]++;
        for (size_t d = 0; d < 65536; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            tmp[count[(keys[i] >> shift) & 0xffff]++] = keys[i];
        memcpy(keys, tmp, n * sizeof *keys);
    }
}

/*
 * Builds the groups of a set: one key (context << 8 | next class) per position, sorted, so
 * that equal keys are counted together and equal contexts are adjacent.
 */
static duet_status build_batch(void *owner, const uint64_t *set, size_t n_set, duet_mlr_batch *out,
                               duet_error *err)
{
    duet_charlm *m = owner;
    size_t positions = 0;
    for (size_t i = 0; i < n_set; i++)
        positions += (size_t)(m->off[set[i] + 1] - m->off[set[i]]);
    if (positions > m->keys_cap) {
        duet_free(m->keys);
        duet_free(m->keys_tmp);
        int overflow;
        size_t bytes = duet_mul_size(positions, sizeof *m->keys, &overflow);
        m->keys = overflow ? NULL : duet_malloc(bytes);
        m->keys_tmp = overflow ? NULL : duet_malloc(bytes);
        m->keys_cap = m->keys && m->keys_tmp ? positions : 0;
        if (m->keys_cap == 0)
            return duet_error_set(err, DUET_ENOMEM, "out of memory for %zu character positions",
                                  positions);
    }
    unsigned orders = m->cfg.orders;
    size_t n = 0;
    for (size_t i = 0; i < n_set; i++) {
        uint64_t context = start_context(orders);
        for (uint64_t t = m->off[set[i]]; t < m->off[set[i] + 1]; t++) {
            m->keys[n++] = context << 8 | m->sym[t];
            context = push_symbol(context, m->sym[t], orders);
        }
    }
    radix_sort(m->keys, m->keys_tmp, n, orders * SYMBOL_BITS + 8, m->radix_count);

    uint32_t feat[DUET_CHARLM_MAX_ORDER + 1];
    uint16_t classes[DUET_CHARLM_CLASSES];
    double counts[DUET_CHARLM_CLASSES];
    size_t i = 0;
    duet_status status = DUET_OK;
    while (i < n && status == DUET_OK) {
        uint64_t context = m->keys[i] >> 8;
        size_t n_counts = 0;
        while (i < n && m->keys[i] >> 8 == context) {
            uint64_t key = m->keys[i];
            size_t run = 0;
            while (i < n && m->keys[i] == key) {
                run++;
                i++;
            }
            classes[n_counts] = (uint16_t)(key & 0xff);
            counts[n_counts++] = (double)run;
        }
        size_t nf = context_features(&m->cfg, context, feat);
        status = duet_mlr_batch_add(out, feat, nf, classes, counts, n_counts, err);
    }
    return status;
}

static duet_status check_config(const duet_charlm_config *c, duet_error *err)
{
    if (c->buckets < 1 || c->buckets > (1u << 26))
        return duet_error_set(err, DUET_EINVAL,
                              "character model: buckets = %zu; use 1 to 67108864 (2^26)",
                              c->buckets);
    if (c->orders < 1 || c->orders > DUET_CHARLM_MAX_ORDER)
        return duet_error_set(err, DUET_EINVAL, "character model: orders = %u; use 1 to %d",
                              c->orders, DUET_CHARLM_MAX_ORDER);
    if (c->max_chars < 1)
        return duet_error_set(err, DUET_EINVAL, "character model: max_chars must be positive");
    return duet_mlr_fit_check(&c->fit, "character model", err);
}

duet_status duet_charlm_new(const duet_charlm_config *config, const duet_records *const *lists,
                            size_t n_lists, duet_charlm **out, duet_error *err)
{
    *out = NULL;
    duet_status status = check_config(config, err);
    if (status != DUET_OK)
        return status;
    size_t n = 0, chars = 0;
    for (size_t l = 0; l < n_lists; l++) {
        n += lists[l]->n;
        for (size_t i = 0; i < lists[l]->n; i++) {
            size_t len = duet_records_len(lists[l], i);
            chars += len < config->max_chars ? len : config->max_chars;
        }
    }
    duet_charlm *m = duet_calloc(1, sizeof *m);
    if (m == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory for the character model");
    m->cfg = *config;
    m->n_examples = n;
    m->sym = duet_malloc(chars + 1);
    m->off = duet_malloc((n + 1) * sizeof *m->off);
    if (m->sym == NULL || m->off == NULL) {
        duet_charlm_free(m);
        return duet_error_set(err, DUET_ENOMEM, "out of memory encoding %zu characters", chars);
    }
    size_t e = 0, t = 0;
    m->off[0] = 0;
    for (size_t l = 0; l < n_lists; l++) {
        for (size_t i = 0; i < lists[l]->n; i++) {
            size_t len = duet_records_len(lists[l], i);
            const unsigned char *text = (const unsigned char *)duet_records_text(lists[l], i);
            for (size_t k = 0; k < len && k < config->max_chars; k++)
                m->sym[t++] = (uint8_t)duet_charlm_class(text[k]);
            m->off[++e] = t;
        }
    }
    duet_mlr_model_init(&m->model, m, build_batch, "character model", n, DUET_CHARLM_CLASSES,
                        config->buckets + 1, &config->fit);
    *out = m;
    return DUET_OK;
}

void duet_charlm_free(duet_charlm *m)
{
    if (m == NULL)
        return;
    duet_mlr_model_release(&m->model);
    duet_free(m->sym);
    duet_free(m->off);
    duet_free(m->keys);
    duet_free(m->keys_tmp);
    duet_free(m);
}

size_t duet_charlm_n_params(const duet_charlm *m)
{
    return m->model.n_params;
}

size_t duet_charlm_n_examples(const duet_charlm *m)
{
    return m->n_examples;
}

duet_diffmodel duet_charlm_diffmodel(duet_charlm *m)
{
    return duet_mlr_model_diffmodel(&m->model);
}

void duet_charlm_last_train(const duet_charlm *m, size_t *iterations, double *grad_norm)
{
    *iterations = m->model.last_train.iterations;
    *grad_norm = m->model.last_train.grad_norm;
}

duet_status duet_charlm_score_records(const duet_charlm *m, const double *theta,
                                      const duet_records *r, const size_t *idx, size_t n_idx,
                                      double temperature, duet_rng *rng, duet_charlm_score *out,
                                      duet_error *err)
{
    if (temperature < 0.0 || (temperature > 0.0 && rng == NULL))
        return duet_error_set(err, DUET_EINVAL,
                              "character model: temperature %g needs to be 0, or positive with "
                              "a random stream",
                              temperature);
    const size_t C = DUET_CHARLM_CLASSES;
    unsigned orders = m->cfg.orders;
    uint32_t feat[DUET_CHARLM_MAX_ORDER + 1];
    double p[DUET_CHARLM_CLASSES];
    for (size_t j = 0; j < n_idx; j++) {
        size_t i = idx[j];
        const unsigned char *text = (const unsigned char *)duet_records_text(r, i);
        size_t len = duet_records_len(r, i);
        uint64_t context = start_context(orders);
        for (size_t t = 0; t < len && t < m->cfg.max_chars; t++) {
            unsigned y = duet_charlm_class(text[t]);
            size_t nf = context_features(&m->cfg, context, feat);
            duet_mlr_logits(theta, C, feat, nf, p);
            duet_mlr_softmax(p, C);
            out->bits -= log2(p[y]);
            out->chars += 1.0;
            out->correct += duet_mlr_predict(p, C, temperature, rng) == y;
            context = push_symbol(context, y, orders);
        }
    }
    return DUET_OK;
}
