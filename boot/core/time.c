#include "time.h"
#include "console.h"
#include "cpu.h"
#include "io.h"

/* The clock is calibrated against PIT channel 2's count where port 0x61 gates it (pc and q35):
   each end of a window reads the PIT, the TSC and the LAPIC timer back to back, so a host that
   deschedules the virtual CPU in between skews nothing. Without port 0x61 (microvm, with or
   without its PIT) it is calibrated against the CMOS RTC's periodic flag, which every QEMU x86
   machine has: set at a fixed rate from the RTC's 32.768 kHz crystal while the periodic interrupt
   is enabled (the interrupt itself stays masked in the PIC and I/O APIC). A flag seen late counts
   the delay as RTC time, so the PIT is preferred where it can be gated. A machine with neither
   (microvm with pit=off,rtc=off; a monitor without them) leaves the clock uncalibrated here:
   TypeScript then sets the rates from what the CPU or the command line declares
   (kernel/timers/clock-setup.ts), and the monotonic clock reads 0 until it does. */
enum {
  RTC_STATUS_C = 0x0C, RTC_RATE_MASK = 0x0F, RTC_PERIODIC_ENABLE = 0x40, RTC_PERIODIC_FLAG = 0x40,
  RTC_RATE_8192_HZ = 3, RTC_PERIODIC_HZ = 8192, RTC_ABSENT = 0xFF,
  /* The periodic flags of 4 ms, each sighting timed: an emulator that sets a flag late (its timer
     thread descheduled) makes one period long and the next short, or swallows periods, so counting
     sightings put a loaded host's 2.1 GHz TSC at 1.9 to 8.8 GHz. The median period tells how many
     periods the whole window really held. */
  CALIBRATION_PERIODS = 32,
  /* Port reads before the RTC counts as silent: each costs at least a microsecond, so about
     a second, far beyond one 122 us period. Where each read is an exit to a monitor's own
     process (an RTC without the periodic flag: Cloud Hypervisor) they cost several times more,
     so the wait is also bounded by TSC ticks: 2^31 are at least 0.2 s for a TSC below 10 GHz. */
  RTC_MAX_POLLS = 1000000,
  PIT_HZ = 1193182, PIT_CHANNEL2 = 0x42, PIT_COMMAND = 0x43, PIT_CHANNEL2_ONESHOT = 0xB0,
  PIT_LATCH_CHANNEL2 = 0x80, PIT_COUNT_MAX = 0xFFFF,
  PORT_B = 0x61, PORT_B_GATE2 = 0x01, PORT_B_SPEAKER = 0x02, PORT_B_OUT2 = 0x20, PORT_ABSENT = 0xFF,
  /* 2 ms of PIT ticks per measurement, 3 measurements (a few more tries if the count wraps). The
     readings at both ends are exact to a PIT tick, so 2 ms already pins the rate within 0.1%;
     longer windows only delayed the boot (they were 5 ms). */
  CALIBRATION_PIT_TICKS = PIT_HZ / 500, CALIBRATION_SAMPLES = 3, CALIBRATION_ATTEMPTS = 6,
  PIC1_COMMAND = 0x20, PIC1_DATA = 0x21, PIC2_COMMAND = 0xA0, PIC2_DATA = 0xA1,
  PIC_INIT = 0x11, PIC_8086 = 0x01, PIC_MASK_ALL = 0xFF, PIC_REMAP_BASE = 0xF0,
  CMOS_ADDRESS = 0x70, CMOS_DATA = 0x71, RTC_SECONDS = 0x00, RTC_MINUTES = 0x02, RTC_HOURS = 0x04,
  RTC_DAY = 0x07, RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_CENTURY = 0x32, RTC_STATUS_A = 0x0A,
  RTC_STATUS_B = 0x0B, RTC_UPDATING = 0x80, RTC_BINARY = 0x04, RTC_24_HOUR = 0x02, RTC_PM = 0x80,
  LAPIC_ID = 0x20, LAPIC_ID_SHIFT = 24, LAPIC_TPR = 0x80, LAPIC_EOI = 0xB0, LAPIC_SVR = 0xF0, LAPIC_LVT_TIMER = 0x320,
  LAPIC_TIMER_INITIAL = 0x380, LAPIC_TIMER_CURRENT = 0x390, LAPIC_TIMER_DIVIDE = 0x3E0,
  LAPIC_SVR_ENABLE = 0x100, LAPIC_DIVIDE_16 = 0x3, LAPIC_LVT_MASKED = 1 << 16,
  TIMER_VECTOR = IRQ_VECTOR_FIRST, SPURIOUS_VECTOR = 0xFF,
  /* The timer counts the APIC bus clock divided by LAPIC_DIVIDE_16. */
  LAPIC_DIVIDER = 16, MS_PER_SECOND = 1000,
  /* Measuring the LAPIC timer against a TSC of declared rate: a 2 ms window, both clocks read back
     to back at each end. Each spin reads the LAPIC (at least a few hundred nanoseconds under
     emulation), so the bound is seconds, far beyond the window. */
  APIC_WINDOWS_PER_SECOND = 500, APIC_MEASURE_MAX_SPINS = 10000000,
};
#define LAPIC_BASE_MASK 0xFFFFF000ull
#define NS_PER_SECOND 1000000000ull
/* Longer waits are split: the caller re-checks its deadline after each wake. */
#define MAX_SINGLE_WAIT_NS (10 * NS_PER_SECOND)
#define RTC_MAX_WAIT_TSC_TICKS (1ull << 31)

