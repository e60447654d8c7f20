/* The engine's allocator. QuickJS allocates for nearly everything it does (objects, shapes,
   closures, strings, promise jobs), most of it small and short-lived. Debian's musl malloc
   (mallocng) validates each block's out-of-band metadata on every call, and QuickJS's default
   functions ask it for the usable size twice per block besides. Here small blocks come from one
   free list per 16-byte size class, carved out of large chunks taken from the C library; larger
   ones go to the C library. Every block carries a 16-byte header with its capacity, so freeing
   needs no lookup and blocks keep malloc's 16-byte alignment. Small-block memory is kept for
   reuse by the engine rather than given back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "engine-heap.h"

enum {
  HEADER_BYTES = 16,
  GRANULE = 16,
  /* Payloads up to this size come from the size classes. */
  SMALL_LIMIT = 512,
  CLASS_COUNT = SMALL_LIMIT / GRANULE,
  /* What one refill takes from the C library. */
  CHUNK_BYTES = 64 * 1024,
};

typedef struct Header {
  size_t capacity;
  size_t unused; /* pads the header to the alignment */
} Header;

_Static_assert(sizeof(Header) == HEADER_BYTES, "the header keeps 16-byte alignment");

typedef struct FreeBlock {
  struct FreeBlock *next;
} FreeBlock;

static FreeBlock *free_lists[CLASS_COUNT];
static uint8_t *chunk_next;
static uint8_t *chunk_end;

static inline Header *header_of(const void *payload) { return (Header *)((uint8_t *)payload - HEADER_BYTES); }

static inline size_t rounded_capacity(size_t size) { return (size + GRANULE - 1) & ~(size_t)(GRANULE - 1); }

static void *small_alloc(size_t capacity) {
  FreeBlock **list = &free_lists[capacity / GRANULE - 1];
  FreeBlock *block = *list;
  if (block) {
    *list = block->next;
    return block;
  }
  size_t span = HEADER_BYTES + capacity;
  if ((size_t)(chunk_end - chunk_next) < span) {
    uint8_t *chunk = malloc(CHUNK_BYTES);
    if (!chunk) return NULL;
    chunk_next = chunk;
    chunk_end = chunk + CHUNK_BYTES;
  }
  Header *header = (Header *)chunk_next;
  chunk_next += span;
  header->capacity = capacity;
  return (uint8_t *)header + HEADER_BYTES;
}

static void *large_alloc(size_t capacity) {
  Header *header = malloc(HEADER_BYTES + capacity);
  if (!header) return NULL;
  header->capacity = capacity;
  return (uint8_t *)header + HEADER_BYTES;
}

static void block_free(void *payload) {
  size_t capacity = header_of(payload)->capacity;
  if (capacity > SMALL_LIMIT) {
    free(header_of(payload));
    return;
  }
  FreeBlock *block = payload;
  block->next = free_lists[capacity / GRANULE - 1];
  free_lists[capacity / GRANULE - 1] = block;
}

/* Small blocks refused since boot. A large block can be refused and the engine carry on (a
   RangeError for a huge ArrayBuffer); a small one means the heap is exhausted, and then the engine
   throws null rather than an error it cannot allocate, or drops promise jobs it cannot queue. */
static size_t small_refusals;

size_t engine_heap_exhausted(void) { return small_refusals; }

static void *refuse(size_t capacity) {
  if (capacity <= SMALL_LIMIT) small_refusals++;
  return NULL;
}

static void *heap_malloc(JSMallocState *state, size_t size) {
  size_t capacity = rounded_capacity(size ? size : 1);
  if (state->malloc_size + capacity + HEADER_BYTES > state->malloc_limit) return refuse(capacity);
  void *payload = capacity <= SMALL_LIMIT ? small_alloc(capacity) : large_alloc(capacity);
  if (!payload) return refuse(capacity);
  state->malloc_count++;
  state->malloc_size += capacity + HEADER_BYTES;
  return payload;
}

static void heap_free(JSMallocState *state, void *payload) {
  if (!payload) return;
  state->malloc_count--;
  state->malloc_size -= header_of(payload)->capacity + HEADER_BYTES;
  block_free(payload);
}

static void *heap_realloc(JSMallocState *state, void *payload, size_t size) {
  if (!payload) return size ? heap_malloc(state, size) : NULL;
  if (size == 0) {
    heap_free(state, payload);
    return NULL;
  }
  size_t old_capacity = header_of(payload)->capacity;
  size_t capacity = rounded_capacity(size);
  /* A block shrinks in place unless that would strand most of a large one. */
  if (capacity <= old_capacity && (old_capacity <= SMALL_LIMIT || capacity > old_capacity / 2)) return payload;
  if (state->malloc_size + capacity - old_capacity > state->malloc_limit) return refuse(capacity);
  if (old_capacity > SMALL_LIMIT && capacity > SMALL_LIMIT) {
    Header *header = realloc(header_of(payload), HEADER_BYTES + capacity);
    if (!header) return refuse(capacity);
    header->capacity = capacity;
    state->malloc_size += capacity - old_capacity;
    return (uint8_t *)header + HEADER_BYTES;
  }
  void *moved = capacity <= SMALL_LIMIT ? small_alloc(capacity) : large_alloc(capacity);
  if (!moved) return refuse(capacity);
  memcpy(moved, payload, old_capacity < capacity ? old_capacity : capacity);
  block_free(payload);
  state->malloc_size += capacity - old_capacity;
  return moved;
}

static size_t heap_usable_size(const void *payload) { return payload ? header_of(payload)->capacity : 0; }

static const JSMallocFunctions size_class_heap = { heap_malloc, heap_free, heap_realloc, heap_usable_size };

const JSMallocFunctions *engine_heap_functions(void) { return &size_class_heap; }
