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
 * Work that the releaser queued (WDDM's model, where ReleaseSync and
 * AcquireSync each carry a fence value): a release happens on the CPU at
 * once, and hands over a *ticket*, the point the releaser's queued work
 * reaches when it completes. `done` holds the highest ticket whose work is
 * complete. A host release (the D3D11 side, whose work is done when its
 * calls return; a CUDA release on a host stream) stores its ticket in
 * `done` itself; a GPU release (a CUDA signal on a real stream) leaves that
 * store to the GPU, queued behind the work (cuStreamWriteValue64 on the
 * page registered with cuMemHostRegister). The next owner takes the mutex
 * on the CPU (xm_keyed_mutex_take) and then waits for `done` to reach the
 * ticket: on the host (xm_keyed_mutex_wait_work) or on its GPU stream
 * (cuStreamWaitValue64). A releaser that dies before its work completes
 * abandons the mutex, as an owner that dies holding it does.
 *
 * Cross-process use: the page is struct xm_keyed_mutex_state below, at
 * offset 0 of the memfd `page.fd`. A process that maps the same fd takes
 * part with the same functions; waiters for a key sleep on `sequence` with
 * FUTEX_WAIT_BITSET (shared, not private), bit (key % 32), and every change
 * of owner bumps `sequence` and wakes that bit (abandonment wakes all
 * bits); waiters for work sleep on the low 32 bits of `done`, which change
 * with every ticket, and whoever stores `done` wakes them. A broker that
 * sees a peer die may call xm_keyed_mutex_abandon_pid() to wake waiters at
 * once.
 */
#ifndef EXTMEM_CORE_KEYED_MUTEX_H
#define EXTMEM_CORE_KEYED_MUTEX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sync_page.h"

#define XM_KEYED_MUTEX_MAGIC 0x4d4b4d58u /* "XMKM" */
#define XM_KEYED_MUTEX_VERSION 2u /* 2: work tickets */

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
    uint64_t ticket;      /* the last release's ticket (0 before the first release) */
    uint64_t done;        /* the highest ticket whose work is complete; stored by the CPU or the GPU, read
                           * without the lock; its low 32 bits are a futex word */
    uint32_t releaser_pid; /* process of the last release, for its liveness while done < ticket */
    uint32_t reserved;
    uint64_t releaser_start;
};

/* What a taken mutex still waits for: the last releaser's work. */
struct xm_keyed_mutex_handoff {
    uint64_t ticket;
    uint32_t releaser_pid;
    uint64_t releaser_start;
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
 * (non-zero), then until the releaser's work is complete, all within
 * timeout_ms (0 tests once; INFINITE never times out). A timeout during
 * the second wait gives the mutex back as it was. */
enum xm_keyed_mutex_result xm_keyed_mutex_acquire(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner,
                                                  uint32_t timeout_ms);

/* The same, telling in *handoff what it waited for (written while the
 * mutex's lock is held, so that whoever sees the mutex owned sees it). */
enum xm_keyed_mutex_result xm_keyed_mutex_acquire_handoff(struct xm_keyed_mutex *mutex, uint64_t key,
                                                          uint64_t owner, uint32_t timeout_ms,
                                                          struct xm_keyed_mutex_handoff *handoff);

/* The first half of xm_keyed_mutex_acquire: takes the mutex once it is
 * released with `key`, and tells in *handoff what the releaser's work will
 * reach when complete, for the caller to wait for (on a GPU stream, say). */
enum xm_keyed_mutex_result xm_keyed_mutex_take(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner,
                                               uint32_t timeout_ms, struct xm_keyed_mutex_handoff *handoff);

/* Whether the work a handoff waits for is complete. */
bool xm_keyed_mutex_work_is_done(struct xm_keyed_mutex *mutex, const struct xm_keyed_mutex_handoff *handoff);

/* The second half: waits until the handoff's work is complete, or until
 * the CLOCK_MONOTONIC `deadline` (NULL: none). ACQUIRED, TIMED_OUT (the
 * caller still owns the mutex), or WAS_ABANDONED: the releaser died before
 * its work completed; the mutex is abandoned (and no longer the caller's). */
enum xm_keyed_mutex_result xm_keyed_mutex_wait_work(struct xm_keyed_mutex *mutex, uint64_t owner,
                                                    const struct xm_keyed_mutex_handoff *handoff,
                                                    const struct timespec *deadline);

/* Gives a taken mutex back as it was before xm_keyed_mutex_take: released
 * with the same key, waiting for the same work. */
void xm_keyed_mutex_untake(struct xm_keyed_mutex *mutex, uint64_t owner);

/* Releases the mutex with `key`; the caller's work is complete. False
 * (nothing changes) when `owner` of this process does not hold it, or it
 * was abandoned. */
bool xm_keyed_mutex_release(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner);

/* The ticket the owner's next release will hand over. */
uint64_t xm_keyed_mutex_next_ticket(struct xm_keyed_mutex *mutex);

/* Releases with `key` while the caller's work is still queued: `ticket`
 * (from xm_keyed_mutex_next_ticket) is stored in `done` by that work when
 * it completes, followed by xm_keyed_mutex_wake_work(). */
bool xm_keyed_mutex_release_queued(struct xm_keyed_mutex *mutex, uint64_t key, uint64_t owner, uint64_t ticket);

/* Whether the page's `done` word has reached `ticket`, compared as
 * cuStreamWaitValue64(GEQ) compares, so that host and GPU agree. */
bool xm_keyed_mutex_ticket_done(struct xm_keyed_mutex_state *state, uint64_t ticket);

/* Wakes the waiters for work of the mutex whose page is mapped at `state`
 * (any mapping of it): what follows a store to `done` made elsewhere. */
void xm_keyed_mutex_wake_work(struct xm_keyed_mutex_state *state);

/* Called when process (pid, start) died: if the mutex still waits for
 * that process's queued work, the work will never complete: stores its
 * ticket in `done` (so that no GPU stream waits for it for ever), marks
 * the mutex abandoned and wakes everyone. True when it did. */
bool xm_keyed_mutex_releaser_died(struct xm_keyed_mutex_state *state, uint32_t pid, uint64_t start);

/* Whether `owner` of this process holds the mutex now. */
bool xm_keyed_mutex_is_owned_by(struct xm_keyed_mutex *mutex, uint64_t owner);

/* Marks the mutex abandoned when `owner` of this process holds it (the
 * owner goes away without releasing), and wakes every waiter. */
void xm_keyed_mutex_abandon_owner(struct xm_keyed_mutex *mutex, uint64_t owner);

/* Marks the mutex abandoned when process `pid` holds it (for a broker that
 * learnt of pid's death), and wakes every waiter. */
void xm_keyed_mutex_abandon_pid(struct xm_keyed_mutex *mutex, uint32_t pid);

#endif