extern uint64_t boot_entry_tsc;
static uint64_t tsc_frequency, ns_per_tsc_q32, lapic_ticks_per_ms;
static volatile uint32_t *lapic;
static uint64_t boot_wall_ms;
static int rtc_present;
static const char *calibration_source = "none";

static uint32_t lapic_read(uint32_t reg) { return lapic[reg / 4]; }
static void lapic_write(uint32_t reg, uint32_t v) { lapic[reg / 4] = v; }
static void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

static void pic_disable(void) {
  outb(PIC1_COMMAND, PIC_INIT);
  outb(PIC2_COMMAND, PIC_INIT);
  outb(PIC1_DATA, PIC_REMAP_BASE);
  outb(PIC2_DATA, PIC_REMAP_BASE + 8);
  outb(PIC1_DATA, 4);
  outb(PIC2_DATA, 2);
  outb(PIC1_DATA, PIC_8086);
  outb(PIC2_DATA, PIC_8086);
  outb(PIC1_DATA, PIC_MASK_ALL);
  outb(PIC2_DATA, PIC_MASK_ALL);
}

/* PIT channel 2's count, latched and read (it counts down in mode 0, lobyte/hibyte access). */
static uint16_t pit2_count(void) {
  outb(PIT_COMMAND, PIT_LATCH_CHANNEL2);
  uint8_t low = inb(PIT_CHANNEL2);
  return (uint16_t)(low | (uint16_t)inb(PIT_CHANNEL2) << 8);
}

struct clock_reading { uint16_t pit; uint64_t tsc; uint32_t lapic; };

/* The three clocks read back to back: only a pause inside these few instructions skews a reading. */
static void read_clocks(struct clock_reading *r) {
  r->pit = pit2_count();
  r->tsc = rdtsc();
  r->lapic = lapic_read(LAPIC_TIMER_CURRENT);
}

/*
 * One measurement of the TSC and LAPIC timer rates against CALIBRATION_PIT_TICKS of the PIT.
 * Both ends are readings of all three clocks at one instant, so time lost while spinning in
 * between (a host that deschedules a virtual CPU, an SMI) changes nothing; waiting for the PIT's
 * output instead would count that time as PIT time. 0 when the count ran past zero meanwhile.
 */
