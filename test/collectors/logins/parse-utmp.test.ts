import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UTMP_RECORD_SIZE,
  formatUtAddr,
  isoFromMicros,
  isoMicros,
  parseUtmp,
  utTypeName,
} from '../../../src/collectors/logins/parse-utmp.js';
import { tamperingSignals } from '../../../src/collectors/logins/sessions.js';
import type { UtmpRecord } from '../../../src/model/logins.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/logins/', import.meta.url));
const UTMPDUMP = '/usr/bin/utmpdump';
const hasUtmpdump = existsSync(UTMPDUMP);
const NO_UTMPDUMP = 'utmpdump (util-linux) is not installed at /usr/bin/utmpdump';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ir-triage-utmp-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Binary records from utmpdump text, written by the real `utmpdump -r`. */
function undump(text: string): Buffer {
  const r = spawnSync(UTMPDUMP, ['-r'], { input: text, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`utmpdump -r failed: ${r.stderr.toString()}`);
  return r.stdout;
}

function fixtureBinary(name: string): Buffer {
  return undump(readFileSync(join(FIXTURES, name), 'utf8'));
}

function writeTemp(name: string, data: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

interface DumpFields {
  type: number;
  pid: number;
  id: string;
  user: string;
  line: string;
  host: string;
  addr: string | null;
  time: string;
}

const DUMP_LINE =
  /^\[(-?\d+)\] \[(-?\d+)\] \[(.{4})\] \[([^\]]*)\] \[([^\]]*)\] \[([^\]]*)\] \[([^\]]*)\] \[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d),(\d{6})\+00:00\]$/;

/** The oracle: what the real `utmpdump FILE` prints, parsed back into fields. */
function utmpdumpOracle(path: string): DumpFields[] {
  const r = spawnSync(UTMPDUMP, [path], { env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } });
  if (r.status !== 0) throw new Error(`utmpdump failed: ${r.stderr.toString()}`);
  const lines = r.stdout.toString('latin1').split('\n').filter((l) => l !== '');
  return lines.map((l) => {
    const m = DUMP_LINE.exec(l);
    if (!m) throw new Error(`unexpected utmpdump line: ${l}`);
    return {
      type: Number(m[1]),
      pid: Number(m[2]),
      id: m[3], // %-4.4s: kept padded, compared against the padded value
      user: m[4].trimEnd(),
      line: m[5].trimEnd(),
      host: m[6].trimEnd(),
      addr: m[7].trimEnd() === '0.0.0.0' ? null : m[7].trimEnd(),
      time: `${m[8]}.${m[9]}Z`,
    };
  });
}

function fieldsOf(r: UtmpRecord): DumpFields {
  return {
    type: r.type,
    pid: r.pid,
    id: r.id.padEnd(4),
    user: r.user,
    line: r.line,
    host: r.host,
    addr: r.addr,
    time: r.time,
  };
}

/** A zeroed record as utmpdump prints it. */
const ZERO_FIELDS: DumpFields = {
  type: 0, pid: 0, id: '    ', user: '', line: '', host: '', addr: null, time: '1970-01-01T00:00:00.000000Z',
};

function expectMatchesUtmpdump(path: string, file: string): ReturnType<typeof parseUtmp> {
  const buf = readFileSync(path);
  const parsed = parseUtmp(buf, file);
  const oracle = utmpdumpOracle(path);
  expect(oracle.length).toBe(Math.floor(buf.length / UTMP_RECORD_SIZE));
  const byIndex = new Map(parsed.records.map((r) => [r.index, r]));
  oracle.forEach((o, i) => {
    if (parsed.zeroRecords.includes(i)) {
      expect(o).toEqual(ZERO_FIELDS);
      expect(byIndex.has(i)).toBe(false);
    } else {
      const rec = byIndex.get(i);
      expect(rec, `record ${i}`).toBeDefined();
      expect(fieldsOf(rec!), `record ${i}`).toEqual(o);
    }
  });
  expect(parsed.records.length + parsed.zeroRecords.length).toBe(oracle.length);
  return parsed;
}

