// Which weirds reach weird.log, as Zeek decides: the core's rate limiting (Weird::sampling_threshold
// per connection/name or per name for packet-level weirds, then one in Weird::sampling_rate) and the
// weird script's actions (ignored names, once per originator, once per connection, notices).
import type { Conn } from '../flow/conn.js';

export const SAMPLING_THRESHOLD = 25;
export const SAMPLING_RATE = 1000;

const enum Action { Log, Ignore, PerOrig, PerConn, NoticePerOrig }

// scripts/base/frameworks/notice/weird.zeek, Weird::actions (names not listed are ACTION_LOG).
const ACTIONS = new Map<string, Action>([
  ...['unsolicited_SYN_response', 'FIN_after_reset', 'spontaneous_FIN', 'spontaneous_RST'].map((n) => [n, Action.Ignore] as const),
  ...['bad_ICMP_checksum', 'bad_RPC', 'bad_TCP_checksum', 'bad_UDP_checksum', 'connection_originator_SYN_ack',
    'DNS_label_forward_compress_offset', 'DNS_label_len_gt_name_len', 'DNS_label_len_gt_pkt', 'DNS_label_too_long',
    'excess_RPC', 'originator_RPC_reply', 'partial_RPC', 'responder_RPC_call', 'SYN_with_data',
    'UDP_datagram_length_mismatch'].map((n) => [n, Action.PerOrig] as const),
  ...['FTP_max_command_length_exceeded', 'FTP_too_many_pending_commands', 'FTP_user_too_long', 'FTP_reply_msg_too_long',
    'FTP_arg_too_long', 'FTP_password_too_long', 'simultaneous_open', 'smtp_mail_transaction_invalid',
    'smtp_excessive_invalid_mail_transactions', 'smb_tree_connect_andx_response_without_tree'].map((n) => [n, Action.PerConn] as const),
  ...['FIN_storm', 'SYN_after_partial', 'successful_RPC_reply_to_invalid_request'].map((n) => [n, Action.NoticePerOrig] as const),
]);

const MAX_KEYS = 200000;

export class WeirdPolicy {
  private readonly netCounts = new Map<string, number>();
  private readonly didLog = new Set<string>();

  /** Whether this weird is written, and whether it is flagged as a notice; null when it is dropped. */
  decide(c: Conn | null, name: string, flowKey = ''): { notice: boolean } | null {
    // Core sampling: per connection and name, or per name for packet-level weirds.
    let n: number;
    if (c) {
      const m = (c.weirds ??= new Map<string, number>());
      n = (m.get(name) ?? 0) + 1;
      m.set(name, n);
    } else {
      const k = flowKey ? `${name}|${flowKey}` : name;
      n = (this.netCounts.get(k) ?? 0) + 1;
      if (this.netCounts.size < MAX_KEYS || this.netCounts.has(k)) this.netCounts.set(k, n);
    }
    if (n > SAMPLING_THRESHOLD && (n - SAMPLING_THRESHOLD) % SAMPLING_RATE !== 0) return null;
    const action = ACTIONS.get(name) ?? Action.Log;
    switch (action) {
      case Action.Ignore: return null;
      case Action.Log: return { notice: false };
      case Action.PerConn: return this.once(`${name}|${c ? c.uid : ''}`) ? { notice: false } : null;
      case Action.PerOrig: return this.once(`${name}|${c ? c.origH : ''}`) ? { notice: false } : null;
      case Action.NoticePerOrig: return this.once(`n|${name}|${c ? c.origH : ''}`) ? { notice: true } : null;
    }
  }

  private once(key: string): boolean {
    if (this.didLog.has(key)) return false;
    if (this.didLog.size >= MAX_KEYS) this.didLog.clear();
    this.didLog.add(key);
    return true;
  }
}
