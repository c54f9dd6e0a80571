// SSH analyzer: the parser's events → ssh.log records, as Zeek's scripts/base/protocols/ssh/main.zeek
// builds them (version reconciliation, algorithm negotiation, auth result, logging on success or
// at connection end).

import type { AnalyzerContext, AnalyzerSpec, StreamAnalyzer } from '../types.js';
import type { ZeekRecord } from '../../zeek/types.js';
import { sshLog } from '../../zeek/schemas/ssh.js';
import { SshParser, type AlgorithmPrefs, type SshCapabilities, type SshEvents } from './parser.js';

export { SshParser, sshFingerprintSha256 } from './parser.js';
export type { SshCapabilities, SshEvents } from './parser.js';

const COMPRESSION_ALGORITHMS = new Set(['zlib', 'zlib@openssh.com']);

function findAlg(client: readonly string[], server: readonly string[]): string {
  const set = new Set(server);
  for (const c of client) if (set.has(c)) return c;
  return 'Algorithm negotiation failed';
}

function findBidirectional(client: AlgorithmPrefs, server: AlgorithmPrefs): string {
  const cs = findAlg(client.clientToServer, server.clientToServer);
  const sc = findAlg(client.serverToClient, server.serverToClient);
  return cs === sc ? cs : `To server: ${cs}, to client: ${sc}`;
}

interface SshInfo {
  ts: number;
  version?: number;
  authSuccess?: boolean;
  authAttempts: number;
  direction?: string;
  client?: string;
  server?: string;
  cipherAlg?: string;
  macAlg?: string;
  compressionAlg?: string;
  kexAlg?: string;
  hostKeyAlg?: string;
  hostKeyFingerprint?: string;
  logged: boolean;
  capabilities?: SshCapabilities;
}

/** Log builder: one per connection. */
export class SshSession implements SshEvents {
  info: SshInfo | undefined;
  readonly parser: SshParser;

  constructor(private readonly ctx: AnalyzerContext) {
    this.parser = new SshParser(this);
  }

  private session(): SshInfo {
    if (!this.info) {
      const c = this.ctx.conn;
      this.info = { ts: this.ctx.now(), authAttempts: 0, logged: false };
      if (c.localOrig !== c.localResp) this.info.direction = c.localOrig ? 'OUTBOUND' : 'INBOUND';
    }
    return this.info;
  }

  private setVersion(s: SshInfo): void {
    s.version = undefined;
    const client = s.client;
    const server = s.server;
    if (!client || !server) return;
    if (client.length > 4 && server.length > 4) {
      const c4 = client[4];
      const s4 = server[4];
      const c99 = client.length > 7 && client[6] === '9' && client[7] === '9';
      const s99 = server.length > 7 && server[6] === '9' && server[7] === '9';
      if (c4 === '1' && s4 === '2') {
        if (c99) s.version = 2;
        else this.ctx.weird('SSH_version_mismatch', `${server} vs ${client}`);
      } else if (c4 === '2' && s4 === '1') {
        if (s99) s.version = 2;
        else this.ctx.weird('SSH_version_mismatch', `${server} vs ${client}`);
      } else if (c4 === '1' && s4 === '1') {
        s.version = s99 && c99 ? 2 : 1;
      } else if (c4 === '2' && s4 === '2') {
        s.version = 2;
      }
      return;
    }
    this.ctx.weird('SSH_cannot_determine_version', `${server} vs ${client}`);
  }

  clientVersion(version: string): void {
    const s = this.session();
    s.client = version;
    this.setVersion(s);
  }

  serverVersion(version: string): void {
    const s = this.session();
    s.server = version;
    this.setVersion(s);
  }

