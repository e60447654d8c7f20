/**
 * SCSI status bytes and sense data (SPC-4 4.5): fixed format (response codes 0x70/0x71) and
 * descriptor format (0x72/0x73), decoded into sense key, ASC and ASCQ. Sense data comes from the
 * device: every offset read is checked against the length it claims and the bytes written.
 */

/** SAM-5 status codes. */
export const ScsiStatus = {
  Good: 0x00,
  CheckCondition: 0x02,
  ConditionMet: 0x04,
  Busy: 0x08,
  ReservationConflict: 0x18,
  TaskSetFull: 0x28,
  AcaActive: 0x30,
  TaskAborted: 0x40,
} as const;

export const SenseKey = {
  NoSense: 0x0,
  RecoveredError: 0x1,
  NotReady: 0x2,
  MediumError: 0x3,
  HardwareError: 0x4,
  IllegalRequest: 0x5,
  UnitAttention: 0x6,
  DataProtect: 0x7,
  BlankCheck: 0x8,
  AbortedCommand: 0xb,
  VolumeOverflow: 0xd,
  Miscompare: 0xe,
} as const;

const SENSE_KEY_NAMES: Readonly<Record<number, string>> = {
  0x0: "no-sense",
  0x1: "recovered-error",
  0x2: "not-ready",
  0x3: "medium-error",
  0x4: "hardware-error",
  0x5: "illegal-request",
  0x6: "unit-attention",
  0x7: "data-protect",
  0x8: "blank-check",
  0x9: "vendor-specific",
  0xa: "copy-aborted",
  0xb: "aborted-command",
  0xd: "volume-overflow",
  0xe: "miscompare",
};

export function senseKeyName(key: number): string {
  return SENSE_KEY_NAMES[key] ?? `sense-key-${key}`;
}

/** Additional sense codes the driver acts on (ASC << 8 | ASCQ). */
export const Asc = {
  /** CAPACITY DATA HAS CHANGED. */
  CapacityChanged: 0x2a09,
  /** REPORTED LUNS DATA HAS CHANGED: a unit appeared on the target (virtio 1.2 5.6.6.3, "rescan"). */
  ReportedLunsChanged: 0x3f0e,
  /** LOGICAL UNIT NOT SUPPORTED: the unit is gone (virtio 1.2 5.6.6.3, "removed"). */
  LunNotSupported: 0x2500,
} as const;

const ResponseCode = { FixedCurrent: 0x70, FixedDeferred: 0x71, DescriptorCurrent: 0x72, DescriptorDeferred: 0x73 } as const;
const RESPONSE_CODE_MASK = 0x7f;
const SENSE_KEY_MASK = 0x0f;
/** Fixed format: key at 2, additional length at 7, ASC/ASCQ at 12/13. */
const Fixed = { Key: 2, AdditionalLength: 7, Asc: 12, Ascq: 13, HeaderBytes: 8 } as const;
/** Descriptor format: key at 1, ASC/ASCQ at 2/3, additional length at 7. */
const Descriptor = { Key: 1, Asc: 2, Ascq: 3, AdditionalLength: 7, HeaderBytes: 8 } as const;

export interface Sense {
  readonly key: number;
  readonly asc: number;
  readonly ascq: number;
  readonly deferred: boolean;
}

/** Why sense data could not be decoded. */
export type SenseProblem = "empty" | "response-code" | "truncated";

/**
 * Decodes `length` bytes of sense data. Returns the sense, or the problem: sense the device sends
 * with an unknown response code, or shorter than the fields its own format needs, is not trusted.
 */
export function decodeSense(bytes: Uint8Array, length: number): Sense | SenseProblem {
  if (length === 0) return "empty";
  const code = bytes[0] & RESPONSE_CODE_MASK;
  switch (code) {
    case ResponseCode.FixedCurrent:
    case ResponseCode.FixedDeferred: {
      // The key is always there; ASC/ASCQ only when the additional length covers them.
      if (length <= Fixed.Key) return "truncated";
      const covered = length > Fixed.AdditionalLength ? Math.min(length, Fixed.HeaderBytes + bytes[Fixed.AdditionalLength]) : Fixed.Key + 1;
      const hasCodes = covered > Fixed.Ascq;
      return {
        key: bytes[Fixed.Key] & SENSE_KEY_MASK,
        asc: hasCodes ? bytes[Fixed.Asc] : 0,
        ascq: hasCodes ? bytes[Fixed.Ascq] : 0,
        deferred: code === ResponseCode.FixedDeferred,
      };
    }
    case ResponseCode.DescriptorCurrent:
    case ResponseCode.DescriptorDeferred:
      if (length <= Descriptor.Ascq) return "truncated";
      return {
        key: bytes[Descriptor.Key] & SENSE_KEY_MASK,
        asc: bytes[Descriptor.Asc],
        ascq: bytes[Descriptor.Ascq],
        deferred: code === ResponseCode.DescriptorDeferred,
      };
    default:
      return "response-code";
  }
}

/** "unit-attention 29/00" */
export function describeSense(sense: Sense): string {
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  return `${senseKeyName(sense.key)} ${hex(sense.asc)}/${hex(sense.ascq)}${sense.deferred ? " (deferred)" : ""}`;
}

export function senseCode(sense: Sense): number {
  return (sense.asc << 8) | sense.ascq;
}
