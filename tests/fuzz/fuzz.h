/*
 * Shared declarations of the fuzz harnesses. Every harness defines LLVMFuzzerTestOneInput; it is
 * linked with libFuzzer in a DUET_FUZZ build and with replay.c (a plain main that feeds files
 * through it) in every other build, so the corpora run as ctest regression tests.
 *
 * A harness returns 0 for every input. It calls fuzz_violation (which aborts) when the code
 * under test breaks its contract without crashing: a failure status with an empty message, or
 * success without a result.
 */
#ifndef DUET_FUZZ_H
#define DUET_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints what was violated and aborts, so the fuzzer or the replay test reports the input. */
_Noreturn void fuzz_violation(const char *harness, const char *what);

/* Checks that a failed call left a status and a message in err. */
void fuzz_check_error(const char *harness, duet_status st, const duet_error *err);

/*
 * Returns a folder made for this process (removed at exit), created on first use under
 * $TMPDIR or /tmp; NULL if it cannot be made.
 */
const char *fuzz_scratch_dir(void);

/* Writes size bytes to path, replacing it; returns 0 on success. */
int fuzz_write_file(const char *path, const void *data, size_t size);

#endif
