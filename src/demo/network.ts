// The demo office: twelve onboarded devices, the outside hosts they talk to, and the device inventory the
// store ingests with them (DeviceId, names, addresses, MAC, OS, IsInternetFacing, DnsAddresses).

import { createHash } from 'node:crypto';
import { ipBytes, macFor } from '../synth/packets.js';

export type Role = 'workstation' | 'admin' | 'file-server' | 'dns-server' | 'internet-facing-server';

export interface DemoDevice {
  /** Short host name (NetBIOS style). */
  name: string;
  ip: string;
  role: Role;
  osPlatform: string;
  osVersion: string;
  /** DNS servers the device is configured with. */
  dns: readonly string[];
  internetFacing: boolean;
}

export const DOMAIN = 'corp.contoso.com';
export const NB_DOMAIN = 'CONTOSO';
export const GATEWAY = '10.20.0.1';
export const DNS_SERVER = '10.20.0.53';
export const PUBLIC_RESOLVER = '1.1.1.1';

const WIN11 = ['Windows11', '10.0.22631'] as const;
const WIN10 = ['Windows10', '10.0.19045'] as const;
const WS2022 = ['WindowsServer2022', '10.0.20348'] as const;
const LINUX = ['Linux', 'Ubuntu 22.04'] as const;

function dev(name: string, ip: string, role: Role, os: readonly [string, string], internetFacing = false): DemoDevice {
  return { name, ip, role, osPlatform: os[0], osVersion: os[1], dns: [DNS_SERVER], internetFacing };
}

/** The onboarded devices (a dozen). */
export const DEVICES: readonly DemoDevice[] = [
  dev('ws-ana', '10.20.0.101', 'workstation', WIN11),
  dev('ws-ben', '10.20.0.102', 'workstation', WIN11),
  dev('ws-carla', '10.20.0.103', 'workstation', WIN11),
  dev('ws-dmitri', '10.20.0.104', 'workstation', WIN10),
  dev('ws-eve', '10.20.0.105', 'workstation', WIN11),
  dev('ws-farid', '10.20.0.106', 'workstation', WIN10),
  dev('ws-grace', '10.20.0.107', 'workstation', WIN11),
  dev('ws-hiro', '10.20.0.108', 'workstation', WIN11),
  dev('it-admin01', '10.20.0.50', 'admin', LINUX),
  dev('fs01', '10.20.0.10', 'file-server', WS2022),
  { ...dev('dns01', DNS_SERVER, 'dns-server', LINUX), dns: ['127.0.0.1'] },
  dev('web01', '10.20.1.10', 'internet-facing-server', LINUX, true),
];

export function device(name: string): DemoDevice {
  const d = DEVICES.find((x) => x.name === name);
  if (!d) throw new Error(`no demo device ${name}`);
  return d;
}

/** Who does what in the attacks. */
export const ACTORS = {
  /** Infected workstation: TrickXYZ beacons, executable downloads, TXT lookups, self-signed TLS. */
  trick: 'ws-eve',
  /** Second infected workstation: ICMP exfiltration and the ping sweep. */
  icmp: 'ws-grace',
  /** Internet host brute-forcing SSH on web01. */
  sshAttacker: '203.0.113.45',
  /** Internet host spraying NTLM passwords over SMB against web01. */
  sprayer: '203.0.113.77',
  /** Command-and-control server (HTTP) of the TrickXYZ implant. */
  c2Http: '45.77.65.211',
  /** TLS server with a self-signed certificate. */
  c2Tls: '185.220.101.33',
  c2TlsName: 'cdn-update-check.net',
  /** A resolver no device is configured with, answering TXT lookups. */
  rogueResolver: '185.244.25.9',
  txtDomain: 'x7f3q.telemetry-sync.net',
  /** Where the ICMP tunnel sends data. */
  icmpSink: '198.51.100.77',
} as const;

/** Ordinary internet sites: name, address, TLS or not. */
export const SITES: readonly { host: string; ip: string; tls: boolean }[] = [
  { host: 'www.contoso-intranet.com', ip: '20.42.73.25', tls: true },
  { host: 'login.microsoftonline.com', ip: '20.190.151.7', tls: true },
  { host: 'outlook.office365.com', ip: '52.96.165.18', tls: true },
  { host: 'www.bing.com', ip: '13.107.21.200', tls: true },
  { host: 'github.com', ip: '140.82.112.4', tls: true },
  { host: 'www.wikipedia.org', ip: '185.15.59.224', tls: true },
  { host: 'news.example.com', ip: '93.184.215.14', tls: false },
  { host: 'weather.example.net', ip: '192.0.43.10', tls: false },
  { host: 'ctldl.windowsupdate.com', ip: '8.253.140.120', tls: false },
  { host: 'ocsp.digicert.com', ip: '72.21.91.29', tls: false },
];

/** Internet clients browsing web01. */
export const VISITORS: readonly string[] = ['81.2.69.142', '89.160.20.112', '175.16.199.5', '216.160.83.56', '67.43.156.3'];

export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Microsoft-CryptoAPI/10.0',
];

/** A stable DeviceId (40 hex digits, as Defender's) from the device name. */
export function deviceId(d: DemoDevice): string {
  return createHash('sha1').update(`wirehunt-demo:${d.name}`).digest('hex');
}

/** The MAC the synthesized frames use for an address, as Defender writes MACs (upper-case, dash-separated). */
export function macOf(ip: string): string {
  return [...macFor(ipBytes(ip))].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('-');
}

export function fqdn(d: DemoDevice): string {
  return `${d.name}.${DOMAIN}`;
}

export interface InventoryEntry {
  DeviceId: string;
  DeviceName: string;
  IPAddresses: string[];
  MacAddress: string;
  OSPlatform: string;
  OSVersion: string;
  DeviceType: string;
  IsInternetFacing: boolean;
  DnsAddresses: string[];
  DefaultGateways: string[];
  DeviceCategory: string;
  NetworkAdapterDnsSuffix: string;
}

/** The device inventory for `wirehunt ingest --devices` (format: docs/devices.md, src/events/devices.ts). */
export function inventory(): { devices: InventoryEntry[] } {
  return {
    devices: DEVICES.map((d) => ({
      DeviceId: deviceId(d),
      DeviceName: fqdn(d),
      IPAddresses: [d.ip],
      MacAddress: macOf(d.ip),
      OSPlatform: d.osPlatform,
      OSVersion: d.osVersion,
      DeviceType: d.role === 'workstation' || d.role === 'admin' ? 'Workstation' : 'Server',
      IsInternetFacing: d.internetFacing,
      DnsAddresses: [...d.dns],
      DefaultGateways: [d.ip.startsWith('10.20.1.') ? '10.20.1.1' : GATEWAY],
      DeviceCategory: 'Endpoint',
      NetworkAdapterDnsSuffix: DOMAIN,
    })),
  };
}
