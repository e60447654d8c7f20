/** Host channels without a network: virtio-console ports by name (see port.ts, directory.ts, mirror.ts). */
export { adoptConsoles, consoleRecoveries, listPorts, openPort, type OpenPortOptions, type PortInfo } from "./directory";
export { PortError } from "./errors";
export { ConsoleMirror, consoleMirror, mirrorConsoleFromCommandLine } from "./mirror";
export { Port, type PortEvent, type PortWriteOptions } from "./port";
