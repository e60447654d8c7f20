/* Host tool: compiles the app bundle, an ES module, to QuickJS bytecode with the same engine
   configuration as the kernel, so the image loads bytecode instead of parsing source at boot.
   A module, not a script: a module's top-level bindings are module variables, which a closure
   reaches by index, where a script wrapped in one function (an IIFE) keeps them as locals of
   that function, and the engine searches a frame's captured locals one by one for every closure
   it creates (a seventh of a boot's instructions for the demo).
   Usage: jsc <input.js> <output.bin> <module name shown in stacks> */
#include <stdio.h>
#include <stdlib.h>
#include "quickjs.h"

static char *read_file(const char *path, size_t *length) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buffer = malloc((size_t)size + 1);
  if (buffer && fread(buffer, 1, (size_t)size, f) != (size_t)size) {
    free(buffer);
    buffer = NULL;
  }
  fclose(f);
  if (buffer) buffer[size] = 0;
  *length = (size_t)size;
  return buffer;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: jsc <input.js> <output.bin> <module name>\n");
    return 2;
  }
  size_t length;
  char *source = read_file(argv[1], &length);
  if (!source) {
    perror(argv[1]);
    return 1;
  }
  JSRuntime *rt = JS_NewRuntime();
  JSContext *ctx = JS_NewContext(rt);
  JSValue code = JS_Eval(ctx, source, length, argv[3], JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
  if (JS_IsException(code)) {
    JSValue error = JS_GetException(ctx);
    const char *text = JS_ToCString(ctx, error);
    JSValue stack = JS_GetPropertyStr(ctx, error, "stack");
    const char *stack_text = JS_ToCString(ctx, stack);
    fprintf(stderr, "%s: %s\n%s\n", argv[1], text, stack_text ? stack_text : "");
    return 1;
  }
  size_t size;
  uint8_t *bytecode = JS_WriteObject(ctx, &size, code, JS_WRITE_OBJ_BYTECODE);
  FILE *out = fopen(argv[2], "wb");
  if (!bytecode || !out || fwrite(bytecode, 1, size, out) != size || fclose(out)) {
    perror(argv[2]);
    return 1;
  }
  return 0;
}
