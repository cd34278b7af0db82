/*
 * The Win32 calls D3D11 sharing code uses: CloseHandle, DuplicateHandle,
 * GetCurrentProcess(Id), Get/SetLastError.
 *
 * As in Win32, they return FALSE on failure and leave the reason in the
 * calling thread's last-error value (ERROR_INVALID_HANDLE, ...); extmem
 * also records a message for extmemGetLastErrorMessage().
 */
#include <unistd.h>

#include "core/error.h"
#include "core/handle_table.h"
#include "d3d11/d3d11_private.h"

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
    bool close_source = dwOptions & DUPLICATE_CLOSE_SOURCE;
    uint32_t access = 0;
    DWORD error;

    (void)bInheritHandle;
    if (lpTargetHandle)
        *lpTargetHandle = NULL;
    if (!is_current_process(hSourceProcessHandle)) {
        last_error = ERROR_INVALID_HANDLE;
        return xm_error(FALSE, "DuplicateHandle: only the current process (GetCurrentProcess()) is supported");
    }
    if (dwOptions & ~(DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS)) {
        xm_set_error_message(__FILE__, __LINE__, "DuplicateHandle: unknown dwOptions 0x%x", (unsigned)dwOptions);
        return duplicate_failed(ERROR_INVALID_PARAMETER, hSourceHandle, close_source);
    }
    if (!is_current_process(hTargetProcessHandle)) {
        xm_set_error_message(__FILE__, __LINE__, "DuplicateHandle: only the current process (GetCurrentProcess()) "
                             "is supported as the target");
        return duplicate_failed(ERROR_INVALID_HANDLE, hSourceHandle, close_source);
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
    error = xm_handle_duplicate(hSourceHandle, access, dwOptions & DUPLICATE_SAME_ACCESS, close_source,
                                lpTargetHandle);
    if (error != ERROR_SUCCESS)
        return duplicate_failed(error, hSourceHandle, close_source);
    return TRUE;
}
