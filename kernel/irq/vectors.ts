/** Hands out interrupt vectors in [first, last]. */
export class VectorAllocator {
  private readonly used: boolean[];

  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {
    this.used = new Array<boolean>(last + 1).fill(false);
  }

  /** A free vector, or undefined when all are taken. */
  allocate(): number | undefined {
    for (let v = this.first; v <= this.last; v++) {
      if (!this.used[v]) {
        this.used[v] = true;
        return v;
      }
    }
    return undefined;
  }

  free(vector: number): void {
    if (vector < this.first || vector > this.last || !this.used[vector]) throw new RangeError(`vector ${vector} is not allocated`);
    this.used[vector] = false;
  }

  get available(): number {
    return this.used.slice(this.first).filter((u) => !u).length;
  }
}
