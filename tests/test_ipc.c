/*
 * Sharing across processes through the broker (docs/ARCHITECTURE.md,
 * "Across processes"): KMT values, names and their clashes, references
 * counted over processes, the broker's directory and its defences.
 *
 * Each test runs producer and consumer in forked children with a broker
 * of its own (xm_ipc_setup); the test process itself only watches.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/kmt_value.h"
#include "ipc/connection.h"
#include "ipc/protocol.h"
#include "ipc_util.h"

#define WORDS 64
#define RW (DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE)
#define SHARED_NT (D3D11_RESOURCE_MISC_SHARED | D3D11_RESOURCE_MISC_SHARED_NTHANDLE)

static void sleep_ms(unsigned ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
}

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct scenario {
    struct xm_ipc_channel to_consumer, to_producer;
    uint32_t seed;
    const WCHAR *name;
    DWORD access;
    pid_t target;    /* DuplicateHandle: the consumer's pid */
};

static void scenario_open(struct scenario *s, uint32_t seed, const WCHAR *name)
{
    memset(s, 0, sizeof(*s));
    xm_ipc_channel_open(&s->to_consumer);
    xm_ipc_channel_open(&s->to_producer);
    s->seed = seed;
    s->name = name;
    s->access = RW;
}

static void scenario_close(struct scenario *s)
{
    xm_ipc_channel_close(&s->to_consumer);
    xm_ipc_channel_close(&s->to_producer);
}

/* Imports a handle or name and checks the first WORDS words. */
static void assert_import_reads(enum cudaExternalMemoryHandleType type, HANDLE handle, LPCWSTR name, uint32_t seed)
{
    cudaExternalMemoryBufferDesc desc = {0};
    cudaExternalMemory_t ext = NULL;
    uint32_t want[WORDS], *mapped = NULL;

    XM_ASSERT_CUDA(xm_test_import(&ext, type, handle, name, sizeof(want)), cudaSuccess);
    desc.size = sizeof(want);
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&mapped, ext, &desc), cudaSuccess);
    xm_ipc_pattern(want, WORDS, seed);
    XM_ASSERT(memcmp(mapped, want, sizeof(want)) == 0);
    XM_ASSERT_CUDA(cudaFree(mapped), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
}

static void assert_buffer_reads(ID3D11Device1 *device, ID3D11Buffer *buffer, uint32_t seed)
{
    ID3D11DeviceContext *context = NULL;
    D3D11_BUFFER_DESC desc = {0};
    D3D11_MAPPED_SUBRESOURCE mapped;
    ID3D11Buffer *staging = NULL;
    uint32_t want[WORDS];

    ID3D11Device1_GetImmediateContext(device, &context);
    desc.ByteWidth = sizeof(want);
    desc.Usage = D3D11_USAGE_STAGING;
    desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    XM_ASSERT_HR(ID3D11Device1_CreateBuffer(device, &desc, NULL, &staging), S_OK);
    ID3D11DeviceContext_CopyResource(context, (ID3D11Resource *)staging, (ID3D11Resource *)buffer);
    XM_ASSERT_HR(ID3D11DeviceContext_Map(context, (ID3D11Resource *)staging, 0, D3D11_MAP_READ, 0, &mapped), S_OK);
    xm_ipc_pattern(want, WORDS, seed);
    XM_ASSERT(memcmp(mapped.pData, want, sizeof(want)) == 0);
    ID3D11DeviceContext_Unmap(context, (ID3D11Resource *)staging, 0);
    ID3D11Buffer_Release(staging);
    ID3D11DeviceContext_Release(context);
}

/* ---- producers and consumers ---------------------------------------------- */

/* Makes a buffer holding the pattern, sends its KMT value (or, with a
 * name, shares it by name and sends 1), then waits for the consumer. */
static void producer(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    uint32_t data[WORDS];
    ID3D11Buffer *buffer;
    HANDLE handle = NULL;

    xm_ipc_pattern(data, WORDS, s->seed);
    buffer = xm_test_buffer(device, sizeof(data), s->name ? SHARED_NT : D3D11_RESOURCE_MISC_SHARED, data);
    if (s->name)
        handle = xm_test_nt_handle(buffer, s->access, s->name);
    else
        handle = xm_test_kmt_handle(buffer);
    xm_ipc_send(&s->to_consumer, s->name ? 1 : (uint64_t)(uintptr_t)handle);
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_producer), 1); /* the consumer is done */
    if (s->name)
        XM_ASSERT(CloseHandle(handle));
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

static void kmt_consumer(void *arg)
{
    struct scenario *s = arg;
    HANDLE kmt = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = NULL;

    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Buffer, (void **)&buffer), S_OK);
    assert_buffer_reads(device, buffer, s->seed);
    assert_import_reads(cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, s->seed);
    /* The KMT value is the same here as there. */
    XM_ASSERT_PTR_EQ(xm_test_kmt_handle(buffer), kmt);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
    xm_ipc_send(&s->to_producer, 1);
}

static void name_consumer(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer = NULL;

    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 1);
    device = xm_test_device(NULL);
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResourceByName(device, s->name, RW, &IID_ID3D11Buffer, (void **)&buffer),
                 S_OK);
    assert_buffer_reads(device, buffer, s->seed);
    assert_import_reads(cudaExternalMemoryHandleTypeD3D11Resource, NULL, s->name, s->seed);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
    xm_ipc_send(&s->to_producer, 1);
}

static void run_pair(struct scenario *s, void (*consumer)(void *))
{
    pid_t a = xm_ipc_spawn(producer, s), b = xm_ipc_spawn(consumer, s);

    xm_ipc_wait_ok(b);
    xm_ipc_wait_ok(a);
}

XM_TEST(test_kmt_handle_opens_in_another_process)
{
    struct scenario s;

    xm_ipc_setup();
    scenario_open(&s, 11, NULL);
    run_pair(&s, kmt_consumer);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

XM_TEST(test_name_opens_in_another_process)
{
    struct scenario s;

    xm_ipc_setup();
    scenario_open(&s, 12, L"Global\\xm-ipc-n\u00e4me-\u540d\u524d"); /* UTF-8 on the wire */
    run_pair(&s, name_consumer);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* B's CreateSharedHandle with A's live name fails; once A closed its
 * handle, the name is free for B. */
static void clashing_consumer(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer;
    IDXGIResource1 *dxgi = NULL;
    HANDLE handle = NULL;

    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 1);
    device = xm_test_device(NULL);
    buffer = xm_test_buffer(device, 256, SHARED_NT, NULL);
    XM_ASSERT_HR(ID3D11Buffer_QueryInterface(buffer, &IID_IDXGIResource1, (void **)&dxgi), S_OK);
    XM_ASSERT_HR(IDXGIResource1_CreateSharedHandle(dxgi, NULL, RW, s->name, &handle),
                 DXGI_ERROR_NAME_ALREADY_EXISTS);
    XM_ASSERT_NULL(handle);
    xm_ipc_send(&s->to_producer, 1);
    /* The producer closes its handle and exits; then the name is free. */
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 2);
    XM_ASSERT_HR(IDXGIResource1_CreateSharedHandle(dxgi, NULL, RW, s->name, &handle), S_OK);
    XM_ASSERT(CloseHandle(handle));
    IDXGIResource1_Release(dxgi);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_name_clash_across_processes)
{
    struct scenario s;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 13, L"xm-ipc-clash");
    a = xm_ipc_spawn(producer, &s);
    b = xm_ipc_spawn(clashing_consumer, &s);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(1); /* B's, unnamed: B exported it to try the name */
    xm_ipc_send(&s.to_consumer, 2);
    xm_ipc_wait_ok(b);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* B keeps an import after A is gone: the memory lives on; when B lets go
 * the KMT value dies everywhere. */
static void outliving_consumer(void *arg)
{
    struct scenario *s = arg;
    HANDLE kmt = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    cudaExternalMemoryBufferDesc desc = {0};
    cudaExternalMemory_t ext = NULL;
    uint32_t want[WORDS], *mapped = NULL;
    ID3D11Device1 *device;
    ID3D11Buffer *buffer = NULL;

    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, sizeof(want)),
                   cudaSuccess);
    xm_ipc_send(&s->to_producer, 1);
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 2); /* the producer has exited */
    desc.size = sizeof(want);
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&mapped, ext, &desc), cudaSuccess);
    xm_ipc_pattern(want, WORDS, s->seed);
    XM_ASSERT(memcmp(mapped, want, sizeof(want)) == 0);
    /* The value still names the object: this process holds it. */
    device = xm_test_device(NULL);
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Buffer, (void **)&buffer), S_OK);
    ID3D11Buffer_Release(buffer);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    /* The mapping holds the memory, not the object: the value is gone. */
    XM_ASSERT(memcmp(mapped, want, sizeof(want)) == 0);
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Buffer, (void **)&buffer), E_INVALIDARG);
    XM_ASSERT_CUDA(cudaFree(mapped), cudaSuccess);
    ID3D11Device1_Release(device);
}

XM_TEST(test_memory_outlives_its_exporter_and_dies_with_the_last_reference)
{
    struct scenario s;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 14, NULL);
    a = xm_ipc_spawn(producer, &s);
    b = xm_ipc_spawn(outliving_consumer, &s);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(1);
    xm_ipc_send(&s.to_consumer, 2);
    xm_ipc_wait_ok(b);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* Forged and stale values get the documented errors, in another process
 * as in this one. */
static void forger(void *arg)
{
    struct scenario *s = arg;
    HANDLE kmt = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    HANDLE forged = (HANDLE)(uintptr_t)((uintptr_t)kmt ^ 0x100u); /* same shape, another value */
    ID3D11Device1 *device = xm_test_device(NULL);
    cudaExternalMemory_t ext = NULL;
    ID3D11Buffer *buffer = NULL;

    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, forged, &IID_ID3D11Buffer, (void **)&buffer),
                 E_INVALIDARG);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, forged, NULL, 256),
                   cudaErrorInvalidResourceHandle);
    /* A KMT value is not an NT handle, here either. */
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, kmt, NULL, 256),
                   cudaErrorInvalidValue);
    XM_ASSERT(!CloseHandle(kmt));
    xm_ipc_send(&s->to_producer, 1);
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 2); /* the producer has exited: the value is stale */
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Buffer, (void **)&buffer), E_INVALIDARG);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, 256),
                   cudaErrorInvalidResourceHandle);
    ID3D11Device1_Release(device);
}

