#include "linemap.h"

static size_t append(char *out, size_t at, size_t size, const char *s) {
  while (*s && at + 1 < size) out[at++] = *s++;
  return at;
}

int source_position(uint32_t bundle_line, char *out, size_t size) {
  if (!bundle_line || bundle_line > vireo_bundle_line_count || !size) return 0;
  uint32_t line = vireo_source_lines[bundle_line - 1];
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
