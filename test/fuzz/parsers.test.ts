/**
 * Every parser of box or bundle bytes, fed arbitrary input and mutated real samples (the test
 * fixtures and the loghub sshd corpus): it returns, it never throws, and what it returns grows at
 * most linearly with what it read. Hangs show as the file's own timeout: each property runs a
 * bounded number of bounded inputs, so a parser that is linear finishes in well under a second.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../src/collectors/auth/parse-sshd.js';
import { parseSyslogLine } from '../../src/collectors/auth/parse-syslog.js';
import { parseJournalJsonLine } from '../../src/collectors/auth/journal.js';
import { parseAnacrontab, parseAtJob, parseCrontab } from '../../src/collectors/cron/parse-crontab.js';
import { parseDiversions, parseDpkgList, parseDpkgStatus, parseMd5sums, parseStatOverride } from '../../src/collectors/integrity/parse-dpkg.js';
import { parseLastlog } from '../../src/collectors/logins/parse-lastlog.js';
import { parseUtmp } from '../../src/collectors/logins/parse-utmp.js';
import { parseAuthorizedKeys } from '../../src/collectors/ssh-keys/parse-authorized-keys.js';
import { parseSshdT, resolveSshdSettings } from '../../src/collectors/sshd-config/settings.js';
import { mergeUnit, parseEnvironment, parseExec, parseUnitFile } from '../../src/collectors/systemd-units/parse-unit.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import { tmpDir } from '../helpers/bundle.js';
import { CORPUS as SHARED_CORPUS, REPO } from '../helpers/cli.js';

/** Runs per property: enough to find the shallow bugs every run, small enough for the whole file to take seconds. */
const RUNS = Number(process.env.IRT_FUZZ_RUNS) || 150;
const CORPUS = SHARED_CORPUS ?? '/nonexistent';

/** Real samples, by what reads them: every fixture file and the shared corpus when it is there. */
function samples(dir: string, keep: (file: string) => boolean): Buffer[] {
  const out: Buffer[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 512 * 1024 && keep(p)) out.push(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const FIX = path.join(REPO, 'test/fixtures');
const logSamples = [...samples(path.join(FIX, 'auth'), (f) => f.endsWith('.log')), ...samples(CORPUS, (f) => f.endsWith('.log'))];
const journalSamples = samples(path.join(FIX, 'auth'), (f) => f.endsWith('.json'));
const cronSamples = samples(FIX, (f) => /cron|anacrontab|crontabs/.test(f));
const unitSamples = samples(FIX, (f) => /\.(service|timer|socket|path)$/.test(f));
const keySamples = samples(FIX, (f) => /authorized_keys/.test(f));
const sshdSamples = samples(FIX, (f) => /sshd_config/.test(f));
const dpkgSamples = samples(FIX, (f) => /\/dpkg\/(status|info\/)/.test(f));

/** A real sample with bytes flipped, inserted, deleted, or a slice repeated: the edits an attacker or a torn write makes. */
function mutated(pool: Buffer[]): fc.Arbitrary<Buffer> {
  const base = pool.length ? fc.constantFrom(...pool) : fc.constant(Buffer.alloc(0));
  const edit = fc.record({ kind: fc.integer({ min: 0, max: 4 }), at: fc.nat(), len: fc.integer({ min: 0, max: 64 }), bytes: fc.uint8Array({ maxLength: 64 }) });
  return fc.tuple(base, fc.array(edit, { maxLength: 8 })).map(([b, edits]) => {
    let buf = Buffer.from(b.subarray(0, 64 * 1024));
    for (const e of edits) {
      const at = buf.length ? e.at % buf.length : 0;
      if (e.kind === 0) buf = Buffer.concat([buf.subarray(0, at), Buffer.from(e.bytes), buf.subarray(at + e.bytes.length)]);
      else if (e.kind === 1) buf = Buffer.concat([buf.subarray(0, at), Buffer.from(e.bytes), buf.subarray(at)]);
      else if (e.kind === 2) buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + e.len)]);
      else if (e.kind === 3) buf = Buffer.concat([buf.subarray(0, at + e.len), buf.subarray(at)]);
      else buf = buf.subarray(0, at);
    }
    return buf;
  });
}

