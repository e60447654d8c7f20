#include "linemap.h"

static size_t append(char *out, size_t at, size_t size, const char *s) {
  while (*s && at + 1 < size) out[at++] = *s++;
  return at;
}

enum { LINE_NONE = 0, LINE_DELTA_BIAS = 127, LINE_ABSOLUTE = 255 };

/* The source line of bundle line `index + 1` (0: none), decoded from the checkpoint before it.
   The table is generated with the kernel, so it is trusted to be well formed. */
static uint32_t source_line(uint32_t index) {
  const struct source_line_checkpoint *checkpoint = &vireo_source_line_checkpoints[index / SOURCE_LINE_CHECKPOINT_EVERY];
  const uint8_t *code = vireo_source_line_bytes + checkpoint->offset;
  uint32_t line = checkpoint->previous;
  for (uint32_t i = index - index % SOURCE_LINE_CHECKPOINT_EVERY; i <= index; i++) {
    uint8_t byte = *code++;
    if (byte == LINE_NONE) {
      line = 0;
    } else if (byte == LINE_ABSOLUTE) {
      line = (uint32_t)code[0] | (uint32_t)code[1] << 8;
      code += 2;
    } else {
      line = line + byte - LINE_DELTA_BIAS;
    }
  }
  return line;
}

int source_position(uint32_t bundle_line, char *out, size_t size) {
  if (!bundle_line || bundle_line > vireo_bundle_line_count || !size) return 0;
  uint32_t line = source_line(bundle_line - 1);
  if (!line) return 0;
  uint32_t low = 0, high = vireo_source_span_count;
  while (low < high) {
    uint32_t mid = (low + high) / 2;
    if (vireo_source_spans[mid].bundle_line <= bundle_line) low = mid + 1;
    else high = mid;
  }
  if (!low) return 0;
  char digits[12];
  int n = 0;
  do { digits[n++] = (char)('0' + line % 10); line /= 10; } while (line);
  size_t at = append(out, 0, size, vireo_source_files[vireo_source_spans[low - 1].file]);
  at = append(out, at, size, ":");
  while (n && at + 1 < size) out[at++] = digits[--n];
  out[at] = 0;
  return 1;
}
