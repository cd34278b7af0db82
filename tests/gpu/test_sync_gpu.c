/*
 * Synchronization across processes on the GPU. A D3D11 process and a CUDA
 * process (both tests/gpu/sync_gpu_worker.cu, nvcc) hand a shared buffer
 * or texture in GPU memory (cuda backend) back and forth, NVIDIA's D3D11
 * interop sample pattern, through its keyed mutex or through a shared
 * fence, both found by name through the broker: thousands of rounds, every
 * word checked every round on both sides, the CUDA side's kernels ordered
 * by the semaphore calls alone (no host synchronization of its stream
 * between rounds). A signal queued behind a long kernel must carry that
 * kernel: the waiter on the other side returns only once it is done.
 *
 * Then deaths by SIGKILL, each survivor learning of it in bounded time:
 * the D3D11 process dies holding the keyed mutex (the CUDA side's wait
 * fails with cudaErrorExternalDevice); the CUDA process dies right after a
 * signal queued behind a long kernel (the D3D11 side's AcquireSync returns
 * WAIT_ABANDONED, not S_OK); a fence's signaller dies (the waiter times
 * out and cleans up).
 *
 * After every scenario the broker holds nothing and the GPU's free memory
 * is back where it was (cuMemGetInfo). This process only starts the
 * workers, talks to them over pipes, kills them and asks the broker and
 * the driver what is left; the broker is this test's own (xm_ipc_setup: a
 * private XDG_RUNTIME_DIR, the build's extmemd). Each scenario prints a
 * "sync-gpu result:" line (scripts/gpu-check.sh collects them).
 *
 * EXTMEM_TEST_SYNC_ROUNDS=N lengthens the ping-pongs (default 2000).
 * Skips (exit 77) where the cuda backend cannot run or the worker was not
 * built (no nvcc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "gpu_worker.h"
#include "ipc_util.h"

#if defined(EXTMEM_HAVE_CUDA_BACKEND) && defined(EXTMEM_TEST_SYNC_WORKER)

#define DEFAULT_ROUNDS 2000
#define TOLERANCE (2u << 20)   /* less than the shared resource (4 MiB) */
#define LINE_MS 60000          /* for an answer that waits for nothing long */
#define CONTROL_SPIN_MS 1000   /* the kernel a signal is queued behind */
#define DEATH_SPIN_MS 2000     /* the kernel the CUDA process dies behind */
#define BLOCKED_MS 300         /* how long a wait must stay blocked to count as blocked */
#define NOTICE_MS 5000         /* a survivor learns of a death within this */
#define WAIT_MS 10000          /* the workers' own wait timeout (sync_gpu_worker.cu) */

static size_t baseline;
static unsigned rounds;
static int scenario;
static bool set_up;

struct pair {
    struct xm_gpu_worker d3d11, cuda;
    char name[96];
};

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void teardown(void)
{
    xm_gpu_workers_kill_all();
    if (set_up)
        xm_ipc_teardown();
    set_up = false;
}

static void setup(void)
{
    static char why[256];
    static bool registered;

    /* A failed assertion jumps past the test's own teardown: the next
     * test, or the exit, does it. */
    teardown();
    if (!registered)
        atexit(teardown);
    registered = true;
    setenv("EXTMEM_BACKEND", "cuda", 1);
    /* Waits queued on the GPU (the default): the stream, not the host
     * thread, waits for the D3D11 process. */
    unsetenv("EXTMEM_GPU_WAITS");
    if (!extmemGetBackendName()) {
        snprintf(why, sizeof(why), "the cuda backend cannot run here: %s", extmemGetLastErrorMessage());
        XM_SKIP(why);
    }
    if (!rounds) {
        const char *s = getenv("EXTMEM_TEST_SYNC_ROUNDS");

        rounds = s ? (unsigned)strtoul(s, NULL, 0) : DEFAULT_ROUNDS;
        if (rounds < 2)
            rounds = 2;
        printf("  EXTMEM_TEST_SYNC_ROUNDS=%u\n", rounds);
    }
    xm_ipc_setup();
    set_up = true;
    baseline = xm_gpu_free_memory();
}

/* Starts the D3D11 process (it creates and shares the resource, and the
 * fence) and then the CUDA process (it imports and maps them by name). */