/** A hand-built 384-byte record, for cases utmpdump -r cannot write. */
function rawRecord(f: {
  type?: number; pid?: number; line?: Buffer | string; id?: Buffer | string; user?: Buffer | string;
  host?: Buffer | string; exit?: [number, number]; session?: number; sec?: number; usec?: number; addr?: number[];
}): Buffer {
  const b = Buffer.alloc(UTMP_RECORD_SIZE);
  const put = (v: Buffer | string | undefined, off: number, len: number) => {
    if (v === undefined) return;
    const src = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    src.copy(b, off, 0, Math.min(len, src.length));
  };
  b.writeInt16LE(f.type ?? 7, 0);
  b.writeInt32LE(f.pid ?? 0, 4);
  put(f.line, 8, 32);
  put(f.id, 40, 4);
  put(f.user, 44, 32);
  put(f.host, 76, 256);
  b.writeInt16LE(f.exit?.[0] ?? 0, 332);
  b.writeInt16LE(f.exit?.[1] ?? 0, 334);
  b.writeInt32LE(f.session ?? 0, 336);
  b.writeInt32LE(f.sec ?? 1704164645, 340);
  b.writeInt32LE(f.usec ?? 0, 344);
  if (f.addr) Buffer.from(f.addr).copy(b, 348);
  return b;
}

describe('parseUtmp against the real utmpdump', () => {
  it('wtmp fixture: every field equals what utmpdump prints', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const path = writeTemp('wtmp', fixtureBinary('wtmp.utmpdump.txt'));
    const parsed = expectMatchesUtmpdump(path, 'var/log/wtmp');
    expect(parsed.records).toHaveLength(24);
    expect(parsed.trailingBytes).toBe(0);
    expect(parsed.zeroRecords).toEqual([]);

    // Spot checks with literal values, independent of the oracle.
    const alice = parsed.records[3];
    expect(alice).toEqual({
      file: 'var/log/wtmp', index: 3, type: 7, typeName: 'USER_PROCESS', pid: 1234,
      line: 'pts/0', id: 'ts/0', user: 'alice', host: '203.0.113.7', addr: '203.0.113.7',
      exitTermination: 0, exitStatus: 0, session: 0,
      time: '2024-01-01T08:00:00.123456Z', sec: 1704096000, usec: 123456,
    });
    expect(parsed.records[4].addr).toBe('2001:db8::7');
    expect(parsed.records[13].addr).toBe('2001:db8:0:1::a3');
    // 32-byte user name: fills ut_user with no NUL terminator.
    const longUser = parsed.records[7];
    expect(longUser.user).toBe('deploy_automation_svc_account_01');
    expect(Buffer.byteLength(longUser.user)).toBe(32);
    expect(longUser.host).toBe('198.51.100.9');
    expect(parsed.records.map((r) => r.typeName).slice(0, 3)).toEqual(['BOOT_TIME', 'RUN_LVL', 'LOGIN_PROCESS']);
    expect(parsed.records[5]).toMatchObject({ type: 8, typeName: 'DEAD_PROCESS', user: '', host: '', addr: null });
  });

  it('btmp fixture: LOGIN_PROCESS failures on ssh:notty', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const path = writeTemp('btmp', fixtureBinary('btmp.utmpdump.txt'));
    const parsed = expectMatchesUtmpdump(path, 'var/log/btmp');
    expect(parsed.records.map((r) => [r.typeName, r.user, r.line, r.addr])).toEqual([
      ['LOGIN_PROCESS', 'root', 'ssh:notty', '203.0.113.50'],
      ['LOGIN_PROCESS', 'admin', 'ssh:notty', '203.0.113.50'],
      ['LOGIN_PROCESS', 'oracle', 'ssh:notty', '2001:db8:bad::1'],
      ['LOGIN_PROCESS', 'ubuntu_ci_runner_prod_backup_000', 'ssh:notty', '198.51.100.77'],
      ['LOGIN_PROCESS', 'test', 'ssh:notty', '192.0.2.201'],
    ]);
    expect(parsed.records[3].time).toBe('2024-01-02T07:00:09.999999Z');
    // host and address are independent fields: a name in ut_host, the IP in ut_addr_v6.
    expect(parsed.records[4].host).toBe('scanner.example.net');
  });

  it('addresses the text format cannot express match utmpdump (inet_ntop) byte for byte', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const v6 = (hex: string) => [...Buffer.from(hex.replace(/:/g, ''), 'hex')];
    const cases: Array<[number[], string | null]> = [
      [v6('0000:0000:0000:0000:0000:ffff:c000:0201'), '::ffff:192.0.2.1'],
      [v6('0000:0000:0000:0000:0000:0000:0000:0001'), '::1'],
      [v6('0000:0000:0000:0000:0000:0000:0102:0304'), '::1.2.3.4'],
      [v6('fe80:0000:0000:0000:0000:0000:0000:0001'), 'fe80::1'],
      [v6('2001:0db8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1'],
      [v6('2001:0db8:0000:0001:0001:0001:0001:0001'), '2001:db8:0:1:1:1:1:1'],
      // 1:: has bytes 4..15 zero, so the format reads it as IPv4 (utmpdump agrees): inherent ambiguity.
      [v6('0001:0000:0000:0000:0000:0000:0000:0000'), '0.1.0.0'],
      [v6('0001:0000:0000:0000:0000:0000:0000:0001'), '1::1'],
      // Byte 4 is the only non-zero byte after the first four: IPv6, not IPv4.
      [v6('0a00:0001:0100:0000:0000:0000:0000:0000'), 'a00:1:100::'],
      [v6('2001:0db8:abcd:0012:0000:0000:0000:0000'), '2001:db8:abcd:12::'],
      [[10, 0, 0, 1, ...new Array(12).fill(0)], '10.0.0.1'],
      [new Array(16).fill(0), null],
    ];
    const buf = Buffer.concat(cases.map(([addr], i) => rawRecord({
      pid: 100 + i, line: `pts/${i}`, id: `ts/${i}`, user: 'root', host: 'h', sec: 1704164645 + i, usec: i, addr,
    })));
    const path = writeTemp('addrs', buf);
    const parsed = expectMatchesUtmpdump(path, 'addrs');
    expect(parsed.records.map((r) => r.addr)).toEqual(cases.map(([, text]) => text));
  });

  it('fields that fill their whole width (no NUL) are read to the field end', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const line = 'L'.repeat(31) + 'x';
    const host = 'h'.repeat(255) + 'z';
    const user = 'u'.repeat(31) + 'y';
    const path = writeTemp('full', rawRecord({ line, id: 'abcd', user, host, pid: 4242 }));
    const parsed = expectMatchesUtmpdump(path, 'full');
    expect(parsed.records[0]).toMatchObject({ line, user, host, id: 'abcd' });
  });
});

