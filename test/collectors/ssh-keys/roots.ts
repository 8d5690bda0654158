/**
 * The fake roots of test/fixtures/persistence-keys, prepared for a run: copied, every time set
 * to 2020-01-01, then `--since` taken a moment later so that only what is written afterwards is
 * in the incident window (ctime and birth time cannot be set, but they are older than --since).
 */
import { appendFileSync, cpSync, lstatSync, lutimesSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listFiles, tmpDir } from '../../helpers/bundle.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/persistence-keys/', import.meta.url));
export const PLAYBOOK = path.join(FIXTURES, 'persistence.yaml');
const OLD = new Date('2020-01-01T00:00:00Z');

/** lstat and lutimes: the fixtures hold links to /etc/shadow, which must never touch this machine's file. */
function setTimesDeep(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (lstatSync(p).isDirectory()) setTimesDeep(p);
    lutimesSync(p, OLD, OLD);
  }
  lutimesSync(dir, OLD, OLD);
}

/** Waits until the clock has moved past `ms` (the ctimes just written must be before --since). */
function tick(ms = 20): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy wait: a few milliseconds, synchronous on purpose.
  }
}

export interface PreparedRoot {
  root: string;
  /** --since: after every file of the fixture, before what the test writes. */
  since: string;
}

/** A copy of `clean` or `compromised` (with the `late` overlay written after --since). */
export function prepareRoot(which: 'clean' | 'compromised'): PreparedRoot {
  const root = path.join(tmpDir('irt-pk-root-'), which);
  cpSync(path.join(FIXTURES, which), root, { recursive: true });
  const shadow = path.join(root, 'etc/shadow');
  writeFileSync(shadow, readFileSync(shadow, 'utf8').replaceAll('@TODAY@', String(Math.floor(Date.now() / 86_400_000))));
  setTimesDeep(root);
  tick();
  const since = new Date().toISOString();
  tick();
  if (which === 'compromised') {
    const late = path.join(FIXTURES, 'late');
    cpSync(path.join(late, 'home/mallory'), path.join(root, 'home/mallory'), { recursive: true });
    appendFileSync(path.join(root, 'home/alice/.ssh/authorized_keys'), readFileSync(path.join(late, 'home/alice/.ssh/authorized_keys.append')));
  }
  return { root, since };
}

/** The password hashes of a shadow file, and their salts and hash parts on their own. */
export function shadowSecrets(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const field = (line.split(':')[1] ?? '').replace(/^!+/, '');
    if (!field.startsWith('$')) continue;
    out.add(field);
    const parts = field.split('$').filter(Boolean);
    // $6$salt$hash, $y$params$salt$hash: the salt and the hash are the last two parts.
    for (const p of parts.slice(-2)) if (p.length >= 8) out.add(p);
  }
  return [...out];
}

/** Every byte of an extracted bundle, .gz members (the inner archives) decompressed as well. */
export function bundleBytes(caseDir: string): Array<{ file: string; data: Buffer }> {
  return listFiles(caseDir).flatMap((rel) => {
    const data = readFileSync(path.join(caseDir, rel));
    const out = [{ file: rel, data }];
    if (data[0] === 0x1f && data[1] === 0x8b) out.push({ file: `${rel} (gunzip)`, data: gunzipSync(data) });
    return out;
  });
}

/** Where any of the secrets occurs in the bundle: `file: secret…` lines (empty when none). */
export function findSecrets(caseDir: string, secrets: string[]): string[] {
  const hits: string[] = [];
  for (const { file, data } of bundleBytes(caseDir)) {
    for (const s of secrets) if (data.includes(Buffer.from(s))) hits.push(`${file}: ${s.slice(0, 12)}…`);
  }
  return hits;
}