static void start_pair(struct pair *p, const char *sync, const char *kind)
{
    char line[1024];
    char *d3d11_argv[] = {(char *)"sync_gpu_worker", (char *)"d3d11", (char *)sync, (char *)kind, p->name, NULL};
    char *cuda_argv[] = {(char *)"sync_gpu_worker", (char *)"cuda", (char *)sync, (char *)kind, p->name, NULL};

    snprintf(p->name, sizeof(p->name), "extmem-sync-gpu-%s-%s-%d-%d", sync, kind, (int)getpid(), scenario++);
    xm_gpu_worker_start(&p->d3d11, "the D3D11 process", EXTMEM_TEST_SYNC_WORKER, d3d11_argv);
    xm_gpu_worker_expect(&p->d3d11, "ready", line, sizeof(line), LINE_MS);
    xm_gpu_worker_start(&p->cuda, "the CUDA process", EXTMEM_TEST_SYNC_WORKER, cuda_argv);
    xm_gpu_worker_expect(&p->cuda, "mapped", line, sizeof(line), LINE_MS);
}

static void tell(struct xm_gpu_worker *worker, const char *fmt, unsigned value)
{
    char command[64];

    snprintf(command, sizeof(command), fmt, value);
    xm_gpu_worker_tell(worker, command);
}

/* Waits for "done R M ..." and asserts R rounds were done in all, with no
 * mismatch and no failure. */
static void expect_done(struct xm_gpu_worker *worker, unsigned want_rounds)
{
    char line[1024];
    unsigned done = 0;
    unsigned long long bad = 0;

    xm_gpu_worker_expect(worker, "done ", line, sizeof(line), LINE_MS + (int)want_rounds * 20);
    XM_ASSERT_MSG(sscanf(line, "done %u %llu", &done, &bad) == 2 && done == want_rounds && bad == 0 &&
                      !strstr(line, "failed:"),
                  "%s: wanted %u rounds done with 0 mismatches (\"done %u 0\"), got \"%s\"", worker->role,
                  want_rounds, want_rounds, line);
}

/* Both run `count` more rounds at once; both must report every round done
 * and no mismatch. Returns how long that took, in ms. */
static double run_rounds(struct pair *p, unsigned count, unsigned total)
{
    double start = now_ms();

    tell(&p->cuda, "rounds %u\n", count);
    tell(&p->d3d11, "rounds %u\n", count);
    expect_done(&p->d3d11, total);
    expect_done(&p->cuda, total);
    return now_ms() - start;
}

/* "... -> RESULT after T ms ...": whether RESULT is `want`, and T. */
static bool result_is(const char *line, const char *want, double *after_ms)
{
    const char *arrow = strstr(line, "-> "), *after;
    size_t n = strlen(want);

    *after_ms = -1;
    if (!arrow || strncmp(arrow + 3, want, n) != 0 || arrow[3 + n] != ' ')
        return false;
    after = strstr(arrow, " after ");
    if (after)
        *after_ms = strtod(after + 7, NULL);
    return true;
}

static void exit_worker(struct xm_gpu_worker *worker)
{
    char line[1024];

    xm_gpu_worker_tell(worker, "exit\n");
    xm_gpu_worker_expect(worker, "bye", line, sizeof(line), LINE_MS);
    xm_gpu_worker_assert_exited_ok(worker);
}

/* The broker holds nothing and the GPU's free memory is back. */
static size_t assert_all_given_back(const char *label)
{
    char full[128];

    snprintf(full, sizeof(full), "sync-gpu %s", label);
    return xm_gpu_assert_memory_back(baseline, TOLERANCE, full);
}

/* ---- ping-pong ----------------------------------------------------------------- */

