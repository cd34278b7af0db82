/*
 * Cross-process opens through the broker against the floor, in the same
 * run (issue 3's benchmark), host backend (any machine):
 *
 *   name   cudaImportExternalMemory by handle.win32.name + map the buffer
 *   kmt    cudaImportExternalMemory by KMT value (D3D11ResourceKmt) + map
 *   dup    a DuplicateHandle'd value: import (its first use claims it) + map
 *   floor  ask the producer over a Unix socket, receive a memfd with
 *          SCM_RIGHTS, mmap it: the least any cross-process open can cost
 *
 * Each open is of an object this process holds nothing of (the previous
 * import was destroyed), so each goes to the broker and back with an fd.
 * Kinds alternate round by round. Times are p50/p99 of `rounds` opens,
 * release outside the timed region, after a tenth as many unmeasured.
 *
 * Then the broker at scale: `objects` live KMT objects (default 10,000)
 * held by one process and 64 client processes opening random ones by
 * KMT value (open p99 across all of them), and the broker's resident
 * memory per object.
 *
 * usage: bench_ipc [rounds] [objects]   (default 2000, 10000)
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#include "ipc/connection.h"

#define SIZE (64 * 1024)
#define CLIENTS 64
#define OPENS_PER_CLIENT 200

enum kind { KIND_NAME, KIND_KMT, KIND_DUP, KIND_FLOOR, KINDS };
static const char *const kind_names[KINDS] = {"open by name + map", "open by KMT + map", "duplicated handle + map",
                                              "floor: SCM_RIGHTS + mmap"};

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

static double percentile(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof(*v), compare_doubles);
    return v[(int)(n * p)] / 1e3;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_ipc: %s (%s)\n", what, extmemGetLastErrorMessage());
    exit(1);
}

static void write_all(int fd, const void *p, size_t n)
{
    if (write(fd, p, n) != (ssize_t)n)
        die("pipe write");
}

static void read_all(int fd, void *p, size_t n)
{
    if (read(fd, p, n) != (ssize_t)n)
        die("pipe read");
}

static ID3D11Device *make_device(void)
{
    ID3D11Device *device = NULL;

    if (FAILED(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                                 NULL)))
        die("D3D11CreateDevice");
    return device;
}

static ID3D11Buffer *make_buffer(ID3D11Device *device, UINT misc)
{
    D3D11_BUFFER_DESC desc = {SIZE, D3D11_USAGE_DEFAULT, D3D11_BIND_UNORDERED_ACCESS, 0, misc, 0};
    ID3D11Buffer *buffer = NULL;

    if (FAILED(ID3D11Device_CreateBuffer(device, &desc, NULL, &buffer)))
        die("CreateBuffer");
    return buffer;
}

static void *import_and_map(enum cudaExternalMemoryHandleType type, HANDLE handle, LPCWSTR name,
                            cudaExternalMemory_t *ext)
{
    cudaExternalMemoryHandleDesc desc;
    cudaExternalMemoryBufferDesc buffer = {0};
    void *ptr = NULL;

    memset(&desc, 0, sizeof(desc));
    desc.type = type;
    desc.handle.win32.handle = handle;
    desc.handle.win32.name = name;
    desc.size = SIZE;
    desc.flags = cudaExternalMemoryDedicated;
    if (cudaImportExternalMemory(ext, &desc) != cudaSuccess)
        die("cudaImportExternalMemory");
    buffer.size = SIZE;
    if (cudaExternalMemoryGetMappedBuffer(&ptr, *ext, &buffer) != cudaSuccess)
        die("cudaExternalMemoryGetMappedBuffer");
    return ptr;
}

/* ---- the producer ---------------------------------------------------------- */

struct producer_link {
    int commands[2]; /* consumer -> producer */
    int replies[2];  /* producer -> consumer */
    int floor[2];    /* socketpair for the floor's fd passing */
};

/* Serves the consumer: 'd' = duplicate a handle into it, 'f' = send the
 * memfd over the floor socket, 'q' = quit. Replies with a 64-bit value. */
