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

EXTMEM_API BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle, HANDLE hSourceHandle,
                                       HANDLE hTargetProcessHandle, HANDLE *lpTargetHandle, DWORD dwDesiredAccess,
                                       BOOL bInheritHandle, DWORD dwOptions)
{
    uint32_t access = 0;
    DWORD error;

    (void)bInheritHandle;
    if (lpTargetHandle)
        *lpTargetHandle = NULL;
    if (dwOptions & ~(DUPLICATE_CLOSE_SOURCE | DUPLICATE_SAME_ACCESS)) {
        last_error = ERROR_INVALID_PARAMETER;
        return xm_error(FALSE, "DuplicateHandle: unknown dwOptions 0x%x", (unsigned)dwOptions);
    }
    if (!is_current_process(hSourceProcessHandle) || !is_current_process(hTargetProcessHandle)) {
        last_error = ERROR_INVALID_HANDLE;
        return xm_error(FALSE, "DuplicateHandle: only the current process (GetCurrentProcess()) is supported");
    }
    if (!lpTargetHandle) {
        last_error = ERROR_INVALID_PARAMETER;
        return xm_error(FALSE, "DuplicateHandle: lpTargetHandle is NULL");
    }
    if (!(dwOptions & DUPLICATE_SAME_ACCESS)) {
        if (dwDesiredAccess == GENERIC_ALL)
            access = XM_ACCESS_ALL;
        else if (!dwDesiredAccess || (dwDesiredAccess & ~(DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE))) {
            last_error = ERROR_INVALID_PARAMETER;
            return xm_error(FALSE, "DuplicateHandle: dwDesiredAccess 0x%x is not a combination of "
                            "DXGI_SHARED_RESOURCE_READ and DXGI_SHARED_RESOURCE_WRITE", (unsigned)dwDesiredAccess);
        } else {
            if (dwDesiredAccess & DXGI_SHARED_RESOURCE_READ)
                access |= XM_ACCESS_READ;
            if (dwDesiredAccess & DXGI_SHARED_RESOURCE_WRITE)
                access |= XM_ACCESS_ALL;
        }
    }
    error = xm_handle_duplicate(hSourceHandle, access, dwOptions & DUPLICATE_SAME_ACCESS,
                                dwOptions & DUPLICATE_CLOSE_SOURCE, lpTargetHandle);
    if (error != ERROR_SUCCESS) {
        last_error = error;
        return FALSE;
    }
    return TRUE;
}
