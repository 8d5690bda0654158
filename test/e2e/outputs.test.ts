/**
 * An output folder the attacker can write: every name ir-triage creates there is planted first
 * (a symbolic link, or a hard link, to a canary file), or swapped in during the run, and the canary
 * must come out byte for byte the same, with the run either refusing in one line or writing
 * nothing through the link. The built CLI, as root (root is who a planted link is aimed at).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/bundle.js';
import { BIN, isRoot, runCli } from '../helpers/cli.js';

const work = tmpDir('irt-outputs-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A tiny offline image: collect runs in well under a second. */
const ROOT = path.join(work, 'image');
mkdirSync(path.join(ROOT, 'etc'), { recursive: true });
writeFileSync(path.join(ROOT, 'etc/hostname'), 'victim\n');

/** A file the attacker wants overwritten, with what it held. */
interface Canary {
  file: string;
  bytes: Buffer;
  mtimeMs: number;
  mode: number;
}

let n = 0;
function canary(): Canary {
  const file = path.join(work, `canary-${++n}`);
  writeFileSync(file, `precious ${n}\n`);
  chmodSync(file, 0o640);
  const st = statSync(file);
  return { file, bytes: readFileSync(file), mtimeMs: st.mtimeMs, mode: st.mode };
}

function expectUntouched(c: Canary): void {
  const st = statSync(c.file);
  expect(readFileSync(c.file)).toEqual(c.bytes);
  expect(st.mtimeMs).toBe(c.mtimeMs);
  expect(st.mode).toBe(c.mode);
}

/** A fresh --out anyone can write, as /tmp or a user's home is to that user (no sticky bit: the kernel's protected_symlinks does not apply). */
function openFolder(): string {
  const dir = tmpDir('irt-ww-');
  chmodSync(dir, 0o777);
  return dir;
}

type Plant = 'symlink' | 'hardlink';

function plant(kind: Plant, c: Canary, at: string): void {
  if (kind === 'symlink') symlinkSync(c.file, at);
  // Root may hard-link any file (fs.protected_hardlinks spares CAP_FOWNER); an unprivileged user can link files they own or may write.
  else linkSync(c.file, at);
}

/** One line on stderr, exit 1, naming the planted path. */
function expectRefused(r: { code: number | null; stderr: string }, planted: string): void {
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.at(-1)).toBe(`ir-triage: ${planted} already exists: ${lines.at(-1)!.split(' already exists: ')[1]}`);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

let recipient = '';
let identity = '';
beforeAll(async () => {
  identity = path.join(work, 'officer.key');
  const kg = await runCli(['keygen', '--out', identity]);
  expect(kg.code).toBe(0);
  recipient = kg.stdout.trim();
});