static void producer(struct producer_link *link, pid_t consumer, uint64_t kmt_out[1])
{
    ID3D11Device *device = make_device();
    ID3D11Buffer *named = make_buffer(device, D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE);
    ID3D11Buffer *kmt = make_buffer(device, D3D11_RESOURCE_MISC_SHARED);
    ID3D11Buffer *dup = make_buffer(device, D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE);
    IDXGIResource1 *r = NULL;
    HANDLE name_handle, kmt_handle, dup_handle, process;
    int memfd = memfd_create("bench-floor", MFD_CLOEXEC);
    char command;

    (void)kmt_out;
    if (memfd < 0 || ftruncate(memfd, SIZE) != 0)
        die("memfd");
    ID3D11Buffer_QueryInterface(named, &IID_IDXGIResource1, (void **)&r);
    if (FAILED(IDXGIResource1_CreateSharedHandle(r, NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE,
                                                 L"bench-ipc-name", &name_handle)))
        die("CreateSharedHandle (name)");
    IDXGIResource1_Release(r);
    ID3D11Buffer_QueryInterface(kmt, &IID_IDXGIResource1, (void **)&r);
    if (FAILED(IDXGIResource1_GetSharedHandle(r, &kmt_handle)))
        die("GetSharedHandle");
    IDXGIResource1_Release(r);
    ID3D11Buffer_QueryInterface(dup, &IID_IDXGIResource1, (void **)&r);
    if (FAILED(IDXGIResource1_CreateSharedHandle(r, NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE,
                                                 NULL, &dup_handle)))
        die("CreateSharedHandle (dup)");
    IDXGIResource1_Release(r);
    process = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)consumer);
    if (!process)
        die("OpenProcess");
    {
        uint64_t value = (uint64_t)(uintptr_t)kmt_handle;

        write_all(link->replies[1], &value, sizeof(value));
    }
    while (read(link->commands[0], &command, 1) == 1 && command != 'q') {
        uint64_t value = 0;

        if (command == 'd') {
            HANDLE out = NULL;

            if (!DuplicateHandle(GetCurrentProcess(), dup_handle, process, &out, 0, FALSE, DUPLICATE_SAME_ACCESS))
                die("DuplicateHandle");
            value = (uint64_t)(uintptr_t)out;
            write_all(link->replies[1], &value, sizeof(value));
        } else if (command == 'f') {
            if (xm_connection_send(link->floor[1], 1, "", 0, NULL, 0, memfd) != 0)
                die("floor send");
        }
    }
    exit(0);
}

/* ---- the consumer's measurements ------------------------------------------ */

static double time_floor(struct producer_link *link, struct xm_connection *conn)
{
    double t0 = now_ns(), t;
    void *ptr;
    int fd;

    write_all(link->commands[1], "f", 1);
    /* The floor's message is a bare header with an fd: opcode 1 with no
     * body fails the real parser, so read it raw. */
    conn->in_len = 0;
    while (conn->in_len < sizeof(struct xm_wire_header))
        if (xm_connection_fill(conn, false) <= 0)
            die("floor receive");
    fd = xm_connection_take_fd(conn);
    ptr = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ptr == MAP_FAILED)
        die("floor mmap");
    t = now_ns() - t0;
    munmap(ptr, SIZE);
    close(fd);
    return t;
}

static double time_kind(enum kind kind, struct producer_link *link, struct xm_connection *conn, HANDLE kmt)
{
    cudaExternalMemory_t ext = NULL;
    double t0, t;
    void *ptr;

    if (kind == KIND_FLOOR)
        return time_floor(link, conn);
    if (kind == KIND_DUP) {
        uint64_t value;
        HANDLE handle;

        write_all(link->commands[1], "d", 1);
        read_all(link->replies[0], &value, sizeof(value));
        handle = (HANDLE)(uintptr_t)value;
        t0 = now_ns();
        ptr = import_and_map(cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, &ext);
        t = now_ns() - t0;
        CloseHandle(handle);
    } else {
        t0 = now_ns();
        ptr = kind == KIND_NAME ? import_and_map(cudaExternalMemoryHandleTypeD3D11Resource, NULL, L"bench-ipc-name",
                                                 &ext)
                                : import_and_map(cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, &ext);
        t = now_ns() - t0;
    }
    cudaFree(ptr);
    cudaDestroyExternalMemory(ext);
    return t;
}

