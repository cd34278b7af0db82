/*
 * Windows base types, status codes and handle calls, as D3D11 code expects
 * them, for Linux.
 *
 * Sizes follow Windows (LLP64), not Linux: LONG, ULONG and DWORD are 32 bits
 * wide here although `long` is 64, so structs and HRESULT values keep the
 * meaning D3D11 code gives them. WCHAR is Linux's 32-bit wchar_t so that
 * L"..." names work unchanged; names never cross an ABI boundary with Windows.
 *
 * The calling-convention macros are empty: the SysV ABI has one convention.
 * No `interface` macro is defined, since on Linux that word is a common
 * identifier and the headers here do not need it.
 */
#ifndef EXTMEM_WINTYPES_H
#define EXTMEM_WINTYPES_H

#include <stddef.h>
#include <stdint.h>

#ifndef EXTMEM_API
#define EXTMEM_API __attribute__((visibility("default")))
#endif

#ifndef WINAPI
#define WINAPI
#endif
#ifndef STDMETHODCALLTYPE
#define STDMETHODCALLTYPE
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef int BOOL;
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint8_t UINT8;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef int32_t INT32;
typedef unsigned int UINT;
typedef int INT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef uint64_t UINT64;
typedef int64_t INT64;
typedef float FLOAT;
typedef size_t SIZE_T;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef LONG HRESULT;

typedef wchar_t WCHAR;
typedef const WCHAR *LPCWSTR;
typedef const char *LPCSTR;
typedef void *LPVOID;

typedef void *HANDLE;
typedef void *HMODULE;

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)

typedef struct SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

typedef struct RECT {
    LONG left;
    LONG top;
    LONG right;
    LONG bottom;
} RECT;

/* ---- GUIDs ------------------------------------------------------------ */

typedef struct GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;
typedef GUID IID;

/* D3D11 passes GUIDs by pointer in C and by reference in C++; the same
 * source then writes `&IID_Foo` in C and `IID_Foo` in C++. */
#ifdef __cplusplus
typedef const GUID &REFGUID;
typedef const IID &REFIID;
#define EXTMEM_GUID_FIELD(g, f) ((g).f)
#else
typedef const GUID *REFGUID;
typedef const IID *REFIID;
#define EXTMEM_GUID_FIELD(g, f) ((g)->f)
#endif

static inline BOOL IsEqualGUID(REFGUID a, REFGUID b)
{
    int i;

    if (EXTMEM_GUID_FIELD(a, Data1) != EXTMEM_GUID_FIELD(b, Data1) ||
        EXTMEM_GUID_FIELD(a, Data2) != EXTMEM_GUID_FIELD(b, Data2) ||
        EXTMEM_GUID_FIELD(a, Data3) != EXTMEM_GUID_FIELD(b, Data3))
        return FALSE;
    for (i = 0; i < 8; i++)
        if (EXTMEM_GUID_FIELD(a, Data4[i]) != EXTMEM_GUID_FIELD(b, Data4[i]))
            return FALSE;
    return TRUE;
}

static inline BOOL IsEqualIID(REFIID a, REFIID b)
{
    return IsEqualGUID(a, b);
}

/* ---- HRESULT ---------------------------------------------------------- */

/* Windows spells these as unsigned hex; the cast keeps them HRESULT-typed
 * (negative for failures), so `hr == E_FAIL` and `FAILED(E_FAIL)` hold. */
#define EXTMEM_HRESULT(v) ((HRESULT)(v))

#define S_OK            EXTMEM_HRESULT(0x00000000)
#define S_FALSE         EXTMEM_HRESULT(0x00000001)
#define E_NOTIMPL       EXTMEM_HRESULT(0x80004001)
#define E_NOINTERFACE   EXTMEM_HRESULT(0x80004002)
#define E_POINTER       EXTMEM_HRESULT(0x80004003)
#define E_FAIL          EXTMEM_HRESULT(0x80004005)
#define E_UNEXPECTED    EXTMEM_HRESULT(0x8000FFFF)
#define E_ACCESSDENIED  EXTMEM_HRESULT(0x80070005)
#define E_HANDLE        EXTMEM_HRESULT(0x80070006)
#define E_OUTOFMEMORY   EXTMEM_HRESULT(0x8007000E)
#define E_INVALIDARG    EXTMEM_HRESULT(0x80070057)

