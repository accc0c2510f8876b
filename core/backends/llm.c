/*
 * The llm backend: LoRA fine-tuning of a Hugging Face causal language model on a training subset
 * and zero-shot evaluation with lm-evaluation-harness, as in "DUET: Optimizing Training Data
 * Mixtures via Feedback from Unseen Evaluation Tasks" (Chen, Lau, Foo, Low; arXiv 2502.00270).
 *
 * Training and evaluation need a GPU and run only in the Python worker (python/duet_llm): this
 * backend describes the domains, tasks and settings, and its evaluate() refuses to run inline.
 * Domain names and sizes come from a pool file exported by `python3 -m duet_llm export-pool`
 * (HDF5: /domain_names [n] strings and /domain_sizes [n] int64, layout in
 * docs/worker-protocol.md); per-item influence scores, when given, come from a scores file with
 * one float64 dataset per domain, named by the domain.
 *
 * Invariant: the pool's domain order is the backend's domain order, and a task's training pool
 * is that order minus the domains the task removes.
 */
#include "backends/llm.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/fileio.h"
#include "util/mem.h"

#define LLM_DOMAINS_MAX 1024

typedef struct llm_options {
    char *pool;
    char *scores;
    char *model;
    int64_t lora_rank;
    double lora_alpha;
    double lora_dropout;
    duet_strings lora_targets;
    double learning_rate;
    int64_t batch_size;
    int64_t warmup_steps;
    int64_t epochs;
    int64_t max_length;
    int precision;
    double temperature;
    int64_t eval_limit;
} llm_options;

typedef struct llm_task_options {
    duet_strings evaluate;
    duet_strings remove;
} llm_task_options;

static const duet_option llm_option_table[] = {
    {"pool", DUET_OPT_STRING, offsetof(llm_options, pool), NULL, NAN, NAN, NULL,
     "pool file written by `python3 -m duet_llm export-pool`, relative to the data folder"},
    {"scores", DUET_OPT_STRING, offsetof(llm_options, scores), "", NAN, NAN, NULL,
     "influence scores file written by `python3 -m duet_llm influence` (empty: none)"},
    {"model", DUET_OPT_STRING, offsetof(llm_options, model), NULL, NAN, NAN, NULL,
     "Hugging Face model id or local folder, e.g. meta-llama/Meta-Llama-3-8B-Instruct"},
    {"lora_rank", DUET_OPT_INT, offsetof(llm_options, lora_rank), "16", 1, 4096, NULL,
     "LoRA rank r"},
    {"lora_alpha", DUET_OPT_DOUBLE, offsetof(llm_options, lora_alpha), "16", 1e-6, 1e6, NULL,
     "LoRA scaling alpha"},
    {"lora_dropout", DUET_OPT_DOUBLE, offsetof(llm_options, lora_dropout), "0.05", 0, 1, NULL,
     "dropout on the LoRA inputs"},
    {"lora_targets", DUET_OPT_STRINGS, offsetof(llm_options, lora_targets), "q_proj,v_proj", 1, 64,
     NULL, "names of the modules that get LoRA adapters"},
    {"learning_rate", DUET_OPT_DOUBLE, offsetof(llm_options, learning_rate), "0.0003", 1e-9, 1,
     NULL, "AdamW learning rate"},
    {"batch_size", DUET_OPT_INT, offsetof(llm_options, batch_size), "8", 1, 4096, NULL,
     "training batch size in sequences"},
    {"warmup_steps", DUET_OPT_INT, offsetof(llm_options, warmup_steps), "10", 0, 1000000, NULL,
     "linear learning-rate warmup, in optimizer steps"},
    {"epochs", DUET_OPT_INT, offsetof(llm_options, epochs), "1", 1, 100, NULL,
     "passes over the training subset"},
    {"max_length", DUET_OPT_INT, offsetof(llm_options, max_length), "256", 8, 1000000, NULL,
     "training sequences are truncated to this many tokens"},
    {"precision", DUET_OPT_ENUM, offsetof(llm_options, precision), "bf16", NAN, NAN,
     "bf16|fp16|fp32", "training precision"},
    {"temperature", DUET_OPT_DOUBLE, offsetof(llm_options, temperature), "0.75", 0, 10, NULL,
     "sampling temperature of generation tasks during evaluation (0: greedy)"},
    {"eval_limit", DUET_OPT_INT, offsetof(llm_options, eval_limit), "0", 0, 100000000, NULL,
     "evaluation examples per benchmark (0: all)"},
    {NULL},
};

