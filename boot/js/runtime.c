/* Runs the app bundle and the event loop: promise jobs, then the TypeScript loop hook, then a
   halt until the next deadline or interrupt. Uncaught errors end the machine with status 1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/console.h"
#include "../core/cpu.h"
#include "../core/memory.h"
#include "../core/time.h"
#include "engine-heap.h"
#include "engine.h"
#include "linemap.h"
#include "lz-decode.h"

enum {
  EXIT_UNCAUGHT = 1,
  JS_STACK_LIMIT = 768 * 1024,
  /* The engine collects every 256 KiB of allocation by default; loading the app's bytecode and
     modules alone crosses that several times, each a full collection of a heap still growing.
     A machine with less than 8 times this collects at an eighth of its memory instead, so that
     garbage cannot fill it before the first collection. */
  INITIAL_GC_THRESHOLD = 4 * 1024 * 1024,
  GC_THRESHOLD_MEMORY_SHARE = 8,
  MAX_TRACKED_REJECTIONS = 256,
  POSITION_BUFFER = 160,
};
#define BUNDLE_NAME "app.js"

extern const uint8_t app_bytecode[], app_bytecode_end[];
JSRuntime *engine_runtime;
JSContext *engine_context;

struct rejection { JSValue promise, reason; };
static struct rejection rejections[MAX_TRACKED_REJECTIONS];
static int rejection_count;

/* Prints a QuickJS stack with "(app.js:N)" rewritten to the TypeScript position. */
static void print_mapped_stack(const char *stack) {
  const char *marker = "(" BUNDLE_NAME ":";
  while (*stack) {
    const char *end = strchr(stack, '\n');
    size_t length = end ? (size_t)(end - stack) : strlen(stack);
    const char *at = strstr(stack, marker);
    char position[POSITION_BUFFER];
    if (at && at < stack + length &&
        source_position((uint32_t)strtoul(at + strlen(marker), NULL, 10), position, sizeof position)) {
      console_write(stack, (size_t)(at - stack) + 1);
      console_puts(position);
      console_puts(")\n");
    } else {
      console_write(stack, length);
      console_puts("\n");
    }
    stack += length + (end ? 1 : 0);
  }
}

static void print_uncaught_fallback(JSContext *ctx, JSValueConst error) {
  const char *text = JS_ToCString(ctx, error);
  kprintf("Uncaught %s\n", text ? text : "(unprintable value)");
  JS_FreeCString(ctx, text);
  JSValue stack = JS_IsObject(error) ? JS_GetPropertyStr(ctx, error, "stack") : JS_UNDEFINED;
  const char *stack_text = JS_IsString(stack) ? JS_ToCString(ctx, stack) : NULL;
  if (stack_text) print_mapped_stack(stack_text);
  JS_FreeCString(ctx, stack_text);
  JS_FreeValue(ctx, stack);
}

/* Ends the machine after the engine's heap was exhausted, without allocating. */
static void die_out_of_memory(void) {
  kprintf("Uncaught InternalError: out of memory (the engine's heap could not grow: %lu small blocks refused). "
          "Give the machine more memory (QEMU -m).\n", (uint64_t)engine_heap_exhausted());
  fflush(stdout);
  machine_exit(EXIT_UNCAUGHT);
}

static void die_uncaught(JSContext *ctx, JSValue error, const char *origin) {
  /* Out of memory, the engine throws null rather than an error it could not allocate; the
     TypeScript reporter would print "Uncaught null" (and need memory to do so). */
  if (JS_IsNull(error) && engine_heap_exhausted()) die_out_of_memory();
  int reported = 0;
  if (JS_IsFunction(ctx, engine_uncaught_hook)) {
    JSValue args[2] = {error, JS_NewString(ctx, origin)};
    JSValue result = JS_Call(ctx, engine_uncaught_hook, JS_UNDEFINED, 2, args);
    reported = !JS_IsException(result);
    JS_FreeValue(ctx, result);
    JS_FreeValue(ctx, args[1]);
  }
  if (!reported) print_uncaught_fallback(ctx, error);
  fflush(stdout);
  machine_exit(EXIT_UNCAUGHT);
}

static void die_on_exception(JSContext *ctx) {
  die_uncaught(ctx, JS_GetException(ctx), "exception");
}

