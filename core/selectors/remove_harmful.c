/*
 * The `remove_harmful` selector: drops the floor(q * size) items with the lowest raw influence
 * scores of each domain (ties broken toward dropping the higher index), then samples uniformly
 * without replacement from the rest. This is the rule as the DUET paper states it, applied to
 * raw scores (no shift), so exactly that many items are removed.
 *
 * Invariant: the kept items of each domain are fixed at create() and listed in increasing index
 * order; draws only choose among them.
 */
#include <stddef.h>
#include <stdio.h>

#include "selectors/selector_common.h"
#include "selectors/selectors.h"
#include "util/mem.h"

typedef struct remove_harmful_state {
    duet_selector_base base;
    double q;
    uint64_t **kept; /* [n][n_kept[i]] kept item indices, increasing */
    uint64_t *n_kept;
    size_t *pick; /* scratch for one domain's positions in kept */
} remove_harmful_state;

static void remove_harmful_destroy(void *state)
{
    remove_harmful_state *s = state;
    if (s == NULL)
        return;
    for (size_t i = 0; s->kept != NULL && i < s->base.n; i++)
        duet_free(s->kept[i]);
    duet_free(s->kept);
    duet_free(s->n_kept);
    duet_free(s->pick);
    duet_selector_base_free(&s->base);
    duet_free(s);
}

/* Marks the floor(q n) lowest scores as dropped and lists the others in index order. */
static duet_status keep_domain(remove_harmful_state *s, size_t i, duet_error *err)
{
    size_t n = (size_t)s->base.sizes[i];
    size_t drop = (size_t)(s->q * (double)n);
    uint64_t *order = duet_malloc(n * sizeof *order);
    unsigned char *dropped = duet_calloc(n ? n : 1, 1);
    s->kept[i] = duet_malloc((n - drop) * sizeof **s->kept);
    duet_status st = DUET_OK;
    if (order == NULL || dropped == NULL || s->kept[i] == NULL) {
        st = duet_error_set(err, DUET_ENOMEM, "selector remove_harmful: no memory");
        goto done;
    }
    /* The top n - drop in decreasing order are kept; the remaining tail is dropped. */
    st = duet_selector_top_k(s->base.scores[i], n, n, order, err);
    if (st != DUET_OK)
        goto done;
    for (size_t j = n - drop; j < n; j++)
        dropped[order[j]] = 1;
    s->n_kept[i] = 0;
    for (size_t j = 0; j < n; j++) {
        if (!dropped[j])
            s->kept[i][s->n_kept[i]++] = j;
    }
done:
    duet_free(order);
    duet_free(dropped);
    return st;
}

static duet_status remove_harmful_create(const duet_selector_env *env, const void *options,
                                         void **state, duet_error *err)
{
    const duet_selector_remove_harmful_options *opt = options;
    *state = NULL;
    remove_harmful_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL)
        return duet_error_set(err, DUET_ENOMEM, "selector remove_harmful: no memory");
    duet_status st = duet_selector_base_init(&s->base, env, "remove_harmful", "influence", err);
    if (st != DUET_OK) {
        duet_free(s);
        return st;
    }
    s->q = opt->q;
    s->kept = duet_calloc(env->n, sizeof *s->kept);
    s->n_kept = duet_calloc(env->n, sizeof *s->n_kept);
    uint64_t largest = 1;
    for (size_t i = 0; i < env->n; i++)
        largest = s->base.sizes[i] > largest ? s->base.sizes[i] : largest;
    s->pick = duet_malloc((size_t)largest * sizeof *s->pick);
    if (s->kept == NULL || s->n_kept == NULL || s->pick == NULL) {
        remove_harmful_destroy(s);
        return duet_error_set(err, DUET_ENOMEM, "selector remove_harmful: no memory");
    }
    for (size_t i = 0; i < env->n && st == DUET_OK; i++)
        st = keep_domain(s, i, err);
    if (st != DUET_OK) {
        remove_harmful_destroy(s);
        return st;
    }
    *state = s;
    return DUET_OK;
}

static duet_status remove_harmful_draw(void *state, duet_rng *rng, duet_subset *out, double *ess,
                                       duet_error *err)
{
    remove_harmful_state *s = state;
    char what[96];
    snprintf(what, sizeof what, "items kept after removing the lowest %g%%", 100.0 * s->q);
    for (size_t i = 0; i < s->base.n; i++) {
        duet_status st = duet_selector_check_count(&s->base, out, i, s->n_kept[i], what, err);
        if (st != DUET_OK)
            return st;
        size_t k = (size_t)out->counts[i];
        duet_rng_choose(rng, (size_t)s->n_kept[i], k, s->pick);
        for (size_t j = 0; j < k; j++)
            out->items[out->offset[i] + j] = s->kept[i][s->pick[j]];
        ess[i] = (double)s->n_kept[i];
    }
    return DUET_OK;
}

static const duet_option remove_harmful_options[] = {
    {"q", DUET_OPT_DOUBLE, offsetof(duet_selector_remove_harmful_options, q), "0.2", 0, 0.999, NULL,
     "fraction of each domain dropped, lowest raw influence scores first"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

const duet_selector_type duet_selector_remove_harmful = {
    .name = "remove_harmful",
    .summary = "drop the lowest-influence fraction q of each domain, then sample uniformly",
    .needs = DUET_SELECTOR_NEEDS_SCORES,
    .options = remove_harmful_options,
    .options_size = sizeof(duet_selector_remove_harmful_options),
    .create = remove_harmful_create,
    .destroy = remove_harmful_destroy,
    .draw = remove_harmful_draw,
};
