/* Maps lines of the app bundle back to TypeScript source lines. The table is generated at
   build time from the bundler's source map (scripts/lib/line-table.ts). */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* From bundle line `bundle_line` on, lines belong to source file `file`. */
struct source_file_span { uint32_t bundle_line, file; };

/* Source line of each bundle line, packed (the format is in scripts/lib/line-table.ts,
   packSourceLines): a byte or three per bundle line, with a checkpoint every
   SOURCE_LINE_CHECKPOINT_EVERY lines giving where that line's code starts and the line before. */
enum { SOURCE_LINE_CHECKPOINT_EVERY = 64 };
struct source_line_checkpoint { uint32_t offset, previous; };
extern const uint8_t vireo_source_line_bytes[];
extern const struct source_line_checkpoint vireo_source_line_checkpoints[];
extern const uint32_t vireo_bundle_line_count;
extern const struct source_file_span vireo_source_spans[];
extern const uint32_t vireo_source_span_count;
extern const char *const vireo_source_files[];

/* Writes "file:line" for a 1-based bundle line; returns 0 when the line has no source. */
int source_position(uint32_t bundle_line, char *out, size_t size);
