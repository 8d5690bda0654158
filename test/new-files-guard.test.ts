/**
 * Every file and folder ir-triage creates goes through src/evidence/new-files.ts (created new,
 * never through a link: docs/security.md). This walks src/ for the fs calls that create, write
 * or rename by path anywhere else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/cli.js';

const HELPER = 'evidence/new-files.ts';
/** Modules that change the box under investigation (a host file, not an output), each with O_NOFOLLOW and its own tests. */
const CHANGES_THE_BOX: Record<string, string> = {
  'actions/disable.ts': 'comments out a line: a new file beside it (O_EXCL | O_NOFOLLOW) renamed over it',
  'actions/restore-disable.ts': 'the undo of disable: puts the line back the same way; restores links it removed',
  'actions/block-ip.ts': 'appends to /etc/hosts.deny with O_NOFOLLOW',
  'host/fd-path.ts': "mkdirAt: restore re-creates a unit's .wants folder inside a folder held by descriptor (/proc/self/fd/N/name)",
  // Not an output and not the box's evidence: ir-triage's own root-only state.
  'actions/record-key.ts': 'the record key: its 0700 state folder, then the key created O_EXCL | O_NOFOLLOW under a temporary name and linked into place (owner and mode checked on the descriptor)',
};

const CREATING = ['writeFile', 'writeFileSync', 'appendFile', 'appendFileSync', 'createWriteStream', 'copyFile', 'copyFileSync', 'cp', 'cpSync', 'mkdir', 'mkdirSync', 'mkdtemp', 'mkdtempSync', 'rename', 'renameSync', 'link', 'linkSync', 'symlink', 'symlinkSync', 'truncate', 'truncateSync'];
const WRITE_FLAGS = /['"`](?:w|wx|w\+|wx\+|a|ax|a\+|ax\+|r\+|rs\+|as|as\+)['"`]|O_CREAT|O_WRONLY|O_RDWR|O_APPEND|O_TRUNC/;

/** The problems of one source file: creating fs calls outside the helper. */
function creatingCalls(source: string): string[] {
  const found: string[] = [];
  // Names imported straight from node:fs or node:fs/promises are calls by path.
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"](?:node:)?fs(?:\/promises)?['"]/g)) {
    for (const spec of m[1].split(',').map((s) => s.trim().split(/\s+as\s+/)[0].trim())) {
      if (CREATING.includes(spec)) found.push(`imports ${spec} from fs`);
    }
  }
  for (const m of source.matchAll(/\b(?:fsp|fs|promises)\.(\w+)\s*\(/g)) {
    if (CREATING.includes(m[1])) found.push(`calls ${m[0].replace(/\s*\($/, '')}`);
  }
  // open with a flag that writes, by path.
  for (const m of source.matchAll(/\b(?:fsp\.open|fs\.open|openSync|fs\.openSync)\s*\(([^;]*?)\)\s*[;.)]/g)) {
    if (WRITE_FLAGS.test(m[1])) found.push(`opens for writing: ${m[0].slice(0, 80)}`);
  }
  return found;
}

describe('files are created through src/evidence/new-files.ts only', () => {
  it('no other module creates, writes, links or renames files by path', () => {
    const files = readdirSync(path.join(REPO, 'src'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    const offenders: Record<string, string[]> = {};
    for (const f of files) {
      if (f === HELPER || f in CHANGES_THE_BOX) continue;
      const calls = creatingCalls(readFileSync(path.join(REPO, 'src', f), 'utf8'));
      if (calls.length > 0) offenders[f] = calls;
    }
    expect(offenders).toEqual({});
  });

  it('catches each way of creating a file (the check itself can fail)', () => {
    expect(creatingCalls("import { createWriteStream, promises as fsp } from 'node:fs';")).toEqual(['imports createWriteStream from fs']);
    expect(creatingCalls("import { appendFileSync as add } from 'fs';")).toEqual(['imports appendFileSync from fs']);
    expect(creatingCalls('await fsp.writeFile(sidecar, text, { mode: 0o644 });')).toEqual(['calls fsp.writeFile']);
    expect(creatingCalls('await fsp.rename(partial, bundle);')).toEqual(['calls fsp.rename']);
    expect(creatingCalls("const fh = await fsp.open(partial, 'w', 0o600);")).toHaveLength(1);
    expect(creatingCalls('const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT, 0o600);')).toHaveLength(1);
    // Reading, and our own objects' writeFile, are not creating by path.
    expect(creatingCalls("const fh = await fsp.open(file, 'r');")).toEqual([]);
    expect(creatingCalls('await store.writeFile(rel, data); await fh.writeFile(text);')).toEqual([]);
  });

  it('the modules that change the box are still where the list says', () => {
    for (const f of Object.keys(CHANGES_THE_BOX)) expect(readFileSync(path.join(REPO, 'src', f), 'utf8')).toContain('O_NOFOLLOW');
  });
});
