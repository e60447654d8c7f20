/* Decoder for the bytecode container written by scripts/lib/lz-compress.ts. It runs once at boot
   over input built with the image, and still checks everything: a damaged image must fail loudly,
   never write outside `out`. */
#include "lz-decode.h"
#include <string.h>

enum { MIN_MATCH = 4, NIBBLE_MAX = 15, COUNT_MORE = 255 };
static const uint8_t MAGIC[4] = { 'V', 'L', 'Z', '1' };

int64_t lz_decoded_length(const uint8_t *in, size_t in_len) {
  if (in_len < LZ_HEADER_BYTES || memcmp(in, MAGIC, sizeof MAGIC) != 0) return -1;
  return (int64_t)((uint32_t)in[4] | (uint32_t)in[5] << 8 | (uint32_t)in[6] << 16 | (uint32_t)in[7] << 24);
}

/* Adds the bytes that continue a count whose nibble was 15; false when the input ends first. */
static int read_count_rest(const uint8_t *in, size_t in_len, size_t *at, size_t *count) {
  uint8_t byte;
  do {
    if (*at >= in_len) return 0;
    byte = in[(*at)++];
    *count += byte;
  } while (byte == COUNT_MORE);
  return 1;
}

/* One unaligned 8-byte copy (a single load and store once compiled). */
static inline void copy8(uint8_t *to, const uint8_t *from) {
  uint64_t word;
  memcpy(&word, from, sizeof word);
  memcpy(to, &word, sizeof word);
}

/* Most sequences are a few bytes of literals and a short match: copying them in 8-byte words, past
   their end, costs a fraction of a call to memcpy per sequence at boot. */
enum { SHORT_COPY = 16, WORD = 8 };
/* A token with both nibbles below 15 takes at most 1 + 14 + 2 input bytes and writes at most
   16 bytes of literal words then 24 bytes of match words (14 literals, an 18-byte match). Further
   than these margins from both ends, none of that can cross an end: only the distance is checked. */
enum { FAST_INPUT_MARGIN = 32, FAST_OUTPUT_MARGIN = 48, FAST_MATCH_WORDS = 3 };

int lz_decode(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len) {
  if (lz_decoded_length(in, in_len) != (int64_t)out_len) return -1;
  size_t at = LZ_HEADER_BYTES, produced = 0;
  while (at < in_len) {
    uint8_t token = in[at++];
    size_t literals = token >> 4;
    size_t length = token & NIBBLE_MAX;
    if (literals < NIBBLE_MAX && length < NIBBLE_MAX && in_len - at > FAST_INPUT_MARGIN &&
        out_len - produced > FAST_OUTPUT_MARGIN) {
      uint8_t *to = out + produced;
      copy8(to, in + at);
      copy8(to + WORD, in + at + WORD);
      at += literals;
      to += literals;
      produced += literals;
      size_t distance = (size_t)in[at] | (size_t)in[at + 1] << 8;
      at += 2;
      if (distance == 0 || distance > produced) return -1;
      length += MIN_MATCH;
      const uint8_t *from = to - distance;
      if (distance >= WORD) {
        for (int i = 0; i < FAST_MATCH_WORDS; i++) copy8(to + i * WORD, from + i * WORD);
      } else {
        for (size_t i = 0; i < length; i++) to[i] = from[i];
      }
      produced += length;
      continue;
    }
    if (literals == NIBBLE_MAX && !read_count_rest(in, in_len, &at, &literals)) return -1;
    if (literals > in_len - at || literals > out_len - produced) return -1;
    if (literals <= SHORT_COPY && in_len - at >= SHORT_COPY) {
      copy8(out + produced, in + at);
      copy8(out + produced + WORD, in + at + WORD);
    } else {
      memcpy(out + produced, in + at, literals);
    }
    at += literals;
    produced += literals;
    if (at == in_len) break; /* the last sequence carries literals only */
    if (in_len - at < 2) return -1;
    size_t distance = (size_t)in[at] | (size_t)in[at + 1] << 8;
    at += 2;
    if (length == NIBBLE_MAX && !read_count_rest(in, in_len, &at, &length)) return -1;
    length += MIN_MATCH;
    if (distance == 0 || distance > produced || length > out_len - produced) return -1;
    uint8_t *to = out + produced;
    const uint8_t *from = to - distance;
    if (distance >= WORD) {
      /* Each word read lies wholly before the word written, so already decoded. */
      for (size_t i = 0; i < length; i += WORD) copy8(to + i, from + i);
    } else {
      /* An overlapping match repeats the last `distance` bytes: copy forwards, byte by byte. */
      for (size_t i = 0; i < length; i++) to[i] = from[i];
    }
    produced += length;
  }
  return produced == out_len ? 0 : -1;
}
