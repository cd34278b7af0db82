/*
 * Keyed-mutex handoff latency between two processes, against a raw futex
 * ping-pong between the same two processes in the same run (issue 5's
 * benchmark: the goal is a keyed-mutex handoff within 2x of the raw one).
 *
 * The parent forks a child; both ping-pong `rounds` times, first through
 * one futex word of a shared page (the floor: one FUTEX_WAKE and one
 * FUTEX_WAIT per handoff), then through IDXGIKeyedMutex::AcquireSync /
 * ReleaseSync on a SHARED_KEYEDMUTEX buffer both inherited (parent: key
 * 2i -> 2i+1, child: 2i+1 -> 2i+2, NVIDIA's sample pattern). The parent
 * times each round trip (two handoffs) and prints p50, p99 and the mean
 * of one handoff (half a round trip). Each kind runs once unmeasured
 * first (a tenth of the rounds), so page faults and the scheduler's first
 * placement do not land in the figures.
 *
 * usage: bench_sync [rounds]     (default 20000; host backend, any machine)
 */
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <extmem/d3d11.h>
#include <extmem/extmem.h>

static double now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct stats {
    double p50, p99, mean; /* of one handoff, in microseconds */
};

static struct stats summarize(double *round_trips, int rounds)
{
    struct stats s = {0, 0, 0};

    for (int i = 0; i < rounds; i++)
        s.mean += round_trips[i];
    qsort(round_trips, (size_t)rounds, sizeof(*round_trips), compare_doubles);
    /* A handoff is half a round trip. */
    s.p50 = round_trips[rounds / 2] / 2e3;
    s.p99 = round_trips[(int)(rounds * 0.99)] / 2e3;
    s.mean = s.mean / rounds / 2e3;
    return s;
}

/* ---- the floor: one futex word -------------------------------------------- */

static void futex_wait_for(uint32_t *word, uint32_t want)
{
    uint32_t seen;

    while ((seen = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != want)
        syscall(SYS_futex, word, FUTEX_WAIT, seen, NULL, NULL, 0);
}

static void futex_hand_to(uint32_t *word, uint32_t value)
{
    __atomic_store_n(word, value, __ATOMIC_RELEASE);
    syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static int run_futex(int rounds, double *round_trips)
{
    uint32_t *turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int status = 0;
    pid_t child;

    if (turn == MAP_FAILED)
        return -1;
    child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        for (int i = 0; i < rounds; i++) {
            futex_wait_for(turn, 1);
            futex_hand_to(turn, 0);
        }
        _exit(0);
    }
    for (int i = 0; i < rounds; i++) {
        double start = now_ns();

        futex_hand_to(turn, 1);
        futex_wait_for(turn, 0);
        round_trips[i] = now_ns() - start;
    }
    waitpid(child, &status, 0);
    munmap(turn, 4096);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- the keyed mutex ------------------------------------------------------ */

static int run_keyed_mutex(int rounds, double *round_trips)
{
    D3D11_BUFFER_DESC desc = {4096, D3D11_USAGE_DEFAULT, D3D11_BIND_UNORDERED_ACCESS, 0,
                              D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX, 0};
    ID3D11Device *device = NULL;
    ID3D11Buffer *buffer = NULL;
    IDXGIKeyedMutex *mutex = NULL;
    int status = 0, failed = 0;
    pid_t child;

    if (FAILED(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_WARP, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                                 NULL)) ||
        FAILED(ID3D11Device_CreateBuffer(device, &desc, NULL, &buffer)) ||
        FAILED(ID3D11Buffer_QueryInterface(buffer, &IID_IDXGIKeyedMutex, (void **)&mutex))) {
        fprintf(stderr, "bench_sync: %s\n", extmemGetLastErrorMessage());
        return -1;
    }
    child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        for (uint64_t i = 0; i < (uint64_t)rounds; i++) {
            if (IDXGIKeyedMutex_AcquireSync(mutex, 2 * i + 1, 10000) != S_OK ||
                IDXGIKeyedMutex_ReleaseSync(mutex, 2 * i + 2) != S_OK)
                _exit(1);
        }
        _exit(0);
    }
    if (IDXGIKeyedMutex_AcquireSync(mutex, 0, 10000) != S_OK)
        failed = 1;
    for (uint64_t i = 0; i < (uint64_t)rounds && !failed; i++) {
        double start = now_ns();

        if (IDXGIKeyedMutex_ReleaseSync(mutex, 2 * i + 1) != S_OK ||
            IDXGIKeyedMutex_AcquireSync(mutex, 2 * i + 2, 10000) != S_OK)
            failed = 1;
        round_trips[i] = now_ns() - start;
    }
    if (failed)
        kill(child, SIGKILL);
    waitpid(child, &status, 0);
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Buffer_Release(buffer);
    ID3D11Device_Release(device);
    return !failed && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 20000;
    double *round_trips;
    struct stats raw, keyed;

    if (rounds < 100) {
        fprintf(stderr, "usage: bench_sync [rounds >= 100]\n");
        return 2;
    }
    round_trips = calloc((size_t)rounds, sizeof(*round_trips));
    if (!round_trips)
        return 1;
    if (run_futex(rounds / 10, round_trips) < 0 || run_keyed_mutex(rounds / 10, round_trips) < 0) {
        fprintf(stderr, "bench_sync: the warm-up failed\n");
        return 1;
    }
    if (run_futex(rounds, round_trips) < 0) {
        fprintf(stderr, "bench_sync: the raw futex ping-pong failed\n");
        return 1;
    }
    raw = summarize(round_trips, rounds);
    if (run_keyed_mutex(rounds, round_trips) < 0) {
        fprintf(stderr, "bench_sync: the keyed-mutex ping-pong failed\n");
        return 1;
    }
    keyed = summarize(round_trips, rounds);
    printf("handoff between two processes, %d round trips, microseconds per handoff\n", rounds);
    printf("%-24s %8s %8s %8s\n", "", "p50", "p99", "mean");
    printf("%-24s %8.2f %8.2f %8.2f\n", "raw futex", raw.p50, raw.p99, raw.mean);
    printf("%-24s %8.2f %8.2f %8.2f\n", "keyed mutex (DXGI)", keyed.p50, keyed.p99, keyed.mean);
    printf("%-24s %8.2fx %7.2fx %7.2fx\n", "ratio", keyed.p50 / raw.p50, keyed.p99 / raw.p99,
           keyed.mean / raw.mean);
    free(round_trips);
    return 0;
}
