import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hidingCollector } from '../../../src/collectors/hiding/hiding.js';
import { mountsOverPids, parseMountInfo } from '../../../src/collectors/hiding/parse-mountinfo.js';
import { walkBound, walkPids } from '../../../src/collectors/hiding/pid-walk.js';
import { createHostContext } from '../../../src/host/context.js';
import { ProcFs } from '../../../src/host/proc.js';
import { hidden } from '../../../src/rules/process/hidden.js';
import { hiddenByMount } from '../../../src/rules/process/hidden-by-mount.js';
import { runRule } from '../../../src/rules/types.js';
import { writeFakeProc } from '../../helpers/fake-proc.js';
import { collectFacts } from '../../helpers/facts.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { tmpDir } from '../../helpers/bundle.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const MOUNTINFO = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '40 22 0:50 / /proc/4242 rw,relatime - tmpfs none rw',
  '41 22 254:0 /tmp/x\\040y /proc/sys/fs/binfmt_misc rw - ext4 /dev/vda rw',
  '42 27 0:51 / /mnt/proc/77 rw shared:1 - tmpfs none rw',
  'garbage line',
].join('\n');

describe('mountinfo', () => {
  it('parses lines with optional fields and escapes, skips what is not a line', () => {
    const lines = parseMountInfo(MOUNTINFO);
    expect(lines).toHaveLength(5);
    expect(lines[3]).toMatchObject({ root: '/tmp/x y', mountPoint: '/proc/sys/fs/binfmt_misc', fsType: 'ext4', source: '/dev/vda' });
    expect(lines[4]).toMatchObject({ mountPoint: '/mnt/proc/77', fsType: 'tmpfs' });
  });

  it('names only mounts over a numeric folder of a proc mount', () => {
    expect(mountsOverPids(parseMountInfo(MOUNTINFO)).map((m) => [m.pid, m.mount.mountPoint])).toEqual([[4242, '/proc/4242']]);
  });
});

/** A fake /proc: init (1) lists 4242 as its child, but /proc has no 4242 folder. */
function fakeBox(opts: { hiddenChild?: boolean; mountinfo?: string; forks?: number } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-hiding-'));
  dirs.push(dir);
  const proc = path.join(dir, 'proc');
  writeFakeProc(proc, [
    { pid: 1, ppid: 0, comm: 'init', exe: '/sbin/init' },
    { pid: 500, ppid: 1, comm: 'sshd', exe: '/usr/sbin/sshd' },
  ]);
  writeFileSync(path.join(proc, 'stat'), `cpu 1 2 3\nbtime 1767225600\nprocesses ${opts.forks ?? 90000}\n`);
  for (const pid of [1, 500]) {
    mkdirSync(path.join(proc, String(pid), 'task', String(pid)), { recursive: true });
    writeFileSync(path.join(proc, String(pid), 'task', String(pid), 'children'), pid === 1 ? `500 ${opts.hiddenChild ? '4242 ' : ''}` : '');
  }
  mkdirSync(path.join(proc, 'sys/kernel'), { recursive: true });
  writeFileSync(path.join(proc, 'sys/kernel/pid_max'), '5000\n');
  writeFileSync(path.join(proc, 'sys/kernel/ns_last_pid'), '600\n');
  mkdirSync(path.join(proc, 'self'));
  writeFileSync(path.join(proc, 'self', 'mountinfo'), opts.mountinfo ?? '22 27 0:21 / /proc rw - proc proc rw\n');
  return { dir, proc };
}

async function collect(proc: string, alive: (pid: number) => boolean) {
  const host = createHostContext({ root: path.dirname(proc), mode: 'live', procDir: proc, sysDir: null, pidAlive: alive });
  const sink = await CaseStore.create(tmpDir('irt-hiding-out-'), 'T');
  const options = { sshPorts: [22], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 1000, toolLists: { names: [], hashes: [] } };
  return collectFacts([hidingCollector], { host, sink, options });
}

