#include "syscall.h"
#include <stdint.h>
#include "console.h"
#include "cpu.h"
#include "io.h"
#include "memory.h"
#include "time.h"

enum {
  SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_lseek = 8, SYS_mmap = 9,
  SYS_mprotect = 10, SYS_munmap = 11, SYS_brk = 12, SYS_rt_sigaction = 13, SYS_rt_sigprocmask = 14,
  SYS_ioctl = 16, SYS_writev = 20, SYS_sched_yield = 24, SYS_mremap = 25, SYS_madvise = 28,
  SYS_getpid = 39, SYS_exit = 60, SYS_kill = 62, SYS_gettimeofday = 96, SYS_arch_prctl = 158,
  SYS_gettid = 186, SYS_tkill = 200, SYS_futex = 202, SYS_set_tid_address = 218,
  SYS_clock_gettime = 228, SYS_exit_group = 231, SYS_tgkill = 234, SYS_openat = 257,
};
enum { E_NOENT = 2, E_BADF = 9, E_NOMEM = 12, E_INVAL = 22, E_NOTTY = 25, E_SPIPE = 29, E_NOSYS = 38 };
enum {
  STDIN = 0, STDOUT = 1, STDERR = 2, TIOCGWINSZ = 0x5413, ARCH_SET_FS = 0x1002,
  MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, CLOCK_REALTIME = 0,
  RFLAGS_TF = 1 << 8, RFLAGS_IF = 1 << 9, RFLAGS_DF = 1 << 10, RFLAGS_AC = 1 << 18,
  KERNEL_CODE_SELECTOR = 0x08,
};

struct iovec_k { const char *base; uint64_t length; };
struct timespec_k { int64_t seconds, nanoseconds; };
struct timeval_k { int64_t seconds, microseconds; };
struct winsize_k { uint16_t rows, cols, x_pixels, y_pixels; };

extern void syscall_entry(void);

void syscall_init(void) {
  wrmsr(MSR_STAR, (uint64_t)KERNEL_CODE_SELECTOR << 32);
  wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
  wrmsr(MSR_SFMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_AC);
}

static int64_t write_fd(int64_t fd, const char *p, uint64_t n) {
  if (fd != STDOUT && fd != STDERR) return -E_BADF;
  console_write(p, n);
  return (int64_t)n;
}

static int64_t do_mmap(uint64_t length, int64_t flags, int64_t fd) {
  if (!(flags & MAP_ANONYMOUS) || (flags & MAP_FIXED) || fd != -1) return -E_INVAL;
  uint64_t address = pages_alloc(length, PAGE_SIZE, FOUR_GIB);
  return address ? (int64_t)address : -E_NOMEM;
}

int64_t syscall_dispatch(int64_t n, int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5) {
  (void)a4;
  (void)a5;
  switch (n) {
    case SYS_read: return a0 == STDIN ? 0 : -E_BADF;
    case SYS_write: return write_fd(a0, (const char *)a1, (uint64_t)a2);
    case SYS_writev: {
      const struct iovec_k *iov = (const void *)a1;
      int64_t total = 0;
      for (int64_t i = 0; i < a2; i++) {
        int64_t r = write_fd(a0, iov[i].base, iov[i].length);
        if (r < 0) return r;
        total += r;
      }
      return total;
    }
    case SYS_open: case SYS_openat: return -E_NOENT;
    case SYS_close: return 0;
    case SYS_lseek: return -E_SPIPE;
    case SYS_mmap: return do_mmap((uint64_t)a1, a3, a4);
    case SYS_munmap: pages_free((uint64_t)a0, (uint64_t)a1); return 0;
    case SYS_mremap: return -E_NOMEM;
    case SYS_brk: return 0;
    case SYS_mprotect: case SYS_madvise: case SYS_rt_sigaction: case SYS_rt_sigprocmask:
    case SYS_sched_yield: case SYS_futex: return 0;
    case SYS_ioctl:
      if (a1 == TIOCGWINSZ && (a0 == STDOUT || a0 == STDERR)) {
        *(struct winsize_k *)a2 = (struct winsize_k){.rows = 25, .cols = 80};
        return 0;
      }
      return -E_NOTTY;
    case SYS_getpid: case SYS_gettid: case SYS_set_tid_address: return 1;
    case SYS_arch_prctl:
      if (a0 != ARCH_SET_FS) return -E_INVAL;
      wrmsr(MSR_FS_BASE, (uint64_t)a1);
      return 0;
    case SYS_clock_gettime: {
      struct timespec_k *ts = (void *)a1;
      uint64_t ns = a0 == CLOCK_REALTIME ? wall_clock_ms() * 1000000ull : monotonic_ns();
      ts->seconds = (int64_t)(ns / 1000000000ull);
      ts->nanoseconds = (int64_t)(ns % 1000000000ull);
      return 0;
    }
    case SYS_gettimeofday: {
      struct timeval_k *tv = (void *)a0;
      uint64_t ms = wall_clock_ms();
      if (tv) *tv = (struct timeval_k){(int64_t)(ms / 1000), (int64_t)(ms % 1000) * 1000};
      return 0;
    }
    case SYS_exit: case SYS_exit_group: machine_exit((int)a0);
    case SYS_kill: case SYS_tkill: case SYS_tgkill: panic("abort() called");
    default:
      kprintf("vireo: unsupported system call %ld\n", n);
      return -E_NOSYS;
  }
}
