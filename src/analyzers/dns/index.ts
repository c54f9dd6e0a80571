// DNS analyzer specs (UDP and TCP), as Zeek registers them: ports 53/udp, 53/tcp, 137/udp,
// 5353/udp, 5355/udp (DNS::ports). Zeek has no DPD signature for DNS.

import type { AnalyzerContext, AnalyzerSpec, DatagramAnalyzer, StreamAnalyzer } from '../types.js';
import { dnsSchema } from '../../zeek/schemas/dns.js';
import { DnsInterpreter, DnsTcpFramer } from './parser.js';
import { DnsLog } from './log.js';

export { DnsInterpreter, DnsTcpFramer } from './parser.js';
export { DnsLog } from './log.js';

/** One DNS analyzer instance: parser + script logic for one connection. */
export class DnsAnalyzer implements DatagramAnalyzer, StreamAnalyzer {
  readonly log: DnsLog;
  readonly interp: DnsInterpreter;
  private framerOrig: DnsTcpFramer | undefined;
  private framerResp: DnsTcpFramer | undefined;
  private finished = false;

  constructor(ctx: AnalyzerContext) {
    const c = ctx.conn;
    this.log = new DnsLog(ctx);
    this.interp = new DnsInterpreter(this.log, c.origP === 137 || c.respP === 137, c.respP === 137, this.log.respMulticast);
    if (c.proto === 'tcp') {
      this.framerOrig = new DnsTcpFramer(this.interp, true);
      this.framerResp = new DnsTcpFramer(this.interp, false);
    }
  }

  deliverPacket(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    const o = this.log.flippedLocally ? !isOrig : isOrig;
    const n = Math.max(0, Math.min(len, data.length - offset));
    this.interp.parseMessage(data, offset, n, o ? 1 : 0);
  }

  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    const o = this.log.flippedLocally ? !isOrig : isOrig;
    const f = o ? this.framerOrig : this.framerResp;
    if (f) f.deliver(data, offset, Math.max(0, Math.min(len, data.length - offset)));
  }

  endOfData(isOrig: boolean): void {
    // Zeek flushes both directions when the connection closes.
    void isOrig;
    this.framerOrig?.flush();
    this.framerResp?.flush();
  }

  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.log.finish();
  }
}

export const specs: AnalyzerSpec[] = [
  {
    name: 'DNS', service: 'dns', scripts: ['dns'], transport: 'udp', ports: [53, 137, 5353, 5355],
    create: (ctx) => new DnsAnalyzer(ctx), logs: [dnsSchema],
  },
  {
    name: 'DNS', service: 'dns', scripts: ['dns'], transport: 'tcp', ports: [53],
    create: (ctx) => new DnsAnalyzer(ctx), logs: [dnsSchema],
  },
];
