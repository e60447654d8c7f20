/* Host harness for boot/js/lz-decode.c: `lz-decode-cli IN OUT` decodes the container IN into OUT.
   Exit status 0 when it decodes, 2 when the decoder refuses it, 1 on a file error. */
#include <stdio.h>
#include <stdlib.h>
#include "../../boot/js/lz-decode.h"

static unsigned char *read_all(const char *path, size_t *length) {
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  size_t capacity = 1 << 16, used = 0;
  unsigned char *data = malloc(capacity);
  for (size_t got; data && (got = fread(data + used, 1, capacity - used, file)) > 0;) {
    used += got;
    if (used == capacity) data = realloc(data, capacity *= 2);
  }
  fclose(file);
  *length = used;
  return data;
}

int main(int argc, char **argv) {
  if (argc != 3) return 1;
  size_t in_length;
  unsigned char *in = read_all(argv[1], &in_length);
  if (!in) return 1;
  int status = 2;
  int64_t length = lz_decoded_length(in, in_length);
  unsigned char *out = length < 0 ? NULL : malloc((size_t)length + LZ_OUT_SLACK);
  if (out && lz_decode(in, in_length, out, (size_t)length) == 0) {
    FILE *file = fopen(argv[2], "wb");
    int written = file && fwrite(out, 1, (size_t)length, file) == (size_t)length;
    status = file && fclose(file) == 0 && written ? 0 : 1;
  } else if (length >= 0 && !out) {
    status = 1;
  }
  free(out);
  free(in);
  return status;
}