XM_TEST(test_forged_and_stale_kmt_values_fail_in_another_process)
{
    struct scenario s;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 15, NULL);
    a = xm_ipc_spawn(producer, &s);
    b = xm_ipc_spawn(forger, &s);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(0);
    xm_ipc_send(&s.to_consumer, 2);
    xm_ipc_wait_ok(b);
    scenario_close(&s);
    xm_ipc_teardown();
}

static void kmt_reporter(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, D3D11_RESOURCE_MISC_SHARED, NULL);

    xm_ipc_send(&s->to_consumer, (uint64_t)(uintptr_t)xm_test_kmt_handle(buffer));
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_kmt_values_differ_between_runs)
{
    struct scenario s;
    uint64_t first, second;

    xm_ipc_setup();
    scenario_open(&s, 16, NULL);
    xm_ipc_wait_ok(xm_ipc_spawn(kmt_reporter, &s));
    first = xm_ipc_receive(&s.to_consumer);
    xm_ipc_wait_ok(xm_ipc_spawn(kmt_reporter, &s));
    second = xm_ipc_receive(&s.to_consumer);
    XM_ASSERT_NE(first, second);
    XM_ASSERT(xm_kmt_is_well_formed((uint32_t)first));
    XM_ASSERT(xm_kmt_is_well_formed((uint32_t)second));
    scenario_close(&s);
    xm_ipc_teardown();
}

XM_TEST(test_broker_directory_is_private)
{
    struct scenario s;
    char dir[300];
    struct stat st;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 17, NULL);
    a = xm_ipc_spawn(producer, &s);
    b = xm_ipc_spawn(kmt_consumer, &s);
    xm_ipc_wait_ok(b);
    xm_ipc_wait_ok(a);
    snprintf(dir, sizeof(dir), "%s/extmem", getenv("XDG_RUNTIME_DIR"));
    XM_ASSERT_EQ(stat(dir, &st), 0);
    XM_ASSERT_EQ(st.st_mode & 0777, 0700);
    XM_ASSERT_EQ(st.st_uid, getuid());
    scenario_close(&s);
    xm_ipc_teardown();
}

/* A directory others can enter is refused: nothing crosses processes
 * (the export still works inside its own process). */
