/*
 * The host backend: resources in memfd pages (shareable) or anonymous
 * pages (CPU-only resources), laid out as core/layout.h describes.
 *
 * Shareable memory is sealed against shrinking and growing, so a peer that
 * receives the fd can never truncate it under another process's mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "core/error.h"

static int host_probe(char *why, size_t why_size)
{
    (void)why;
    (void)why_size;
    return 0;
}

static uint64_t round_up_to_page(uint64_t size)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    return (size + page - 1) / page * page;
}

static HRESULT host_memory_create(const struct xm_resource_desc *desc, const struct xm_layout *layout,
                                  bool shareable, struct xm_memory **out)
{
    struct xm_memory *memory;
    uint64_t size = round_up_to_page(layout->size);
    int fd = -1;
    void *ptr;

    (void)desc;
    if (size < layout->size || size > (uint64_t)SIZE_MAX)
        return xm_error(E_OUTOFMEMORY, "a resource of %llu bytes does not fit this process",
                        (unsigned long long)layout->size);
    memory = calloc(1, sizeof(*memory));
    if (!memory)
        return xm_error(E_OUTOFMEMORY, "out of memory for a memory object");
    if (shareable) {
        fd = memfd_create("extmem", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
            goto fail_errno;
        if (ftruncate(fd, (off_t)size) < 0)
            goto fail_errno;
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
            goto fail_errno;
        ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    } else {
        ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (ptr == MAP_FAILED)
        goto fail_errno;
    memory->refcount = 1;
    memory->ops = &xm_host_backend_ops;
    memory->size = size;
    memory->fd = fd;
    memory->host_ptr = ptr;
    *out = memory;
    return S_OK;

fail_errno: {
        int err = errno;
        if (fd >= 0)
            close(fd);
        free(memory);
        return xm_error(err == ENOMEM || err == ENOSPC || err == EFBIG ? E_OUTOFMEMORY : E_FAIL,
                        "cannot allocate %llu bytes of host memory: %s",
                        (unsigned long long)size, strerror(err));
    }
}

static HRESULT host_memory_import(const struct xm_resource_desc *desc, const struct xm_layout *layout, int fd,
                                  uint64_t size, struct xm_memory **out)
{
    struct xm_memory *memory;
    struct stat st;
    void *ptr;

    (void)desc;
    (void)layout;
    /* A memfd is a regular file; a VMM export (cuda backend) is not, and
     * the CPU cannot map GPU memory. */
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
        return xm_error(E_INVALIDARG, "the shared memory is GPU memory, not a host memfd: the CPU cannot map it");
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < size || size > (uint64_t)SIZE_MAX)
        return xm_error(E_INVALIDARG, "the shared memory is not a file of %llu bytes", (unsigned long long)size);
    memory = calloc(1, sizeof(*memory));
    if (!memory)
        return xm_error(E_OUTOFMEMORY, "out of memory for a memory object");
    /* Access rights are enforced per handle and per mapping (a read-only
     * import maps its own PROT_READ view), as for memory made here. */
    ptr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ptr == MAP_FAILED) {
        int err = errno;

        free(memory);
        return xm_error(err == ENOMEM ? E_OUTOFMEMORY : E_FAIL, "cannot map %llu bytes of shared memory: %s",
                        (unsigned long long)size, strerror(err));
    }
    memory->refcount = 1;
    memory->ops = &xm_host_backend_ops;
    memory->size = size;
    memory->fd = fd;
    memory->host_ptr = ptr;
    *out = memory;
    return S_OK;
}

static void host_memory_destroy(struct xm_memory *memory)
{
    munmap(memory->host_ptr, memory->size);
    if (memory->fd >= 0)
        close(memory->fd);
    free(memory);
}

/* Moves a box row by row between a subresource and a pitched host region. */
static void copy_box(uint8_t *base, const struct xm_layout *layout, const struct xm_subresource *sub,
                     const struct xm_box *box, uint8_t *other, uint64_t other_row_pitch,
                     uint64_t other_depth_pitch, bool into_subresource)
{
    uint64_t row_bytes = (uint64_t)(box->right - box->left) * layout->texel_size;

    for (uint32_t z = box->front; z < box->back; z++) {
        for (uint32_t y = box->top; y < box->bottom; y++) {
            uint8_t *texels = base + xm_subresource_texel_offset(layout, sub, box->left, y, z);
            uint8_t *host = other + (z - box->front) * other_depth_pitch + (y - box->top) * other_row_pitch;

            if (into_subresource)
                memcpy(texels, host, row_bytes);
            else
                memcpy(host, texels, row_bytes);
        }
    }
}

static HRESULT host_write(struct xm_memory *memory, const struct xm_layout *layout,
                          const struct xm_subresource *sub, const struct xm_box *box,
                          const void *src, uint64_t src_row_pitch, uint64_t src_depth_pitch)
{
    copy_box(memory->host_ptr, layout, sub, box, (uint8_t *)src, src_row_pitch, src_depth_pitch, true);
    return S_OK;
}

static HRESULT host_read(struct xm_memory *memory, const struct xm_layout *layout,
                         const struct xm_subresource *sub, const struct xm_box *box,
                         void *dst, uint64_t dst_row_pitch, uint64_t dst_depth_pitch)
{
    copy_box(memory->host_ptr, layout, sub, box, dst, dst_row_pitch, dst_depth_pitch, false);
    return S_OK;
}

static HRESULT host_copy(struct xm_memory *dst, const struct xm_layout *dst_layout,
                         const struct xm_subresource *dst_sub, uint32_t dst_x, uint32_t dst_y, uint32_t dst_z,
                         struct xm_memory *src, const struct xm_layout *src_layout,
                         const struct xm_subresource *src_sub, const struct xm_box *src_box)
{
    uint8_t *from = (uint8_t *)src->host_ptr +
                    xm_subresource_texel_offset(src_layout, src_sub, src_box->left, src_box->top, src_box->front);
    struct xm_box dst_box = {
        dst_x, dst_y, dst_z,
        dst_x + (src_box->right - src_box->left),
        dst_y + (src_box->bottom - src_box->top),
        dst_z + (src_box->back - src_box->front),
    };

    copy_box(dst->host_ptr, dst_layout, dst_sub, &dst_box, from, src_sub->row_pitch, src_sub->depth_pitch, true);
    return S_OK;
}

const struct xm_backend_ops xm_host_backend_ops = {
    .name = "host",
    .probe = host_probe,
    .memory_create = host_memory_create,
    .memory_import = host_memory_import,
    .memory_destroy = host_memory_destroy,
    .write = host_write,
    .read = host_read,
    .copy = host_copy,
};
