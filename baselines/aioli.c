/*
 * Aioli (Chen, Hu, Lourie, Cho and Re, "Aioli: A Unified Optimization Framework for Language
 * Model Data Mixing", ICLR 2025), run on a proxy model without any task feedback.
 *
 * Round r = 1 .. rounds:
 * 1. LearnParams: for each domain j, a copy of the proxy trains probe_steps steps on the probe
 *    mixture with share one_hot on j and (1 - one_hot) / (n - 1) on every other domain. The
 *    held-out loss decreases of every domain i form column j of D, averaged over probe_sweeps
 *    sweeps with fresh minibatches. The interaction matrix solves D = A W, W having the probe
 *    mixtures as rows (duet_aioli_interaction).
 * 2. With normalize, A is shifted by its minimum entry when that is negative and divided by its
 *    sum. With ema > 0 the matrix is smoothed, G = (1 - ema) A + ema G (G = A in round 1), and
 *    the mixture is p = uniform * exp(eta * column sums of G), normalized; with ema = 0 it is
 *    the multiplicative update p <- p * exp(eta * column sums of A). Both follow the authors'
 *    trainer, whose published runs use one_hot = 0.75, eta = 1, ema = 0.1, normalize on and
 *    two sweeps of 10 probe steps.
 * 3. The proxy trains round_steps steps on p.
 * The mixture is p averaged over the rounds, or with output = "final" the last p.
 *
 * Unlike the authors' trainer, whose probes continue training the model itself, the probes here
 * run on copies, so each starts from the round's proxy and the proxy's own data is all p-weighted.
 * The mixture is computed once in create() from streams derived from the task-level seed
 * (duet_proxy_seed: the same proxy run for every trial, memoized within a process); every
 * iteration proposes it (see proxy.h). It needs the backend's proxy training.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "baselines.h"
#include "proxy.h"
#include "util/mem.h"
#include "util/simplex.h"

enum { OUTPUT_AVERAGE = 0, OUTPUT_FINAL = 1 };

typedef struct aioli_options {
    int64_t rounds;
    int64_t round_steps;
    int64_t probe_steps;
    int64_t probe_sweeps;
    double one_hot;
    double eta;
    double ema;
    int normalize;
    int output;
} aioli_options;

static const duet_option aioli_option_table[] = {
    {"rounds", DUET_OPT_INT, offsetof(aioli_options, rounds), "10", 1, 100000, NULL,
     "rounds of probing and updating the mixture"},
    {"round_steps", DUET_OPT_INT, offsetof(aioli_options, round_steps), "20", 1, 1000000, NULL,
     "proxy training steps on the round's mixture"},
    {"probe_steps", DUET_OPT_INT, offsetof(aioli_options, probe_steps), "10", 1, 1000000, NULL,
     "training steps of each probe"},
    {"probe_sweeps", DUET_OPT_INT, offsetof(aioli_options, probe_sweeps), "2", 1, 1000, NULL,
     "probes of each domain per round, averaged"},
    {"one_hot", DUET_OPT_DOUBLE, offsetof(aioli_options, one_hot), "0.75", 0, 1, NULL,
     "share of the probed domain in a probe mixture (must exceed 1/n)"},
    {"eta", DUET_OPT_DOUBLE, offsetof(aioli_options, eta), "1", 0, 1e6, NULL,
     "step size of the exponentiated update"},
    {"ema", DUET_OPT_DOUBLE, offsetof(aioli_options, ema), "0.1", 0, 0.999, NULL,
     "weight of the previous smoothed interaction matrix; 0 gives the multiplicative update"},
    {"normalize", DUET_OPT_BOOL, offsetof(aioli_options, normalize), "true", 0, 0, NULL,
     "shift the interaction matrix to be non-negative and scale it to sum 1"},
    {"output", DUET_OPT_ENUM, offsetof(aioli_options, output), "average", 0, 0, "average|final",
     "the mixture: p averaged over the rounds, or the last p"},
    {NULL},
};

void duet_aioli_interaction(size_t n, double one_hot, const double *drops, double *A)
{
    /*
     * W = a I + b 1 1^T with b = (1 - one_hot) / (n - 1) and a = one_hot - b. Its rows sum to
     * a + n b = 1, so by Sherman-Morrison W^-1 = (I - b 1 1^T) / a, and A = D W^-1 (W symmetric).
     */
    double b = (1.0 - one_hot) / (double)(n - 1), a = one_hot - b;
    for (size_t i = 0; i < n; i++) {
        double row = 0.0;
        for (size_t j = 0; j < n; j++)
            row += drops[i * n + j];
        for (size_t k = 0; k < n; k++)
            A[i * n + k] = (drops[i * n + k] - b * row) / a;
    }
}