#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)

#define SEVERITY_SUCCESS 0
#define SEVERITY_ERROR 1
#define FACILITY_WIN32 7

#define MAKE_HRESULT(sev, fac, code) \
    ((HRESULT)(((uint32_t)(sev) << 31) | ((uint32_t)(fac) << 16) | ((uint32_t)(code))))

/* Win32 error codes map into FACILITY_WIN32; 0 and values that already are
 * HRESULTs (negative) pass through, as on Windows. */
#define HRESULT_FROM_WIN32(x)                                            \
    ((HRESULT)(x) <= 0 ? (HRESULT)(x)                                    \
                       : (HRESULT)(((uint32_t)(x) & 0x0000FFFFu) |       \
                                   ((uint32_t)FACILITY_WIN32 << 16) |    \
                                   0x80000000u))

/* ---- Win32 error codes (GetLastError) ---------------------------------- */

#define ERROR_SUCCESS           0
#define ERROR_FILE_NOT_FOUND    2
#define ERROR_ACCESS_DENIED     5
#define ERROR_INVALID_HANDLE    6
#define ERROR_NOT_ENOUGH_MEMORY 8
#define ERROR_NOT_SUPPORTED     50
#define ERROR_INVALID_PARAMETER 87
#define ERROR_ALREADY_EXISTS    183

/* ---- waits, access rights, DuplicateHandle options --------------------- */

#define INFINITE        0xFFFFFFFFu
#define WAIT_OBJECT_0   0x00000000u
#define WAIT_ABANDONED  0x00000080u
#define WAIT_TIMEOUT    0x00000102u
#define WAIT_FAILED     0xFFFFFFFFu

#define GENERIC_READ    0x80000000u
#define GENERIC_WRITE   0x40000000u
#define GENERIC_ALL     0x10000000u

#define DUPLICATE_CLOSE_SOURCE 0x00000001u
#define DUPLICATE_SAME_ACCESS  0x00000002u

/* ---- handle calls ------------------------------------------------------ */

/*
 * Closes an NT handle (one from CreateSharedHandle, DuplicateHandle or
 * OpenSharedResourceByName's name lookup) and drops the reference it holds
 * on its object. The caller owned the handle; after the call it is invalid.
 * KMT handles (IDXGIResource::GetSharedHandle) are not NT handles and are
 * refused, as on Windows.
 * Returns TRUE on success; FALSE with the reason in GetLastError()
 * (ERROR_INVALID_HANDLE for a value that is not an open NT handle).
 */
EXTMEM_API BOOL WINAPI CloseHandle(HANDLE hObject);

/*
 * Copies an NT handle, within this process or into another one.
 * The new handle, written to *lpTargetHandle, holds its own reference and
 * belongs to the target process, which must close it. With
 * DUPLICATE_CLOSE_SOURCE the source handle is closed even if the copy fails,
 * as on Windows. DUPLICATE_SAME_ACCESS ignores dwDesiredAccess.
 * Returns TRUE on success; FALSE with the reason in GetLastError().
 */
EXTMEM_API BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle,
                                       HANDLE hSourceHandle,
                                       HANDLE hTargetProcessHandle,
                                       HANDLE *lpTargetHandle,
                                       DWORD dwDesiredAccess,
                                       BOOL bInheritHandle,
                                       DWORD dwOptions);

/*
 * A pseudo-handle that stands for the calling process in DuplicateHandle.
 * Nothing is owned: it needs no CloseHandle (closing it is a no-op).
 * Never fails.
 */
EXTMEM_API HANDLE WINAPI GetCurrentProcess(void);

