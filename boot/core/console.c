#include "console.h"
#include <stdarg.h>
#include "io.h"

enum {
  COM1 = 0x3F8,
  UART_DATA = 0, UART_IER = 1, UART_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5,
  UART_DLL = 0, UART_DLM = 1,
  LCR_DLAB = 0x80, LCR_8N1 = 0x03, FCR_ENABLE_CLEAR = 0x07, MCR_DTR_RTS_OUT2 = 0x0B,
  LSR_THR_EMPTY = 0x20, DIVISOR_115200 = 1,
};

void console_init(void) {
  outb(COM1 + UART_IER, 0);
  outb(COM1 + UART_LCR, LCR_DLAB);
  outb(COM1 + UART_DLL, DIVISOR_115200);
  outb(COM1 + UART_DLM, 0);
  outb(COM1 + UART_LCR, LCR_8N1);
  outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
  outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

static void put(char c) {
  while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY)) {}
  outb(COM1 + UART_DATA, (uint8_t)c);
}

void console_write(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n') put('\r');
    put(s[i]);
  }
}

void console_puts(const char *s) {
  while (*s) {
    if (*s == '\n') put('\r');
    put(*s++);
  }
}

static void put_unsigned(uint64_t v, unsigned base, int width, char pad) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  while (n < width) buf[n++] = pad;
  while (n) put(buf[--n]);
}

void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      if (*p == '\n') put('\r');
      put(*p);
      continue;
    }
    p++;
    char pad = ' ';
    int width = 0, is_long = 0;
    if (*p == '0') { pad = '0'; p++; }
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    if (*p == 'l') { is_long = 1; p++; }
    switch (*p) {
      case 's': { const char *s = va_arg(ap, const char *); console_puts(s ? s : "(null)"); break; }
      case 'c': put((char)va_arg(ap, int)); break;
      case 'd': {
        int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);
        if (v < 0) { put('-'); v = -v; }
        put_unsigned((uint64_t)v, 10, width, pad);
        break;
      }
      case 'u': put_unsigned(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width, pad); break;
      case 'x': put_unsigned(is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width, pad); break;
      case 'p': console_puts("0x"); put_unsigned((uint64_t)va_arg(ap, void *), 16, 16, '0'); break;
      case '%': put('%'); break;
      default: put('?'); break;
    }
  }
  va_end(ap);
}
