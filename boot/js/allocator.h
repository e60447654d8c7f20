/* The allocator the JS runtime is created with (js/allocator.c). */
#pragma once
#include "quickjs.h"

extern const JSMallocFunctions engine_malloc_functions;
