// The demo office network: generator, device inventory, and helpers to write them.

import { PcapWriter } from '../synth/pcap-writer.js';
import { generateDemo, type DemoOptions, type DemoStats } from './generate.js';
import { inventory, type InventoryEntry } from './network.js';

export { generateDemo, type DemoOptions, type DemoStats } from './generate.js';
export * as demoNetwork from './network.js';

export interface DemoOutput {
  stats: DemoStats;
  packets: number;
  bytes: number;
  inventory: { devices: InventoryEntry[] };
}

/** Writes the demo capture to a pcap file and returns its figures and the device inventory. */
export function writeDemo(path: string, o: DemoOptions): DemoOutput {
  const w = PcapWriter.toFile(path);
  let stats: DemoStats;
  try {
    stats = generateDemo(w, o);
  } finally {
    w.close();
  }
  return { stats, packets: w.packets, bytes: w.bytes, inventory: inventory() };
}

/** The demo capture in memory (tests). */
export function demoCapture(o: DemoOptions): { pcap: Buffer; stats: DemoStats } {
  const w = PcapWriter.toMemory();
  const stats = generateDemo(w, o);
  return { pcap: w.close()!, stats };
}
