/*
 * A small test harness in the spirit of libuv's: each test is a named
 * function, each test file lists its tests once at the bottom with
 * XM_TEST_LIST, and the runner runs all of them (or the ones named on the
 * command line) in order, printing one line per test.
 *
 * A test returns normally on success; a failed assertion prints where and
 * why and ends that test (the runner goes on with the next one).
 * A test may skip itself with XM_SKIP("why").
 */
#ifndef EXTMEM_TEST_HARNESS_H
#define EXTMEM_TEST_HARNESS_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xm_test {
    const char *name;
    void (*fn)(void);
};

enum xm_test_outcome { XM_TEST_PASSED, XM_TEST_FAILED, XM_TEST_SKIPPED };

extern jmp_buf xm_test_jmp;
extern enum xm_test_outcome xm_test_outcome;

void xm_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void xm_test_skip(const char *why) __attribute__((noreturn));
int xm_test_run_list(const struct xm_test *tests, size_t count, int argc, char **argv);

#define XM_TEST(name) static void name(void)

#define XM_SKIP(why) xm_test_skip(why)

#define XM_ASSERT(cond)                                                      \
    do {                                                                     \
        if (!(cond))                                                         \
            xm_test_fail(__FILE__, __LINE__, "assertion failed: %s", #cond); \
    } while (0)

#define XM_ASSERT_MSG(cond, ...)                                             \
    do {                                                                     \
        if (!(cond))                                                         \
            xm_test_fail(__FILE__, __LINE__, __VA_ARGS__);                   \
    } while (0)

/* Integer equality; prints both values (as signed 64-bit and hex). */
#define XM_ASSERT_EQ(a, b)                                                   \
    do {                                                                     \
        long long xm_a_ = (long long)(a), xm_b_ = (long long)(b);            \
        if (xm_a_ != xm_b_)                                                  \
            xm_test_fail(__FILE__, __LINE__,                                 \
                         "%s == %s: got %lld (0x%llx), want %lld (0x%llx)",  \
                         #a, #b, xm_a_, (unsigned long long)xm_a_, xm_b_,    \
                         (unsigned long long)xm_b_);                         \
    } while (0)

#define XM_ASSERT_NE(a, b)                                                   \
    do {                                                                     \
        long long xm_a_ = (long long)(a), xm_b_ = (long long)(b);            \
        if (xm_a_ == xm_b_)                                                  \
            xm_test_fail(__FILE__, __LINE__, "%s != %s: both are %lld",      \
                         #a, #b, xm_a_);                                     \
    } while (0)

#define XM_ASSERT_PTR_EQ(a, b) XM_ASSERT((const void *)(a) == (const void *)(b))
#define XM_ASSERT_NULL(a) XM_ASSERT((a) == NULL)
#define XM_ASSERT_NOT_NULL(a) XM_ASSERT((a) != NULL)

#define XM_ASSERT_STR_EQ(a, b)                                               \
    do {                                                                     \
        const char *xm_a_ = (a), *xm_b_ = (b);                               \
        if (!xm_a_ || !xm_b_ || strcmp(xm_a_, xm_b_) != 0)                   \
            xm_test_fail(__FILE__, __LINE__, "%s == %s: got \"%s\", want \"%s\"", \
                         #a, #b, xm_a_ ? xm_a_ : "(null)", xm_b_ ? xm_b_ : "(null)"); \
    } while (0)

/* Substring check, for error messages. */
#define XM_ASSERT_CONTAINS(haystack, needle)                                 \
    do {                                                                     \
        const char *xm_h_ = (haystack), *xm_n_ = (needle);                   \
        if (!xm_h_ || !strstr(xm_h_, xm_n_))                                 \
            xm_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
                         xm_h_ ? xm_h_ : "(null)", xm_n_);                   \
    } while (0)

#define XM_TEST_ENTRY(name) {#name, name},

/* Usage at the bottom of a test file:
 *   XM_TEST_LIST(
 *       XM_TEST_ENTRY(test_a)
 *       XM_TEST_ENTRY(test_b))
 */
#define XM_TEST_LIST(...)                                                    \
    static const struct xm_test xm_tests_[] = {__VA_ARGS__};                 \
    int main(int argc, char **argv)                                          \
    {                                                                        \
        return xm_test_run_list(xm_tests_, sizeof(xm_tests_) / sizeof(xm_tests_[0]), argc, argv); \
    }

#ifdef __cplusplus
}
#endif

#endif
