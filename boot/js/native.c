/* The primitives TypeScript gets as the global `vireoNative` (typed in boot/platform.d.ts). */
#include <stdint.h>
#include <stdio.h>
#include "../core/console.h"
#include "../core/cpu.h"
#include "../core/memory.h"
#include "../core/profiler.h"
#include "../core/time.h"
#include "../core/io.h"
#include "engine.h"
#include "byte-loops.h"
#include "linemap.h"

enum { POSITION_BUFFER = 160 };

JSValue engine_loop_hook = {.tag = JS_TAG_UNDEFINED}, engine_uncaught_hook = {.tag = JS_TAG_UNDEFINED};

static int to_u64(JSContext *ctx, uint64_t *out, JSValueConst v) {
  if (JS_VALUE_GET_TAG(v) == JS_TAG_INT) {
    *out = (uint64_t)(int64_t)JS_VALUE_GET_INT(v);
    return 0;
  }
  double d;
  if (JS_ToFloat64(ctx, &d, v)) return -1;
  if (!(d >= 0 && d <= 9007199254740992.0)) {
    JS_ThrowRangeError(ctx, "address or length out of range: %g", d);
    return -1;
  }
  *out = (uint64_t)d;
  return 0;
}

static int to_u32(JSContext *ctx, uint32_t *out, JSValueConst v) {
  if (JS_VALUE_GET_TAG(v) == JS_TAG_INT) {
    *out = (uint32_t)JS_VALUE_GET_INT(v);
    return 0;
  }
  return JS_ToUint32(ctx, out, v);
}

static JSValue js_unsigned(JSContext *ctx, uint32_t v) {
  return v <= INT32_MAX ? JS_NewInt32(ctx, (int32_t)v) : JS_NewFloat64(ctx, v);
}

#define PORT_READ(name, type, op)                                                   \
  static JSValue name(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) { \
    uint32_t port;                                                                  \
    if (to_u32(ctx, &port, argv[0])) return JS_EXCEPTION;                           \
    return js_unsigned(ctx, op((uint16_t)port));                                    \
  }
#define PORT_WRITE(name, type, op)                                                  \
  static JSValue name(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) { \
    uint32_t port, value;                                                           \
    if (to_u32(ctx, &port, argv[0]) || to_u32(ctx, &value, argv[1])) return JS_EXCEPTION; \
    op((uint16_t)port, (type)value);                                                \
    return JS_UNDEFINED;                                                            \
  }
PORT_READ(native_inb, uint8_t, inb)
PORT_READ(native_inw, uint16_t, inw)
PORT_READ(native_inl, uint32_t, inl)
PORT_WRITE(native_outb, uint8_t, outb)
PORT_WRITE(native_outw, uint16_t, outw)
PORT_WRITE(native_outl, uint32_t, outl)

#define MMIO_READ(name, type)                                                       \
  static JSValue name(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) { \
    uint64_t address;                                                               \
    if (to_u64(ctx, &address, argv[0])) return JS_EXCEPTION;                        \
    return js_unsigned(ctx, *(volatile type *)(uintptr_t)address);                 \
  }
#define MMIO_WRITE(name, type)                                                      \
  static JSValue name(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) { \
    uint64_t address;                                                               \
    uint32_t value;                                                                 \
    if (to_u64(ctx, &address, argv[0]) || to_u32(ctx, &value, argv[1])) return JS_EXCEPTION; \
    *(volatile type *)(uintptr_t)address = (type)value;                             \
    return JS_UNDEFINED;                                                            \
  }
MMIO_READ(native_mmio_read8, uint8_t)
MMIO_READ(native_mmio_read16, uint16_t)
MMIO_READ(native_mmio_read32, uint32_t)
MMIO_WRITE(native_mmio_write8, uint8_t)
MMIO_WRITE(native_mmio_write16, uint16_t)
MMIO_WRITE(native_mmio_write32, uint32_t)

static JSValue native_mmio_read64(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t address;
  if (to_u64(ctx, &address, argv[0])) return JS_EXCEPTION;
  return JS_NewBigUint64(ctx, *(volatile uint64_t *)(uintptr_t)address);
}

