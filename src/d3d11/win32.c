/*
 * The Win32 calls D3D11 sharing code uses: CloseHandle, DuplicateHandle,
 * GetCurrentProcess(Id), Get/SetLastError, and the events that fences
 * signal (CreateEventW, SetEvent, ResetEvent, WaitForSingleObject).
 *
 * As in Win32, they return FALSE on failure and leave the reason in the
 * calling thread's last-error value (ERROR_INVALID_HANDLE, ...); extmem
 * also records a message for extmemGetLastErrorMessage().
 */
#include <stdlib.h>
#include <unistd.h>

#include "core/error.h"
#include "core/handle_table.h"
#include "core/sync_page.h"
#include "d3d11/d3d11_private.h"
#include "d3d11/process.h"

static _Thread_local DWORD last_error;

EXTMEM_API DWORD WINAPI GetLastError(void)
{
    return last_error;
}

EXTMEM_API void WINAPI SetLastError(DWORD dwErrCode)
{
    last_error = dwErrCode;
}

EXTMEM_API HANDLE WINAPI GetCurrentProcess(void)
{
    return XM_CURRENT_PROCESS;
}

EXTMEM_API DWORD WINAPI GetCurrentProcessId(void)
{
    return (DWORD)getpid();
}

EXTMEM_API BOOL WINAPI CloseHandle(HANDLE hObject)
{
    /* Win32: closing the current-process pseudo-handle does nothing. */
    if (hObject == XM_CURRENT_PROCESS)
        return TRUE;
    if (xm_handle_close(hObject))
        return TRUE;
    last_error = ERROR_INVALID_HANDLE;
    return xm_error(FALSE, "CloseHandle: %p is not an open NT handle of this process (a KMT handle from "
                    "GetSharedHandle is never closed)", hObject);
}

static bool is_current_process(HANDLE process)
{
    return process == XM_CURRENT_PROCESS;
}

/* Win32: with DUPLICATE_CLOSE_SOURCE the source handle is closed "regardless
 * of any error status returned", once the source process is known. */
static BOOL duplicate_failed(DWORD error, HANDLE source, bool close_source)
{
    if (close_source)
        xm_handle_close(source);
    last_error = error;
    return FALSE;
}

