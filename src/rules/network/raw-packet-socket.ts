import type { DraftFinding } from '../../model/finding.js';
import { hiddenComponent, inSystemDir, inWritableDir } from '../process/paths.js';
import { defineRule } from '../types.js';

/** Programs that capture or answer on raw packet sockets for a living (by executable name). */
export const CAPTURE_TOOLS = new Set([
  'tcpdump', 'dumpcap', 'tshark', 'wireshark', 'dhclient', 'dhcpcd', 'udhcpc', 'dhcpd', 'dnsmasq', 'NetworkManager', 'systemd-networkd',
  'lldpd', 'lldpad', 'ladvd', 'wpa_supplicant', 'hostapd', 'keepalived', 'arpwatch', 'arping', 'snort', 'suricata', 'zeek', 'p0f',
  'iftop', 'nethogs', 'ntopng', 'pppd', 'pppoe', 'cdpr', 'bird', 'isc-dhcp-server', 'ptp4l', 'wicked', 'nm-dhcp-helper',
]);

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** network.raw-packet-socket: an AF_PACKET socket held by something that is not a known capture tool. */
export const rawPacketSocket = defineRule({
  id: 'network.raw-packet-socket',
  title: 'Raw packet socket held by an unknown program',
  description:
    'BPFDoor and its kin listen on AF_PACKET sockets with a BPF filter: they see every packet before the firewall and need no open port, so ss shows nothing. Capture tools and DHCP or LLDP daemons hold such sockets for a living; anything else holding one is a finding, and one run from a writable folder or a deleted file is a backdoor until shown otherwise.',
  level: 'high',
  mitre: ['T1205.002', 'T1040'],
  references: ['https://www.sandflysecurity.com/blog/bpfdoor-an-evasive-linux-backdoor-technical-analysis', 'https://man7.org/linux/man-pages/man7/packet.7.html'],
  falsePositives: ['A capture or network tool this list does not know, run from a packaged path (medium).'],
  needs: ['packetSockets'],
  thresholds: {},
  detect(facts) {
    const out: DraftFinding[] = [];
    const self = new Set(facts.selfPids ?? []);
    for (const s of facts.packetSockets) {
      for (const o of s.owners) {
        if (self.has(o.pid)) continue;
        const exe = o.exe ?? '';
        const packaged = exe !== '' && inSystemDir(exe) && !o.exeDeleted;
        const suspectPlace = exe === '' ? null : o.exeDeleted ? 'deleted from disk' : inWritableDir(exe) ? `in the writable folder ${inWritableDir(exe)}` : hiddenComponent(exe) ? `in the hidden folder ${hiddenComponent(exe)}` : null;
        const known = packaged && (CAPTURE_TOOLS.has(base(exe)) || CAPTURE_TOOLS.has(o.comm));
        if (known) continue;
        const severity = suspectPlace || !packaged ? 'high' : 'medium';
        out.push({
          rule: rawPacketSocket.id,
          severity,
          title: `Raw packet socket held by ${o.comm} (pid ${o.pid})${suspectPlace ? `, running from a file ${suspectPlace}` : ''}`,
          detail: `Pid ${o.pid} (${exe || 'executable unreadable'}${o.user ? `, user ${o.user}` : ''}) holds an AF_PACKET socket (inode ${s.inode}, ${s.type === 3 ? 'SOCK_RAW' : s.type === 2 ? 'SOCK_DGRAM' : `type ${s.type}`}, protocol 0x${s.protocol}${s.ifindex ? `, interface ${s.ifindex}` : ', every interface'}) still open on a re-check. ${suspectPlace ? `Its executable is ${suspectPlace}: treat it as a passive backdoor (BPFDoor listens this way and answers a magic packet). ` : 'It is not a known capture tool. '}Preserve its executable and memory, freeze it, and look at its BPF filter (ss -0 -p -b, or bpftool) before killing it.`,
          mitre: rawPacketSocket.mitre,
          subject: { pid: o.pid, path: o.exe, user: o.user, ip: null, comm: o.comm, inode: s.inode },
          evidence: ['artifacts/packet-sockets.jsonl', 'artifacts/processes.jsonl'],
        });
      }
    }
    return out;
  },
});
