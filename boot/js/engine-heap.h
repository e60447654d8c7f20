/* The engine's allocator (engine-heap.c). */
#pragma once
#include "quickjs.h"

/* The size-class heap's functions, for JS_NewRuntime2. */
const JSMallocFunctions *engine_heap_functions(void);
/* How many small blocks the heap refused since boot: non-zero once memory ran out. */
size_t engine_heap_exhausted(void);
