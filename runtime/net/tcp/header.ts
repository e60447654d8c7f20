/** TCP header layout (RFC 9293 3.1) and option kinds. */

export const TCP_HEADER_LENGTH = 20;
/** The data offset field counts 32-bit words. */
export const DATA_OFFSET_UNIT = 4;
export const MAX_HEADER_LENGTH = 60;

export const SOURCE_PORT_OFFSET = 0;
export const DESTINATION_PORT_OFFSET = 2;
export const SEQUENCE_OFFSET = 4;
export const ACKNOWLEDGMENT_OFFSET = 8;
export const DATA_OFFSET_OFFSET = 12;
export const FLAGS_OFFSET = 13;
export const WINDOW_OFFSET = 14;
export const CHECKSUM_OFFSET = 16;
export const URGENT_OFFSET = 18;

export const FLAG_FIN = 0x01;
export const FLAG_SYN = 0x02;
export const FLAG_RST = 0x04;
export const FLAG_PSH = 0x08;
export const FLAG_ACK = 0x10;
export const FLAG_URG = 0x20;

export const OPTION_END = 0;
export const OPTION_NOP = 1;
export const OPTION_MSS = 2;
export const OPTION_WINDOW_SCALE = 3;
export const OPTION_MSS_LENGTH = 4;
export const OPTION_WINDOW_SCALE_LENGTH = 3;
/** Kind and length bytes of every option other than END and NOP. */
export const OPTION_PREAMBLE = 2;

/** RFC 7323 2.3: shifts above 14 are treated as 14. */
export const MAX_WINDOW_SCALE = 14;
export const MAX_WINDOW_FIELD = 0xffff;
/** RFC 9293 3.7.1: the MSS assumed when the peer sends none. */
export const DEFAULT_PEER_MSS = 536;
/**
 * The smallest MSS taken from a peer (Linux's tcp_min_snd_mss default): a peer announcing 0 or a
 * few bytes would otherwise leave a congestion window of nothing, or a segment per byte.
 */
export const MIN_PEER_MSS = 48;
export const MAX_PORT = 0xffff;