static int measure_rates(uint64_t *tsc_hz_out, uint64_t *lapic_per_ms_out) {
  struct clock_reading start, end;
  outb(PIT_COMMAND, PIT_CHANNEL2_ONESHOT);
  outb(PIT_CHANNEL2, PIT_COUNT_MAX & 0xFF);
  outb(PIT_CHANNEL2, PIT_COUNT_MAX >> 8);
  lapic_write(LAPIC_TIMER_INITIAL, 0xFFFFFFFFu);
  read_clocks(&start);
  do read_clocks(&end);
  while ((uint16_t)(start.pit - end.pit) < CALIBRATION_PIT_TICKS && !(inb(PORT_B) & PORT_B_OUT2));
  int counted_past_zero = (inb(PORT_B) & PORT_B_OUT2) != 0;
  lapic_write(LAPIC_TIMER_INITIAL, 0);
  if (counted_past_zero) return 0;
  uint64_t pit_ticks = (uint16_t)(start.pit - end.pit);
  *tsc_hz_out = (end.tsc - start.tsc) * PIT_HZ / pit_ticks;
  *lapic_per_ms_out = (uint64_t)(start.lapic - end.lapic) * PIT_HZ / (pit_ticks * 1000);
  return 1;
}

static uint64_t median3(uint64_t a, uint64_t b, uint64_t c) {
  if (a > b) { uint64_t t = a; a = b; b = t; }
  if (b > c) b = c;
  return a > b ? a : b;
}

/* The median of CALIBRATION_SAMPLES measurements, so one skewed reading does not set the clock. */
static void calibrate_against_pit(void) {
  uint64_t tsc[CALIBRATION_SAMPLES], lapic_rate[CALIBRATION_SAMPLES];
  int taken = 0;
  outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
  lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_16);
  lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | TIMER_VECTOR);
  for (int attempt = 0; attempt < CALIBRATION_ATTEMPTS && taken < CALIBRATION_SAMPLES; attempt++) {
    if (measure_rates(&tsc[taken], &lapic_rate[taken])) taken++;
  }
  /* Every attempt ran past zero (a host pausing for 50 ms each time): keep what the last one saw. */
  while (taken < CALIBRATION_SAMPLES) {
    tsc[taken] = taken ? tsc[taken - 1] : PIT_HZ;
    lapic_rate[taken] = taken ? lapic_rate[taken - 1] : 1;
    taken++;
  }
  tsc_frequency = median3(tsc[0], tsc[1], tsc[2]);
  if (!tsc_frequency) tsc_frequency = PIT_HZ;
  ns_per_tsc_q32 = (uint64_t)(((__uint128_t)NS_PER_SECOND << 32) / tsc_frequency);
  lapic_ticks_per_ms = median3(lapic_rate[0], lapic_rate[1], lapic_rate[2]);
  if (!lapic_ticks_per_ms) lapic_ticks_per_ms = 1;
}

static uint8_t cmos(uint8_t reg) {
  outb(CMOS_ADDRESS, reg);
  return inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t value) {
  outb(CMOS_ADDRESS, reg);
  outb(CMOS_DATA, value);
}

/* Waits for the next periodic flag (reading register C clears it); 0 if it never came. */
static int rtc_next_period(void) {
  uint64_t start = rdtsc();
  for (uint32_t i = 0; i < RTC_MAX_POLLS && rdtsc() - start < RTC_MAX_WAIT_TSC_TICKS; i++)
    if (cmos(RTC_STATUS_C) & RTC_PERIODIC_FLAG) return 1;
  return 0;
}

/* The middle value of `count` values (sorted in place; count is small and fixed). */
static uint64_t median(uint64_t *values, int count) {
  for (int i = 1; i < count; i++)
    for (int j = i; j > 0 && values[j - 1] > values[j]; j--) {
      uint64_t t = values[j];
      values[j] = values[j - 1];
      values[j - 1] = t;
    }
  return values[count / 2];
}

/* 0 when the periodic flag never came (an RTC that keeps the date but no periodic flag, as Cloud
   Hypervisor's): the clock is then left to the declared rates, as without an RTC. */
