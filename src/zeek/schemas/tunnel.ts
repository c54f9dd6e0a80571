// tunnel.log as Zeek 9.1 writes it (scripts/base/frameworks/tunnels/main.zeek, Tunnel::Info).
import type { LogSchema } from '../types.js';

export const tunnelSchema: LogSchema = {
  path: 'tunnel',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'tunnel_type', type: 'enum' },
    { name: 'action', type: 'enum' },
  ],
};
