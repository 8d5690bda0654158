import { runRule } from '../../../src/rules/types.js';
import { describe, expect, it } from 'vitest';
import type { KnownFacts } from '../../../src/model/facts.js';
import type { ProcessRecord } from '../../../src/model/processes.js';
import { deletedExe } from '../../../src/rules/process/deleted-exe.js';
import { exeInWritableDir } from '../../../src/rules/process/exe-in-writable-dir.js';
import { hidden } from '../../../src/rules/process/hidden.js';
import { knownTool } from '../../../src/rules/process/known-tool.js';
import { masquerade } from '../../../src/rules/process/masquerade.js';
import { preload } from '../../../src/rules/process/preload.js';
import { RULES } from '../../../src/rules/index.js';
import { cleanBaseline, proc } from '../../helpers/records.js';

function facts(extra: ProcessRecord[] = [], more: Partial<KnownFacts> = {}): KnownFacts {
  return {
    processes: [...cleanBaseline(), ...extra],
    toolHits: [],
    processCrossView: { onlyInProc: [], onlyInPs: [], transient: [], views: ['ps-list'] },
    ldSoPreload: null,
    procMountHides: [],
    selfPids: [],
    ...more,
  };
}

const processRules = RULES.filter((r) => r.id.startsWith('process.'));

describe('process rules on a clean baseline', () => {
  it.each(processRules.map((r) => [r.id, r]))('%s stays silent', (_id, rule) => {
    expect(runRule(rule, facts(), rule.thresholds)).toEqual([]);
  });
});

describe('process.masquerade', () => {
  it('flags an sshd that runs from a hidden folder, as critical', () => {
    const fake = proc({ pid: 4242, comm: 'sshd', argv: ['sshd: root@notty'], exe: '/dev/shm/.x/sshd', user: 'www-data', uid: 33 });
    const [f, ...rest] = runRule(masquerade, facts([fake]), {});
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule: 'process.masquerade', severity: 'critical', subject: { pid: 4242, path: '/dev/shm/.x/sshd', user: 'www-data', claimed: 'sshd' } });
    expect(f.title).toBe('Fake sshd: sshd (pid 4242) runs /dev/shm/.x/sshd');
    expect(f.detail).toMatch(/not \/usr\/sbin\/sshd or \/usr\/lib\/openssh\/sshd-session/);
    expect(f.mitre).toContain('T1036.004');
  });

  it('flags a miner calling itself [kswapd0] or kswapd0 with an executable', () => {
    const bracket = proc({ pid: 5000, comm: 'kswapd0', argv: ['[kswapd0]'], exe: '/home/u/.configrc/a/kswapd0' });
    const named = proc({ pid: 5001, comm: 'kworker/0:2', argv: ['kworker/0:2'], exe: '/tmp/kw' });
    const found = runRule(masquerade, facts([bracket, named]), {});
    expect(found.map((f) => [f.subject.pid, f.severity])).toEqual([
      [5000, 'critical'],
      [5001, 'critical'],
    ]);
  });

  it('never flags a real kernel thread, nor sshd whose exe it cannot read', () => {
    const unreadable = proc({ pid: 6000, comm: 'sshd', argv: ['sshd: bob@pts/3'], exe: null, uid: 1001 });
    expect(runRule(masquerade, facts([unreadable]), {})).toEqual([]);
  });

  it('accepts the /usr-merged path of a daemon', () => {
    const cron = proc({ pid: 6001, comm: 'cron', argv: ['/sbin/cron'], exe: '/sbin/cron' });
    expect(runRule(masquerade, facts([cron]), {})).toEqual([]);
  });
});

describe('process.deleted-exe', () => {
  it('is high for a binary deleted from a writable folder, informational after a package upgrade', () => {
    const gone = proc({ pid: 7000, comm: 'sshd', exe: '/dev/shm/.x/sshd', exeDeleted: true });
    const upgraded = proc({ pid: 7001, comm: 'sshd', exe: '/usr/sbin/sshd', exeDeleted: true });
    const memfd = proc({ pid: 7002, comm: '3', exe: '/memfd:payload', exeDeleted: true });
    const found = runRule(deletedExe, facts([gone, upgraded, memfd]), {});
    expect(found.map((f) => [f.subject.pid, f.severity])).toEqual([
      [7000, 'high'],
      [7001, 'informational'],
      [7002, 'high'],
    ]);
    expect(found[1].detail).toMatch(/Restart the service/);
    expect(found[2].title).toMatch(/^Fileless process/);
  });
});

