/* The sampling profiler's recorder: an NMI at a fixed rate (routed by the TypeScript kernel,
   kernel/profiler/) records where the CPU was and the JavaScript stack into a buffer taken at
   start; at stop the buffer leaves through an isa-debugcon port, away from the serial console.
   The format is decoded by scripts/profile/decode.ts. Nothing here runs while profiling is off. */
#pragma once
#include <stdint.h>
#include "cpu.h"

enum {
  PROFILE_MAX_FRAMES = 64,
  PROFILE_NAME_BYTES = 48,
  /* The function table's slots (a power of two); a slot number is a function's index. */
  PROFILE_FUNCTION_SLOTS = 2048,
  /* The index of a function the full table could not take. */
  PROFILE_FUNCTION_UNKNOWN = 0xFFFF,
};

/* A JavaScript function seen in a sample: its bytecode (the key), name and first bundle line,
   taken when first seen. Bytecode freed and its memory reused by another function would keep
   the first one's name; a bundle's functions live as long as it does. */
struct profile_function {
  const void *key;
  uint32_t line;
  uint8_t name_length;
  char name[PROFILE_NAME_BYTES];
};

/* One JavaScript frame: the function's index and the bundle line it was at. */
struct profile_frame {
  uint16_t function;
  uint32_t line;
};

/* Takes `buffer_bytes` for samples and the function table; 0 on success, -1 without memory or
   when already started. After `tick_limit` NMIs (0: no limit) the NMI itself writes the profile
   out, so a recording ends on time even while JavaScript never yields to the event loop. */
int profiler_start(uint64_t buffer_bytes, uint32_t hz, uint32_t tick_limit);
/* Stops recording and writes the profile out (once; later calls do nothing). */
void profiler_finish(void);
/* The NMI's work: records one sample and returns 1, or returns 0 when the profiler never started
   (the NMI is then a hardware fault). */
int profiler_nmi(const struct interrupt_frame *frame);
/* The table entry for `key`, added (zeroed but for the key, *fresh set) if new; NULL when full.
   *index receives the entry's index. Runs inside the NMI only. */
struct profile_function *profile_function_for(const void *key, int *fresh, uint16_t *index);

/* Provided by the JS glue (js/quickjs-unit.c): the running JavaScript stack, innermost frame first,
   read without allocating or faulting. Returns the number of frames written (at most `max`). */
int engine_sample_stack(const struct interrupt_frame *frame, struct profile_frame *out, int max);
