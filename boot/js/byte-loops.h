#pragma once
#include <stddef.h>
#include <stdint.h>

/* Sum of big-endian 16-bit words, an odd last byte zero-padded (RFC 1071), unfolded. */
uint64_t sum16_big_endian(const uint8_t *bytes, size_t length);
/* CRC-32 (IEEE, reflected) continued from `crc` (0 to start). */
uint32_t crc32_update(uint32_t crc, const uint8_t *bytes, size_t length);
/* Copies `length` bytes and returns their big-endian 16-bit word sum, as sum16 over the copy. */
uint64_t copy_sum16_big_endian(uint8_t *to, const uint8_t *from, size_t length);