  capabilities(caps: SshCapabilities): void {
    const s = this.info;
    if (!s || (s.capabilities && s.capabilities.isServer === caps.isServer)) return;
    if (!s.capabilities) {
      s.capabilities = caps;
      return;
    }
    const client = caps.isServer ? s.capabilities : caps;
    const server = caps.isServer ? caps : s.capabilities;
    s.cipherAlg = findBidirectional(client.encryption, server.encryption);
    s.macAlg = findBidirectional(client.mac, server.mac);
    s.compressionAlg = findBidirectional(client.compression, server.compression);
    s.kexAlg = findAlg(client.kexAlgorithms, server.kexAlgorithms);
    s.hostKeyAlg = findAlg(client.serverHostKeyAlgorithms, server.serverHostKeyAlgorithms);
  }

  hostKeyFingerprint(fp: string): void {
    if (this.info) this.info.hostKeyFingerprint = fp;
  }

  authAttempted(authenticated: boolean): void {
    const s = this.info;
    if (s && !s.authSuccess && !(s.compressionAlg !== undefined && COMPRESSION_ALGORITHMS.has(s.compressionAlg))) {
      s.authSuccess = authenticated;
      s.authAttempts += 1;
      // disable_analyzer_after_detection
      if (authenticated) this.parser.disable();
    }
    if (authenticated && s && !s.logged) {
      s.logged = true;
      this.write(s);
    }
  }

  confirm(): void {
    this.session();
    this.ctx.confirm('ssh');
  }

  violation(reason: string): void {
    // The session record survives the analyzer in Zeek and is logged at removal: write it now,
    // as nothing can change it any more.
    this.finish();
    this.ctx.violation(reason);
  }

  weird(name: string, addl?: string): void {
    this.ctx.weird(name, addl);
  }

  /** Connection removal (Zeek's finalize_ssh). */
  finish(): void {
    const s = this.info;
    if (!s || s.logged) return;
    s.logged = true;
    this.write(s);
  }

  private write(s: SshInfo): void {
    const c = this.ctx.conn;
    const rec: ZeekRecord = {
      ts: s.ts,
      uid: c.uid,
      'id.orig_h': c.origH,
      'id.orig_p': c.origP,
      'id.resp_h': c.respH,
      'id.resp_p': c.respP,
      version: s.version,
      auth_success: s.authSuccess,
      auth_attempts: s.authAttempts,
      direction: s.direction,
      client: s.client,
      server: s.server,
      cipher_alg: s.cipherAlg,
      mac_alg: s.macAlg,
      compression_alg: s.compressionAlg,
      kex_alg: s.kexAlg,
      host_key_alg: s.hostKeyAlg,
      host_key_fingerprint: s.hostKeyFingerprint,
    };
    this.ctx.write(sshLog, rec);
  }
}

class SshAnalyzer implements StreamAnalyzer {
  private readonly sess: SshSession;
  constructor(private readonly ctx: AnalyzerContext) {
    this.sess = new SshSession(ctx);
  }
  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    if (this.ctx.conn.isPartial) return; // TCP()->IsPartial()
    this.sess.parser.deliver(isOrig, data, offset, len);
  }
  gap(): void {
    this.sess.parser.gap();
  }
  done(): void {
    this.sess.finish();
  }
}

function sshPrefix(b: Buffer | undefined): boolean {
  // /^[sS][sS][hH]-[12]\./
  if (!b || b.length < 6) return false;
  return (
    (b[0]! | 0x20) === 0x73 &&
    (b[1]! | 0x20) === 0x73 &&
    (b[2]! | 0x20) === 0x68 &&
    b[3] === 0x2d &&
    (b[4] === 0x31 || b[4] === 0x32) &&
    b[5] === 0x2e
  );
}

export const specs: AnalyzerSpec[] = [
  {
    name: 'SSH',
    service: 'ssh',
    scripts: ['ssh'],
    transport: 'tcp',
    ports: [22],
    // dpd_ssh_client (originator) requires the reverse signature dpd_ssh_server (responder).
    detect: (orig, resp) => sshPrefix(orig) && sshPrefix(resp),
    create: (ctx) => new SshAnalyzer(ctx),
    logs: [sshLog],
  },
];
