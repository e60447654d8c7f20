/* Host harness for boot/js/linemap.c: prints source_position for bundle lines 1 to N+1
   (one past the table), one per line, "-" where there is none. */
#include <stdio.h>
#include "../../boot/js/linemap.h"

int main(void) {
  char position[160];
  for (uint32_t line = 1; line <= vireo_bundle_line_count + 1; line++) {
    puts(source_position(line, position, sizeof position) ? position : "-");
  }
  return 0;
}
