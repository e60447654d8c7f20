/**
 * The kernel command line as `key=value` options and bare flags (`key` alone means "true"). A key
 * given more than once (`virtio_mmio.device=...` per device) keeps every value in order; `get`
 * answers with the last, as a later word overrides an earlier one.
 */
export class CommandLine {
  private readonly options = new Map<string, string[]>();

  constructor(readonly text: string) {
    for (const word of text.split(/\s+/)) {
      if (!word) continue;
      const equals = word.indexOf("=");
      const [key, value] = equals < 0 ? [word, "true"] : [word.slice(0, equals), word.slice(equals + 1)];
      const values = this.options.get(key);
      if (values === undefined) this.options.set(key, [value]);
      else values.push(value);
    }
  }

  get(key: string): string | undefined {
    const values = this.options.get(key);
    return values === undefined ? undefined : values[values.length - 1];
  }

  /** Every value of `key`, in command-line order. */
  all(key: string): readonly string[] {
    return this.options.get(key) ?? [];
  }

  has(key: string): boolean {
    return this.options.has(key);
  }

  /** Each key with its last value. */
  *entries(): IterableIterator<[string, string]> {
    for (const [key, values] of this.options) yield [key, values[values.length - 1]];
  }
}
