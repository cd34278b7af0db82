/*
 * External semaphores on the cuda backend: waits and signals in stream
 * order on the GPU, with CUDA's stream memory operations on the pages that
 * hold fence and keyed-mutex state (DESIGN.md section 2: a
 * cuStreamWaitValue queued on the GPU is released by a store from another
 * process into a memfd page registered with cuMemHostRegister).
 *
 * - A fence wait is cuStreamWaitValue64(GEQ) on the fence's value; the
 *   host is not blocked. A fence signal is cuStreamWriteValue64 of the
 *   value behind the work queued before it, then a host function that
 *   bumps the page's sequence word and wakes host waiters (their futex),
 *   which a GPU store cannot do.
 * - A keyed mutex is taken on the CPU (external_semaphore.c); what the GPU
 *   waits for is the previous owner's work: cuStreamWaitValue64(GEQ) on
 *   the page's `done` word for the ticket the release handed over. A
 *   release stores its own ticket in `done` with cuStreamWriteValue64
 *   behind the work queued before it, then wakes host waiters the same way.
 *   When the work waited for was queued by another process, a watcher
 *   thread follows that process (pidfd): if it dies before its work
 *   completes, the work never will, so the watcher stores the ticket and
 *   abandons the mutex (core/keyed_mutex.c), and no stream waits for ever.
 *
 * Each page is mapped here a second time, from its fd, and registered with
 * cuMemHostRegister(DEVICEMAP) once per process, shared by every import
 * of it (struct xm_gpu_page, counted). Host functions and watches count as
 * users too, so the mapping they touch outlives them; a registration whose
 * last user was a host function (which may not call CUDA) is undone by the
 * next call made from an application thread.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/cuda_driver.h"
#include "core/error.h"
#include "core/fence.h"
#include "core/hash_map.h"
#include "core/keyed_mutex.h"
#include "cuda/cuda_private.h"

struct xm_gpu_page {
    uint64_t inode;       /* the page's memfd: the registry's key */
    void *host;           /* this registry's own MAP_SHARED mapping of it */
    size_t size;
    CUdeviceptr device;   /* host, as the device sees it */
    uint32_t users;       /* imports, queued host functions and watches; under pages_lock */
    bool registered;
    struct xm_gpu_page *next_unused; /* on the `unused` list */
};

static pthread_mutex_t pages_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xm_hash_map pages;          /* inode -> struct xm_gpu_page */
static struct xm_gpu_page *unused;        /* users reached 0 in a host function: undo on the next call */

static cudaError_t page_fail(CUresult result, const char *file, int line, const char *what)
{
    return xm_driver_fail((int)result, file, line, what);
}
#define PAGE_CHECK(call, what)                                                   \
    do {                                                                         \
        CUresult check_result_ = (call);                                         \
        if (check_result_ != CUDA_SUCCESS)                                       \
            return page_fail(check_result_, __FILE__, __LINE__, what);           \
    } while (0)

static void page_free(const struct xm_cuda_driver *drv, struct xm_gpu_page *page)
{
    if (page->registered && drv)
        drv->cuMemHostUnregister(page->host);
    munmap(page->host, page->size);
    free(page);
}

/* Caller holds pages_lock. Returns the pages no one uses any more; the
 * caller frees them (page_free) once unlocked. */
static struct xm_gpu_page *take_unused(void)
{
    struct xm_gpu_page *list = unused;

    unused = NULL;
    return list;
}

static void free_list(const struct xm_cuda_driver *drv, struct xm_gpu_page *list)
{
    while (list) {
        struct xm_gpu_page *next = list->next_unused;

        page_free(drv, list);
        list = next;
    }
}