static void track_rejection(JSContext *ctx, JSValueConst promise, JSValueConst reason, JS_BOOL is_handled,
                            void *opaque) {
  (void)opaque;
  if (!is_handled) {
    if (rejection_count == MAX_TRACKED_REJECTIONS) die_uncaught(ctx, JS_DupValue(ctx, reason), "rejection");
    rejections[rejection_count++] = (struct rejection){JS_DupValue(ctx, promise), JS_DupValue(ctx, reason)};
    return;
  }
  for (int i = 0; i < rejection_count; i++) {
    if (JS_VALUE_GET_PTR(rejections[i].promise) != JS_VALUE_GET_PTR(promise)) continue;
    JS_FreeValue(ctx, rejections[i].promise);
    JS_FreeValue(ctx, rejections[i].reason);
    rejections[i] = rejections[--rejection_count];
    return;
  }
}

static void run_jobs(JSContext *ctx) {
  JSContext *job_context;
  int status;
  while ((status = JS_ExecutePendingJob(engine_runtime, &job_context)) > 0) {}
  if (status < 0) die_on_exception(job_context);
  if (rejection_count) die_uncaught(ctx, rejections[0].reason, "rejection");
}

/* The app is one module compiled by the host build of this engine (boot/tools/jsc.c) and
   compressed by the build (scripts/lib/lz-compress.ts); the reader copies what it keeps, so the
   decoded bytecode is freed once read. */
static void run_app(JSContext *ctx) {
  size_t packed_length = (size_t)(app_bytecode_end - app_bytecode);
  int64_t length = lz_decoded_length(app_bytecode, packed_length);
  if (length < 0) panic("the app's bytecode is not in the image's compressed container");
  uint8_t *bytecode = malloc((size_t)length + LZ_OUT_SLACK);
  if (!bytecode) panic("no memory to decode the app's bytecode");
  if (lz_decode(app_bytecode, packed_length, bytecode, (size_t)length) != 0) panic("the app's compressed bytecode is damaged");
  JSValue code = JS_ReadObject(ctx, bytecode, (size_t)length, JS_READ_OBJ_BYTECODE);
  free(bytecode);
  if (JS_IsException(code)) {
    /* Bytecode is specific to the engine's version and build settings; the reader checks the version. */
    kprintf("vireo: the app's bytecode does not load (not compiled by this engine's build?)\n");
    die_on_exception(ctx);
  }
  JSValue result = JS_EvalFunction(ctx, code);
  if (JS_IsException(result)) die_on_exception(ctx);
  JS_FreeValue(ctx, result);
}

static void event_loop(JSContext *ctx) {
  for (;;) {
    run_jobs(ctx);
    if (!JS_IsFunction(ctx, engine_loop_hook)) return;
    JSValue result = JS_Call(ctx, engine_loop_hook, JS_UNDEFINED, 0, NULL);
    if (JS_IsException(result)) die_on_exception(ctx);
    double next;
    if (JS_ToFloat64(ctx, &next, result)) die_on_exception(ctx);
    JS_FreeValue(ctx, result);
    if (JS_IsJobPending(engine_runtime)) continue;
    if (next < 0) return;
    if (next > 0) wait_for_interrupt((int64_t)next);
  }
}

/* Whether `word` is one of the space-separated words of the kernel command line. */
static int boot_option(const char *word) {
  size_t length = strlen(word);
  for (const char *at = boot_command_line(); *at;) {
    while (*at == ' ') at++;
    const char *end = at;
    while (*end && *end != ' ') end++;
    if ((size_t)(end - at) == length && memcmp(at, word, length) == 0) return 1;
    at = end;
  }
  return 0;
}

int js_main(int argc, char **argv, char **envp) {
  (void)argc;
  (void)argv;
  (void)envp;
  /* `engine.malloc=libc` keeps QuickJS's own allocation functions (the C library's malloc), so a
     benchmark can set both heaps side by side. */
  engine_runtime = boot_option("engine.malloc=libc") ? JS_NewRuntime() : JS_NewRuntime2(engine_heap_functions(), NULL);
  if (!engine_runtime) panic("cannot create the JS runtime");
  JS_SetMaxStackSize(engine_runtime, JS_STACK_LIMIT);
  uint64_t memory_share = pages_total_count() * PAGE_SIZE / GC_THRESHOLD_MEMORY_SHARE;
  JS_SetGCThreshold(engine_runtime, memory_share < INITIAL_GC_THRESHOLD ? (size_t)memory_share : INITIAL_GC_THRESHOLD);
  JS_SetHostPromiseRejectionTracker(engine_runtime, track_rejection, NULL);
  engine_context = JS_NewContext(engine_runtime);
  if (!engine_context) panic("cannot create the JS context");
  native_install(engine_context);
  run_app(engine_context);
  event_loop(engine_context);
  /* Work can end for lack of memory too: the engine drops the promise jobs it cannot queue, so an
     exhausted heap can leave nothing to run and no error reported. */
  if (engine_heap_exhausted()) die_out_of_memory();
  fflush(stdout);
  return 0;
}
