/* The one JS runtime and context of the machine. */
#pragma once
#include "quickjs.h"

extern JSRuntime *engine_runtime;
extern JSContext *engine_context;

/* Installs the `vireoNative` global (js/native.c). */
void native_install(JSContext *ctx);
/* True for a `class` constructor (js/quickjs-unit.c). */
int engine_is_class_constructor(JSValueConst value);
/* Hooks registered from TypeScript through vireoNative. */
extern JSValue engine_loop_hook, engine_uncaught_hook;
