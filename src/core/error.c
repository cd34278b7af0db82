#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XM_ERROR_MESSAGE_MAX 512

static _Thread_local char last_message[XM_ERROR_MESSAGE_MAX];

static int debug_enabled(void)
{
    /* Read once; a racing first read by two threads gives the same answer. */
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);

    if (value < 0) {
        const char *env = getenv("EXTMEM_DEBUG");
        value = env && *env && strcmp(env, "0") != 0;
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

void xm_set_error_message(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(last_message, sizeof(last_message), fmt, ap);
    va_end(ap);
    if (debug_enabled())
        fprintf(stderr, "extmem: %s:%d: %s\n", file, line, last_message);
}

void xm_clear_error_message(void)
{
    last_message[0] = '\0';
}

const char *xm_last_error_message(void)
{
    return last_message;
}
