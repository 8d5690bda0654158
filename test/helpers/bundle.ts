import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** Every folder tmpDir made in this test file: removed after the file's tests (test/helpers/state-dir.ts). */
const madeByThisFile: string[] = [];

export function tmpDir(prefix = 'irt-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  madeByThisFile.push(dir);
  return dir;
}

/**
 * Removes the folders this file's tests made, whatever their modes (root removes quarantined
 * ones too): live collects of other test files sweep /tmp, and a test leaves nothing behind.
 */
export function removeTmpDirs(): void {
  for (const dir of madeByThisFile.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // An immutable file (chattr +i) or a busy mount: left for the machine's own /tmp cleaning.
    }
  }
}

/** Call at the top of a test file: a tmpDir whose folders are removed after the file's tests, whatever their outcome. */
export function tmpDirsOfThisFile(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = tmpDir(prefix);
    made.push(dir);
    return dir;
  };
}

/** Extracts a bundle with the system tar; returns the case folder. */
export function extract(bundle: string): string {
  const dir = tmpDir('irt-x-');
  execFileSync('tar', ['xzf', bundle, '-C', dir]);
  const [top] = readdirSync(dir);
  return path.join(dir, top);
}

/** Packs a case folder back with the system tar (as someone tampering with it would). */
export function repack(caseDir: string, bundle: string): void {
  execFileSync('tar', ['czf', bundle, '-C', path.dirname(caseDir), path.basename(caseDir)]);
}

export function listFiles(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, base))) {
    const rel = base ? `${base}/${name}` : name;
    if (statSync(path.join(dir, rel)).isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}
