/** The kernel command line as `key=value` options and bare flags (`key` alone means "true"). */
export class CommandLine {
  private readonly options = new Map<string, string>();

  constructor(readonly text: string) {
    for (const word of text.split(/\s+/)) {
      if (!word) continue;
      const equals = word.indexOf("=");
      if (equals < 0) this.options.set(word, "true");
      else this.options.set(word.slice(0, equals), word.slice(equals + 1));
    }
  }

  get(key: string): string | undefined {
    return this.options.get(key);
  }

  has(key: string): boolean {
    return this.options.has(key);
  }

  entries(): IterableIterator<[string, string]> {
    return this.options.entries();
  }
}