/* One user less. in_host_function: the caller may not call CUDA. */
static void page_unuse(struct xm_gpu_page *page, bool in_host_function)
{
    struct xm_gpu_page *list = NULL;
    bool last;

    pthread_mutex_lock(&pages_lock);
    last = --page->users == 0;
    if (last) {
        xm_hash_map_remove(&pages, page->inode);
        page->next_unused = unused;
        unused = page;
        if (!in_host_function)
            list = take_unused();
    }
    pthread_mutex_unlock(&pages_lock);
    if (list)
        free_list(xm_cuda_driver_get(NULL, 0), list);
}

static void page_use(struct xm_gpu_page *page)
{
    pthread_mutex_lock(&pages_lock);
    page->users++;
    pthread_mutex_unlock(&pages_lock);
}

cudaError_t xm_gpu_page_get(int page_fd, struct xm_gpu_page **out)
{
    char why[200];
    const struct xm_cuda_driver *drv = xm_cuda_driver_get(why, sizeof(why));
    struct xm_gpu_page *page, *list;
    struct stat st;
    CUresult result;

    if (!drv)
        return xm_cuda_error(cudaErrorNoDevice, "the CUDA driver cannot run: %s", why);
    if (!drv->stream_memops)
        return xm_cuda_error(cudaErrorNotSupported, "CUDA device 0 (%s) has no 64-bit stream memory operations, "
                             "which stream-ordered semaphores need", drv->device_name);
    if (fstat(page_fd, &st) != 0)
        return xm_cuda_error(cudaErrorOperatingSystem, "fstat of a synchronization page: %s", strerror(errno));
    pthread_mutex_lock(&pages_lock);
    list = take_unused();
    page = xm_hash_map_get(&pages, (uint64_t)st.st_ino);
    if (page)
        page->users++;
    pthread_mutex_unlock(&pages_lock);
    free_list(drv, list);
    if (page) {
        *out = page;
        return cudaSuccess;
    }

    page = calloc(1, sizeof(*page));
    if (!page)
        return xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for a GPU view of a synchronization page");
    page->inode = (uint64_t)st.st_ino;
    page->size = (size_t)st.st_size;
    page->host = mmap(NULL, page->size, PROT_READ | PROT_WRITE, MAP_SHARED, page_fd, 0);
    if (page->host == MAP_FAILED) {
        free(page);
        return xm_cuda_error(cudaErrorOperatingSystem, "mmap of a synchronization page: %s", strerror(errno));
    }
    result = drv->cuMemHostRegister(page->host, page->size, CU_MEMHOSTREGISTER_DEVICEMAP);
    if (result == CUDA_SUCCESS) {
        page->registered = true;
        result = drv->cuMemHostGetDevicePointer(&page->device, page->host, 0);
    }
    if (result != CUDA_SUCCESS) {
        cudaError_t error = page_fail(result, __FILE__, __LINE__, "cuMemHostRegister of a synchronization page");

        page_free(drv, page);
        return error;
    }
    page->users = 1;
    pthread_mutex_lock(&pages_lock);
    /* Another thread may have made the same page meanwhile: use one. */
    {
        struct xm_gpu_page *other = xm_hash_map_get(&pages, page->inode);

        if (other) {
            other->users++;
        } else if (!xm_hash_map_insert(&pages, page->inode, page)) {
            pthread_mutex_unlock(&pages_lock);
            page_free(drv, page);
            return xm_cuda_error(cudaErrorMemoryAllocation, "out of memory for the GPU page registry");
        }
        pthread_mutex_unlock(&pages_lock);
        if (other) {
            page_free(drv, page);
            page = other;
        }
    }
    *out = page;
    return cudaSuccess;
}

void xm_gpu_page_put(struct xm_gpu_page *page)
{
    if (page)
        page_unuse(page, false);
}

/* ---- host functions: what a GPU store cannot do -------------------------- */

static void CUDA_CB wake_fence_waiters(void *arg)
{
    struct xm_gpu_page *page = arg;
    struct xm_fence_state *state = page->host;

    __atomic_add_fetch(&state->sequence, 1, __ATOMIC_RELEASE);
    xm_futex_wake(&state->sequence, XM_FUTEX_ALL_BITS);
    page_unuse(page, true);
}