static const duet_option llm_task_option_table[] = {
    {"evaluate", DUET_OPT_STRINGS, offsetof(llm_task_options, evaluate), NULL, 1,
     DUET_TASK_METRICS_MAX, NULL,
     "benchmarks whose equal-weight mean metric is the feedback: wikitext, gsm8k, pubmedqa, "
     "headqa, sciq, triviaqa, truthfulqa, hellaswag, commonsense_qa"},
    {"remove", DUET_OPT_STRINGS, offsetof(llm_task_options, remove), "", 0, LLM_DOMAINS_MAX, NULL,
     "pool domains left out of this task's training pool (out-of-domain tasks)"},
    {NULL},
};

/* Benchmarks the Python worker evaluates; python/duet_llm/settings.py lists their metrics. */
static const char *const llm_benchmarks[] = {
    "wikitext", "gsm8k",      "pubmedqa",  "headqa",         "sciq",
    "triviaqa", "truthfulqa", "hellaswag", "commonsense_qa", NULL};

typedef struct llm_state {
    size_t n;
    char **names;
    uint64_t *sizes;
    char scores_path[4096];
} llm_state;

typedef struct llm_task {
    size_t *pool;
    duet_task_info info;
} llm_task;

static void llm_close(void *state)
{
    llm_state *s = state;
    if (s == NULL)
        return;
    for (size_t i = 0; s->names && i < s->n; i++)
        duet_free(s->names[i]);
    duet_free(s->names);
    duet_free(s->sizes);
    duet_free(s);
}

/* Resolves a path given in the options against the data folder (absolute paths stay). */
static void resolve(const char *path, const duet_backend_env *env, char *out, size_t size)
{
    if (path[0] == '/' || env->data_dir == NULL)
        snprintf(out, size, "%s", path);
    else
        snprintf(out, size, "%.2000s/%.2000s", env->data_dir, path);
}

/* Reads /domain_names and /domain_sizes of the pool file into s. */
static duet_status read_pool(llm_state *s, const char *path, duet_error *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return duet_error_set(err, DUET_ENOTFOUND,
                              "llm backend: cannot open the pool file %s; write it with "
                              "`python3 -m duet_llm export-pool --out %s` on a host with the "
                              "Hugging Face datasets",
                              path, path);
    duet_status st = DUET_OK;
    hid_t names = H5Dopen2(f, "domain_names", H5P_DEFAULT);
    hid_t sizes = H5Dopen2(f, "domain_sizes", H5P_DEFAULT);
    hid_t space = names >= 0 ? H5Dget_space(names) : -1;
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8); /* h5py writes UTF-8 strings */
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    hid_t size_space = sizes >= 0 ? H5Dget_space(sizes) : -1;
    if (names < 0 || sizes < 0 || n < 2 || n > LLM_DOMAINS_MAX || size_space < 0 ||
        H5Sget_simple_extent_npoints(size_space) != n) {
        st = duet_error_set(err, DUET_EFORMAT,
                            "llm backend: %s needs datasets /domain_names and /domain_sizes of "
                            "the same length, 2 to %d domains",
                            path, LLM_DOMAINS_MAX);
        goto done;
    }
    s->n = (size_t)n;
    s->names = duet_calloc(s->n, sizeof *s->names);
    s->sizes = duet_calloc(s->n, sizeof *s->sizes);
    char **raw = duet_calloc(s->n, sizeof *raw);
    if (!s->names || !s->sizes || !raw) {
        duet_free(raw);
        st = duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", path);
        goto done;
    }
    if (H5Dread(names, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0 ||
        H5Dread(sizes, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->sizes) < 0) {
        duet_free(raw);
        st = duet_error_set(err, DUET_EFORMAT,
                            "llm backend: cannot read the domains of %s (names must be strings, "
                            "sizes integers)",
                            path);
        goto done;
    }
    for (size_t i = 0; i < s->n && st == DUET_OK; i++) {
        if (raw[i] == NULL || raw[i][0] == '\0' || s->sizes[i] == 0)
            st = duet_error_set(err, DUET_EFORMAT,
                                "llm backend: domain %zu of %s has an empty name or no items",
                                i + 1, path);
        else if ((s->names[i] = duet_strdup(raw[i])) == NULL)
            st = duet_error_set(err, DUET_ENOMEM, "out of memory reading %s", path);
        for (size_t j = 0; st == DUET_OK && j < i; j++)
            if (strcmp(s->names[j], s->names[i]) == 0)
                st = duet_error_set(err, DUET_EFORMAT, "llm backend: %s lists domain %s twice",
                                    path, s->names[i]);
    }
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw);
    duet_free(raw);