static void ping_pong(const char *sync, const char *kind)
{
    bool keyed = !strcmp(sync, "keyed");
    const char *what = keyed ? "keyed mutex" : "shared fence", *passed = keyed ? "S_OK" : "WAIT_OBJECT_0";
    struct pair p;
    char line[1024], label[96];
    double took, signal_ms, waited, signalled_at, ended_after;
    size_t free_after;

    setup();
    start_pair(&p, sync, kind);
    took = run_rounds(&p, rounds, rounds);
    printf("  %s, %s: %u rounds between two processes in %.2f s (%.1f us a round), every word checked every "
           "round on both sides, 0 mismatches\n", what, kind, rounds, took / 1e3, took * 1e3 / rounds);

    /* The GPU work queued before a signal is part of it: the CUDA side's
     * next round spins CONTROL_SPIN_MS before its check kernel; its signal
     * call returns at once, the D3D11 side's wait only after the spin. */
    tell(&p.cuda, "round %u\n", CONTROL_SPIN_MS);
    xm_gpu_worker_expect(&p.cuda, "round ", line, sizeof(line), LINE_MS);
    signalled_at = now_ms();
    XM_ASSERT_MSG(result_is(line, "cudaSuccess", &signal_ms) && signal_ms < CONTROL_SPIN_MS / 2,
                  "the CUDA side's signal queued behind a %d ms kernel: wanted cudaSuccess at once (it must not "
                  "wait for the kernel), got \"%s\"", CONTROL_SPIN_MS, line);
    tell(&p.d3d11, "round %u\n", WAIT_MS);
    xm_gpu_worker_expect(&p.d3d11, "round ", line, sizeof(line), WAIT_MS + LINE_MS);
    ended_after = now_ms() - signalled_at;
    XM_ASSERT_MSG(result_is(line, passed, &waited) && strstr(line, ", 0 mismatches"),
                  "the D3D11 side's round after a signal queued behind a %d ms kernel: wanted %s and 0 mismatches, "
                  "got \"%s\"", CONTROL_SPIN_MS, passed, line);
    XM_ASSERT_MSG(ended_after >= CONTROL_SPIN_MS / 2, "the D3D11 side's wait ended %.0f ms after the CUDA side's "
                  "signal returned, but the %d ms kernel queued before that signal must finish first: \"%s\"",
                  ended_after, CONTROL_SPIN_MS, line);
    xm_gpu_worker_tell(&p.cuda, "finish\n");
    expect_done(&p.cuda, rounds + 1);

    exit_worker(&p.cuda);
    exit_worker(&p.d3d11);
    snprintf(label, sizeof(label), "%s ping-pong, %s", what, kind);
    free_after = assert_all_given_back(label);
    printf("  sync-gpu result: %s ping-pong on a %s: %u rounds, %.1f us a round, 0 mismatches on either side; a "
           "signal behind a %d ms kernel returned in %.3f ms, the wait for it ended %.0f ms later; the broker "
           "holds nothing, GPU free memory %zu MiB before and %zu MiB after\n", what, kind, rounds + 1,
           took * 1e3 / rounds, CONTROL_SPIN_MS, signal_ms, ended_after, baseline >> 20, free_after >> 20);
    teardown();
}

XM_TEST(test_keyed_mutex_ping_pong_on_a_buffer)
{
    ping_pong("keyed", "buffer");
}

XM_TEST(test_keyed_mutex_ping_pong_on_a_texture)
{
    ping_pong("keyed", "texture");
}

XM_TEST(test_fence_ping_pong_on_a_buffer)
{
    ping_pong("fence", "buffer");
}

XM_TEST(test_fence_ping_pong_on_a_texture)
{
    ping_pong("fence", "texture");
}

/* ---- deaths -------------------------------------------------------------------- */