typedef struct aioli_run {
    const aioli_options *o;
    duet_proxy proxy;
    size_t n;
    uint64_t batches;
    double *A, *G, *drops; /* [n x n] */
    double *p, *probe, *start, *after, *step;
} aioli_run;

/* Trains a copy of the proxy on probe mixture j and adds its held-out decreases to column j. */
static duet_status probe(aioli_run *run, size_t round, size_t sweep, size_t j, duet_error *err)
{
    size_t n = run->n;
    const aioli_options *o = run->o;
    for (size_t i = 0; i < n; i++)
        run->probe[i] = i == j ? o->one_hot : (1.0 - o->one_hot) / (double)(n - 1);
    duet_proxy copy = {0};
    duet_status st = duet_proxy_clone(&run->proxy, &copy, err);
    uint64_t key = duet_seed_index(duet_seed_index(duet_seed_index(run->batches, round), sweep), j);
    for (int64_t s = 0; st == DUET_OK && s < o->probe_steps; s++)
        st = duet_proxy_step(&copy, run->probe, duet_seed_index(key, (uint64_t)s), run->after, err);
    if (st == DUET_OK)
        st = duet_proxy_heldout(&copy, run->after, err);
    duet_proxy_close(&copy);
    if (st != DUET_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        run->drops[i * n + j] += (run->start[i] - run->after[i]) / (double)o->probe_sweeps;
    return DUET_OK;
}

/* Shifts A to be non-negative and scales it to sum 1 (a zero matrix stays zero). */
static void normalize_matrix(double *A, size_t len)
{
    double low = INFINITY, sum = 0.0;
    for (size_t k = 0; k < len; k++)
        low = A[k] < low ? A[k] : low;
    for (size_t k = 0; k < len; k++) {
        if (low < 0.0)
            A[k] -= low;
        sum += A[k];
    }
    for (size_t k = 0; sum > 0.0 && k < len; k++)
        A[k] /= sum;
}

/* Updates run->p from this round's interaction matrix. */
static void update_mixture(aioli_run *run, size_t round)
{
    size_t n = run->n;
    const aioli_options *o = run->o;
    if (o->normalize)
        normalize_matrix(run->A, n * n);
    const double *M = run->A;
    if (o->ema > 0.0) {
        for (size_t k = 0; k < n * n; k++)
            run->G[k] = round == 0 ? run->A[k] : (1.0 - o->ema) * run->A[k] + o->ema * run->G[k];
        M = run->G;
        duet_weights_uniform(run->p, n);
    }
    for (size_t k = 0; k < n; k++) {
        run->step[k] = 0.0;
        for (size_t i = 0; i < n; i++)
            run->step[k] += o->eta * M[i * n + k];
    }
    duet_weights_exp_update(run->p, run->step, n);
}

static duet_status run_rounds(aioli_run *run, double *sum, duet_error *err)
{
    size_t n = run->n;
    const aioli_options *o = run->o;
    duet_weights_uniform(run->p, n);
    uint64_t train_batches = duet_seed_label(run->batches, "train");
    for (size_t r = 0; r < (size_t)o->rounds; r++) {
        duet_status st = duet_proxy_heldout(&run->proxy, run->start, err);
        memset(run->drops, 0, n * n * sizeof *run->drops);
        for (size_t sweep = 0; st == DUET_OK && sweep < (size_t)o->probe_sweeps; sweep++)
            for (size_t j = 0; st == DUET_OK && j < n; j++)
                st = probe(run, r, sweep, j, err);
        if (st != DUET_OK)
            return st;
        duet_aioli_interaction(n, o->one_hot, run->drops, run->A);
        update_mixture(run, r);
        for (size_t i = 0; i < n; i++)
            sum[i] += run->p[i];
        uint64_t key = duet_seed_index(train_batches, r);
        for (int64_t s = 0; st == DUET_OK && s < o->round_steps; s++)
            st = duet_proxy_step(&run->proxy, run->p, duet_seed_index(key, (uint64_t)s), run->after,
                                 err);
        if (st != DUET_OK)
            return st;
    }
    return DUET_OK;
}

static duet_status aioli_create(const duet_method_env *env, const void *options, void **state,
                                duet_error *err)
{
    const aioli_options *o = options;
    size_t n = env->n;
    if (!(o->one_hot * (double)n > 1.0))
        return duet_error_set(err, DUET_EINVAL,
                              "aioli: one_hot = %g must exceed 1/n = %g for the %zu domains of "
                              "the task, or the probe mixtures are linearly dependent; raise it",
                              o->one_hot, 1.0 / (double)n, n);
    duet_status st = duet_proxy_require(env, "aioli", err);
    if (st != DUET_OK)
        return st;
    duet_fixed_mixture *m = duet_fixed_mixture_new(n);
    if (m != NULL && duet_proxy_memo_find(env, "aioli", aioli_option_table, o, m)) {
        *state = m;
        return DUET_OK;
    }
    uint64_t seed = duet_proxy_seed(env);
    aioli_run run = {.o = o, .n = n, .batches = duet_seed_label(seed, "aioli:batches")};
    double *work = duet_malloc((3 * n * n + 5 * n) * sizeof *work);
    if (m == NULL || work == NULL) {
        duet_fixed_mixture_destroy(m);
        duet_free(work);
        return duet_error_set(err, DUET_ENOMEM, "out of memory creating aioli");
    }
    run.A = work;
    run.G = work + n * n;
    run.drops = work + 2 * n * n;
    run.p = work + 3 * n * n;
    run.probe = run.p + n;
    run.start = run.probe + n;
    run.after = run.start + n;
    run.step = run.after + n;
    st = duet_proxy_open(env, duet_seed_label(seed, "aioli:proxy"), &run.proxy, err);
    if (st == DUET_OK)
        st = run_rounds(&run, m->ratios, err);
    if (st == DUET_OK)
        st = duet_proxy_heldout(&run.proxy, m->proxy_heldout, err);
    duet_proxy_close(&run.proxy);
    if (st == DUET_OK && o->output == OUTPUT_FINAL)
        memcpy(m->ratios, run.p, n * sizeof *run.p);
    duet_free(work);
    if (st != DUET_OK) {
        duet_fixed_mixture_destroy(m);
        return duet_error_prefix(err, "aioli proxy run");
    }
    duet_simplex_normalize(m->ratios, n);
    duet_proxy_memo_keep(env, "aioli", aioli_option_table, o, m);
    *state = m;
    return DUET_OK;
}

const duet_method_type duet_method_aioli = {
    .name = "aioli",
    .summary = "Aioli: task-agnostic mixture from interaction matrices probed on a proxy's "
               "held-out losses (needs proxy training)",
    .default_selector = "uniform",
    .options = aioli_option_table,
    .options_size = sizeof(aioli_options),
    .create = aioli_create,
    .destroy = duet_fixed_mixture_destroy,
    .propose = duet_fixed_mixture_propose,
    .observe = duet_fixed_mixture_observe,
};
