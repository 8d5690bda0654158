import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  decodeAddress,
  formatIPv6Bytes,
  parseProcNet,
  parseProcNetDetailed,
  stateName,
} from '../../../src/collectors/network/parse-proc-net.js';

/*
 * Recorded lines: copied from /proc/net/{tcp,tcp6,udp,udp6} of this x86_64 (little-endian) box,
 * kernel 6.18, captured in a private network namespace holding only loopback sockets. The ss
 * -tuanp output captured at the same moment is in parse-ss.test.ts and agrees with every value
 * below. States 0B (CLOSING) and 0C (NEW_SYN_RECV) are not real captures: CLOSING only lasts
 * microseconds on loopback, and the kernel never prints 0C (request sockets are printed as 03),
 * so those two lines are real lines with only the state column rewritten.
 */
const TCP_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ';
const TCP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const UDP_HEADER =
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            ';

const TCP_LINES = [
  '   0: 0100007F:B6C7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12652 1 000000005c100e52 100 0 0 10 0                     ',
  '   2: 0100007F:B6C7 0100007F:A968 04 00000001:00000000 04:00000028 00000000     0        1 12724 2 000000006c097b69 20 0 0 10 -1                     ',
  '   3: 0200007F:C027 0100007F:AE35 01 00000000:00000000 00:00000000 00000000     0        0 12662 2 000000005d160536 20 0 0 10 -1                     ',
  '   4: 0100007F:9097 0100007F:80CC 03 00000000:00000000 01:0000001C 00000000     0        0 0 0 000000001122a98a                                      ',
  '   6: 0100007F:BE98 0100007F:0016 02 00000001:00000000 01:00000046 00000000     0        0 12732 2 00000000fcdb7f00 100 0 0 10 -1                    ',
  '   7: 0100007F:B6C7 0100007F:A95E 09 00000001:00000001 04:00000028 00000000     0        1 12720 2 0000000066313560 20 4 0 10 -1                     ',
  '   8: 0100007F:B6C7 0100007F:A950 08 00000000:00000001 00:00000000 00000000     0        0 12716 1 0000000083e627b6 20 4 0 10 -1                     ',
  '  11: 0100007F:A94A 0100007F:B6C7 06 00000000:00000000 03:00001732 00000000     0        0 0 3 00000000566a7569                                      ',
  '  12: 0100007F:A950 0100007F:B6C7 05 00000000:00000000 00:00000000 00000000     0        0 12715 1 000000008de925b8 20 0 0 11 -1                     ',
  // Rewritten state (see above): line 14 of the capture, FIN_WAIT1 04 → CLOSING 0B.
  '  14: 0100007F:A968 0100007F:B6C7 0B 00000001:00000000 04:00000028 00000000     0        1 12723 2 00000000a13754b9 20 0 0 10 -1                     ',
  // Rewritten state: the SYN_RECV line, 03 → NEW_SYN_RECV 0C.
  '   4: 0100007F:9097 0100007F:80CC 0C 00000000:00000000 01:0000001C 00000000     0        0 0 0 000000001122a98a                                      ',
];

const TCP6_LINES = [
  '   0: 00000000000000000000000000000000:AE35 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12654 1 00000000ed3e3ccb 100 0 0 10 0',
  '   2: 00000000000000000000000001000000:A863 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12653 1 000000008f94cc85 100 0 0 10 0',
  '   3: 0000000000000000FFFF00000100007F:AE35 0000000000000000FFFF00000200007F:C027 01 00000000:00000000 00:00000000 00000000     0        0 12663 1 00000000bf6a3771 20 0 0 10 -1',
  '   4: 00000000000000000000000001000000:9E8A 00000000000000000000000001000000:0016 02 00000001:00000000 01:00000045 00000000     0        0 12733 2 00000000b3da8612 100 0 0 10 -1',
  '   7: 00000000000000000000000001000000:EC34 00000000000000000000000001000000:A863 06 00000000:00000000 03:0000173C 00000000     0        0 0 3 000000001d47006d',
  '   8: 00000000000000000000000001000000:EC44 00000000000000000000000001000000:A863 05 00000000:00000000 00:00000000 00000000     0        0 12717 1 000000007055c0ff 20 0 0 11 -1',
  '   9: 00000000000000000000000001000000:EC4E 00000000000000000000000001000000:A863 04 00000001:00000000 04:00000028 00000000     0        1 12721 2 00000000a30389ab 20 0 0 10 -1',
  '  11: 00000000000000000000000001000000:A863 00000000000000000000000001000000:EC44 08 00000000:00000001 00:00000000 00000000     0        0 12718 1 00000000fa467c34 20 4 0 10 -1',
];

