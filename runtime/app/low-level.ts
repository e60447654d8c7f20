/// <reference path="../../boot/platform.d.ts" />
/// <reference path="../../boot/guest-globals.d.ts" />
/**
 * The low-level API ("vireo/low-level") for apps that want control: run a main function, bring
 * devices up, build a network stack, serve HTTP on it, or use the drivers directly. Nothing here
 * starts on import. See images/demo/main.ts for a complete server built this way.
 */
export { start, type System } from "../../kernel/start";
export { startDevices, driverInstances, type Devices, type DeviceOptions } from "../devices";
export { eventLoopScheduler, systemRandom } from "../services";
export * from "../net/index";
export * from "../http/index";
export { BlockDevice } from "../block/device";
export { blockDevices, watchBlockDevices, type BlockDeviceListener } from "../block/registry";
export { KvStore } from "../kv/store";
export { VirtioNet } from "../../drivers/virtio/net/net";
export { VirtioRng } from "../../drivers/virtio/rng/rng";
export { VirtioScsi } from "../../drivers/virtio/scsi/scsi";
