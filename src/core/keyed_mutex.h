/*
 * The keyed mutex of a SHARED_KEYEDMUTEX resource (IDXGIKeyedMutex, CUDA's
 * KeyedMutex semaphores), with its whole state in one shared memfd page.
 *
 * DXGI's model (IDXGIKeyedMutex::AcquireSync/ReleaseSync):
 * - the mutex starts released with key 0;
 * - AcquireSync(k) succeeds once the mutex is released with key k, and
 *   makes the caller its owner; ReleaseSync(k) by the owner releases it
 *   with key k (any key), handing it to whoever acquires k next;
 * - ownership belongs to a device (here: an owner token, unique inside its
 *   process, together with the process id);
 * - a release by anyone but the owner fails (E_FAIL).
 *
 * Abandonment: when the owner's process dies holding the mutex, the
 * resource's content is not trustworthy any more ("release and recreate
 * both the keyed mutex and the shared surface", DXGI). The mutex then stays
 * abandoned: every later acquire, with any key, reports it at once and
 * grants nothing. Waiters notice a dead owner within
 * XM_KEYED_MUTEX_OWNER_CHECK_MS of its death (they sleep in slices of
 * that length and check the owner's pid in between; no core spins).
 *
 * Cross-process and GPU use (for the broker and the cuda backend): the
 * page is struct xm_keyed_mutex_state below, at offset 0 of the memfd
 * `page.fd`. A process that maps the same fd takes part with the same
 * functions; waiters sleep on `sequence` with FUTEX_WAIT_BITSET (shared,
 * not private), bit (key % 32), and every change of owner bumps `sequence`
 * and wakes that bit (abandonment wakes all bits). A broker that sees a
 * peer die may call xm_keyed_mutex_abandon_pid() to wake waiters at once.
 */
#ifndef EXTMEM_CORE_KEYED_MUTEX_H
#define EXTMEM_CORE_KEYED_MUTEX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sync_page.h"

#define XM_KEYED_MUTEX_MAGIC 0x4d4b4d58u /* "XMKM" */
#define XM_KEYED_MUTEX_VERSION 1u

#define XM_KEYED_MUTEX_OWNED 0x1u     /* flags: someone holds it */
#define XM_KEYED_MUTEX_ABANDONED 0x2u /* flags: its owner died holding it */

#define XM_KEYED_MUTEX_OWNER_CHECK_MS 50

/* The shared page. Every field is read and written under `lock`
 * (xm_page_lock) except `sequence`, which is also read without it. */
struct xm_keyed_mutex_state {
    uint32_t magic;     /* XM_KEYED_MUTEX_MAGIC once initialized */
    uint32_t version;   /* XM_KEYED_MUTEX_VERSION */
    uint32_t lock;      /* xm_page_lock word */
    uint32_t sequence;  /* futex word: bumped on every release and abandonment */
    uint64_t key;       /* released: the key of the last release; owned: the key acquired */
    uint64_t owner;     /* owner token inside owner_pid; 0 when released */
    uint32_t owner_pid; /* process of the owner; 0 when released */
    uint32_t flags;     /* XM_KEYED_MUTEX_* */
    uint64_t owner_start; /* start time of owner_pid (xm_process_start_time), so a reused pid is not taken
                           * for the owner */
};

struct xm_keyed_mutex {
    struct xm_sync_page page;
};

enum xm_keyed_mutex_result {
    XM_KEYED_MUTEX_ACQUIRED,
    XM_KEYED_MUTEX_TIMED_OUT,
    XM_KEYED_MUTEX_WAS_ABANDONED,
    XM_KEYED_MUTEX_ALREADY_OWNED, /* this owner holds it already (no recursion) */
};

/* A fresh owner token, never 0 and never handed out twice in this process
 * (devices and CUDA imports each take one). */
uint64_t xm_keyed_mutex_new_owner(void);

/* Creates the page, released with key 0. E_OUTOFMEMORY / E_FAIL. */
HRESULT xm_keyed_mutex_init(struct xm_keyed_mutex *mutex);
void xm_keyed_mutex_finish(struct xm_keyed_mutex *mutex);

/* Joins the keyed mutex whose page is the memfd `fd` (page.fd of a mutex
 * in this or another process), taking ownership of fd on success only.
 * E_INVALIDARG when the page does not hold a keyed mutex of this version. */
HRESULT xm_keyed_mutex_init_from_fd(struct xm_keyed_mutex *mutex, int fd);

/* Waits until the mutex is released with `key` and takes it for `owner`
 * (non-zero). timeout_ms 0 tests once; INFINITE never times out. */
enum xm_keyed_mutex_result xm_keyed_mutex_acquire(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner,
                                                  uint32_t timeout_ms);

/* Releases the mutex with `key`. False (nothing changes) when `owner` of
 * this process does not hold it, or it was abandoned. */
bool xm_keyed_mutex_release(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner);

/* Whether `owner` of this process holds the mutex now. */
bool xm_keyed_mutex_is_owned_by(struct xm_keyed_mutex *mutex, uint64_t owner);

/* Marks the mutex abandoned when `owner` of this process holds it (the
 * owner goes away without releasing), and wakes every waiter. */
void xm_keyed_mutex_abandon_owner(struct xm_keyed_mutex *mutex, uint64_t owner);

/* Marks the mutex abandoned when process `pid` holds it (for a broker that
 * learnt of pid's death), and wakes every waiter. */
void xm_keyed_mutex_abandon_pid(struct xm_keyed_mutex *mutex, uint32_t pid);

#endif
