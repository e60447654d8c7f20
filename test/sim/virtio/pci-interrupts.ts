/**
 * How a virtio PCI function signals: an MSI-X message for the vector its register names while
 * MSI-X is enabled (NO_VECTOR: nothing), otherwise its INTx line, asserted while the ISR is
 * non-zero and the command register's interrupt-disable bit is clear.
 */
import { PciCommand } from "../../../kernel/pci/registers";
import type { SimIoApic } from "../ioapic";
import type { SimMsix } from "../msix";
import type { SimPciFunction } from "../pci";
import type { InterruptSink, VirtioDeviceModel } from "./device-model";
import { VIRTIO_MSI_NO_VECTOR } from "./spec/pci-capability";

export class VirtioPciInterrupts implements InterruptSink {
  /** Events signalled while MSI-X was on but their vector register held NO_VECTOR. */
  unrouted = 0;

  constructor(
    private readonly fn: SimPciFunction,
    private readonly model: VirtioDeviceModel,
    private readonly msix: SimMsix | undefined,
    private readonly ioApic: SimIoApic,
    private readonly gsi: number,
  ) {
    ioApic.connect(gsi, () => this.intxAsserted);
    fn.onConfigWrite = () => {
      msix?.refresh();
      ioApic.lineChanged(gsi);
    };
  }

  get intxAsserted(): boolean {
    return this.model.isr !== 0 && this.msix?.enabled !== true && (this.fn.command & PciCommand.InterruptDisable) === 0;
  }

  signal(vector: number): void {
    if (this.msix?.enabled !== true) return;
    if (vector === VIRTIO_MSI_NO_VECTOR) this.unrouted++;
    else this.msix.signal(vector);
  }

  isrChanged(): void {
    this.ioApic.lineChanged(this.gsi);
  }
}
