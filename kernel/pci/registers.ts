/** PCI configuration-space layout and register bits (PCI Local Bus specification). */

export const PCI_CONFIG_ADDRESS_PORT = 0xcf8;
export const PCI_CONFIG_DATA_PORT = 0xcfc;
export const PCI_CONFIG_ENABLE = 0x8000_0000;
export const PCI_CONFIG_SPACE_SIZE = 256;

export const PCI_BUS_COUNT = 256;
export const PCI_DEVICES_PER_BUS = 32;
export const PCI_FUNCTIONS_PER_DEVICE = 8;
export const PCI_VENDOR_NONE = 0xffff;

export const PciReg = {
  VendorId: 0x00,
  DeviceId: 0x02,
  Command: 0x04,
  Status: 0x06,
  Revision: 0x08,
  ClassCode: 0x09,
  HeaderType: 0x0e,
  Bar0: 0x10,
  SecondaryBus: 0x19,
  SubordinateBus: 0x1a,
  SubsystemVendorId: 0x2c,
  SubsystemId: 0x2e,
  CapabilitiesPointer: 0x34,
  InterruptLine: 0x3c,
  InterruptPin: 0x3d,
} as const;

export const PciCommand = {
  IoSpace: 1 << 0,
  MemorySpace: 1 << 1,
  BusMaster: 1 << 2,
  InterruptDisable: 1 << 10,
} as const;

export const PCI_STATUS_CAPABILITIES = 1 << 4;

export const PCI_HEADER_TYPE_MASK = 0x7f;
export const PCI_HEADER_MULTIFUNCTION = 0x80;
export const PciHeaderType = { Endpoint: 0, Bridge: 1 } as const;
/** Endpoints have six BARs, PCI-PCI bridges two. */
export const PCI_ENDPOINT_BAR_COUNT = 6;
export const PCI_BRIDGE_BAR_COUNT = 2;
export const PCI_BAR_WIDTH = 4;

export const PCI_BAR_IO = 0x1;
export const PCI_BAR_IO_BASE_MASK = 0xffff_fffc;
export const PCI_BAR_MEM_TYPE_MASK = 0x6;
export const PCI_BAR_MEM_TYPE_64 = 0x4;
export const PCI_BAR_MEM_PREFETCHABLE = 0x8;
export const PCI_BAR_MEM_BASE_MASK = 0xffff_fff0;
export const PCI_BAR_ALL_ONES = 0xffff_ffff;

export const PCI_CAPABILITY_POINTER_MASK = 0xfc;
export const PCI_CAPABILITY_MIN_OFFSET = 0x40;
/** (256 - 64) / 4: more entries than fit can only mean a loop. */
export const PCI_CAPABILITY_MAX_ENTRIES = 48;
export const PCI_CAPABILITY_NEXT = 1;

export const PciCapabilityId = {
  Msi: 0x05,
  Vendor: 0x09,
  PciExpress: 0x10,
  MsiX: 0x11,
} as const;

export const MsixReg = {
  MessageControl: 0x02,
  Table: 0x04,
  Pba: 0x08,
} as const;
/** Bytes of the MSI-X capability: header, message control, table and PBA registers. */
export const MSIX_CAPABILITY_LENGTH = 12;
export const MSIX_TABLE_SIZE_MASK = 0x7ff;
export const MSIX_FUNCTION_MASK = 1 << 14;
export const MSIX_ENABLE = 1 << 15;
export const MSIX_BIR_MASK = 0x7;
export const MSIX_TABLE_ENTRY_SIZE = 16;
