// FTP control-channel lines (RFC 959) for a passive-mode transfer.

export type FtpDir = 'client' | 'server';

/** `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).` for an IPv4 address and port. */
export function pasvReply(ip: string, port: number): string {
  return `227 Entering Passive Mode (${ip.split('.').join(',')},${port >> 8},${port & 0xff}).`;
}

export interface FtpTransfer {
  user: string;
  password: string;
  /** RETR (download) or STOR (upload). */
  command: 'RETR' | 'STOR';
  file: string;
  size: number;
  serverIp: string;
  dataPort: number;
}

/**
 * The control conversation, as (side, line) pairs, split in two: everything up to and including the
 * 150 reply that opens the data connection, and what follows once the transfer is done.
 */
export function ftpConversation(t: FtpTransfer): { before: [FtpDir, string][]; after: [FtpDir, string][] } {
  return {
    before: [
      ['server', '220 (vsFTPd 3.0.5)'],
      ['client', `USER ${t.user}`],
      ['server', '331 Please specify the password.'],
      ['client', `PASS ${t.password}`],
      ['server', '230 Login successful.'],
      ['client', 'SYST'],
      ['server', '215 UNIX Type: L8'],
      ['client', 'TYPE I'],
      ['server', '200 Switching to Binary mode.'],
      ['client', 'PASV'],
      ['server', pasvReply(t.serverIp, t.dataPort)],
      ['client', `${t.command} ${t.file}`],
      ['server', t.command === 'RETR'
        ? `150 Opening BINARY mode data connection for ${t.file} (${t.size} bytes).`
        : '150 Ok to send data.'],
    ],
    after: [
      ['server', '226 Transfer complete.'],
      ['client', 'QUIT'],
      ['server', '221 Goodbye.'],
    ],
  };
}

export const ftpLine = (s: string): Buffer => Buffer.from(`${s}\r\n`, 'latin1');
