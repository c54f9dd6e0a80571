// Test fixtures for the live sensor: a network namespace joined to the host by a veth pair made
// here (10.214.N.1 on the host side, 10.214.N.2 inside), servers started inside it, and nothing
// else: no traffic leaves the machine.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Netns {
  name: string;
  hostIf: string;
  hostIP: string;
  nsIP: string;
  dir: string;
  /** Runs a command inside the namespace, in the background. */
  spawnIn(cmd: string, args: string[]): ChildProcess;
  /** Removes the veth pair (the interface goes away). */
  unlink(): void;
  /** Makes the veth pair again, with the same names and addresses. */
  relink(): void;
  destroy(): void;
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function makeNetns(tag: string): Netns {
  const n = 20 + (process.pid % 200);
  const name = `wh${tag}${process.pid % 100000}`.slice(0, 12);
  const hostIf = `${name}h`.slice(0, 15);
  const nsIf = `${name}n`.slice(0, 15);
  const hostIP = `10.214.${n}.1`;
  const nsIP = `10.214.${n}.2`;
  const dir = mkdtempSync(join(tmpdir(), 'wirehunt-live-'));
  const children: ChildProcess[] = [];
  const cleanup = (): void => {
    try { sh('ip', ['netns', 'del', name]); } catch { /* absent */ }
    try { sh('ip', ['link', 'del', hostIf]); } catch { /* absent */ }
  };
  cleanup();
  sh('ip', ['netns', 'add', name]);
  const link = (): void => {
    sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    sh('ip', ['link', 'set', nsIf, 'netns', name]);
    sh('ip', ['addr', 'add', `${hostIP}/24`, 'dev', hostIf]);
    sh('ip', ['link', 'set', hostIf, 'up']);
    sh('ip', ['netns', 'exec', name, 'ip', 'addr', 'add', `${nsIP}/24`, 'dev', nsIf]);
    sh('ip', ['netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up']);
  };
  link();
  sh('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return {
    name, hostIf, hostIP, nsIP, dir,
    unlink: () => { sh('ip', ['link', 'del', hostIf]); },
    relink: link,
    spawnIn(cmd: string, args: string[]): ChildProcess {
      const c = spawn('ip', ['netns', 'exec', name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout!.resume();
      c.stderr!.resume();
      children.push(c);
      return c;
    },
    destroy(): void {
      for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) {
        try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A node HTTP server answering after `delayMs` (so a client's connection lives that long). */
export const HTTP_SERVER = `
import http from 'node:http';
const [host, port, delay] = process.argv.slice(2);
http.createServer((req, res) => setTimeout(() => { res.setHeader('Content-Type', 'text/plain'); res.end('hello ' + req.url + '\\n'); }, Number(delay)))
  .listen(Number(port), host, () => console.log('ready'));
`;

/** A TCP server holding each connection `holdMs` then closing it. */
export const HOLD_SERVER = `
import net from 'node:net';
const [host, port, hold] = process.argv.slice(2);
net.createServer((s) => { s.on('error', () => {}); s.write('hi\\n'); setTimeout(() => s.end(), Number(hold)); })
  .listen({ port: Number(port), host, backlog: 1024 }, () => console.log('ready'));
`;

/** A tiny DNS responder: every question gets one TXT answer, after \`delayMs\`. */
export const DNS_SERVER = `
import dgram from 'node:dgram';
const [host, port, delay] = process.argv.slice(2);
const s = dgram.createSocket('udp4');
s.on('message', (q, r) => {
  if (q.length < 17) return;
  let o = 12;
  while (o < q.length && q[o] !== 0) o += q[o] + 1;
  const qend = o + 5;
  if (qend > q.length) return;
  const txt = Buffer.from('wirehunt-live-test');
  const ans = Buffer.alloc(12 + 1 + txt.length);
  ans.writeUInt16BE(0xc00c, 0); ans.writeUInt16BE(q.readUInt16BE(o + 1), 2); ans.writeUInt16BE(1, 4);
  ans.writeUInt32BE(60, 6); ans.writeUInt16BE(1 + txt.length, 10); ans[12] = txt.length; txt.copy(ans, 13);
  const h = Buffer.from(q.subarray(0, 12));
  h.writeUInt16BE(0x8180 | (q.readUInt16BE(2) & 0x0100), 2); h.writeUInt16BE(1, 4); h.writeUInt16BE(1, 6); h.writeUInt16BE(0, 8); h.writeUInt16BE(0, 10);
  setTimeout(() => s.send(Buffer.concat([h, q.subarray(12, qend), ans]), r.port, r.address), Number(delay));
});
s.bind(Number(port), host, () => console.log('ready'));
`;

export function writeScript(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** sshd inside the namespace: a throwaway host key and config, passwords allowed (none will match). */
export function sshdConfig(ns: Netns, port: number): string {
  const key = join(ns.dir, 'ssh_host_ed25519_key');
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const conf = join(ns.dir, 'sshd_config');
  writeFileSync(conf, [
    `Port ${port}`, `ListenAddress ${ns.nsIP}`, `HostKey ${key}`, `PidFile ${join(ns.dir, 'sshd.pid')}`,
    'PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'UsePAM no', 'PermitRootLogin no', 'MaxAuthTries 3',
    'LogLevel ERROR', '',
  ].join('\n'));
  chmodSync(ns.dir, 0o755);
  return conf;
}

/** An SSH_ASKPASS program answering every password prompt wrongly. */
export function askpass(dir: string): string {
  const p = join(dir, 'askpass.sh');
  writeFileSync(p, '#!/bin/sh\necho not-the-password\n');
  chmodSync(p, 0o755);
  return p;
}

/** Waits for a child to print `ready` on stdout (servers above) or fails after `ms`. */
export function waitReady(c: ChildProcess, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`server not ready after ${ms} ms: ${err}`)), ms);
    c.stdout!.on('data', (b: Buffer) => { out += b; if (out.includes('ready')) { clearTimeout(t); resolve(); } });
    c.stderr!.on('data', (b: Buffer) => { err += b; });
    c.on('exit', (code) => { clearTimeout(t); reject(new Error(`server exited (${code}): ${err}`)); });
  });
}

/** Waits until something accepts TCP connections on addr:port (sshd prints nothing when ready). */
export async function waitPort(nsName: string, addr: string, port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const out = sh('ip', ['netns', 'exec', nsName, 'ss', '-Hltn', `sport = :${port}`]);
      if (out.includes(`${addr}:${port}`)) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${addr}:${port} after ${ms} ms`);
}
