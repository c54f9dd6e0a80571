// Entry point of the capture layer: openCapture() auto-detects pcap / pcapng from the magic
// (a pcapng named .pcap is common) and reads a file path or a Readable (stdin, a tcpdump pipe).

import type { Readable } from 'node:stream';
import { FileByteSource, StreamByteSource } from './bytesource.js';
import { CaptureReader, type BufferSupplier } from './reader.js';
import type { PacketSource } from './types.js';

export { CaptureReader, CHUNK, MAX_CAPLEN, type BufferSupplier } from './reader.js';
export { CaptureError } from './types.js';
export type { CaptureStats, PacketSource, RawPacket } from './types.js';

/**
 * Opens a capture for streaming. `'-'` means standard input. Errors (missing file, not a capture)
 * surface as a CaptureError from run(), with one clear line of text. `buffers` supplies the buffers the
 * reader reads into (see BufferSupplier), for callers that hand delivered frames to other threads.
 */
export function openCapture(pathOrStream: string | Readable, name?: string, buffers?: BufferSupplier): CaptureReader & PacketSource {
  if (typeof pathOrStream === 'string') {
    if (pathOrStream === '-') return new CaptureReader(new StreamByteSource(process.stdin, name ?? 'stdin'), buffers);
    return new CaptureReader(new FileByteSource(pathOrStream), buffers);
  }
  return new CaptureReader(new StreamByteSource(pathOrStream, name ?? 'stdin'), buffers);
}
