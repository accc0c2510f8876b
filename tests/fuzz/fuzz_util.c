/* Helpers shared by the fuzz harnesses: contract checks and a scratch folder per process. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char scratch[512];

void fuzz_violation(const char *harness, const char *what)
{
    fprintf(stderr, "fuzz %s: contract violated: %s\n", harness, what);
    abort();
}

void fuzz_check_error(const char *harness, duet_status st, const duet_error *err)
{
    if (st == DUET_OK)
        return;
    if (err->status != st)
        fuzz_violation(harness, "the returned status differs from the one in the error");
    if (err->msg[0] == '\0')
        fuzz_violation(harness, "an error without a message");
}

/* Removes the files of the scratch folder (it holds no subfolders deeper than one level). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            remove_tree(path);
    }
    closedir(d);
    rmdir(dir);
}

static void remove_scratch(void)
{
    if (scratch[0])
        remove_tree(scratch);
}

const char *fuzz_scratch_dir(void)
{
    if (scratch[0])
        return scratch;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/duet-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(scratch) == NULL) {
        scratch[0] = '\0';
        return NULL;
    }
    atexit(remove_scratch);
    return scratch;
}

int fuzz_write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    return fclose(f) == 0 && put == size ? 0 : -1;
}
