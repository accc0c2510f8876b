/* Helpers shared by the unit tests: cmocka includes, float comparison, temporary paths. */
#ifndef DUET_TESTUTIL_H
#define DUET_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Fails the test when |a - b| > atol + rtol * |b|, printing both values and the expression. */
#define assert_close(a, b, rtol, atol)                                                             \
    duet_test_assert_close((a), (b), (rtol), (atol), #a, #b, __FILE__, __LINE__)

void duet_test_assert_close(double a, double b, double rtol, double atol, const char *ea,
                            const char *eb, const char *file, int line);

/* Makes a fresh temporary directory for one test and returns its path (static storage). */
const char *duet_test_tmpdir(const char *name);

#endif
