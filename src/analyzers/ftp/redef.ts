// Zeek script redefs that change what the HTTP and FTP logs contain, read from Zeek script text
// (e.g. a test's or a site's local.zeek), turned into the analyzer options the framework hands out
// as services: 'http.options' (HttpLogOptions) and 'ftp.options' (FtpOptions).
//   redef HTTP::default_capture_password = T;
//   redef FTP::default_capture_password = T;
//   redef FTP::logged_commands += { "USER", "PASS" };
//   redef FTP::logged_commands = { "RETR", "STOR" };   (replaces the default set)

import type { FtpOptions } from './log.js';
import type { HttpLogOptions } from '../http/log.js';

export interface RedefOptions {
  'http.options'?: HttpLogOptions;
  'ftp.options'?: FtpOptions;
}

export function optionsFromZeekScript(text: string): RedefOptions {
  const out: RedefOptions = {};
  const src = text.replace(/#[^\n]*/g, '');
  const bool = (name: string): boolean | undefined => {
    const m = new RegExp(`redef\\s+${name.replace(/:/g, '\\:')}\\s*=\\s*([TF])\\s*;`).exec(src);
    return m ? m[1] === 'T' : undefined;
  };
  const httpPw = bool('HTTP::default_capture_password');
  if (httpPw !== undefined) out['http.options'] = { capturePassword: httpPw };
  const ftp: { capturePassword?: boolean; loggedCommands?: string[]; extraLoggedCommands?: string[] } = {};
  const ftpPw = bool('FTP::default_capture_password');
  if (ftpPw !== undefined) ftp.capturePassword = ftpPw;
  for (const m of src.matchAll(/redef\s+FTP::logged_commands\s*(\+?=)\s*\{([^}]*)\}\s*;/g)) {
    const cmds = [...m[2]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!);
    if (m[1] === '+=') ftp.extraLoggedCommands = [...(ftp.extraLoggedCommands ?? []), ...cmds];
    else ftp.loggedCommands = cmds;
  }
  if (Object.keys(ftp).length) out['ftp.options'] = ftp;
  return out;
}
