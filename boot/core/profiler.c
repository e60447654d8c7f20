#include "profiler.h"
#include "io.h"
#include "memory.h"
#include "time.h"

enum {
  /* QEMU's isa-debugcon default port (the host adds the device with a chardev to a file). */
  PROFILE_PORT = 0xE9,
  PROFILE_VERSION = 1,
  MAGIC_BYTES = 8,
  /* Field widths of the format (scripts/profile/format.ts decodes it). */
  HEADER_FIELD_BYTES = 4, COUNT_BYTES = 1, ADDRESS_BYTES = 8, FUNCTION_BYTES = 2, LINE_BYTES = 4,
  NAME_LENGTH_BYTES = 1, ELAPSED_BYTES = 8,
  /* A sample record: shared frame count, new frame count, the interrupted instruction pointer. */
  RECORD_HEADER_BYTES = 2 * COUNT_BYTES + ADDRESS_BYTES,
  FRAME_BYTES = FUNCTION_BYTES + LINE_BYTES,
  MAX_RECORD_BYTES = RECORD_HEADER_BYTES + PROFILE_MAX_FRAMES * FRAME_BYTES,
};
static const char header_magic[MAGIC_BYTES] = {'V', 'I', 'R', 'E', 'O', 'P', 'R', 'F'};
static const char trailer_magic[MAGIC_BYTES] = {'V', 'P', 'R', 'F', 'D', 'O', 'N', 'E'};
#define HASH_MULTIPLIER 0x9E3779B97F4A7C15ull
#define KEY_ALIGN_SHIFT 4

static struct {
  uint8_t *buffer;
  uint64_t capacity, used;
  uint32_t samples, dropped, hz, function_count, ticks, tick_limit;
  /* When the recording began, and the time spent in the NMI taking samples since. */
  uint64_t start_ns, sampling_ns;
  struct profile_function *functions;
  /* The last recorded stack, outermost frame first: a sample stores only what differs. */
  struct profile_frame previous[PROFILE_MAX_FRAMES];
  int previous_count;
  int started;
  volatile int recording;
} profile;

static struct profile_frame innermost_first[PROFILE_MAX_FRAMES];

int profiler_start(uint64_t buffer_bytes, uint32_t hz, uint32_t tick_limit) {
  if (profile.started || !buffer_bytes) return -1;
  uint64_t table_bytes = (uint64_t)PROFILE_FUNCTION_SLOTS * sizeof(struct profile_function);
  uint64_t buffer = pages_alloc(buffer_bytes, PAGE_SIZE, FOUR_GIB);
  if (!buffer) return -1;
  uint64_t table = pages_alloc(table_bytes, PAGE_SIZE, FOUR_GIB);
  if (!table) {
    pages_free(buffer, buffer_bytes);
    return -1;
  }
  profile.buffer = (uint8_t *)(uintptr_t)buffer;
  profile.capacity = buffer_bytes;
  profile.functions = (struct profile_function *)(uintptr_t)table;
  profile.hz = hz;
  profile.tick_limit = tick_limit;
  profile.start_ns = monotonic_ns();
  profile.started = 1;
  profile.recording = 1;
  return 0;
}

struct profile_function *profile_function_for(const void *key, int *fresh, uint16_t *index) {
  uint32_t mask = PROFILE_FUNCTION_SLOTS - 1;
  uint32_t slot = (uint32_t)((((uint64_t)(uintptr_t)key >> KEY_ALIGN_SHIFT) * HASH_MULTIPLIER) >> 32) & mask;
  for (uint32_t probe = 0; probe < PROFILE_FUNCTION_SLOTS; probe++, slot = (slot + 1) & mask) {
    struct profile_function *f = &profile.functions[slot];
    *index = (uint16_t)slot;
    if (f->key == key) {
      *fresh = 0;
      return f;
    }
    if (f->key) continue;
    f->key = key;
    profile.function_count++;
    *fresh = 1;
    return f;
  }
  return 0;
}

static uint8_t *put_bytes(uint8_t *at, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; i++) *at++ = (uint8_t)(value >> (8 * i));
  return at;
}

static void record(const struct interrupt_frame *frame);

int profiler_nmi(const struct interrupt_frame *frame) {
  if (!profile.started) return 0;
  if (!profile.recording) return 1;
  uint64_t entered = monotonic_ns();
  record(frame);
  profile.sampling_ns += monotonic_ns() - entered;
  if (profile.tick_limit && ++profile.ticks >= profile.tick_limit) profiler_finish();
  return 1;
}

static void record(const struct interrupt_frame *frame) {
  int count = engine_sample_stack(frame, innermost_first, PROFILE_MAX_FRAMES);
  if (profile.capacity - profile.used < MAX_RECORD_BYTES) {
    profile.dropped++;
    return;
  }
  int shared = 0;
  while (shared < count && shared < profile.previous_count &&
         profile.previous[shared].function == innermost_first[count - 1 - shared].function &&
         profile.previous[shared].line == innermost_first[count - 1 - shared].line)
    shared++;
  uint8_t *at = profile.buffer + profile.used;
  at = put_bytes(at, (uint64_t)shared, COUNT_BYTES);
  at = put_bytes(at, (uint64_t)(count - shared), COUNT_BYTES);
  at = put_bytes(at, frame->rip, ADDRESS_BYTES);
  for (int i = shared; i < count; i++) {
    struct profile_frame f = innermost_first[count - 1 - i];
    profile.previous[i] = f;
    at = put_bytes(at, f.function, FUNCTION_BYTES);
    at = put_bytes(at, f.line, LINE_BYTES);
  }
  profile.previous_count = count;
  profile.used = (uint64_t)(at - profile.buffer);
  profile.samples++;
}

static void emit(const void *bytes, uint64_t length) {
  const uint8_t *p = bytes;
  __asm__ volatile("rep outsb" : "+S"(p), "+c"(length) : "d"((uint16_t)PROFILE_PORT) : "memory");
}

static void emit_number(uint64_t value, int bytes) {
  uint8_t encoded[sizeof value];
  put_bytes(encoded, value, bytes);
  emit(encoded, (uint64_t)bytes);
}

void profiler_finish(void) {
  if (!profile.recording) return;
  profile.recording = 0;
  emit(header_magic, MAGIC_BYTES);
  emit_number(PROFILE_VERSION, HEADER_FIELD_BYTES);
  emit_number(profile.hz, HEADER_FIELD_BYTES);
  emit_number(profile.samples, HEADER_FIELD_BYTES);
  emit_number(profile.dropped, HEADER_FIELD_BYTES);
  emit_number(profile.used, HEADER_FIELD_BYTES);
  emit_number(profile.function_count, HEADER_FIELD_BYTES);
  emit_number(monotonic_ns() - profile.start_ns, ELAPSED_BYTES);
  emit_number(profile.sampling_ns, ELAPSED_BYTES);
  emit(profile.buffer, profile.used);
  for (uint32_t slot = 0; slot < PROFILE_FUNCTION_SLOTS; slot++) {
    const struct profile_function *f = &profile.functions[slot];
    if (!f->key) continue;
    emit_number(slot, FUNCTION_BYTES);
    emit_number(f->line, LINE_BYTES);
    emit_number(f->name_length, NAME_LENGTH_BYTES);
    emit(f->name, f->name_length);
  }
  emit(trailer_magic, MAGIC_BYTES);
}
