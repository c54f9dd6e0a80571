// Devices: which addresses belong to "onboarded" devices (the ones that get DeviceNetworkEvents rows)
// and their DeviceInfo / DeviceNetworkInfo rows. Devices come from an inventory file (docs/devices.md),
// from an earlier ingest into the same store, or from discovery: private, loopback and link-local
// addresses seen in traffic become devices with a stable DeviceId (a hash of the address), named
// from DHCP host names or DNS answers where the traffic shows one.

import { readFileSync } from 'node:fs';
import { UserError } from '../cli/types.js';
import { deviceIdFor, hash53 } from './hash.js';
import { ipType, isInsideAddress, parseIPv4, parseIPv6 } from './ip.js';
import type { Cell } from '../store/store.js';

export interface Device {
  DeviceId: string;
  DeviceName: string;
  IPAddresses: string[];
  /** Prefix length per address (same order), when known. */
  SubnetPrefixes: (number | undefined)[];
  MacAddress: string;
  OSPlatform: string;
  OSVersion: string;
  OSBuild: number | undefined;
  OSArchitecture: string;
  DeviceType: string;
  DeviceCategory: string;
  Vendor: string;
  Model: string;
  IsInternetFacing: boolean;
  PublicIP: string;
  MachineGroup: string;
  DnsAddresses: string[];
  DefaultGateways: string[];
  NetworkAdapterName: string;
  NetworkAdapterType: string;
  NetworkAdapterVendor: string;
  NetworkAdapterDnsSuffix: string;
  ConnectedNetworks: string;
  /** Where the device came from. */
  source: 'inventory' | 'store' | 'discovery';
  /** How DeviceName was learned, for discovered devices ('' while unnamed). */
  nameSource: '' | 'inventory' | 'dhcp' | 'dns';
  /** Internal: the registry that last saw it in traffic, and a numeric hash of DeviceId (ReportIds). */
  seenMark?: unknown;
  idHash?: number;
}

const STRING_KEYS = [
  'DeviceId', 'DeviceName', 'MacAddress', 'OSPlatform', 'OSVersion', 'OSArchitecture', 'DeviceType', 'DeviceCategory',
  'Vendor', 'Model', 'PublicIP', 'MachineGroup', 'NetworkAdapterName', 'NetworkAdapterType', 'NetworkAdapterVendor',
  'NetworkAdapterDnsSuffix',
] as const;
const KNOWN_KEYS = new Set<string>([...STRING_KEYS, 'IPAddresses', 'OSBuild', 'IsInternetFacing', 'DnsAddresses', 'DefaultGateways', 'ConnectedNetworks']);

function blankDevice(): Device {
  return {
    DeviceId: '', DeviceName: '', IPAddresses: [], SubnetPrefixes: [], MacAddress: '', OSPlatform: '', OSVersion: '', OSBuild: undefined,
    OSArchitecture: '', DeviceType: '', DeviceCategory: 'Endpoint', Vendor: '', Model: '', IsInternetFacing: false, PublicIP: '',
    MachineGroup: '', DnsAddresses: [], DefaultGateways: [], NetworkAdapterName: '', NetworkAdapterType: 'Ethernet',
    NetworkAdapterVendor: '', NetworkAdapterDnsSuffix: '', ConnectedNetworks: '', source: 'inventory', nameSource: '',
    seenMark: undefined, idHash: undefined, // present from the start: one object shape for every device (hot in the model)
  };
}

function isAddress(s: string): boolean {
  return parseIPv4(s) >= 0 || parseIPv6(s) !== undefined;
}

