import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/bundle.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { craftCase, custodyLines, packCase } from '../helpers/craft.js';
import { tarGz, tarHeader } from '../helpers/tar-bytes.js';

/**
 * Bundles crafted to hurt the investigator who opens them: bombs, FIFOs, links to /dev/zero,
 * nesting, wrong types. Each must end, through the real CLI, in exit 1 with the problem named
 * in one line (and in --json), never a hang (spawn's own timeout kills a hung run, and the
 * signal is checked), never a stack trace.
 */

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function scratch(prefix: string): string {
  const d = tmpDir(prefix);
  dirs.push(d);
  return d;
}

const MiB = 2 ** 20;
const HANG_MS = 30_000;

function run(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { timeout: HANG_MS, env: { ...process.env, ...env } });
}

/** Ended by itself (no timeout kill), exit 1, no stack trace, no bare TypeError. */
function expectCleanFailure(r: CliRun): void {
  expect(r.signal, `${r.stdout}\n${r.stderr}`).toBeNull();
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(text).not.toMatch(/TypeError|RangeError|FATAL ERROR|heap/i);
  }
}

/** verify (text and --json): names the problem, exit 1. */
async function expectVerifyNames(target: string, problem: RegExp, env: Record<string, string> = {}): Promise<void> {
  const text = await run(['verify', target], env);
  expectCleanFailure(text);
  expect(text.stdout).toMatch(/^NOT INTACT: /);
  expect(text.stdout).toMatch(problem);
  const json = await run(['verify', target, '--json'], env);
  expectCleanFailure(json);
  const o = JSON.parse(json.stdout) as { ok: boolean; problems: string[] };
  expect(o.ok).toBe(false);
  expect(o.problems.some((p) => problem.test(p)), o.problems.join('\n')).toBe(true);
}

/** A .tar.gz of one entry of `size` zero bytes (or `after` zero bytes after the archive's end), streamed: nothing large touches the disk. */
async function zeroBomb(file: string, o: { size?: number; after?: number }): Promise<void> {
  async function* blocks(): AsyncGenerator<Buffer> {
    const chunk = Buffer.alloc(MiB);
    if (o.size !== undefined) {
      yield tarHeader('BOMB/files/zeros', o.size);
      for (let left = o.size; left > 0; left -= MiB) yield left >= MiB ? chunk : Buffer.alloc(left);
      yield Buffer.alloc(1024);
    } else {
      yield tarHeader('BOMB/SHA256SUMS', 0);
      yield Buffer.alloc(1024);
    }
    for (let left = o.after ?? 0; left > 0; left -= MiB) yield chunk;
  }
  await pipeline(Readable.from(blocks()), createGzip({ level: 9 }), createWriteStream(file));
}

