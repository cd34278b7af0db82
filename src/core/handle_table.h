/*
 * How a process finds shared objects: KMT values, NT handles and names.
 *
 * - A KMT value (IDXGIResource::GetSharedHandle) is a global number that
 *   holds no reference; looking it up succeeds only while the object lives
 *   and is of the kind asked for (Windows checks both, see Wine's d3dkmt.c).
 * - An NT handle (IDXGIResource1::CreateSharedHandle) is a small per-process
 *   number naming an "NT object" that holds one reference on its target.
 *   DuplicateHandle gives the same NT object another number; the NT object,
 *   and its name, live while at least one number is open.
 * - A name belongs to one NT object; a second object may not take a live
 *   name (DXGI_ERROR_NAME_ALREADY_EXISTS). Names compare case-sensitively
 *   and hold at most MAX_PATH characters, as CreateSharedHandle documents.
 *
 * NT handle values are multiples of 4 below 0x20000000 and never reused
 * while the process lives (until 2^27 handles were made), so a stale value
 * fails instead of naming a newer object. Values with bit 29 set come from
 * the broker: DuplicateHandle from another process (ipc/share.c). KMT
 * values are random, have bit 30 set and the low two bits 10, so the
 * spaces never meet: CloseHandle on a KMT value is always an error.
 *
 * A lookup that misses here asks the broker, when one runs, for another
 * process's object (a KMT value, a name, a duplicated-in handle value).
 *
 * Every function is thread-safe.
 */
#ifndef EXTMEM_CORE_HANDLE_TABLE_H
#define EXTMEM_CORE_HANDLE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <extmem/wintypes.h>

#include "core/kmt_value.h"
#include "core/object.h"
#include "ipc/protocol.h"

/* True for a handle value the broker hands out (DuplicateHandle into this
 * process from another). */
static inline bool xm_handle_is_remote(HANDLE handle)
{
    uintptr_t value = (uintptr_t)handle;

    return value <= UINT32_MAX && (value & ~(uintptr_t)(XM_REMOTE_HANDLE_MASK)) == XM_REMOTE_HANDLE_BIT &&
           (value & XM_REMOTE_HANDLE_MASK);
}

#ifndef MAX_PATH
#define MAX_PATH 260
#endif

enum xm_lookup {
    XM_LOOKUP_OK,
    XM_LOOKUP_NOT_FOUND,  /* no live object has this value or name */
    XM_LOOKUP_WRONG_KIND, /* it names an object of another kind */
};

/* Access rights an NT handle grants (DXGI_SHARED_RESOURCE_*). */
#define XM_ACCESS_READ 0x1u
#define XM_ACCESS_WRITE 0x2u
#define XM_ACCESS_ALL (XM_ACCESS_READ | XM_ACCESS_WRITE)

/* Gives object a fresh KMT value (object->kmt). E_OUTOFMEMORY on failure. */
HRESULT xm_kmt_register(struct xm_object *object);

/* Opens the object a KMT value names, taking a reference. */
enum xm_lookup xm_kmt_open(uint32_t value, enum xm_object_kind kind, struct xm_object **out);

/* Checks a name: NULL is fine (unnamed); "" or more than MAX_PATH
 * characters is not. Returns false with a message. */
bool xm_name_is_valid(const WCHAR *name);

/* Creates an NT object for target (taking a reference on it) with the
 * given access and optional name, and a first handle to it.
 * E_INVALIDARG for a bad name, DXGI_ERROR_NAME_ALREADY_EXISTS for a live
 * name, E_OUTOFMEMORY. */
HRESULT xm_handle_create(struct xm_object *target, uint32_t access, const WCHAR *name, HANDLE *out);

/* Opens the target of an NT handle / a name, taking a reference on it;
 * *access receives the rights of that handle (or of the named object). */
enum xm_lookup xm_handle_open(HANDLE handle, enum xm_object_kind kind, struct xm_object **out,
                              uint32_t *access);
enum xm_lookup xm_name_open(const WCHAR *name, enum xm_object_kind kind, struct xm_object **out,
                            uint32_t *access);

/* Closes a handle. False when it is not an open NT handle of this process. */
bool xm_handle_close(HANDLE handle);

/* Makes a second handle to the same NT object with `access` (which must
 * be a subset of the source's rights), optionally closing the source.
 * Returns ERROR_SUCCESS, ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED or
 * ERROR_NOT_ENOUGH_MEMORY. */
DWORD xm_handle_duplicate(HANDLE source, uint32_t access, bool same_access, bool close_source,
                          HANDLE *out);

/* Counts, for tests and `extmem ls`: open NT handles, live NT objects,
 * live KMT values, live named objects. */
struct xm_handle_stats {
    size_t handles, nt_objects, kmt_values, names;
};
void xm_handle_stats(struct xm_handle_stats *stats);

/* Removes object's KMT value; called by xm_object_unref before destroy. */
void xm_kmt_unregister(struct xm_object *object);

/* Registers object under a KMT value chosen elsewhere (the broker).
 * False when a live local object has it. */
bool xm_kmt_register_value(struct xm_object *object, uint32_t value);

/* Moves object to another KMT value (the broker found its proposed value
 * taken); false when the new one is taken here. */
bool xm_kmt_rekey(struct xm_object *object, uint32_t value);

/* Installs a handle of the given value (from the broker) naming a new NT
 * object on target, taking a reference on it; name_held: the handle is one
 * of a named NT object, whose name this process holds at the broker until
 * the NT object's last handle here closes. E_INVALIDARG when the value is
 * already open here, E_OUTOFMEMORY. */
HRESULT xm_handle_install(struct xm_object *target, uint32_t access, bool name_held, HANDLE value);

/* Whether an open handle names a named NT object (one made with a name,
 * or installed from another process's named one). */
bool xm_handle_is_named(HANDLE handle);

#endif
