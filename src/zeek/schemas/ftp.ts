// ftp.log as Zeek 9.1 writes it (base/protocols/ftp info.zeek FTP::Info, &log fields in order).
import type { LogSchema } from '../types.js';

export const ftpSchema: LogSchema = {
  path: 'ftp',
  fields: [
    { name: 'ts', type: 'time' },
    { name: 'uid', type: 'string' },
    { name: 'id.orig_h', type: 'addr' },
    { name: 'id.orig_p', type: 'port' },
    { name: 'id.resp_h', type: 'addr' },
    { name: 'id.resp_p', type: 'port' },
    { name: 'user', type: 'string' },
    { name: 'password', type: 'string' },
    { name: 'command', type: 'string' },
    { name: 'arg', type: 'string' },
    { name: 'mime_type', type: 'string' },
    { name: 'file_size', type: 'count' },
    { name: 'reply_code', type: 'count' },
    { name: 'reply_msg', type: 'string' },
    { name: 'data_channel.passive', type: 'bool' },
    { name: 'data_channel.orig_h', type: 'addr' },
    { name: 'data_channel.resp_h', type: 'addr' },
    { name: 'data_channel.resp_p', type: 'port' },
    { name: 'fuid', type: 'string' },
  ],
};
