/*
 * The COM-style producer objects: device, immediate context, resources.
 *
 * Each object embeds one interface struct per interface family it exposes
 * (lpVtbl first), reached from an interface pointer with container_of.
 * The impl_from_* casts trust the pointer (our own methods get only our
 * own objects through their This); unsafe_impl_from_* is for pointers a
 * caller hands in as arguments, and returns NULL for anything that is not
 * an extmem object of that kind.
 */
#ifndef EXTMEM_D3D11_PRIVATE_H
#define EXTMEM_D3D11_PRIVATE_H

#include <pthread.h>
#include <stddef.h>

#include <extmem/d3d11.h>

#include "core/fence.h"
#include "core/resource.h"
#include "d3d11/private_data.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct d3d11_device;

struct d3d11_pending_wait;

struct d3d11_context {
    ID3D11DeviceContext4 ID3D11DeviceContext4_iface;
    struct d3d11_device *device; /* the context lives and dies with its device */
    struct d3d11_pending_wait *pending_waits; /* ID3D11DeviceContext4::Wait not yet met (fence.c) */
};

struct d3d11_device {
    ID3D11Device5 ID3D11Device5_iface;
    LONG refcount;
    const struct xm_backend_ops *backend;
    D3D_FEATURE_LEVEL feature_level;
    UINT creation_flags;
    uint64_t keyed_mutex_owner; /* this device's owner token for keyed mutexes */
    pthread_mutex_t held_lock;
    struct d3d11_held_mutex *held; /* keyed mutexes this device holds (keyed_mutex.c) */
    struct d3d11_context immediate_context;
};

/* One COM object over a resource; several may share one xm_resource (each
 * OpenSharedResource makes one). Buffer and textures share this struct;
 * `resource->desc.dimension` says which interface it is. */
struct d3d11_resource {
    union {
        ID3D11Resource ID3D11Resource_iface;
        ID3D11Buffer ID3D11Buffer_iface;
        ID3D11Texture1D ID3D11Texture1D_iface;
        ID3D11Texture2D ID3D11Texture2D_iface;
        ID3D11Texture3D ID3D11Texture3D_iface;
    };
    IDXGIResource1 IDXGIResource1_iface;
    IDXGIKeyedMutex IDXGIKeyedMutex_iface; /* exposed for SHARED_KEYEDMUTEX resources only */
    LONG refcount;
    struct d3d11_device *device;   /* one COM reference */
    struct xm_resource *resource;  /* one reference */
    uint32_t access;               /* XM_ACCESS_* this object was opened with */
    UINT eviction_priority;
    struct xm_private_store private_data;
};

struct d3d11_device *impl_from_ID3D11Device(ID3D11Device *iface);
struct d3d11_device *unsafe_impl_from_ID3D11Device(ID3D11Device *iface);

/* NULL when iface is not an extmem resource. */
struct d3d11_resource *unsafe_impl_from_ID3D11Resource(ID3D11Resource *iface);

/* Wraps a resource in a new COM object on device (takes a reference on
 * resource) and returns interface riid in *out. */
HRESULT d3d11_resource_create(struct d3d11_device *device, struct xm_resource *resource, uint32_t access,
                              REFIID riid, void **out);

/* Sets up the IDXGIKeyedMutex interface of a resource object. */
void d3d11_keyed_mutex_init(struct d3d11_resource *object);

/* The device goes away: it abandons every keyed mutex it still holds. */
void d3d11_device_abandon_held_mutexes(struct d3d11_device *device);

/* Wraps a fence in a new ID3D11Fence on device (takes a reference on
 * fence) and returns interface riid in *out. */
HRESULT d3d11_fence_create(struct d3d11_device *device, struct xm_fence *fence, REFIID riid, void **out);

/* The fence behind an ID3D11Fence a caller handed in; NULL when iface is
 * not an extmem fence. */
struct xm_fence *unsafe_xm_fence_from_ID3D11Fence(ID3D11Fence *iface);

/* Sets the event `event` (a handle from CreateEventW) once fence reaches
 * value. E_INVALIDARG when event is not an event handle. */
HRESULT d3d11_event_set_on_completion(HANDLE event, struct xm_fence *fence, UINT64 value);

/* ID3D11DeviceContext4::Wait on the host (fence.c): the wait is queued,
 * and the context's next operation that touches memory runs it first. */
HRESULT d3d11_context_queue_wait(struct d3d11_context *context, struct xm_fence *fence, UINT64 value);
/* Blocks until every queued wait is met, and forgets them. */
void d3d11_context_run_waits(struct d3d11_context *context);
/* Whether every queued wait is met now (then forgets them), without blocking. */
bool d3d11_context_waits_met(struct d3d11_context *context);
/* Forgets the queued waits (the device goes away). */
void d3d11_context_drop_waits(struct d3d11_context *context);

void d3d11_context_init(struct d3d11_context *context, struct d3d11_device *device);

/* Turns a DXGI access mask (DXGI_SHARED_RESOURCE_READ / _WRITE, or
 * GENERIC_ALL) into XM_ACCESS_* bits. Memory cannot be write-only, so write
 * access includes reading. False for 0 or unknown bits. */
bool d3d11_access_from_dxgi(DWORD dxgi_access, uint32_t *access);

/* The current process's pseudo-handle, as GetCurrentProcess returns it. */
#define XM_CURRENT_PROCESS ((HANDLE)(intptr_t)-1)

#endif
