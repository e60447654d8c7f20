// The typed virtio errors: what a message says, what a name is, and how foreign throwables are
// wrapped so that every failure a caller sees names the device and a code.
import { describe, expect, it } from "vitest";
import {
  VirtioConfigError,
  VirtioDeviceError,
  VirtioError,
  VirtioFeatureError,
  VirtioQueueError,
  VirtioStatusError,
  VirtioTimeoutError,
  VirtioTransportError,
  VirtioUsageError,
  asVirtioError,
} from "../../drivers/virtio/errors";

describe("typed virtio errors", () => {
  it.each([
    VirtioTransportError,
    VirtioStatusError,
    VirtioFeatureError,
    VirtioQueueError,
    VirtioConfigError,
    VirtioDeviceError,
    VirtioTimeoutError,
    VirtioUsageError,
  ].map((Type) => [Type.name, Type] as const))("%s carries device, code and detail, and is named after its class", (_, Type) => {
    const error = new Type("00:04.0", "some-code", "what was wrong");
    expect(error).toBeInstanceOf(VirtioError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(Type.name);
    expect(error.message).toBe("00:04.0: some-code: what was wrong");
    expect({ deviceName: error.deviceName, code: error.code, detail: error.detail }).toEqual({ deviceName: "00:04.0", code: "some-code", detail: "what was wrong" });
    expect(String(error)).toBe(`${Type.name}: 00:04.0: some-code: what was wrong`);
  });
});

describe("asVirtioError", () => {
  it("keeps a typed error as it is", () => {
    const typed = new VirtioQueueError("mmio@0xfeb00000", "queue-size", "100");
    expect(asVirtioError("00:04.0", typed)).toBe(typed);
  });

  it("wraps an Error as a transport error naming its class and message", () => {
    const wrapped = asVirtioError("00:04.0", new RangeError("offset out of bounds"));
    expect(wrapped).toBeInstanceOf(VirtioTransportError);
    expect(wrapped).toMatchObject({ deviceName: "00:04.0", code: "transport", detail: "RangeError: offset out of bounds" });
    expect(wrapped.message).toBe("00:04.0: transport: RangeError: offset out of bounds");
  });

  it("wraps any other thrown value by its string form", () => {
    expect(asVirtioError("00:04.0", "bus fault")).toMatchObject({ code: "transport", detail: "bus fault" });
    expect(asVirtioError("00:04.0", 42).detail).toBe("42");
    expect(asVirtioError("00:04.0", undefined).detail).toBe("undefined");
  });
});