static JSValue native_mmio_write64(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t address;
  int64_t value;
  if (to_u64(ctx, &address, argv[0]) || JS_ToBigInt64(ctx, &value, argv[1])) return JS_EXCEPTION;
  *(volatile uint64_t *)(uintptr_t)address = (uint64_t)value;
  return JS_UNDEFINED;
}

static JSValue native_map_physical(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t address, length;
  if (to_u64(ctx, &address, argv[0]) || to_u64(ctx, &length, argv[1])) return JS_EXCEPTION;
  if (map_physical(address, length, JS_ToBool(ctx, argv[2])))
    return JS_ThrowInternalError(ctx, "cannot map physical range 0x%lx+0x%lx", address, length);
  return JS_UNDEFINED;
}

static JSValue native_physical_view(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t address, length;
  if (to_u64(ctx, &address, argv[0]) || to_u64(ctx, &length, argv[1])) return JS_EXCEPTION;
  if (!address || length > INT32_MAX) return JS_ThrowRangeError(ctx, "bad physical view 0x%lx+0x%lx", address, length);
  return JS_NewArrayBuffer(ctx, (uint8_t *)(uintptr_t)address, length, NULL, NULL, 0);
}

static JSValue native_dma_alloc(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t size, align, limit;
  if (to_u64(ctx, &size, argv[0]) || to_u64(ctx, &align, argv[1]) || to_u64(ctx, &limit, argv[2])) return JS_EXCEPTION;
  if (!size || (align & (align - 1))) return JS_ThrowRangeError(ctx, "bad DMA request: size %lu align %lu", size, align);
  uint64_t address = pages_alloc(size, align, limit);
  if (!address) return JS_ThrowRangeError(ctx, "no free DMA memory for %lu bytes below 0x%lx", size, limit);
  return JS_NewFloat64(ctx, (double)address);
}

static JSValue native_pages_take(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t count;
  if (to_u64(ctx, &count, argv[0])) return JS_EXCEPTION;
  uint64_t address = count ? pages_take(count) : 0;
  if (!address) return JS_ThrowRangeError(ctx, "no run of %lu free pages", count);
  return JS_NewFloat64(ctx, (double)address);
}

static JSValue native_dma_free(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t address, size;
  if (to_u64(ctx, &address, argv[0]) || to_u64(ctx, &size, argv[1])) return JS_EXCEPTION;
  pages_free(address, size);
  return JS_UNDEFINED;
}

static JSValue native_detach_buffer(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  JS_DetachArrayBuffer(ctx, argv[0]);
  return JS_UNDEFINED;
}

static JSValue native_memory_barrier(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  __asm__ volatile("mfence" ::: "memory");
  return JS_UNDEFINED;
}

static JSValue native_monotonic_ns(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return JS_NewFloat64(ctx, (double)monotonic_ns());
}

static JSValue native_halted_ns(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return JS_NewFloat64(ctx, (double)halted_ns());
}

static JSValue native_wall_clock_ms(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return JS_NewFloat64(ctx, (double)wall_clock_ms());
}

static JSValue native_cpuid(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint32_t leaf, subleaf, regs[4];
  if (to_u32(ctx, &leaf, argv[0]) || to_u32(ctx, &subleaf, argv[1])) return JS_EXCEPTION;
  cpuid(leaf, subleaf, regs);
  JSValue out = JS_NewArray(ctx);
  for (uint32_t i = 0; i < 4; i++) JS_SetPropertyUint32(ctx, out, i, js_unsigned(ctx, regs[i]));
  return out;
}

static JSValue native_tsc_hz(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return JS_NewFloat64(ctx, (double)tsc_hz());
}

static JSValue native_apic_bus_hz(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return JS_NewFloat64(ctx, (double)apic_bus_hz());
}

static JSValue native_set_tsc_hz(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t hz;
  if (to_u64(ctx, &hz, argv[0])) return JS_EXCEPTION;
  clock_set_tsc_hz(hz);
  return JS_UNDEFINED;
}

static JSValue native_set_apic_bus_hz(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t hz;
  if (to_u64(ctx, &hz, argv[0])) return JS_EXCEPTION;
  clock_set_apic_bus_hz(hz);
  return JS_UNDEFINED;
}

static JSValue native_measure_apic_bus_hz(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return JS_NewFloat64(ctx, (double)clock_measure_apic_bus_hz());
}

