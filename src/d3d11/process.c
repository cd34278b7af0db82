/*
 * OpenProcess and DuplicateHandle into another process.
 *
 * Windows names the target of a DuplicateHandle by a process handle with
 * PROCESS_DUP_HANDLE access; OpenProcess makes one from a process id.
 * Here a process handle is an NT handle of this process naming a small
 * object that holds a pidfd of the process (so the handle keeps naming
 * that process, not a later one with the same pid). The duplicate itself
 * is made by the broker (ipc/share.c): it hands the target process a
 * handle value that the target's first use claims, and that the target
 * must close, as on Windows.
 */
#include "d3d11/process.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/error.h"
#include "core/handle_table.h"
#include "d3d11/d3d11_private.h"
#include "ipc/share.h"

struct win32_process {
    struct xm_object base;
    pid_t pid;
    int pidfd;
    bool dup_allowed;
};

static void process_destroy(struct xm_object *object)
{
    struct win32_process *process = (struct win32_process *)object;

    close(process->pidfd);
    free(process);
}

static const struct xm_object_ops process_ops = {
    .destroy = process_destroy,
};

EXTMEM_API HANDLE WINAPI OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId)
{
    struct win32_process *process;
    HANDLE handle = NULL;
    int pidfd;

    (void)bInheritHandle;
    if (!dwProcessId) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return xm_error(NULL, "OpenProcess: process id 0 is the idle process");
    }
    pidfd = (int)syscall(SYS_pidfd_open, (pid_t)dwProcessId, 0);
    if (pidfd < 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return xm_error(NULL, "OpenProcess: no process %u (%s)", (unsigned)dwProcessId, strerror(errno));
    }
    process = calloc(1, sizeof(*process));
    if (!process) {
        close(pidfd);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return xm_error(NULL, "OpenProcess: out of memory");
    }
    xm_object_init(&process->base, XM_OBJECT_PROCESS, &process_ops);
    process->pid = (pid_t)dwProcessId;
    process->pidfd = pidfd;
    process->dup_allowed = (dwDesiredAccess & (PROCESS_DUP_HANDLE | PROCESS_ALL_ACCESS)) != 0;
    if (FAILED(xm_handle_create(&process->base, XM_ACCESS_ALL, NULL, &handle))) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        handle = NULL;
    }
    xm_object_unref(&process->base); /* the handle holds it */
    return handle;
}

bool d3d11_process_from_handle(HANDLE handle, pid_t *pid, bool *dup_allowed)
{
    struct xm_object *object;
    struct win32_process *process;

    if (xm_handle_open(handle, XM_OBJECT_PROCESS, &object, NULL) != XM_LOOKUP_OK)
        return false;
    process = (struct win32_process *)object;
    *pid = process->pid;
    *dup_allowed = process->dup_allowed;
    xm_object_unref(object);
    return true;
}

DWORD d3d11_duplicate_into_process(HANDLE source, pid_t pid, uint32_t access, bool same_access, bool close_source,
                                   HANDLE *out)
{
    struct xm_object *object;
    uint32_t source_access;
    enum xm_lookup lookup;
    DWORD error;

    /* OpenProcess(GetCurrentProcessId()) is this process after all. */
    if (pid == getpid())
        return xm_handle_duplicate(source, access, same_access, close_source, out);
    lookup = xm_handle_open(source, XM_OBJECT_RESOURCE, &object, &source_access);
    if (lookup == XM_LOOKUP_WRONG_KIND)
        lookup = xm_handle_open(source, XM_OBJECT_FENCE, &object, &source_access);
    if (lookup == XM_LOOKUP_WRONG_KIND)
        return xm_error(ERROR_NOT_SUPPORTED, "DuplicateHandle: only resource and fence handles can go to another "
                        "process");
    if (lookup != XM_LOOKUP_OK)
        return xm_error(ERROR_INVALID_HANDLE, "DuplicateHandle: %p is not an open NT handle of this process", source);
    if (same_access)
        access = source_access;
    if (access & ~source_access) {
        xm_object_unref(object);
        return xm_error(ERROR_ACCESS_DENIED, "DuplicateHandle: the duplicate asks for more access than handle %p has",
                        source);
    }
    error = xm_share_duplicate(object, access, xm_handle_is_named(source), pid, out);
    xm_object_unref(object);
    if (error == ERROR_SUCCESS && close_source)
        xm_handle_close(source);
    return error;
}
