#include "ipc/client.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "ipc/connection.h"

/* How long an auto-started broker lingers after its last client. */
#define IDLE_EXIT_SECONDS "5"
/* How long a client waits for a broker that another process is starting. */
#define CONNECT_PATIENCE_MS 3000

/* Recursive: dropping a reference under it may destroy an object, whose
 * broker reference is then dropped under it too (ipc/share.c). */
static pthread_mutex_t client_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static struct xm_connection conn = {.fd = -1};
static uint32_t generation;
static bool ever_connected;
static bool watcher_started;
static void (*reconnect_hook)(void);

static void start_watcher(void);

bool xm_broker_enabled(void)
{
    const char *value = getenv("EXTMEM_BROKER");

    return !value || (strcmp(value, "off") != 0 && strcmp(value, "0") != 0);
}

/* A forked child is another process to the broker: it must not speak on
 * its parent's connection. It makes its own on first need. */
static void atfork_prepare(void)
{
    pthread_mutex_lock(&client_lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&client_lock);
}

static void atfork_child(void)
{
    pthread_mutexattr_t attr;

    xm_connection_finish(&conn);
    generation++;
    ever_connected = false;
    watcher_started = false; /* threads do not survive fork */
    /* A recursive mutex remembers its owner's thread id, which the child's
     * thread does not have: unlocking would fail. Make it anew. */
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&client_lock, &attr);
    pthread_mutexattr_destroy(&attr);
}

static void install_atfork(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void xm_broker_lock(void)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&client_lock);
}

void xm_broker_unlock(void)
{
    pthread_mutex_unlock(&client_lock);
}

uint32_t xm_broker_generation(void)
{
    return generation;
}

void xm_broker_set_reconnect_hook(void (*hook)(void))
{
    reconnect_hook = hook;
}

static bool is_executable(const char *path)
{
    return access(path, X_OK) == 0;
}

/* EXTMEM_BROKER_PATH, else the bin directory beside the library's lib
 * directory, else PATH. */
static bool find_broker(char *path, size_t size)
{
    const char *env = getenv("EXTMEM_BROKER_PATH"), *search;
    Dl_info info;

    if (env && *env) {
        snprintf(path, size, "%s", env);
        return is_executable(path);
    }
    if (dladdr((void *)find_broker, &info) && info.dli_fname) {
        char dir[PATH_MAX];
        char *slash;

        snprintf(dir, sizeof(dir), "%s", info.dli_fname);
        slash = strrchr(dir, '/');
        if (slash) {
            *slash = '\0';
            if ((size_t)snprintf(path, size, "%s/../bin/extmemd", dir) < size && is_executable(path))
                return true;
            if ((size_t)snprintf(path, size, "%s/extmemd", dir) < size && is_executable(path))
                return true;
        }
    }
    search = getenv("PATH");
    while (search && *search) {
        const char *end = strchr(search, ':');
        size_t length = end ? (size_t)(end - search) : strlen(search);

        if (length && (size_t)snprintf(path, size, "%.*s/extmemd", (int)length, search) < size &&
            is_executable(path))
            return true;
        search = end ? end + 1 : NULL;
    }
    return false;
}

/* Starts a broker and waits until it listens (extmemd detaches once its
 * socket is up). Another process may win the race: then ours exits at
 * once and the connect retry finds theirs. */
static int start_broker(void)
{
    char path[PATH_MAX];
    char *argv[] = {path, "--idle-exit", IDLE_EXIT_SECONDS, NULL};
    pid_t child;
    int status;

    if (!find_broker(path, sizeof(path)))
        return xm_error(-1, "cannot find the extmem broker (extmemd): set EXTMEM_BROKER_PATH, install it "
                        "beside the library, or put it on PATH (EXTMEM_BROKER=off keeps sharing in-process)");
    child = fork();
    if (child < 0)
        return xm_error(-1, "cannot start the extmem broker: fork: %s", strerror(errno));
    if (child == 0) {
        /* Only async-signal-safe calls between fork and exec. Without
         * stdio, a test runner waiting for its children's output does not
         * wait for the broker. */
        int null = open("/dev/null", O_RDWR);

        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
            dup2(null, 2);
        }
        syscall(SYS_close_range, 3u, ~0u, 0u);
        execv(path, argv);
        _exit(127);
    }
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

