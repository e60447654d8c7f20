/**
 * The ports of every virtio-console device, by name. `openPort(name)` waits (bounded) for a port of
 * that name to be added: ports come and go while the machine runs (QMP device_add/device_del).
 */
import type { VirtioConsole } from "../../drivers/virtio/console/console";
import type { ConsolePort } from "../../drivers/virtio/console/port";
import { RecoveryBudget } from "../recovery-budget";
import { PortError } from "./errors";
import { Port, type PortOwner } from "./port";

export interface OpenPortOptions {
  /** How long to wait for the port to appear (default 10 s). */
  readonly timeoutMs?: number;
}

/** A port as listed: its name, number and whether the host side has it open. */
export interface PortInfo {
  readonly name: string | undefined;
  readonly id: number;
  readonly console: boolean;
  readonly hostConnected: boolean;
  /** Taken by an open Port or the console mirror. */
  readonly inUse: boolean;
}

const DEFAULT_OPEN_TIMEOUT_MS = 10_000;
/** Console device resets allowed in any minute before a console that keeps breaking is dropped. */
const MAX_RECOVERIES_PER_MINUTE = 5;

/** Takes its port if it is there now. */
type Waiter = () => void;

class PortDirectory {
  /** Console devices reset after a broken ring and brought back. */
  recoveries = 0;
  private readonly consoles: VirtioConsole[] = [];
  private readonly taken = new Set<ConsolePort>();
  private readonly waiters = new Set<Waiter>();
  private readonly budget = new RecoveryBudget(MAX_RECOVERIES_PER_MINUTE);

  adopt(console: VirtioConsole): void {
    if (this.consoles.includes(console)) return;
    this.consoles.push(console);
    console.onPortsChanged = () => this.changed();
    console.onBroken = () => setTimeout(() => this.recover(console), 0);
    this.changed();
  }

  /**
   * A console whose ring broke lost its ports (their readers ended, their writers were refused);
   * the device is reset and the new instance adopted, so ports opened by name from then on find
   * the ports the device adds again. Past the budget, or if the reset fails, the console is dropped.
   */
  private recover(broken: VirtioConsole): void {
    const index = this.consoles.indexOf(broken);
    if (index < 0) return;
    this.consoles.splice(index, 1);
    if (!this.budget.take(performance.now())) return;
    let next: VirtioConsole;
    try {
      next = broken.reset();
    } catch {
      return;
    }
    this.recoveries++;
    this.adopt(next);
  }

  list(): PortInfo[] {
    return this.consoles.flatMap((c) =>
      c.ports.map((p) => ({ name: p.name, id: p.id, console: p.isConsole, hostConnected: p.hostConnected, inUse: this.taken.has(p) })),
    );
  }

  /** A live port no one has taken that `match` accepts, with its console. */
  find(match: (port: ConsolePort) => boolean): { port: ConsolePort; console: VirtioConsole } | undefined {
    for (const console of this.consoles) {
      const port = console.ports.find((p) => !this.taken.has(p) && match(p));
      if (port !== undefined) return { port, console };
    }
    return undefined;
  }

  /** Takes the first port `match` accepts, now or when it appears; rejects after `timeoutMs`. */
  claim<T>(what: string, match: (port: ConsolePort) => boolean, timeoutMs: number, use: (port: ConsolePort, console: VirtioConsole) => T): Promise<T> {
    const found = this.find(match);
    if (found !== undefined) return Promise.resolve(this.use(found, use));
    return new Promise((resolve, reject) => {
      const holding = [...this.consoles];
      for (const console of holding) console.hold();
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        for (const console of holding) console.release();
      };
      const waiter: Waiter = () => {
        const now = this.find(match);
        if (now === undefined) return;
        done();
        resolve(this.use(now, use));
      };
      const timer = setTimeout(() => {
        done();
        reject(new PortError("timeout", `no port ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Watches for a port `match` accepts, for as long as the machine runs otherwise (the console mirror). */
  watch(match: (port: ConsolePort) => boolean, use: (port: ConsolePort, console: VirtioConsole) => void): void {
    const waiter: Waiter = () => {
      const found = this.find(match);
      if (found === undefined) return;
      this.waiters.delete(waiter);
      this.use(found, use);
    };
    this.waiters.add(waiter);
    waiter();
  }

  release(port: ConsolePort): void {
    this.taken.delete(port);
    this.changed();
  }

  private use<T>(found: { port: ConsolePort; console: VirtioConsole }, use: (port: ConsolePort, console: VirtioConsole) => T): T {
    this.taken.add(found.port);
    return use(found.port, found.console);
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const directory = new PortDirectory();

/** Makes the ports of these consoles openable by name (startDevices does it for every console found). */
/** Console devices reset after a broken ring and brought back. */
export function consoleRecoveries(): number {
  return directory.recoveries;
}

export function adoptConsoles(consoles: readonly VirtioConsole[]): void {
  for (const console of consoles) directory.adopt(console);
}

/** Every live port of every console. */
export function listPorts(): PortInfo[] {
  return directory.list();
}

/**
 * Opens the port the device named `name` (PORT_NAME), waiting for it to be added if it is not
 * there yet. Rejects with PortError "timeout" when it does not appear in time. A port is open to
 * one Port at a time; a second open waits for the first to close.
 */
export function openPort(name: string, options: OpenPortOptions = {}): Promise<Port> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  return directory.claim(`named "${name}"`, (port) => port.name === name, timeoutMs, (port, console) => new Port(port, ownerFor(console)));
}

/** Hands the port `match` accepts to `use` once it is there (taken for good: the console mirror). */
export function watchPort(match: (port: ConsolePort) => boolean, use: (port: ConsolePort, console: VirtioConsole) => void): void {
  directory.watch(match, use);
}

function ownerFor(console: VirtioConsole): PortOwner {
  return {
    hold: () => console.hold(),
    release: () => console.release(),
    closed: (port) => directory.release(port),
  };
}