static void bench_opens(int rounds)
{
    struct producer_link link;
    struct xm_connection conn;
    double *times[KINDS];
    uint64_t kmt_value;
    pid_t child;
    double p50[KINDS], p99[KINDS];

    if (pipe(link.commands) || pipe(link.replies) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, link.floor))
        die("pipes");
    fflush(stdout);
    child = fork();
    if (child == 0) {
        producer(&link, getppid(), NULL);
        _exit(0);
    }
    xm_connection_init(&conn, link.floor[0]);
    read_all(link.replies[0], &kmt_value, sizeof(kmt_value));
    for (int k = 0; k < KINDS; k++)
        times[k] = calloc((size_t)rounds, sizeof(double));
    for (int i = -rounds / 10; i < rounds; i++)
        for (int k = 0; k < KINDS; k++) {
            double t = time_kind((enum kind)k, &link, &conn, (HANDLE)(uintptr_t)kmt_value);

            if (i >= 0)
                times[k][i] = t;
        }
    write_all(link.commands[1], "q", 1);
    waitpid(child, NULL, 0);
    printf("\n%d opens of a %d KiB buffer each, alternating kinds:\n\n", rounds, SIZE / 1024);
    printf("| kind | p50 | p99 | ratio to floor p50 | ratio p99 |\n| --- | --- | --- | --- | --- |\n");
    for (int k = 0; k < KINDS; k++) {
        p50[k] = percentile(times[k], rounds, 0.5);
        p99[k] = percentile(times[k], rounds, 0.99);
    }
    for (int k = 0; k < KINDS; k++)
        printf("| %s | %.1f us | %.1f us | %.2f | %.2f |\n", kind_names[k], p50[k], p99[k], p50[k] / p50[KIND_FLOOR],
               p99[k] / p99[KIND_FLOOR]);
    for (int k = 0; k < KINDS; k++)
        free(times[k]);
    close(link.floor[1]);
    xm_connection_finish(&conn);
}

/* ---- the broker at scale ------------------------------------------------- */

