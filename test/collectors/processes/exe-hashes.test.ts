import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashExecutables } from '../../../src/collectors/processes/exe-hashes.js';
import type { CollectContext } from '../../../src/collectors/types.js';
import { createHostContext } from '../../../src/host/context.js';
import type { ProcessRecord } from '../../../src/model/processes.js';
import type { SourceStatus } from '../../../src/model/source.js';
import { tmpDir } from '../../helpers/bundle.js';
import { writeFakeProc } from '../../helpers/fake-proc.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('hashExecutables', () => {
  it('hashes each file of the box once, in full past one read buffer, and leaves out what only this tool runs', async () => {
    const dir = tmpDir('irt-exe-hashes-');
    // Bigger than the 1 MiB read buffer, and not a multiple of it.
    const big = Buffer.alloc(3 * 1024 * 1024 + 123, 7);
    big.write('scanner', 1000);
    const files = { tool: path.join(dir, 'node'), scanner: path.join(dir, 'pscan2'), shared: path.join(dir, 'bash') };
    writeFileSync(files.tool, 'our own runtime');
    writeFileSync(files.scanner, big);
    writeFileSync(files.shared, 'a shell');
    const self = process.pid;
    const procs = [
      { pid: self, comm: 'node', exe: files.tool },
      { pid: 70001, ppid: self, comm: 'bash', exe: files.shared },
      { pid: 70002, comm: 'pscan2', exe: files.scanner },
      { pid: 70003, comm: 'pscan2', exe: files.scanner },
      { pid: 70004, comm: 'bash', exe: files.shared },
    ];
    const procDir = path.join(dir, 'proc');
    writeFakeProc(procDir, procs);
    const ctx = { host: createHostContext({ root: dir, mode: 'live', procDir }) } as unknown as CollectContext;
    const records = procs.map((p) => ({ pid: p.pid, exe: p.exe, exeSha256: null }) as unknown as ProcessRecord);
    const sources: SourceStatus[] = [];
    await hashExecutables(ctx, records, sources, new Set([self, 70001]));
    const byPid = new Map(records.map((r) => [r.pid, r.exeSha256]));
    expect(byPid.get(70002)).toBe(sha256(big));
    expect(byPid.get(70003)).toBe(sha256(big));
    // A file the box runs too is hashed, for every process running it, ours included.
    expect(byPid.get(70004)).toBe(sha256(Buffer.from('a shell')));
    expect(byPid.get(70001)).toBe(sha256(Buffer.from('a shell')));
    // Only this tool runs it: not hashed.
    expect(byPid.get(self)).toBeNull();
    expect(sources).toEqual([expect.objectContaining({ id: 'processes.exe-hashes', status: 'ok', detail: expect.stringMatching(/^2 distinct executables hashed/) })]);
  });
});
