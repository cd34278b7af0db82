/*
 * Across processes on the GPU: a producer process's texture and buffer in
 * GPU memory (cuda backend), shared by name and by KMT value through the
 * broker, imported by a consumer process in the seed's shape, changed by
 * its kernels, read back by the producer through STAGING copies; and
 * SIGKILL of either side at random points leaves no GPU memory behind
 * (cuMemGetInfo, once the broker has dropped the dead process's
 * references).
 *
 * Both sides are tests/gpu/ipc_gpu_worker.cu (nvcc) run as separate
 * programs; this process only starts them, talks to them over pipes,
 * kills them and asks the driver and the broker what is left. The broker
 * is this test's own (xm_ipc_setup: a private XDG_RUNTIME_DIR, the build's
 * extmemd).
 *
 * Skips (exit 77) where the cuda backend cannot run or the worker was not
 * built (no nvcc). EXTMEM_TEST_SEED=N repeats a run's random points.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "gpu_worker.h"
#include "ipc_util.h"

#if defined(EXTMEM_HAVE_CUDA_BACKEND) && defined(EXTMEM_TEST_GPU_WORKER)
enum { WIDTH = 2048, HEIGHT = 2048 };          /* 16 MiB of R32_UINT */
#define BUFFER_BYTES (64u << 20)
#define TOLERANCE (4u << 20)                  /* less than either allocation */
#define LINE_MS 60000

static size_t baseline;
static unsigned seed;

static void setup(void)
{
    static char why[256];
    const char *name;

    xm_gpu_workers_kill_all(); /* what a test that failed half-way left behind */
    setenv("EXTMEM_BACKEND", "cuda", 1);
    name = extmemGetBackendName();
    if (!name) {
        snprintf(why, sizeof(why), "the cuda backend cannot run here: %s", extmemGetLastErrorMessage());
        XM_SKIP(why);
    }
    if (!seed) {
        const char *s = getenv("EXTMEM_TEST_SEED");
        seed = s ? (unsigned)strtoul(s, NULL, 0) : (unsigned)time(NULL) ^ (unsigned)getpid();
        printf("  EXTMEM_TEST_SEED=%u\n", seed);
        srand(seed);
    }
    xm_ipc_setup();
    baseline = xm_gpu_free_memory();
}

static void kill_and_reap(struct xm_gpu_worker *w)
{
    kill(w->pid, SIGKILL);
    xm_gpu_worker_reap(w);
}

static void sleep_ms(unsigned ms)
{
    nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L}, NULL);
}

static void start_producer(struct xm_gpu_worker *w, const char *name, unsigned *kmt)
{
    char width[16], height[16], bytes[24], line[128];
    char *argv[] = {(char *)"ipc_gpu_worker", (char *)"producer", (char *)name, width, height, bytes, NULL};

    snprintf(width, sizeof(width), "%u", WIDTH);
    snprintf(height, sizeof(height), "%u", HEIGHT);
    snprintf(bytes, sizeof(bytes), "%u", BUFFER_BYTES);
    xm_gpu_worker_start(w, "the producer", EXTMEM_TEST_GPU_WORKER, argv);
    if (kmt) {
        xm_gpu_worker_expect(w, "ready ", line, sizeof(line), LINE_MS);
        *kmt = (unsigned)strtoul(line + 6, NULL, 10);
        XM_ASSERT(*kmt != 0);
    }
}

/* mode: 1 re-import every loop, 2 D3D11 readback and UpdateSubresource
 * after the loops (tests/gpu/ipc_gpu_worker.cu). */
