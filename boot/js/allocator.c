/* The engine's allocator. Each block carries its size in a header: QuickJS asks for a block's
   usable size on every allocation and free to account its heap, and musl's malloc_usable_size
   validates the allocator's metadata each time (about a tenth of a boot's instructions). Small
   blocks, most of what the engine allocates (objects, shapes, strings, closure variables), come
   from per-size free lists carved out of larger chunks; a free list keeps what is freed for the
   next block of its size. Larger blocks go to the C library. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "allocator.h"

enum {
  /* A whole alignment unit, so blocks keep the C library's 16-byte alignment. */
  HEADER = 16,
  /* Small blocks (header included) are multiples of GRANULE up to SMALL_MAX bytes. */
  GRANULE = 16, SMALL_MAX = 512, SMALL_CLASSES = SMALL_MAX / GRANULE,
  CHUNK = 64 * 1024,
};

struct free_block { struct free_block *next; };
static struct free_block *free_lists[SMALL_CLASSES];
static char *chunk_next, *chunk_end;

static size_t block_bytes(size_t size) { return (size + HEADER + GRANULE - 1) & ~(size_t)(GRANULE - 1); }
static int is_small(size_t bytes) { return bytes <= SMALL_MAX; }
static size_t *header_of(const void *ptr) { return (size_t *)((uintptr_t)ptr - HEADER); }
static size_t usable_size(const void *ptr) { return ptr ? *header_of(ptr) : 0; }

static char *small_take(size_t bytes) {
  struct free_block **list = &free_lists[bytes / GRANULE - 1];
  if (*list) {
    struct free_block *block = *list;
    *list = block->next;
    return (char *)block;
  }
  if ((size_t)(chunk_end - chunk_next) < bytes) {
    /* The rest of the old chunk is left unused: at most SMALL_MAX bytes per chunk. */
    chunk_next = malloc(CHUNK);
    if (!chunk_next) return NULL;
    chunk_end = chunk_next + CHUNK;
  }
  char *block = chunk_next;
  chunk_next += bytes;
  return block;
}

static void *engine_malloc(JSMallocState *s, size_t size) {
  size_t bytes = block_bytes(size);
  if (s->malloc_size + bytes > s->malloc_limit) return NULL;
  char *block = is_small(bytes) ? small_take(bytes) : malloc(bytes);
  if (!block) return NULL;
  s->malloc_count++;
  s->malloc_size += bytes;
  /* The usable size: the whole block but its header. */
  *(size_t *)block = bytes - HEADER;
  return block + HEADER;
}

static void engine_free(JSMallocState *s, void *ptr) {
  if (!ptr) return;
  size_t bytes = usable_size(ptr) + HEADER;
  s->malloc_count--;
  s->malloc_size -= bytes;
  struct free_block *block = (struct free_block *)header_of(ptr);
  if (!is_small(bytes)) {
    free(block);
    return;
  }
  block->next = free_lists[bytes / GRANULE - 1];
  free_lists[bytes / GRANULE - 1] = block;
}

static void *engine_realloc(JSMallocState *s, void *ptr, size_t size) {
  if (!ptr) return size ? engine_malloc(s, size) : NULL;
  if (!size) {
    engine_free(s, ptr);
    return NULL;
  }
  size_t old = usable_size(ptr) + HEADER, bytes = block_bytes(size);
  if (bytes == old) return ptr;
  if (!is_small(old) && !is_small(bytes)) {
    if (s->malloc_size + bytes - old > s->malloc_limit) return NULL;
    char *block = realloc(header_of(ptr), bytes);
    if (!block) return NULL;
    s->malloc_size += bytes - old;
    *(size_t *)block = bytes - HEADER;
    return block + HEADER;
  }
  void *moved = engine_malloc(s, size);
  if (!moved) return NULL;
  memcpy(moved, ptr, (old < bytes ? old : bytes) - HEADER);
  engine_free(s, ptr);
  return moved;
}

const JSMallocFunctions engine_malloc_functions = {engine_malloc, engine_free, engine_realloc, usable_size};
