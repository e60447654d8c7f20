// Interrupt delivery on the real machine: ACPI's MADT, an I/O APIC route for the RTC's periodic
// interrupt (ISA IRQ 8), handlers run from the event loop, and a halted CPU woken by them.
// pc and q35 deliver the PIT's ISA IRQ 0 on GSI 2; a microvm (expect-machine=microvm), with or
// without ACPI, has no such override.
import type { InterruptRouter } from "../../../kernel/irq/router";
import type { PortIo } from "../../../kernel/platform";
import { expectEqual, expectTrue, type TestRegistry } from "../harness";
import { MICROVM } from "./platform";

const IO_APIC_DEFAULT_ADDRESS = 0xfec0_0000;
const PIT_ISA_IRQ = 0;
const PIT_GSI = 2;
const RTC_ISA_IRQ = 8;
const CMOS_ADDRESS = 0x70;
const CMOS_DATA = 0x71;
const RTC_STATUS_A = 0x0a;
const RTC_STATUS_B = 0x0b;
const RTC_STATUS_C = 0x0c;
const RTC_RATE_MASK = 0x0f;
/** Rate 6: 32768 >> (6 - 1) = 1024 interrupts per second. */
const RTC_RATE_1024_HZ = 6;
const RTC_PERIODIC_ENABLE = 0x40;
const MEASURE_MS = 200;
const MIN_EXPECTED = 20;

function cmosRead(ports: PortIo, register: number): number {
  ports.write8(CMOS_ADDRESS, register);
  return ports.read8(CMOS_DATA);
}

function cmosWrite(ports: PortIo, register: number, value: number): void {
  ports.write8(CMOS_ADDRESS, register);
  ports.write8(CMOS_DATA, value);
}

export function interruptSuite(t: TestRegistry, ports: PortIo, interrupts: InterruptRouter, machine: string): void {
  const microvm = machine === MICROVM;
  t.test(`the interrupt layout lists the I/O APIC and ${microvm ? "no" : "the timer's"} source override`, () => {
    const madt = interrupts.loadMadt();
    expectEqual(madt.ioApics[0]?.address, IO_APIC_DEFAULT_ADDRESS, "I/O APIC address");
    const pit = madt.overrides.find((o) => o.isaIrq === PIT_ISA_IRQ);
    expectEqual(pit?.gsi, microvm ? undefined : PIT_GSI, "where ISA IRQ 0 arrives");
  });

  t.test("an I/O APIC route delivers the RTC periodic interrupt to a handler in the event loop", async () => {
    let count = 0;
    const line = interrupts.routeIsaIrq(RTC_ISA_IRQ, () => {
      count++;
      cmosRead(ports, RTC_STATUS_C);
    });
    const statusA = cmosRead(ports, RTC_STATUS_A);
    const statusB = cmosRead(ports, RTC_STATUS_B);
    cmosWrite(ports, RTC_STATUS_A, (statusA & ~RTC_RATE_MASK) | RTC_RATE_1024_HZ);
    cmosWrite(ports, RTC_STATUS_B, statusB | RTC_PERIODIC_ENABLE);
    cmosRead(ports, RTC_STATUS_C);
    const deliveredBefore = interrupts.dispatcher.delivered;
    try {
      await new Promise<void>((resolve) => setTimeout(() => resolve(), MEASURE_MS));
    } finally {
      cmosWrite(ports, RTC_STATUS_B, statusB);
      cmosWrite(ports, RTC_STATUS_A, statusA);
      line.release();
    }
    expectTrue(count >= MIN_EXPECTED, `${count} RTC interrupts in ${MEASURE_MS} ms`);
    expectTrue(interrupts.dispatcher.delivered - deliveredBefore >= count, "every handled interrupt was dispatched");
  });
}
