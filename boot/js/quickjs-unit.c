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
    const char *function_name = JS_AtomGetStrRT(rt, name, sizeof name, b->func_name);
    if (!function_name[0]) function_name = "<anonymous>";
    int line = b->has_debug ? find_line_num(engine_context, b, (uint32_t)(sf->cur_pc - b->byte_code_buf - 1)) : -1;
    if (line > 0 && source_position((uint32_t)line, position, sizeof position))
      kprintf("    at %s (%s)\n", function_name, position);
    else
      kprintf("    at %s (app.js:%d)\n", function_name, line);
  }
}
