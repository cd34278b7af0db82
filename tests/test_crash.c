/*
 * Crash safety across processes (issue 3): a producer exports a buffer by
 * KMT value, a consumer opens, imports and maps it, and at a random point
 * one of producer, consumer or broker dies by SIGKILL. Afterwards:
 *
 * - the survivors' mappings still read the right data;
 * - a dead producer's KMT value is gone; after a broker kill, the value
 *   works again once the producer's library reconnected to a new broker;
 * - the broker holds nothing once the survivors let go (LIST is empty and
 *   it has no more fds than when idle), and the survivors hold no fd more
 *   than before they started (their broker connection aside).
 *
 * EXTMEM_CRASH_ROUNDS sets the number of rounds (default 50: CI-sized;
 * use thousands on a benchmark machine); EXTMEM_CRASH_SEED replays a run.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc_util.h"

#define WORDS 1024
#define NOTHING_TO_CHECK 3 /* the consumer's exit status when the producer died before sharing */

enum victim { VICTIM_PRODUCER, VICTIM_CONSUMER, VICTIM_BROKER, VICTIM_KINDS };

static const char *const victim_names[] = {"producer", "consumer", "broker"};

struct round {
    struct xm_ipc_channel value;        /* producer -> consumer: the KMT value */
    struct xm_ipc_channel to_producer;  /* parent -> producer: 1 = finish */
    struct xm_ipc_channel to_consumer;  /* parent -> consumer: victim + 1 */
    struct xm_ipc_channel ready;        /* consumer -> parent: mapped */
    uint32_t seed;
};

static void sleep_us(long us)
{
    nanosleep(&(struct timespec){us / 1000000, (us % 1000000) * 1000}, NULL);
}

/* Non-socket fds of this process, and sockets. */
static void fd_census(int *files, int *sockets)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *entry;

    *files = *sockets = 0;
    XM_ASSERT_NOT_NULL(dir);
    while ((entry = readdir(dir))) {
        char path[300], target[64];
        ssize_t n;

        if (entry->d_name[0] == '.' || atoi(entry->d_name) == dirfd(dir))
            continue;
        snprintf(path, sizeof(path), "/proc/self/fd/%s", entry->d_name);
        n = readlink(path, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        if (!strncmp(target, "socket:", 7))
            (*sockets)++;
        else
            (*files)++;
    }
    closedir(dir);
}

static int broker_fd_count(pid_t broker)
{
    char path[64];
    struct dirent *entry;
    int count = 0;
    DIR *dir;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)broker);
    dir = opendir(path);
    if (!dir)
        return -1;
    while ((entry = readdir(dir)))
        if (entry->d_name[0] != '.')
            count++;
    closedir(dir);
    return count;
}

static void assert_words(const uint32_t *words, uint32_t seed)
{
    uint32_t want[WORDS];

    xm_ipc_pattern(want, WORDS, seed);
    XM_ASSERT_MSG(memcmp(words, want, sizeof(want)) == 0, "the mapping no longer reads the data");
}

static void producer(void *arg)
{
    struct round *r = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11DeviceContext *context = NULL;
    D3D11_BUFFER_DESC desc = {0};
    D3D11_MAPPED_SUBRESOURCE mapped;
    ID3D11Buffer *buffer, *staging = NULL;
    uint32_t data[WORDS];

    xm_ipc_channel_close_read(&r->value);
    xm_ipc_channel_close(&r->ready);
    xm_ipc_channel_close(&r->to_consumer);
    xm_ipc_pattern(data, WORDS, r->seed);
    buffer = xm_test_buffer(device, sizeof(data), D3D11_RESOURCE_MISC_SHARED, data);
    xm_ipc_send(&r->value, (uint64_t)(uintptr_t)xm_test_kmt_handle(buffer));
    XM_ASSERT_EQ(xm_ipc_receive(&r->to_producer), 1);
    /* Its own view of the data is untouched by whoever died. */
    ID3D11Device1_GetImmediateContext(device, &context);
    desc.ByteWidth = sizeof(data);
    desc.Usage = D3D11_USAGE_STAGING;
    desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    XM_ASSERT_HR(ID3D11Device1_CreateBuffer(device, &desc, NULL, &staging), S_OK);
    ID3D11DeviceContext_CopyResource(context, (ID3D11Resource *)staging, (ID3D11Resource *)buffer);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging, 0, D3D11_MAP_READ, 0, &mapped), S_OK);
    assert_words(mapped.pData, r->seed);
    ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)staging, 0);
    ID3D11Buffer_Release(staging);
    ID3D11DeviceContext_Release(context);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

