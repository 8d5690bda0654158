import { chmodSync, cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../../helpers/bundle.js';
import { REPO } from '../../helpers/cli.js';

/** The clean Debian 12 tree of test/fixtures/integrity (see its README). */
export const FIXTURE = path.join(REPO, 'test/fixtures/integrity/debian12');

const made: string[] = [];

/** A temporary folder removed by removeMade(). */
export function scratch(prefix: string): string {
  const dir = tmpDir(prefix);
  made.push(dir);
  return dir;
}

/** Removes every folder the tests made (roots, case folders, extracted bundles). */
export function removeMade(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

const EXECUTABLES = ['usr/bin/ps', 'usr/bin/pgrep', 'usr/bin/pwdx', 'usr/bin/top', 'usr/bin/w', 'usr/bin/ss', 'usr/sbin/sshd', 'usr/lib/openssh/sshd-session'];

/**
 * A copy of the fixture with what a stored tree cannot hold: the /usr-merge folder links of a
 * Debian 12 box, the packages' own links, the modes. As built it is a clean box.
 */
export function buildDebianRoot(): string {
  const root = scratch('irt-integrity-root-');
  cpSync(FIXTURE, root, { recursive: true });
  symlinkSync('usr/bin', path.join(root, 'bin'));
  symlinkSync('usr/sbin', path.join(root, 'sbin'));
  symlinkSync('usr/lib', path.join(root, 'lib'));
  symlinkSync('pgrep', path.join(root, 'usr/bin/pkill'));
  symlinkSync('libkeyutils.so.1.10', path.join(root, 'usr/lib/x86_64-linux-gnu/libkeyutils.so.1'));
  mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
  mkdirSync(path.join(root, 'usr/local/sbin'), { recursive: true });
  for (const f of EXECUTABLES) chmodSync(path.join(root, f), 0o755);
  chmodSync(path.join(root, 'usr/bin/su'), 0o4755);
  chmodSync(path.join(root, 'usr/lib/x86_64-linux-gnu/libkeyutils.so.1.10'), 0o644);
  return root;
}

export function put(root: string, rel: string, content: string, mode = 0o755): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), content);
  chmodSync(path.join(root, rel), mode);
}

/** The three marks of a kit the e2e test looks for: a replaced ps, an unpackaged ss first in PATH, a removed pwdx. */
export function compromise(root: string): void {
  put(root, 'usr/bin/ps', '#!/bin/sh\n# kit ps: filters pscan2 out of the real listing\n');
  put(root, 'usr/local/bin/ss', '#!/bin/sh\n# kit ss: hides port 22 fan-out\n');
  rmSync(path.join(root, 'usr/bin/pwdx'));
}
