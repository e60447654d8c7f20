/* Descriptor tables, interrupt entry and the panic path. */
#pragma once
#include <stdint.h>

struct interrupt_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code, rip, cs, rflags, rsp, ss;
};

enum {
  EXIT_STATUS_PANIC = 70,
  IRQ_VECTOR_FIRST = 32,
  /* Vectors from here up are handed to TypeScript (MSI-X, I/O APIC lines). */
  DEVICE_VECTOR_FIRST = 48,
  VECTOR_COUNT = 256,
  VECTOR_WORDS = VECTOR_COUNT / 32,
};

void cpu_init(void);
/* Whether any interrupt arrived since the last call; clears the flag. */
int irq_take_pending(void);
/* Whether a device vector is waiting to be taken by irq_take_vectors. */
int irq_device_pending(void);
/* Moves the set of device vectors that fired into `out` (one bit per vector); returns how many. */
int irq_take_vectors(uint32_t out[VECTOR_WORDS]);
/* Ends the machine: QEMU's isa-debug-exit if present, else ACPI power-off, else halt. */
void machine_exit(int status) __attribute__((noreturn));
void panic(const char *reason) __attribute__((noreturn));

/* Set by the local APIC driver: acknowledges an interrupt. */
extern void (*irq_acknowledge)(void);
/* Provided by the JS glue: prints the JS call stack if a JS function is running. */
void js_print_backtrace(void);
