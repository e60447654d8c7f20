/**
 * Where console text goes: the serial port, and mirrors added while the machine runs (a
 * virtio-console port). Serial can be turned off once a mirror carries the text; uncaught-error
 * reports bypass this and always reach the serial port.
 */
export class ConsoleOutput {
  /** Whether text still goes to the serial port. */
  serial = true;
  private readonly mirrors: ((text: string) => void)[] = [];

  constructor(private readonly serialWrite: (text: string) => void) {}

  readonly write = (text: string): void => {
    if (this.serial) this.serialWrite(text);
    for (let i = 0; i < this.mirrors.length; i++) this.mirrors[i](text);
  };

  /** Sends every later text to `mirror` too; returns the function that stops it. */
  addMirror(mirror: (text: string) => void): () => void {
    this.mirrors.push(mirror);
    return () => {
      const index = this.mirrors.indexOf(mirror);
      if (index >= 0) this.mirrors.splice(index, 1);
    };
  }
}
