import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { PacketSocketRecord } from '../../src/model/kernel.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

const children: ChildProcess[] = [];
const made: string[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** Starts argv, resolves once it printed `ready` (its socket is open). */
function startReady(argv: string[]): Promise<ChildProcess> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)));
  });
}

const PYTHON = '/usr/bin/python3';

/** /dev/shm's mount options when it is its own mount (a container may mount it noexec). */
function shmNoexec(): boolean {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/dev/shm');
  return line !== undefined && line.split(' ')[5].split(',').includes('noexec');
}

describe('raw packet sockets', () => {
  it('finds a renamed python in a hidden /dev/shm folder holding an AF_PACKET socket in its own network namespace; a real tcpdump is not flagged', async (ctx) => {
    ctx.skip(!isRoot || !existsSync(PYTHON), 'needs root and python3: AF_PACKET sockets take CAP_NET_RAW, in a namespace made by unshare -n');
    ctx.skip(shmNoexec(), '/dev/shm is mounted noexec here: nothing can run from it');
    // /dev/shm: a tmpfs every user can write, where BPFDoor drops itself.
    const kit = path.join(mkdtempSync('/dev/shm/irt-bpf-'), '.font-unix');
    made.push(path.dirname(kit));
    mkdirSync(kit);
    const fake = path.join(kit, 'kdmtmpflush');
    copyFileSync(execFileSync('readlink', ['-f', PYTHON], { encoding: 'utf8' }).trim(), fake);
    const code = 'import socket,time; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)); print("ready", flush=True); time.sleep(300)';
    // unshare execs the copy in place: the pid is the kit's own.
    const backdoor = await startReady(['unshare', '-n', '--', fake, '-c', code]);
    let tcpdump: ChildProcess | null = null;
    if (existsSync('/usr/bin/tcpdump')) {
      // A new namespace's loopback is down: brought up first, then the shell becomes tcpdump.
      tcpdump = spawn('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && exec /usr/bin/tcpdump -i lo -n -l'], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(tcpdump);
      // tcpdump says "listening on lo" once its socket is open.
      await new Promise<void>((resolve, reject) => {
        tcpdump!.stderr!.on('data', (d) => String(d).includes('listening') && resolve());
        tcpdump!.on('exit', (c) => reject(new Error(`tcpdump exited ${c}`)));
      });
    }
    const out = tmpDir('irt-bpf-out-');
    made.push(out);
    const r = await runCli(['collect', '--out', out, '--case', 'BPF', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    const hits = (summary.findings as Finding[]).filter((f) => f.rule === 'network.raw-packet-socket');
    const mine = hits.filter((f) => f.subject.pid === backdoor.pid);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ severity: 'high', subject: { pid: backdoor.pid, path: fake } });
    const caseDir = extract(summary.bundle);
    made.push(path.dirname(caseDir));
    const sockets = readFileSync(path.join(caseDir, 'artifacts/packet-sockets.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as PacketSocketRecord);
    expect(sockets.some((s) => s.owners.some((o) => o.pid === backdoor.pid) && s.type === 3 && s.protocol === '0003')).toBe(true);
    if (tcpdump) {
      expect(sockets.some((s) => s.owners.some((o) => o.pid === tcpdump!.pid))).toBe(true);
      expect(hits.filter((f) => f.subject.pid === tcpdump!.pid)).toEqual([]);
    } else {
      ctx.annotate('tcpdump is not installed: the known-tool half was not run');
    }
    expect((await runCli(['verify', summary.bundle])).code).toBe(0);
  }, 120_000);
});