describe('a bundle that unpacks to more than the limits', () => {
  it('an entry larger than the bundle total: verify stops at its header, report --force unpacks nothing past it', async () => {
    const dir = scratch('irt-bomb-');
    const bundle = path.join(dir, 'BOMB.tar.gz');
    await zeroBomb(bundle, { size: 256 * MiB });
    const env = { IR_TRIAGE_MAX_BUNDLE_BYTES: String(32 * MiB) };
    await expectVerifyNames(bundle, /BOMB\.tar\.gz: stopped reading: the files add up to more than 32 MiB \(limit IR_TRIAGE_MAX_BUNDLE_BYTES\)/, env);
    const tmp = scratch('irt-bomb-tmp-');
    const r = await run(['report', bundle, '--force', '--out', path.join(dir, 'r.html')], { ...env, TMPDIR: tmp });
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/cannot read .*BOMB\.tar\.gz as a bundle: BOMB\.tar\.gz: stopped reading/);
    expect(readdirSync(tmp)).toEqual([]);
  }, 60_000);

  it('zeros after the end of the archive: the unpacked stream itself is capped', async () => {
    const dir = scratch('irt-bomb2-');
    const bundle = path.join(dir, 'BOMB.tar.gz');
    await zeroBomb(bundle, { after: 200 * MiB });
    await expectVerifyNames(bundle, /BOMB\.tar\.gz: stopped reading: unpacks to more than 16 MiB \(limit IR_TRIAGE_MAX_BUNDLE_BYTES\)/, { IR_TRIAGE_MAX_BUNDLE_BYTES: String(16 * MiB), IR_TRIAGE_MAX_ENTRIES: '10' });
  }, 60_000);

  it('one file over the entry limit, with the default limits: refused from its header (5 GiB declared)', async () => {
    const dir = scratch('irt-bomb3-');
    const bundle = path.join(dir, 'BIG.tar.gz');
    // The header says 5 GiB; the data is not there at all: nothing is read past the header.
    writeFileSync(bundle, tarGz([tarHeader('BIG/files/huge', 5 * 2 ** 30)]));
    await expectVerifyNames(bundle, /BIG\.tar\.gz: stopped reading: BIG\/files\/huge: larger than 4 GiB \(limit IR_TRIAGE_MAX_ENTRY_BYTES\)/);
  });

  it('more entries than the limit', async () => {
    const dir = scratch('irt-many-');
    const bundle = path.join(dir, 'MANY.tar.gz');
    writeFileSync(bundle, tarGz(Array.from({ length: 50 }, (_, i) => tarHeader(`MANY/f${i}`, 0))));
    await expectVerifyNames(bundle, /stopped reading: more than 20 entries \(limit IR_TRIAGE_MAX_ENTRIES\)/, { IR_TRIAGE_MAX_ENTRIES: '20' });
  });
});

describe('JSON made to exhaust the reader', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['nesting', '['.repeat(5_000_000) + ']'.repeat(5_000_000), /findings\.json: nesting deeper than 64/],
    ['repetition', `[${'[],'.repeat(5_000_000)}[]]`, /findings\.json: more than 2,000,000 values/],
  ];
  for (const [what, text, problem] of cases) {
    it(`findings.json of millions of ${what === 'nesting' ? '[[[[…' : '[],'}: named by verify, summarize and report, in bounded memory`, async () => {
      const dir = scratch(`irt-json-${what}-`);
      const bundle = packCase(craftCase(dir, 'JSONBOMB', { files: { 'findings.json': text } }), path.join(dir, 'JSONBOMB.tar.gz'));
      await expectVerifyNames(bundle, problem);
      const s = await run(['summarize', dir, '--json']);
      expectCleanFailure(s);
      const rows = JSON.parse(s.stdout) as Array<{ ok: boolean; problems: string[] }>;
      expect(rows[0].ok).toBe(false);
      expect(rows[0].problems.some((p) => problem.test(p))).toBe(true);
      const r = await run(['report', bundle, '--format', 'md', '--json']);
      expectCleanFailure(r);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, rendered: false });
      expect(r.stderr).toMatch(problem);
      // --force renders the rest, and names findings.json as unreadable.
      const forced = await run(['report', bundle, '--format', 'md', '--force']);
      expect(forced.signal).toBeNull();
      expect(forced.code).toBe(0);
      expect(forced.stdout).toMatch(/Could not read: findings\.json: (nesting deeper than 64|more than 2,000,000 values)/);
    }, 60_000);
  }
});

