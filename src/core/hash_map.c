#include "core/hash_map.h"

#include <stdlib.h>

void xm_hash_map_init(struct xm_hash_map *map)
{
    *map = (struct xm_hash_map){0};
}

void xm_hash_map_finish(struct xm_hash_map *map)
{
    free(map->entries);
    *map = (struct xm_hash_map){0};
}

static size_t slot_of(const struct xm_hash_map *map, uint64_t key)
{
    /* Keys may be small sequential integers: mix them before masking. */
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (map->capacity - 1);
}

void *xm_hash_map_get(const struct xm_hash_map *map, uint64_t key)
{
    if (!map->capacity || !key)
        return NULL;
    for (size_t i = slot_of(map, key);; i = (i + 1) & (map->capacity - 1)) {
        if (map->entries[i].key == key)
            return map->entries[i].value;
        if (map->entries[i].key == 0)
            return NULL;
    }
}

static void place(struct xm_hash_map *map, uint64_t key, void *value)
{
    size_t i = slot_of(map, key);

    while (map->entries[i].key != 0)
        i = (i + 1) & (map->capacity - 1);
    map->entries[i].key = key;
    map->entries[i].value = value;
}

static bool grow(struct xm_hash_map *map)
{
    size_t capacity = map->capacity ? map->capacity * 2 : 16;
    struct xm_hash_map old = *map;
    struct xm_hash_map_entry *entries = calloc(capacity, sizeof(*entries));

    if (!entries)
        return false;
    map->entries = entries;
    map->capacity = capacity;
    for (size_t i = 0; i < old.capacity; i++)
        if (old.entries[i].key)
            place(map, old.entries[i].key, old.entries[i].value);
    free(old.entries);
    return true;
}

bool xm_hash_map_insert(struct xm_hash_map *map, uint64_t key, void *value)
{
    /* Keep the load under 3/4 so probes stay short. */
    if ((map->count + 1) * 4 > map->capacity * 3 && !grow(map))
        return false;
    place(map, key, value);
    map->count++;
    return true;
}

void *xm_hash_map_remove(struct xm_hash_map *map, uint64_t key)
{
    size_t mask = map->capacity - 1, i, j;
    void *value;

    if (!map->capacity || !key)
        return NULL;
    for (i = slot_of(map, key); map->entries[i].key != key; i = (i + 1) & mask)
        if (map->entries[i].key == 0)
            return NULL;
    value = map->entries[i].value;
    /* Shift later members of the probe run back over the hole. */
    for (j = (i + 1) & mask; map->entries[j].key != 0; j = (j + 1) & mask) {
        size_t home = slot_of(map, map->entries[j].key);
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);

        if (movable) {
            map->entries[i] = map->entries[j];
            i = j;
        }
    }
    map->entries[i].key = 0;
    map->entries[i].value = NULL;
    map->count--;
    return value;
}

uint64_t xm_hash_bytes(const void *data, size_t size)
{
    const unsigned char *p = data;
    uint64_t hash = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < size; i++) {
        hash ^= p[i];
        hash *= 0x100000001b3ULL;
    }
    return hash ? hash : 1;
}

bool xm_hash_chain_link(struct xm_hash_map *map, struct xm_hash_chain *entry)
{
    struct xm_hash_chain *head = xm_hash_map_get(map, entry->hash);

    if (head) {
        entry->next = head->next;
        head->next = entry;
        return true;
    }
    entry->next = NULL;
    return xm_hash_map_insert(map, entry->hash, entry);
}

void xm_hash_chain_unlink(struct xm_hash_map *map, struct xm_hash_chain *entry)
{
    struct xm_hash_chain *head = xm_hash_map_get(map, entry->hash);

    if (head == entry) {
        xm_hash_map_remove(map, entry->hash);
        if (entry->next)
            xm_hash_map_insert(map, entry->hash, entry->next); /* cannot grow: a slot was just freed */
        return;
    }
    for (; head; head = head->next) {
        if (head->next == entry) {
            head->next = entry->next;
            return;
        }
    }
}
