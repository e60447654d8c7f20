/* COM1 serial console and a small formatter that is safe in interrupt and syscall paths
   (no libc, no floating point). */
#pragma once
#include <stddef.h>
#include <stdint.h>

void console_init(void);
void console_write(const char *s, size_t n);
void console_puts(const char *s);
/* Supports %s %c %d %u %x %lx %lu %ld %p and a zero-padded width (%016lx). */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