XM_TEST(test_cuda_wait_fails_when_the_d3d11_process_dies_holding_the_mutex)
{
    struct pair p;
    char line[1024];
    const char *early;
    double killed_at, noticed, waited;
    size_t free_after;

    setup();
    start_pair(&p, "keyed", "buffer");
    run_rounds(&p, 2, 2);
    /* Round 2: the CUDA side takes key 4 and releases key 5; the D3D11
     * side acquires 5 and keeps the mutex. */
    tell(&p.cuda, "round %u\n", 0);
    xm_gpu_worker_expect(&p.cuda, "round 2: signal 5 -> cudaSuccess", line, sizeof(line), LINE_MS);
    xm_gpu_worker_tell(&p.d3d11, "hold\n");
    xm_gpu_worker_expect(&p.d3d11, "round 2: AcquireSync(5) -> S_OK", line, sizeof(line), WAIT_MS + LINE_MS);
    XM_ASSERT_MSG(strstr(line, ", 0 mismatches (holding)"), "the D3D11 side: wanted to hold the mutex with 0 "
                  "mismatches, got \"%s\"", line);
    /* The CUDA side waits for key 6, which only the holder can release. */
    xm_gpu_worker_tell(&p.cuda, "wait 6 30000\n");
    early = xm_gpu_worker_next_line(&p.cuda, line, sizeof(line), BLOCKED_MS);
    XM_ASSERT_MSG(!early, "the CUDA side's wait for key 6 returned while the D3D11 process held the mutex: \"%s\"",
                  line);
    killed_at = now_ms();
    xm_gpu_worker_kill(&p.d3d11);
    xm_gpu_worker_expect(&p.cuda, "wait 6 -> ", line, sizeof(line), 30000 + LINE_MS);
    noticed = now_ms() - killed_at;
    XM_ASSERT_MSG(result_is(line, "cudaErrorExternalDevice", &waited),
                  "the CUDA side's wait for key 6 after the D3D11 process that held the mutex was killed: wanted "
                  "cudaErrorExternalDevice (the mutex is abandoned), got \"%s\"", line);
    XM_ASSERT_MSG(noticed < NOTICE_MS, "the CUDA side's wait learnt of the holder's death %.0f ms after the kill, "
                  "want less than %d ms: \"%s\"", noticed, NOTICE_MS, line);
    exit_worker(&p.cuda);
    free_after = assert_all_given_back("keyed mutex holder killed");
    printf("  sync-gpu result: the D3D11 process killed holding the keyed mutex: the CUDA side's wait returned "
           "cudaErrorExternalDevice %.0f ms after the kill; the broker holds nothing, GPU free memory %zu MiB "
           "before and %zu MiB after\n", noticed, baseline >> 20, free_after >> 20);
    teardown();
}

XM_TEST(test_acquire_is_abandoned_when_the_cuda_process_dies_behind_a_long_kernel)
{
    struct pair p;
    char line[1024];
    const char *early;
    double signalled_at, killed_at, noticed, waited, signal_ms;
    size_t free_after;

    setup();
    start_pair(&p, "keyed", "buffer");
    run_rounds(&p, 2, 2);
    /* The D3D11 side waits for key 5 before it comes, the CUDA side
     * releases it behind a kernel of DEATH_SPIN_MS. */
    tell(&p.d3d11, "round %u\n", WAIT_MS);
    tell(&p.cuda, "round %u\n", DEATH_SPIN_MS);
    xm_gpu_worker_expect(&p.cuda, "round 2: signal 5 -> ", line, sizeof(line), LINE_MS);
    signalled_at = now_ms();
    XM_ASSERT_MSG(result_is(line, "cudaSuccess", &signal_ms) && signal_ms < DEATH_SPIN_MS / 2,
                  "the CUDA side's signal queued behind a %d ms kernel: wanted cudaSuccess at once, got \"%s\"",
                  DEATH_SPIN_MS, line);
    /* The key is released, the work before it is not done: the acquire
     * still waits. */
    early = xm_gpu_worker_next_line(&p.d3d11, line, sizeof(line), BLOCKED_MS);
    XM_ASSERT_MSG(!early, "the D3D11 side's AcquireSync(5) returned %.0f ms after the CUDA side's signal, while "
                  "the %d ms kernel queued before that signal was still running (it must wait for it): \"%s\"",
                  now_ms() - signalled_at, DEATH_SPIN_MS, line);
    killed_at = now_ms();
    xm_gpu_worker_kill(&p.cuda);
    xm_gpu_worker_expect(&p.d3d11, "round 2: AcquireSync(5) -> ", line, sizeof(line), WAIT_MS + LINE_MS);
    noticed = now_ms() - killed_at;
    /* Compared as it is: SUCCEEDED() is true for WAIT_ABANDONED. */
    XM_ASSERT_MSG(result_is(line, "WAIT_ABANDONED", &waited),
                  "the D3D11 side's AcquireSync(5) after the CUDA process that released key 5 behind a %d ms kernel "
                  "was killed %.0f ms after its signal: wanted WAIT_ABANDONED (0x80; the kernel never finished, the "
                  "data is not trustworthy), got \"%s\"", DEATH_SPIN_MS, killed_at - signalled_at, line);
    XM_ASSERT_MSG(noticed < NOTICE_MS, "the D3D11 side's AcquireSync learnt of the death %.0f ms after the kill, "
                  "want less than %d ms: \"%s\"", noticed, NOTICE_MS, line);
    exit_worker(&p.d3d11);
    free_after = assert_all_given_back("signaller killed behind a kernel");
    printf("  sync-gpu result: the CUDA process killed %.0f ms after releasing key 5 behind a %d ms kernel: the "
           "D3D11 side's AcquireSync(5) returned WAIT_ABANDONED %.0f ms after the kill; the broker holds nothing, "
           "GPU free memory %zu MiB before and %zu MiB after\n", killed_at - signalled_at, DEATH_SPIN_MS, noticed,
           baseline >> 20, free_after >> 20);
    teardown();
}

