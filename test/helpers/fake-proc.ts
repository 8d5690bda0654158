import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Exec } from '../../src/host/context.js';
import type { CommandResult, CommandSpec } from '../../src/host/exec.js';

export interface FakeProcess {
  pid: number;
  ppid?: number;
  comm: string;
  state?: string;
  flags?: number;
  starttime?: number;
  uid?: number;
  argv?: string[];
  environ?: string[];
  /** Link target as the kernel shows it, e.g. "/usr/sbin/sshd (deleted)"; null: unreadable. */
  exe?: string | null;
  cwd?: string;
  maps?: string[];
  fds?: string[];
  /** Only the pid folder exists: the process ended while it was being read. */
  vanished?: boolean;
}

/** Writes a fake /proc tree the way the kernel lays it out, for collector tests. */
export function writeFakeProc(dir: string, processes: FakeProcess[], btime = 1_767_225_600): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'stat'), `cpu  1 2 3 4\nbtime ${btime}\nprocesses 100\n`);
  for (const p of processes) {
    const d = path.join(dir, String(p.pid));
    mkdirSync(d);
    if (p.vanished) continue;
    const ppid = p.ppid ?? 1;
    const fields = [p.state ?? 'S', ppid, p.pid, p.pid, 0, -1, p.flags ?? 0x400100, 0, 0, 0, 0, 5, 3, 0, 0, 20, 0, 1, 0, p.starttime ?? 1000, 1000000, 100];
    writeFileSync(path.join(d, 'stat'), `${p.pid} (${p.comm}) ${fields.join(' ')} 0 0 0 0\n`);
    const uid = p.uid ?? 0;
    writeFileSync(
      path.join(d, 'status'),
      `Name:\t${p.comm.replace(/\n/g, '\\n')}\nState:\t${p.state ?? 'S'} (sleeping)\nTgid:\t${p.pid}\nPid:\t${p.pid}\nPPid:\t${ppid}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t0\t0\t0\t0\nThreads:\t1\n`,
    );
    writeFileSync(path.join(d, 'cmdline'), (p.argv ?? []).map((a) => `${a}\0`).join(''));
    writeFileSync(path.join(d, 'environ'), (p.environ ?? ['PATH=/usr/bin']).map((a) => `${a}\0`).join(''));
    writeFileSync(path.join(d, 'maps'), (p.maps ?? []).map((m, i) => `0040${i}000-0040${i}fff r-xp 00000000 fd:01 ${100 + i}    ${m}\n`).join(''));
    writeFileSync(path.join(d, 'cgroup'), '0::/system.slice/fake.service\n');
    if (p.exe !== null && p.exe !== undefined) symlinkSync(p.exe, path.join(d, 'exe'));
    symlinkSync(p.cwd ?? '/', path.join(d, 'cwd'));
    symlinkSync('/', path.join(d, 'root'));
    mkdirSync(path.join(d, 'ns'));
    symlinkSync('net:[4026531840]', path.join(d, 'ns', 'net'));
    mkdirSync(path.join(d, 'fd'));
    (p.fds ?? []).forEach((t, i) => symlinkSync(t, path.join(d, 'fd', String(i))));
  }
}

/** An exec that answers only the commands a test expects, and fails the test on any other. */
export function replayExec(answers: Record<string, string>, unexpected: string[]): Exec {
  return async (spec: CommandSpec): Promise<CommandResult> => {
    const key = spec.argv.join(' ');
    if (!(key in answers)) unexpected.push(key);
    return {
      name: spec.name,
      argv: spec.argv,
      startedAt: new Date(0).toISOString(),
      durationMs: 1,
      exitCode: key in answers ? 0 : 127,
      signal: null,
      timedOut: false,
      truncated: false,
      notInstalled: false,
      error: key in answers ? null : 'unexpected command in a replay test',
      stdout: Buffer.from(answers[key] ?? ''),
      stderr: '',
    };
  };
}
