/*
 * Across processes on the GPU, 64 MiB, in one run, each pair timed
 * alternately iteration by iteration:
 *
 * 1. open + import + map of an object another process made
 *      extmem  cudaImportExternalMemory by name (the broker looks the name
 *              up and sends the fd; this process builds its stand-in for
 *              the resource, imports a dup of the fd with
 *              cuImportExternalMemory) + cudaExternalMemoryGetMappedBuffer
 *      floor   one byte to the producer, the fd back over SCM_RIGHTS,
 *              cuImportExternalMemory (OPAQUE_FD, dedicated)
 *              + cuExternalMemoryGetMappedBuffer of a cuMemCreate (POSIX
 *              fd) allocation of the same size
 *    goal: extmem p50 <= 1.15 x the floor's.
 *
 * 2. a repeated open of an object this process already maps
 *      extmem  the same open by name + import + map while an earlier
 *              import of the object stays mapped
 *      legacy  cudaIpcOpenMemHandle of a cudaMalloc buffer of the same
 *              size (CUDA's legacy IPC; the runtime's call is a thin
 *              wrapper of cuIpcOpenMemHandle)
 *    goal: extmem faster than legacy IPC.
 *
 * Freeing, destroying and closing are outside the timed regions. The
 * producer is this program run again ("producer"), on a socketpair.
 * Prints p50 and p99 of each side and the ratio of the p50s.
 *
 *   bench_ipc_gpu [SCALE]   iterations x SCALE (default 1: 300 each)
 *
 * Exits 77 where the cuda backend cannot run.
 */
#include <cuda_runtime.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <extmem/cuda_compat.h>
#include <extmem/d3d11.h>
#include <extmem/extmem.h>

#include "bench_stats.h"

extern "C" {
#include "backend/cuda_driver.h"
}

#define SIZE (64ull << 20)

static const struct xm_cuda_driver *drv;

#define DIE(...)                                                                                   \
    do {                                                                                           \
        fprintf(stderr, "bench_ipc_gpu: " __VA_ARGS__);                                           \
        fprintf(stderr, " (%s)\n", extmemGetLastErrorMessage());                                   \
        exit(1);                                                                                   \
    } while (0)
