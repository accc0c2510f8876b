/*
 * Provenance recorded in every results file. This file includes OpenBLAS's <cblas.h> and no GSL
 * header, since the two declare the same CBLAS symbols differently.
 */
#include "run/provenance.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "duet_buildinfo.h"
#include "util/mem.h"

#ifndef DUET_VERSION
#define DUET_VERSION "0"
#endif
#ifndef DUET_COMPILER
#define DUET_COMPILER "unknown"
#endif
#ifndef DUET_C_FLAGS
#define DUET_C_FLAGS ""
#endif
#ifndef DUET_BUILD_TYPE
#define DUET_BUILD_TYPE "unknown"
#endif

const char *duet_blas_description(void)
{
    static char text[256];
    snprintf(text, sizeof text, "%s", openblas_get_config());
    return text;
}

int duet_blas_threads(void)
{
    return openblas_get_num_threads();
}

static int set(char **field, const char *value)
{
    *field = duet_strdup(value ? value : "");
    return *field != NULL;
}

duet_status duet_provenance_fill(duet_provenance *p, const duet_config *cfg,
                                 const char *command_line, duet_error *err)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char started[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char build[512];
    snprintf(build, sizeof build, "%s (flags: %s)%s", DUET_BUILD_TYPE, DUET_C_FLAGS,
#if defined(__SANITIZE_ADDRESS__)
             " (address sanitizer)"
#else
             ""
#endif
    );
    int ok = set(&p->duet_version, DUET_VERSION) && set(&p->git_commit, DUET_GIT_COMMIT) &&
             set(&p->compiler, DUET_COMPILER) && set(&p->build_type, build) &&
             set(&p->blas, duet_blas_description()) && set(&p->host, host) &&
             set(&p->started, started) && set(&p->finished, "") &&
             set(&p->command_line, command_line) && set(&p->script_path, cfg->script_path) &&
             set(&p->script, cfg->script_text) && set(&p->config, cfg->resolved);
    p->git_dirty = DUET_GIT_DIRTY;
    p->blas_threads = duet_blas_threads();
    if (!ok)
        return duet_error_set(err, DUET_ENOMEM, "out of memory recording provenance");
    return DUET_OK;
}