static long broker_rss_kb(void)
{
    char path[64], line[256];
    long rss = -1;
    pid_t pid;
    uid_t uid;
    FILE *file;
    char dir[200], why[300], sock[256];
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    if (xm_ipc_runtime_dir(dir, sizeof(dir), false, why, sizeof(why)) != 0)
        return -1;
    snprintf(sock, sizeof(sock), "%s/" XM_IPC_SOCKET_NAME, dir);
    if (strlen(sock) >= sizeof(addr.sun_path))
        return -1;
    memcpy(addr.sun_path, sock, strlen(sock) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || xm_connection_peer(fd, &pid, &uid)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    file = fopen(path, "r");
    while (file && fgets(line, sizeof(line), file))
        if (!strncmp(line, "VmRSS:", 6))
            rss = strtol(line + 6, NULL, 10);
    if (file)
        fclose(file);
    return rss;
}

static void bench_scale(int objects)
{
    int to_holder[2], from_holder[2], results[2];
    uint64_t *values = calloc((size_t)objects, sizeof(*values));
    double *all = calloc(CLIENTS * OPENS_PER_CLIENT, sizeof(double));
    long rss_before, rss_after;
    pid_t holder, clients[CLIENTS];
    char byte;

    if (pipe(to_holder) || pipe(from_holder) || pipe(results))
        die("pipes");
    rss_before = broker_rss_kb();
    fflush(stdout);
    holder = fork();
    if (holder == 0) {
        ID3D11Device *device = make_device();

        for (int i = 0; i < objects; i++) {
            D3D11_BUFFER_DESC desc = {4096, D3D11_USAGE_DEFAULT, 0, 0, D3D11_RESOURCE_MISC_SHARED, 0};
            ID3D11Buffer *buffer = NULL;
            IDXGIResource *r = NULL;
            HANDLE h;
            uint64_t value;

            if (FAILED(ID3D11Device_CreateBuffer(device, &desc, NULL, &buffer)))
                die("CreateBuffer (scale)");
            ID3D11Buffer_QueryInterface(buffer, &IID_IDXGIResource, (void **)&r);
            IDXGIResource_GetSharedHandle(r, &h);
            IDXGIResource_Release(r);
            value = (uint64_t)(uintptr_t)h;
            write_all(from_holder[1], &value, sizeof(value));
            /* The buffer stays alive: its COM reference is never released. */
        }
        read_all(to_holder[0], &byte, 1);
        _exit(0);
    }
    for (int i = 0; i < objects; i++)
        read_all(from_holder[0], &values[i], sizeof(values[i]));
    rss_after = broker_rss_kb();
    fflush(stdout);
    for (int c = 0; c < CLIENTS; c++) {
        clients[c] = fork();
        if (clients[c] == 0) {
            double times[OPENS_PER_CLIENT];

            srand((unsigned)c * 7u + 1u);
            for (int i = 0; i < OPENS_PER_CLIENT; i++) {
                cudaExternalMemory_t ext = NULL;
                cudaExternalMemoryHandleDesc desc;
                double t0 = now_ns();

                memset(&desc, 0, sizeof(desc));
                desc.type = cudaExternalMemoryHandleTypeD3D11ResourceKmt;
                desc.handle.win32.handle = (HANDLE)(uintptr_t)values[rand() % objects];
                desc.size = 4096;
                desc.flags = cudaExternalMemoryDedicated;
                if (cudaImportExternalMemory(&ext, &desc) != cudaSuccess)
                    die("import (scale)");
                times[i] = now_ns() - t0;
                cudaDestroyExternalMemory(ext);
            }
            write_all(results[1], times, sizeof(times));
            _exit(0);
        }
    }
    for (int c = 0; c < CLIENTS; c++)
        read_all(results[0], all + c * OPENS_PER_CLIENT, OPENS_PER_CLIENT * sizeof(double));
    for (int c = 0; c < CLIENTS; c++)
        waitpid(clients[c], NULL, 0);
    write_all(to_holder[1], "q", 1);
    waitpid(holder, NULL, 0);
    printf("\nbroker with %d live objects, %d client processes x %d opens by KMT value (import only):\n", objects,
           CLIENTS, OPENS_PER_CLIENT);
    printf("  open p50 %.1f us, p99 %.1f us\n", percentile(all, CLIENTS * OPENS_PER_CLIENT, 0.5),
           percentile(all, CLIENTS * OPENS_PER_CLIENT, 0.99));
    if (rss_before > 0 && rss_after > 0)
        printf("  broker resident memory: %ld KiB before, %ld KiB with the objects: %.0f bytes per object\n",
               rss_before, rss_after, (rss_after - rss_before) * 1024.0 / objects);
    free(values);
    free(all);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 2000, objects = argc > 2 ? atoi(argv[2]) : 10000;
    char dir[] = "/tmp/extmem-bench-XXXXXX";

    if (rounds < 10 || objects < 1) {
        fprintf(stderr, "usage: bench_ipc [rounds >= 10] [objects >= 1]\n");
        return 2;
    }
    /* A broker of our own, so a user's running one is left alone. */
    if (!mkdtemp(dir))
        die("mkdtemp");
    setenv("XDG_RUNTIME_DIR", dir, 1);
    if (!getenv("EXTMEM_BROKER_PATH"))
        setenv("EXTMEM_BROKER_PATH", EXTMEM_BENCH_BROKER_PATH, 1);
    setenv("EXTMEM_BACKEND", "host", 0);
    printf("bench_ipc: backend %s, broker %s\n", extmemGetBackendName(), getenv("EXTMEM_BROKER_PATH"));
    bench_opens(rounds);
    {
        /* Start the broker from here (an export) so its RSS can be read
         * before the objects arrive. */
        ID3D11Device *device = make_device();
        ID3D11Buffer *buffer = make_buffer(device, D3D11_RESOURCE_MISC_SHARED);
        IDXGIResource *r = NULL;
        HANDLE h;

        ID3D11Buffer_QueryInterface(buffer, &IID_IDXGIResource, (void **)&r);
        IDXGIResource_GetSharedHandle(r, &h);
        IDXGIResource_Release(r);
        bench_scale(objects);
        ID3D11Buffer_Release(buffer);
        ID3D11Device_Release(device);
    }
    return 0;
}