done:
    if (size_space >= 0)
        H5Sclose(size_space);
    if (space >= 0)
        H5Sclose(space);
    H5Tclose(type);
    if (names >= 0)
        H5Dclose(names);
    if (sizes >= 0)
        H5Dclose(sizes);
    H5Fclose(f);
    return st;
}

static duet_status llm_open(const void *options, const duet_backend_env *env, void **state,
                            duet_error *err)
{
    const llm_options *o = options;
    llm_state *s = duet_calloc(1, sizeof *s);
    if (s == NULL)
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening the llm backend");
    char path[4096];
    resolve(o->pool, env, path, sizeof path);
    duet_status st = read_pool(s, path, err);
    if (st == DUET_OK && o->scores[0] != '\0')
        resolve(o->scores, env, s->scores_path, sizeof s->scores_path);
    if (st != DUET_OK) {
        llm_close(s);
        return st;
    }
    *state = s;
    return DUET_OK;
}

static size_t llm_domain_count(const void *state)
{
    return ((const llm_state *)state)->n;
}

static const char *llm_domain_name(const void *state, size_t domain)
{
    return ((const llm_state *)state)->names[domain];
}

static uint64_t llm_domain_size(const void *state, size_t domain)
{
    return ((const llm_state *)state)->sizes[domain];
}

static void llm_task_close(void *state, void *task)
{
    (void)state;
    llm_task *t = task;
    if (t == NULL)
        return;
    duet_free(t->pool);
    duet_free(t);
}

static duet_status check_benchmarks(const char *name, const duet_strings *evaluate, duet_error *err)
{
    for (size_t i = 0; i < evaluate->n; i++) {
        int known = 0;
        for (size_t j = 0; llm_benchmarks[j] && !known; j++)
            known = strcmp(evaluate->v[i], llm_benchmarks[j]) == 0;
        if (!known)
            return duet_error_set(err, DUET_EINVAL,
                                  "llm task %s: unknown benchmark '%s' in evaluate; known are "
                                  "wikitext, gsm8k, pubmedqa, headqa, sciq, triviaqa, "
                                  "truthfulqa, hellaswag, commonsense_qa",
                                  name, evaluate->v[i]);
    }
    return DUET_OK;
}