EXTMEM_API BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle,
                                       HANDLE hTargetProcessHandle, HANDLE *lpTargetHandle, DWORD dwDesiredAccess,
                                       BOOL bInheritHandle, DWORD dwOptions)
{
    bool close_source = dwOptions & DUPLICATE_CLOSE_SOURCE, dup_allowed = false;
    uint32_t access = 0;
    pid_t target_pid = 0;
    DWORD error;

    (void)bInheritHandle;
    if (lpTargetHandle)
        *lpTargetHandle = NULL;
    if (!is_current_process(hSourceProcessHandle)) {
        pid_t source_pid;
        bool source_dup_allowed;

        if (!d3d11_process_from_handle(hSourceProcessHandle, &source_pid, &source_dup_allowed)) {
            last_error = ERROR_INVALID_HANDLE;
            return xm_error(FALSE, "DuplicateHandle: hSourceProcessHandle is neither GetCurrentProcess() nor a "
                            "process handle from OpenProcess");
        }
        /* Taking a handle out of another process would need that process's
         * handle table, which only that process has (handles are not kernel
         * objects here): the owner pushes it. OpenProcess of this process's
         * own id is this process. */
        if (source_pid != getpid()) {
            last_error = ERROR_NOT_SUPPORTED;
            return xm_error(FALSE, "DuplicateHandle: the source must be the current process; to move a handle "
                            "from process %d, call DuplicateHandle there with this process as the target",
                            (int)source_pid);
        }
    }
    if (dwOptions & ~(DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS)) {
        xm_set_error_message(__FILE__, __LINE__, "DuplicateHandle: unknown dwOptions 0x%x", (unsigned)dwOptions);
        return duplicate_failed(ERROR_INVALID_PARAMETER, hSourceHandle, close_source);
    }
    if (!is_current_process(hTargetProcessHandle) &&
        !d3d11_process_from_handle(hTargetProcessHandle, &target_pid, &dup_allowed)) {
        xm_set_error_message(__FILE__, __LINE__, "DuplicateHandle: the target is neither GetCurrentProcess() nor "
                             "a process handle from OpenProcess");
        return duplicate_failed(ERROR_INVALID_HANDLE, hSourceHandle, close_source);
    }
    if (target_pid && !dup_allowed) {
        xm_set_error_message(__FILE__, __LINE__, "DuplicateHandle: the target process handle lacks "
                             "PROCESS_DUP_HANDLE");
        return duplicate_failed(ERROR_ACCESS_DENIED, hSourceHandle, close_source);
    }
    if (!lpTargetHandle) {
        xm_set_error_message(__FILE__, __LINE__, "DuplicateHandle: lpTargetHandle is NULL");
        return duplicate_failed(ERROR_INVALID_PARAMETER, hSourceHandle, close_source);
    }
    if (!(dwOptions & DUPLICATE_SAME_ACCESS) && !d3d11_access_from_dxgi(dwDesiredAccess, &access)) {
        xm_set_error_message(__FILE__, __LINE__, "DuplicateHandle: dwDesiredAccess 0x%x is not a combination of "
                             "DXGI_SHARED_RESOURCE_READ and DXGI_SHARED_RESOURCE_WRITE", (unsigned)dwDesiredAccess);
        return duplicate_failed(ERROR_INVALID_PARAMETER, hSourceHandle, close_source);
    }
    if (target_pid)
        error = d3d11_duplicate_into_process(hSourceHandle, target_pid, access, dwOptions & DUPLICATE_SAME_ACCESS,
                                             close_source, lpTargetHandle);
    else
        error = xm_handle_duplicate(hSourceHandle, access, dwOptions & DUPLICATE_SAME_ACCESS, close_source,
                                    lpTargetHandle);
    if (error != ERROR_SUCCESS)
        return duplicate_failed(error, hSourceHandle, close_source);
    return TRUE;
}

/* ---- events ------------------------------------------------------------ */

/*
 * A minimal Win32 event: what ID3D11Fence::SetEventOnCompletion signals
 * and WaitForSingleObject waits on. It is an object behind NT handles of
 * this process (XM_OBJECT_EVENT) and lives while a handle or a pending
 * SetEventOnCompletion holds it. Waits sleep on a futex word.
 */
struct win32_event {
    struct xm_object base;
    uint32_t signaled; /* futex word: 1 while signalled; atomic */
    bool manual_reset;
};

static void event_destroy(struct xm_object *object)
{
    free(object); /* base is the first member */
}

static const struct xm_object_ops event_ops = {
    .destroy = event_destroy,
};

/* Opens the event a handle names (one reference), or NULL. */
static struct win32_event *open_event(HANDLE handle)
{
    struct xm_object *object;

    if (xm_handle_open(handle, XM_OBJECT_EVENT, &object, NULL) != XM_LOOKUP_OK)
        return NULL;
    return (struct win32_event *)object;
}

static void event_set(struct win32_event *event)
{
    __atomic_store_n(&event->signaled, 1, __ATOMIC_RELEASE);
    xm_futex_wake(&event->signaled, XM_FUTEX_ALL_BITS);
}

