// This host as an onboarded device: DeviceInfo (host name, OS from /etc/os-release, architecture)
// and one DeviceNetworkInfo row per network adapter (addresses, MAC, DNS servers from the resolver
// configuration, default gateways from the routing table). Snapshots are compared so that rows are
// written again only when something changed.

import { readFileSync } from 'node:fs';
import { arch, hostname, networkInterfaces } from 'node:os';
import type { Device } from '../events/devices.js';
import { deviceIdFor } from '../events/hash.js';

export interface HostAdapter {
  name: string;
  mac: string;
  addresses: { ip: string; prefix: number }[];
}

export interface HostSnapshot {
  hostname: string;
  osPlatform: string;
  osVersion: string;
  osArchitecture: string;
  dns: string[];
  gateways: string[];
  adapters: HostAdapter[];
}

/** NAME/VERSION_ID/PRETTY_NAME… of an os-release file. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

/** `nameserver` addresses of a resolv.conf (zone suffixes dropped). */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push(m[1]!.replace(/%.*$/, ''));
  }
  return out;
}

/** Default gateways (IPv4) from /proc/net/route. */
export function parseRoutes(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[1] !== '00000000') continue;
    const g = parseInt(f[2]!, 16) >>> 0;
    if (!g) continue;
    // Little-endian word, as the kernel prints it.
    const ip = `${g & 0xff}.${(g >>> 8) & 0xff}.${(g >>> 16) & 0xff}.${g >>> 24}`;
    if (!out.includes(ip)) out.push(ip);
  }
  return out;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const ARCH: Record<string, string> = { x64: 'x64', arm64: 'arm64', ia32: 'x86', arm: 'arm' };

export function snapshotHost(): HostSnapshot {
  const os = parseOsRelease(readText('/etc/os-release') || readText('/usr/lib/os-release'));
  const adapters: HostAdapter[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (!list) continue;
    const a: HostAdapter = { name, mac: '', addresses: [] };
    for (const x of list) {
      if (x.mac && x.mac !== '00:00:00:00:00:00') a.mac = x.mac;
      // Link-local IPv6 addresses carry a zone in Node's view; the traffic shows them without.
      a.addresses.push({ ip: x.address.replace(/%.*$/, ''), prefix: Number(x.cidr?.split('/')[1] ?? (x.family === 'IPv4' ? 32 : 128)) });
    }
    adapters.push(a);
  }
  adapters.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return {
    hostname: hostname(),
    osPlatform: 'Linux',
    osVersion: os.PRETTY_NAME || [os.NAME, os.VERSION_ID].filter(Boolean).join(' ') || 'Linux',
    osArchitecture: ARCH[arch()] ?? arch(),
    dns: parseResolvConf(readText('/etc/resolv.conf')),
    gateways: parseRoutes(readText('/proc/net/route')),
    adapters,
  };
}

/** Every address of the host (the set attribution and the device registry use). */
export function hostAddresses(s: HostSnapshot): Set<string> {
  const out = new Set<string>();
  for (const a of s.adapters) for (const x of a.addresses) out.add(x.ip);
  return out;
}

/**
 * The host as one onboarded device with all its addresses (for the event model) plus one Device per
 * adapter for the DeviceNetworkInfo rows (same DeviceId and name).
 */
export function hostDevices(s: HostSnapshot): { device: Device; adapters: Device[] } {
  const base = (): Device => ({
    DeviceId: deviceIdFor(`host:${s.hostname}:${s.adapters.map((a) => a.mac).filter(Boolean).sort()[0] ?? ''}`),
    DeviceName: s.hostname.toLowerCase(),
    IPAddresses: [],
    SubnetPrefixes: [],
    MacAddress: '',
    OSPlatform: s.osPlatform,
    OSVersion: s.osVersion,
    OSBuild: undefined,
    OSArchitecture: s.osArchitecture,
    DeviceType: 'Server',
    DeviceCategory: 'Endpoint',
    Vendor: '',
    Model: '',
    IsInternetFacing: false,
    PublicIP: '',
    MachineGroup: '',
    DnsAddresses: s.dns,
    DefaultGateways: s.gateways,
    NetworkAdapterName: '',
    NetworkAdapterType: 'Ethernet',
    NetworkAdapterVendor: '',
    NetworkAdapterDnsSuffix: '',
    ConnectedNetworks: '',
    source: 'inventory',
    nameSource: 'inventory',
  });
  const device = base();
  const adapters: Device[] = [];
  for (const a of s.adapters) {
    for (const x of a.addresses) {
      device.IPAddresses.push(x.ip);
      device.SubnetPrefixes.push(x.prefix);
    }
    const d = base();
    d.NetworkAdapterName = a.name;
    d.NetworkAdapterType = a.name === 'lo' ? 'SoftwareLoopback' : 'Ethernet';
    d.MacAddress = a.mac;
    d.IPAddresses = a.addresses.map((x) => x.ip);
    d.SubnetPrefixes = a.addresses.map((x) => x.prefix);
    adapters.push(d);
  }
  device.MacAddress = s.adapters.find((a) => a.mac)?.mac ?? '';
  return { device, adapters };
}

/** A stable text of a snapshot, to tell whether the host changed. */
export function snapshotKey(s: HostSnapshot): string {
  return JSON.stringify(s);
}