#define CU(call)                                                                                   \
    do {                                                                                           \
        CUresult r_ = (call);                                                                      \
        if (r_ != CUDA_SUCCESS)                                                                    \
            DIE("%s: %s", #call, xm_cuda_result_name(r_));                                         \
    } while (0)
#define RT(call)                                                                                   \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess)                                                                     \
            DIE("%s: %s", #call, cudaGetErrorName(e_));                                            \
    } while (0)

/* What the producer tells the consumer once. */
struct hello {
    uint64_t allocation;
    cudaIpcMemHandle_t legacy;
    char name[64];
};

static void send_fd(int sock, int fd)
{
    char byte = 'f';
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {};

    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    if (sendmsg(sock, &msg, 0) != 1)
        DIE("sendmsg");
}

static int receive_fd(int sock)
{
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {};
    int fd = -1;

    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        DIE("recvmsg");
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
        DIE("no fd came");
    memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    return fd;
}

/* ---- the producer -------------------------------------------------------------- */

static int producer(int sock)
{
    struct hello hello = {};
    ID3D11Device *device = NULL;
    ID3D11Buffer *buffer = NULL;
    IDXGIResource1 *dxgi = NULL;
    HANDLE handle = NULL;
    WCHAR wname[64];
    CUmemAllocationProp prop = {};
    CUmemGenericAllocationHandle raw;
    void *legacy = NULL;
    char why[256];
    int raw_fd = -1;

    drv = xm_cuda_driver_get(why, sizeof(why));
    if (!drv)
        DIE("%s", why);
    RT(cudaSetDevice(0));
    if (FAILED(D3D11CreateDevice(NULL, D3D_DRIVER_TYPE_HARDWARE, NULL, 0, NULL, 0, D3D11_SDK_VERSION, &device, NULL,
                                 NULL)))
        DIE("D3D11CreateDevice");
    D3D11_BUFFER_DESC desc = {};
    desc.ByteWidth = (UINT)SIZE;
    desc.Usage = D3D11_USAGE_DEFAULT;
    desc.BindFlags = D3D11_BIND_UNORDERED_ACCESS;
    desc.MiscFlags = D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE;
    if (FAILED(device->CreateBuffer(&desc, NULL, &buffer)) ||
        FAILED(buffer->QueryInterface(IID_IDXGIResource1, (void **)&dxgi)))
        DIE("CreateBuffer");
    snprintf(hello.name, sizeof(hello.name), "extmem-bench-ipc-gpu-%d", (int)getpid());
    for (size_t i = 0; i <= strlen(hello.name); i++)
        wname[i] = (WCHAR)hello.name[i];
    if (FAILED(dxgi->CreateSharedHandle(NULL, DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE, wname,
                                        &handle)))
        DIE("CreateSharedHandle");
    UINT64 allocation = 0;
    extmemGetResourceAllocationSize(buffer, &allocation);
    hello.allocation = allocation;

    /* The floor's allocation: the same kind, the same size. */
    prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = drv->device;
    prop.requestedHandleTypes = CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR;
    CU(drv->cuMemCreate(&raw, allocation, &prop, 0));
    CU(drv->cuMemExportToShareableHandle(&raw_fd, raw, CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, 0));
    {
        /* What a VMM export is, for the record (the broker must not tell
         * such fds apart by inode). */
        char path[64], target[256] = "?";
        struct stat st = {};
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/self/fd/%d", raw_fd);
        if ((n = readlink(path, target, sizeof(target) - 1)) > 0)
            target[n] = '\0';
        fstat(raw_fd, &st);
        printf("a VMM POSIX-fd export is %s (%s, dev %llu, inode %llu)\n", target,
               S_ISCHR(st.st_mode) ? "character device" : S_ISREG(st.st_mode) ? "regular file" : "other",
               (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
        fflush(stdout);
    }

    /* Legacy IPC's. */
    RT(cudaMalloc(&legacy, SIZE));
    RT(cudaIpcGetMemHandle(&hello.legacy, legacy));

    if (write(sock, &hello, sizeof(hello)) != (ssize_t)sizeof(hello))
        DIE("write");
    for (;;) {
        char byte;

        if (read(sock, &byte, 1) != 1 || byte == 'q')
            break;
        send_fd(sock, raw_fd);
    }
    cudaFree(legacy);
    close(raw_fd);
    drv->cuMemRelease(raw);
    CloseHandle(handle);
    dxgi->Release();
    buffer->Release();
    device->Release();
    return 0;
}

/* ---- the consumer --------------------------------------------------------------- */

struct extmem_open {
    cudaExternalMemory_t ext;
    void *ptr;
};

static void extmem_open(const WCHAR *name, uint64_t size, struct extmem_open *out, double *import_us)
{
    cudaExternalMemoryHandleDesc desc;
    cudaExternalMemoryBufferDesc map = {};
    double t0 = now_us();

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalMemoryHandleTypeD3D11Resource;
    desc.handle.win32.name = (void *)name;
    desc.size = size;
    desc.flags = cudaExternalMemoryDedicated;
    map.size = size;
    if (cudaImportExternalMemory(&out->ext, &desc) != cudaSuccess)
        DIE("extmem open by name + import");
    if (import_us)
        *import_us = now_us() - t0;
    if (cudaExternalMemoryGetMappedBuffer(&out->ptr, out->ext, &map) != cudaSuccess)
        DIE("extmem map");
}

static void extmem_close(struct extmem_open *o)
{
    cudaFree(o->ptr);
    cudaDestroyExternalMemory(o->ext);
}

static void report(const char *what, const char *ours_name, double *ours, const char *theirs_name, double *theirs,
                   int n, double goal, const char *goal_text)
{
    double o50 = percentile(ours, n, 0.50), o99 = percentile(ours, n, 0.99);
    double t50 = percentile(theirs, n, 0.50), t99 = percentile(theirs, n, 0.99);
    bool met = goal > 1.0 ? o50 / t50 <= goal : o50 / t50 < goal;

    printf("ipc %s 64 MiB x%d: %s p50 %.1f us p99 %.1f us | %s p50 %.1f us p99 %.1f us | ratio p50 %.3f p99 %.3f "
           "(goal %s %s)\n",
           what, n, ours_name, o50, o99, theirs_name, t50, t99, o50 / t50, o99 / t99, goal_text,
           met ? "met" : "MISSED");
    fflush(stdout);
}

static int consumer(int sock, int iterations)
{
    struct hello hello;
    WCHAR name[64];
    double *ours = (double *)calloc(iterations, sizeof(double)), *floor_ = (double *)calloc(iterations, sizeof(double));
    double *ours_import = (double *)calloc(iterations, sizeof(double));
    double *floor_fd = (double *)calloc(iterations, sizeof(double));
    char why[256];

    if (read(sock, &hello, sizeof(hello)) != (ssize_t)sizeof(hello))
        DIE("the producer did not start");
    for (size_t i = 0; i <= strlen(hello.name); i++)
        name[i] = (WCHAR)hello.name[i];
    drv = xm_cuda_driver_get(why, sizeof(why));
    if (!drv)
        DIE("%s", why);
    RT(cudaSetDevice(0));
    printf("bench_ipc_gpu on %s: allocation %llu MiB\n", drv->device_name,
           (unsigned long long)(hello.allocation >> 20));

    /* 1. open + import + map vs the floor. */
    for (int i = -5; i < iterations; i++) {
        struct extmem_open o;
        CUDA_EXTERNAL_MEMORY_HANDLE_DESC raw_desc = {};
        CUDA_EXTERNAL_MEMORY_BUFFER_DESC raw_map = {};
        CUexternalMemory raw_ext = NULL;
        CUdeviceptr raw_ptr = 0;
        double t0, t1, t2, t3, t4, import_us = 0;
        char byte = 'f';

        t0 = now_us();
        extmem_open(name, hello.allocation, &o, &import_us);
        t1 = now_us();
        extmem_close(&o);

        raw_desc.type = CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD;
        raw_desc.size = hello.allocation;
        raw_desc.flags = CUDA_EXTERNAL_MEMORY_DEDICATED;
        raw_map.size = hello.allocation;
        t2 = now_us();
        if (write(sock, &byte, 1) != 1)
            DIE("write");
        raw_desc.handle.fd = receive_fd(sock);
        t3 = now_us();
        CU(drv->cuImportExternalMemory(&raw_ext, &raw_desc));
        CU(drv->cuExternalMemoryGetMappedBuffer(&raw_ptr, raw_ext, &raw_map));
        t4 = now_us();
        CU(drv->cuMemFree(raw_ptr));
        CU(drv->cuDestroyExternalMemory(raw_ext));
        if (i >= 0) {
            ours[i] = t1 - t0;
            ours_import[i] = import_us;
            floor_[i] = t4 - t2;
            floor_fd[i] = t3 - t2;
        }
    }
    printf("ipc parts p50: extmem open by name + import %.1f us (the rest is the map); floor fd request + "
           "SCM_RIGHTS %.1f us (the rest is import + map)\n",
           percentile(ours_import, iterations, 0.5), percentile(floor_fd, iterations, 0.5));
    report("open+import+map", "extmem by name", ours, "floor fd+import+map", floor_, iterations, 1.15, "<= 1.15");

    /* 2. a repeated open while this process maps the object vs legacy IPC. */
    struct extmem_open held;
    extmem_open(name, hello.allocation, &held, NULL);
    for (int i = -5; i < iterations; i++) {
        struct extmem_open o;
        void *legacy = NULL;
        double t0, t1, t2, t3;

        t0 = now_us();
        extmem_open(name, hello.allocation, &o, NULL);
        t1 = now_us();
        extmem_close(&o);
        t2 = now_us();
        RT(cudaIpcOpenMemHandle(&legacy, hello.legacy, cudaIpcMemLazyEnablePeerAccess));
        t3 = now_us();
        RT(cudaIpcCloseMemHandle(legacy));
        if (i >= 0) {
            ours[i] = t1 - t0;
            floor_[i] = t3 - t2;
        }
    }
    extmem_close(&held);
    report("repeated open", "extmem by name, already mapped", ours, "legacy cudaIpcOpenMemHandle", floor_,
           iterations, 1.0, "< 1.00");

    char quit = 'q';
    if (write(sock, &quit, 1) != 1)
        DIE("write");
    free(ours);
    free(floor_);
    free(ours_import);
    free(floor_fd);
    return 0;
}

int main(int argc, char **argv)
{
    int devices = 0, sv[2], status = 0, scale, rc;
    pid_t child;

    if (argc == 3 && !strcmp(argv[1], "producer"))
        return producer(atoi(argv[2]));
    scale = argc > 1 ? atoi(argv[1]) : 1;
    setenv("EXTMEM_BACKEND", "cuda", 1);
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        printf("skipped: no CUDA device\n");
        return 77;
    }
    if (!extmemGetBackendName()) {
        printf("skipped: %s\n", extmemGetLastErrorMessage());
        return 77;
    }
    /* A broker of its own: a private runtime directory, the build's extmemd. */
    static char runtime_dir[] = "/tmp/xm-bench-ipc-XXXXXX";
    if (!mkdtemp(runtime_dir))
        DIE("mkdtemp");
    setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
    setenv("EXTMEM_BROKER_PATH", EXTMEM_BENCH_BROKER_PATH, 0);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        DIE("socketpair");
    fflush(stdout);
    child = fork();
    if (child == 0) {
        char fd_text[16];

        close(sv[0]);
        /* The producer's end must survive exec. */
        int keep = dup(sv[1]);
        snprintf(fd_text, sizeof(fd_text), "%d", keep);
        execl("/proc/self/exe", argv[0], "producer", fd_text, (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    rc = consumer(sv[0], 300 * (scale > 0 ? scale : 1));
    close(sv[0]);
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        DIE("the producer ended with status 0x%x", (unsigned)status);
    return rc;
}
