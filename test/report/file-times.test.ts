import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHostContext } from '../../src/host/context.js';
import type { Finding } from '../../src/model/finding.js';
import { flaggedFileTimes, quarantinedFileTimes } from '../../src/report/case-file-times.js';
import { tmpDirsOfThisFile } from '../helpers/bundle.js';

/** Temporary folders of this file, removed after its tests whatever their outcome. */
const tmp = tmpDirsOfThisFile();

/** birth, mtime, ctime, atime in whole seconds as GNU stat prints them (%W is 0 where no birth time is kept). */
function statSeconds(file: string): { birth: number; mtime: number; ctime: number; atime: number } {
  const [birth, mtime, ctime, atime] = execFileSync('stat', ['-c', '%W %Y %Z %X', file], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { birth, mtime, ctime, atime };
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function finding(over: Partial<Finding>): Finding {
  return { id: 'F-0001', rule: 'process.exe-in-writable-dir', severity: 'high', title: 't', detail: '', mitre: [], subject: {}, evidence: [], ...over };
}

describe('file times on the timeline', () => {
  it('gives the four times of a file a finding names, read through the root, as stat reports them', async () => {
    const root = tmp('irt-ft-root-');
    mkdirSync(path.join(root, 'tmp/.x'), { recursive: true });
    const file = path.join(root, 'tmp/.x/pscan2');
    writeFileSync(file, 'kit');
    utimesSync(file, new Date('2026-03-01T10:00:00Z'), new Date('2026-02-01T09:00:00Z'));
    const host = createHostContext({ root, mode: 'offline', procDir: null });
    const events = await flaggedFileTimes(host, [finding({ subject: { path: '/tmp/.x/pscan2', pid: 4242, user: 'deploy' } }), finding({ id: 'F-0002', subject: { path: '/tmp/.x/gone' } })], []);
    const oracle = statSeconds(file);
    const by = Object.fromEntries(events.map((e) => [e.timestamp_desc, e]));
    expect(seconds(by['Content Modification Time'].datetime)).toBe(oracle.mtime);
    expect(seconds(by['Last Access Time'].datetime)).toBe(oracle.atime);
    expect(seconds(by['Metadata Modification Time'].datetime)).toBe(oracle.ctime);
    if (oracle.birth > 0) expect(seconds(by['Creation Time'].datetime)).toBe(oracle.birth);
    else expect(by['Creation Time']).toBeUndefined();
    expect(by['Content Modification Time']).toMatchObject({ datetime: '2026-02-01T09:00:00.000Z', source: 'flagged-file', path: '/tmp/.x/pscan2', pid: 4242, user: 'deploy', message: 'mtime of /tmp/.x/pscan2 (flagged by process.exe-in-writable-dir F-0001)' });
    // The missing file gives no row, and nothing is read: the access time did not move.
    expect(events.every((e) => e.path === '/tmp/.x/pscan2')).toBe(true);
    expect(statSeconds(file).atime).toBe(oracle.atime);
  });

  it('leaves executables the lsof step already timed to it', async () => {
    const root = tmp('irt-ft-root-');
    writeFileSync(path.join(root, 'x'), '');
    const host = createHostContext({ root, mode: 'offline', procDir: null });
    const open = [{ exe: '/x', preserved: { path: 'files/1-x', sha256: '', size: 0, truncated: false } }] as never;
    expect(await flaggedFileTimes(host, [finding({ subject: { path: '/x' } })], open)).toEqual([]);
  });

  it("gives a quarantined file's birth, mtime and atime, and never a replaced one's", async () => {
    const root = tmp('irt-ft-root-');
    const folder = path.join(root, 'dev/shm/.kit');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'pscan2'), 'kit');
    writeFileSync(path.join(folder, 'replaced'), 'old');
    utimesSync(path.join(folder, 'pscan2'), new Date('2026-03-01T10:00:00Z'), new Date('2026-02-01T09:00:00Z'));
    const entry = (rel: string, type: string) => {
      const st = lstatSync(rel ? path.join(folder, rel) : folder, { bigint: true });
      return { rel, relHex: Buffer.from(rel).toString('hex'), type, ino: String(st.ino), btime: String(st.birthtimeNs), ctime: String(st.ctimeNs) };
    };
    // As the plan saw it before the chmod (ns since the epoch): the record's times, not the live ones.
    const ns = (iso: string) => String(BigInt(Date.parse(iso)) * 1_000_000n);
    const entries = [entry('', 'dir'), { ...entry('pscan2', 'file'), btime: ns('2026-01-10T00:00:00Z'), ctime: ns('2026-01-15T00:00:00Z') }, { ...entry('replaced', 'file'), ino: '1' }];
    chmodSync(path.join(folder, 'pscan2'), 0o200);
    const caseDir = tmp('irt-ft-case-');
    mkdirSync(path.join(caseDir, 'actions'));
    writeFileSync(path.join(caseDir, 'actions/quarantine-1.json'), JSON.stringify({ action: 'quarantine', folder: '/dev/shm/.kit', entries }));
    const host = createHostContext({ root, mode: 'offline', procDir: null });
    const events = await quarantinedFileTimes(host, caseDir, ['findings.json', 'actions/quarantine-1.json']);
    expect(new Set(events.map((e) => e.path))).toEqual(new Set(['/dev/shm/.kit', '/dev/shm/.kit/pscan2']));
    const pscan2 = events.filter((e) => e.path === '/dev/shm/.kit/pscan2');
    expect(pscan2.find((e) => e.timestamp_desc === 'Content Modification Time')).toMatchObject({ datetime: '2026-02-01T09:00:00.000Z', source: 'quarantine', message: 'mtime of /dev/shm/.kit/pscan2 (quarantined by actions/quarantine-1.json)' });
    // Birth and change time come from the record: after the chmod, the live change time is the quarantine's own.
    expect(pscan2.find((e) => e.timestamp_desc === 'Metadata Modification Time')!.datetime).toBe('2026-01-15T00:00:00.000Z');
    expect(pscan2.find((e) => e.timestamp_desc === 'Creation Time')!.datetime).toBe('2026-01-10T00:00:00.000Z');
    expect(seconds(pscan2.find((e) => e.timestamp_desc === 'Last Access Time')!.datetime)).toBe(statSeconds(path.join(folder, 'pscan2')).atime);
  });
});
