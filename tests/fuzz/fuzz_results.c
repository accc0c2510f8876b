/*
 * Fuzz harness of the HDF5 results reader used by `duet info` and `duet plot`: the input bytes
 * are written to a file that duet_results_read_isolated opens, as those commands do; it must
 * return the results or an error with a message. On success the progress counts are computed
 * as `duet info` does. A crash inside HDF5 happens in the reader's child process; under
 * libFuzzer that child still writes a crash-* artifact, which replay_results then shows to be
 * handled (the parent got an error).
 */
#include <stdio.h>

#include "fuzz.h"
#include "results/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch_dir();
    if (dir == NULL)
        fuzz_violation("results", "cannot make a scratch folder");
    char path[1024];
    snprintf(path, sizeof path, "%s/input.h5", dir);
    if (fuzz_write_file(path, data, size) != 0)
        fuzz_violation("results", "cannot write the input file");
    duet_results *r = NULL;
    duet_error err = {0};
    duet_status st = duet_results_read_isolated(path, 8.0, &r, &err);
    fuzz_check_error("results", st, &err);
    if (st == DUET_OK) {
        if (r == NULL)
            fuzz_violation("results", "success without results");
        size_t done, total, iters, iters_total;
        duet_results_progress(r, &done, &total, &iters, &iters_total);
        if (done > total || iters > iters_total)
            fuzz_violation("results", "more finished than planned");
    }
    duet_results_free(r);
    return 0;
}
