/*
 * Fuzz harness of the journal parser (duet_journal_replay) on a fixed experiment: one task of
 * 3 domains, two methods with k = 1 and k = 2 inner samples, 2 trials of T = 4 iterations and
 * W = 2 warm-start points each. The first input byte picks the mode: even, the rest of the
 * input is the journal file as it is; odd, the harness writes the right header line and gives
 * every line of the rest its CRC-32, so that mutations reach the record fields behind the
 * checksum. Replay must apply rows in order or fail with a message, and never fill more rows
 * than the experiment has.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "results/journal.h"
#include "util/mem.h"

#define N_DOMAINS 3
#define N_METHODS 2
#define N_TRIALS  2
#define T_ITERS   4
#define W_POINTS  2

static duet_results *make_results(void)
{
    duet_results *r = duet_calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->iterations = T_ITERS;
    r->trials = N_TRIALS;
    r->points = 10;
    r->tasks = duet_calloc(1, sizeof *r->tasks);
    if (r->tasks == NULL)
        goto fail;
    r->n_tasks = 1;
    duet_task_results *task = &r->tasks[0];
    task->n = N_DOMAINS;
    task->optimum_known = 1;
    task->optimum = 1.0;
    task->methods = duet_calloc(N_METHODS, sizeof *task->methods);
    if (task->methods == NULL)
        goto fail;
    task->n_methods = N_METHODS;
    for (size_t m = 0; m < N_METHODS; m++) {
        duet_method_results *mr = &task->methods[m];
        mr->samples = m + 1;
        mr->trials = duet_calloc(N_TRIALS, sizeof *mr->trials);
        if (mr->trials == NULL)
            goto fail;
        for (size_t i = 0; i < N_TRIALS; i++)
            if (duet_trial_results_alloc(&mr->trials[i], T_ITERS, N_DOMAINS, mr->samples, W_POINTS,
                                         r->points, NULL) != DUET_OK)
                goto fail;
    }
    return r;
fail:
    duet_results_free(r);
    return NULL;
}

/* Copies the lines of text into out with " crc=XXXXXXXX" before each newline. */
static size_t add_checksums(const uint8_t *text, size_t size, char *out)
{
    size_t len = 0, start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && text[i] != '\n')
            continue;
        size_t line_len = i - start;
        memcpy(out + len, text + start, line_len);
        len += line_len;
        len += (size_t)sprintf(out + len, " crc=%08" PRIx32, duet_crc32(text + start, line_len));
        if (i < size)
            out[len++] = '\n';
        start = i + 1;
    }
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *dir = fuzz_scratch_dir();
    if (dir == NULL)
        fuzz_violation("journal", "cannot make a scratch folder");
    char path[1024];
    snprintf(path, sizeof path, "%s/input.h5.journal", dir);
    uint64_t hash = duet_config_hash("fuzz");
    int checksummed = data[0] & 1;
    data++;
    size--;

    /* Each line grows by at most 13 bytes of checksum; the header is under 64 bytes. */
    char *file = malloc(64 + size + 14 * (size + 1));
    if (file == NULL)
        return 0;
    size_t len = size;
    if (checksummed) {
        len = (size_t)sprintf(file, "duet-journal 1 %016" PRIx64 "\n", hash);
        len += add_checksums(data, size, file + len);
    } else if (size) {
        memcpy(file, data, size);
    }
    if (fuzz_write_file(path, file, len) != 0)
        fuzz_violation("journal", "cannot write the input file");
    free(file);

    duet_results *r = make_results();
    if (r == NULL)
        fuzz_violation("journal", "cannot build the experiment");
    size_t applied = 0, torn = 0;
    duet_error err = {0};
    duet_status st = duet_journal_replay(path, hash, r, &applied, &torn, &err);
    fuzz_check_error("journal", st, &err);
    size_t rows = 0;
    for (size_t m = 0; m < N_METHODS; m++)
        for (size_t i = 0; i < N_TRIALS; i++) {
            const duet_trial_results *tr = &r->tasks[0].methods[m].trials[i];
            if (tr->iterations_done > T_ITERS || tr->warm_done > W_POINTS)
                fuzz_violation("journal", "more rows filled than the experiment has");
            rows += tr->iterations_done + tr->warm_done;
        }
    if (applied != rows)
        fuzz_violation("journal", "the applied count differs from the rows filled");
    duet_results_free(r);
    return 0;
}
