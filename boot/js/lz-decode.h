/* Decodes the app's compressed bytecode (the format is described in scripts/lib/lz-compress.ts). */
#pragma once
#include <stddef.h>
#include <stdint.h>

enum {
  LZ_HEADER_BYTES = 8,
  /* Bytes `out` must have past the decoded length: short copies are done 8 bytes at a time and may
     write up to 15 bytes beyond what they need (later sequences overwrite them). */
  LZ_OUT_SLACK = 16,
};

/* The decoded length from the container's header, or -1 when `in` does not start with one. */
int64_t lz_decoded_length(const uint8_t *in, size_t in_len);

/* Decodes the container `in` into `out` (`out_len` + LZ_OUT_SLACK bytes long); 0 when it fills
   exactly `out_len` bytes, -1 when the input is malformed (every length and distance is checked). */
int lz_decode(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len);
