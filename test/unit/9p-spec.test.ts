// The driver's 9P2000.L numbers against the server model's, written independently from the
// protocol's description: message types, flags and masks. Any difference is a bug in one of them.
import { describe, expect, it } from "vitest";
import { MAX_WALK_NAMES, MessageType, NOFID, NOTAG, OpenFlag, QidType, SetattrValid, UNLINK_REMOVE_DIR, Header } from "../../drivers/virtio/9p/constants";
import { errnoName } from "../../drivers/virtio/9p/errno";
import { AT_REMOVEDIR, ERRNO, O, P9, P9_HEADER, P9_MAXWELEM, P9_NOFID, P9_NOTAG, QT, SETATTR } from "../sim/ninep/protocol";

describe("9P2000.L numbers", () => {
  it("gives every T-message the model's number", () => {
    for (const [name, type] of Object.entries(MessageType)) expect([name, type]).toEqual([name, P9[name as keyof typeof P9]]);
  });

  it("agrees on the header, NOTAG, NOFID and the walk limit", () => {
    expect([Header.Bytes, NOTAG, NOFID, MAX_WALK_NAMES]).toEqual([P9_HEADER, P9_NOTAG, P9_NOFID, P9_MAXWELEM]);
  });

  it("agrees on qid types, open flags, setattr bits and AT_REMOVEDIR", () => {
    expect([QidType.Dir, QidType.Symlink, QidType.File]).toEqual([QT.DIR, QT.SYMLINK, QT.FILE]);
    expect([OpenFlag.ReadOnly, OpenFlag.WriteOnly, OpenFlag.ReadWrite, OpenFlag.Create, OpenFlag.Exclusive, OpenFlag.Truncate, OpenFlag.Append]).toEqual([
      O.RDONLY,
      O.WRONLY,
      O.RDWR,
      O.CREAT,
      O.EXCL,
      O.TRUNC,
      O.APPEND,
    ]);
    expect([SetattrValid.Mode, SetattrValid.Size, SetattrValid.Mtime, SetattrValid.MtimeSet]).toEqual([SETATTR.MODE, SETATTR.SIZE, SETATTR.MTIME, SETATTR.MTIME_SET]);
    expect(UNLINK_REMOVE_DIR).toBe(AT_REMOVEDIR);
  });

  it("names every Linux errno the model knows, and an unknown one by its number", () => {
    for (const [name, errno] of Object.entries(ERRNO)) expect(errnoName(errno)).toBe(name);
    expect(errnoName(200)).toBe("E200");
  });
});
