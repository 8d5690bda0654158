import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** custody.jsonl with a valid chain over these events (seq and prev filled in unless given). */
export function custodyLines(events: Array<Record<string, unknown>>): string {
  let prev = '0'.repeat(64);
  const lines: string[] = [];
  events.forEach((e, i) => {
    const line = JSON.stringify({ seq: i + 1, time: '2026-01-01T00:00:00.000Z', actor: 'ir-triage', event: 'x', prev, ...e });
    prev = sha(line);
    lines.push(line);
  });
  return lines.map((l) => `${l}\n`).join('');
}

export interface CraftOptions {
  /** Extra manifest fields (merged over a plain one); `manifestText` replaces the file as given. */
  manifest?: Record<string, unknown>;
  manifestText?: string;
  custody?: string;
  /** Files of the case folder besides manifest.json, SHA256SUMS and custody.jsonl. */
  files?: Record<string, string | Buffer>;
}

/**
 * A case folder as an attacker would make one that verifies: every file listed in manifest.json
 * and SHA256SUMS with its true hash, and a custody chain that holds. Returns the folder.
 */
export function craftCase(parent: string, name: string, o: CraftOptions = {}): string {
  const dir = path.join(parent, name);
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string | Buffer> = { 'custody.jsonl': o.custody ?? custodyLines([{ event: 'case-opened' }, { event: 'case-closed' }]), ...(o.files ?? {}) };
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), data);
  }
  const listed = Object.keys(files)
    .sort()
    .map((rel) => {
      const data = readFileSync(path.join(dir, rel));
      return { path: rel, size: data.length, sha256: sha(data) };
    });
  const manifest = o.manifestText ?? JSON.stringify({ tool: { name: 'ir-triage', version: '0.1.0' }, case: name, examiner: null, host: { hostname: 'web1' }, mode: 'live', root: true, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:01:00.000Z', partial: false, partialReasons: [], sources: [], files: listed, ...(o.manifest ?? {}) });
  writeFileSync(path.join(dir, 'manifest.json'), manifest);
  const sums = [...listed, { path: 'manifest.json', sha256: sha(manifest) }].sort((a, b) => (a.path < b.path ? -1 : 1));
  writeFileSync(path.join(dir, 'SHA256SUMS'), sums.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
  return dir;
}

/** The case folder packed as <out>/<name>.tar.gz with its sidecar, as collect writes them. */
export function packCase(caseDir: string, bundle: string): string {
  execFileSync('tar', ['czf', bundle, '-C', path.dirname(caseDir), path.basename(caseDir)]);
  writeFileSync(`${bundle}.sha256`, `${sha(readFileSync(bundle))}  ${path.basename(bundle)}\n`);
  return bundle;
}
