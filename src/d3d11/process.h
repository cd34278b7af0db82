/*
 * Process handles (OpenProcess) and DuplicateHandle into another process.
 */
#ifndef EXTMEM_D3D11_PROCESS_H
#define EXTMEM_D3D11_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <extmem/wintypes.h>

/* The pid behind a process handle from OpenProcess; false when the handle
 * is not one. *dup_allowed tells whether it was opened with
 * PROCESS_DUP_HANDLE. */
bool d3d11_process_from_handle(HANDLE handle, pid_t *pid, bool *dup_allowed);

/* DuplicateHandle's work when the target is another process: the broker
 * gives that process a handle value naming the source's object. Returns a
 * Win32 error code (ERROR_SUCCESS, ERROR_INVALID_HANDLE,
 * ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED). */
DWORD d3d11_duplicate_into_process(HANDLE source, pid_t pid, uint32_t access, bool same_access, bool close_source,
                                   HANDLE *out);

#endif