XM_TEST(test_open_broker_directory_is_refused)
{
    struct scenario s;
    char dir[300];
    pid_t a;

    xm_ipc_setup();
    snprintf(dir, sizeof(dir), "%s/extmem", getenv("XDG_RUNTIME_DIR"));
    XM_ASSERT_EQ(mkdir(dir, 0700), 0);
    XM_ASSERT_EQ(chmod(dir, 0755), 0);
    scenario_open(&s, 18, NULL);
    a = xm_ipc_spawn(producer, &s);
    (void)xm_ipc_receive(&s.to_consumer);
    XM_ASSERT_EQ(xm_ipc_broker_pid(), 0);
    xm_ipc_send(&s.to_producer, 1);
    xm_ipc_wait_ok(a);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* ---- the broker against broken and hostile peers --------------------------- */

static int raw_connect(void)
{
    char dir[64], why[300];
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    XM_ASSERT_EQ(xm_ipc_runtime_dir(dir, sizeof(dir), false, why, sizeof(why)), 0);
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/" XM_IPC_SOCKET_NAME, dir);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    XM_ASSERT(fd >= 0);
    XM_ASSERT_EQ(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    return fd;
}

/* A raw client: connected, HELLO said and answered. */
static void raw_open(struct xm_connection *conn)
{
    struct xm_wire_hello hello = {XM_PROTOCOL_VERSION, 0};
    struct xm_message m;
    int parsed;

    xm_connection_init(conn, raw_connect());
    XM_ASSERT_EQ(xm_connection_send(conn->fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1), 0);
    while ((parsed = xm_connection_next(conn, &m)) == 0)
        XM_ASSERT(xm_connection_fill(conn, false) > 0);
    XM_ASSERT_EQ(parsed, 1);
    XM_ASSERT_EQ(m.opcode, XM_OP_HELLO_REPLY);
}

/* The next message from the broker (waits for it). */
static void raw_read(struct xm_connection *conn, struct xm_message *m)
{
    int parsed;

    while ((parsed = xm_connection_next(conn, m)) == 0)
        XM_ASSERT(xm_connection_fill(conn, false) > 0);
    XM_ASSERT_EQ(parsed, 1);
}

/* A memfd of size bytes. */
static int memfd_of(size_t size)
{
    int fd = memfd_create("xm-raw", MFD_CLOEXEC);

    XM_ASSERT(fd >= 0);
    XM_ASSERT_EQ(ftruncate(fd, (off_t)size), 0);
    return fd;
}

/* Sends REGISTER for a resource of alloc_size bytes that declares fd_count
 * fds and carries fds[0, count) (which stay the caller's), proposing kmt
 * when it is not 0, and reads the reply. */
static void raw_register(struct xm_connection *conn, uint32_t kmt, uint32_t fd_count, uint64_t alloc_size,
                         const int *fds, int count, struct xm_message *reply)
{
    struct xm_wire_register reg = {0};

    reg.kind = XM_WIRE_KIND_RESOURCE;
    reg.want_kmt = kmt != 0;
    reg.kmt = kmt;
    reg.fd_count = fd_count;
    reg.desc.alloc_size = alloc_size;
    XM_ASSERT_EQ(xm_connection_send_fds(conn->fd, XM_OP_REGISTER, &reg, sizeof(reg), NULL, 0, fds, count), 0);
    raw_read(conn, reply);
}

/* Opens a KMT value as a raw client; returns the OBJECT's memory fd (the
 * caller's) with the reply in *reply, or -1 with the ERROR in *reply. */
static int raw_open_kmt(struct xm_connection *conn, uint32_t kmt, struct xm_message *reply)
{
    struct xm_wire_open_kmt body = {kmt, XM_WIRE_KIND_RESOURCE};

    XM_ASSERT_EQ(xm_connection_send(conn->fd, XM_OP_OPEN_KMT, &body, sizeof(body), NULL, 0, -1), 0);
    raw_read(conn, reply);
    return reply->opcode == XM_OP_OBJECT ? xm_connection_take_fd(conn) : -1;
}

static bool same_file(int a, int b)
{
    struct stat sa, sb;

    XM_ASSERT_EQ(fstat(a, &sa), 0);
    XM_ASSERT_EQ(fstat(b, &sb), 0);
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void holder(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, D3D11_RESOURCE_MISC_SHARED, NULL);

    xm_ipc_send(&s->to_consumer, (uint64_t)(uintptr_t)xm_test_kmt_handle(buffer));
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_producer), 1);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_broker_survives_malformed_and_vanishing_clients)
{
    struct xm_wire_hello hello = {XM_PROTOCOL_VERSION, 0};
    struct xm_wire_header huge = {XM_OP_LIST, 0, 1u << 30};
    struct xm_wire_header unknown = {999, 0, 0};
    struct xm_wire_register reg = {0};
    struct scenario s;
    char garbage[512];
    pid_t a;
    int fd;

    xm_ipc_setup();
    scenario_open(&s, 19, NULL);
    a = xm_ipc_spawn(holder, &s); /* starts the broker, holds one object */
    (void)xm_ipc_receive(&s.to_consumer);
    for (size_t i = 0; i < sizeof(garbage); i++)
        garbage[i] = (char)(i * 131 + 7);

    fd = raw_connect(); /* garbage before HELLO */
    XM_ASSERT_EQ(write(fd, garbage, sizeof(garbage)), sizeof(garbage));
    close(fd);
    fd = raw_connect(); /* an oversized body */
    XM_ASSERT_EQ(xm_connection_send(fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1), 0);
    XM_ASSERT_EQ(write(fd, &huge, sizeof(huge)), sizeof(huge));
    close(fd);
    fd = raw_connect(); /* an unknown opcode */
    XM_ASSERT_EQ(xm_connection_send(fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1), 0);
    XM_ASSERT_EQ(write(fd, &unknown, sizeof(unknown)), sizeof(unknown));
    close(fd);
    fd = raw_connect(); /* a REGISTER without its fd, then half a message */
    XM_ASSERT_EQ(xm_connection_send(fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1), 0);
    reg.kind = XM_WIRE_KIND_RESOURCE;
    reg.fd_count = 1;
    reg.desc.alloc_size = 4096;
    XM_ASSERT_EQ(xm_connection_send(fd, XM_OP_REGISTER, &reg, sizeof(reg), NULL, 0, -1), 0);
    XM_ASSERT_EQ(write(fd, &huge, 3), 3);
    close(fd);
    fd = raw_connect(); /* a REGISTER with an fd, vanishing before the reply is read */
    XM_ASSERT_EQ(xm_connection_send(fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1), 0);
    XM_ASSERT_EQ(xm_connection_send(fd, XM_OP_REGISTER, &reg, sizeof(reg), NULL, 0, fd), 0);
    close(fd);

    /* Still serving, with the one real object and nothing from the others. */
    xm_ipc_assert_broker_objects(1);
    xm_ipc_send(&s.to_producer, 1);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* A registration may propose its KMT value (a client re-registering after
 * a broker restart keeps its own); one without KMT shape is replaced. */
XM_TEST(test_broker_replaces_proposed_kmt_values_without_kmt_shape)
{
    static const uint32_t proposals[] = {
        0xc0000002u, /* bit 31 set */
        0x40000001u, /* low bits 01 */
        0x40000003u, /* low bits 11 */
        0x00000002u, /* bit 30 clear */
        0x4abcdef2u, /* well formed: kept */
    };
    struct xm_connection conn;
    struct xm_message m;
    struct scenario s;
    pid_t a;

    xm_ipc_setup();
    scenario_open(&s, 29, NULL);
    a = xm_ipc_spawn(holder, &s); /* starts the broker */
    (void)xm_ipc_receive(&s.to_consumer);
    raw_open(&conn);
    for (size_t i = 0; i < sizeof(proposals) / sizeof(proposals[0]); i++) {
        int memfd = memfd_of(4096);

        raw_register(&conn, proposals[i], 1, 4096, &memfd, 1, &m);
        close(memfd);
        XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
        XM_ASSERT_MSG(xm_kmt_is_well_formed(m.u.registered.kmt), "0x%x for 0x%x", m.u.registered.kmt,
                      proposals[i]);
        if (xm_kmt_is_well_formed(proposals[i]))
            XM_ASSERT_EQ(m.u.registered.kmt, proposals[i]);
        else
            XM_ASSERT_NE(m.u.registered.kmt, proposals[i]);
    }
    xm_connection_finish(&conn);
    xm_ipc_send(&s.to_producer, 1);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* A message's fds are the ones sent with it: extra ones are closed, not
 * handed to the next message, and a message short of its fds is refused. */
XM_TEST(test_fds_belong_to_the_message_they_came_with)
{
    struct xm_connection conn;
    struct xm_message m;
    struct scenario s;
    int first, extra, second, sockets[2], fd, before;
    uint32_t first_kmt, second_kmt;
    pid_t a, broker;

    xm_ipc_setup();
    scenario_open(&s, 30, NULL);
    a = xm_ipc_spawn(holder, &s); /* starts the broker, holds one object */
    (void)xm_ipc_receive(&s.to_consumer);
    broker = xm_ipc_broker_pid();
    XM_ASSERT(broker > 0);
    before = xm_ipc_settled_fd_count(broker);
    first = memfd_of(4096);
    extra = memfd_of(4096);
    second = memfd_of(8192);
    XM_ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets), 0);
    raw_open(&conn);

    /* REGISTER declares one fd and carries two; the next REGISTER carries
     * its own, bigger memory, which it gets (not the extra 4 KiB). */
    raw_register(&conn, 0x40000006u, 1, 4096, (const int[]){first, extra}, 2, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
    first_kmt = m.u.registered.kmt;
    raw_register(&conn, 0x4000000au, 1, 8192, &second, 1, &m);
    XM_ASSERT_MSG(m.opcode == XM_OP_REGISTERED, "REGISTER: %s",
                  m.opcode == XM_OP_ERROR ? xm_wire_error_name(m.u.error.code) : "?");
    second_kmt = m.u.registered.kmt;
    fd = raw_open_kmt(&conn, second_kmt, &m);
    XM_ASSERT(fd >= 0);
    XM_ASSERT_EQ(m.u.object.desc.alloc_size, 8192);
    XM_ASSERT(same_file(fd, second));
    XM_ASSERT_EQ(xm_connection_take_fd(&conn), -1); /* one fd, as declared */
    close(fd);
    fd = raw_open_kmt(&conn, first_kmt, &m);
    XM_ASSERT(fd >= 0);
    XM_ASSERT(same_file(fd, first));
    close(fd);

    /* An fd sent with a message that declares none is closed. */
    XM_ASSERT_EQ(xm_connection_send(conn.fd, XM_OP_LIST, NULL, 0, NULL, 0, extra), 0);
    do
        raw_read(&conn, &m);
    while (m.opcode == XM_OP_LIST_ENTRY);
    XM_ASSERT_EQ(m.opcode, XM_OP_LIST_END);

    /* A keyed mutex's page declared and missing, or not a memfd. */
    raw_register(&conn, 0, 2, 4096, &extra, 1, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_ERROR);
    XM_ASSERT_EQ(m.u.error.code, XM_WIRE_ERR_BAD_FD);
    raw_register(&conn, 0, 2, 4096, (const int[]){extra, sockets[0]}, 2, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_ERROR);
    XM_ASSERT_EQ(m.u.error.code, XM_WIRE_ERR_BAD_FD);

    /* The broker holds this connection and two memories, nothing more. */
    xm_ipc_assert_fd_count(broker, before + 3);
    xm_connection_finish(&conn);
    xm_ipc_assert_broker_objects(1);
    xm_ipc_assert_fd_count(broker, before);
    close(first);
    close(extra);
    close(second);
    close(sockets[0]);
    close(sockets[1]);
    xm_ipc_send(&s.to_producer, 1);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* REGISTER of a whole description, for the merge tests. */
static void raw_register_desc(struct xm_connection *conn, uint32_t kind, const struct xm_wire_desc *desc, int fd,
                              struct xm_message *reply)
{
    struct xm_wire_register reg = {0};

    reg.kind = kind;
    reg.want_kmt = 1;
    reg.fd_count = 1;
    reg.desc = *desc;
    XM_ASSERT_EQ(xm_connection_send(conn->fd, XM_OP_REGISTER, &reg, sizeof(reg), NULL, 0, fd), 0);
    raw_read(conn, reply);
}

static uint32_t raw_total_refs(struct xm_connection *conn, uint32_t kmt)
{
    struct xm_wire_info_kmt body = {kmt, 0};
    struct xm_message m;

    XM_ASSERT_EQ(xm_connection_send(conn->fd, XM_OP_INFO_KMT, &body, sizeof(body), NULL, 0, -1), 0);
    raw_read(conn, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_LIST_ENTRY);
    return m.u.list_entry.total_refs;
}

static void assert_refused_as_mismatch(const struct xm_message *m)
{
    XM_ASSERT_EQ(m->opcode, XM_OP_ERROR);
    XM_ASSERT_EQ(m->u.error.code, XM_WIRE_ERR_MISMATCH);
}

/* A memfd registered again (a client after a broker restart) is the same
 * object when kind and description match, and refused when they don't;
 * once the object died, the memory is free to register anew. */
XM_TEST(test_reregistered_memory_merges_only_with_the_same_resource)
{
    struct xm_connection first, second;
    struct xm_wire_desc desc = {0}, other;
    struct xm_message m;
    struct scenario s;
    uint64_t id;
    uint32_t kmt;
    int memfd, null_fd;
    pid_t a;

    xm_ipc_setup();
    scenario_open(&s, 34, NULL);
    a = xm_ipc_spawn(holder, &s); /* starts the broker, holds one object */
    (void)xm_ipc_receive(&s.to_consumer);
    memfd = memfd_of(4096);
    desc.dimension = D3D11_RESOURCE_DIMENSION_TEXTURE2D;
    desc.format = DXGI_FORMAT_R8G8B8A8_UNORM;
    desc.width = desc.height = 32;
    desc.depth = desc.mip_levels = desc.array_size = 1;
    desc.misc_flags = D3D11_RESOURCE_MISC_SHARED;
    desc.alloc_size = 4096;
    snprintf(desc.backend, sizeof(desc.backend), "host");
    raw_open(&first);
    raw_open(&second);
    raw_register_desc(&first, XM_WIRE_KIND_RESOURCE, &desc, memfd, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
    id = m.u.registered.id;
    kmt = m.u.registered.kmt;

    /* The same: merged, one object with a reference from each. Bytes
     * after the backend name's NUL are no part of the description. */
    other = desc;
    other.backend[sizeof(other.backend) - 1] = 'z';
    raw_register_desc(&second, XM_WIRE_KIND_RESOURCE, &other, memfd, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
    XM_ASSERT_EQ(m.u.registered.id, id);
    XM_ASSERT_EQ(m.u.registered.kmt, kmt);
    XM_ASSERT_EQ(raw_total_refs(&second, kmt), 2);

    /* Another kind, size, shape or backend: refused, nothing added. */
    raw_register_desc(&second, XM_WIRE_KIND_FENCE, &desc, memfd, &m);
    assert_refused_as_mismatch(&m);
    other = desc;
    other.alloc_size = 2048;
    raw_register_desc(&second, XM_WIRE_KIND_RESOURCE, &other, memfd, &m);
    assert_refused_as_mismatch(&m);
    other = desc;
    other.width = 16;
    raw_register_desc(&second, XM_WIRE_KIND_RESOURCE, &other, memfd, &m);
    assert_refused_as_mismatch(&m);
    other = desc;
    snprintf(other.backend, sizeof(other.backend), "cuda");
    raw_register_desc(&second, XM_WIRE_KIND_RESOURCE, &other, memfd, &m);
    assert_refused_as_mismatch(&m);
    XM_ASSERT_EQ(raw_total_refs(&second, kmt), 2);
    xm_ipc_assert_broker_objects(2);

    /* The merged object lives while either holds it. */
    xm_connection_finish(&first);
    for (int i = 0; i < 200 && raw_total_refs(&second, kmt) != 1; i++) /* the broker reads the hang-up */
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    XM_ASSERT_EQ(raw_total_refs(&second, kmt), 1);
    xm_connection_finish(&second);
    xm_ipc_assert_broker_objects(1);

    /* Dead: the same memory registers as a new object, of any kind. */
    raw_open(&first);
    raw_register_desc(&first, XM_WIRE_KIND_FENCE, &desc, memfd, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
    XM_ASSERT_NE(m.u.registered.id, id);

    /* Not a memfd: never merged (the cuda backend's VMM fds all share the
     * inode of one device file). */
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    XM_ASSERT(null_fd >= 0);
    raw_register_desc(&first, XM_WIRE_KIND_RESOURCE, &desc, null_fd, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
    id = m.u.registered.id;
    raw_register_desc(&first, XM_WIRE_KIND_RESOURCE, &desc, null_fd, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
    XM_ASSERT_NE(m.u.registered.id, id);
    xm_ipc_assert_broker_objects(4);
    xm_connection_finish(&first);
    close(null_fd);
    close(memfd);

    xm_ipc_send(&s.to_producer, 1);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* ---- a client that stops reading ------------------------------------------- */

#define LONG_NAME 1000     /* bytes: a LIST entry of such an object is about 1.3 KB */
#define STALL_OBJECTS 400  /* a LIST of them (about 500 KB) overfills a socket */

/* Registers count objects of 4 KiB as a raw client, each with a long name. */
static void raw_register_named(struct xm_connection *conn, int count, const char *tag)
{
    char name[LONG_NAME];
    struct xm_message m;

    for (int i = 0; i < count; i++) {
        struct xm_wire_name body = {0, XM_WIRE_ACCESS_ALL, LONG_NAME};
        int memfd = memfd_of(4096), n;

        raw_register(conn, 0, 1, 4096, &memfd, 1, &m);
        close(memfd);
        XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
        body.id = m.u.registered.id;
        memset(name, 'x', sizeof(name));
        n = snprintf(name, sizeof(name), "%s-%05d-", tag, i);
        name[n] = 'x'; /* no NUL on the wire */
        XM_ASSERT_EQ(xm_connection_send(conn->fd, XM_OP_NAME, &body, sizeof(body), name, LONG_NAME, -1), 0);
        raw_read(conn, &m);
        XM_ASSERT_EQ(m.opcode, XM_OP_OK);
    }
}

/* Sends a request without waiting: false once the broker hung up. */
static bool raw_send_nowait(int fd, uint16_t opcode, const void *body, uint32_t size)
{
    uint8_t bytes[64];
    struct xm_wire_header header = {opcode, 0, size};
    ssize_t n;

    XM_ASSERT(sizeof(header) + size <= sizeof(bytes));
    memcpy(bytes, &header, sizeof(header));
    if (size)
        memcpy(bytes + sizeof(header), body, size);
    do
        n = send(fd, bytes, sizeof(header) + size, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
        return false;
    if (n < 0 && errno == EAGAIN) {
        nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
        return true;
    }
    XM_ASSERT_EQ(n, (ssize_t)(sizeof(header) + size));
    return true;
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Opens and releases a KMT value again and again, each open in time. */
static void timed_opener(void *arg)
{
    struct scenario *s = arg;
    HANDLE kmt = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    ID3D11Device1 *device = xm_test_device(NULL);

    for (int i = 0; i < 20; i++) {
        ID3D11Buffer *buffer = NULL;
        struct timespec start;
        long ms;

        clock_gettime(CLOCK_MONOTONIC, &start);
        XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Buffer, (void **)&buffer), S_OK);
        ms = elapsed_ms(&start);
        /* A broker that waits on a client that stopped reading takes
         * seconds here. */
        XM_ASSERT_MSG(ms < 500, "open %d took %ld ms", i, ms);
        ID3D11Buffer_Release(buffer);
    }
    ID3D11Device1_Release(device);
}

XM_TEST(test_client_that_stops_reading_stalls_nobody)
{
    struct xm_wire_open_kmt open_body = {0, XM_WIRE_KIND_RESOURCE};
    struct xm_connection stalled;
    struct scenario hold, opens;
    struct timespec start;
    int before, lists = 0;
    pid_t a, broker;
    bool connected = true;

    xm_ipc_setup();
    scenario_open(&hold, 31, NULL);
    scenario_open(&opens, 32, NULL);
    a = xm_ipc_spawn(holder, &hold); /* starts the broker, holds one object */
    open_body.kmt = (uint32_t)xm_ipc_receive(&hold.to_consumer);
    broker = xm_ipc_broker_pid();
    XM_ASSERT(broker > 0);
    before = xm_ipc_settled_fd_count(broker);

    /* A client holding many objects asks for them all, again and again,
     * and for the holder's object (replies with fds), and reads nothing. */
    raw_open(&stalled);
    raw_register_named(&stalled, STALL_OBJECTS, "xm-stall");
    for (int i = 0; i < 4; i++)
        XM_ASSERT(raw_send_nowait(stalled.fd, XM_OP_LIST, NULL, 0));
    for (int i = 0; i < 3; i++)
        XM_ASSERT(raw_send_nowait(stalled.fd, XM_OP_OPEN_KMT, &open_body, sizeof(open_body)));

    /* Another process's opens go on as usual meanwhile. */
    xm_ipc_send(&opens.to_consumer, open_body.kmt);
    xm_ipc_wait_ok(xm_ipc_spawn(timed_opener, &opens));
    xm_ipc_assert_broker_objects(1 + STALL_OBJECTS); /* still connected: under its bound */

    /* It goes on asking without reading until the broker drops it. */
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (connected && elapsed_ms(&start) < 20000) {
        connected = raw_send_nowait(stalled.fd, XM_OP_LIST, NULL, 0);
        lists++;
    }
    XM_ASSERT_MSG(!connected, "still connected after %d LISTs", lists);
    /* Its objects, its references on the holder's and the fds of the
     * replies it never read are gone with it. */
    xm_ipc_assert_broker_objects(1);
    xm_ipc_assert_fd_count(broker, before);
    xm_connection_finish(&stalled);

    xm_ipc_send(&hold.to_producer, 1);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&hold);
    scenario_close(&opens);
    xm_ipc_teardown();
}

/* An OBJECT reply queued behind replies the client has not read yet keeps
 * its own fds: the object may die before the reply is written. */
XM_TEST(test_queued_object_reply_outlives_its_object)
{
    struct xm_wire_open_kmt open_body = {0, XM_WIRE_KIND_RESOURCE};
    struct xm_connection conn;
    struct xm_wire_id unref = {0};
    struct xm_message m;
    struct scenario s;
    uint32_t pattern = 0x5eed1234u, word = 0;
    int memfd, before, lists_ended = 0, fd;
    ino_t inode;
    pid_t a, broker;
    struct stat st;

    xm_ipc_setup();
    scenario_open(&s, 33, NULL);
    a = xm_ipc_spawn(holder, &s); /* starts the broker */
    (void)xm_ipc_receive(&s.to_consumer);
    broker = xm_ipc_broker_pid();
    XM_ASSERT(broker > 0);
    before = xm_ipc_settled_fd_count(broker);
    raw_open(&conn);
    raw_register_named(&conn, STALL_OBJECTS, "xm-queued");
    memfd = memfd_of(4096);
    XM_ASSERT_EQ(pwrite(memfd, &pattern, sizeof(pattern), 0), sizeof(pattern));
    XM_ASSERT_EQ(fstat(memfd, &st), 0);
    inode = st.st_ino;
    raw_register(&conn, 0x40000016u, 1, 4096, &memfd, 1, &m);
    close(memfd);
    XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
    unref.id = m.u.registered.id;
    open_body.kmt = m.u.registered.kmt;

    /* Unread: two LISTs (more than the socket holds), then OBJECT, then
     * the two UNREFs that kill the object. */
    for (int i = 0; i < 2; i++)
        XM_ASSERT(raw_send_nowait(conn.fd, XM_OP_LIST, NULL, 0));
    XM_ASSERT(raw_send_nowait(conn.fd, XM_OP_OPEN_KMT, &open_body, sizeof(open_body)));
    for (int i = 0; i < 2; i++)
        XM_ASSERT(raw_send_nowait(conn.fd, XM_OP_UNREF, &unref, sizeof(unref)));
    xm_ipc_assert_broker_objects(1 + STALL_OBJECTS);
    /* This connection, its named objects, and the queued reply's fd. */
    xm_ipc_assert_fd_count(broker, before + 1 + STALL_OBJECTS + 1);

    while (lists_ended < 2) {
        raw_read(&conn, &m);
        if (m.opcode == XM_OP_LIST_END)
            lists_ended++;
        else
            XM_ASSERT_EQ(m.opcode, XM_OP_LIST_ENTRY);
    }
    raw_read(&conn, &m);
    XM_ASSERT_EQ(m.opcode, XM_OP_OBJECT);
    XM_ASSERT_EQ(m.u.object.id, unref.id);
    fd = xm_connection_take_fd(&conn);
    XM_ASSERT(fd >= 0);
    XM_ASSERT_EQ(fstat(fd, &st), 0);
    XM_ASSERT_EQ(st.st_ino, inode);
    XM_ASSERT_EQ(pread(fd, &word, sizeof(word), 0), sizeof(word));
    XM_ASSERT_EQ(word, pattern);
    close(fd);
    for (int i = 0; i < 2; i++) {
        raw_read(&conn, &m);
        XM_ASSERT_EQ(m.opcode, XM_OP_OK);
    }
    /* Sent: the broker closed its dup. */
    xm_ipc_assert_fd_count(broker, before + 1 + STALL_OBJECTS);
    xm_connection_finish(&conn);
    xm_ipc_assert_broker_objects(1);
    xm_ipc_assert_fd_count(broker, before);
    xm_ipc_send(&s.to_producer, 1);
    xm_ipc_wait_ok(a);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* A KMT value of an object of another kind (registered here by hand as a
 * fence) is refused by kind, not treated as a resource. */
static void wrong_kind_opener(void *arg)
{
    struct scenario *s = arg;
    HANDLE kmt = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    ID3D11Device1 *device = xm_test_device(NULL);
    cudaExternalMemory_t ext = NULL;
    ID3D11Buffer *buffer = NULL;

    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Buffer, (void **)&buffer), E_INVALIDARG);
    XM_ASSERT_CONTAINS(extmemGetLastErrorMessage(), "not a resource");
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11ResourceKmt, kmt, NULL, 4096),
                   cudaErrorInvalidValue);
    ID3D11Device1_Release(device);
}

XM_TEST(test_kmt_value_is_checked_against_the_kind)
{
    struct xm_wire_hello hello = {XM_PROTOCOL_VERSION, 0};
    struct xm_wire_register reg = {0};
    struct xm_connection conn;
    struct xm_message m;
    struct scenario s;
    int memfd, parsed;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 27, NULL);
    a = xm_ipc_spawn(holder, &s); /* starts the broker */
    (void)xm_ipc_receive(&s.to_consumer);
    memfd = memfd_create("xm-fence", MFD_CLOEXEC);
    XM_ASSERT(memfd >= 0);
    XM_ASSERT_EQ(ftruncate(memfd, 4096), 0);
    xm_connection_init(&conn, raw_connect());
    XM_ASSERT_EQ(xm_connection_send(conn.fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1), 0);
    reg.kind = XM_WIRE_KIND_FENCE;
    reg.want_kmt = 1;
    reg.fd_count = 1;
    reg.desc.alloc_size = 4096;
    XM_ASSERT_EQ(xm_connection_send(conn.fd, XM_OP_REGISTER, &reg, sizeof(reg), NULL, 0, memfd), 0);
    close(memfd);
    do {
        while ((parsed = xm_connection_next(&conn, &m)) == 0)
            XM_ASSERT(xm_connection_fill(&conn, false) > 0);
        XM_ASSERT_EQ(parsed, 1);
    } while (m.opcode == XM_OP_HELLO_REPLY);
    XM_ASSERT_EQ(m.opcode, XM_OP_REGISTERED);
    XM_ASSERT(xm_kmt_is_well_formed(m.u.registered.kmt));
    b = xm_ipc_spawn(wrong_kind_opener, &s);
    xm_ipc_send(&s.to_consumer, m.u.registered.kmt);
    xm_ipc_wait_ok(b);
    xm_connection_finish(&conn); /* its references go with the connection */
    xm_ipc_send(&s.to_producer, 1);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* A broker of another user (uid 65534) hangs up on us: same uid only. */
XM_TEST(test_broker_refuses_peers_of_another_uid)
{
    struct xm_wire_hello hello = {XM_PROTOCOL_VERSION, 0};
    const uid_t other = 65534;
    char dir[300], socket_path[400], byte;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    pid_t broker;
    int fd = -1;

    if (getuid() != 0)
        XM_SKIP("needs root to run a broker as another user");
    xm_ipc_setup();
    snprintf(dir, sizeof(dir), "%s", getenv("XDG_RUNTIME_DIR"));
    XM_ASSERT_EQ(chown(dir, other, other), 0);
    fflush(stdout);
    broker = fork();
    XM_ASSERT(broker >= 0);
    if (broker == 0) {
        if (setgid(other) != 0 || setuid(other) != 0)
            _exit(1);
        execl(EXTMEM_TEST_BROKER_PATH, EXTMEM_TEST_BROKER_PATH, "--foreground", (char *)NULL);
        _exit(1);
    }
    snprintf(socket_path, sizeof(socket_path), "%s/extmem/" XM_IPC_SOCKET_NAME, dir);
    XM_ASSERT(strlen(socket_path) < sizeof(addr.sun_path));
    memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
    for (int i = 0; i < 400; i++) { /* root reaches the socket through the 0700 directory */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
            break;
        close(fd);
        fd = -1;
        usleep(5000);
    }
    XM_ASSERT(fd >= 0);
    xm_connection_send(fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1);
    XM_ASSERT(read(fd, &byte, 1) <= 0); /* closed without a word */
    close(fd);
    kill(broker, SIGTERM);
    XM_ASSERT_EQ(waitpid(broker, NULL, 0), broker);
    xm_ipc_teardown();
}

XM_TEST(test_broker_refuses_other_protocol_versions)
{
    struct xm_wire_hello hello = {XM_PROTOCOL_VERSION + 1, 0};
    struct xm_connection conn;
    struct scenario s;
    struct xm_message m;
    pid_t a;
    int parsed;

    xm_ipc_setup();
    scenario_open(&s, 20, NULL);
    a = xm_ipc_spawn(holder, &s);
    (void)xm_ipc_receive(&s.to_consumer);
    xm_connection_init(&conn, raw_connect());
    XM_ASSERT_EQ(xm_connection_send(conn.fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1), 0);
    while ((parsed = xm_connection_next(&conn, &m)) == 0)
        XM_ASSERT(xm_connection_fill(&conn, false) > 0);
    XM_ASSERT_EQ(parsed, 1);
    XM_ASSERT_EQ(m.opcode, XM_OP_ERROR);
    XM_ASSERT_EQ(m.u.error.code, XM_WIRE_ERR_VERSION);
    xm_connection_finish(&conn);
    xm_ipc_send(&s.to_producer, 1);
    xm_ipc_wait_ok(a);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* ---- DuplicateHandle into another process ----------------------------------- */

/* Makes an NT buffer holding the pattern, duplicates its handle into the
 * consumer with s->access, sends the value there, then lets everything
 * go and exits: the duplicate alone keeps the memory. */
static void duplicating_producer(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    uint32_t data[WORDS];
    ID3D11Buffer *buffer;
    HANDLE handle, process, remote = NULL;

    xm_ipc_pattern(data, WORDS, s->seed);
    buffer = xm_test_buffer(device, sizeof(data), SHARED_NT, data);
    handle = xm_test_nt_handle(buffer, RW, NULL);
    process = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)s->target);
    XM_ASSERT_NOT_NULL(process);
    XM_ASSERT_MSG(DuplicateHandle(GetCurrentProcess(), handle, process, &remote, s->access, FALSE, 0),
                  "DuplicateHandle: %u (%s)", (unsigned)GetLastError(), extmemGetLastErrorMessage());
    XM_ASSERT_NOT_NULL(remote);
    /* The value means nothing here. */
    XM_ASSERT(!CloseHandle(remote) || (uintptr_t)remote == (uintptr_t)handle);
    XM_ASSERT(CloseHandle(process));
    XM_ASSERT(CloseHandle(handle));
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
    xm_ipc_send(&s->to_consumer, (uint64_t)(uintptr_t)remote);
}

static void duplicate_consumer(void *arg)
{
    struct scenario *s = arg;
    HANDLE handle = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = NULL;

    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 2); /* the producer has exited */
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource1(device, handle, &IID_ID3D11Buffer, (void **)&buffer), S_OK);
    assert_buffer_reads(device, buffer, s->seed);
    assert_import_reads(cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, s->seed);
    ID3D11Buffer_Release(buffer);
    /* The target owns the value and must close it, once. */
    XM_ASSERT(CloseHandle(handle));
    XM_ASSERT(!CloseHandle(handle));
    XM_ASSERT_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    xm_ipc_assert_broker_objects(0);
    ID3D11Device1_Release(device);
}

XM_TEST(test_duplicate_handle_into_another_process)
{
    struct scenario s;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 21, NULL);
    s.access = DXGI_SHARED_RESOURCE_READ | DXGI_SHARED_RESOURCE_WRITE;
    b = xm_ipc_spawn(duplicate_consumer, &s);
    s.target = b;
    a = xm_ipc_spawn(duplicating_producer, &s);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(1); /* the grant holds it */
    xm_ipc_send(&s.to_consumer, 2);
    xm_ipc_wait_ok(b);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

static void read_only_consumer(void *arg)
{
    struct scenario *s = arg;
    HANDLE handle = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    cudaExternalMemoryBufferDesc desc = {0};
    cudaExternalMemory_t ext = NULL;
    uint32_t want[WORDS];
    volatile uint32_t *mapped = NULL;
    int status = 0;
    pid_t child;

    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 2);
    XM_ASSERT_CUDA(xm_test_import(&ext, cudaExternalMemoryHandleTypeD3D11Resource, handle, NULL, sizeof(want)),
                   cudaSuccess);
    desc.size = sizeof(want);
    XM_ASSERT_CUDA(cudaExternalMemoryGetMappedBuffer((void **)&mapped, ext, &desc), cudaSuccess);
    xm_ipc_pattern(want, WORDS, s->seed);
    XM_ASSERT(memcmp((const void *)mapped, want, sizeof(want)) == 0);
    /* A write through a read-only mapping faults. */
    child = fork();
    XM_ASSERT(child >= 0);
    if (child == 0) {
        signal(SIGSEGV, SIG_DFL); /* past the sanitizers' handlers */
        signal(SIGBUS, SIG_DFL);
        mapped[0] = 0xdeadbeef;
        _exit(0);
    }
    XM_ASSERT_EQ(waitpid(child, &status, 0), child);
    XM_ASSERT_MSG(WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS),
                  "the write did not fault (status 0x%x)", (unsigned)status);
    XM_ASSERT_EQ(mapped[0], want[0]);
    XM_ASSERT_CUDA(cudaFree((void *)mapped), cudaSuccess);
    XM_ASSERT_CUDA(cudaDestroyExternalMemory(ext), cudaSuccess);
    XM_ASSERT(CloseHandle(handle));
}