/** Text as the readers get it: arbitrary strings, arbitrary bytes decoded as UTF-8, mutated samples, and lines of them. */
function textInput(pool: Buffer[]): fc.Arbitrary<string> {
  const tricky = fc.constantFrom('__proto__', 'constructor', 'toString', '\n', '\r\n', '\\', '"', "'", '%', '#', '=', ' ', '\t', '\0', '[', ']', '{', '}', ':', '@', ',', '\u00a0', '\u2028', '\ud800', '\x1b[31m');
  return fc.oneof(
    fc.string({ maxLength: 400, unit: 'binary' }),
    fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b).toString('utf8')),
    fc.array(fc.oneof(tricky, fc.string({ maxLength: 12 })), { maxLength: 200 }).map((parts) => parts.join('')),
    mutated(pool).map((b) => b.toString('utf8')),
  );
}

/** Lines taken from a text input, as the line readers hand them over. */
const lineOf = (pool: Buffer[]) => textInput(pool).map((t) => t.split('\n')[0] ?? '');

/** Output size as JSON: at most linear in the input (generous factor for escaping and per-record fields). */
function jsonSize(value: unknown): number {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? [...v] : Buffer.isBuffer(v) ? v.length : v))?.length ?? 0;
}
function expectBounded(output: unknown, inputLength: number): void {
  expect(jsonSize(output)).toBeLessThanOrEqual(64 * inputLength + 4096);
}

/** A property over `input` whose body must return without throwing. */
function never<T>(input: fc.Arbitrary<T>, size: (t: T) => number, body: (t: T) => unknown): void {
  fc.assert(
    fc.property(input, (t) => {
      expectBounded(body(t), size(t));
    }),
    { numRuns: RUNS },
  );
}

const bytes = (pool: Buffer[]) => fc.oneof(fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)), mutated(pool));

