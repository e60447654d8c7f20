/** Entropy device (virtio 1.2 section 5.4): one queue, no feature bits, no configuration. */
export const VIRTIO_RNG_QUEUE = { requestq: 0 } as const;
