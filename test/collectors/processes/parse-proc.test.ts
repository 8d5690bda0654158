import { spawn, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseLdSoPreload, parseBtime, parseExeLink, parseMaps, parseStat, parseStatus, pickEnviron, splitCmdline, startTimeIso } from '../../../src/collectors/processes/parse-proc.js';

// ---------------------------------------------------------------------------------------------
// helpers for the real-process tests

const children: ChildProcess[] = [];
const tempDirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Starts a process and resolves once it has exec'd (libuv reports spawn after a successful exec). */
async function start(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<ChildProcess & { pid: number }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  if (child.pid === undefined) throw new Error('no pid');
  return child as ChildProcess & { pid: number };
}

/** Resolves true once `text` appeared on the stream, false if the process ended or maxMs passed first. */
function waitForText(stream: NodeJS.ReadableStream | null, text: string, maxMs = 15_000): Promise<boolean> {
  return new Promise((resolve) => {
    if (!stream) return resolve(false);
    let seen = '';
    const timer = setTimeout(() => done(false), maxMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('latin1');
      if (seen.includes(text)) done(true);
    };
    const onEnd = (): void => done(false);
    function done(ok: boolean): void {
      clearTimeout(timer);
      stream!.off('data', onData);
      stream!.off('end', onEnd);
      resolve(ok);
    }
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}

const rest20 = '0 0 0 0 0 0 0 0 0 0 20 0 1 0 777 1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0';

// ---------------------------------------------------------------------------------------------

describe('parseStat (inline)', () => {
  it('takes comm between the first ( and the last ), with ) ( and spaces inside', () => {
    const s = parseStat(`1234 (a) b (c)) S 1 1234 1234 34817 1234 4194304 ${rest20}\n`);
    expect(s.pid).toBe(1234);
    expect(s.comm).toBe('a) b (c)');
    expect(s.state).toBe('S');
    expect(s.ppid).toBe(1);
    expect(s.pgrp).toBe(1234);
    expect(s.session).toBe(1234);
    expect(s.tty_nr).toBe(34817);
    expect(s.flags).toBe(4194304);
    expect(s.kernelThread).toBe(false);
  });

  it('reads the numbered fields at the right positions', () => {
    // fields 10..24 get distinct values so a shift by one is caught.
    const line = '77 (x) R 5 6 7 8 9 4194560 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27';
    const s = parseStat(line);
    expect(s).toEqual({
      pid: 77,
      comm: 'x',
      state: 'R',
      ppid: 5,
      pgrp: 6,
      session: 7,
      tty_nr: 8,
      flags: 4194560,
      utime: 14,
      stime: 15,
      starttime: 22,
      vsize: 23,
      rss: 24,
      kernelThread: false,
    });
  });

  it('handles comm "a) b", "(sd-pam)", "[kworker/0:1-events]" and a newline in comm', () => {
    expect(parseStat(`42 (a) b) R 1 42 42 0 -1 4194560 ${rest20}`).comm).toBe('a) b');
    const sdpam = parseStat(`1201 ((sd-pam)) S 1200 1200 1200 0 -1 1077936448 ${rest20}`);
    expect(sdpam.comm).toBe('(sd-pam)');
    expect(sdpam.ppid).toBe(1200);
    const fake = parseStat(`666 ([kworker/0:1-events]) S 1 666 666 0 -1 4194560 ${rest20}`);
    expect(fake.comm).toBe('[kworker/0:1-events]');
    expect(fake.kernelThread).toBe(false);
    const nl = parseStat(`9 (a\nb) S 1 9 9 0 -1 0 ${rest20}`);
    expect(nl.comm).toBe('a\nb');
    expect(nl.state).toBe('S');
  });

  it('sets kernelThread from PF_KTHREAD (real kthreadd and kworker lines)', () => {
    const kthreadd = parseStat(
      '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 30 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
    );
    expect(kthreadd.kernelThread).toBe(true);
    expect(kthreadd.starttime).toBe(30);
    const kworker = parseStat(
      '11 (kworker/0:1-events) I 2 0 0 0 -1 69238880 0 0 0 0 0 30 0 0 20 0 1 0 30 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
    );
    expect(kworker.comm).toBe('kworker/0:1-events');
    expect(kworker.state).toBe('I');
    expect(kworker.kernelThread).toBe(true);
    expect(kworker.stime).toBe(30);
    // flags above 2^31: the bit test must still work on the unsigned word.
    expect(parseStat(`3 (k) S 2 0 0 0 -1 ${0x80200000} ${rest20}`).kernelThread).toBe(true);
    expect(parseStat(`3 (k) S 2 0 0 0 -1 ${0x80000000} ${rest20}`).kernelThread).toBe(false);
    expect(parseStat(`3 (k) S 2 0 0 0 -1 ${0x001fffff} ${rest20}`).kernelThread).toBe(false);
  });

  it('throws a clear Error on malformed text', () => {
    expect(() => parseStat('')).toThrow(/malformed \/proc\/PID\/stat/);
    expect(() => parseStat('garbage')).toThrow(/no "\(comm\)"/);
    expect(() => parseStat('12 (x')).toThrow(/no "\(comm\)"/);
    expect(() => parseStat('12 )x( S 1')).toThrow(/no "\(comm\)"/);
    expect(() => parseStat('12 (x) S 1 2 3')).toThrow(/fields, at least 24/);
    expect(() => parseStat(`abc (x) S 1 1 1 0 -1 0 ${rest20}`)).toThrow(/pid "abc"/);
    expect(() => parseStat(`12 (x) S one 1 1 0 -1 0 ${rest20}`)).toThrow(/field 4 \(ppid\)/);
    expect(() => parseStat(`12 (x) 7 1 1 1 0 -1 0 ${rest20}`)).toThrow(/state/);
    expect(() => parseStat(`12 (x)S 1 1 1 0 -1 0 ${rest20}`)).toThrow(/no space after/);
  });
});

describe('parseStat and parseStatus on this machine', () => {
  it('/proc/self/stat agrees with /proc/self/status', () => {
    const stat = parseStat(readFileSync('/proc/self/stat', 'utf8'));
    const status = parseStatus(readFileSync('/proc/self/status', 'utf8'));
    expect(stat.pid).toBe(process.pid);
    expect(status.pid).toBe(process.pid);
    expect(status.tgid).toBe(process.pid);
    expect(stat.ppid).toBe(status.ppid);
    expect(stat.ppid).toBe(process.ppid);
    expect(stat.state).toBe(status.state);
    expect(stat.comm).toBe(status.name);
    expect(stat.comm).toBe(readFileSync('/proc/self/comm', 'utf8').replace(/\n$/, ''));
    expect(stat.kernelThread).toBe(false);
    expect(status.uid.real).toBe(process.getuid!());
    expect(status.uid.effective).toBe(process.geteuid!());
    expect(status.gid.real).toBe(process.getgid!());
    expect(status.threads).toBeGreaterThanOrEqual(1);
    expect(status.threads).toBe(readdirSync('/proc/self/task').length);
  });

  it('/proc/1/stat agrees with /proc/1/status and /proc/1/comm', () => {
    const stat = parseStat(readFileSync('/proc/1/stat', 'utf8'));
    const status = parseStatus(readFileSync('/proc/1/status', 'utf8'));
    expect(stat.pid).toBe(1);
    expect(status.pid).toBe(1);
    expect(stat.ppid).toBe(0);
    expect(status.ppid).toBe(0);
    expect(stat.comm).toBe(status.name);
    expect(stat.comm).toBe(readFileSync('/proc/1/comm', 'utf8').replace(/\n$/, ''));
    expect(stat.kernelThread).toBe(false);
    expect(stat.starttime).toBeGreaterThanOrEqual(0);
  });

  const kthreadd = (() => {
    try {
      return parseStat(readFileSync('/proc/2/stat', 'utf8')).comm === 'kthreadd';
    } catch {
      return false;
    }
  })();

  it.skipIf(!kthreadd)('kernel threads (children of kthreadd) have PF_KTHREAD, no exe and an empty cmdline', () => {
    const pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
    let kernel = 0;
    for (const pid of pids) {
      let stat;
      try {
        stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        continue; // exited meanwhile
      }
      if (stat.pid !== 2 && stat.ppid !== 2) continue;
      kernel++;
      expect(stat.kernelThread, `pid ${pid} ${stat.comm}`).toBe(true);
      expect(() => readlinkSync(`/proc/${pid}/exe`)).toThrow();
      expect(splitCmdline(readFileSync(`/proc/${pid}/cmdline`))).toEqual([]);
    }
    expect(kernel).toBeGreaterThan(1);
  });

  it('a spawned copy of sleep named "evil) x" in a folder with a space', async () => {
    const dir = path.join(tempDir('irt-proc-'), 'a b');
    mkdirSync(dir);
    const file = path.join(dir, 'evil) x');
    copyFileSync('/bin/sleep', file);
    const child = await start(file, ['30']);
    const stat = parseStat(readFileSync(`/proc/${child.pid}/stat`, 'utf8'));
    expect(stat.comm).toBe('evil) x');
    expect(stat.pid).toBe(child.pid);
    expect(stat.ppid).toBe(process.pid);
    expect(stat.kernelThread).toBe(false);
    const status = parseStatus(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    expect(status.name).toBe('evil) x');
    expect(status.ppid).toBe(process.pid);
    expect(splitCmdline(readFileSync(`/proc/${child.pid}/cmdline`))).toEqual([file, '30']);

    // Remove the file while it runs: exe and maps say " (deleted)".
    expect(parseExeLink(readlinkSync(`/proc/${child.pid}/exe`))).toEqual({ exe: file, deleted: false, memfd: false });
    unlinkSync(file);
    expect(parseExeLink(readlinkSync(`/proc/${child.pid}/exe`))).toEqual({ exe: file, deleted: true, memfd: false });
    const { files } = parseMaps(readFileSync(`/proc/${child.pid}/maps`, 'utf8'));
    expect(files).toContain(`${file} (deleted)`);
    expect(files).not.toContain(file);
    expect(new Set(files).size).toBe(files.length);

    // Start time agrees with what this machine's ps computes (ps prints whole seconds).
    const clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const btime = parseBtime(readFileSync('/proc/stat', 'utf8'));
    const ours = Date.parse(startTimeIso(stat.starttime, btime, clkTck));
    const lstart = execFileSync('ps', ['-o', 'lstart=', '-p', String(child.pid)], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
    }).trim();
    const m = /^\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(lstart);
    expect(m, lstart).not.toBeNull();
    const month = 'JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(m![1]) / 3;
    const theirs = Date.UTC(Number(m![6]), month, Number(m![2]), Number(m![3]), Number(m![4]), Number(m![5]));
    expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(2000);
  });

  it('a process that renamed itself to "q) r<newline>z\\(" via /proc/self/comm', async () => {
    const wanted = 'q) r\nz\\(';
    const script = `require('fs').writeFileSync('/proc/self/comm', ${JSON.stringify(wanted)}); process.stdout.write('ready'); setInterval(() => {}, 1000);`;
    const child = await start(process.execPath, ['-e', script]);
    expect(await waitForText(child.stdout, 'ready')).toBe(true);
    const stat = parseStat(readFileSync(`/proc/${child.pid}/stat`, 'utf8'));
    expect(stat.comm).toBe(wanted);
    expect(stat.pid).toBe(child.pid);
    const statusText = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    // the kernel escapes the name in status; parseStatus undoes it
    expect(statusText.split('\n')[0]).not.toBe(`Name:\t${wanted}`);
    expect(parseStatus(statusText).name).toBe(wanted);
  });
});

describe('parseStatus (inline)', () => {
  const sample = [
    'Name:\tsshd',
    'Umask:\t0022',
    'State:\tS (sleeping)',
    'Tgid:\t812',
    'Ngid:\t0',
    'Pid:\t812',
    'PPid:\t1',
    'TracerPid:\t0',
    'Uid:\t0\t1000\t2000\t3000',
    'Gid:\t4\t5\t6\t7',
    'FDSize:\t64',
    'Threads:\t3',
    '',
  ].join('\n');

  it('reads the fields', () => {
    expect(parseStatus(sample)).toEqual({
      name: 'sshd',
      tgid: 812,
      pid: 812,
      ppid: 1,
      uid: { real: 0, effective: 1000, saved: 2000, fs: 3000 },
      gid: { real: 4, effective: 5, saved: 6, fs: 7 },
      state: 'S',
      stateName: 'sleeping',
      threads: 3,
    });
  });

  it('unescapes Name (new "\\n" "\\\\" form and old octal form) and keeps spaces and tabs', () => {
    expect(parseStatus(sample.replace('Name:\tsshd', 'Name:\ta\\nb\\\\c')).name).toBe('a\nb\\c');
    expect(parseStatus(sample.replace('Name:\tsshd', 'Name:\ta\\012b\\134c')).name).toBe('a\nb\\c');
    expect(parseStatus(sample.replace('Name:\tsshd', 'Name:\t x\ty ')).name).toBe(' x\ty ');
    expect(parseStatus(sample.replace('Name:\tsshd', 'Name:\tevil) x')).name).toBe('evil) x');
  });

  it('throws when a needed field is missing or malformed', () => {
    expect(() => parseStatus(sample.replace(/^Pid:.*\n/m, ''))).toThrow(/no Pid: line/);
    expect(() => parseStatus(sample.replace('Uid:\t0\t1000\t2000\t3000', 'Uid:\t0\t1000'))).toThrow(/Uid/);
    expect(() => parseStatus(sample.replace('PPid:\t1', 'PPid:\tx'))).toThrow(/PPid/);
    expect(() => parseStatus(sample.replace('State:\tS (sleeping)', 'State:\t??'))).toThrow(/State/);
    expect(() => parseStatus('')).toThrow(/no Name: line/);
  });
});

describe('splitCmdline', () => {
  it('splits on NUL and drops only the piece after the final NUL', () => {
    expect(splitCmdline(Buffer.from('/usr/sbin/sshd\0-D\0'))).toEqual(['/usr/sbin/sshd', '-D']);
    expect(splitCmdline(Buffer.from('prog\0\0'))).toEqual(['prog', '']);
    expect(splitCmdline(Buffer.from(''))).toEqual([]);
    expect(splitCmdline(Buffer.from('\0'))).toEqual(['']);
    // rewritten argv (setproctitle): one element, no guessing
    expect(splitCmdline(Buffer.from('sshd: root@pts/0'))).toEqual(['sshd: root@pts/0']);
    expect(splitCmdline(Buffer.from('nginx: worker process\0'))).toEqual(['nginx: worker process']);
  });

  it('turns bytes that are not UTF-8 into U+FFFD and keeps a BOM as data', () => {
    expect(splitCmdline(Buffer.from([0x61, 0xff, 0x62, 0, 0xc3, 0xa9, 0]))).toEqual(['a\uFFFDb', 'é']);
    expect(splitCmdline(Buffer.from([0xef, 0xbb, 0xbf, 0x78, 0]))).toEqual(['\uFEFFx']);
    expect(splitCmdline(Buffer.from([0xc3, 0, 0xa9, 0]))).toEqual(['\uFFFD', '\uFFFD']);
  });

  it('a real child given a latin1 string argument: node sends it as UTF-8 (no bad byte reaches the kernel)', async () => {
    const arg = Buffer.from([0xff, 0x41]).toString('latin1');
    const child = await start(process.execPath, ['-e', 'setInterval(() => {}, 1000)', arg]);
    const raw = readFileSync(`/proc/${child.pid}/cmdline`);
    expect(raw.includes(Buffer.from([0xc3, 0xbf, 0x41, 0]))).toBe(true);
    expect(splitCmdline(raw)).toEqual([process.execPath, '-e', 'setInterval(() => {}, 1000)', 'ÿA']);
  });

  it('a real child with a raw 0xFF byte in argv (passed through the shell)', async () => {
    const script = "process.stdout.write('ready'); setInterval(() => {}, 1000)";
    const child = await start('/bin/sh', [
      '-c',
      `exec "$0" -e "$1" "$(printf '\\377A')" "$(printf 'b\\303\\251')"`,
      process.execPath,
      script,
    ]);
    expect(await waitForText(child.stdout, 'ready')).toBe(true);
    const raw = readFileSync(`/proc/${child.pid}/cmdline`);
    expect(raw.includes(Buffer.from([0, 0xff, 0x41, 0]))).toBe(true);
    expect(splitCmdline(raw)).toEqual([process.execPath, '-e', script, '\uFFFDA', 'bé']);
  });
});

describe('pickEnviron', () => {
  it('keeps only LD_PRELOAD and LD_LIBRARY_PATH', () => {
    const env = Buffer.from('SECRET=hunter2\0LD_PRELOAD=/tmp/x.so\0PATH=/bin\0LD_LIBRARY_PATH=/opt/l\0');
    const picked = pickEnviron(env);
    expect(picked).toEqual({ ldPreload: '/tmp/x.so', ldLibraryPath: '/opt/l' });
    expect(Object.keys(picked).sort()).toEqual(['ldLibraryPath', 'ldPreload']);
    expect(JSON.stringify(picked)).not.toContain('hunter2');
  });

  it('null when absent, "" when empty, the last of two (as ld.so), no prefix confusion', () => {
    expect(pickEnviron(Buffer.from('HOME=/root\0'))).toEqual({ ldPreload: null, ldLibraryPath: null });
    expect(pickEnviron(Buffer.alloc(0))).toEqual({ ldPreload: null, ldLibraryPath: null });
    expect(pickEnviron(Buffer.from('LD_PRELOAD=\0'))).toEqual({ ldPreload: '', ldLibraryPath: null });
    expect(pickEnviron(Buffer.from('LD_PRELOAD=/a.so\0LD_PRELOAD=/b.so\0')).ldPreload).toBe('/b.so');
    expect(
      pickEnviron(Buffer.from('XLD_PRELOAD=/a\0LD_PRELOAD_X=/b\0LD_LIBRARY_PATHS=/c\0ld_preload=/d\0')),
    ).toEqual({ ldPreload: null, ldLibraryPath: null });
    expect(pickEnviron(Buffer.from('LD_PRELOAD=/a b.so:/c=d.so'))).toEqual({ ldPreload: '/a b.so:/c=d.so', ldLibraryPath: null });
  });

  it('a real child with LD_PRELOAD (nonexistent, ignored by ld.so) and SECRET=hunter2', async () => {
    const preload = '/nonexistent/ir-triage-test-preload.so';
    const child = await start('/bin/sleep', ['30'], {
      env: { PATH: '/usr/bin:/bin', LD_PRELOAD: preload, LD_LIBRARY_PATH: '/nonexistent/lib', SECRET: 'hunter2' },
    });
    // ld.so complains and carries on: the loader really saw the variable.
    expect(await waitForText(child.stderr, 'LD_PRELOAD')).toBe(true);
    const raw = readFileSync(`/proc/${child.pid}/environ`);
    expect(raw.toString('latin1')).toContain('SECRET=hunter2'); // the secret is there to be leaked…
    const picked = pickEnviron(raw);
    expect(picked).toEqual({ ldPreload: preload, ldLibraryPath: '/nonexistent/lib' }); // …and is not
    expect(JSON.stringify(picked)).not.toContain('hunter2');
    expect(child.exitCode).toBeNull();
  });
});

describe('parseMaps', () => {
  it('distinct paths from column 6, spaces and " (deleted)" kept, pseudo and anonymous entries left out', () => {
    const maps = [
      '55d4c0a00000-55d4c0a02000 r--p 00000000 fe:00 1234                       /tmp/.. /pscan2 (deleted)',
      '55d4c0a02000-55d4c0a07000 r-xp 00002000 fe:00 1234                       /tmp/.. /pscan2 (deleted)',
      '55d4c1e5a000-55d4c1e7b000 rw-p 00000000 00:00 0                          [heap]',
      '7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 ',
      '7f1c2a021000-7f1c2a200000 ---p 00000000 00:00 0',
      '7f1c2a200000-7f1c2a228000 r--p 00000000 fe:00 5678                       /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f1c2a228000-7f1c2a3bd000 r-xp 00028000 fe:00 5678                       /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f1c2a400000-7f1c2a401000 rw-s 00000000 00:01 99                         /memfd:payload (deleted)',
      '7f1c2a401000-7f1c2a402000 rw-p 00000000 00:00 0                          [anon:glibc.malloc]',
      '7f1c2a402000-7f1c2a403000 rw-s 00000000 00:01 100                        /dev/zero (deleted)',
      '7f1c2a403000-7f1c2a404000 r--p 00000000 fe:00 77                         /opt/my app/lib one.so',
      '7ffd3b1e0000-7ffd3b201000 rw-p 00000000 00:00 0                          [stack]',
      '7ffd3b3f2000-7ffd3b3f6000 r--p 00000000 00:00 0                          [vvar]',
      '7ffd3b3f6000-7ffd3b3f8000 r-xp 00000000 00:00 0                          [vdso]',
      'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
      'not a maps line /etc/passwd',
      '7f1c2a404000-7f1c2a405000 r--p 00000000 fe:00 5678                       /usr/lib/x86_64-linux-gnu/libc.so.6',
      '',
    ].join('\n');
    expect(parseMaps(maps).files).toEqual([
      '/tmp/.. /pscan2 (deleted)',
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      '/memfd:payload (deleted)',
      '/dev/zero (deleted)',
      '/opt/my app/lib one.so',
    ]);
    expect(parseMaps('').files).toEqual([]);
  });

  it('the real /proc/self/maps', () => {
    const text = readFileSync('/proc/self/maps', 'utf8');
    const { files } = parseMaps(text);
    expect(files).toContain(realpathSync(process.execPath));
    expect(new Set(files).size).toBe(files.length);
    const lines = text.split('\n');
    let lastIndex = -1;
    for (const f of files) {
      expect(f).not.toMatch(/^\[.*\]$/);
      expect(f).not.toBe('');
      const first = lines.findIndex((l) => l.endsWith(` ${f}`));
      expect(first, f).toBeGreaterThan(lastIndex); // first-seen order
      lastIndex = first;
    }
    // every line naming an absolute path is represented (the columns before it never hold " /")
    let withPath = 0;
    for (const line of lines) {
      const at = line.indexOf(' /');
      if (at < 0) continue;
      withPath++;
      expect(files).toContain(line.slice(at + 1));
    }
    expect(withPath).toBeGreaterThan(0);
  });
});

describe('parseExeLink', () => {
  it('interprets the exe link target', () => {
    expect(parseExeLink(null)).toEqual({ exe: null, deleted: false, memfd: false });
    expect(parseExeLink('/usr/sbin/sshd')).toEqual({ exe: '/usr/sbin/sshd', deleted: false, memfd: false });
    expect(parseExeLink('/usr/sbin/sshd (deleted)')).toEqual({ exe: '/usr/sbin/sshd', deleted: true, memfd: false });
    expect(parseExeLink('/memfd:x (deleted)')).toEqual({ exe: '/memfd:x', deleted: true, memfd: true });
    expect(parseExeLink('/memfd: (deleted)')).toEqual({ exe: '/memfd:', deleted: true, memfd: true });
    expect(parseExeLink('/tmp/a (deleted)/b')).toEqual({ exe: '/tmp/a (deleted)/b', deleted: false, memfd: false });
    expect(parseExeLink('/tmp/.. /ss (deleted)')).toEqual({ exe: '/tmp/.. /ss', deleted: true, memfd: false });
    // a file really named /memfd:x on disk is not a memfd
    expect(parseExeLink('/memfd:x').memfd).toBe(false);
  });

  it('the real /proc/self/exe', () => {
    expect(parseExeLink(readlinkSync('/proc/self/exe'))).toEqual({
      exe: realpathSync(process.execPath),
      deleted: false,
      memfd: false,
    });
  });
});

describe('parseBtime and startTimeIso', () => {
  it('reads btime', () => {
    expect(parseBtime('cpu  1 2 3\nintr 5\nctxt 9\nbtime 1700000000\nprocesses 12\n')).toBe(1700000000);
    expect(() => parseBtime('cpu 1 2 3\n')).toThrow(/btime/);
    expect(() => parseBtime('btime x\n')).toThrow(/btime/);
    const real = parseBtime(readFileSync('/proc/stat', 'utf8'));
    expect(Number.isInteger(real)).toBe(true);
    expect(real).toBeGreaterThan(1_000_000_000);
  });

  it('adds start ticks to btime', () => {
    expect(startTimeIso(0, 1700000000)).toBe('2023-11-14T22:13:20.000Z');
    expect(startTimeIso(250, 1700000000)).toBe('2023-11-14T22:13:22.500Z');
    expect(startTimeIso(250, 1700000000, 1000)).toBe('2023-11-14T22:13:20.250Z');
    expect(startTimeIso(8_640_000, 1700000000)).toBe('2023-11-15T22:13:20.000Z');
    expect(() => startTimeIso(-1, 1700000000)).toThrow();
    expect(() => startTimeIso(1, Number.NaN)).toThrow();
    expect(() => startTimeIso(1, 1700000000, 0)).toThrow();
  });
});

describe('parseLdSoPreload', () => {
  it('reads names split by white space or colons, and drops comments to the end of the line', () => {
    expect(parseLdSoPreload('')).toEqual([]);
    expect(parseLdSoPreload('\n\n')).toEqual([]);
    expect(parseLdSoPreload('/lib/a.so\n')).toEqual(['/lib/a.so']);
    expect(parseLdSoPreload('/lib/a.so /lib/b.so\t/lib/c.so:/lib/d.so\n')).toEqual(['/lib/a.so', '/lib/b.so', '/lib/c.so', '/lib/d.so']);
    expect(parseLdSoPreload('# old /lib/x.so\n/lib/y.so # the kit\n#/lib/z.so')).toEqual(['/lib/y.so']);
  });
});
