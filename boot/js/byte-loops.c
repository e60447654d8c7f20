/* Byte loops that the JS engine runs slowly (about 1.7 M iterations/s under emulation): the
   Internet checksum's word sum and CRC-32. TypeScript keeps portable versions of both
   (runtime/net/checksum.ts, runtime/kv/crc32.ts) and uses these when the kernel offers them. */
#include <stdint.h>
#include "byte-loops.h"

enum { CRC_TABLE_SIZE = 256 };
#define CRC32_POLYNOMIAL 0xEDB88320u

uint64_t sum16_big_endian(const uint8_t *bytes, size_t length) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 1 < length; i += 2) sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
  if (i < length) sum += (uint32_t)bytes[i] << 8;
  return sum;
}

uint64_t copy_sum16_big_endian(uint8_t *to, const uint8_t *from, size_t length) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 1 < length; i += 2) {
    to[i] = from[i];
    to[i + 1] = from[i + 1];
    sum += (uint32_t)(from[i] << 8 | from[i + 1]);
  }
  if (i < length) {
    to[i] = from[i];
    sum += (uint32_t)from[i] << 8;
  }
  return sum;
}

uint32_t crc32_update(uint32_t crc, const uint8_t *bytes, size_t length) {
  static uint32_t table[CRC_TABLE_SIZE];
  static int ready;
  if (!ready) {
    for (uint32_t n = 0; n < CRC_TABLE_SIZE; n++) {
      uint32_t c = n;
      for (int k = 0; k < 8; k++) c = c & 1 ? CRC32_POLYNOMIAL ^ (c >> 1) : c >> 1;
      table[n] = c;
    }
    ready = 1;
  }
  uint32_t c = ~crc;
  for (size_t i = 0; i < length; i++) c = table[(c ^ bytes[i]) & 0xFF] ^ (c >> 8);
  return ~c;
}