describe('process.exe-in-writable-dir', () => {
  it('flags pscan2 in /tmp/.. / as high, naming the folder', () => {
    const scan = proc({ pid: 4243, comm: 'pscan2', argv: ['./pscan2', '22'], exe: '/tmp/.. /pscan2', cwd: '/tmp/.. ' });
    const [f] = runRule(exeInWritableDir, facts([scan]), {});
    expect(f).toMatchObject({ severity: 'high', subject: { pid: 4243, folder: '/tmp/.. ' } });
    expect(f.detail).toMatch(/lies in \/tmp, which any user can write to/);
    expect(f.detail).toMatch(/a name made to pass for \. or \.\./);
  });

  it('is medium for a dot-folder in a home and for a hidden working folder inside /tmp', () => {
    const dot = proc({ pid: 8000, comm: 'tool', exe: '/home/u/.local/share/tool', cwd: '/home/u' });
    const cwd = proc({ pid: 8001, comm: 'python3', exe: '/usr/bin/python3.11', cwd: '/var/tmp/.build' });
    const plain = proc({ pid: 8002, comm: 'make', exe: '/usr/bin/make', cwd: '/tmp/checkout/src' });
    const found = runRule(exeInWritableDir, facts([dot, cwd, plain]), {});
    expect(found.map((f) => [f.subject.pid, f.severity])).toEqual([
      [8000, 'medium'],
      [8001, 'medium'],
    ]);
  });

  it('never flags our own processes', () => {
    const mine = proc({ pid: 9000, exe: '/tmp/x/node', cwd: '/tmp/x' });
    expect(runRule(exeInWritableDir, facts([mine], { selfPids: [9000] }), {})).toEqual([]);
  });
});

describe('process.preload', () => {
  it('is critical for /etc/ld.so.preload and high for LD_PRELOAD in one process', () => {
    const p = proc({ pid: 9100, comm: 'sleep', ldPreload: '/tmp/.x/libhide.so' });
    const found = runRule(preload, facts([p], { ldSoPreload: ['/lib/libsneaky.so'] }), {});
    expect(found.map((f) => [f.subject.pid, f.severity])).toEqual([
      [null, 'critical'],
      [9100, 'high'],
    ]);
    expect(found[0].title).toBe('/etc/ld.so.preload loads /lib/libsneaky.so into every process');
  });

  it('stays silent for an empty /etc/ld.so.preload', () => {
    expect(runRule(preload, facts([], { ldSoPreload: [] }), {})).toEqual([]);
  });
});

describe('process.hidden', () => {
  it('reports a pid hidden from ps (critical) and one ps invented (high)', () => {
    const p = proc({ pid: 9200, comm: 'xmr', exe: '/tmp/x' });
    const view = { onlyInProc: [9200], onlyInPs: [31337], transient: [9300], views: ['ps-list'] };
    const found = runRule(hidden, facts([p], { processCrossView: view }), {});
    expect(found.map((f) => [f.subject.pid, f.severity])).toEqual([
      [9200, 'critical'],
      [31337, 'high'],
    ]);
  });
});

describe('process.known-tool', () => {
  it('turns tool-list hits into one finding per process, level by score', () => {
    const scan = proc({ pid: 4242, comm: 'pscan2', exe: '/tmp/.. /pscan2', user: 'www-data' });
    const maybe = proc({ pid: 4300, comm: 'hydra', exe: '/opt/hydra/hydra' });
    const hits = [
      { pid: 4242, kind: 'name' as const, pattern: 'pscan2', score: 90, description: 'Classic SSH scanner', field: 'comm', value: 'pscan2', list: 'names.txt:20' },
      { pid: 4242, kind: 'name' as const, pattern: 'pscan2', score: 90, description: 'Classic SSH scanner', field: 'exe', value: '/tmp/.. /pscan2', list: 'names.txt:20' },
      { pid: 4300, kind: 'name' as const, pattern: 'hydra', score: 60, description: 'Process named hydra', field: 'comm', value: 'hydra', list: 'names.txt:30' },
      { pid: 4400, kind: 'name' as const, pattern: 'x', score: 20, description: 'low', field: 'comm', value: 'x', list: 'names.txt:40' },
    ];
    const found = runRule(knownTool, facts([scan, maybe, proc({ pid: 4400 })], { toolHits: hits }), knownTool.thresholds);
    expect(found.map((f) => [f.subject.pid, f.severity])).toEqual([
      [4242, 'high'],
      [4300, 'medium'],
    ]);
    expect(found[0].title).toBe('Known tool running: pscan2 (pid 4242) — Classic SSH scanner');
    expect(found[0].subject.user).toBe('www-data');
  });
});