static void start_consumer(struct xm_gpu_worker *w, const char *name, unsigned kmt, unsigned loops, int mode)
{
    char kmt_s[16], width[16], height[16], bytes[24], loops_s[16], mode_s[4];
    char *argv[] = {(char *)"ipc_gpu_worker", (char *)"consumer", (char *)name, kmt_s, width, height, bytes,
                    loops_s, mode_s, NULL};

    snprintf(kmt_s, sizeof(kmt_s), "%u", kmt);
    snprintf(width, sizeof(width), "%u", WIDTH);
    snprintf(height, sizeof(height), "%u", HEIGHT);
    snprintf(bytes, sizeof(bytes), "%u", BUFFER_BYTES);
    snprintf(loops_s, sizeof(loops_s), "%u", loops);
    snprintf(mode_s, sizeof(mode_s), "%d", mode);
    xm_gpu_worker_start(w, "the consumer", EXTMEM_TEST_GPU_WORKER, argv);
}

/* The producer copies its resources into STAGING ones and counts words
 * whose increment is outside [lo, hi]. */
static unsigned long producer_check(struct xm_gpu_worker *w, unsigned lo, unsigned hi)
{
    char command[64], line[128];

    snprintf(command, sizeof(command), "check %u %u\n", lo, hi);
    xm_gpu_worker_tell(w, command);
    xm_gpu_worker_expect(w, "checked ", line, sizeof(line), LINE_MS);
    return strtoul(line + 8, NULL, 10);
}

static void producer_exit(struct xm_gpu_worker *w)
{
    char line[64];
    int status;

    xm_gpu_worker_tell(w, "exit\n");
    xm_gpu_worker_expect(w, "bye", line, sizeof(line), LINE_MS);
    status = xm_gpu_worker_reap(w);
    XM_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "producer ended with status 0x%x",
                  (unsigned)status);
}

static void assert_gpu_memory_back(const char *round)
{
    xm_gpu_assert_memory_back(baseline, TOLERANCE, round);
}

static void round_name(char *name, size_t size, const char *what, int round)
{
    snprintf(name, size, "extmem-ipc-gpu-%s-%d-%d", what, (int)getpid(), round);
}

XM_TEST(test_consumer_kernel_changes_are_read_back_by_the_producer)
{
    struct xm_gpu_worker producer, consumer;
    char name[96], line[128];
    unsigned kmt = 0;
    int status;

    setup();
    round_name(name, sizeof(name), "data", 0);
    start_producer(&producer, name, &kmt);
    XM_ASSERT_EQ(producer_check(&producer, 0, 0), 0); /* the initial data, read back through STAGING */
    start_consumer(&consumer, name, kmt, 2, 1 | 2);
    xm_gpu_worker_expect(&consumer, "mapped", line, sizeof(line), LINE_MS);
    xm_gpu_worker_expect(&consumer, "loop 0 0", line, sizeof(line), LINE_MS);
    xm_gpu_worker_expect(&consumer, "loop 1 0", line, sizeof(line), LINE_MS);
    /* The consumer's own D3D11 objects for what it opened through the
     * broker: STAGING readback of the kernels' +2, UpdateSubresource +3. */
    xm_gpu_worker_expect(&consumer, "d3d 0", line, sizeof(line), LINE_MS);
    xm_gpu_worker_expect(&consumer, "done", line, sizeof(line), LINE_MS);
    status = xm_gpu_worker_reap(&consumer);
    XM_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "consumer ended with status 0x%x",
                  (unsigned)status);
    /* Two kernel passes added 2 to every texel and word, and the
     * consumer's UpdateSubresource wrote initial data + 3. */
    XM_ASSERT_EQ(producer_check(&producer, 3, 3), 0);
    printf("  producer read back %u x %u texels and %u words through STAGING: the consumer's kernels and its "
           "UpdateSubresource, 0 mismatches\n", WIDTH, HEIGHT, BUFFER_BYTES / 4);
    producer_exit(&producer);
    assert_gpu_memory_back("clean exit");
    xm_ipc_teardown();
}