describe('parseUtmp on hand-built records', () => {
  it('decodes exit, session, negative values and unknown types', () => {
    const buf = Buffer.concat([
      rawRecord({ type: 8, pid: 31337, line: 'pts/3', exit: [15, -1], session: 987654, sec: 1704164645, usec: 999999 }),
      rawRecord({ type: 42, pid: -5, line: 'x', sec: -1, usec: 0 }),
    ]);
    const { records } = parseUtmp(buf, 'wtmp');
    expect(records[0]).toMatchObject({
      type: 8, typeName: 'DEAD_PROCESS', pid: 31337, exitTermination: 15, exitStatus: -1, session: 987654,
      time: '2024-01-02T03:04:05.999999Z', sec: 1704164645, usec: 999999,
    });
    expect(records[1]).toMatchObject({ type: 42, typeName: 'UNKNOWN_42', pid: -5, time: '1969-12-31T23:59:59.000000Z' });
  });

  it('bytes that are not UTF-8 do not throw and become U+FFFD; valid UTF-8 is kept', () => {
    const user = Buffer.from([0x72, 0xff, 0x6f, 0x6f, 0x74]);
    const host = Buffer.from('hôte.example', 'utf8');
    const { records } = parseUtmp(rawRecord({ user, host, line: Buffer.from([0xc3]) }), 'wtmp');
    expect(records[0].user).toBe('r\uFFFDoot');
    expect(records[0].host).toBe('hôte.example');
    expect(records[0].line).toBe('\uFFFD');
  });

  it('stops a string at the first NUL even when bytes follow it', () => {
    const line = Buffer.from('pts/1\0garbage', 'latin1');
    expect(parseUtmp(rawRecord({ line }), 'wtmp').records[0].line).toBe('pts/1');
  });

  it('counts trailing bytes and zero records, and keeps file indexes', () => {
    const a = rawRecord({ pid: 1, line: 'pts/0', user: 'a', sec: 1000 });
    const b = rawRecord({ pid: 2, line: 'pts/1', user: 'b', sec: 2000 });
    const buf = Buffer.concat([a, Buffer.alloc(UTMP_RECORD_SIZE), Buffer.alloc(UTMP_RECORD_SIZE), b, Buffer.from([1, 2, 3])]);
    const parsed = parseUtmp(buf, 'wtmp');
    expect(parsed.records.map((r) => [r.index, r.pid])).toEqual([[0, 1], [3, 2]]);
    expect(parsed.zeroRecords).toEqual([1, 2]);
    expect(parsed.trailingBytes).toBe(3);
    expect(parseUtmp(Buffer.alloc(0), 'wtmp')).toEqual({ file: 'wtmp', records: [], trailingBytes: 0, zeroRecords: [] });
    expect(parseUtmp(Buffer.alloc(100, 7), 'wtmp').trailingBytes).toBe(100);
  });

  it('type names, time formatting and address edge cases', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(utTypeName)).toEqual([
      'EMPTY', 'RUN_LVL', 'BOOT_TIME', 'NEW_TIME', 'OLD_TIME', 'INIT_PROCESS', 'LOGIN_PROCESS',
      'USER_PROCESS', 'DEAD_PROCESS', 'ACCOUNTING', 'UNKNOWN_10',
    ]);
    expect(isoMicros(1704164645, 123456)).toBe('2024-01-02T03:04:05.123456Z');
    expect(isoMicros(0, 0)).toBe('1970-01-01T00:00:00.000000Z');
    // A damaged usec outside 0..999999 is carried into the seconds.
    expect(isoMicros(10, 1_500_000)).toBe('1970-01-01T00:00:11.500000Z');
    expect(isoMicros(10, -1)).toBe('1970-01-01T00:00:09.999999Z');
    expect(isoFromMicros(1704096000123456)).toBe('2024-01-01T08:00:00.123456Z');
    expect(formatUtAddr(new Uint8Array(16))).toBeNull();
    expect(formatUtAddr(Uint8Array.from([192, 0, 2, 1, ...new Array(12).fill(0)]))).toBe('192.0.2.1');
  });
});