static JSValue native_serial_write(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  size_t length;
  const char *text = JS_ToCStringLen(ctx, &length, argv[0]);
  if (!text) return JS_EXCEPTION;
  console_write(text, length);
  JS_FreeCString(ctx, text);
  return JS_UNDEFINED;
}

static JSValue native_exit(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  int32_t status;
  if (JS_ToInt32(ctx, &status, argv[0])) status = 1;
  fflush(stdout);
  machine_exit(status);
}

static JSValue native_wait_for_interrupt(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  double deadline;
  if (JS_ToFloat64(ctx, &deadline, argv[0])) return JS_EXCEPTION;
  wait_for_interrupt(deadline < 0 ? -1 : (int64_t)deadline);
  return JS_UNDEFINED;
}

static JSValue set_hook(JSContext *ctx, JSValue *hook, JSValueConst fn) {
  if (!JS_IsFunction(ctx, fn)) return JS_ThrowTypeError(ctx, "hook must be a function");
  JS_FreeValue(ctx, *hook);
  *hook = JS_DupValue(ctx, fn);
  return JS_UNDEFINED;
}

static JSValue native_set_loop_hook(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return set_hook(ctx, &engine_loop_hook, argv[0]);
}

static JSValue native_set_uncaught_hook(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return set_hook(ctx, &engine_uncaught_hook, argv[0]);
}

static JSValue native_source_line(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint32_t line;
  char position[POSITION_BUFFER];
  if (to_u32(ctx, &line, argv[0])) return JS_EXCEPTION;
  return source_position(line, position, sizeof position) ? JS_NewString(ctx, position) : JS_UNDEFINED;
}

static JSValue native_utf8_encode(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  size_t length;
  const char *bytes = JS_ToCStringLen(ctx, &length, argv[0]);
  if (!bytes) return JS_EXCEPTION;
  JSValue buffer = JS_NewArrayBufferCopy(ctx, (const uint8_t *)bytes, length);
  JS_FreeCString(ctx, bytes);
  return buffer;
}

static JSValue native_memory_usage(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  JSMemoryUsage usage;
  JS_ComputeMemoryUsage(engine_runtime, &usage);
  JSValue result = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, result, "heapBytes", JS_NewFloat64(ctx, (double)usage.malloc_size));
  JS_SetPropertyStr(ctx, result, "freePages", JS_NewFloat64(ctx, (double)pages_free_count()));
  JS_SetPropertyStr(ctx, result, "totalPages", JS_NewFloat64(ctx, (double)pages_total_count()));
  return result;
}

static JSValue native_free_pages(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return JS_NewFloat64(ctx, (double)pages_free_count());
}

static JSValue native_total_pages(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return JS_NewFloat64(ctx, (double)pages_total_count());
}

/* The bytes a typed array covers; NULL (with a pending exception) when it is not one. */
static uint8_t *typed_array_bytes(JSContext *ctx, JSValueConst value, size_t *length, size_t *element_size) {
  size_t offset, buffer_length;
  JSValue buffer = JS_GetTypedArrayBuffer(ctx, value, &offset, length, element_size);
  if (JS_IsException(buffer)) return NULL;
  uint8_t *bytes = JS_GetArrayBuffer(ctx, &buffer_length, buffer);
  JS_FreeValue(ctx, buffer);
  return bytes ? bytes + offset : NULL;
}

static JSValue native_take_interrupts(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  size_t length, element_size;
  uint8_t *bytes = typed_array_bytes(ctx, argv[0], &length, &element_size);
  if (!bytes || element_size != sizeof(uint32_t) || length < VECTOR_WORDS * sizeof(uint32_t))
    return JS_ThrowTypeError(ctx, "takeInterrupts needs a Uint32Array of %d words", VECTOR_WORDS);
  return JS_NewInt32(ctx, irq_take_vectors((uint32_t *)bytes));
}

/* The bytes [offset, offset + length) of a Uint8Array argument, bounds-checked. */
static const uint8_t *byte_range(JSContext *ctx, JSValueConst *argv, size_t *length) {
  size_t total, element_size;
  uint32_t offset, count;
  const uint8_t *bytes = typed_array_bytes(ctx, argv[0], &total, &element_size);
  if (!bytes || element_size != 1) {
    JS_ThrowTypeError(ctx, "expected a Uint8Array");
    return NULL;
  }
  if (to_u32(ctx, &offset, argv[1]) || to_u32(ctx, &count, argv[2])) return NULL;
  if ((uint64_t)offset + count > total) {
    JS_ThrowRangeError(ctx, "range %u+%u outside %zu bytes", offset, count, total);
    return NULL;
  }
  *length = count;
  return bytes + offset;
}