XM_TEST(test_read_only_duplicate_gives_read_only_mappings_in_another_process)
{
    struct scenario s;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 22, NULL);
    s.access = DXGI_SHARED_RESOURCE_READ;
    b = xm_ipc_spawn(read_only_consumer, &s);
    s.target = b;
    a = xm_ipc_spawn(duplicating_producer, &s);
    xm_ipc_wait_ok(a);
    xm_ipc_send(&s.to_consumer, 2);
    xm_ipc_wait_ok(b);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

static void ignoring_consumer(void *arg)
{
    struct scenario *s = arg;

    (void)xm_ipc_receive(&s->to_consumer); /* and never claims it */
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 2);
}

XM_TEST(test_unclaimed_duplicate_dies_with_its_target_process)
{
    struct scenario s;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 23, NULL);
    b = xm_ipc_spawn(ignoring_consumer, &s);
    s.target = b;
    a = xm_ipc_spawn(duplicating_producer, &s);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(1);
    xm_ipc_send(&s.to_consumer, 2);
    xm_ipc_wait_ok(b);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

static void waiting_child(void *arg)
{
    (void)arg;
    pause();
}

XM_TEST(test_open_process_checks_its_arguments)
{
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, SHARED_NT, NULL);
    HANDLE handle = xm_test_nt_handle(buffer, RW, NULL), process, out = NULL;
    pid_t gone = xm_ipc_spawn(waiting_child, NULL);

    /* A process that no longer exists. */
    kill(gone, SIGKILL);
    waitpid(gone, NULL, 0);
    XM_ASSERT_NULL(OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)gone));
    XM_ASSERT_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    XM_ASSERT_NULL(OpenProcess(PROCESS_DUP_HANDLE, FALSE, 0));
    /* Without PROCESS_DUP_HANDLE a process handle is no DuplicateHandle target. */
    process = OpenProcess(0, FALSE, GetCurrentProcessId());
    XM_ASSERT_NOT_NULL(process);
    XM_ASSERT(!DuplicateHandle(GetCurrentProcess(), handle, process, &out, 0, FALSE, DUPLICATE_SAME_ACCESS));
    XM_ASSERT_EQ(GetLastError(), ERROR_ACCESS_DENIED);
    XM_ASSERT(CloseHandle(process));
    /* Into this process by pid: an ordinary local duplicate; from it too. */
    process = OpenProcess(PROCESS_DUP_HANDLE, FALSE, GetCurrentProcessId());
    XM_ASSERT(DuplicateHandle(GetCurrentProcess(), handle, process, &out, 0, FALSE, DUPLICATE_SAME_ACCESS));
    XM_ASSERT(CloseHandle(out));
    XM_ASSERT(DuplicateHandle(process, handle, GetCurrentProcess(), &out, 0, FALSE, DUPLICATE_SAME_ACCESS));
    XM_ASSERT(CloseHandle(out));
    /* Out of another process: its owner must push it; said plainly. */
    {
        pid_t other = xm_ipc_spawn(waiting_child, NULL);
        HANDLE source_process = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)other);

        XM_ASSERT_NOT_NULL(source_process);
        XM_ASSERT(!DuplicateHandle(source_process, handle, GetCurrentProcess(), &out, 0, FALSE,
                                   DUPLICATE_SAME_ACCESS));
        XM_ASSERT_EQ(GetLastError(), ERROR_NOT_SUPPORTED);
        XM_ASSERT_CONTAINS(extmemGetLastErrorMessage(), "call DuplicateHandle there");
        XM_ASSERT_NULL(out);
        XM_ASSERT(CloseHandle(source_process));
        kill(other, SIGKILL);
        waitpid(other, NULL, 0);
    }
    /* A process handle is not a resource handle. */
    XM_ASSERT(!DuplicateHandle(GetCurrentProcess(), process, process, &out, 0, FALSE, DUPLICATE_SAME_ACCESS) ||
              CloseHandle(out));
    XM_ASSERT(CloseHandle(process));
    XM_ASSERT(!CloseHandle(process));
    XM_ASSERT(CloseHandle(handle));
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