describe('files that never end or block: FIFOs and links to /dev/zero', () => {
  function bundleWithSidecar(kind: 'fifo' | 'zero'): string {
    const dir = scratch(`irt-side-${kind}-`);
    const bundle = packCase(craftCase(dir, 'SIDE', { files: { 'findings.json': '[]' } }), path.join(dir, 'SIDE.tar.gz'));
    rmSync(`${bundle}.sha256`);
    if (kind === 'fifo') execFileSync('mkfifo', [`${bundle}.sha256`]);
    else symlinkSync('/dev/zero', `${bundle}.sha256`);
    return bundle;
  }

  it('a sidecar that is a FIFO: verify, summarize and report end at once', async () => {
    const bundle = bundleWithSidecar('fifo');
    await expectVerifyNames(bundle, /SIDE\.tar\.gz\.sha256: a FIFO, not a regular file: not read/);
    expectCleanFailure(await run(['summarize', path.dirname(bundle)]));
    expectCleanFailure(await run(['report', bundle, '--format', 'md']));
  }, 60_000);

  it('a sidecar that is a link to /dev/zero: not followed', async () => {
    const bundle = bundleWithSidecar('zero');
    await expectVerifyNames(bundle, /SIDE\.tar\.gz\.sha256: a symbolic link \(not followed\), not a regular file: not read/);
    expectCleanFailure(await run(['summarize', path.dirname(bundle), '--json']));
  }, 60_000);

  it('a case folder whose files are a FIFO and a link to /dev/zero: verify, summarize, report, report --force and analyze end', async () => {
    const dir = scratch('irt-folder-fifo-');
    const caseDir = craftCase(dir, 'FOLDER', { files: { 'findings.json': '[]', 'artifacts/processes.jsonl': '{"pid":1}\n', 'artifacts/sessions.jsonl': '' } });
    rmSync(path.join(caseDir, 'artifacts/processes.jsonl'));
    execFileSync('mkfifo', [path.join(caseDir, 'artifacts/processes.jsonl')]);
    rmSync(path.join(caseDir, 'artifacts/sessions.jsonl'));
    symlinkSync('/dev/zero', path.join(caseDir, 'artifacts/sessions.jsonl'));
    await expectVerifyNames(caseDir, /unexpected non-file in the case folder: artifacts\/processes\.jsonl \(a FIFO\)/);
    await expectVerifyNames(caseDir, /unexpected non-file in the case folder: artifacts\/sessions\.jsonl \(a symbolic link \(not followed\)\)/);
    expectCleanFailure(await run(['summarize', dir]));
    expectCleanFailure(await run(['report', caseDir, '--format', 'md']));
    const forced = await run(['report', caseDir, '--format', 'md', '--force']);
    expect(forced.signal).toBeNull();
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/Could not read: .*artifacts/);
    const a = await run(['analyze', path.join(caseDir, 'artifacts/processes.jsonl'), path.join(caseDir, 'artifacts/sessions.jsonl')]);
    expectCleanFailure(a);
    expect(a.stderr).toContain('processes.jsonl: a FIFO, not a regular file: not read');
    expect(a.stderr).toContain('sessions.jsonl: a symbolic link (not followed), not a regular file: not read');
  }, 90_000);
});

describe('tar entries that are not files or folders', () => {
  const kinds: Array<[string, string, string, RegExp]> = [
    ['symlink', '2', '/etc/shadow', /LINKS\/files\/a: a symbolic link to \/etc\/shadow: only files and folders belong in a bundle; not read/],
    ['hardlink', '1', 'LINKS/findings.json', /LINKS\/files\/a: a hard link to LINKS\/findings\.json: only files and folders/],
    ['character device', '3', '', /LINKS\/files\/a: a character device: only files and folders/],
    ['block device', '4', '', /LINKS\/files\/a: a block device: only files and folders/],
    ['FIFO', '6', '', /LINKS\/files\/a: a FIFO: only files and folders/],
  ];
  for (const [what, flag, link, problem] of kinds) {
    it(`a ${what} entry is named and not read`, async () => {
      const dir = scratch('irt-links-');
      const bundle = path.join(dir, 'LINKS.tar.gz');
      writeFileSync(bundle, tarGz([tarHeader('LINKS/files/a', 0, flag, link)]));
      await expectVerifyNames(bundle, problem);
    });
  }

  it('a path that leaves the case folder is named', async () => {
    const dir = scratch('irt-dots-');
    const bundle = path.join(dir, 'DOTS.tar.gz');
    writeFileSync(bundle, tarGz([tarHeader('DOTS/../../etc/cron.d/x', 1), Buffer.from('x')]));
    await expectVerifyNames(bundle, /DOTS\/\.\.\/\.\.\/etc\/cron\.d\/x: a path outside the case folder/);
  });
});

