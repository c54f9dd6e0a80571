// Every protocol analyzer wirehunt has. One line per protocol folder: each exports
// `specs: AnalyzerSpec[]` from src/analyzers/<proto>/index.ts. Add yours to the list below.
import type { AnalyzerSpec } from './types.js';

import { specs as dns } from './dns/index.js';
import { specs as ftp } from './ftp/index.js';
import { specs as http } from './http/index.js';
import { specs as ssh } from './ssh/index.js';
import { specs as ssl } from './ssl/index.js';
import { specs as xmpp } from './xmpp/index.js';
import { specs as dcerpc } from './dcerpc/index.js';
import { specs as ldap } from './ldap/index.js';
import { specs as smb } from './smb/index.js';
import { specs as ntlm } from './ntlm/index.js';

export const allSpecs: readonly AnalyzerSpec[] = [
  ...dns,
  ...ftp,
  ...http,
  ...ssh,
  ...ssl,
  ...xmpp,
  ...dcerpc,
  ...ldap,
  ...smb,
  ...ntlm,
];

/**
 * Shared per-run services analyzers look up with ctx.service(name) (file analysis, x509 cache, ...).
 * A factory per name; the framework makes one instance per run on first use.
 */
export const serviceFactories: Record<string, () => unknown> = {};
