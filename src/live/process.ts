// Processes from /proc: what the InitiatingProcess* columns of a row say about the process that owns a
// socket. Reads are small and synchronous (a process can exit at any moment: every read may fail, and
// a failure leaves the member empty). The SHA-256 of an executable is computed once per file version
// (device, inode, size, mtime), in the background, so the packet path never waits for a large binary.

import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename } from 'node:path';

export interface ProcessInfo {
  pid: number;
  /** The executable's file name (`curl`); the process name (comm) when the executable is unreadable. */
  fileName: string;
  /** Full path of the executable (`/usr/bin/curl`), as Defender's InitiatingProcessFolderPath shows it. */
  folderPath: string;
  commandLine: string;
  uid: number;
  accountName: string;
  ppid: number;
  parentFileName: string;
  /** µs since the epoch, NaN when unknown. */
  creationTime: number;
  parentCreationTime: number;
  fileSize: number | undefined;
  /** The executable's SHA-256 ('' until computed, or when unreadable). */
  sha256: string;
  /** Key of the executable file version in the hash cache. */
  exeKey: string;
}

const MAX_HASH_BYTES = 512 * 1024 * 1024;

export class ProcessReader {
  private readonly hashes = new Map<string, string>();
  private readonly hashing = new Set<string>();
  private users: Map<number, string> | undefined;
  private bootMicros: number | undefined;
  private readonly tick: number;

  constructor(readonly root = '/proc', private readonly passwd = '/etc/passwd', clockTicks = 100,
    private readonly onHash?: (exeKey: string, sha256: string) => void) {
    this.tick = clockTicks;
  }

  /** Boot time from /proc/stat (µs since the epoch). */
  private boot(): number {
    if (this.bootMicros === undefined) {
      try {
        const m = /^btime (\d+)/m.exec(readFileSync(`${this.root}/stat`, 'latin1'));
        this.bootMicros = m ? Number(m[1]) * 1e6 : NaN;
      } catch {
        this.bootMicros = NaN;
      }
    }
    return this.bootMicros;
  }

  /** Account name of a uid (from the passwd file, read once; the number when absent). */
  accountName(uid: number): string {
    if (!this.users) {
      this.users = new Map();
      try {
        for (const line of readFileSync(this.passwd, 'utf8').split('\n')) {
          const f = line.split(':');
          if (f.length >= 3 && /^\d+$/.test(f[2]!)) this.users.set(Number(f[2]), f[0]!);
        }
      } catch {
        // no passwd: numeric names
      }
    }
    return this.users.get(uid) ?? String(uid);
  }

  /** Start time (µs since the epoch) and name and parent pid from /proc/<pid>/stat. */
  stat(pid: number): { start: number; comm: string; ppid: number } | undefined {
    let text: string;
    try {
      text = readFileSync(`${this.root}/${pid}/stat`, 'latin1');
    } catch {
      return undefined;
    }
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    if (open < 0 || close < open) return undefined;
    const rest = text.slice(close + 2).split(' ');
    // After the name: state(3) ppid(4) … starttime(22) → index 19 of the rest.
    const ppid = Number(rest[1]);
    const ticks = Number(rest[19]);
    const start = Number.isFinite(ticks) ? this.boot() + Math.round((ticks / this.tick) * 1e6) : NaN;
    return { start, comm: text.slice(open + 1, close), ppid: Number.isFinite(ppid) ? ppid : 0 };
  }

  private exe(pid: number): string {
    try {
      return readlinkSync(`${this.root}/${pid}/exe`).replace(/ \(deleted\)$/, '');
    } catch {
      return '';
    }
  }

  /** Everything the row columns need about `pid`, or undefined when it is gone. */
  read(pid: number): ProcessInfo | undefined {
    const st = this.stat(pid);
    if (!st) return undefined;
    const exe = this.exe(pid);
    let commandLine = '';
    try {
      commandLine = readFileSync(`${this.root}/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    } catch {
      // gone, or a kernel thread
    }
    let uid = -1;
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`${this.root}/${pid}/status`, 'latin1'));
      if (m) uid = Number(m[1]);
    } catch {
      // gone
    }
    const parent = st.ppid > 0 ? this.stat(st.ppid) : undefined;
    const parentExe = st.ppid > 0 ? this.exe(st.ppid) : '';
    let fileSize: number | undefined;
    let exeKey = '';
    let sha256 = '';
    if (exe) {
      try {
        // Through /proc/<pid>/exe: the file the process runs, even if replaced or in another mount namespace.
        const s = statSync(`${this.root}/${pid}/exe`);
        fileSize = s.size;
        exeKey = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
        sha256 = this.hashes.get(exeKey) ?? '';
        if (!sha256) this.startHash(`${this.root}/${pid}/exe`, exeKey, s.size);
      } catch {
        // unreadable
      }
    }
    return {
      pid,
      fileName: exe ? basename(exe) : st.comm,
      folderPath: exe,
      commandLine,
      uid,
      accountName: uid >= 0 ? this.accountName(uid) : '',
      ppid: st.ppid,
      parentFileName: parentExe ? basename(parentExe) : parent?.comm ?? '',
      creationTime: st.start,
      parentCreationTime: parent?.start ?? NaN,
      fileSize,
      sha256,
      exeKey,
    };
  }

  /** The SHA-256 of an executable version, '' while unknown. */
  sha256(exeKey: string): string {
    return this.hashes.get(exeKey) ?? '';
  }

  /** Resolves once every hash in progress is done (tests, shutdown). */
  async hashesSettled(): Promise<void> {
    while (this.hashing.size) await new Promise((r) => setTimeout(r, 10));
  }

  private startHash(path: string, key: string, size: number): void {
    if (this.hashing.has(key) || size > MAX_HASH_BYTES || this.hashes.size > 100_000) return;
    this.hashing.add(key);
    const h = createHash('sha256');
    const s = createReadStream(path, { highWaterMark: 1 << 20 });
    s.on('data', (b) => h.update(b));
    s.on('error', () => this.hashing.delete(key));
    s.on('end', () => {
      const hex = h.digest('hex');
      this.hashes.set(key, hex);
      this.hashing.delete(key);
      this.onHash?.(key, hex);
    });
  }
}