static duet_status llm_task_open(void *state, const char *name, const void *task_options,
                                 uint64_t points, void **task, duet_task_info *info,
                                 duet_error *err)
{
    (void)points;
    llm_state *s = state;
    const llm_task_options *o = task_options;
    duet_status st = check_benchmarks(name, &o->evaluate, err);
    if (st != DUET_OK)
        return st;
    for (size_t r = 0; r < o->remove.n; r++) {
        int found = 0;
        for (size_t i = 0; i < s->n && !found; i++)
            found = strcmp(s->names[i], o->remove.v[r]) == 0;
        if (!found)
            return duet_error_set(err, DUET_EINVAL,
                                  "llm task %s: remove names domain '%s', which the pool file "
                                  "does not have",
                                  name, o->remove.v[r]);
    }
    llm_task *t = duet_calloc(1, sizeof *t);
    size_t *pool = duet_calloc(s->n, sizeof *pool);
    if (t == NULL || pool == NULL) {
        duet_free(t);
        duet_free(pool);
        return duet_error_set(err, DUET_ENOMEM, "out of memory opening llm task %s", name);
    }
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        int removed = 0;
        for (size_t r = 0; r < o->remove.n && !removed; r++)
            removed = strcmp(s->names[i], o->remove.v[r]) == 0;
        if (!removed)
            pool[n++] = i;
    }
    t->pool = pool;
    t->info = (duet_task_info){
        .n_pool = n,
        .pool = pool,
        .goal = DUET_GOAL_MAXIMIZE,
        .metric = "mean benchmark metric (accuracy, exact match, BLEU accuracy or negated "
                  "word perplexity)",
        .optimum_known = 0,
        .optimum = 0,
        .optimum_ratios = NULL,
    };
    *task = t;
    *info = t->info;
    return DUET_OK;
}

static duet_status llm_evaluate(void *state, void *task, const duet_subset *subset, uint64_t seed,
                                duet_eval_result *out, duet_error *err)
{
    (void)state;
    (void)task;
    (void)subset;
    (void)seed;
    (void)out;
    return duet_error_set(err, DUET_EINVAL,
                          "the llm backend runs through a worker executor: use --executor slurm "
                          "or local with worker = { \"python3\", \"-m\", \"duet_llm\", "
                          "\"worker\" } (see docs/llm.md)");
}

static duet_status llm_item_scores(void *state, size_t domain, const char *kind, double *out,
                                   duet_error *err)
{
    llm_state *s = state;
    if (strcmp(kind, "influence") != 0 || s->scores_path[0] == '\0')
        return duet_error_set(err, DUET_ENOTFOUND,
                              "llm backend: no '%s' scores; give scores = \"FILE.h5\" written by "
                              "`python3 -m duet_llm influence` (it provides 'influence')",
                              kind);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(s->scores_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return duet_error_set(err, DUET_ENOTFOUND, "llm backend: cannot open scores file %s",
                              s->scores_path);
    duet_status st = DUET_OK;
    hid_t d = H5Dopen2(f, s->names[domain], H5P_DEFAULT);
    hid_t space = d >= 0 ? H5Dget_space(d) : -1;
    if (d < 0 || space < 0 || (uint64_t)H5Sget_simple_extent_npoints(space) != s->sizes[domain] ||
        H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        st = duet_error_set(err, DUET_EFORMAT,
                            "llm backend: %s needs a float64 dataset /%s with %llu scores, one "
                            "per item of the domain",
                            s->scores_path, s->names[domain], (unsigned long long)s->sizes[domain]);
    if (space >= 0)
        H5Sclose(space);
    if (d >= 0)
        H5Dclose(d);
    H5Fclose(f);
    return st;
}

const duet_backend_type duet_backend_llm = {
    .name = "llm",
    .summary = "LoRA fine-tuning and lm-evaluation-harness benchmarks, run by the Python worker",
    .options = llm_option_table,
    .options_size = sizeof(llm_options),
    .task_options = llm_task_option_table,
    .task_options_size = sizeof(llm_task_options),
    .open = llm_open,
    .close = llm_close,
    .domain_count = llm_domain_count,
    .domain_name = llm_domain_name,
    .domain_size = llm_domain_size,
    .task_open = llm_task_open,
    .task_close = llm_task_close,
    .evaluate = llm_evaluate,
    .item_scores = llm_item_scores,
};
