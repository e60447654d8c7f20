// Builds every image once, before any test file runs: test files run in parallel workers and
// must never build the same image at the same time. A no-op when the images are up to date.
import { buildApps } from "../../scripts/lib/build-apps";

export const QEMU_TEST_IMAGES = ["demo", "selftest", "faults", "blktest", "nettest", "console-echo", "enginebench", "fstest", "scsitest", "profile-target"];

export default async function setup(): Promise<void> {
  await buildApps(QEMU_TEST_IMAGES);
}