/* The calling process's id (its Linux pid). Never fails. */
EXTMEM_API DWORD WINAPI GetCurrentProcessId(void);

#define PROCESS_DUP_HANDLE 0x0040u
#define PROCESS_ALL_ACCESS 0x001fffffu

/*
 * A handle to process dwProcessId of the same user, to name it as the
 * target of DuplicateHandle (which needs PROCESS_DUP_HANDLE in
 * dwDesiredAccess). The handle keeps naming that process even if its id is
 * reused. Owned by the caller: CloseHandle. NULL on failure, with
 * ERROR_INVALID_PARAMETER in GetLastError() when no such process exists.
 * DuplicateHandle into another process goes through the extmem broker; the
 * handle value it returns is valid in the target process only, which must
 * close it.
 */
EXTMEM_API HANDLE WINAPI OpenProcess(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwProcessId);

/* ---- events (for ID3D11Fence::SetEventOnCompletion) -------------------- */

/*
 * Creates an event object, signalled or not (bInitialState), that stays
 * signalled until ResetEvent (bManualReset) or until one wait returns on it.
 * The handle is an NT handle of this process, owned by the caller
 * (CloseHandle). extmem's events are unnamed: lpName must be NULL, and
 * lpEventAttributes is ignored. Returns NULL on failure, with the reason
 * in GetLastError() (ERROR_NOT_SUPPORTED for a name).
 */
EXTMEM_API HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
                                      BOOL bInitialState, LPCWSTR lpName);

/* Signals / unsignals an event. FALSE (ERROR_INVALID_HANDLE) when hEvent is
 * not an event handle. */
EXTMEM_API BOOL WINAPI SetEvent(HANDLE hEvent);
EXTMEM_API BOOL WINAPI ResetEvent(HANDLE hEvent);

/*
 * Waits up to dwMilliseconds (0: test; INFINITE: no limit) for an event
 * to be signalled (consuming the signal of an auto-reset event). Returns
 * WAIT_OBJECT_0, WAIT_TIMEOUT, or WAIT_FAILED with the reason in
 * GetLastError() (ERROR_INVALID_HANDLE when hHandle is not an event).
 */
EXTMEM_API DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);

/*
 * The calling thread's last Win32 error code, set by the handle calls above
 * when they fail. Reading it does not clear it. Never fails.
 */
EXTMEM_API DWORD WINAPI GetLastError(void);

/* Sets the calling thread's last Win32 error code. Never fails. */
EXTMEM_API void WINAPI SetLastError(DWORD dwErrCode);

/* ---- IUnknown ---------------------------------------------------------- */

typedef struct IUnknown IUnknown;

EXTMEM_API extern const IID IID_IUnknown;

#if defined(__cplusplus) && !defined(CINTERFACE)
struct IUnknown {
    virtual HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppvObject) = 0;
    virtual ULONG STDMETHODCALLTYPE AddRef(void) = 0;
    virtual ULONG STDMETHODCALLTYPE Release(void) = 0;
};
#else
typedef struct IUnknownVtbl {
    /* IUnknown */
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IUnknown *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IUnknown *This);
    ULONG (STDMETHODCALLTYPE *Release)(IUnknown *This);
} IUnknownVtbl;

struct IUnknown {
    const struct IUnknownVtbl *lpVtbl;
};

#define IUnknown_QueryInterface(This,riid,ppvObject) ((This)->lpVtbl->QueryInterface(This,riid,ppvObject))
#define IUnknown_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IUnknown_Release(This) ((This)->lpVtbl->Release(This))
#endif
#ifdef __cplusplus
} /* extern "C" */

/* C++ code compares IIDs with ==, as it can with Windows' headers. */
static inline bool operator==(REFGUID a, REFGUID b)
{
    return IsEqualGUID(a, b) != FALSE;
}

static inline bool operator!=(REFGUID a, REFGUID b)
{
    return !(a == b);
}
#endif

#endif /* EXTMEM_WINTYPES_H */