static void CUDA_CB wake_work_waiters(void *arg)
{
    struct xm_gpu_page *page = arg;

    xm_keyed_mutex_wake_work(page->host);
    page_unuse(page, true);
}

/* Queues a store of `value` at `offset` of the page, then `wake`. */
static cudaError_t write_and_wake(const struct xm_cuda_driver *drv, struct xm_gpu_page *page, cudaStream_t stream,
                                  size_t offset, uint64_t value, CUhostFn wake)
{
    CUresult result;

    PAGE_CHECK(drv->cuStreamWriteValue64((CUstream)stream, page->device + offset, value, 0),
               "cuStreamWriteValue64 (is the stream a live CUDA stream?)");
    page_use(page);
    result = drv->cuLaunchHostFunc((CUstream)stream, wake, page);
    if (result != CUDA_SUCCESS) {
        /* The store is queued; without the host function, wake once the
         * stream got there. */
        drv->cuStreamSynchronize((CUstream)stream);
        wake(page);
    }
    return cudaSuccess;
}

static const struct xm_cuda_driver *driver_for_call(cudaError_t *error)
{
    char why[200];
    const struct xm_cuda_driver *drv = xm_cuda_driver_get(why, sizeof(why));

    *error = drv ? cudaSuccess : xm_cuda_error(cudaErrorNoDevice, "the CUDA driver cannot run: %s", why);
    return drv;
}

cudaError_t xm_gpu_fence_wait(struct xm_gpu_page *page, cudaStream_t stream, uint64_t value)
{
    cudaError_t error;
    const struct xm_cuda_driver *drv = driver_for_call(&error);

    if (!drv)
        return error;
    PAGE_CHECK(drv->cuStreamWaitValue64((CUstream)stream, page->device + offsetof(struct xm_fence_state, value),
                                        value, CU_STREAM_WAIT_VALUE_GEQ),
               "cuStreamWaitValue64 (is the stream a live CUDA stream?)");
    return cudaSuccess;
}

cudaError_t xm_gpu_fence_signal(struct xm_gpu_page *page, cudaStream_t stream, uint64_t value)
{
    cudaError_t error;
    const struct xm_cuda_driver *drv = driver_for_call(&error);

    if (!drv)
        return error;
    return write_and_wake(drv, page, stream, offsetof(struct xm_fence_state, value), value, wake_fence_waiters);
}

/* ---- keyed mutexes: the previous owner's work --------------------------- */

static void watch_releaser(struct xm_gpu_page *page, const struct xm_keyed_mutex_handoff *handoff);

cudaError_t xm_gpu_work_wait(struct xm_gpu_page *page, cudaStream_t stream,
                             const struct xm_keyed_mutex_handoff *handoff)
{
    cudaError_t error;
    const struct xm_cuda_driver *drv = driver_for_call(&error);

    if (!drv)
        return error;
    PAGE_CHECK(drv->cuStreamWaitValue64((CUstream)stream, page->device + offsetof(struct xm_keyed_mutex_state, done),
                                        handoff->ticket, CU_STREAM_WAIT_VALUE_GEQ),
               "cuStreamWaitValue64 (is the stream a live CUDA stream?)");
    if (handoff->releaser_pid != (uint32_t)getpid())
        watch_releaser(page, handoff);
    return cudaSuccess;
}

cudaError_t xm_gpu_work_signal(struct xm_gpu_page *page, cudaStream_t stream,
                               const struct xm_keyed_mutex_handoff *after, uint64_t ticket)
{
    cudaError_t error;
    const struct xm_cuda_driver *drv = driver_for_call(&error);
    size_t done = offsetof(struct xm_keyed_mutex_state, done);

    if (!drv)
        return error;
    /* The ticket is stored after the work this owner waited for, even when
     * the signal is queued on another stream than the wait was: `done`
     * never goes back. */
    if (after && after->ticket && !xm_keyed_mutex_ticket_done(page->host, after->ticket))
        PAGE_CHECK(drv->cuStreamWaitValue64((CUstream)stream, page->device + done, after->ticket,
                                            CU_STREAM_WAIT_VALUE_GEQ),
                   "cuStreamWaitValue64 (is the stream a live CUDA stream?)");
    return write_and_wake(drv, page, stream, done, ticket, wake_work_waiters);
}

