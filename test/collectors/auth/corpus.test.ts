/**
 * The parser against real logs (loghub, https://github.com/logpai/loghub — see the LICENSE next to
 * the files), checked against oracles written independently of the implementation: plain string
 * operations that mirror `grep | awk`, and the real grep and awk.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthLogParser, type AuthLogEvent } from '../../../src/collectors/auth/events.js';
import { makeYearResolver } from '../../../src/collectors/auth/parse-syslog.js';
import { readLines } from '../../../src/collectors/auth/read-lines.js';
import { AuthTally } from '../../../src/collectors/auth/tally.js';
import { CORPUS } from '../../helpers/cli.js';
import path from 'node:path';

const DIR = path.join(CORPUS ?? '/nonexistent', 'loghub');
const OPENSSH = `${DIR}/OpenSSH_2k.log`;
const LINUX = `${DIR}/Linux_2k.log`;

async function parseFile(file: string): Promise<{ events: AuthLogEvent[]; parser: AuthLogParser }> {
  const parser = new AuthLogParser({ source: file, yearResolver: makeYearResolver(statSync(file).mtime) });
  const events: AuthLogEvent[] = [];
  let n = 0;
  for await (const line of readLines(createReadStream(file))) events.push(...parser.push(line, ++n));
  events.push(...parser.end());
  return { events, parser };
}

/** Whitespace fields, as awk splits them (CR left on the last field, as awk does). */
const fields = (line: string): string[] => line.split(/[ \t]+/).filter((f) => f !== '');

/**
 * Oracle for `grep PATTERN FILE | awk '{ w = ($6=="message" && $7=="repeated") ? $8 : 1;
 *   for (i=1;i<=NF;i++) if ($i=="from") ip=$(i+1); c[ip]+=w }'`: per-address counts with
 * rsyslog repeats expanded (the repeat line's count is added; the original line counts itself).
 */
function grepAwkCounts(text: string, pattern: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.includes(pattern)) continue;
    const f = fields(line);
    const weight = f[5] === 'message' && f[6] === 'repeated' ? Number(f[7]) : 1;
    let ip = '';
    for (let i = 0; i < f.length; i++) if (f[i] === 'from') ip = f[i + 1];
    counts.set(ip, (counts.get(ip) ?? 0) + weight);
  }
  return counts;
}

function sumCounts(...maps: Map<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

function countBy(events: AuthLogEvent[], pred: (e: AuthLogEvent) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) if (pred(e)) out.set(e.ip ?? e.rhost ?? '', (out.get(e.ip ?? e.rhost ?? '') ?? 0) + 1);
  return out;
}

const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