/* Opens the value again, for up to two seconds (a new broker learns of
 * the producer's objects when the producer's library reconnects). */
static HRESULT reopen(ID3D11Device1 *device, HANDLE kmt, ID3D11Buffer **buffer)
{
    HRESULT hr = E_FAIL;

    for (int i = 0; i < 400; i++) {
        hr = ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Buffer, (void **)buffer);
        if (SUCCEEDED(hr))
            break;
        sleep_us(5000);
    }
    return hr;
}

static void consumer(void *arg)
{
    struct round *r = arg;
    cudaExternalMemoryBufferDesc desc = {0};
    cudaExternalMemory_t ext = NULL;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer = NULL;
    uint32_t *mapped = NULL;
    int files_before, sockets_before, files_after, sockets_after;
    uint64_t value = 0;
    enum victim victim;
    HANDLE kmt;

    xm_ipc_channel_close_write(&r->value);
    xm_ipc_channel_close(&r->to_producer);
    xm_ipc_channel_close_read(&r->ready);
    device = xm_test_device(NULL);
    fd_census(&files_before, &sockets_before);
    if (read(r->value.fds[0], &value, sizeof(value)) != (ssize_t)sizeof(value))
        _exit(NOTHING_TO_CHECK); /* the producer died before sharing */
    kmt = (HANDLE)(uintptr_t)value;
    if (xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, WORDS * 4) != cudaSuccess)
        _exit(NOTHING_TO_CHECK); /* ... or right after */
    desc.size = WORDS * 4;
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&mapped, ext, &desc), cudaSuccess);
    assert_words(mapped, r->seed);
    /* The mapping alone holds the memory from here on. */
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    xm_ipc_send(&r->ready, 1);

    victim = (enum victim)(xm_ipc_receive(&r->to_consumer) - 1);
    assert_words(mapped, r->seed);
    if (victim == VICTIM_PRODUCER) {
        /* The value died with the last reference: the producer's. */
        XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Buffer, (void **)&buffer),
                     E_INVALIDARG);
    } else {
        /* A new broker knows the value again once the producer's library
         * registered its objects there. */
        XM_ASSERT_HR(reopen(device, kmt, &buffer), S_OK);
        XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, WORDS * 4),
                       cudaSuccess);
        XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
        ID3D11Buffer_Release(buffer);
        xm_ipc_send(&r->ready, 2);
    }
    assert_words(mapped, r->seed);
    XM_ASSERT_CUDA(cudaFree(mapped), cudaSuccess);
    ID3D11Device1_Release(device);
    fd_census(&files_after, &sockets_after);
    XM_ASSERT_EQ(files_after, files_before);
    XM_ASSERT(sockets_after <= sockets_before + 1); /* the broker connection */
}