/* A process that talked to the broker forks: the child is a process of its
 * own to the broker, with a connection of its own. */
static void forking_producer(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    uint32_t data[WORDS];
    ID3D11Buffer *buffer;
    HANDLE kmt;
    pid_t child;

    xm_ipc_pattern(data, WORDS, s->seed);
    buffer = xm_test_buffer(device, sizeof(data), D3D11_RESOURCE_MISC_SHARED, data);
    kmt = xm_test_kmt_handle(buffer); /* connects this process */
    child = xm_ipc_spawn(kmt_consumer, s);
    xm_ipc_send(&s->to_consumer, (uint64_t)(uintptr_t)kmt);
    xm_ipc_wait_ok(child);
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_producer), 1);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_forked_child_shares_on_its_own_connection)
{
    struct scenario s;

    xm_ipc_setup();
    scenario_open(&s, 26, NULL);
    xm_ipc_wait_ok(xm_ipc_spawn(forking_producer, &s));
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* ---- a keyed mutex across processes ------------------------------------------- */

static IDXGIKeyedMutex *keyed_mutex_of(ID3D11Buffer *buffer)
{
    IDXGIKeyedMutex *mutex = NULL;

    XM_ASSERT_HR(ID3D11Buffer_QueryInterface(buffer, &IID_IDXGIKeyedMutex, (void **)&mutex), S_OK);
    return mutex;
}

/* Opens the KEYEDMUTEX buffer by KMT value, hands the key back and forth,
 * then dies holding key 3. */
static void keyed_mutex_consumer(void *arg)
{
    struct scenario *s = arg;
    HANDLE kmt = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = NULL;
    IDXGIKeyedMutex *mutex;

    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource(device, kmt, &IID_ID3D11Buffer, (void **)&buffer), S_OK);
    mutex = keyed_mutex_of(buffer);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 1, 5000), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 2), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 3, 5000), S_OK);
    _exit(0); /* holding key 3, as a crash would */
}

