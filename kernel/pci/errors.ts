export class PciError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An access outside an `IoRegion`, or at a width the region cannot do. */
export class IoRegionError extends PciError {}
