/* Kernel entry in long mode: bring up the CPU, memory, clock and system calls, then start the
   C library (which sets up thread-local storage through arch_prctl) and hand over to JS. */
#include <stdint.h>
#include "console.h"
#include "cpu.h"
#include "io.h"
#include "memory.h"
#include "syscall.h"
#include "time.h"

enum { AT_NULL = 0, AT_PAGESZ = 6, AT_RANDOM = 25, EARLY_TLS_SIZE = 256 };

extern uint32_t boot_magic, boot_info;
int js_main(int argc, char **argv, char **envp);
int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*ldso)(void));

/* Compiled code reads the stack-protector canary at %fs:0x28 even before the C library runs. */
static uint64_t early_tls[EARLY_TLS_SIZE / 8];

void kernel_main(void) {
  early_tls[0] = (uint64_t)early_tls;
  wrmsr(MSR_FS_BASE, (uint64_t)early_tls);
  console_init();
  boot_info_read(boot_magic, boot_info);
  cpu_init();
  page_allocator_init();
  syscall_init();
  time_init();

  static uint64_t random_bytes[2];
  random_bytes[0] = rdtsc() * 0x9E3779B97F4A7C15ull;
  random_bytes[1] = monotonic_ns() ^ wall_clock_ms();
  static char program_name[] = "vireo";
  static uintptr_t start_stack[] = {
      (uintptr_t)program_name, 0,            /* argv */
      0,                                     /* envp */
      AT_PAGESZ, PAGE_SIZE, AT_RANDOM, (uintptr_t)random_bytes, AT_NULL, 0};
  __libc_start_main(js_main, 1, (char **)start_stack, 0, 0, 0);
  panic("C library start-up returned");
}
