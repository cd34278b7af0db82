#include "gpu_worker.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ipc_util.h"

#ifdef EXTMEM_HAVE_CUDA_BACKEND
#include "backend/cuda_driver.h"
#endif

/* Workers started and not reaped yet, so that a test that failed half-way
 * does not leave them running into the next one. */
static struct xm_gpu_worker *live[8];

static void track(struct xm_gpu_worker *worker)
{
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
        if (!live[i]) {
            live[i] = worker;
            return;
        }
    }
    XM_ASSERT_MSG(0, "more than %zu workers at once", sizeof(live) / sizeof(live[0]));
}

static void untrack(struct xm_gpu_worker *worker)
{
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
        if (live[i] == worker)
            live[i] = NULL;
}

static void sleep_ms(unsigned ms)
{
    nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L}, NULL);
}

void xm_gpu_worker_start(struct xm_gpu_worker *worker, const char *role, const char *path, char *const argv[])
{
    int in[2], out[2];
    pid_t parent = getpid();

    XM_ASSERT_EQ(pipe(in), 0);
    XM_ASSERT_EQ(pipe(out), 0);
    fflush(stdout);
    fflush(stderr);
    memset(worker, 0, sizeof(*worker));
    worker->role = role;
    worker->pid = fork();
    XM_ASSERT(worker->pid >= 0);
    if (worker->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* the driver died before prctl */
            _exit(127);
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execv(path, argv);
        fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    worker->to = in[1];
    worker->from = out[0];
    track(worker);
}

const char *xm_gpu_worker_next_line(struct xm_gpu_worker *worker, char *line, size_t size, int timeout_ms)
{
    struct timespec start, now;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        char *nl = memchr(worker->buf, '\n', worker->len);
        int left;

        if (nl) {
            size_t n = (size_t)(nl - worker->buf);

            if (n >= size)
                n = size - 1;
            memcpy(line, worker->buf, n);
            line[n] = '\0';
            worker->len -= (size_t)(nl - worker->buf) + 1;
            memmove(worker->buf, nl + 1, worker->len);
            return line;
        }
        if (worker->len >= sizeof(worker->buf) - 1)
            return NULL; /* a line longer than the buffer: no worker writes one */
        clock_gettime(CLOCK_MONOTONIC, &now);
        left = timeout_ms - (int)((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left < 0)
            left = 0;
        struct pollfd p = {worker->from, POLLIN, 0};
        int ready = poll(&p, 1, left);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return NULL;
        ssize_t got = read(worker->from, worker->buf + worker->len, sizeof(worker->buf) - worker->len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            worker->ended = true;
            return NULL;
        }
        worker->len += (size_t)got;
    }
}

const char *xm_gpu_worker_describe_status(int status, char *out, size_t size)
{
    if (WIFEXITED(status))
        snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, size, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, size, "ended with wait status 0x%x", (unsigned)status);
    return out;
}

/* Why no line came: the worker's output ended (and how it ended, if it
 * has within a second), or it is still running and said nothing. */
static const char *why_no_line(struct xm_gpu_worker *worker, int timeout_ms, char *out, size_t size)
{
    char how[64];

    if (worker->ended) {
        for (int i = 0; i < 100 && !worker->exited; i++) {
            if (waitpid(worker->pid, &worker->status, WNOHANG) == worker->pid)
                worker->exited = true;
            else
                sleep_ms(10);
        }
        snprintf(out, size, "the end of its output: it %s",
                 worker->exited ? xm_gpu_worker_describe_status(worker->status, how, sizeof(how))
                                : "closed its stdout and is still running");
    } else {
        snprintf(out, size, "nothing within %d ms", timeout_ms);
    }
    return out;
}

void xm_gpu_worker_expect(struct xm_gpu_worker *worker, const char *prefix, char *line, size_t size,
                          int timeout_ms)
{
    const char *got = xm_gpu_worker_next_line(worker, line, size, timeout_ms);
    char why[160];

    if (!got)
        XM_ASSERT_MSG(0, "%s (pid %d): wanted a line starting \"%s\", got %s", worker->role, (int)worker->pid,
                      prefix, why_no_line(worker, timeout_ms, why, sizeof(why)));
    XM_ASSERT_MSG(!strncmp(got, prefix, strlen(prefix)), "%s (pid %d): wanted a line starting \"%s\", got \"%s\"",
                  worker->role, (int)worker->pid, prefix, got);
}

