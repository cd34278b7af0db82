/*
 * A D3D11 fence (ID3D11Fence, CUDA's D3D11Fence semaphore): a 64-bit value
 * in a shared memfd page, and the object that NT handles and imports hold.
 *
 * D3D11's model: the fence holds the value last signalled (Signal sets it,
 * it may go down as well as up); a wait for v is met while value >= v.
 *
 * Cross-process and GPU use (for the broker and the cuda backend): the
 * page is struct xm_fence_state, at offset 0 of the memfd `page.fd`.
 * `value` is a naturally aligned 64-bit word, so a GPU can wait for it
 * with cuStreamWaitValue64(GEQ) and signal it with cuStreamWriteValue64
 * once the page is registered with cuMemHostRegister(DEVICEMAP). Host
 * waiters sleep on the 32-bit `sequence` (futexes are 32-bit), which every
 * host signal bumps after storing the value, followed by a shared
 * FUTEX_WAKE: a GPU-side write must be followed by the same bump and wake
 * (e.g. from a host function queued after it) for host waiters to see it
 * before their next timeout.
 */
#ifndef EXTMEM_CORE_FENCE_H
#define EXTMEM_CORE_FENCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/object.h"
#include "core/sync_page.h"

#define XM_FENCE_MAGIC 0x4e464d58u /* "XMFN" */
#define XM_FENCE_VERSION 1u

struct xm_fence_state {
    uint32_t magic;    /* XM_FENCE_MAGIC once initialized */
    uint32_t version;  /* XM_FENCE_VERSION */
    uint64_t value;    /* the completed value; atomic */
    uint32_t sequence; /* futex word: bumped after every change of value */
    uint32_t reserved;
};

/* Something to run once the fence reaches a value in this process
 * (ID3D11Fence::SetEventOnCompletion with an event). */
struct xm_fence_waiter {
    uint64_t value;
    void (*fire)(void *context); /* called once, without the fence's lock */
    void (*drop)(void *context); /* called instead when the fence dies first */
    void *context;
    struct xm_fence_waiter *next;
};

struct xm_fence {
    struct xm_object base; /* kind XM_OBJECT_FENCE */
    struct xm_sync_page page;
    bool shared;           /* created with D3D11_FENCE_FLAG_SHARED */
    pthread_mutex_t waiters_lock;
    struct xm_fence_waiter *waiters; /* guarded by waiters_lock */
    /* A shared fence may be signalled through another mapping of its page
     * (another process), which never walks this process's waiters: from
     * the first waiter on, a watcher thread sleeps on the page's sequence
     * word and fires them. Guarded by waiters_lock. */
    bool watcher_started, stopping;
    pthread_t watcher;
};

/* Creates a fence holding `initial`. On success *out holds one reference. */
HRESULT xm_fence_create(uint64_t initial, bool shared, struct xm_fence **out);

/* Makes a fence object over the page of a fence made elsewhere (the memfd
 * `fd`, page.fd of a fence in this or another process), taking ownership
 * of fd on success only. On success *out holds one reference.
 * E_INVALIDARG when the page does not hold a fence of this version. */
HRESULT xm_fence_create_from_fd(int fd, bool shared, struct xm_fence **out);

static inline void xm_fence_ref(struct xm_fence *fence)
{
    xm_object_ref(&fence->base);
}

static inline void xm_fence_unref(struct xm_fence *fence)
{
    xm_object_unref(&fence->base);
}

static inline struct xm_fence *xm_fence_from_object(struct xm_object *object)
{
    return (struct xm_fence *)object; /* base is the first member */
}

/* The completed value. */
uint64_t xm_fence_value(struct xm_fence *fence);

/* Sets the value, wakes waiters and fires the waiters it meets. */
void xm_fence_signal(struct xm_fence *fence, uint64_t value);

/* Waits until the value is at least `value`, or until the CLOCK_MONOTONIC
 * `deadline` (NULL: no deadline). False when the deadline passed first. */
bool xm_fence_wait(struct xm_fence *fence, uint64_t value, const struct timespec *deadline);

/* Runs waiter->fire once the fence reaches waiter->value: now, if it has,
 * else at the signal that reaches it (on a shared fence, also a signal
 * through another mapping of its page, seen by the watcher). Takes ownership of `waiter` (a
 * malloc'd struct, freed after fire or drop). */
void xm_fence_add_waiter(struct xm_fence *fence, struct xm_fence_waiter *waiter);

/* Live fences in this process (tests: nothing leaked). */
size_t xm_fence_live_count(void);

#endif
