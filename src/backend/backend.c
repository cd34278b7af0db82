#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/error.h"

struct named_backend {
    const char *name;
    const struct xm_backend_ops *ops;
};

/* In order of preference: the first that probes successfully wins. */
static const struct named_backend backends[] = {
#ifdef EXTMEM_HAVE_CUDA_BACKEND
    {"cuda", &xm_cuda_backend_ops},
#endif
    {"host", &xm_host_backend_ops},
};

#define BACKEND_COUNT (sizeof(backends) / sizeof(backends[0]))

const struct xm_backend_ops *xm_backend_find(const char *name)
{
    for (size_t i = 0; i < BACKEND_COUNT; i++)
        if (strcmp(backends[i].name, name) == 0)
            return backends[i].ops;
    return NULL;
}

static pthread_once_t choose_once = PTHREAD_ONCE_INIT;
static const struct xm_backend_ops *chosen;
static char choose_failure[256];

static void choose_backend(void)
{
    const char *wanted = getenv("EXTMEM_BACKEND");
    char why[200] = "";

    if (wanted && *wanted) {
        const struct xm_backend_ops *ops = xm_backend_find(wanted);

        if (!ops)
            snprintf(choose_failure, sizeof(choose_failure),
                     "EXTMEM_BACKEND=%s: this build has no backend of that name", wanted);
        else if (ops->probe(why, sizeof(why)) != 0)
            snprintf(choose_failure, sizeof(choose_failure),
                     "EXTMEM_BACKEND=%s: the backend cannot run here: %s", wanted, why);
        else
            chosen = ops;
        return;
    }
    for (size_t i = 0; i < BACKEND_COUNT; i++) {
        if (backends[i].ops->probe(why, sizeof(why)) == 0) {
            chosen = backends[i].ops;
            return;
        }
    }
}

const struct xm_backend_ops *xm_backend_default(void)
{
    pthread_once(&choose_once, choose_backend);
    if (!chosen)
        xm_set_error_message(__FILE__, __LINE__, "%s", choose_failure);
    return chosen;
}

const struct xm_backend_ops *xm_backend_host(void)
{
    return &xm_host_backend_ops;
}

void xm_memory_ref(struct xm_memory *memory)
{
    __atomic_fetch_add(&memory->refcount, 1, __ATOMIC_RELAXED);
}

void xm_memory_unref(struct xm_memory *memory)
{
    if (__atomic_fetch_sub(&memory->refcount, 1, __ATOMIC_ACQ_REL) == 1)
        memory->ops->memory_destroy(memory);
}
