/* QuickJS compiled as one unit with a fault-time stack walker, which needs the engine's
   internal frame layout. The walker allocates nothing, so it is safe from a CPU exception. */
#include "quickjs.c"
#include "../core/console.h"
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
