#include "ipc_util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc/connection.h"
#include "ipc/protocol.h"

static char runtime_dir[64];

void xm_ipc_setup(void)
{
    snprintf(runtime_dir, sizeof(runtime_dir), "/tmp/xm-ipc-XXXXXX");
    XM_ASSERT_NOT_NULL(mkdtemp(runtime_dir));
    setenv("XDG_RUNTIME_DIR", runtime_dir, 1);
    setenv("EXTMEM_BROKER_PATH", EXTMEM_TEST_BROKER_PATH, 1);
    unsetenv("EXTMEM_BROKER");
}

static void remove_tree(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *entry;

    if (!dir) {
        unlink(path);
        return;
    }
    while ((entry = readdir(dir))) {
        char child[512];

        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
            continue;
        snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
        remove_tree(child);
    }
    closedir(dir);
    rmdir(path);
}

void xm_ipc_teardown(void)
{
    pid_t broker = xm_ipc_broker_pid();

    if (broker > 0) {
        kill(broker, SIGTERM);
        for (int i = 0; i < 200 && kill(broker, 0) == 0; i++)
            nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    if (runtime_dir[0])
        remove_tree(runtime_dir);
    runtime_dir[0] = '\0';
}

pid_t xm_ipc_spawn(void (*fn)(void *arg), void *arg)
{
    pid_t child;

    fflush(stdout);
    fflush(stderr);
    child = fork();
    XM_ASSERT(child >= 0);
    if (child == 0) {
        /* A test that fails leaves its children waiting on pipes: they go
         * with the test process instead of lingering. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (setjmp(xm_test_jmp) != 0)
            _exit(1);
        fn(arg);
        _exit(0);
    }
    return child;
}

void xm_ipc_wait_ok(pid_t child)
{
    int status = 0;

    XM_ASSERT_EQ(waitpid(child, &status, 0), child);
    XM_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d ended with status 0x%x", (int)child,
                  (unsigned)status);
}

void xm_ipc_channel_open(struct xm_ipc_channel *channel)
{
    XM_ASSERT_EQ(pipe(channel->fds), 0);
}

void xm_ipc_channel_close(struct xm_ipc_channel *channel)
{
    xm_ipc_channel_close_read(channel);
    xm_ipc_channel_close_write(channel);
}

void xm_ipc_channel_close_read(struct xm_ipc_channel *channel)
{
    if (channel->fds[0] >= 0)
        close(channel->fds[0]);
    channel->fds[0] = -1;
}

void xm_ipc_channel_close_write(struct xm_ipc_channel *channel)
{
    if (channel->fds[1] >= 0)
        close(channel->fds[1]);
    channel->fds[1] = -1;
}

bool xm_ipc_try_receive(struct xm_ipc_channel *channel, uint64_t *value)
{
    ssize_t n;

    do
        n = read(channel->fds[0], value, sizeof(*value));
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return false;
    XM_ASSERT_EQ(n, sizeof(*value));
    return true;
}

void xm_ipc_send(struct xm_ipc_channel *channel, uint64_t value)
{
    XM_ASSERT_EQ(write(channel->fds[1], &value, sizeof(value)), sizeof(value));
}

uint64_t xm_ipc_receive(struct xm_ipc_channel *channel)
{
    uint64_t value = 0;

    XM_ASSERT_EQ(read(channel->fds[0], &value, sizeof(value)), sizeof(value));
    return value;
}

int xm_ipc_broker_connect(void)
{
    char dir[256], why[300], path[300];
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    if (xm_ipc_runtime_dir(dir, sizeof(dir), false, why, sizeof(why)) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/" XM_IPC_SOCKET_NAME, dir);
    if (strlen(path) >= sizeof(addr.sun_path))
        return -1;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

long xm_ipc_broker_objects(void)
{
    struct xm_wire_hello hello = {XM_PROTOCOL_VERSION, 0};
    static struct xm_connection conn;
    struct xm_message m;
    long count = 0;
    int fd = xm_ipc_broker_connect();

    if (fd < 0)
        return -1;
    xm_connection_init(&conn, fd);
    if (xm_connection_send(fd, XM_OP_HELLO, &hello, sizeof(hello), NULL, 0, -1) != 0 ||
        xm_connection_send(fd, XM_OP_LIST, NULL, 0, NULL, 0, -1) != 0) {
        xm_connection_finish(&conn);
        return -1;
    }
    for (;;) {
        int parsed = xm_connection_next(&conn, &m);

        if (parsed < 0)
            break;
        if (parsed == 0) {
            if (xm_connection_fill(&conn, false) <= 0)
                break;
            continue;
        }
        if (m.opcode == XM_OP_LIST_ENTRY)
            count++;
        if (m.opcode == XM_OP_LIST_END) {
            xm_connection_finish(&conn);
            return count;
        }
    }
    xm_connection_finish(&conn);
    return -1;
}

void xm_ipc_assert_broker_objects(long count)
{
    long now = -2;

    /* The broker learns of a process's exit when it reads the hang-up. */
    for (int i = 0; i < 200; i++) {
        now = xm_ipc_broker_objects();
        if (now == count)
            return;
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    XM_ASSERT_EQ(now, count);
}

pid_t xm_ipc_broker_pid(void)
{
    int fd = xm_ipc_broker_connect();
    pid_t pid = 0;
    uid_t uid;

    if (fd < 0)
        return 0;
    if (xm_connection_peer(fd, &pid, &uid) != 0)
        pid = 0;
    close(fd);
    return pid;
}

int xm_ipc_fd_count_of(pid_t pid)
{
    char path[64];
    struct dirent *entry;
    int count = 0;
    DIR *dir;

    if (pid)
        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    else
        snprintf(path, sizeof(path), "/proc/self/fd");
    dir = opendir(path);
    if (!dir)
        return -1;
    while ((entry = readdir(dir)))
        if (entry->d_name[0] != '.')
            count++;
    closedir(dir);
    return pid ? count : count - 1; /* the directory's own fd */
}

int xm_ipc_fd_count(void)
{
    return xm_ipc_fd_count_of(0);
}

int xm_ipc_settled_fd_count(pid_t pid)
{
    int last = xm_ipc_fd_count_of(pid), now = last;

    for (int i = 0; i < 100; i++) {
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
        now = xm_ipc_fd_count_of(pid);
        if (now == last)
            break;
        last = now;
    }
    return now;
}

void xm_ipc_assert_fd_count(pid_t pid, int count)
{
    int now = -2;

    for (int i = 0; i < 400; i++) {
        now = xm_ipc_fd_count_of(pid);
        if (now == count)
            return;
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    XM_ASSERT_EQ(now, count);
}

void xm_ipc_pattern(uint32_t *words, size_t count, uint32_t seed)
{
    for (size_t i = 0; i < count; i++)
        words[i] = seed * 2654435761u + (uint32_t)i;
}