void xm_gpu_worker_tell(struct xm_gpu_worker *worker, const char *command)
{
    ssize_t n = write(worker->to, command, strlen(command));

    XM_ASSERT_MSG(n == (ssize_t)strlen(command), "%s (pid %d): could not send \"%s\": %s", worker->role,
                  (int)worker->pid, command, n < 0 ? strerror(errno) : "short write");
}

int xm_gpu_worker_reap(struct xm_gpu_worker *worker)
{
    if (worker->to >= 0)
        close(worker->to);
    worker->to = -1;
    if (!worker->exited) {
        XM_ASSERT_EQ(waitpid(worker->pid, &worker->status, 0), worker->pid);
        worker->exited = true;
    }
    if (worker->from >= 0)
        close(worker->from);
    worker->from = -1;
    untrack(worker);
    return worker->status;
}

void xm_gpu_worker_kill(struct xm_gpu_worker *worker)
{
    char how[64];
    int status;

    if (!worker->exited)
        kill(worker->pid, SIGKILL);
    status = xm_gpu_worker_reap(worker);
    XM_ASSERT_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "%s (pid %d) had ended before it was "
                  "killed: it %s", worker->role, (int)worker->pid,
                  xm_gpu_worker_describe_status(status, how, sizeof(how)));
}

void xm_gpu_worker_assert_exited_ok(struct xm_gpu_worker *worker)
{
    char how[64];
    int status = xm_gpu_worker_reap(worker);

    XM_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s (pid %d) %s, want exit status 0",
                  worker->role, (int)worker->pid, xm_gpu_worker_describe_status(status, how, sizeof(how)));
}

void xm_gpu_workers_kill_all(void)
{
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
        struct xm_gpu_worker *worker = live[i];

        if (!worker)
            continue;
        live[i] = NULL;
        if (!worker->exited) {
            kill(worker->pid, SIGKILL);
            waitpid(worker->pid, &worker->status, 0);
            worker->exited = true;
        }
        if (worker->to >= 0)
            close(worker->to);
        if (worker->from >= 0)
            close(worker->from);
        worker->to = worker->from = -1;
    }
}

#ifdef EXTMEM_HAVE_CUDA_BACKEND

size_t xm_gpu_free_memory(void)
{
    char why[256];
    const struct xm_cuda_driver *drv = xm_cuda_driver_get(why, sizeof(why));
    size_t free_bytes = 0, total = 0;
    CUresult r;

    XM_ASSERT_MSG(drv != NULL, "%s", why);
    r = drv->cuMemGetInfo(&free_bytes, &total);
    XM_ASSERT_MSG(r == CUDA_SUCCESS, "cuMemGetInfo: %s", xm_cuda_result_name(r));
    return free_bytes;
}

size_t xm_gpu_assert_memory_back(size_t baseline, size_t tolerance, const char *label)
{
    long objects = -1;
    size_t now = 0;

    for (int i = 0; i < 400; i++) {
        objects = xm_ipc_broker_objects();
        if (objects <= 0)
            break;
        sleep_ms(10);
    }
    XM_ASSERT_MSG(objects <= 0, "%s: the broker still holds %ld objects 4 s after the scenario ended", label,
                  objects);
    for (int i = 0; i < 200; i++) { /* the driver frees a dead process's memory soon after, not at once */
        now = xm_gpu_free_memory();
        if (now + tolerance >= baseline)
            break;
        sleep_ms(25);
    }
    printf("  %s: GPU free memory %zu MiB before, %zu MiB after (%s)\n", label, baseline >> 20, now >> 20,
           objects < 0 ? "no broker was started" : "the broker holds no object");
    XM_ASSERT_MSG(now + tolerance >= baseline, "%s: %zu KiB of GPU memory were not given back (tolerance %zu KiB)",
                  label, (baseline - now) >> 10, tolerance >> 10);
    return now;
}

#endif