/* ---- the watcher of other processes' queued work -------------------------- */

struct watch {
    struct xm_gpu_page *page; /* one user */
    uint32_t pid;
    uint64_t start, ticket;
    int pidfd;
    struct watch *next;
};

#define WATCH_CHECK_MS 50

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static struct watch *watches;
static bool watcher_running;

static bool work_done(const struct watch *w)
{
    return xm_keyed_mutex_ticket_done(w->page->host, w->ticket);
}

/* Polls the pidfds of the processes whose work is waited for, and checks
 * now and then whether that work completed (then the watch goes). Exits
 * once nothing is watched. */
static void *watch_releasers(void *arg)
{
    (void)arg;
    for (;;) {
        struct pollfd fds[64];
        struct watch *finished = NULL, **link;
        nfds_t count = 0;

        pthread_mutex_lock(&watch_lock);
        for (struct watch *w = watches; w && count < 64; w = w->next)
            fds[count++] = (struct pollfd){w->pidfd, POLLIN, 0};
        if (!watches) {
            watcher_running = false;
            pthread_mutex_unlock(&watch_lock);
            return NULL;
        }
        pthread_mutex_unlock(&watch_lock);
        poll(fds, count, WATCH_CHECK_MS);

        pthread_mutex_lock(&watch_lock);
        for (link = &watches; *link;) {
            struct watch *w = *link;
            struct pollfd p = {w->pidfd, POLLIN, 0};
            bool dead = poll(&p, 1, 0) > 0;

            if (dead || work_done(w)) {
                if (dead && !work_done(w))
                    xm_keyed_mutex_releaser_died(w->page->host, w->pid, w->start);
                *link = w->next;
                w->next = finished;
                finished = w;
            } else {
                link = &w->next;
            }
        }
        pthread_mutex_unlock(&watch_lock);
        while (finished) {
            struct watch *next = finished->next;

            close(finished->pidfd);
            page_unuse(finished->page, false);
            free(finished);
            finished = next;
        }
    }
}

static void watch_releaser(struct xm_gpu_page *page, const struct xm_keyed_mutex_handoff *handoff)
{
    struct watch *w = calloc(1, sizeof(*w));
    int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)handoff->releaser_pid, 0);

    if (!w || pidfd < 0) {
        /* No pidfd: the process is gone already (or cannot be followed). */
        if (pidfd < 0 && errno == ESRCH)
            xm_keyed_mutex_releaser_died(page->host, handoff->releaser_pid, handoff->releaser_start);
        if (pidfd >= 0)
            close(pidfd);
        free(w);
        return;
    }
    /* A pid can be reused: the pidfd is of the releaser only if it has the releaser's start time. */
    if (handoff->releaser_start && xm_process_start_time(handoff->releaser_pid) != handoff->releaser_start) {
        xm_keyed_mutex_releaser_died(page->host, handoff->releaser_pid, handoff->releaser_start);
        close(pidfd);
        free(w);
        return;
    }
    w->page = page;
    w->pid = handoff->releaser_pid;
    w->start = handoff->releaser_start;
    w->ticket = handoff->ticket;
    w->pidfd = pidfd;
    page_use(page);
    pthread_mutex_lock(&watch_lock);
    w->next = watches;
    watches = w;
    if (!watcher_running) {
        pthread_attr_t attr;
        pthread_t thread;
        sigset_t all, old;

        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        watcher_running = pthread_create(&thread, &attr, watch_releasers, NULL) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
    }
    pthread_mutex_unlock(&watch_lock);
}
