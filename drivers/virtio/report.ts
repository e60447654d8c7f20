import { ringLayoutOf } from "./device";
import { deviceTypeName } from "./device-types";
import { FeatureBit, hasFeature } from "./features";
import type { ProbedVirtioDevice } from "./probe";

/**
 * `virtio <name> type=<t> transport=<modern|legacy|mmio> notify=<mem|io> features=<hex> queues=<n>
 * ring=<split|packed>[ in-order]` per usable device (features: negotiated if a driver claimed it,
 * offered otherwise, and ring and in-order follow them; queues: what the device offers), `virtio-error <name> <code>: <detail>` per failed one, then
 * `virtio-ready <usable count>`.
 */
export function formatVirtioReport(devices: readonly ProbedVirtioDevice[]): string[] {
  const lines: string[] = [];
  let usable = 0;
  for (const probed of devices) {
    const device = probed.device;
    if (probed.state === "failed" || device === undefined) {
      const error = probed.error;
      lines.push(`virtio-error ${probed.name} ${error ? `${error.code}: ${error.detail}` : "unknown"}`);
      continue;
    }
    usable++;
    const t = device.transport;
    const features = probed.state === "ready" ? device.features : device.offeredFeatures;
    lines.push(
      `virtio ${probed.name} type=${deviceTypeName(t.deviceType)} transport=${t.kind} notify=${t.notifyKind} features=${features.toString(16)} queues=${t.numQueues()} ring=${ringLayoutOf(features)}${hasFeature(features, FeatureBit.InOrder) ? " in-order" : ""}`,
    );
  }
  lines.push(`virtio-ready ${usable}`);
  return lines;
}
