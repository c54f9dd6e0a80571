// The contract between the flow layer (connections, reassembly, detection) and protocol analyzers.
// A parser turns bytes into typed events and knows nothing of logs; a log builder keeps per-connection
// state and writes records. Both live in src/analyzers/<proto>/ and meet here.

import type { LogSchema, ZeekRecord } from '../zeek/types.js';

export type TransportProto = 'tcp' | 'udp' | 'icmp' | 'unknown_transport';

/** Zeek's conn_id plus what analyzers commonly need to know about their connection. */
export interface ConnInfo {
  readonly uid: string;
  readonly origH: string;
  readonly origP: number;
  readonly respH: string;
  readonly respP: number;
  readonly proto: TransportProto;
  /** Time of the connection's first packet. */
  readonly startTime: number;
  /** Zeek's local_orig / local_resp (Site::local_nets, private ranges by default). */
  readonly localOrig: boolean;
  readonly localResp: boolean;
  /** Uids of the enclosing tunnel connections, outermost first (conn.log tunnel_parents). */
  readonly tunnelParents: readonly string[];
  /**
   * Zeek's TCP IsPartial(): the connection was first seen without its opening SYN (TCP only).
   * SSH, SSL and XMPP ignore data while it is true, as Zeek's analyzers do.
   */
  readonly isPartial?: boolean;
}

/** What the framework offers an analyzer instance. One per analyzer per connection. */
export interface AnalyzerContext {
  readonly conn: ConnInfo;
  /** Current network time (timestamp of the packet being processed). */
  now(): number;
  /** Write a log record (the schema is the log's one declaration). */
  write(schema: LogSchema, rec: ZeekRecord): void;
  /**
   * Raise a weird (weird.log) under Zeek's name for it. `source` (optional) overrides the analyzer
   * name in weird.log's `source`; '' for weirds Zeek's scripts raise (Reporter::conn_weird), logged as '-'.
   */
  weird(name: string, addl?: string, source?: string): void;
  /** Protocol confirmed: the analyzer's service is added to conn.log `service`. */
  confirm(service?: string): void;
  /** Protocol violation: the analyzer is removed (Zeek's DPD behaviour); records analyzer.log. */
  violation(reason: string, data?: string): void;
  /** Expect a future connection (FTP data channel): when it appears, `analyzer` is attached to it. */
  expectConnection(origH: string | undefined, respH: string, respP: number, proto: TransportProto, analyzer: string, timeout: number): void;
  /** Hand the rest of this connection's stream to another analyzer (STARTTLS → SSL). */
  startChild(analyzer: string): StreamAnalyzer | undefined;
  /**
   * Optional: Zeek's Connection::FlipRoles (DNS whose first message is a reply from the originator).
   * After the call ctx.conn describes the swapped connection and later deliveries use the new isOrig.
   * When absent, an analyzer swaps the addresses it logs itself.
   */
  flipRoles?(): void;
  /** Shared per-run services (file analysis, x509 cache, …), looked up by name. */
  service<T>(name: string): T | undefined;
}

export interface StreamAnalyzer {
  /** In-order bytes of one side: data[offset .. offset+len). A view: copy what you keep. */
  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void;
  /** `len` bytes of this side are missing (content gap). */
  gap?(isOrig: boolean, len: number): void;
  /** This side closed (FIN or RST) after delivering everything before it. */
  endOfData?(isOrig: boolean): void;
  /** The connection is being removed (end of trace, timeout, close): flush pending records. */
  done?(): void;
}

export interface DatagramAnalyzer {
  deliverPacket(isOrig: boolean, data: Buffer, offset: number, len: number): void;
  done?(): void;
}

export interface AnalyzerSpec {
  /** Zeek's analyzer name, upper case: HTTP, DNS, FTP, FTP_DATA, SSL, DTLS, SSH, NTLM, SMB, DCE_RPC, … */
  name: string;
  /** Name added to conn.log `service` on confirmation (lower case: http, dns, ssl, …). */
  service: string;
  /** Zeek script names that enable it under --analyzers (bare mode), e.g. ['http']. */
  scripts: readonly string[];
  transport: 'tcp' | 'udp';
  /** Well-known ports (Zeek's likely_server_ports / Analyzer::register_for_ports). */
  ports: readonly number[];
  /**
   * Content detection (Zeek's DPD signatures): called with the first bytes of each side seen so far;
   * true when this protocol matches. Omit for port-only analyzers.
   */
  detect?(origPrefix: Buffer | undefined, respPrefix: Buffer | undefined): boolean;
  create(ctx: AnalyzerContext): StreamAnalyzer | DatagramAnalyzer;
  /** The logs this analyzer writes (for headers and for `--analyzers` selection). */
  logs: readonly LogSchema[];
}