describe.skipIf(CORPUS === null)('loghub OpenSSH_2k.log', () => {
  let text: string;
  let events: AuthLogEvent[];
  let parser: AuthLogParser;

  beforeAll(async () => {
    text = readFileSync(OPENSSH, 'latin1');
    ({ events, parser } = await parseFile(OPENSSH));
  });

  it('reads every line', () => {
    expect(parser.stats.lines).toBe(text.split('\n').length);
    expect(parser.stats.unparsed).toBe(0);
    expect(parser.stats.lines).toBe(2000);
  });

  it('per-address Failed password counts equal the string oracle (repeats expanded)', () => {
    const oracle = grepAwkCounts(text, 'Failed password');
    const mine = countBy(events, (e) => e.kind === 'failed' && e.method === 'password');
    expect(oracle.size).toBeGreaterThan(10);
    expect(sorted(mine)).toEqual(sorted(oracle));
    // The two repeat lines of the file each add five.
    expect(oracle.get('5.36.59.76')).toBe(6);
    expect(oracle.get('106.5.5.195')).toBe(6);
  });

  it('per-address counts equal the real grep | awk', () => {
    const out = execFileSync('sh', ['-c',
      `grep "Failed password" "$1" | awk '{ w = ($6=="message" && $7=="repeated") ? $8 : 1; for (i=1;i<=NF;i++) if ($i=="from") ip=$(i+1); c[ip]+=w } END { for (k in c) print k, c[k] }'`,
      'sh', OPENSSH], { encoding: 'utf8' });
    const real = new Map(out.trim().split('\n').map((l) => {
      const [ip, n] = l.split(' ');
      return [ip, Number(n)] as [string, number];
    }));
    const mine = countBy(events, (e) => e.kind === 'failed' && e.method === 'password');
    expect(sorted(mine)).toEqual(sorted(real));
  });

  it('relates to grep -c: each matching line is an original or a repeat line of N more', () => {
    const grepC = Number(execFileSync('grep', ['-c', 'Failed password', OPENSSH], { encoding: 'utf8' }).trim());
    const failedPw = events.filter((e) => e.kind === 'failed' && e.method === 'password');
    const originals = failedPw.filter((e) => !e.repeated).length;
    const copies = failedPw.filter((e) => e.repeated).length;
    const repeatLines = new Set(failedPw.filter((e) => e.repeated).map((e) => e.lineNo)).size;
    expect(grepC).toBe(520);
    expect(originals + repeatLines).toBe(grepC);
    expect(failedPw.length).toBe(grepC - repeatLines + copies);
    expect(repeatLines).toBe(parser.stats.repeatLines);
    expect(copies).toBe(10);
  });

  it('tally failures per address = Failed lines (any method) + pam failures of pids without a Failed line', () => {
    // Independent oracle: pids (from "sshd[PID]:") with a pam "authentication failure" line and no
    // "Failed password" line; each such pam line is a failure from its rhost.
    const pidOf = (line: string): string => line.slice(line.indexOf('sshd[') + 5, line.indexOf(']:'));
    const failedPids = new Set<string>();
    const pamLines: { pid: string; rhost: string }[] = [];
    for (const line of text.split('\n')) {
      if (line.includes('Failed password')) failedPids.add(pidOf(line));
      if (line.includes('pam_unix(sshd:auth): authentication failure;')) {
        const rhost = fields(line).find((f) => f.startsWith('rhost='))?.slice('rhost='.length) ?? '';
        pamLines.push({ pid: pidOf(line), rhost });
      }
    }
    const lonePam = new Map<string, number>();
    for (const p of pamLines) if (!failedPids.has(p.pid)) lonePam.set(p.rhost, (lonePam.get(p.rhost) ?? 0) + 1);
    expect(sorted(lonePam)).toEqual([['183.62.140.253', 1]]); // the last connection of the file is cut off

    const expected = sumCounts(grepAwkCounts(text, 'Failed password'), grepAwkCounts(text, 'Failed none'), lonePam);
    const tally = new AuthTally();
    tally.addAll(events);
    const rows = new Map(tally.toRows().filter((r) => r.failures > 0).map((r) => [r.address, r.failures]));
    expect(sorted(rows)).toEqual(sorted(expected));
    expect(tally.toRows()[0]).toMatchObject({ address: '183.62.140.253', failures: 287 });
  });

  it('places the year from the file mtime', () => {
    const mtime = statSync(OPENSSH).mtime;
    const y = mtime.getUTCFullYear();
    const year = Date.UTC(y, 11, 10, 6, 55, 46) > mtime.getTime() + 86_400_000 ? y - 1 : y;
    expect(events[0].time).toBe(`${year}-12-10T06:55:46.000Z`);
  });
});

describe.skipIf(CORPUS === null)('loghub Linux_2k.log (old sshd(pam_unix) tags, no Failed lines)', () => {
  it('counts each pam failure once, per rhost, as an awk over rhost= would', async () => {
    const text = readFileSync(LINUX, 'latin1');
    const oracle = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line.includes(' sshd(pam_unix)[') || !line.includes(': authentication failure;')) continue;
      const rhost = fields(line).find((f) => f.startsWith('rhost='))?.slice('rhost='.length).trim() ?? '';
      oracle.set(rhost, (oracle.get(rhost) ?? 0) + 1);
    }
    const { events, parser } = await parseFile(LINUX);
    const tally = new AuthTally();
    tally.addAll(events);
    const rows = new Map(tally.toRows().filter((r) => r.failures > 0).map((r) => [r.address, r.failures]));
    expect(sorted(rows)).toEqual(sorted(oracle));
    expect([...oracle.values()].reduce((a, b) => a + b, 0)).toBe(489);
    // su(pam_unix) and sshd(pam_unix) session lines.
    expect(events.filter((e) => e.kind === 'session-opened' && e.program === 'su(pam_unix)')).toHaveLength(86);
    expect(events.filter((e) => e.kind === 'session-opened' && e.program === 'sshd(pam_unix)')).toHaveLength(36);
    // Other programs are counted, not dropped.
    expect(parser.unknownByProgram.get('ftpd')).toBe(916);
    const unknownTotal = [...parser.unknownByProgram.values()].reduce((a, b) => a + b, 0);
    const recognised = events.filter((e) => e.kind !== 'other').length;
    expect(unknownTotal + recognised).toBe(parser.stats.lines);
  });
});
