/*
 * Error reporting inside extmem.
 *
 * Every entry point that fails records, for the calling thread, a message
 * saying what was wrong ("cudaExternalMemoryHandleDesc.size is 0", ...).
 * extmemGetLastErrorMessage() returns it. The code the entry point returns
 * (cudaError_t, HRESULT, BOOL) is chosen by the caller of these helpers.
 *
 *     if (!desc)
 *         return xm_error(cudaErrorInvalidValue, "desc is NULL");
 *
 * With EXTMEM_DEBUG=1 in the environment each message is also printed to
 * stderr as it is recorded, with the file and line that raised it.
 */
#ifndef EXTMEM_CORE_ERROR_H
#define EXTMEM_CORE_ERROR_H

#include <stddef.h>

/* Records the message for this thread. Never fails, never allocates. */
void xm_set_error_message(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Forgets the calling thread's message (entry points call it on success
 * only where a later success must not show an old failure). */
void xm_clear_error_message(void);

/* The calling thread's last message, "" if none. Valid until the next
 * extmem call on this thread. */
const char *xm_last_error_message(void);

/* Records a message and evaluates to ret, so a failure is one line. */
#define xm_error(ret, ...) (xm_set_error_message(__FILE__, __LINE__, __VA_ARGS__), (ret))

#endif
