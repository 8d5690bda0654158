import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealCase } from '../../src/evidence/bundle.js';
import { sha256Hex } from '../../src/evidence/hash.js';
import { CaseStore } from '../../src/evidence/store.js';
import { formatSums, parseSums } from '../../src/evidence/sums.js';
import { verifyBundle } from '../../src/evidence/verify.js';
import { extract, listFiles, repack, tmpDir } from '../helpers/bundle.js';

let bundle: string;

function hasAge(): boolean {
  try {
    execFileSync('age', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const out = tmpDir('irt-verify-');
  const store = await CaseStore.create(out, 'CASE-1');
  store.custody.append('ir-triage', 'case-opened', { case: 'CASE-1' });
  await store.writeFile('artifacts/host.json', '{"hostname":"h"}\n');
  await store.writeJsonl('artifacts/processes.jsonl', [{ pid: 1 }, { pid: 2, comm: 'pscan2' }]);
  await store.writeFile('findings.json', '[]\n');
  await store.writeFile('files/1-bin', Buffer.from([0, 1, 2, 255]));
  store.custody.append('ir-triage', 'collected', { collector: 'x' });
  store.custody.append('ir-triage', 'case-closed', {});
  const sealed = await sealCase(store, { case: 'CASE-1', sources: [] });
  bundle = sealed.bundle;
});

function tamperedCopy(edit: (caseDir: string) => void): string {
  const caseDir = extract(bundle);
  edit(caseDir);
  const target = path.join(tmpDir('irt-tamper-'), 'CASE-1.tar.gz');
  repack(caseDir, target);
  return target;
}

describe('verify', () => {
  it('accepts the bundle as written, and the system tools agree', async () => {
    const r = await verifyBundle(bundle);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.caseId).toBe('CASE-1');
    expect(r.notes.join(' ')).toMatch(/matches CASE-1\.tar\.gz\.sha256/);
    execFileSync('sha256sum', ['-c', 'CASE-1.tar.gz.sha256'], { cwd: path.dirname(bundle) });
    const caseDir = extract(bundle);
    execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: caseDir });
    expect(listFiles(caseDir)).toEqual([
      'SHA256SUMS',
      'artifacts/host.json',
      'artifacts/processes.jsonl',
      'custody.jsonl',
      'files/1-bin',
      'findings.json',
      'manifest.json',
    ]);
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).not.toContain('manifest.json');
    expect(manifest.files.map((f: { path: string }) => f.path)).not.toContain('SHA256SUMS');
    expect(parseSums(readFileSync(path.join(caseDir, 'SHA256SUMS'), 'utf8')).entries.has('manifest.json')).toBe(true);
  });

  it('names the bundle when its sidecar does not match', async () => {
    const dir = tmpDir('irt-side-');
    const copy = path.join(dir, 'CASE-1.tar.gz');
    copyFileSync(bundle, copy);
    writeFileSync(`${copy}.sha256`, `${'0'.repeat(64)}  CASE-1.tar.gz\n`);
    const r = await verifyBundle(copy);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/does not match CASE-1\.tar\.gz\.sha256/);
  });

  const files = ['SHA256SUMS', 'artifacts/host.json', 'artifacts/processes.jsonl', 'custody.jsonl', 'files/1-bin', 'findings.json', 'manifest.json'];
  it.each(files)('fails naming %s when one byte of it changes', async (rel) => {
    const target = tamperedCopy((caseDir) => {
      const file = path.join(caseDir, rel);
      const data = readFileSync(file);
      const at = Math.floor(data.length / 2);
      data[at] = data[at] === 0x30 ? 0x31 : 0x30;
      writeFileSync(file, data);
    });
    const r = await verifyBundle(target);
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toContain(rel);
  });

  it('fails on an edited custody line even when the sums were recomputed to match', async () => {
    const target = tamperedCopy((caseDir) => {
      const custody = path.join(caseDir, 'custody.jsonl');
      writeFileSync(custody, readFileSync(custody, 'utf8').replace('"collector":"x"', '"collector":"y"'));
      const sums = parseSums(readFileSync(path.join(caseDir, 'SHA256SUMS'), 'utf8')).entries;
      sums.set('custody.jsonl', sha256Hex(readFileSync(custody)));
      const manifestFile = path.join(caseDir, 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
      for (const f of manifest.files) if (f.path === 'custody.jsonl') f.sha256 = sums.get('custody.jsonl');
      writeFileSync(manifestFile, JSON.stringify(manifest));
      sums.set('manifest.json', sha256Hex(readFileSync(manifestFile)));
      writeFileSync(path.join(caseDir, 'SHA256SUMS'), formatSums([...sums].map(([p, s]) => ({ path: p, sha256: s }))));
    });
    const r = await verifyBundle(target);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(['custody.jsonl line 3: chain broken (prev does not match the hash of line 2)']);
  });

  it('fails when a custody line is removed', async () => {
    const target = tamperedCopy((caseDir) => {
      const custody = path.join(caseDir, 'custody.jsonl');
      const lines = readFileSync(custody, 'utf8').split('\n');
      lines.splice(1, 1);
      writeFileSync(custody, lines.join('\n'));
    });
    const r = await verifyBundle(target);
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/custody\.jsonl line 2 has seq 3/);
  });

  it('fails naming a file that was added, or removed', async () => {
    const added = await verifyBundle(tamperedCopy((d) => writeFileSync(path.join(d, 'extra.txt'), 'planted')));
    expect(added.ok).toBe(false);
    expect(added.problems).toContain('unexpected file: extra.txt (not in SHA256SUMS)');
    const removed = await verifyBundle(tamperedCopy((d) => rmSync(path.join(d, 'files/1-bin'))));
    expect(removed.ok).toBe(false);
    expect(removed.problems).toContain('missing file: files/1-bin (listed in SHA256SUMS)');
  });

  it('names a file that is not a bundle, and a missing one', async () => {
    const dir = tmpDir('irt-bad-');
    const junk = path.join(dir, 'junk.tar.gz');
    writeFileSync(junk, 'this is not gzip');
    const r = await verifyBundle(junk);
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toMatch(/junk\.tar\.gz is not a readable \.tar\.gz/);
    const missing = await verifyBundle(path.join(dir, 'nope.tar.gz'));
    expect(missing.problems[0]).toMatch(/no such file/);
  });

  it('says an age-encrypted bundle must be decrypted first (the real age tool encrypts it)', async (ctx) => {
    if (!hasAge()) return ctx.skip();
    const dir = tmpDir('irt-age-');
    const key = path.join(dir, 'key.txt');
    execFileSync('age-keygen', ['-o', key], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', key], { encoding: 'utf8' }).trim();
    const enc = path.join(dir, 'CASE-1.tar.gz.age');
    execFileSync('age', ['-r', recipient, '-o', enc, bundle]);
    const r = await verifyBundle(enc);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.stringMatching(/CASE-1\.tar\.gz\.age is encrypted \(age\): decrypt it first/)]);
  });

  it('verifies a kept case folder too', async () => {
    const r = await verifyBundle(extract(bundle));
    expect(r.problems).toEqual([]);
  });
});
