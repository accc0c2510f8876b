/* Helpers shared by the unit tests. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void duet_test_assert_close(double a, double b, double rtol, double atol, const char *ea,
                            const char *eb, const char *file, int line)
{
    double tol = atol + rtol * fabs(b);
    if (isfinite(a) && isfinite(b) && fabs(a - b) <= tol)
        return;
    print_error("%s = %.17g and %s = %.17g differ by %.3g (tolerance %.3g)\n", ea, a, eb, b,
                fabs(a - b), tol);
    _fail(file, line);
}

const char *duet_test_tmpdir(const char *name)
{
    static char path[512];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/duet-test-%s-XXXXXX", base ? base : "/tmp", name);
    if (mkdtemp(path) == NULL) {
        print_error("cannot create a temporary directory under %s\n", base ? base : "/tmp");
        fail();
    }
    return path;
}