describe('parsers on hostile input: never throw, never hang, output bounded by input', () => {
  it('utmp/wtmp/btmp (384-byte records) and lastlog', () => {
    const records = [0, 1, 2, 7].map((type) => {
      const b = Buffer.alloc(384, 0x41);
      b.writeInt32LE(type, 0);
      return b;
    });
    const pool = [Buffer.concat(records), Buffer.alloc(384 * 3)];
    never(bytes(pool), (b) => b.length, (b) => parseUtmp(b, '/var/log/wtmp'));
    never(bytes(pool), (b) => b.length, (b) => parseLastlog(b));
  });

  it('syslog lines (RFC 3164 and RFC 3339 stamps) and the sshd messages in them', () => {
    never(lineOf(logSamples), (l) => l.length, (l) => {
      const parsed = parseSyslogLine(l);
      return [parsed, classifyMessage(parsed?.program ?? 'sshd', parsed?.message ?? l)];
    });
    never(lineOf(logSamples), (l) => l.length, (l) => classifyMessage('sshd', l));
  });

  it('journal export lines (journalctl -o json)', () => {
    const jsonish = fc.oneof(lineOf(journalSamples), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.dictionary(fc.constantFrom('MESSAGE', '__REALTIME_TIMESTAMP', 'SYSLOG_IDENTIFIER', '_PID', '_COMM', 'SYSLOG_PID', '_HOSTNAME'), fc.oneof(fc.string(), fc.array(fc.nat({ max: 255 }), { maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }))).map((d) => JSON.stringify(d)));
    never(jsonish, (l) => l.length, (l) => parseJournalJsonLine(l));
  });

  it('crontabs (system and spool), anacrontab, at jobs', () => {
    never(textInput(cronSamples), (t) => t.length, (t) => [parseCrontab(t, 'system'), parseCrontab(t, 'spool', 'root'), parseAnacrontab(t), parseAtJob(t)]);
  });

  it('systemd unit files, Exec lines and Environment values', () => {
    never(textInput(unitSamples), (t) => t.length, (t) => {
      const settings = parseUnitFile(t, '/etc/systemd/system/x.service');
      return [settings, mergeUnit([{ file: '/etc/systemd/system/x.service', text: t }]), parseExec(t), parseEnvironment(t)];
    });
  });

  it('authorized_keys', () => {
    never(textInput(keySamples), (t) => t.length, (t) => parseAuthorizedKeys(t));
  });

  it('sshd_config (with Includes of itself and of globs) and sshd -T output', () => {
    // The text is the main file and both files the glob lists: three files read, so three times the input.
    never(textInput(sshdSamples), (t) => 3 * t.length, (t) => {
      const settings = resolveSshdSettings((p) => (p === '/etc/ssh/sshd_config' || p.startsWith('/etc/ssh/sshd_config.d/') ? t : null), () => ['/etc/ssh/sshd_config.d/a.conf', '/etc/ssh/sshd_config.d/b.conf'], '/etc/ssh/sshd_config');
      return [settings, parseSshdT(t)];
    });
  });

  it('dpkg status, .list, .md5sums, diversions and statoverride', () => {
    never(textInput(dpkgSamples), (t) => t.length, (t) => [parseDpkgStatus(t), parseDpkgList(t), parseMd5sums(t), parseDiversions(t), parseStatOverride(t)]);
  });

  it('long lines (tens of kilobytes of the same few tokens): no parser backtracks or loops on them', () => {
    const token = fc.constantFrom(' ', '\t', '"', "'", '\\', '=', '%', ',', ':', '[', 'a', '0', '-', '/', '@', '(', ')', '.');
    const long = fc.tuple(fc.array(token, { minLength: 1, maxLength: 4 }), fc.integer({ min: 5_000, max: 20_000 }), fc.string({ maxLength: 20 })).map(([unit, n, tail]) => unit.join('').repeat(n) + tail);
    fc.assert(
      fc.property(long, (l) => {
        const syslog = parseSyslogLine(`Mar  1 09:00:00 box sshd[1]: ${l}`);
        const out = [
          syslog, classifyMessage('sshd', l), classifyMessage('sshd', `Failed password for ${l} from ${l} port 22 ssh2`), parseJournalJsonLine(l),
          parseCrontab(`* * * * * ${l}`, 'spool', 'root'), parseUnitFile(`[Service]\nExecStart=${l}\nEnvironment=${l}`, '/x.service'), parseExec(l), parseEnvironment(l),
          parseAuthorizedKeys(`${l} ssh-ed25519 AAAA ${l}`), parseSshdT(l),
          resolveSshdSettings((p) => (p === '/etc/ssh/sshd_config' ? `AuthorizedKeysFile ${l}\nMatch User ${l}\n` : null), () => [], '/etc/ssh/sshd_config'),
          parseDpkgStatus(`Package: ${l}\nConffiles:\n ${l}\n`), parseMd5sums(l), parseDiversions(l), parseStatOverride(l),
        ];
        expectBounded(out, 8 * l.length);
      }),
      { numRuns: Math.ceil(RUNS / 15) },
    );
  });

  it('bundles (.tar.gz): arbitrary and mutated archives are reported as problems, never thrown', async () => {
    const dir = tmpDir('irt-fuzz-tar-');
    const header = Buffer.alloc(512);
    header.write('case/manifest.json', 0);
    header.write('0000644\0', 100);
    header.write('00000000010\0', 124);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\x0000', 257);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const tar = Buffer.concat([header, Buffer.from('{"a":1}\n'.padEnd(512, '\0')), Buffer.alloc(1024)]);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated([tar]).map((b) => gzipSync(b)), mutated([gzipSync(tar)]), fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b))), async (b) => {
        const file = path.join(dir, `b${n++}.tar.gz`);
        writeFileSync(file, b);
        const report = await verifyBundle(file);
        expect(report.ok).toBe(false);
        expect(report.problems.length).toBeGreaterThan(0);
        expectBounded(report, b.length);
      }),
      { numRuns: Math.ceil(RUNS / 2.5) },
    );
  });
});