static void keyed_mutex_producer(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = xm_test_buffer(device, 256, D3D11_RESOURCE_MISC_SHARED_KEYEDMUTEX, NULL);
    IDXGIKeyedMutex *mutex = keyed_mutex_of(buffer);

    xm_ipc_send(&s->to_consumer, (uint64_t)(uintptr_t)xm_test_kmt_handle(buffer));
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 0, 5000), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 1), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 2, 5000), S_OK);
    XM_ASSERT_HR(IDXGIKeyedMutex_ReleaseSync(mutex, 3), S_OK);
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_producer), 1); /* the consumer is dead */
    /* Its holder died holding key 3: abandoned, as on Windows. */
    XM_ASSERT_HR(IDXGIKeyedMutex_AcquireSync(mutex, 3, 5000), WAIT_ABANDONED);
    IDXGIKeyedMutex_Release(mutex);
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
}

XM_TEST(test_keyed_mutex_works_across_processes)
{
    struct scenario s;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 28, NULL);
    b = xm_ipc_spawn(keyed_mutex_consumer, &s);
    a = xm_ipc_spawn(keyed_mutex_producer, &s);
    xm_ipc_wait_ok(b);
    xm_ipc_send(&s.to_producer, 1);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* ---- a name lives while a handle to its NT object is open, in any process --- */

#define HELD_NAME L"Local\\xm-ipc-held-name"

/* Opens HELD_NAME (s->seed: 1 expects it to open and hold the pattern of
 * seed 31, 0 expects it gone) and tries to take the name for another
 * resource (which must fail while the name lives). */
static void name_checker(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = NULL, *other;
    IDXGIResource1 *dxgi = NULL;
    HANDLE handle = NULL;
    HRESULT hr;

    hr = ID3D11Device1_OpenSharedResourceByName(device, HELD_NAME, RW, &IID_ID3D11Buffer, (void **)&buffer);
    if (s->seed) {
        XM_ASSERT_HR(hr, S_OK);
        assert_buffer_reads(device, buffer, 31);
        ID3D11Buffer_Release(buffer);
    } else {
        XM_ASSERT_HR(hr, E_INVALIDARG);
    }
    other = xm_test_buffer(device, 256, SHARED_NT, NULL);
    XM_ASSERT_HR(ID3D11Buffer_QueryInterface(other, &IID_IDXGIResource1, (void **)&dxgi), S_OK);
    XM_ASSERT_HR(IDXGIResource1_CreateSharedHandle(dxgi, NULL, RW, HELD_NAME, &handle),
                 s->seed ? DXGI_ERROR_NAME_ALREADY_EXISTS : S_OK);
    if (handle)
        XM_ASSERT(CloseHandle(handle));
    IDXGIResource1_Release(dxgi);
    ID3D11Buffer_Release(other);
    ID3D11Device1_Release(device);
}

static void check_name(bool lives)
{
    struct scenario checker;

    scenario_open(&checker, lives, NULL);
    xm_ipc_wait_ok(xm_ipc_spawn(name_checker, &checker));
    scenario_close(&checker);
}

/* Names a buffer, duplicates the named handle into s->target, closes its
 * own and exits. */
static void naming_duplicator(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    uint32_t data[WORDS];
    ID3D11Buffer *buffer;
    HANDLE handle, process, remote = NULL;

    xm_ipc_pattern(data, WORDS, 31);
    buffer = xm_test_buffer(device, sizeof(data), SHARED_NT, data);
    handle = xm_test_nt_handle(buffer, RW, HELD_NAME);
    process = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)s->target);
    XM_ASSERT_NOT_NULL(process);
    XM_ASSERT(DuplicateHandle(GetCurrentProcess(), handle, process, &remote, 0, FALSE, DUPLICATE_SAME_ACCESS));
    XM_ASSERT(CloseHandle(process));
    XM_ASSERT(CloseHandle(handle));
    ID3D11Buffer_Release(buffer);
    ID3D11Device1_Release(device);
    xm_ipc_send(&s->to_consumer, (uint64_t)(uintptr_t)remote);
}

/* Holds the duplicated handle: claims it on 2, closes it on 3. */
static void name_holder(void *arg)
{
    struct scenario *s = arg;
    HANDLE handle = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Buffer *buffer = NULL;

    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 2);
    XM_ASSERT_HR(ID3D11Device1_OpenSharedResource1(device, handle, &IID_ID3D11Buffer, (void **)&buffer), S_OK);
    ID3D11Buffer_Release(buffer);
    xm_ipc_send(&s->to_producer, 2);
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 3);
    XM_ASSERT(CloseHandle(handle));
    ID3D11Device1_Release(device);
    xm_ipc_send(&s->to_producer, 3);
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 4);
}