XM_TEST(test_fence_wait_times_out_after_its_signaller_was_killed)
{
    struct pair p;
    char line[1024];
    double waited, signal_ms;
    unsigned long long completed = 0;
    const char *value;
    size_t free_after;

    setup();
    start_pair(&p, "fence", "buffer");
    run_rounds(&p, 2, 2); /* the fence is at 5: the D3D11 side's last signal */
    /* The CUDA side's round 2: wait 5 (met), a long kernel, signal 6. */
    tell(&p.cuda, "round %u\n", DEATH_SPIN_MS);
    xm_gpu_worker_expect(&p.cuda, "round 2: signal 6 -> ", line, sizeof(line), LINE_MS);
    XM_ASSERT_MSG(result_is(line, "cudaSuccess", &signal_ms), "the CUDA side: wanted its signal of 6 queued, got "
                  "\"%s\"", line);
    /* Queued behind the kernel: not there yet. */
    xm_gpu_worker_tell(&p.d3d11, "fence-wait 6 300\n");
    xm_gpu_worker_expect(&p.d3d11, "fence-wait 6 -> ", line, sizeof(line), LINE_MS);
    XM_ASSERT_MSG(result_is(line, "WAIT_TIMEOUT", &waited), "the D3D11 side's wait for 6 while the %d ms kernel "
                  "queued before the signal of 6 runs: wanted WAIT_TIMEOUT, got \"%s\"", DEATH_SPIN_MS, line);
    xm_gpu_worker_kill(&p.cuda);
    /* It never comes; the wait times out as asked. */
    xm_gpu_worker_tell(&p.d3d11, "fence-wait 6 300\n");
    xm_gpu_worker_expect(&p.d3d11, "fence-wait 6 -> ", line, sizeof(line), LINE_MS);
    value = strstr(line, "completed value ");
    if (value)
        completed = strtoull(value + strlen("completed value "), NULL, 0);
    XM_ASSERT_MSG(result_is(line, "WAIT_TIMEOUT", &waited) && waited >= 290 && value && completed == 5,
                  "the D3D11 side's WaitForSingleObject(event, 300) for 6 after the CUDA process that would signal "
                  "it was killed: wanted WAIT_TIMEOUT after 300 ms with the fence still at 5, got \"%s\"", line);
    exit_worker(&p.d3d11);
    free_after = assert_all_given_back("fence signaller killed");
    printf("  sync-gpu result: the fence's signaller killed behind a %d ms kernel: the waiter's "
           "WaitForSingleObject(event, 300) returned WAIT_TIMEOUT after %.0f ms with the fence at %llu, and it "
           "exited cleanly; the broker holds nothing, GPU free memory %zu MiB before and %zu MiB after\n",
           DEATH_SPIN_MS, waited, completed, baseline >> 20, free_after >> 20);
    teardown();
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_keyed_mutex_ping_pong_on_a_buffer)
    XM_TEST_ENTRY(test_keyed_mutex_ping_pong_on_a_texture)
    XM_TEST_ENTRY(test_fence_ping_pong_on_a_buffer)
    XM_TEST_ENTRY(test_fence_ping_pong_on_a_texture)
    XM_TEST_ENTRY(test_cuda_wait_fails_when_the_d3d11_process_dies_holding_the_mutex)
    XM_TEST_ENTRY(test_acquire_is_abandoned_when_the_cuda_process_dies_behind_a_long_kernel)
    XM_TEST_ENTRY(test_fence_wait_times_out_after_its_signaller_was_killed))

#else

XM_TEST(test_sync_gpu_is_built)
{
#ifndef EXTMEM_HAVE_CUDA_BACKEND
    XM_SKIP("this build has no cuda backend (the CUDA toolkit's cuda.h was not found at configure time)");
#else
    XM_SKIP("the worker program was not built (no nvcc at configure time)");
#endif
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_sync_gpu_is_built))

#endif
