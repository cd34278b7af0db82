#include "harness.h"

#include <stdarg.h>

jmp_buf xm_test_jmp;
enum xm_test_outcome xm_test_outcome;

void xm_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    xm_test_outcome = XM_TEST_FAILED;
    longjmp(xm_test_jmp, 1);
}

void xm_test_skip(const char *why)
{
    printf("  skipped: %s\n", why);
    xm_test_outcome = XM_TEST_SKIPPED;
    longjmp(xm_test_jmp, 1);
}

static int wanted(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int xm_test_run_list(const struct xm_test *tests, size_t count, int argc, char **argv)
{
    /* volatile: these live across the setjmp below. */
    volatile unsigned passed = 0, failed = 0, skipped = 0;

    for (volatile size_t i = 0; i < count; i++) {
        if (!wanted(tests[i].name, argc, argv))
            continue;
        xm_test_outcome = XM_TEST_PASSED;
        if (setjmp(xm_test_jmp) == 0)
            tests[i].fn();
        switch (xm_test_outcome) {
        case XM_TEST_PASSED:
            passed++;
            printf("ok      %s\n", tests[i].name);
            break;
        case XM_TEST_FAILED:
            failed++;
            printf("FAILED  %s\n", tests[i].name);
            break;
        case XM_TEST_SKIPPED:
            skipped++;
            printf("skip    %s\n", tests[i].name);
            break;
        }
        fflush(stdout);
    }
    printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
    if (failed)
        return 1;
    /* Every test skipped: tell CTest (SKIP_RETURN_CODE 77) so it shows as skipped. */
    if (skipped && !passed)
        return 77;
    return 0;
}
