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

/*
 * A table keyed by something longer than 64 bits (a name) on top of a
 * map: the map goes from the key's hash to the first entry with that
 * hash, and entries whose hashes are equal chain through a link embedded
 * in them. The caller compares the full keys along the chain.
 */
struct xm_hash_chain {
    uint64_t hash;              /* the entry's hash, set before linking */
    struct xm_hash_chain *next; /* the next entry with the same hash */
};

/* The entry (of type `type`) that embeds `link` as `member`. */
#define xm_hash_chain_entry(link, type, member) ((type *)(void *)((char *)(link) - offsetof(type, member)))

/* The first entry linked under hash (walk on through ->next), or NULL. */
static inline struct xm_hash_chain *xm_hash_chain_first(const struct xm_hash_map *map, uint64_t hash)
{
    return xm_hash_map_get(map, hash);
}

/* Links entry under entry->hash; false when out of memory. */
bool xm_hash_chain_link(struct xm_hash_map *map, struct xm_hash_chain *entry);

/* Unlinks an entry that is linked. */
void xm_hash_chain_unlink(struct xm_hash_map *map, struct xm_hash_chain *entry);

#endif