describe('tamperingSignals', () => {
  it('a clean wtmp gives no signal', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const parsed = parseUtmp(fixtureBinary('wtmp.utmpdump.txt'), 'var/log/wtmp');
    expect(tamperingSignals(parsed, parsed.records)).toEqual([]);
  });

  it('a truncated file still yields every whole record and a trailing-bytes signal', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const full = fixtureBinary('wtmp.utmpdump.txt');
    const whole = parseUtmp(full, 'var/log/wtmp');
    const cut = full.subarray(0, full.length - 7);
    const path = writeTemp('wtmp-truncated', cut);
    const parsed = expectMatchesUtmpdump(path, 'var/log/wtmp');
    expect(parsed.records).toEqual(whole.records.slice(0, -1));
    expect(parsed.trailingBytes).toBe(UTMP_RECORD_SIZE - 7);
    const signals = tamperingSignals(parsed, parsed.records);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ kind: 'trailing-bytes', file: 'var/log/wtmp' });
    expect(signals[0].detail).toContain('377 byte(s)');
  });

  it('a zeroed record in the middle gives a zero-records signal', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const buf = Buffer.from(fixtureBinary('wtmp.utmpdump.txt'));
    buf.fill(0, 5 * UTMP_RECORD_SIZE, 6 * UTMP_RECORD_SIZE);
    buf.fill(0, 9 * UTMP_RECORD_SIZE, 11 * UTMP_RECORD_SIZE);
    const path = writeTemp('wtmp-zeroed', buf);
    const parsed = expectMatchesUtmpdump(path, 'var/log/wtmp');
    expect(parsed.zeroRecords).toEqual([5, 9, 10]);
    expect(parsed.records.map((r) => r.index)).not.toContain(5);
    expect(parsed.records).toHaveLength(21);
    const signals = tamperingSignals(parsed, parsed.records);
    expect(signals.map((s) => [s.kind, s.index, s.detail])).toEqual([
      ['zero-records', 5, 'record 5 is all zero bytes (wiped entry)'],
      ['zero-records', 9, 'records 9-10 (2 records) are all zero bytes (wiped entries)'],
    ]);
  });

  it('a back-dated record gives time-backwards; a clock change pair and sub-second jitter do not', (ctx) => {
    ctx.skip(!hasUtmpdump, NO_UTMPDUMP);
    const path = writeTemp('wtmp-backdated', fixtureBinary('wtmp-backdated.utmpdump.txt'));
    const parsed = expectMatchesUtmpdump(path, 'var/log/wtmp');
    expect(parsed.records.map((r) => r.typeName)).toEqual([
      'BOOT_TIME', 'USER_PROCESS', 'DEAD_PROCESS', 'OLD_TIME', 'NEW_TIME', 'USER_PROCESS', 'USER_PROCESS', 'DEAD_PROCESS',
    ]);
    const signals = tamperingSignals(parsed, parsed.records);
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ kind: 'time-backwards', file: 'var/log/wtmp', index: 6 });
    expect(signals[0].detail).toBe(
      'record 6 (USER_PROCESS mallory pts/2) at 2024-01-15T03:00:00.000000Z is 1489500.000000 s earlier than the previous record 5 (USER_PROCESS bob pts/1) at 2024-02-01T08:45:00.000000Z',
    );
    // With no tolerance the 0.5 s jitter (record 2) is reported too.
    expect(tamperingSignals(parsed, parsed.records, { toleranceSec: 0 }).map((s) => s.index)).toEqual([2, 6]);
    // utmp is rewritten in place: time order is not checked when asked not to.
    expect(tamperingSignals(parsed, parsed.records, { timeOrder: false })).toEqual([]);
  });
});
