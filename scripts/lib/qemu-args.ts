/** Splits a script's arguments at "--": its own flags before, arguments passed to QEMU as they are after. */
export function splitAtQemuArgs(args: readonly string[]): { own: string[]; qemu: string[] } {
  const separator = args.indexOf("--");
  return separator < 0 ? { own: [...args], qemu: [] } : { own: args.slice(0, separator), qemu: args.slice(separator + 1) };
}