XM_TEST(test_name_lives_while_a_duplicated_handle_is_open_in_another_process)
{
    struct scenario s;
    pid_t namer, holder_pid;

    xm_ipc_setup();
    scenario_open(&s, 31, HELD_NAME);
    holder_pid = xm_ipc_spawn(name_holder, &s);
    s.target = holder_pid;
    namer = xm_ipc_spawn(naming_duplicator, &s);
    xm_ipc_wait_ok(namer);
    /* The namer is gone: the grant waiting in the broker keeps the name. */
    xm_ipc_assert_broker_objects(1);
    check_name(true);
    /* Claimed: the holder's handle keeps it. */
    xm_ipc_send(&s.to_consumer, 2);
    XM_ASSERT_EQ(xm_ipc_receive(&s.to_producer), 2);
    check_name(true);
    /* The last handle, in whichever process, takes the name with it. */
    xm_ipc_send(&s.to_consumer, 3);
    XM_ASSERT_EQ(xm_ipc_receive(&s.to_producer), 3);
    check_name(false);
    xm_ipc_send(&s.to_consumer, 4);
    xm_ipc_wait_ok(holder_pid);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* ---- a broker out of file descriptors ---------------------------------------- */

#define FD_HOG_OBJECTS 8

/* Shares a few objects, so that a broker runs and holds fds, then waits. */
static void fd_holder(void *arg)
{
    struct scenario *s = arg;
    ID3D11Buffer *buffers[FD_HOG_OBJECTS];
    ID3D11Device1 *device = xm_test_device(NULL);

    for (int i = 0; i < FD_HOG_OBJECTS; i++) {
        buffers[i] = xm_test_buffer(device, 256, D3D11_RESOURCE_MISC_SHARED, NULL);
        XM_ASSERT_NOT_NULL(xm_test_kmt_handle(buffers[i]));
    }
    xm_ipc_send(&s->to_consumer, 1);
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_producer), 2);
    for (int i = 0; i < FD_HOG_OBJECTS; i++)
        ID3D11Buffer_Release(buffers[i]);
    ID3D11Device1_Release(device);
}

/* utime + stime of a process, in milliseconds. */
static long cpu_ms(pid_t pid)
{
    char path[64], buffer[1024], *fields;
    long utime = 0, stime = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    XM_ASSERT_NOT_NULL(f);
    XM_ASSERT_NOT_NULL(fgets(buffer, sizeof(buffer), f));
    fclose(f);
    fields = strrchr(buffer, ')');
    XM_ASSERT_NOT_NULL(fields);
    /* fields 14 and 15; the text after ") " starts at field 3 */
    XM_ASSERT_EQ(sscanf(fields + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime), 2);
    return (utime + stime) * 1000 / sysconf(_SC_CLK_TCK);
}

XM_TEST(test_broker_out_of_fds_turns_peers_away_without_spinning)
{
    struct timeval wait = {2, 0};
    struct rlimit saved, tight;
    struct scenario s;
    pid_t holder, broker;
    long before, used;
    char byte;

    xm_ipc_setup();
    scenario_open(&s, 0, NULL);
    holder = xm_ipc_spawn(fd_holder, &s);
    XM_ASSERT_EQ(xm_ipc_receive(&s.to_consumer), 1);
    broker = xm_ipc_broker_pid();
    XM_ASSERT(broker > 0);
    /* Leave the broker no fd to spare: accept() fails with EMFILE. */
    XM_ASSERT_EQ(prlimit(broker, RLIMIT_NOFILE, NULL, &saved), 0);
    tight = saved;
    tight.rlim_cur = (rlim_t)xm_ipc_settled_fd_count(broker);
    XM_ASSERT_EQ(prlimit(broker, RLIMIT_NOFILE, &tight, NULL), 0);
    /* A new peer is turned away (its connection closed), not left pending,
     * where poll() would report it again at once, for ever. */
    for (int i = 0; i < 3; i++) {
        int fd = xm_ipc_broker_connect();

        XM_ASSERT(fd >= 0);
        XM_ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)), 0);
        XM_ASSERT_MSG(recv(fd, &byte, 1, 0) == 0, "the broker left a peer pending when out of fds");
        close(fd);
    }
    before = cpu_ms(broker);
    sleep_ms(500);
    used = cpu_ms(broker) - before;
    XM_ASSERT_MSG(used < 200, "the broker used %ld ms of CPU in 500 ms while idle", used);
    /* With room again it serves as before, and loses nothing. */
    XM_ASSERT_EQ(prlimit(broker, RLIMIT_NOFILE, &saved, NULL), 0);
    XM_ASSERT_EQ(xm_ipc_broker_objects(), FD_HOG_OBJECTS);
    xm_ipc_send(&s.to_producer, 2);
    xm_ipc_wait_ok(holder);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* ---- fences across processes ------------------------------------------------ */

#define FENCE_NAME L"Local\\extmem-test-fence"

static ID3D11Fence *shared_fence(ID3D11Device1 *device, UINT64 initial)
{
    ID3D11Device5 *device5 = NULL;
    ID3D11Fence *fence = NULL;

    XM_ASSERT_HR(ID3D11Device1_QueryInterface(device, &IID_ID3D11Device5, (void **)&device5), S_OK);
    XM_ASSERT_HR(ID3D11Device5_CreateFence(device5, initial, D3D11_FENCE_FLAG_SHARED, &IID_ID3D11Fence,
                                           (void **)&fence), S_OK);
    ID3D11Device5_Release(device5);
    return fence;
}

static ID3D11Fence *open_fence(ID3D11Device1 *device, HANDLE handle)
{
    ID3D11Device5 *device5 = NULL;
    ID3D11Fence *fence = NULL;

    XM_ASSERT_HR(ID3D11Device1_QueryInterface(device, &IID_ID3D11Device5, (void **)&device5), S_OK);
    XM_ASSERT_HR(ID3D11Device5_OpenSharedFence(device5, handle, &IID_ID3D11Fence, (void **)&fence), S_OK);
    ID3D11Device5_Release(device5);
    return fence;
}

static void signal_fence(ID3D11Device1 *device, ID3D11Fence *fence, UINT64 value)
{
    ID3D11DeviceContext *context = NULL;
    ID3D11DeviceContext4 *context4 = NULL;

    ID3D11Device1_GetImmediateContext(device, &context);
    XM_ASSERT_HR(ID3D11DeviceContext_QueryInterface(context, &IID_ID3D11DeviceContext4, (void **)&context4), S_OK);
    XM_ASSERT_HR(ID3D11DeviceContext4_Signal(context4, fence, value), S_OK);
    ID3D11DeviceContext4_Release(context4);
    ID3D11DeviceContext_Release(context);
}

/* Waits for `value` as D3D11 code does: an event, and a timeout. */
static DWORD wait_fence(ID3D11Fence *fence, UINT64 value, DWORD timeout_ms)
{
    HANDLE event = CreateEventW(NULL, FALSE, FALSE, NULL);
    DWORD result;

    XM_ASSERT_NOT_NULL(event);
    XM_ASSERT_HR(ID3D11Fence_SetEventOnCompletion(fence, value, event), S_OK);
    result = WaitForSingleObject(event, timeout_ms);
    XM_ASSERT(CloseHandle(event));
    return result;
}

static cudaError_t import_fence_by_name(cudaExternalSemaphore_t *out, LPCWSTR name)
{
    cudaExternalSemaphoreHandleDesc desc;

    memset(&desc, 0, sizeof(desc));
    desc.type = cudaExternalSemaphoreHandleTypeD3D11Fence;
    desc.handle.win32.name = (const void *)name;
    return cudaImportExternalSemaphore(out, &desc);
}

static cudaError_t cuda_fence(cudaExternalSemaphore_t semaphore, UINT64 value, bool signal)
{
    cudaExternalSemaphoreSignalParams signal_params;
    cudaExternalSemaphoreWaitParams wait_params;

    memset(&signal_params, 0, sizeof(signal_params));
    memset(&wait_params, 0, sizeof(wait_params));
    signal_params.params.fence.value = value;
    wait_params.params.fence.value = value;
    return signal ? cudaSignalExternalSemaphoresAsync(&semaphore, &signal_params, 1, 0)
                  : cudaWaitExternalSemaphoresAsync(&semaphore, &wait_params, 1, 0);
}

/* Creates a shared fence named FENCE_NAME, tells the consumer, then waits
 * for the consumer's 5 (an event) and answers 6 (the context's Signal). */
static void fence_producer(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Fence *fence = shared_fence(device, 1);
    HANDLE handle = NULL;

    XM_ASSERT_HR(ID3D11Fence_CreateSharedHandle(fence, NULL, GENERIC_ALL, FENCE_NAME, &handle), S_OK);
    xm_ipc_send(&s->to_consumer, 1);
    XM_ASSERT_EQ(wait_fence(fence, 5, 10000), WAIT_OBJECT_0);
    XM_ASSERT_EQ(ID3D11Fence_GetCompletedValue(fence), 5);
    signal_fence(device, fence, 6);
    XM_ASSERT_EQ(xm_ipc_receive(&s->to_producer), 1); /* the consumer saw 6 */
    XM_ASSERT(CloseHandle(handle));
    ID3D11Fence_Release(fence);
    ID3D11Device1_Release(device);
}

static void fence_consumer(void *arg)
{
    struct scenario *s = arg;
    cudaExternalSemaphore_t semaphore = NULL;

    XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 1);
    XM_ASSERT_CUDA(import_fence_by_name(&semaphore, FENCE_NAME), cudaSuccess);
    XM_ASSERT_CUDA(cuda_fence(semaphore, 1, false), cudaSuccess); /* the initial value is there */
    XM_ASSERT_CUDA(cuda_fence(semaphore, 5, true), cudaSuccess);
    XM_ASSERT_CUDA(cuda_fence(semaphore, 6, false), cudaSuccess); /* blocks until the producer's 6 */
    xm_ipc_assert_broker_objects(1);
    XM_ASSERT_CUDA(cudaDestroyExternalSemaphore(semaphore), cudaSuccess);
    /* Names of fences and resources are one namespace, kinds are checked. */
    XM_ASSERT_CUDA(xm_test_import(&(cudaExternalMemory_t){NULL}, cudaExternalMemoryHandleTypeD3D11Resource, NULL,
                                  FENCE_NAME, 64),
                   cudaErrorInvalidValue);
    xm_ipc_send(&s->to_producer, 1);
}

XM_TEST(test_fence_crosses_processes_by_name)
{
    struct scenario s;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 29, NULL);
    a = xm_ipc_spawn(fence_producer, &s);
    b = xm_ipc_spawn(fence_consumer, &s);
    xm_ipc_wait_ok(b);
    xm_ipc_wait_ok(a);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* Duplicates a fence's handle into the consumer (s->target), signals 3,
 * and waits for the consumer's 4; with s->seed 1 it then waits to be
 * killed instead of signalling 8. */
