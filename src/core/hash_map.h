/*
 * A map from nonzero 64-bit keys to pointers: open addressing, linear
 * probing, backward-shift deletion (no tombstones). Not thread-safe: the
 * owner locks around it.
 */
#ifndef EXTMEM_CORE_HASH_MAP_H
#define EXTMEM_CORE_HASH_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xm_hash_map_entry {
    uint64_t key; /* 0 = empty */
    void *value;
};

struct xm_hash_map {
    struct xm_hash_map_entry *entries;
    size_t capacity; /* a power of two, or 0 */
    size_t count;
};

void xm_hash_map_init(struct xm_hash_map *map);
void xm_hash_map_finish(struct xm_hash_map *map);

/* NULL when absent. */
void *xm_hash_map_get(const struct xm_hash_map *map, uint64_t key);

/* Inserts key (which must be absent and nonzero); false when out of memory. */
bool xm_hash_map_insert(struct xm_hash_map *map, uint64_t key, void *value);

/* Removes key; returns its value, or NULL when absent. */
void *xm_hash_map_remove(struct xm_hash_map *map, uint64_t key);

/* FNV-1a over bytes, never 0 (so it can be a key). */
uint64_t xm_hash_bytes(const void *data, size_t size);

#endif
