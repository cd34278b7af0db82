/*
 * The driver's side of the cross-process GPU tests (test_ipc_gpu,
 * test_sync_gpu): worker programs started with fork + exec, their stdin
 * and stdout on pipes to the driver (one line per message), killed with
 * SIGKILL; and the check each scenario ends with, that the broker holds
 * nothing and the GPU's free memory is back where it was.
 *
 * Assertions here end the driver's test (XM_ASSERT); their messages say
 * which worker, what was wanted and what came instead.
 */
#ifndef EXTMEM_TEST_GPU_WORKER_H
#define EXTMEM_TEST_GPU_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct xm_gpu_worker {
    const char *role; /* for messages: "producer", "the d3d11 side" */
    pid_t pid;        /* 0 once reaped */
    int to;           /* its stdin */
    int from;         /* its stdout */
    bool ended;       /* its stdout reached its end */
    bool exited;      /* reaped; status holds its wait status */
    int status;
    char buf[4096];
    size_t len;
};

/* Starts the program `path` with argv; its stdin and stdout are pipes to
 * this process, its stderr is this process's. It gets SIGKILL when this
 * process dies (PR_SET_PDEATHSIG), so a test runner that is killed leaves
 * no worker behind. `role` must outlive the worker. */
void xm_gpu_worker_start(struct xm_gpu_worker *worker, const char *role, const char *path, char *const argv[]);

/* The worker's next line (without the newline) in `line`, or NULL at the
 * end of its output or after timeout_ms. */
const char *xm_gpu_worker_next_line(struct xm_gpu_worker *worker, char *line, size_t size, int timeout_ms);

/* Reads the next line into `line` and asserts that it starts with
 * `prefix`; on failure the message quotes what came instead: another
 * line, nothing within timeout_ms, or the end of the worker's output with
 * how it ended. */
void xm_gpu_worker_expect(struct xm_gpu_worker *worker, const char *prefix, char *line, size_t size,
                          int timeout_ms);

/* Writes `command` (a line, newline included) to the worker's stdin. */
void xm_gpu_worker_tell(struct xm_gpu_worker *worker, const char *command);

/* Closes its stdin, waits for it and returns its wait status. */
int xm_gpu_worker_reap(struct xm_gpu_worker *worker);

/* SIGKILL, then reap; asserts it died of that signal (it had not ended
 * before). */
void xm_gpu_worker_kill(struct xm_gpu_worker *worker);

/* Asserts the worker exited with status 0. */
void xm_gpu_worker_assert_exited_ok(struct xm_gpu_worker *worker);

/* "exited with status 1", "killed by signal 9": for messages. */
const char *xm_gpu_worker_describe_status(int status, char *out, size_t size);

/* Kills and reaps every worker still running: those a failed test (whose
 * assertion jumped past its cleanup) left behind. */
void xm_gpu_workers_kill_all(void);

#ifdef EXTMEM_HAVE_CUDA_BACKEND
/* The GPU's free memory (cuMemGetInfo of device 0). */
size_t xm_gpu_free_memory(void);

/* Once the broker holds nothing (it has dropped every dead process's
 * references and closed the fds it kept), asserts that the GPU's free
 * memory is back within `tolerance` bytes of `baseline`, and prints
 * "  LABEL: GPU free memory N MiB before, M MiB after (...)". Returns the
 * free memory it saw. */
size_t xm_gpu_assert_memory_back(size_t baseline, size_t tolerance, const char *label);
#endif

#endif
