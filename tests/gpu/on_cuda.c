/*
 * Runs a program on the cuda backend, or skips (exit 77, CTest's "skipped")
 * saying why the backend cannot run here:
 *
 *     on_cuda PROGRAM [ARGS...]
 *
 * This is how the CPU suites (data round trips, lifetimes, the seed
 * examples) run again, unchanged, on GPU memory under the `gpu` label.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <extmem/extmem.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: on_cuda PROGRAM [ARGS...]\n");
        return 2;
    }
    setenv("EXTMEM_BACKEND", "cuda", 1);
    if (!extmemGetBackendName()) {
        printf("skipped: %s\n", extmemGetLastErrorMessage());
        return 77;
    }
    execv(argv[1], argv + 1);
    perror(argv[1]);
    return 1;
}
