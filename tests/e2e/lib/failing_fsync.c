/*
 * Injected disk errors for the end-to-end tests, loaded with LD_PRELOAD: after the number of
 * successful fsync and fdatasync calls given by DUET_FAIL_FSYNC_AFTER, every further call fails
 * with EIO, as on a disk that reports a write error. Unset, the calls pass through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

static long successes;

/* Returns 1 when this call must fail. */
static int must_fail(void)
{
    const char *limit = getenv("DUET_FAIL_FSYNC_AFTER");
    if (limit == NULL || successes < atol(limit)) {
        successes++;
        return 0;
    }
    return 1;
}

int fsync(int fd)
{
    if (must_fail()) {
        errno = EIO;
        return -1;
    }
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real(fd);
}

int fdatasync(int fd)
{
    if (must_fail()) {
        errno = EIO;
        return -1;
    }
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return real(fd);
}