static int connect_once(const char *socket_path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(socket_path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int err = errno;

        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

static int hello(void)
{
    struct xm_wire_hello body = {XM_PROTOCOL_VERSION, 0};
    struct xm_message reply;
    int result = xm_broker_call_locked(XM_OP_HELLO, &body, sizeof(body), NULL, 0, -1, &reply, NULL);

    if (result == XM_BROKER_OK && reply.opcode == XM_OP_HELLO_REPLY)
        return 0;
    xm_connection_finish(&conn);
    if (result == XM_WIRE_ERR_VERSION)
        return xm_error(-1, "the running extmem broker speaks another protocol version than this library (%u)",
                        XM_PROTOCOL_VERSION);
    return xm_error(-1, "the extmem broker did not answer HELLO");
}

int xm_broker_connect_locked(bool start)
{
    char dir[PATH_MAX - 32], socket_path[PATH_MAX], why[PATH_MAX + 100];
    bool started = false;
    int fd, waited_ms = 0;

    if (conn.fd >= 0)
        return 0;
    if (!xm_broker_enabled())
        return xm_error(-1, "EXTMEM_BROKER=off: sharing across processes is disabled");
    if (xm_ipc_runtime_dir(dir, sizeof(dir), start, why, sizeof(why)) != 0)
        return xm_error(-1, "extmem broker directory: %s", why);
    snprintf(socket_path, sizeof(socket_path), "%s/" XM_IPC_SOCKET_NAME, dir);
    for (;;) {
        fd = connect_once(socket_path);
        if (fd >= 0)
            break;
        if (!start)
            return xm_error(-1, "no extmem broker is running (%s: %s)", socket_path, strerror(errno));
        if (!started) {
            if (start_broker() != 0)
                return -1;
            started = true;
            continue;
        }
        if (waited_ms >= CONNECT_PATIENCE_MS)
            return xm_error(-1, "the extmem broker did not come up at %s: %s", socket_path, strerror(errno));
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
        waited_ms += 5;
    }
    xm_connection_init(&conn, fd);
    if (hello() != 0)
        return -1;
    generation++;
    if (ever_connected && reconnect_hook)
        reconnect_hook();
    ever_connected = true;
    start_watcher();
    return 0;
}

bool xm_broker_was_connected(void)
{
    return ever_connected;
}

static void lose_connection(void)
{
    xm_connection_finish(&conn);
}

/*
 * Notices at once when the broker goes away (killed, crashed, restarted)
 * and connects again, starting a new broker, so that this process's
 * objects are registered again (reconnect hook) before another process
 * looks for them. It only ever polls for the hang-up; requests and
 * replies stay with the threads that make them.
 */
static void *watch_broker(void *arg)
{
    (void)arg;
    for (;;) {
        struct pollfd p = {.events = POLLRDHUP};
        uint32_t seen_generation;
        bool lost;

        pthread_mutex_lock(&client_lock);
        p.fd = conn.fd;
        seen_generation = generation;
        pthread_mutex_unlock(&client_lock);
        if (p.fd < 0) {
            /* Lost and not back (no broker could start): try again now and then. */
            nanosleep(&(struct timespec){1, 0}, NULL);
            pthread_mutex_lock(&client_lock);
            if (conn.fd < 0)
                xm_broker_connect_locked(true);
            pthread_mutex_unlock(&client_lock);
            continue;
        }
        if (poll(&p, 1, 1000) <= 0 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
            continue;
        pthread_mutex_lock(&client_lock);
        lost = conn.fd == p.fd && generation == seen_generation;
        if (lost) {
            lose_connection();
            xm_broker_connect_locked(true);
        }
        pthread_mutex_unlock(&client_lock);
        if (!lost) /* the fd number was stale; do not spin on it */
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return NULL;
}

static void start_watcher(void)
{
    pthread_attr_t attr;
    pthread_t thread;
    sigset_t all, old;

    if (watcher_started || pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* The watcher takes no signals meant for the application. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    watcher_started = pthread_create(&thread, &attr, watch_broker, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

int xm_broker_read_locked(struct xm_message *reply)
{
    for (;;) {
        int parsed = xm_connection_next(&conn, reply);
        long n;

        if (parsed == 1)
            return reply->opcode == XM_OP_ERROR ? (int)reply->u.error.code : XM_BROKER_OK;
        if (parsed < 0) {
            lose_connection();
            return xm_error(XM_BROKER_UNREACHABLE, "the extmem broker sent a malformed reply");
        }
        n = xm_connection_fill(&conn, false);
        if (n <= 0) {
            lose_connection();
            return xm_error(XM_BROKER_UNREACHABLE, "the extmem broker went away (%s)",
                            n == 0 ? "connection closed" : strerror(errno));
        }
    }
}

static int call(uint16_t opcode, const void *body, uint32_t size, const char *name, uint32_t name_len,
                const int *fds, int fd_count, struct xm_message *reply, int *reply_fd)
{
    int result;

    if (reply_fd)
        *reply_fd = -1;
    if (conn.fd < 0)
        return xm_error(XM_BROKER_UNREACHABLE, "not connected to the extmem broker");
    if (xm_connection_send_fds(conn.fd, opcode, body, size, name, name_len, fds, fd_count) != 0) {
        lose_connection();
        return xm_error(XM_BROKER_UNREACHABLE, "the extmem broker went away (%s)", strerror(errno));
    }
    result = xm_broker_read_locked(reply);
    /* A reply's fds are its own (ipc/connection.h): none of an earlier
     * reply's can pass for this one's. */
    if (result == XM_BROKER_OK && xm_protocol_fd_count(reply) > 0) {
        int fd = xm_connection_take_fd(&conn);

        if (fd < 0)
            return xm_error(XM_WIRE_ERR_BAD_FD, "the extmem broker's reply lacks its fd");
        if (reply_fd)
            *reply_fd = fd;
        else
            close(fd);
    }
    return result;
}

int xm_broker_call_locked(uint16_t opcode, const void *body, uint32_t size, const char *name, uint32_t name_len,
                          int send_fd, struct xm_message *reply, int *reply_fd)
{
    return call(opcode, body, size, name, name_len, &send_fd, 1, reply, reply_fd);
}

int xm_broker_call_fds_locked(uint16_t opcode, const void *body, uint32_t size, const int *fds, int fd_count,
                              struct xm_message *reply, int *reply_fd)
{
    return call(opcode, body, size, NULL, 0, fds, fd_count, reply, reply_fd);
}

int xm_broker_take_fd_locked(void)
{
    return conn.fd >= 0 ? xm_connection_take_fd(&conn) : -1;
}
