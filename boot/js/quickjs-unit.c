/* QuickJS compiled as one unit with a fault-time stack walker, which needs the engine's
   internal frame layout. The walker allocates nothing, so it is safe from a CPU exception. */
#include "quickjs.c"
#include "../core/console.h"
#include "../core/memory.h"
#include "../core/profiler.h"
#include "engine.h"
#include "linemap.h"

enum { NAME_BUFFER = 64, POSITION_BUFFER = 160, MAX_FRAMES = 64 };

void js_print_backtrace(void) {
  JSRuntime *rt = engine_runtime;
  if (!rt || !engine_context || !rt->current_stack_frame) return;
  kprintf("JavaScript stack at the fault:\n");
  int depth = 0;
  for (JSStackFrame *sf = rt->current_stack_frame; sf && depth < MAX_FRAMES; sf = sf->prev_frame, depth++) {
    if (JS_VALUE_GET_TAG(sf->cur_func) != JS_TAG_OBJECT) continue;
    JSObject *p = JS_VALUE_GET_OBJ(sf->cur_func);
    if (!js_class_has_bytecode(p->class_id)) {
      kprintf("    at <native>\n");
      continue;
    }
    JSFunctionBytecode *b = p->u.func.function_bytecode;
    char name[NAME_BUFFER], position[POSITION_BUFFER];
    const char *function_name =
        b->func_name == JS_ATOM_NULL ? "<anonymous>" : JS_AtomGetStrRT(rt, name, sizeof name, b->func_name);
    if (!function_name[0]) function_name = "<anonymous>";
    int line = b->has_debug ? find_line_num(engine_context, b, (uint32_t)(sf->cur_pc - b->byte_code_buf - 1)) : -1;
    if (line > 0 && source_position((uint32_t)line, position, sizeof position))
      kprintf("    at %s (%s)\n", function_name, position);
    else
      kprintf("    at %s (app.js)\n", function_name);
  }
}

enum {
  /* Frames looked at per sample, JavaScript or native (a cycle caught mid-update ends there). */
  SAMPLE_MAX_WALK = 256,
  /* The general registers an interrupt frame holds, r15 through rax. */
  SAMPLED_REGISTERS = 15,
  ASCII_LIMIT = 0x80,
  /* Own properties looked at for a function's `name` (it has length, name, maybe prototype). */
  OWN_PROPERTY_SCAN = 8,
};

/* The sampling NMI may land while the engine is mid-update: every pointer is checked to lie in
   RAM before it is read, so a stale one ends the walk instead of faulting or touching a device. */
static int in_ram(const void *p, uint64_t bytes) { return p && memory_is_ram((uint64_t)(uintptr_t)p, bytes); }

/* The string of a function's name atom, or NULL. */
static const JSString *atom_string(JSRuntime *rt, JSAtom atom) {
  if (atom == JS_ATOM_NULL || __JS_AtomIsTaggedInt(atom) || atom >= (JSAtom)rt->atom_size ||
      !in_ram(rt->atom_array, sizeof(JSAtomStruct *) * (uint64_t)rt->atom_size))
    return NULL;
  JSAtomStruct *s = rt->atom_array[atom];
  return atom_is_free(s) || !in_ram(s, sizeof *s) ? NULL : s;
}

/* A function object's own `name` data property, or NULL. Methods and class fields carry their
   name only there (the engine compiles them without one). A function has a handful of own
   properties, so a bounded scan replaces the shape's hash chains. */
static const JSString *own_name(const JSObject *p) {
  const JSShape *sh = p->shape;
  if (!in_ram(sh, sizeof *sh)) return NULL;
  int count = sh->prop_count < OWN_PROPERTY_SCAN ? sh->prop_count : OWN_PROPERTY_SCAN;
  if (count <= 0 || !in_ram(sh->prop, sizeof(JSShapeProperty) * (uint64_t)count) ||
      !in_ram(p->prop, sizeof(JSProperty) * (uint64_t)count))
    return NULL;
  for (int i = 0; i < count; i++) {
    if (sh->prop[i].atom != JS_ATOM_name || (sh->prop[i].flags & JS_PROP_TMASK) != JS_PROP_NORMAL) continue;
    JSValue value = p->prop[i].u.value;
    const JSString *s = JS_VALUE_GET_PTR(value);
    return JS_VALUE_GET_TAG(value) == JS_TAG_STRING && in_ram(s, sizeof *s) ? s : NULL;
  }
  return NULL;
}

