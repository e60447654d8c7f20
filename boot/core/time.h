/* TSC clock calibrated against the PIT, wall-clock time from the CMOS RTC, and the local
   APIC one-shot timer that wakes a halted CPU at a deadline. */
#pragma once
#include <stdint.h>

void time_init(void);
/* Nanoseconds since kernel entry. */
uint64_t monotonic_ns(void);
/* Milliseconds since the Unix epoch. */
uint64_t wall_clock_ms(void);
/* Halts until an interrupt or until monotonic_ns() >= deadline_ns (deadline < 0: no deadline). */
void wait_for_interrupt(int64_t deadline_ns);
uint64_t tsc_hz(void);
/* The boot CPU's local APIC ID: the destination of MSI messages and I/O APIC routes. */
uint32_t local_apic_id(void);