describe('the brute-force pid walk', () => {
  it('finds a pid that answers kill(pid, 0) and is its parent\'s child but is not listed, and re-checks it', async () => {
    const { proc } = fakeBox({ hiddenChild: true });
    const alive = (pid: number) => [1, 500, 4242].includes(pid);
    const { facts } = await collect(proc, alive);
    // /proc/self is not our pid in a fake tree: the kill view is not used, the children view is.
    expect(facts.pidWalk!.hidden.map((h) => [h.pid, h.views])).toEqual([[4242, ['children']]]);
    const findings = runRule(hidden, { ...facts, processes: [], processCrossView: { onlyInProc: [], onlyInPs: [], transient: [], views: [] } });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'process.hidden', severity: 'critical', subject: { pid: 4242 } });
  });

  it('uses kill(pid, 0) when /proc is our own pid namespace, and drops a pid gone on the re-check', async () => {
    const { proc } = fakeBox();
    const real = new ProcFs(proc);
    let calls = 0;
    // First look: 3000 answers; on the re-check it is gone (ended meanwhile).
    const alive = (pid: number) => pid === 3000 && ++calls === 1;
    const walk = await walkPids({ proc: real, pidAlive: alive, ignore: new Set(), selfPid: process.pid, budgetMs: 10_000, recheckDelayMs: 1 });
    expect(walk.hidden).toEqual([]);
    expect(walk.transient).toEqual([3000]);
    expect(walk.walkedTo).toBe(4999);
    const again = await walkPids({ proc: real, pidAlive: (pid) => pid === 3000, ignore: new Set(), selfPid: process.pid, budgetMs: 10_000, recheckDelayMs: 1 });
    expect(again.hidden.map((h) => [h.pid, h.views])).toEqual([[3000, ['kill']]]);
    const ours = await walkPids({ proc: real, pidAlive: (pid) => pid === 3000, ignore: new Set([3000]), selfPid: process.pid, budgetMs: 10_000, recheckDelayMs: 1 });
    expect(ours.hidden).toEqual([]);
  });

  it('stops at the last pid handed out when the pid counter cannot have wrapped, at pid_max otherwise', () => {
    expect(walkBound(new ProcFs(fakeBox({ forks: 900 }).proc), 5000, [1, 500])).toEqual({ upper: 1624, reason: 'no wrap: 900 forks since boot, last pid 600' });
    expect(walkBound(new ProcFs(fakeBox({ forks: 90000 }).proc), 5000, [1, 500])).toEqual({ upper: 5000, reason: 'pid_max' });
  });

  it('says how far it went when the time budget runs out', async () => {
    const { proc } = fakeBox();
    let t = 0;
    const walk = await walkPids({ proc: new ProcFs(proc), pidAlive: null, ignore: new Set(), selfPid: process.pid, budgetMs: 0, recheckDelayMs: 1, now: () => (t += 1) });
    expect(walk.walkedTo).toBeLessThan(walk.upperBound);
    expect(walk.walkedTo).toBe(4095);
  });

  it('is silent on a box where every pid is listed', async () => {
    const { proc } = fakeBox();
    const { facts } = await collect(proc, (pid) => [1, 500].includes(pid));
    expect(facts.pidWalk!.hidden).toEqual([]);
    expect(facts.procMountHides).toEqual([]);
  });
});

describe('mounts over /proc/PID', () => {
  it('reports a mount still there on the re-check, with the pid alive and its parent', async () => {
    const { proc } = fakeBox({ hiddenChild: true, mountinfo: MOUNTINFO });
    const { facts } = await collect(proc, (pid) => pid === 4242);
    expect(facts.procMountHides).toEqual([expect.objectContaining({ pid: 4242, mountPoint: '/proc/4242', fsType: 'tmpfs', alive: true, parents: [1], parentComms: ['init'] })]);
    const findings = runRule(hiddenByMount, facts);
    expect(findings).toEqual([expect.objectContaining({ rule: 'process.hidden-by-mount', severity: 'critical', subject: expect.objectContaining({ pid: 4242 }) })]);
  });

  it('a mount whose process is gone is high, not critical', async () => {
    const { proc } = fakeBox({ mountinfo: MOUNTINFO });
    const { facts } = await collect(proc, () => false);
    expect(runRule(hiddenByMount, facts).map((f) => f.severity)).toEqual(['high']);
  });
});