static JSValue native_sum16(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  size_t length;
  double initial;
  const uint8_t *bytes = byte_range(ctx, argv, &length);
  if (!bytes || JS_ToFloat64(ctx, &initial, argv[3])) return JS_EXCEPTION;
  return JS_NewFloat64(ctx, initial + (double)sum16_big_endian(bytes, length));
}

/* copySum16(from, fromOffset, to, toOffset, length, sum): copies and adds the word sum. */
static JSValue native_copy_sum16(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  size_t from_total, to_total, element_size;
  uint32_t from_offset, to_offset, length;
  double initial;
  const uint8_t *from = typed_array_bytes(ctx, argv[0], &from_total, &element_size);
  if (!from || element_size != 1) return JS_ThrowTypeError(ctx, "copySum16: source must be a Uint8Array");
  uint8_t *to = typed_array_bytes(ctx, argv[2], &to_total, &element_size);
  if (!to || element_size != 1) return JS_ThrowTypeError(ctx, "copySum16: target must be a Uint8Array");
  if (to_u32(ctx, &from_offset, argv[1]) || to_u32(ctx, &to_offset, argv[3]) || to_u32(ctx, &length, argv[4]) ||
      JS_ToFloat64(ctx, &initial, argv[5]))
    return JS_EXCEPTION;
  if ((uint64_t)from_offset + length > from_total || (uint64_t)to_offset + length > to_total)
    return JS_ThrowRangeError(ctx, "copySum16: %u bytes do not fit", length);
  if (from + from_offset < to + to_offset + length && to + to_offset < from + from_offset + length)
    return JS_ThrowRangeError(ctx, "copySum16: source and target overlap");
  return JS_NewFloat64(ctx, initial + (double)copy_sum16_big_endian(to + to_offset, from + from_offset, length));
}

static JSValue native_crc32(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  size_t length;
  uint32_t crc;
  const uint8_t *bytes = byte_range(ctx, argv, &length);
  if (!bytes || to_u32(ctx, &crc, argv[3])) return JS_EXCEPTION;
  return js_unsigned(ctx, crc32_update(crc, bytes, length));
}

static JSValue native_is_class_constructor(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  return JS_NewBool(ctx, engine_is_class_constructor(argv[0]));
}

static JSValue native_profile_start(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  uint64_t bytes;
  uint32_t hz, tick_limit;
  if (to_u64(ctx, &bytes, argv[0]) || to_u32(ctx, &hz, argv[1]) || to_u32(ctx, &tick_limit, argv[2])) return JS_EXCEPTION;
  if (profiler_start(bytes, hz, tick_limit)) return JS_ThrowRangeError(ctx, "cannot start the profiler with a %lu-byte buffer", (unsigned long)bytes);
  return JS_UNDEFINED;
}

static JSValue native_profile_finish(JSContext *ctx, JSValueConst this_val, int argc, JSValueConst *argv) {
  profiler_finish();
  return JS_UNDEFINED;
}