describe('manifest.json and custody.jsonl with the wrong types', () => {
  const fields: Array<[string, (m: Record<string, unknown>, v: unknown) => void]> = [
    ['case', (m, v) => (m.case = v)],
    ['examiner', (m, v) => (m.examiner = v)],
    ['host.hostname', (m, v) => (m.host = { hostname: v })],
    ['startedAt', (m, v) => (m.startedAt = v)],
    ['mode', (m, v) => (m.mode = v)],
    ['tool.version', (m, v) => (m.tool = { name: 'ir-triage', version: v })],
    ['files[0].path', (m, v) => ((m.files as Array<Record<string, unknown>>)[0].path = v)],
    ['files[0].sha256', (m, v) => ((m.files as Array<Record<string, unknown>>)[0].sha256 = v)],
  ];

  it('null, an object or a number in place of each string: named, exit 1, in text and --json', async () => {
    for (const [field, set] of fields) {
      for (const value of [null, { toString: 'x' }, 42]) {
        if (field === 'examiner' && value === null) continue; // examiner may be null: none given
        const dir = scratch('irt-types-');
        const good = craftCase(dir, 'TYPES', { files: { 'findings.json': '[]' } });
        const manifest = JSON.parse(execFileSync('cat', [path.join(good, 'manifest.json')], { encoding: 'utf8' })) as Record<string, unknown>;
        set(manifest, value);
        rmSync(good, { recursive: true });
        const caseDir = craftCase(dir, 'TYPES', { files: { 'findings.json': '[]' }, manifestText: JSON.stringify(manifest) });
        const bundle = packCase(caseDir, path.join(dir, 'TYPES.tar.gz'));
        const expected = field === 'files[0].sha256' && typeof value === 'string' ? /sha256/ : new RegExp(`manifest\\.json: ${field.replace(/[.[\]]/g, '\\$&')}: expected `);
        await expectVerifyNames(bundle, expected);
      }
    }
  }, 300_000);

  it('a manifest that is null, an array or a string does not verify', async () => {
    for (const text of ['null', '[]', '"x"']) {
      const dir = scratch('irt-null-');
      const bundle = packCase(craftCase(dir, 'NULLM', { manifestText: text }), path.join(dir, 'NULLM.tar.gz'));
      await expectVerifyNames(bundle, /manifest\.json: the document: expected object, received (null|array|string)/);
      const r = await run(['report', bundle, '--json']);
      expectCleanFailure(r);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, rendered: false });
    }
  }, 60_000);

  it('custody lines with wrong types are named by line and field', async () => {
    const lines: Array<[Record<string, unknown>, RegExp]> = [
      [{ actor: null }, /custody\.jsonl line 1: actor: expected string, received null/],
      [{ seq: '1' }, /custody\.jsonl line 1: seq: expected number, received string/],
      [{ time: { at: 1 } }, /custody\.jsonl line 1: time: expected string, received object/],
      [{ prev: 7 }, /custody\.jsonl line 1: prev: expected string, received number/],
    ];
    for (const [edit, problem] of lines) {
      const dir = scratch('irt-custody-');
      const bundle = packCase(craftCase(dir, 'CUST', { custody: custodyLines([{ event: 'case-opened', ...edit }]) }), path.join(dir, 'CUST.tar.gz'));
      await expectVerifyNames(bundle, problem);
    }
    const dir = scratch('irt-custody-null-');
    const bundle = packCase(craftCase(dir, 'CUSTN', { custody: 'null\n[]\n' }), path.join(dir, 'CUSTN.tar.gz'));
    await expectVerifyNames(bundle, /custody\.jsonl line 1: the document: expected object, received null/);
  }, 120_000);
});

describe('a clean crafted bundle still verifies', () => {
  it('intact: the helpers make what collect makes', async () => {
    const dir = scratch('irt-clean-');
    mkdirSync(dir, { recursive: true });
    const bundle = packCase(craftCase(dir, 'CLEAN', { files: { 'findings.json': '[]' } }), path.join(dir, 'CLEAN.tar.gz'));
    const r = await run(['verify', bundle, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, problems: [] });
    expect(r.code).toBe(0);
  });
});
