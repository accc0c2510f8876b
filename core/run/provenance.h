/* Provenance of a run: program version, build, BLAS, host, times and the experiment's text. */
#ifndef DUET_PROVENANCE_H
#define DUET_PROVENANCE_H

#include "results/results.h"
#include "run/config.h"

/* Fills p (zeroed by the caller) for a run of cfg started now. */
duet_status duet_provenance_fill(duet_provenance *p, const duet_config *cfg,
                                 const char *command_line, duet_error *err);

/* The BLAS library's own description (OpenBLAS: its build configuration) and thread count. */
const char *duet_blas_description(void);
int duet_blas_threads(void);

#endif