describe.skipIf(!isRoot)('outputs in a folder the attacker can write (root)', () => {
  const collectNames = ['C.tar.gz', 'C.tar.gz.sha256', 'C.tar.gz.age', 'C.tar.gz.age.sha256', 'C.restore.json'];

  for (const kind of ['symlink', 'hardlink'] as const) {
    it(`collect refuses, before collecting, every name of the case planted as a ${kind}`, async () => {
      for (const name of collectNames) {
        const out = openFolder();
        const c = canary();
        plant(kind, c, path.join(out, name));
        const r = await runCli(['collect', '--root', ROOT, '--out', out, '--case', 'C']);
        expectRefused(r, path.join(out, name));
        expect(r.stderr).toBe(`ir-triage: ${path.join(out, name)} already exists: choose another --case or --out\n`);
        expectUntouched(c);
        // Nothing was staged: the refusal came first.
        expect(readdirSync(out)).toEqual([name]);
      }
    }, 60_000);
  }

  it('collect refuses a case folder planted as a link to a folder, and writes nothing into it', async () => {
    const out = openFolder();
    const target = path.join(work, 'target-dir');
    mkdirSync(target);
    symlinkSync(target, path.join(out, 'C'));
    const r = await runCli(['collect', '--root', ROOT, '--out', out, '--case', 'C']);
    expectRefused(r, path.join(out, 'C'));
    expect(readdirSync(target)).toEqual([]);
  });

  it('a name left over from older versions (<case>.tar.gz.partial) is never written through', async () => {
    const out = openFolder();
    const c = canary();
    symlinkSync(c.file, path.join(out, 'C.tar.gz.partial'));
    const r = await runCli(['collect', '--root', ROOT, '--out', out, '--case', 'C']);
    expect(r.code).toBe(0);
    expectUntouched(c);
    expect((await runCli(['verify', path.join(out, 'C.tar.gz')])).code).toBe(0);
  });

  /**
   * The attacker waits for the staging folder to appear, then plants the bundle's names (after
   * the check at the start), and swaps the staging folder itself for a link to a folder of theirs.
   */
  it('names planted and the staging folder swapped during the run: nothing written through, one clear line', async () => {
    for (const swap of [false, true]) {
      const out = openFolder();
      const bundleCanary = canary();
      const sidecarCanary = canary();
      const decoy = path.join(work, `decoy-${n}`);
      mkdirSync(decoy);
      const child = spawn(process.execPath, [BIN, 'collect', '--root', ROOT, '--out', out, '--case', 'C'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      let exited = false;
      const code = new Promise<number | null>((resolve) => child.on('close', (c) => {
        exited = true;
        resolve(c);
      }));
      let planted = false;
      while (!planted && !exited) {
        if (existsSync(path.join(out, 'C'))) {
          if (swap) {
            renameSync(path.join(out, 'C'), path.join(out, 'moved-away'));
            symlinkSync(decoy, path.join(out, 'C'));
          } else {
            symlinkSync(bundleCanary.file, path.join(out, 'C.tar.gz'));
            symlinkSync(sidecarCanary.file, path.join(out, 'C.tar.gz.sha256'));
          }
          planted = true;
        } else await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(planted).toBe(true);
      const rc = await code;
      expectUntouched(bundleCanary);
      expectUntouched(sidecarCanary);
      expect(readdirSync(decoy)).toEqual([]);
      if (swap && rc === 1) {
        // Swapped between its mkdir and its open: refused, nothing collected.
        expect(stderr).toBe(`ir-triage: ${path.join(out, 'C')} was replaced while it was being created: someone else can write ${out}; choose another --out\n`);
      } else if (swap) {
        // The evidence went on into the folder it made, wherever that was moved; the bundle is whole.
        expect(stderr).toBe('');
        expect(rc).toBe(0);
        expect((await runCli(['verify', path.join(out, 'C.tar.gz')])).code).toBe(0);
        expect(lstatSync(path.join(out, 'C')).isSymbolicLink()).toBe(true);
      } else {
        expect(rc).toBe(1);
        expect(stderr).toBe(`ir-triage: could not write the bundle ${path.join(out, 'C.tar.gz')}: it already exists (moved there during the run); the staged evidence is kept in ${path.join(out, 'C')}\n`);
        expect((await runCli(['verify', path.join(out, 'C')])).code).toBe(0);
      }
    }
  }, 60_000);

  it('report refuses its HTML name planted as a link, by default and with --out', async () => {
    const out = openFolder();
    const made = await runCli(['collect', '--root', ROOT, '--out', out, '--case', 'R']);
    expect(made.code).toBe(0);
    const bundle = path.join(out, 'R.tar.gz');
    for (const kind of ['symlink', 'hardlink'] as const) {
      for (const args of [[], ['--out', path.join(out, `chosen-${kind}.html`)]]) {
        const html = args[1] ?? path.join(out, 'R.report.html');
        const c = canary();
        plant(kind, c, html);
        const r = await runCli(['report', bundle, ...args]);
        expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`ir-triage: ${html} already exists: remove it or choose another --out`);
        expect(r.code).toBe(1);
        expectUntouched(c);
        rmSync(html);
      }
    }
  }, 60_000);

  it('keygen refuses an identity file planted as a link', async () => {
    const out = openFolder();
    for (const kind of ['symlink', 'hardlink'] as const) {
      const c = canary();
      const file = path.join(out, `key-${kind}.txt`);
      plant(kind, c, file);
      const r = await runCli(['keygen', '--out', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`ir-triage: ${file} already exists: keygen never overwrites a key; choose another --out\n`);
      expect(r.stdout).toBe('');
      expectUntouched(c);
    }
    // Nothing else is left in the folder (no scratch folder, no secret key anywhere).
    expect(readdirSync(out).sort()).toEqual(['key-hardlink.txt', 'key-symlink.txt']);
  });

  it('collect --encrypt-to and decrypt refuse their names planted as links', async () => {
    const out = openFolder();
    const made = await runCli(['collect', '--root', ROOT, '--out', out, '--case', 'E', '--encrypt-to', recipient]);
    expect(made.code).toBe(0);
    const age = path.join(out, 'E.tar.gz.age');
    for (const kind of ['symlink', 'hardlink'] as const) {
      for (const name of ['E.tar.gz', 'E.tar.gz.sha256']) {
        const into = openFolder();
        const c = canary();
        plant(kind, c, path.join(into, name));
        const r = await runCli(['decrypt', age, '--identity', identity, '--out', into]);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(`ir-triage: ${path.join(into, name)} already exists: move it away or choose another --out\n`);
        expectUntouched(c);
        expect(readdirSync(into)).toEqual([name]);
      }
    }
    // Beside the .age file (the default), the plaintext's names planted there too.
    const c = canary();
    symlinkSync(c.file, path.join(out, 'E.tar.gz'));
    const r = await runCli(['decrypt', age, '--identity', identity]);
    expect(r.code).toBe(1);
    expectUntouched(c);
  }, 60_000);

  it('quarantine refuses its undo record name planted as a link, before changing anything', async () => {
    const out = openFolder();
    const target = path.join(work, 'malware');
    mkdirSync(target);
    writeFileSync(path.join(target, 'pscan2'), '#!/bin/sh\n');
    chmodSync(path.join(target, 'pscan2'), 0o755);
    for (const kind of ['symlink', 'hardlink'] as const) {
      const c = canary();
      const name = path.join(out, `Q-${kind}.restore.json`);
      plant(kind, c, name);
      const r = await runCli(['quarantine', target, '--yes', '--out', out, '--case', `Q-${kind}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`ir-triage: ${name} already exists: choose another --case or --out\n`);
      expectUntouched(c);
      expect(statSync(path.join(target, 'pscan2')).mode & 0o777).toBe(0o755);
    }
  }, 60_000);
});