EXTMEM_API HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                                      LPCWSTR lpName)
{
    struct win32_event *event;
    HANDLE handle = NULL;

    (void)lpEventAttributes;
    if (lpName) {
        last_error = ERROR_NOT_SUPPORTED;
        return xm_error(NULL, "CreateEventW: extmem's events are unnamed; lpName must be NULL");
    }
    event = calloc(1, sizeof(*event));
    if (!event) {
        last_error = ERROR_NOT_ENOUGH_MEMORY;
        return xm_error(NULL, "CreateEventW: out of memory");
    }
    xm_object_init(&event->base, XM_OBJECT_EVENT, &event_ops);
    event->manual_reset = bManualReset;
    event->signaled = bInitialState ? 1 : 0;
    if (FAILED(xm_handle_create(&event->base, XM_ACCESS_ALL, NULL, &handle))) {
        last_error = ERROR_NOT_ENOUGH_MEMORY;
        handle = NULL;
    }
    xm_object_unref(&event->base); /* the handle holds it now */
    return handle;
}

static BOOL change_event(HANDLE hEvent, bool set, const char *call)
{
    struct win32_event *event = open_event(hEvent);

    if (!event) {
        last_error = ERROR_INVALID_HANDLE;
        return xm_error(FALSE, "%s: %p is not an event handle", call, hEvent);
    }
    if (set)
        event_set(event);
    else
        __atomic_store_n(&event->signaled, 0, __ATOMIC_RELEASE);
    xm_object_unref(&event->base);
    return TRUE;
}

EXTMEM_API BOOL WINAPI SetEvent(HANDLE hEvent)
{
    return change_event(hEvent, true, "SetEvent");
}

EXTMEM_API BOOL WINAPI ResetEvent(HANDLE hEvent)
{
    return change_event(hEvent, false, "ResetEvent");
}

/* Takes the signal: an auto-reset event gives it to one waiter only. */
static bool event_take(struct win32_event *event)
{
    uint32_t one = 1;

    if (event->manual_reset)
        return __atomic_load_n(&event->signaled, __ATOMIC_ACQUIRE) == 1;
    return __atomic_compare_exchange_n(&event->signaled, &one, 0, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

EXTMEM_API DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
    struct win32_event *event = open_event(hHandle);
    struct timespec deadline;
    DWORD result = WAIT_TIMEOUT;

    if (!event) {
        last_error = ERROR_INVALID_HANDLE;
        return xm_error(WAIT_FAILED, "WaitForSingleObject: %p is not a handle extmem can wait on (only events "
                        "are)", hHandle);
    }
    if (dwMilliseconds != INFINITE)
        deadline = xm_deadline_after_ms(dwMilliseconds);
    for (;;) {
        if (event_take(event)) {
            result = WAIT_OBJECT_0;
            break;
        }
        if (dwMilliseconds == 0 || !xm_futex_wait(&event->signaled, 0, dwMilliseconds == INFINITE ? NULL : &deadline,
                                                  XM_FUTEX_ALL_BITS))
            break;
    }
    /* One last look: the signal may have come as the deadline passed. */
    if (result == WAIT_TIMEOUT && dwMilliseconds != 0 && event_take(event))
        result = WAIT_OBJECT_0;
    xm_object_unref(&event->base);
    return result;
}

static void fire_event(void *context)
{
    event_set(context);
    xm_object_unref(&((struct win32_event *)context)->base);
}

static void drop_event(void *context)
{
    xm_object_unref(&((struct win32_event *)context)->base);
}

HRESULT d3d11_event_set_on_completion(HANDLE handle, struct xm_fence *fence, UINT64 value)
{
    struct win32_event *event = open_event(handle);
    struct xm_fence_waiter *waiter;

    if (!event)
        return xm_error(E_INVALIDARG, "SetEventOnCompletion: hEvent %p is not an event handle (CreateEventW)",
                        handle);
    waiter = calloc(1, sizeof(*waiter));
    if (!waiter) {
        xm_object_unref(&event->base);
        return xm_error(E_OUTOFMEMORY, "SetEventOnCompletion: out of memory");
    }
    waiter->value = value;
    waiter->fire = fire_event;
    waiter->drop = drop_event;
    waiter->context = event; /* the waiter holds the reference open_event took */
    xm_fence_add_waiter(fence, waiter);
    return S_OK;
}
