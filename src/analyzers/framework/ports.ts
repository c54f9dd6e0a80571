// Zeek's likely_server_ports: every port a loaded protocol script registers (Analyzer::register_for_ports
// adds them), plus the tunnel ports of base/packet-protocols, which Zeek loads even in bare mode.
// Used only for role flipping; the analyzers' own `ports` decide which analyzer attaches.

export interface PortSet { tcp: readonly number[]; udp: readonly number[] }

/** Ports by Zeek script name (scripts/base/protocols/<name>/main.zeek). */
export const SCRIPT_PORTS: Record<string, PortSet> = {
  'dce-rpc': { tcp: [135], udp: [] },
  dhcp: { tcp: [], udp: [67, 4011] }, // 68 is registered as a non-server port
  dnp3: { tcp: [20000], udp: [20000] },
  dns: { tcp: [53], udp: [53, 137, 5353, 5355] },
  finger: { tcp: [79], udp: [] },
  ftp: { tcp: [21, 2811], udp: [] },
  http: { tcp: [80, 81, 631, 1080, 3128, 8000, 8080, 8888], udp: [] },
  imap: { tcp: [143], udp: [] },
  irc: { tcp: [6666, 6667, 6668, 6669], udp: [] },
  krb: { tcp: [88], udp: [88] },
  ldap: { tcp: [389, 3268], udp: [389] },
  modbus: { tcp: [502], udp: [] },
  mqtt: { tcp: [1883], udp: [] },
  mysql: { tcp: [1434, 3306], udp: [] },
  ntp: { tcp: [], udp: [123] },
  pop3: { tcp: [110], udp: [] },
  postgresql: { tcp: [5432], udp: [] },
  radius: { tcp: [], udp: [1812] },
  rdp: { tcp: [3389], udp: [3389] },
  redis: { tcp: [6379], udp: [] },
  sip: { tcp: [], udp: [5060] },
  smb: { tcp: [139, 445], udp: [] },
  smtp: { tcp: [25, 587], udp: [] },
  snmp: { tcp: [], udp: [161, 162] },
  socks: { tcp: [1080], udp: [] },
  ssh: { tcp: [22], udp: [] },
  ssl: { tcp: [443, 465, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223], udp: [443] },
  syslog: { tcp: [514], udp: [514] },
  xmpp: { tcp: [5222, 5269], udp: [] },
};

/** base/packet-protocols: VXLAN, Geneve, Teredo, AYIYA, GTPv1, GRE-in-UDP. Always loaded. */
export const PACKET_PROTOCOL_PORTS: PortSet = { tcp: [], udp: [4789, 6081, 3544, 5072, 2152, 2123, 4754] };

/** likely_server_ports for a run: all scripts (default mode) or the named ones (bare mode). */
export function likelyServerPorts(scripts: readonly string[] | null): { tcp: Set<number>; udp: Set<number> } {
  const tcp = new Set<number>(PACKET_PROTOCOL_PORTS.tcp), udp = new Set<number>(PACKET_PROTOCOL_PORTS.udp);
  const names = scripts ?? Object.keys(SCRIPT_PORTS);
  for (const n of names) {
    const p = SCRIPT_PORTS[n];
    if (!p) continue;
    for (const x of p.tcp) tcp.add(x);
    for (const x of p.udp) udp.add(x);
  }
  return { tcp, udp };
}
