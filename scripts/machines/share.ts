// QEMU arguments for a host folder shared with the guest over virtio-9p (`-fsdev local`), as
// `vireo run --share`, the demo's "www" folder and the tests attach one.

export interface HostFolder {
  /** The -fsdev id (unique per machine). */
  readonly id: string;
  readonly dir: string;
  /** The mount tag the guest finds the share by. */
  readonly tag: string;
  readonly readonly?: boolean;
}

/** `virtioDevice` is the board's virtio-9p device name (see board.ts). */
export function hostFolderArgs(virtioDevice: string, folder: HostFolder): string[] {
  const fsdev = `local,id=${folder.id},path=${folder.dir.replace(/,/g, ",,")},security_model=none${folder.readonly ? ",readonly=on" : ""}`;
  return ["-fsdev", fsdev, "-device", `${virtioDevice},fsdev=${folder.id},mount_tag=${folder.tag}`];
}