static const JSCFunctionListEntry native_functions[] = {
    JS_CFUNC_DEF("inb", 1, native_inb),
    JS_CFUNC_DEF("inw", 1, native_inw),
    JS_CFUNC_DEF("inl", 1, native_inl),
    JS_CFUNC_DEF("outb", 2, native_outb),
    JS_CFUNC_DEF("outw", 2, native_outw),
    JS_CFUNC_DEF("outl", 2, native_outl),
    JS_CFUNC_DEF("mmioRead8", 1, native_mmio_read8),
    JS_CFUNC_DEF("mmioRead16", 1, native_mmio_read16),
    JS_CFUNC_DEF("mmioRead32", 1, native_mmio_read32),
    JS_CFUNC_DEF("mmioRead64", 1, native_mmio_read64),
    JS_CFUNC_DEF("mmioWrite8", 2, native_mmio_write8),
    JS_CFUNC_DEF("mmioWrite16", 2, native_mmio_write16),
    JS_CFUNC_DEF("mmioWrite32", 2, native_mmio_write32),
    JS_CFUNC_DEF("mmioWrite64", 2, native_mmio_write64),
    JS_CFUNC_DEF("mapPhysical", 3, native_map_physical),
    JS_CFUNC_DEF("physicalView", 2, native_physical_view),
    JS_CFUNC_DEF("dmaAlloc", 3, native_dma_alloc),
    JS_CFUNC_DEF("dmaFree", 2, native_dma_free),
    JS_CFUNC_DEF("pagesTake", 1, native_pages_take),
    JS_CFUNC_DEF("detachBuffer", 1, native_detach_buffer),
    JS_CFUNC_DEF("memoryBarrier", 0, native_memory_barrier),
    JS_CFUNC_DEF("monotonicNs", 0, native_monotonic_ns),
    JS_CFUNC_DEF("haltedNs", 0, native_halted_ns),
    JS_CFUNC_DEF("wallClockMs", 0, native_wall_clock_ms),
    JS_CFUNC_DEF("cpuid", 2, native_cpuid),
    JS_CFUNC_DEF("tscHz", 0, native_tsc_hz),
    JS_CFUNC_DEF("apicBusHz", 0, native_apic_bus_hz),
    JS_CFUNC_DEF("setTscHz", 1, native_set_tsc_hz),
    JS_CFUNC_DEF("setApicBusHz", 1, native_set_apic_bus_hz),
    JS_CFUNC_DEF("measureApicBusHz", 0, native_measure_apic_bus_hz),
    JS_CFUNC_DEF("serialWrite", 1, native_serial_write),
    JS_CFUNC_DEF("exit", 1, native_exit),
    JS_CFUNC_DEF("waitForInterrupt", 1, native_wait_for_interrupt),
    JS_CFUNC_DEF("setLoopHook", 1, native_set_loop_hook),
    JS_CFUNC_DEF("setUncaughtHook", 1, native_set_uncaught_hook),
    JS_CFUNC_DEF("sourceLine", 1, native_source_line),
    JS_CFUNC_DEF("utf8Encode", 1, native_utf8_encode),
    JS_CFUNC_DEF("memoryUsage", 0, native_memory_usage),
    JS_CFUNC_DEF("freePages", 0, native_free_pages),
    JS_CFUNC_DEF("totalPages", 0, native_total_pages),
    JS_CFUNC_DEF("isClassConstructor", 1, native_is_class_constructor),
    JS_CFUNC_DEF("takeInterrupts", 1, native_take_interrupts),
    JS_CFUNC_DEF("sum16", 4, native_sum16),
    JS_CFUNC_DEF("crc32", 4, native_crc32),
    JS_CFUNC_DEF("copySum16", 6, native_copy_sum16),
    JS_CFUNC_DEF("profileStart", 3, native_profile_start),
    JS_CFUNC_DEF("profileFinish", 0, native_profile_finish),
};

void native_install(JSContext *ctx) {
  JSValue native = JS_NewObject(ctx);
  JS_SetPropertyFunctionList(ctx, native, native_functions, sizeof native_functions / sizeof native_functions[0]);
  JS_SetPropertyStr(ctx, native, "commandLine", JS_NewString(ctx, boot_command_line()));
  JS_SetPropertyStr(ctx, native, "memoryBytes", JS_NewFloat64(ctx, (double)boot_memory_bytes()));
  JS_SetPropertyStr(ctx, native, "rsdpAddress", JS_NewFloat64(ctx, (double)boot_rsdp_address()));
  JS_SetPropertyStr(ctx, native, "localApicId", JS_NewInt32(ctx, (int32_t)local_apic_id()));
  JS_SetPropertyStr(ctx, native, "firstDeviceVector", JS_NewInt32(ctx, DEVICE_VECTOR_FIRST));
  JS_SetPropertyStr(ctx, native, "clockCalibration", JS_NewString(ctx, clock_calibration_source()));
  JS_SetPropertyStr(ctx, native, "wallClockKnown", JS_NewBool(ctx, wall_clock_known()));
  JSValue global = JS_GetGlobalObject(ctx);
  JS_DefinePropertyValueStr(ctx, global, "vireoNative", native, 0);
  JS_FreeValue(ctx, global);
}