const UDP_LINES = [
  '13498: 0100007F:C002 0100007F:C22F 01 00000000:00000000 00:00000000 00000000     0        0 12727 2 0000000058b3277c 0         ',
  '14055: 0100007F:C22F 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12725 2 000000008f117900 0         ',
];
const UDP6_LINES = [
  '15450: 00000000000000000000000001000000:87A2 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12726 2 000000005d599922 0',
];

type Row = [local: string, lport: number, remote: string, rport: number, state: string, uid: number, inode: number];
const rows = (recs: ReturnType<typeof parseProcNet>): Row[] =>
  recs.map((r) => [r.localAddress, r.localPort, r.remoteAddress, r.remotePort, r.state, r.uid, r.inode]);

describe('parseProcNet on recorded lines', () => {
  it('decodes every recorded /proc/net/tcp line exactly', () => {
    const text = [TCP_HEADER, ...TCP_LINES, ''].join('\n');
    const { records, badLines } = parseProcNetDetailed(text, 'tcp', 4, { littleEndian: true, netns: 4026531840 });
    expect(badLines).toEqual([]);
    expect(rows(records)).toEqual<Row[]>([
      ['127.0.0.1', 46791, '0.0.0.0', 0, 'LISTEN', 0, 12652],
      ['127.0.0.1', 46791, '127.0.0.1', 43368, 'FIN_WAIT1', 0, 12724],
      ['127.0.0.2', 49191, '127.0.0.1', 44597, 'ESTABLISHED', 0, 12662],
      ['127.0.0.1', 37015, '127.0.0.1', 32972, 'SYN_RECV', 0, 0],
      ['127.0.0.1', 48792, '127.0.0.1', 22, 'SYN_SENT', 0, 12732],
      ['127.0.0.1', 46791, '127.0.0.1', 43358, 'LAST_ACK', 0, 12720],
      ['127.0.0.1', 46791, '127.0.0.1', 43344, 'CLOSE_WAIT', 0, 12716],
      ['127.0.0.1', 43338, '127.0.0.1', 46791, 'TIME_WAIT', 0, 0],
      ['127.0.0.1', 43344, '127.0.0.1', 46791, 'FIN_WAIT2', 0, 12715],
      ['127.0.0.1', 43368, '127.0.0.1', 46791, 'CLOSING', 0, 12723],
      ['127.0.0.1', 37015, '127.0.0.1', 32972, 'NEW_SYN_RECV', 0, 0],
    ]);
    for (const r of records) {
      expect(r).toMatchObject({ protocol: 'tcp', family: 4, pids: [], netns: 4026531840 });
    }
  });

  it('decodes recorded /proc/net/tcp6 lines, v4-mapped as plain IPv4 with family 6', () => {
    const text = [TCP6_HEADER, ...TCP6_LINES].join('\n');
    const { records, badLines } = parseProcNetDetailed(text, 'tcp', 6, { littleEndian: true });
    expect(badLines).toEqual([]);
    expect(rows(records)).toEqual<Row[]>([
      ['::', 44597, '::', 0, 'LISTEN', 0, 12654],
      ['::1', 43107, '::', 0, 'LISTEN', 0, 12653],
      ['127.0.0.1', 44597, '127.0.0.2', 49191, 'ESTABLISHED', 0, 12663],
      ['::1', 40586, '::1', 22, 'SYN_SENT', 0, 12733],
      ['::1', 60468, '::1', 43107, 'TIME_WAIT', 0, 0],
      ['::1', 60484, '::1', 43107, 'FIN_WAIT2', 0, 12717],
      ['::1', 60494, '::1', 43107, 'FIN_WAIT1', 0, 12721],
      ['::1', 43107, '::1', 60484, 'CLOSE_WAIT', 0, 12718],
    ]);
    for (const r of records) expect(r).toMatchObject({ protocol: 'tcp', family: 6, pids: [], netns: null });
  });

  it('decodes recorded /proc/net/udp and udp6 lines (07 = unconnected, 01 = connected)', () => {
    const udp = parseProcNet([UDP_HEADER, ...UDP_LINES].join('\n'), 'udp', 4, { littleEndian: true });
    expect(rows(udp)).toEqual<Row[]>([
      ['127.0.0.1', 49154, '127.0.0.1', 49711, 'ESTABLISHED', 0, 12727],
      ['127.0.0.1', 49711, '0.0.0.0', 0, 'CLOSE', 0, 12725],
    ]);
    expect(udp.every((r) => r.protocol === 'udp' && r.family === 4)).toBe(true);
    const udp6 = parseProcNet(UDP6_LINES.join('\n'), 'udp', 6, { littleEndian: true });
    expect(rows(udp6)).toEqual<Row[]>([['::1', 34722, '::', 0, 'CLOSE', 0, 12726]]);
  });

  it('covers every state code 01..0C between the recorded tables', () => {
    const all = [
      ...parseProcNet(TCP_LINES.join('\n'), 'tcp', 4, { littleEndian: true }),
      ...parseProcNet(TCP6_LINES.join('\n'), 'tcp', 6, { littleEndian: true }),
      ...parseProcNet(UDP_LINES.join('\n'), 'udp', 4, { littleEndian: true }),
    ];
    expect(new Set(all.map((r) => r.state))).toEqual(
      new Set([
        'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
        'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV',
      ]),
    );
  });

  it('reads the same lines as a big-endian host wrote them (s390x: no byte reversal)', () => {
    const be = [
      '   0: 7F000001:0016 7F000002:C027 01 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 20 0 0 10 -1',
    ].join('\n');
    expect(rows(parseProcNet(be, 'tcp', 4, { littleEndian: false }))).toEqual<Row[]>([
      ['127.0.0.1', 22, '127.0.0.2', 49191, 'ESTABLISHED', 1000, 777],
    ]);
    const be6 =
      '   0: 00000000000000000000000000000001:0016 00000000000000000000FFFF7F000002:C027 01 00000000:00000000 00:00000000 00000000     0        0 778 1 0000000000000000 20 0 0 10 -1';
    expect(rows(parseProcNet(be6, 'tcp', 6, { littleEndian: false }))).toEqual<Row[]>([
      ['::1', 22, '127.0.0.2', 49191, 'ESTABLISHED', 0, 778],
    ]);
  });
});

