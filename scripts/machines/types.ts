/** The QEMU machine an app boots on by default (`npm run run -- <app>` and `npm start`). */
export interface Machine {
  readonly qemuArgs: readonly string[];
  /** Printed on the host before the guest starts. */
  readonly banner?: string;
}

export interface MachineOptions {
  /** Host port forwarded to the guest's HTTP port. */
  readonly httpPort: number;
}