static int calibrate_against_rtc(void) {
  uint64_t tsc_period[CALIBRATION_PERIODS], lapic_period[CALIBRATION_PERIODS];
  uint8_t status_a = cmos(RTC_STATUS_A), status_b = cmos(RTC_STATUS_B);
  cmos_write(RTC_STATUS_A, (uint8_t)((status_a & ~RTC_RATE_MASK) | RTC_RATE_8192_HZ));
  cmos_write(RTC_STATUS_B, status_b | RTC_PERIODIC_ENABLE);
  lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_16);
  lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | TIMER_VECTOR);
  lapic_write(LAPIC_TIMER_INITIAL, 0xFFFFFFFFu);
  cmos(RTC_STATUS_C);
  int ticking = rtc_next_period();
  uint64_t tsc = rdtsc();
  uint32_t count = lapic_read(LAPIC_TIMER_CURRENT);
  for (int i = 0; i < CALIBRATION_PERIODS && ticking; i++) {
    ticking = rtc_next_period();
    uint64_t tsc_now = rdtsc();
    uint32_t count_now = lapic_read(LAPIC_TIMER_CURRENT);
    tsc_period[i] = tsc_now - tsc;
    lapic_period[i] = count - count_now;
    tsc = tsc_now;
    count = count_now;
  }
  lapic_write(LAPIC_TIMER_INITIAL, 0);
  cmos_write(RTC_STATUS_B, status_b);
  cmos_write(RTC_STATUS_A, status_a);
  cmos(RTC_STATUS_C);
  if (!ticking) return 0;
  uint64_t window_tsc = 0, window_lapic = 0;
  for (int i = 0; i < CALIBRATION_PERIODS; i++) {
    window_tsc += tsc_period[i];
    window_lapic += lapic_period[i];
  }
  uint64_t typical = median(tsc_period, CALIBRATION_PERIODS);
  uint64_t periods = typical ? (window_tsc + typical / 2) / typical : 0;
  if (!periods) return 0;
  tsc_frequency = window_tsc * RTC_PERIODIC_HZ / periods;
  ns_per_tsc_q32 = (uint64_t)(((__uint128_t)NS_PER_SECOND << 32) / tsc_frequency);
  lapic_ticks_per_ms = window_lapic * RTC_PERIODIC_HZ / periods / MS_PER_SECOND;
  if (!lapic_ticks_per_ms) lapic_ticks_per_ms = 1;
  return 1;
}

static void calibrate(void) {
  rtc_present = cmos(RTC_STATUS_A) != RTC_ABSENT;
  if (inb(PORT_B) != PORT_ABSENT) {
    calibrate_against_pit();
    calibration_source = "pit";
  } else if (rtc_present && calibrate_against_rtc()) {
    calibration_source = "rtc";
  }
}

static uint64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (uint64_t)(era * 146097 + (int64_t)doe - 719468);
}

static uint64_t read_rtc_ms(void) {
  uint8_t t[7], again[7];
  const uint8_t regs[7] = {RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY, RTC_MONTH, RTC_YEAR, RTC_CENTURY};
  int same;
  do {
    while (cmos(RTC_STATUS_A) & RTC_UPDATING) {}
    for (int i = 0; i < 7; i++) t[i] = cmos(regs[i]);
    while (cmos(RTC_STATUS_A) & RTC_UPDATING) {}
    same = 1;
    for (int i = 0; i < 7; i++) { again[i] = cmos(regs[i]); same &= again[i] == t[i]; }
  } while (!same);
  uint8_t status = cmos(RTC_STATUS_B);
  int pm = t[2] & RTC_PM;
  t[2] &= ~RTC_PM;
  if (!(status & RTC_BINARY))
    for (int i = 0; i < 7; i++) t[i] = (uint8_t)((t[i] & 0x0F) + (t[i] >> 4) * 10);
  if (!(status & RTC_24_HOUR) && pm) t[2] = (uint8_t)((t[2] % 12) + 12);
  int64_t year = (t[6] ? t[6] : 20) * 100 + t[5];
  uint64_t days = days_from_civil(year, t[4], t[3]);
  return ((days * 24 + t[2]) * 60 + t[1]) * 60000ull + t[0] * 1000ull;
}

