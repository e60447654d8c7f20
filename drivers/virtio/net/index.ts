/** The virtio-net driver: register `createVirtioNetDriver(...)`, then use the VirtioNet as a NetLink. */
export { createVirtioNetDriver, VIRTIO_NET_FEATURES } from "./driver";
export { VirtioNet, type NetLoop, type VirtioNetOptions } from "./net";
export { VirtioNetCounters } from "./counters";
export { NetControlError } from "./errors";
export { NetFeature } from "./constants";
