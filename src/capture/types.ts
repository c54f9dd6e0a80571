// Contract between the capture readers and the decoders.

/** One captured frame. Readers reuse a single instance: valid only during the callback. */
export interface RawPacket {
  /** Seconds since the epoch, as a double (Zeek's network_time). */
  ts: number;
  /** Link type of the interface the frame came from (LINKTYPE_* numbers of pcap/pcapng). */
  linkType: number;
  /** pcapng interface index (0 for pcap). */
  interfaceId: number;
  /** Length on the wire. */
  wireLen: number;
  /** The captured bytes: data[offset .. offset+capLen). A view into the reader's buffer, never a copy. */
  data: Buffer;
  offset: number;
  capLen: number;
}

export interface CaptureStats {
  packets: number;
  bytes: number;
  /** Set when the file ended in the middle of a record or block. */
  truncated: boolean;
  warnings: string[];
}

/** A user-facing capture problem (unreadable file, unknown format, tcpdump missing): printed as one line, no stack. */
export class CaptureError extends Error {
  override name = 'CaptureError';
}

/** Something that yields frames in order. `run` resolves when the source is exhausted or stopped. */
export interface PacketSource {
  run(onPacket: (pkt: RawPacket) => void): Promise<CaptureStats>;
  stop(): void;
}
