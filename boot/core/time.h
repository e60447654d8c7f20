/* TSC clock calibrated against the PIT or the CMOS RTC (or set from declared rates when the
   machine has neither), wall-clock time from the CMOS RTC, and the local APIC one-shot timer that
   wakes a halted CPU at a deadline. */
#pragma once
#include <stdint.h>

void time_init(void);
/* Nanoseconds since kernel entry. */
uint64_t monotonic_ns(void);
/* Milliseconds since the Unix epoch. */
uint64_t wall_clock_ms(void);
/* Halts until an interrupt or until monotonic_ns() >= deadline_ns (deadline < 0: no deadline). */
void wait_for_interrupt(int64_t deadline_ns);
/* Nanoseconds spent halted in wait_for_interrupt since boot: the rest of monotonic_ns() is the CPU at work. */
uint64_t halted_ns(void);
uint64_t tsc_hz(void);
/* "pit" or "rtc": what time_init calibrated against; "none" when the machine has neither (or an
   RTC without its periodic flag). */
const char *clock_calibration_source(void);
/* Whether the wall clock came from an RTC (otherwise it counts from the Unix epoch). */
int wall_clock_known(void);
/* Sets the TSC rate (a declared one; 0 is ignored). */
void clock_set_tsc_hz(uint64_t hz);
/* The APIC bus clock the LAPIC timer counts (before its divider), and setting it (0 is ignored). */
uint64_t apic_bus_hz(void);
void clock_set_apic_bus_hz(uint64_t hz);
/* The APIC bus clock measured against the TSC at its current rate; 0 if that cannot be done. */
uint64_t clock_measure_apic_bus_hz(void);
/* The boot CPU's local APIC ID: the destination of MSI messages and I/O APIC routes. */
uint32_t local_apic_id(void);
