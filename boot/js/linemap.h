/* Maps lines of the app bundle back to TypeScript source lines. The table is generated at
   build time from the bundler's source map (scripts/build/line-table.ts). */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Bundle lines [bundle_line, next run's bundle_line) map to source_line onwards in `file`. */
struct source_run { uint32_t bundle_line, source_line, file; };

extern const struct source_run vireo_source_runs[];
extern const uint32_t vireo_source_run_count;
extern const char *const vireo_source_files[];

/* Writes "file:line" for a 1-based bundle line; returns 0 when the line has no source. */
int source_position(uint32_t bundle_line, char *out, size_t size);