/* Copies a name as ASCII (other characters as '?'), cut at PROFILE_NAME_BYTES; 0 if none. */
static int copy_name(const JSString *s, struct profile_function *f) {
  f->name_length = 0;
  if (!s || !s->len) return 0;
  uint32_t length = s->len < PROFILE_NAME_BYTES ? s->len : PROFILE_NAME_BYTES;
  if (!in_ram(s->u.str8, s->is_wide_char ? length * 2 : length)) return 0;
  for (uint32_t i = 0; i < length; i++) {
    uint32_t c = s->is_wide_char ? s->u.str16[i] : s->u.str8[i];
    f->name[i] = c < ASCII_LIMIT ? (char)c : '?';
  }
  f->name_length = (uint8_t)length;
  return 1;
}

/* The bytecode offset a frame is at, or -1. The interpreter keeps the running function's pc in
   a register and stores it in the frame only around calls, so for the innermost frame a saved
   register pointing into its bytecode wins over the frame's (possibly stale) copy. */
static int frame_pc(const JSStackFrame *sf, const JSFunctionBytecode *b, const struct interrupt_frame *registers) {
  const uint8_t *start = b->byte_code_buf, *end = start + b->byte_code_len;
  if (registers) {
    const uint64_t *saved = &registers->r15;
    for (int i = 0; i < SAMPLED_REGISTERS; i++) {
      const uint8_t *value = (const uint8_t *)(uintptr_t)saved[i];
      if (value > start && value <= end) return (int)(value - start - 1);
    }
  }
  if (sf->cur_pc > start && sf->cur_pc <= end) return (int)(sf->cur_pc - start - 1);
  return -1;
}

int engine_sample_stack(const struct interrupt_frame *registers, struct profile_frame *out, int max) {
  JSRuntime *rt = engine_runtime;
  if (!in_ram(rt, sizeof *rt)) return 0;
  int count = 0, walked = 0;
  const struct interrupt_frame *innermost = registers;
  for (JSStackFrame *sf = rt->current_stack_frame; sf && count < max && walked < SAMPLE_MAX_WALK;
       sf = sf->prev_frame, walked++, innermost = NULL) {
    if (!in_ram(sf, sizeof *sf)) break;
    if (JS_VALUE_GET_TAG(sf->cur_func) != JS_TAG_OBJECT) continue;
    JSObject *p = JS_VALUE_GET_OBJ(sf->cur_func);
    if (!in_ram(p, sizeof *p)) break;
    if (!js_class_has_bytecode(p->class_id)) continue;
    JSFunctionBytecode *b = p->u.func.function_bytecode;
    if (!in_ram(b, sizeof *b) || !in_ram(b->byte_code_buf, (uint64_t)b->byte_code_len)) break;
    int fresh = 0;
    uint16_t index = PROFILE_FUNCTION_UNKNOWN;
    struct profile_function *f = profile_function_for(b, &fresh, &index);
    if (!f) index = PROFILE_FUNCTION_UNKNOWN;
    int first_line = b->has_debug ? b->debug.line_num : 0;
    if (f && fresh) {
      f->line = (uint32_t)first_line;
      if (!copy_name(atom_string(rt, b->func_name), f)) copy_name(own_name(p), f);
    }
    int pc = frame_pc(sf, b, innermost);
    int line = pc >= 0 && b->has_debug && in_ram(b->debug.pc2line_buf, (uint64_t)b->debug.pc2line_len)
                   ? find_line_num(engine_context, b, (uint32_t)pc)
                   : -1;
    out[count++] = (struct profile_frame){index, (uint32_t)(line > 0 ? line : first_line)};
  }
  return count;
}

enum { CLASS_PROLOGUE_OPCODES = 16 };

/* Bytecode carries no source text, so `class X {}` cannot be told from a function by
   Function.prototype.toString; class constructors start with a check_ctor instruction. */
int engine_is_class_constructor(JSValueConst value) {
  if (JS_VALUE_GET_TAG(value) != JS_TAG_OBJECT) return 0;
  JSObject *p = JS_VALUE_GET_OBJ(value);
  if (p->class_id != JS_CLASS_BYTECODE_FUNCTION) return 0;
  JSFunctionBytecode *b = p->u.func.function_bytecode;
  if (b->is_derived_class_constructor) return 1;
  int pos = 0;
  for (int i = 0; i < CLASS_PROLOGUE_OPCODES && pos < b->byte_code_len; i++) {
    uint8_t op = b->byte_code_buf[pos];
    if (op == OP_check_ctor) return 1;
    pos += short_opcode_info(op).size;
  }
  return 0;
}