/** Parses an inventory (the JSON text of docs/devices.md). `where` names it in error messages. */
export function parseInventory(text: string, where: string): Device[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where}: not valid JSON (${(err as Error).message})`);
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' ? (doc as { devices?: unknown }).devices : undefined;
  if (!Array.isArray(list)) throw new UserError(`${where}: expected {"devices": [ … ]} or an array of devices`);
  const out: Device[] = [];
  const ids = new Set<string>();
  const owners = new Map<string, string>();
  list.forEach((raw, i) => {
    const at = `${where}: device ${i + 1}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${at}: expected an object`);
    const o = raw as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!KNOWN_KEYS.has(k)) throw new UserError(`${at}: unknown field '${k}' (known: ${[...KNOWN_KEYS].join(', ')})`);
    }
    const d = blankDevice();
    for (const k of STRING_KEYS) {
      const v = o[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') throw new UserError(`${at}: '${k}' must be a string`);
      d[k] = v;
    }
    if (o.OSBuild !== undefined && o.OSBuild !== null) {
      if (typeof o.OSBuild !== 'number' || !Number.isInteger(o.OSBuild)) throw new UserError(`${at}: 'OSBuild' must be an integer`);
      d.OSBuild = o.OSBuild;
    }
    if (o.IsInternetFacing !== undefined) {
      if (typeof o.IsInternetFacing !== 'boolean') throw new UserError(`${at}: 'IsInternetFacing' must be true or false`);
      d.IsInternetFacing = o.IsInternetFacing;
    }
    const addrList = (key: 'DnsAddresses' | 'DefaultGateways'): string[] => {
      const v = o[key];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !isAddress(x))) throw new UserError(`${at}: '${key}' must be an array of IP addresses`);
      return v as string[];
    };
    d.DnsAddresses = addrList('DnsAddresses');
    d.DefaultGateways = addrList('DefaultGateways');
    if (o.ConnectedNetworks !== undefined && o.ConnectedNetworks !== null) d.ConnectedNetworks = typeof o.ConnectedNetworks === 'string' ? o.ConnectedNetworks : JSON.stringify(o.ConnectedNetworks);
    const addrs = o.IPAddresses;
    if (addrs !== undefined) {
      if (!Array.isArray(addrs)) throw new UserError(`${at}: 'IPAddresses' must be an array`);
      for (const a of addrs) {
        let ip: unknown;
        let prefix: unknown;
        if (typeof a === 'string') {
          const slash = a.indexOf('/');
          ip = slash < 0 ? a : a.slice(0, slash);
          prefix = slash < 0 ? undefined : Number(a.slice(slash + 1));
        } else if (a && typeof a === 'object') {
          ip = (a as Record<string, unknown>).IPAddress;
          prefix = (a as Record<string, unknown>).SubnetPrefix ?? undefined;
        }
        if (typeof ip !== 'string' || !isAddress(ip)) throw new UserError(`${at}: '${JSON.stringify(a)}' is not an IP address`);
        if (prefix !== undefined && (typeof prefix !== 'number' || !Number.isInteger(prefix) || prefix < 0 || prefix > 128)) {
          throw new UserError(`${at}: bad SubnetPrefix for ${ip}`);
        }
        const owner = owners.get(ip);
        if (owner) throw new UserError(`${at}: address ${ip} already belongs to ${owner}`);
        d.IPAddresses.push(ip);
        d.SubnetPrefixes.push(prefix as number | undefined);
      }
    }
    if (!d.IPAddresses.length) throw new UserError(`${at}: needs at least one address in 'IPAddresses'`);
    if (!d.DeviceId) d.DeviceId = deviceIdFor(d.MacAddress || d.IPAddresses[0]!);
    if (ids.has(d.DeviceId)) throw new UserError(`${at}: DeviceId ${d.DeviceId} appears twice`);
    ids.add(d.DeviceId);
    for (const ip of d.IPAddresses) owners.set(ip, d.DeviceName || d.DeviceId);
    d.nameSource = d.DeviceName ? 'inventory' : '';
    out.push(d);
  });
  return out;
}

export function loadInventory(file: string): Device[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read the inventory ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseInventory(text, file);
}

/** Onboarded devices by address; optionally discovers new ones from inside addresses. */
export class DeviceRegistry {
  private readonly byIp = new Map<string, Device>();
  private readonly all: Device[] = [];
  /** Devices that took part in traffic of this ingest. */
  readonly seen = new Set<Device>();

  constructor(devices: readonly Device[], readonly discover: boolean) {
    for (const d of devices) this.add(d);
  }

  /** Addresses in byIp that discovery would not find (public and other non-inside ones). */
  private outsideOwned = 0;

  private add(d: Device): void {
    this.all.push(d);
    for (const ip of d.IPAddresses) {
      if (this.byIp.has(ip)) continue;
      this.byIp.set(ip, d);
      if (!isInsideAddress(ip)) this.outsideOwned++;
    }
  }

  /** Whether a listed device owns an address discovery would not find (lookupOutside can find a device). */
  get ownsOutside(): boolean {
    return this.outsideOwned > 0;
  }

  /**
   * lookup() for an address discovery never claims (not private, loopback or link-local): only a
   * listed device can own it; no map lookup at all when no device owns such an address.
   */
  lookupOutside(ip: string): Device | undefined {
    if (this.outsideOwned === 0) return undefined;
    const d = this.byIp.get(ip);
    if (d !== undefined && d.seenMark !== this) {
      d.seenMark = this;
      this.seen.add(d);
    }
    return d;
  }

  /** The onboarded device owning `ip` (discovering it when allowed), else undefined. */
  lookup(ip: string): Device | undefined {
    let d = this.byIp.get(ip);
    if (d === undefined && this.discover && isInsideAddress(ip)) {
      d = blankDevice();
      d.source = 'discovery';
      d.DeviceId = deviceIdFor(ip);
      d.IPAddresses.push(ip);
      d.SubnetPrefixes.push(undefined);
      d.DeviceCategory = 'Endpoint';
      this.add(d);
    }
    if (d !== undefined && d.seenMark !== this) {
      d.seenMark = this;
      this.seen.add(d);
    }
    return d;
  }

  /** Marks a device (one of `devices`) as taking part in this ingest's traffic. */
  markSeen(d: Device): void {
    if (d.seenMark !== this) {
      d.seenMark = this;
      this.seen.add(d);
    }
  }

  /** Peeks without discovering or marking seen. */
  get(ip: string): Device | undefined {
    return this.byIp.get(ip);
  }

  /** A name learned from traffic; DHCP beats DNS, the inventory beats both, the first name wins. */
  learnName(ip: string, name: string, how: 'dhcp' | 'dns'): void {
    const d = this.byIp.get(ip) ?? (this.discover && isInsideAddress(ip) ? this.lookup(ip) : undefined);
    if (!d || d.source === 'inventory' || !name) return;
    const rank = { '': 0, dns: 1, dhcp: 2, inventory: 3 } as const;
    if (rank[how] > rank[d.nameSource]) {
      d.DeviceName = name.toLowerCase();
      d.nameSource = how;
    }
  }

  learnMac(ip: string, mac: string): void {
    const d = this.byIp.get(ip);
    if (d && d.source === 'discovery' && !d.MacAddress) d.MacAddress = mac;
  }

  get devices(): readonly Device[] {
    return this.all;
  }
}

// --- DeviceInfo and DeviceNetworkInfo rows ---

export const DEVICE_INFO_COLUMNS = [
  'Timestamp', 'DeviceId', 'DeviceName', 'PublicIP', 'OSArchitecture', 'OSPlatform', 'OSBuild', 'OSVersion', 'MachineGroup',
  'ReportId', 'OnboardingStatus', 'AdditionalFields', 'DeviceCategory', 'DeviceType', 'Model', 'Vendor', 'IsInternetFacing',
  'SensorHealthState', 'DiscoverySources',
] as const;

export const DEVICE_NETWORK_INFO_COLUMNS = [
  'Timestamp', 'DeviceId', 'DeviceName', 'NetworkAdapterName', 'MacAddress', 'NetworkAdapterType', 'NetworkAdapterStatus',
  'ConnectedNetworks', 'DnsAddresses', 'DefaultGateways', 'IPAddresses', 'ReportId', 'NetworkAdapterVendor', 'OnboardingStatus',
  'NetworkAdapterDnsSuffix',
] as const;

const jsonList = (xs: readonly string[]) => (xs.length ? JSON.stringify(xs) : '');

/** DeviceInfo row cells (DEVICE_INFO_COLUMNS order) for a device at `micros` (µs since epoch). */
export function deviceInfoRow(d: Device, micros: number): Cell[] {
  const additional = JSON.stringify({ Source: d.source === 'discovery' ? 'wirehunt network discovery' : 'wirehunt inventory' });
  const row: Cell[] = [
    micros, d.DeviceId, d.DeviceName, d.PublicIP, d.OSArchitecture, d.OSPlatform, d.OSBuild ?? null, d.OSVersion, d.MachineGroup,
    0, 'Onboarded', additional, d.DeviceCategory, d.DeviceType, d.Model, d.Vendor, d.IsInternetFacing, 'Active',
    d.source === 'discovery' ? '["NetworkTraffic"]' : '["Inventory"]',
  ];
  row[9] = hash53(`DeviceInfo\0${micros}\0${JSON.stringify(row)}`);
  return row;
}

/** DeviceNetworkInfo row cells (DEVICE_NETWORK_INFO_COLUMNS order). */
export function deviceNetworkInfoRow(d: Device, micros: number): Cell[] {
  const ips = d.IPAddresses.map((ip, i) => {
    const o: Record<string, unknown> = { IPAddress: ip };
    const p = d.SubnetPrefixes[i];
    if (p !== undefined) o.SubnetPrefix = p;
    o.AddressType = ipType(ip) || 'Unknown';
    return o;
  });
  const row: Cell[] = [
    micros, d.DeviceId, d.DeviceName, d.NetworkAdapterName || 'Ethernet', d.MacAddress, d.NetworkAdapterType, 'Up',
    d.ConnectedNetworks, jsonList(d.DnsAddresses), jsonList(d.DefaultGateways), JSON.stringify(ips), 0, d.NetworkAdapterVendor,
    'Onboarded', d.NetworkAdapterDnsSuffix,
  ];
  row[11] = hash53(`DeviceNetworkInfo\0${micros}\0${JSON.stringify(row)}`);
  return row;
}

/** Devices recorded by earlier ingests (the latest DeviceNetworkInfo / DeviceInfo row of each). */
export function devicesFromRows(
  net: readonly { DeviceId: string; DeviceName: string; MacAddress: string; IPAddresses: string; DnsAddresses: string; DefaultGateways: string }[],
  info: readonly { DeviceId: string; IsInternetFacing: boolean | null; OSPlatform: string; OSVersion: string; DeviceType: string; AdditionalFields: string }[],
): Device[] {
  const infoById = new Map(info.map((r) => [r.DeviceId, r]));
  const out: Device[] = [];
  for (const r of net) {
    const d = blankDevice();
    d.DeviceId = r.DeviceId;
    d.DeviceName = r.DeviceName;
    d.nameSource = r.DeviceName ? 'inventory' : '';
    d.MacAddress = r.MacAddress;
    const parseList = (s: string): unknown[] => {
      try {
        const v = s ? JSON.parse(s) : [];
        return Array.isArray(v) ? v : [];
      } catch {
        return [];
      }
    };
    for (const a of parseList(r.IPAddresses)) {
      const ip = typeof a === 'string' ? a : a && typeof a === 'object' ? (a as { IPAddress?: unknown }).IPAddress : undefined;
      if (typeof ip === 'string' && isAddress(ip)) {
        d.IPAddresses.push(ip);
        const p = a && typeof a === 'object' ? (a as { SubnetPrefix?: unknown }).SubnetPrefix : undefined;
        d.SubnetPrefixes.push(typeof p === 'number' ? p : undefined);
      }
    }
    d.DnsAddresses = parseList(r.DnsAddresses).filter((x): x is string => typeof x === 'string');
    d.DefaultGateways = parseList(r.DefaultGateways).filter((x): x is string => typeof x === 'string');
    const inf = infoById.get(r.DeviceId);
    if (inf) {
      d.IsInternetFacing = !!inf.IsInternetFacing;
      d.OSPlatform = inf.OSPlatform;
      d.OSVersion = inf.OSVersion;
      d.DeviceType = inf.DeviceType;
    }
    d.source = inf && inf.AdditionalFields.includes('discovery') ? 'discovery' : 'store';
    if (d.source === 'discovery' && d.nameSource) d.nameSource = 'dns';
    if (d.IPAddresses.length) out.push(d);
  }
  return out;
}