describe('stateName', () => {
  it('maps every code 01..0C and upper- or lower-case hex', () => {
    const expected = [
      'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
      'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV',
    ];
    expected.forEach((name, i) => {
      const code = (i + 1).toString(16).padStart(2, '0');
      expect(stateName(code.toUpperCase())).toBe(name);
      expect(stateName(code)).toBe(name);
    });
  });

  it('renders unknown codes raw instead of failing', () => {
    expect(stateName('00')).toBe('UNKNOWN_00');
    expect(stateName('0d')).toBe('UNKNOWN_0D');
    expect(stateName('FF')).toBe('UNKNOWN_FF');
  });

  it('keeps a line with an unknown state code as a record', () => {
    const line = TCP_LINES[0].replace(' 0A ', ' 0D ');
    const [r] = parseProcNet(line, 'tcp', 4, { littleEndian: true });
    expect(r.state).toBe('UNKNOWN_0D');
    expect(r.localPort).toBe(46791);
  });
});

describe('decodeAddress', () => {
  it('decodes IPv4 as a host-order u32', () => {
    expect(decodeAddress('0100007F', true)).toBe('127.0.0.1');
    expect(decodeAddress('0200007F', true)).toBe('127.0.0.2');
    expect(decodeAddress('7F000001', false)).toBe('127.0.0.1');
    expect(decodeAddress('00000000', true)).toBe('0.0.0.0');
    expect(decodeAddress('FFFFFF7F', true)).toBe('127.255.255.255');
  });

  it('decodes IPv6 word by word, keeping word order', () => {
    expect(decodeAddress('00000000000000000000000001000000', true)).toBe('::1');
    expect(decodeAddress('00000000000000000000000000000000', true)).toBe('::');
    expect(decodeAddress('0000000000000000FFFF00000100007F', true)).toBe('127.0.0.1');
    expect(decodeAddress('0000000000000000ffff00000200007f', true)).toBe('127.0.0.2');
    // v4-compatible (deprecated) ::127.0.0.1 is printed dotted, as inet_ntop and ss do.
    expect(decodeAddress('0000000000000000000000000100007F', true)).toBe('::127.0.0.1');
    expect(decodeAddress('00000000000000000000000000000001', false)).toBe('::1');
  });

  it('throws on input that is not 8 or 32 hex digits', () => {
    expect(() => decodeAddress('0100007', true)).toThrow(RangeError);
    expect(() => decodeAddress('0100007G', true)).toThrow(RangeError);
    expect(() => decodeAddress('', true)).toThrow(RangeError);
  });

  it('formats IPv6 exactly as libuv/glibc inet_ntop does (RFC 5952), over random addresses', () => {
    // Deterministic generator; words are zero half of the time so zero runs of every length occur.
    let seed = 0x12345678;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    let checked = 0;
    for (let n = 0; n < 5000; n++) {
      const words = Array.from({ length: 8 }, () => (rnd() % 2 === 0 ? 0 : rnd() % 3 === 0 ? 0xffff : rnd() & 0xffff));
      const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
      const full = words.map((w) => w.toString(16)).join(':');
      const reference = new net.SocketAddress({ address: full, family: 'ipv6' }).address;
      expect(formatIPv6Bytes(bytes), full).toBe(reference);
      checked++;
    }
    expect(checked).toBe(5000);
  });
});

describe('malformed input', () => {
  it('skips and reports bad lines, keeps the good ones, never throws', () => {
    const text = [
      TCP_HEADER,
      TCP_LINES[0],
      'garbage',
      '   1: 0100007F:B6C7 00000000:0000 0A 00000000:00000000 00:00000000', // truncated
      '   2: 0100007F:B6Z7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 0 0 0 0 0', // bad port hex
      '   3: 00000000000000000000000001000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1', // v6 address in the v4 table
      '   4: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000    -1        0 1 1', // negative uid
      '   5: 0100007F:0016 00000000:0000 A 00000000:00000000 00:00000000 00000000     0        0 1 1', // 1-digit state
      '   6: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12x 1', // bad inode
      'x6: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1', // bad slot
      '',
      TCP_LINES[2],
    ].join('\r\n');
    const { records, badLines } = parseProcNetDetailed(text, 'tcp', 4, { littleEndian: true });
    expect(records.map((r) => r.inode)).toEqual([12652, 12662]);
    expect(badLines.map((b) => b.lineNo)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(badLines[0].line).toBe('garbage');
    expect(parseProcNet('', 'tcp', 4)).toEqual([]);
    expect(parseProcNet(TCP_HEADER, 'udp', 6)).toEqual([]);
  });
});
