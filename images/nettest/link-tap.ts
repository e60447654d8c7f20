import type { ChecksumOffload, FrameHandler, NetLink } from "../../drivers/net-link";

/**
 * The driver's NetLink as the stack sees it, except that link changes also reach `onChange`
 * (a NetLink has a single link handler, which the stack takes).
 */
export class LinkTap implements NetLink {
  constructor(
    private readonly link: NetLink,
    private readonly onChange: (up: boolean) => void,
  ) {}

  get mac(): Uint8Array {
    return this.link.mac;
  }
  get mtu(): number {
    return this.link.mtu;
  }
  get linkUp(): boolean {
    return this.link.linkUp;
  }
  get checksumOffload(): boolean {
    return this.link.checksumOffload;
  }

  transmit(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    return this.link.transmit(frame, offload);
  }

  allocateFrame(length: number): Uint8Array | undefined {
    return this.link.allocateFrame(length);
  }

  transmitAllocated(frame: Uint8Array, offload?: ChecksumOffload): boolean {
    return this.link.transmitAllocated(frame, offload);
  }

  onReceive(handler: FrameHandler): void {
    this.link.onReceive(handler);
  }

  onLinkChange(handler: (up: boolean) => void): void {
    this.link.onLinkChange((up) => {
      this.onChange(up);
      handler(up);
    });
  }
}