XM_TEST(test_kill_consumer_at_random_points)
{
    for (int round = 0; round < 5; round++) {
        struct xm_gpu_worker producer, consumer;
        char name[96], line[128], label[64];
        unsigned kmt = 0, done = 0, delay;
        int status;

        setup();
        round_name(name, sizeof(name), "kill-consumer", round);
        start_producer(&producer, name, &kmt);
        start_consumer(&consumer, name, kmt, 1000000, 1);
        delay = (unsigned)rand() % 1500;
        sleep_ms(delay);
        kill(consumer.pid, SIGKILL);
        /* What it finished before it died. */
        while (xm_gpu_worker_next_line(&consumer, line, sizeof(line), 2000)) {
            unsigned loop;
            unsigned long bad;

            if (sscanf(line, "loop %u %lu", &loop, &bad) == 2) {
                XM_ASSERT_EQ(bad, 0);
                done = loop + 1;
            }
        }
        status = xm_gpu_worker_reap(&consumer);
        XM_ASSERT_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                      "the consumer ended before it was killed (status 0x%x)", (unsigned)status);
        printf("  round %d: consumer killed after %u ms, %u kernel passes done\n", round, delay, done);
        /* The survivor's resources still read back: every word got the
         * finished passes, and at most the one the kill interrupted. */
        XM_ASSERT_EQ(producer_check(&producer, done, done + 1), 0);
        producer_exit(&producer);
        snprintf(label, sizeof(label), "consumer killed, round %d", round);
        assert_gpu_memory_back(label);
        xm_ipc_teardown();
    }
}

XM_TEST(test_kill_producer_at_random_points)
{
    for (int round = 0; round < 5; round++) {
        struct xm_gpu_worker producer, consumer;
        char name[96], line[128], label[64];
        unsigned kmt = 0, delay, loops = 30;
        int status;

        setup();
        round_name(name, sizeof(name), "kill-producer", round);
        start_producer(&producer, name, &kmt);
        start_consumer(&consumer, name, kmt, loops, 0);
        xm_gpu_worker_expect(&consumer, "mapped", line, sizeof(line), LINE_MS);
        delay = (unsigned)rand() % 100;
        sleep_ms(delay);
        kill_and_reap(&producer);
        /* The consumer's mappings outlive the producer: every pass reads
         * back right. */
        for (unsigned loop = 0; loop < loops; loop++) {
            char want[32];

            snprintf(want, sizeof(want), "loop %u 0", loop);
            xm_gpu_worker_expect(&consumer, want, line, sizeof(line), LINE_MS);
        }
        xm_gpu_worker_expect(&consumer, "done", line, sizeof(line), LINE_MS);
        status = xm_gpu_worker_reap(&consumer);
        XM_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "consumer ended with status 0x%x",
                      (unsigned)status);
        printf("  round %d: producer killed %u ms after the consumer mapped; %u passes read back right\n", round,
               delay, loops);
        snprintf(label, sizeof(label), "producer killed, round %d", round);
        assert_gpu_memory_back(label);
        xm_ipc_teardown();
    }
}

XM_TEST(test_kill_producer_while_it_creates_and_shares)
{
    for (int round = 0; round < 5; round++) {
        struct xm_gpu_worker producer;
        char name[96], label[64];
        unsigned delay = (unsigned)rand() % 1500;

        setup();
        round_name(name, sizeof(name), "kill-early", round);
        start_producer(&producer, name, NULL);
        sleep_ms(delay);
        kill_and_reap(&producer);
        snprintf(label, sizeof(label), "producer killed %u ms after its start", delay);
        assert_gpu_memory_back(label);
        xm_ipc_teardown();
    }
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_consumer_kernel_changes_are_read_back_by_the_producer)
    XM_TEST_ENTRY(test_kill_consumer_at_random_points)
    XM_TEST_ENTRY(test_kill_producer_at_random_points)
    XM_TEST_ENTRY(test_kill_producer_while_it_creates_and_shares))

#else

XM_TEST(test_ipc_gpu_is_built)
{
#ifndef EXTMEM_HAVE_CUDA_BACKEND
    XM_SKIP("this build has no cuda backend (the CUDA toolkit's cuda.h was not found at configure time)");
#else
    XM_SKIP("the worker program was not built (no nvcc at configure time)");
#endif
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_ipc_gpu_is_built))

#endif
