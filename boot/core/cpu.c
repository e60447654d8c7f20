#include "cpu.h"
#include "console.h"
#include "io.h"
#include "profiler.h"

enum {
  KERNEL_CODE_SELECTOR = 0x08, TSS_SELECTOR = 0x18, GDT_TSS_SLOT = 3,
  GATE_INTERRUPT_PRESENT = 0x8E,
  IST_EXCEPTION = 1, IST_CRITICAL = 2, IST_IRQ = 3, IST_STACK_SIZE = 16384,
  VECTOR_NMI = 2, VECTOR_DOUBLE_FAULT = 8, VECTOR_PAGE_FAULT = 14, VECTOR_MACHINE_CHECK = 18,
  VECTOR_SPURIOUS = 255,
  DEBUG_EXIT_PORT = 0xF4, ACPI_PM1A_CONTROL = 0x604, ACPI_SLEEP_S5 = 0x2000,
  TSS_AVAILABLE_PRESENT = 0x89,
};

struct __attribute__((packed)) tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3, iomap_base;
};

struct __attribute__((packed)) idt_gate {
  uint16_t offset_low, selector;
  uint8_t ist, attributes;
  uint16_t offset_mid;
  uint32_t offset_high, reserved;
};

struct __attribute__((packed)) table_pointer { uint16_t limit; uint64_t base; };

extern uint64_t gdt64[];
extern const uint64_t interrupt_stubs[VECTOR_COUNT];

static struct tss tss;
static struct idt_gate idt[VECTOR_COUNT];
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
static volatile int irq_pending;
static volatile uint32_t device_vectors[VECTOR_WORDS];
void (*irq_acknowledge)(void);

static void install_tss(void) {
  for (int i = 0; i < 3; i++) tss.ist[i] = (uint64_t)(ist_stacks[i] + IST_STACK_SIZE);
  tss.iomap_base = sizeof tss;
  uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
  gdt64[GDT_TSS_SLOT] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
                        ((uint64_t)TSS_AVAILABLE_PRESENT << 40) | (((base >> 24) & 0xFF) << 56);
  gdt64[GDT_TSS_SLOT + 1] = base >> 32;
  __asm__ volatile("ltr %w0" ::"r"(TSS_SELECTOR));
}

static int ist_for(int vector) {
  if (vector == VECTOR_NMI || vector == VECTOR_DOUBLE_FAULT || vector == VECTOR_MACHINE_CHECK) return IST_CRITICAL;
  return vector < IRQ_VECTOR_FIRST ? IST_EXCEPTION : IST_IRQ;
}

void cpu_init(void) {
  install_tss();
  for (int v = 0; v < VECTOR_COUNT; v++) {
    uint64_t handler = interrupt_stubs[v];
    idt[v] = (struct idt_gate){
        .offset_low = handler & 0xFFFF, .selector = KERNEL_CODE_SELECTOR, .ist = (uint8_t)ist_for(v),
        .attributes = GATE_INTERRUPT_PRESENT, .offset_mid = (handler >> 16) & 0xFFFF,
        .offset_high = handler >> 32};
  }
  struct table_pointer pointer = {sizeof idt - 1, (uint64_t)idt};
  __asm__ volatile("lidt %0" ::"m"(pointer));
}

/* Device interrupts are acknowledged (EOI) only when the event loop takes their vectors, not here.
   A level-triggered line (INTx, a virtio-mmio line) stays asserted until its handler, which runs
   later from the loop, clears the device's status; an EOI here would make the I/O APIC deliver it
   again the moment this handler returns, before the halted loop could run at all. With the EOI
   owed, the local APIC holds further deliveries of that priority until the loop has the vectors. */
static volatile uint32_t eoi_owed;

void irq_handler(uint64_t vector) {
  if (vector == VECTOR_SPURIOUS) return;
  irq_pending = 1;
  if (vector >= DEVICE_VECTOR_FIRST) {
    device_vectors[vector / 32] |= 1u << (vector % 32);
    eoi_owed++;
    return;
  }
  if (irq_acknowledge) irq_acknowledge();
}

int irq_device_pending(void) {
  for (int i = 0; i < VECTOR_WORDS; i++)
    if (device_vectors[i]) return 1;
  return 0;
}

/* Runs with interrupts disabled (they are only enabled while halted), so no update is lost. */
int irq_take_vectors(uint32_t out[VECTOR_WORDS]) {
  int count = 0;
  for (int i = 0; i < VECTOR_WORDS; i++) {
    out[i] = device_vectors[i];
    device_vectors[i] = 0;
    count += __builtin_popcount(out[i]);
  }
  for (; eoi_owed; eoi_owed--)
    if (irq_acknowledge) irq_acknowledge();
  return count;
}

int irq_take_pending(void) {
  int pending = irq_pending;
  irq_pending = 0;
  return pending;
}

void machine_exit(int status) {
  profiler_finish();
  outl(DEBUG_EXIT_PORT, (uint32_t)status);
  outw(ACPI_PM1A_CONTROL, ACPI_SLEEP_S5);
  cpu_halt_forever();
  __builtin_unreachable();
}

void panic(const char *reason) {
  kprintf("\nKERNEL PANIC: %s\n", reason);
  js_print_backtrace();
  machine_exit(EXIT_STATUS_PANIC);
}

static const char *const exception_names[32] = {
    "divide error", "debug", "non-maskable interrupt", "breakpoint", "overflow", "bound range exceeded",
    "invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
    "invalid TSS", "segment not present", "stack-segment fault", "general protection fault", "page fault",
    "reserved", "x87 floating-point error", "alignment check", "machine check", "SIMD floating-point error",
    "virtualization exception", "control protection exception"};

void exception_handler(struct interrupt_frame *f);
void nmi_handler(struct interrupt_frame *f);

void nmi_handler(struct interrupt_frame *f) {
  if (!profiler_nmi(f)) exception_handler(f);
}

void exception_handler(struct interrupt_frame *f) {
  const char *name = exception_names[f->vector] ? exception_names[f->vector] : "reserved";
  kprintf("\nCPU EXCEPTION %lu (%s) error=%lx\n", f->vector, name, f->error_code);
  kprintf("  rip=%016lx rsp=%016lx rflags=%016lx cs=%lx\n", f->rip, f->rsp, f->rflags, f->cs);
  if (f->vector == VECTOR_PAGE_FAULT) kprintf("  cr2=%016lx (faulting address)\n", read_cr2());
  kprintf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
  kprintf("  rsi=%016lx rdi=%016lx rbp=%016lx r8=%016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
  js_print_backtrace();
  machine_exit(EXIT_STATUS_PANIC);
}
