/** One line of /proc/net/packet (net/packet/af_packet.c, packet_seq_show). */
export interface PacketLine {
  inode: number;
  type: number;
  protocol: string;
  ifindex: number;
  uid: number;
}

/**
 * `sk RefCnt Type Proto Iface R Rmem User Inode`; the header and short lines are skipped.
 * `ffff8d1e4c9e2000 3      3    0003   0     1 0      0      12345`
 */
export function parseProcNetPacket(text: string): PacketLine[] {
  const out: PacketLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9 || !/^[0-9a-f]+$/i.test(f[0]) || !/^\d+$/.test(f[8])) continue;
    out.push({ type: Number(f[2]), protocol: f[3].toLowerCase(), ifindex: Number(f[4]), uid: Number(f[7]), inode: Number(f[8]) });
  }
  return out;
}
