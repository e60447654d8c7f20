import { expect } from "vitest";
import { VirtioError } from "../../drivers/virtio/errors";
import { DeviceStatus } from "../../drivers/virtio/status";
import type { Transport } from "../../drivers/virtio/transport/transport";

/** Generous: the simulated devices reset at once unless a fault says otherwise. */
export const RESET_TIMEOUT_NS = 100_000_000;

/** The typed error `action` throws, checked to be a `type` with `code`. */
export function virtioFailure<E extends VirtioError>(type: abstract new (...args: never[]) => E, code: string, action: () => unknown): E {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  const error = thrown as E;
  expect(error.code).toBe(code);
  return error;
}

/** Reset, ACKNOWLEDGE, DRIVER: where a legacy interface's queues may be set up. */
export function toDriverStatus(transport: Transport): void {
  transport.reset(RESET_TIMEOUT_NS);
  transport.setStatus(DeviceStatus.Acknowledge);
  transport.setStatus(DeviceStatus.Acknowledge | DeviceStatus.Driver);
}