static void fence_duplicating_producer(void *arg)
{
    struct scenario *s = arg;
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Fence *fence = shared_fence(device, 0);
    HANDLE handle = NULL, process, remote = NULL;

    XM_ASSERT_HR(ID3D11Fence_CreateSharedHandle(fence, NULL, GENERIC_ALL, NULL, &handle), S_OK);
    process = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)s->target);
    XM_ASSERT_NOT_NULL(process);
    XM_ASSERT_MSG(DuplicateHandle(GetCurrentProcess(), handle, process, &remote, 0, FALSE, DUPLICATE_SAME_ACCESS),
                  "DuplicateHandle: %u (%s)", (unsigned)GetLastError(), extmemGetLastErrorMessage());
    XM_ASSERT(CloseHandle(process));
    XM_ASSERT(CloseHandle(handle));
    signal_fence(device, fence, 3);
    xm_ipc_send(&s->to_consumer, (uint64_t)(uintptr_t)remote);
    XM_ASSERT_EQ(wait_fence(fence, 4, 10000), WAIT_OBJECT_0);
    if (s->seed == 1) {
        xm_ipc_send(&s->to_consumer, 1);
        pause(); /* killed here, never signalling 8 */
    }
    ID3D11Fence_Release(fence);
    ID3D11Device1_Release(device);
}

static void fence_duplicate_consumer(void *arg)
{
    struct scenario *s = arg;
    HANDLE handle = (HANDLE)(uintptr_t)xm_ipc_receive(&s->to_consumer);
    ID3D11Device1 *device = xm_test_device(NULL);
    ID3D11Fence *fence = open_fence(device, handle);
    double start;

    XM_ASSERT_EQ(ID3D11Fence_GetCompletedValue(fence), 3);
    signal_fence(device, fence, 4);
    /* The target owns the value and must close it, once. */
    XM_ASSERT(CloseHandle(handle));
    XM_ASSERT(!CloseHandle(handle));
    if (s->seed == 1) {
        /* The signaller dies: a wait for what it never signals times out
         * cleanly, and the fence still works for whoever is left. */
        XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 1);
        xm_ipc_send(&s->to_producer, 2); /* kill it now */
        XM_ASSERT_EQ(xm_ipc_receive(&s->to_consumer), 3);
        start = now_ms();
        XM_ASSERT_EQ(wait_fence(fence, 8, 300), WAIT_TIMEOUT);
        XM_ASSERT(now_ms() - start >= 299);
        signal_fence(device, fence, 8);
        XM_ASSERT_EQ(wait_fence(fence, 8, 0), WAIT_OBJECT_0);
    }
    ID3D11Fence_Release(fence);
    ID3D11Device1_Release(device);
}

XM_TEST(test_fence_handle_duplicated_into_another_process)
{
    struct scenario s;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 0, NULL);
    b = xm_ipc_spawn(fence_duplicate_consumer, &s);
    s.target = b;
    a = xm_ipc_spawn(fence_duplicating_producer, &s);
    xm_ipc_wait_ok(a);
    xm_ipc_wait_ok(b);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

XM_TEST(test_fence_wait_on_a_dead_signaller_times_out_and_leaks_nothing)
{
    struct scenario s;
    int status = 0;
    pid_t a, b;

    xm_ipc_setup();
    scenario_open(&s, 1, NULL);
    b = xm_ipc_spawn(fence_duplicate_consumer, &s);
    s.target = b;
    a = xm_ipc_spawn(fence_duplicating_producer, &s);
    XM_ASSERT_EQ(xm_ipc_receive(&s.to_producer), 2);
    XM_ASSERT_EQ(kill(a, SIGKILL), 0);
    XM_ASSERT_EQ(waitpid(a, &status, 0), a);
    XM_ASSERT(WIFSIGNALED(status));
    xm_ipc_send(&s.to_consumer, 3);
    xm_ipc_wait_ok(b);
    xm_ipc_assert_broker_objects(0);
    scenario_close(&s);
    xm_ipc_teardown();
}

/* ---- the CLI ------------------------------------------------------------------ */

/* Runs the extmem CLI; returns its exit status and its output in out. */
static int run_cli(const char *args, char *out, size_t size)
{
    char command[512];
    size_t n = 0;
    FILE *pipe;
    int status;

    snprintf(command, sizeof(command), "%s %s 2>&1", EXTMEM_TEST_CLI_PATH, args);
    pipe = popen(command, "r");
    XM_ASSERT_NOT_NULL(pipe);
    while (n + 1 < size && fgets(out + n, (int)(size - n), pipe))
        n += strlen(out + n);
    out[n] = '\0';
    status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

XM_TEST(test_cli_lists_shared_objects)
{
    struct scenario kmt_side, name_side;
    char out[8192], arg[64];
    uint64_t kmt;
    pid_t a, b;

    xm_ipc_setup();
    XM_ASSERT_EQ(run_cli("ls", out, sizeof(out)), 2); /* no broker: nothing shared */
    XM_ASSERT_CONTAINS(out, "no broker");
    scenario_open(&kmt_side, 24, NULL);
    scenario_open(&name_side, 25, L"xm-ipc-cli");
    a = xm_ipc_spawn(holder, &kmt_side);
    kmt = xm_ipc_receive(&kmt_side.to_consumer);
    b = xm_ipc_spawn(producer, &name_side);
    XM_ASSERT_EQ(xm_ipc_receive(&name_side.to_consumer), 1);

    XM_ASSERT_EQ(run_cli("ls", out, sizeof(out)), 0);
    snprintf(arg, sizeof(arg), "0x%08llx", (unsigned long long)kmt);
    XM_ASSERT_CONTAINS(out, arg);
    XM_ASSERT_CONTAINS(out, "xm-ipc-cli");
    XM_ASSERT_CONTAINS(out, "(2 objects)");
    snprintf(arg, sizeof(arg), " %d:1", (int)a);
    XM_ASSERT_CONTAINS(out, arg);

    snprintf(arg, sizeof(arg), "info 0x%llx", (unsigned long long)kmt);
    XM_ASSERT_EQ(run_cli(arg, out, sizeof(out)), 0);
    XM_ASSERT_CONTAINS(out, "buffer");
    XM_ASSERT_EQ(run_cli("info xm-ipc-cli", out, sizeof(out)), 0);
    XM_ASSERT_CONTAINS(out, "name access: read/write");
    XM_ASSERT_EQ(run_cli("info no-such-name", out, sizeof(out)), 1);
    XM_ASSERT_EQ(run_cli("info 0x40000002", out, sizeof(out)), 1);
    XM_ASSERT_EQ(run_cli("--help", out, sizeof(out)), 0);
    XM_ASSERT_CONTAINS(out, "usage: extmem ls");

    xm_ipc_send(&kmt_side.to_producer, 1);
    xm_ipc_send(&name_side.to_producer, 1);
    xm_ipc_wait_ok(a);
    xm_ipc_wait_ok(b);
    xm_ipc_assert_broker_objects(0);
    XM_ASSERT_EQ(run_cli("ls", out, sizeof(out)), 0);
    XM_ASSERT_CONTAINS(out, "(0 objects)");
    scenario_close(&kmt_side);
    scenario_close(&name_side);
    xm_ipc_teardown();
}

XM_TEST_LIST(
    XM_TEST_ENTRY(test_kmt_handle_opens_in_another_process)
    XM_TEST_ENTRY(test_name_opens_in_another_process)
    XM_TEST_ENTRY(test_name_clash_across_processes)
    XM_TEST_ENTRY(test_memory_outlives_its_exporter_and_dies_with_the_last_reference)
    XM_TEST_ENTRY(test_forged_and_stale_kmt_values_fail_in_another_process)
    XM_TEST_ENTRY(test_kmt_values_differ_between_runs)
    XM_TEST_ENTRY(test_broker_directory_is_private)
    XM_TEST_ENTRY(test_open_broker_directory_is_refused)
    XM_TEST_ENTRY(test_broker_survives_malformed_and_vanishing_clients)
    XM_TEST_ENTRY(test_kmt_value_is_checked_against_the_kind)
    XM_TEST_ENTRY(test_broker_replaces_proposed_kmt_values_without_kmt_shape)
    XM_TEST_ENTRY(test_fds_belong_to_the_message_they_came_with)
    XM_TEST_ENTRY(test_reregistered_memory_merges_only_with_the_same_resource)
    XM_TEST_ENTRY(test_client_that_stops_reading_stalls_nobody)
    XM_TEST_ENTRY(test_queued_object_reply_outlives_its_object)
    XM_TEST_ENTRY(test_broker_refuses_peers_of_another_uid)
    XM_TEST_ENTRY(test_broker_refuses_other_protocol_versions)
    XM_TEST_ENTRY(test_duplicate_handle_into_another_process)
    XM_TEST_ENTRY(test_read_only_duplicate_gives_read_only_mappings_in_another_process)
    XM_TEST_ENTRY(test_unclaimed_duplicate_dies_with_its_target_process)
    XM_TEST_ENTRY(test_open_process_checks_its_arguments)
    XM_TEST_ENTRY(test_forked_child_shares_on_its_own_connection)
    XM_TEST_ENTRY(test_keyed_mutex_works_across_processes)
    XM_TEST_ENTRY(test_name_lives_while_a_duplicated_handle_is_open_in_another_process)
    XM_TEST_ENTRY(test_broker_out_of_fds_turns_peers_away_without_spinning)
    XM_TEST_ENTRY(test_fence_crosses_processes_by_name)
    XM_TEST_ENTRY(test_fence_handle_duplicated_into_another_process)
    XM_TEST_ENTRY(test_fence_wait_on_a_dead_signaller_times_out_and_leaks_nothing)
    XM_TEST_ENTRY(test_cli_lists_shared_objects))