void time_init(void) {
  pic_disable();
  lapic = (volatile uint32_t *)(uintptr_t)(rdmsr(MSR_APIC_BASE) & LAPIC_BASE_MASK);
  lapic_write(LAPIC_TPR, 0);
  lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | SPURIOUS_VECTOR);
  irq_acknowledge = lapic_eoi;
  calibrate();
  lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR);
  /* Without an RTC the wall clock starts at the Unix epoch (TypeScript warns about it). */
  if (rtc_present) boot_wall_ms = read_rtc_ms() - monotonic_ns() / 1000000;
}

uint64_t tsc_hz(void) { return tsc_frequency; }

const char *clock_calibration_source(void) { return calibration_source; }

int wall_clock_known(void) { return rtc_present; }

void clock_set_tsc_hz(uint64_t hz) {
  if (!hz) return;
  tsc_frequency = hz;
  ns_per_tsc_q32 = (uint64_t)(((__uint128_t)NS_PER_SECOND << 32) / tsc_frequency);
}

uint64_t apic_bus_hz(void) { return lapic_ticks_per_ms * MS_PER_SECOND * LAPIC_DIVIDER; }

void clock_set_apic_bus_hz(uint64_t hz) {
  uint64_t per_ms = hz / LAPIC_DIVIDER / MS_PER_SECOND;
  if (per_ms) lapic_ticks_per_ms = per_ms;
}

uint64_t clock_measure_apic_bus_hz(void) {
  if (!tsc_frequency) return 0;
  uint64_t window = tsc_frequency / APIC_WINDOWS_PER_SECOND, start_tsc, end_tsc = 0;
  uint32_t start_count, end_count = 0;
  lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_16);
  lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | TIMER_VECTOR);
  lapic_write(LAPIC_TIMER_INITIAL, 0xFFFFFFFFu);
  start_tsc = rdtsc();
  start_count = lapic_read(LAPIC_TIMER_CURRENT);
  for (uint32_t i = 0; i < APIC_MEASURE_MAX_SPINS; i++) {
    end_tsc = rdtsc();
    end_count = lapic_read(LAPIC_TIMER_CURRENT);
    if (end_tsc - start_tsc >= window) break;
  }
  lapic_write(LAPIC_TIMER_INITIAL, 0);
  lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR);
  if (end_tsc - start_tsc < window) return 0;
  return (uint64_t)(start_count - end_count) * LAPIC_DIVIDER * tsc_frequency / (end_tsc - start_tsc);
}

uint64_t monotonic_ns(void) {
  return (uint64_t)(((__uint128_t)(rdtsc() - boot_entry_tsc) * ns_per_tsc_q32) >> 32);
}

uint64_t wall_clock_ms(void) { return boot_wall_ms + monotonic_ns() / 1000000; }

uint32_t local_apic_id(void) { return lapic_read(LAPIC_ID) >> LAPIC_ID_SHIFT; }

/* TSC ticks spent halted (see halted_ns). */
static uint64_t halted_tsc;

uint64_t halted_ns(void) { return (uint64_t)(((__uint128_t)halted_tsc * ns_per_tsc_q32) >> 32); }

void wait_for_interrupt(int64_t deadline_ns) {
  if (irq_take_pending() || irq_device_pending()) return;
  if (deadline_ns >= 0) {
    uint64_t now = monotonic_ns();
    if ((uint64_t)deadline_ns <= now) return;
    uint64_t wait = (uint64_t)deadline_ns - now;
    if (wait > MAX_SINGLE_WAIT_NS) wait = MAX_SINGLE_WAIT_NS;
    uint64_t ticks = wait * lapic_ticks_per_ms / 1000000 + 1;
    lapic_write(LAPIC_TIMER_INITIAL, ticks > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)ticks);
  }
  /* An NMI (the sampling profiler's) ends a halt too, with nothing for the caller to do: only an
     interrupt (a device's, or the timer's at the deadline) ends the wait. */
  uint64_t halt_start = rdtsc();
  do __asm__ volatile("sti; hlt; cli" ::: "memory");
  while (!irq_take_pending());
  halted_tsc += rdtsc() - halt_start;
  lapic_write(LAPIC_TIMER_INITIAL, 0);
}