/* Waits for a child: its exit status, or -1 when a signal ended it. */
static int wait_status(pid_t child)
{
    int status = 0;

    XM_ASSERT_EQ(waitpid(child, &status, 0), child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void assert_broker_idle(void)
{
    pid_t broker = xm_ipc_broker_pid();
    int fds = -1;

    if (broker == 0)
        return; /* none ever started (the producer died first): nothing held */
    xm_ipc_assert_broker_objects(0);
    /* stdio, the lock file, the listening socket, the fd it keeps in
     * reserve, and (briefly) the connection that asked for its pid. */
    for (int i = 0; i < 200; i++) {
        fds = broker_fd_count(broker);
        if (fds >= 0 && fds <= 6)
            break;
        sleep_us(5000);
    }
    XM_ASSERT_MSG(fds >= 0 && fds <= 6, "the broker holds %d fds", fds);
}

static void run_round(unsigned round, enum victim victim, bool early)
{
    struct round r;
    pid_t producer_pid, consumer_pid, broker = 0;
    int producer_status, consumer_status;

    r.seed = round * 7919u + 1;
    xm_ipc_channel_open(&r.value);
    xm_ipc_channel_open(&r.to_producer);
    xm_ipc_channel_open(&r.to_consumer);
    xm_ipc_channel_open(&r.ready);
    producer_pid = xm_ipc_spawn(producer, &r);
    consumer_pid = xm_ipc_spawn(consumer, &r);
    /* Only the children keep these ends, so a dead one reads as end of stream. */
    xm_ipc_channel_close(&r.value);
    xm_ipc_channel_close_write(&r.ready);
    xm_ipc_channel_close_read(&r.to_producer);
    xm_ipc_channel_close_read(&r.to_consumer);

    if (early) {
        sleep_us(rand() % 4000); /* anywhere in setup */
    } else {
        XM_ASSERT_EQ(xm_ipc_receive(&r.ready), 1);
        sleep_us(rand() % 1000);
    }
    switch (victim) {
    case VICTIM_PRODUCER: kill(producer_pid, SIGKILL); break;
    case VICTIM_CONSUMER: kill(consumer_pid, SIGKILL); break;
    default:
        broker = xm_ipc_broker_pid();
        XM_ASSERT(broker > 0); /* the consumer mapped through it */
        XM_ASSERT_EQ(kill(broker, SIGKILL), 0);
        break;
    }
    if (victim == VICTIM_PRODUCER)
        XM_ASSERT_EQ(wait_status(producer_pid), -1);
    if (victim == VICTIM_CONSUMER)
        XM_ASSERT_EQ(wait_status(consumer_pid), -1);

    if (victim != VICTIM_CONSUMER) {
        uint64_t ready = 1;

        /* After an early kill the consumer may never have mapped anything. */
        if (early && !xm_ipc_try_receive(&r.ready, &ready)) {
            consumer_status = wait_status(consumer_pid);
            XM_ASSERT_MSG(consumer_status == NOTHING_TO_CHECK, "round %u: the consumer ended with %d", round,
                          consumer_status);
        } else {
            XM_ASSERT_EQ(ready, 1);
            /* The broker drops a dead process's references when it reads
             * the hang-up, a moment after the death: wait for that. */
            if (victim == VICTIM_PRODUCER)
                xm_ipc_assert_broker_objects(0);
            xm_ipc_send(&r.to_consumer, (uint64_t)victim + 1);
            if (victim == VICTIM_BROKER) {
                XM_ASSERT_EQ(xm_ipc_receive(&r.ready), 2);
                XM_ASSERT_NE(xm_ipc_broker_pid(), broker); /* a new one took over */
            }
            consumer_status = wait_status(consumer_pid);
            XM_ASSERT_MSG(consumer_status == 0, "round %u: the consumer ended with %d after the %s died", round,
                          consumer_status, victim_names[victim]);
        }
    }
    if (victim != VICTIM_PRODUCER) {
        xm_ipc_send(&r.to_producer, 1);
        producer_status = wait_status(producer_pid);
        XM_ASSERT_MSG(producer_status == 0, "round %u: the producer ended with %d after the %s died", round,
                      producer_status, victim_names[victim]);
    }
    assert_broker_idle();
    xm_ipc_channel_close(&r.to_producer);
    xm_ipc_channel_close(&r.to_consumer);
    xm_ipc_channel_close(&r.ready);
}

XM_TEST(test_kill_producer_consumer_or_broker_at_random_points)
{
    const char *rounds_env = getenv("EXTMEM_CRASH_ROUNDS"), *seed_env = getenv("EXTMEM_CRASH_SEED");
    unsigned rounds = rounds_env ? (unsigned)atoi(rounds_env) : 50;
    unsigned seed = seed_env ? (unsigned)atoi(seed_env) : (unsigned)time(NULL) ^ (unsigned)getpid();
    int files_before, sockets_before, files_after, sockets_after;

    printf("  %u rounds, EXTMEM_CRASH_SEED=%u\n", rounds, seed);
    srand(seed);
    xm_ipc_setup();
    fd_census(&files_before, &sockets_before);
    for (unsigned round = 0; round < rounds; round++) {
        enum victim victim = (enum victim)(round % VICTIM_KINDS);
        /* An early consumer kill proves nothing more than a late one, and
         * an early broker kill is a plain start: keep early for producers. */
        bool early = victim == VICTIM_PRODUCER && rand() % 2;

        run_round(round, victim, early);
    }
    fd_census(&files_after, &sockets_after);
    XM_ASSERT_EQ(files_after, files_before);
    XM_ASSERT_EQ(sockets_after, sockets_before);
    xm_ipc_teardown();
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_kill_producer_consumer_or_broker_at_random_points))
