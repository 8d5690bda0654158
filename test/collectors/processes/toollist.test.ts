import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExeLink, parseStat, splitCmdline } from '../../../src/collectors/processes/parse-proc.js';
import {
  MAX_MATCH_LENGTH,
  matchProcess,
  parseHashIocs,
  parseNameIocs,
  type MatchCandidate,
  type NameIoc,
} from '../../../src/collectors/processes/toollist.js';

const toolsDir = fileURLToPath(new URL('../../../playbooks/tools/', import.meta.url));
const namesText = readFileSync(path.join(toolsDir, 'names.txt'), 'utf8');
const shipped = parseNameIocs(namesText, 'playbooks/tools/names.txt');
const iocs = shipped.iocs;

const maxScore = (c: MatchCandidate): number => Math.max(-Infinity, ...matchProcess(iocs, c).map((h) => h.ioc.score));
const describeHits = (c: MatchCandidate): string =>
  JSON.stringify(matchProcess(iocs, c).map((h) => [h.ioc.line, h.ioc.score, h.field, h.value]));

describe('parseNameIocs', () => {
  it('parses entries, scores, false-positive regexes and descriptions (last comment line)', () => {
    const text = [
      '# header',
      '',
      '# Group A',
      String.raw`(^|/)evil$;80`,
      String.raw`\.hidden/;50;^/home/ok/   `,
      '#   Group B  ',
      '(?i)MiXeD;90;\r',
      'x;-10',
    ].join('\n');
    const { iocs: list, errors } = parseNameIocs(text, 'f.txt');
    expect(errors).toEqual([]);
    expect(list.map((i) => [i.regex.source, i.regex.flags, i.score, i.falsePositive?.source ?? null, i.description, i.file, i.line])).toEqual([
      ['(^|\\/)evil$', 'u', 80, null, 'Group A', 'f.txt', 4],
      ['\\.hidden\\/', 'u', 50, '^\\/home\\/ok\\/', 'Group A', 'f.txt', 5],
      ['MiXeD', 'iu', 90, null, 'Group B', 'f.txt', 7],
      ['x', 'u', -10, null, 'Group B', 'f.txt', 8],
    ]);
    expect(list[2].regex.test('mixed')).toBe(true);
  });

  it('reports bad lines with their line number and keeps going', () => {
    const text = ['# c', 'ok;80', 'broken[;80', 'noscore', 'a;high', 'a;80;(unclosed', 'a;1;2;3', ';80', '(?P<n>x);80', String.raw`x\Z;80`, 'good;70'].join('\n');
    const { iocs: list, errors } = parseNameIocs(text, 'names.txt');
    expect(list.map((i) => [i.regex.source, i.line])).toEqual([
      ['ok', 2],
      ['good', 11],
    ]);
    expect(errors.map((e) => [e.line, e.file])).toEqual([
      [3, 'names.txt'],
      [4, 'names.txt'],
      [5, 'names.txt'],
      [6, 'names.txt'],
      [7, 'names.txt'],
      [8, 'names.txt'],
      [9, 'names.txt'],
      [10, 'names.txt'],
    ]);
    expect(errors[0].message).toMatch(/invalid regex/);
    expect(errors[0].text).toBe('broken[;80');
    expect(errors[1].message).toMatch(/REGEX;SCORE/);
    expect(errors[2].message).toMatch(/score "high"/);
    expect(errors[3].message).toMatch(/false-positive/);
    expect(errors[4].message).toMatch(/at most 3/);
    expect(errors[5].message).toMatch(/empty regex/);
  });
});

describe('parseHashIocs', () => {
  it('reads md5, sha1, sha256 (lower-cased) and reports bad lines with their number', () => {
    const md5 = 'D41D8CD98F00B204E9800998ECF8427E';
    const sha1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
    const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const text = [
      '# hashes',
      `${md5};empty file (md5)`,
      '',
      `${sha1} ; empty; file (sha1)\r`,
      `${sha256};`,
      'abc;too short',
      `${'g'.repeat(32)};not hex`,
      `${sha256.slice(1)};63 chars`,
      sha256,
    ].join('\n');
    const { iocs: list, errors } = parseHashIocs(text, 'h.txt');
    expect(list).toEqual([
      { hash: md5.toLowerCase(), type: 'md5', description: 'empty file (md5)', file: 'h.txt', line: 2 },
      { hash: sha1, type: 'sha1', description: 'empty; file (sha1)', file: 'h.txt', line: 4 },
      { hash: sha256, type: 'sha256', description: '', file: 'h.txt', line: 5 },
    ]);
    expect(errors.map((e) => e.line)).toEqual([6, 7, 8, 9]);
    expect(errors[3].message).toMatch(/HASH;DESCRIPTION/);
  });

  it('the shipped hashes.txt parses with no errors and holds no invented hashes', () => {
    const { iocs: list, errors } = parseHashIocs(readFileSync(path.join(toolsDir, 'hashes.txt'), 'utf8'), 'hashes.txt');
    expect(errors).toEqual([]);
    expect(list).toEqual([]);
  });
});

describe('matchProcess semantics', () => {
  const mk = (line: string): NameIoc[] => parseNameIocs(line, 't').iocs;

  it('tries comm, exe, argv[0] and the joined command line; one hit per field', () => {
    const list = mk(String.raw`(^|/)bad$;80`);
    expect(list).toHaveLength(1);
    const hits = matchProcess(list, { comm: 'bad', exe: '/tmp/bad', argv: ['./bad', 'x'] });
    expect(hits.map((h) => [h.field, h.value])).toEqual([
      ['comm', 'bad'],
      ['exe', '/tmp/bad'],
      ['argv', './bad'],
    ]);
    const joined = matchProcess(list, { comm: 'sh', exe: '/bin/sh', argv: ['sh', '-c', 'x', '/tmp/bad'] });
    expect(joined.map((h) => [h.field, h.value])).toEqual([['argv', 'sh -c x /tmp/bad']]);
    expect(matchProcess(list, { comm: 'good', exe: null, argv: [] })).toEqual([]);
  });

  it('a false-positive regex suppresses the hit only on the value it matches', () => {
    const list = mk(String.raw`bad;80;^/opt/`);
    const hits = matchProcess(list, { comm: 'bad', exe: '/opt/bad', argv: ['/opt/bad'] });
    expect(hits.map((h) => h.field)).toEqual(['comm']);
  });

  it('cuts very long values before matching', () => {
    const list = mk('needle;80');
    const long = `${'a'.repeat(MAX_MATCH_LENGTH)}needle`;
    expect(matchProcess(list, { comm: 'x', exe: null, argv: [long] })).toEqual([]);
    expect(matchProcess(list, { comm: 'x', exe: null, argv: [long.slice(10)] })).toHaveLength(1);
  });
});

describe('the shipped names.txt', () => {
  it('parses with zero errors', () => {
    expect(shipped.errors).toEqual([]);
    const entries = namesText.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(iocs).toHaveLength(entries.length);
    expect(iocs.length).toBeGreaterThanOrEqual(15);
    for (const ioc of iocs) {
      expect(ioc.description, `line ${ioc.line}`).not.toBe('');
      expect(ioc.score).toBeGreaterThan(0);
    }
  });

  // [what, candidate, minimum best score]
  const positives: Array<[string, MatchCandidate, number]> = [
    ['pscan2 in a ".. " folder', { comm: 'pscan2', exe: '/tmp/.. /pscan2', argv: ['./pscan2', '10.0', '22'] }, 80],
    ['pscan2 exe only', { comm: 'x', exe: '/tmp/.. /pscan2', argv: [] }, 80],
    ['pscan3 perl script via shebang', { comm: 'pscan3', exe: '/usr/bin/perl', argv: ['/usr/bin/perl', './pscan3', '10.0', '22'] }, 80],
    ['pscan3 run as "perl pscan3"', { comm: 'perl', exe: '/usr/bin/perl', argv: ['perl', 'pscan3', '10.0', '22'] }, 80],
    ['ssh-scan', { comm: 'ssh-scan', exe: '/var/tmp/.x/ssh-scan', argv: ['./ssh-scan', '300'] }, 80],
    ['ssh-scan argv only', { comm: 'x', exe: null, argv: ['./ssh-scan', '300'] }, 80],
    ['sshf', { comm: 'sshf', exe: '/dev/shm/sshf', argv: ['./sshf'] }, 80],
    ['scanssh', { comm: 'scanssh', exe: '/usr/bin/scanssh', argv: ['scanssh', '10.0.0.0/8'] }, 80],
    ['brute-ssh', { comm: 'x', exe: '/root/. /brute-ssh', argv: [] }, 80],
    ['ss in /dev/shm/.x', { comm: 'ss', exe: '/dev/shm/.x/ss', argv: ['./ss', '22', '-a', '10.0', '-i', 'eth0', '-s', '10'] }, 80],
    ['ss exe only', { comm: 'x', exe: '/dev/shm/.x/ss', argv: [] }, 80],
    ['ss argv0 only', { comm: 'x', exe: null, argv: ['./ss', '22'] }, 80],
    ['ss in a hidden folder inside /usr/bin', { comm: 'x', exe: '/usr/bin/.x/ss', argv: [] }, 80],
    ['class in "/var/tmp/. "', { comm: 'x', exe: '/var/tmp/. /class', argv: [] }, 80],
    ['hydra against ssh', { comm: 'hydra', exe: '/usr/bin/hydra', argv: ['hydra', '-l', 'root', '-P', 'p.txt', 'ssh://10.0.0.1'] }, 80],
    ['hydra against ssh (service last)', { comm: 'x', exe: null, argv: ['./hydra', '-L', 'u', '-P', 'p', '10.0.0.1', 'ssh'] }, 80],
    ['hydra by name only', { comm: 'hydra', exe: '/usr/bin/hydra', argv: ['hydra'] }, 60],
    ['medusa', { comm: 'medusa', exe: '/usr/bin/medusa', argv: ['medusa', '-M', 'ssh'] }, 80],
    ['ncrack', { comm: 'ncrack', exe: '/tmp/ncrack', argv: [] }, 80],
    ['masscan', { comm: 'masscan', exe: '/usr/bin/masscan', argv: ['masscan', '-p22', '0.0.0.0/0'] }, 80],
    ['zmap', { comm: 'zmap', exe: '/usr/sbin/zmap', argv: ['zmap', '-p', '22'] }, 80],
    ['xmrig', { comm: 'xmrig', exe: '/dev/shm/.x/xmrig', argv: ['./xmrig'] }, 80],
    ['xmrig-notls', { comm: 'x', exe: '/tmp/xmrig-notls', argv: [] }, 80],
    ['kinsing', { comm: 'kinsing', exe: '/tmp/kinsing', argv: ['/tmp/kinsing'] }, 80],
    ['kdevtmpfsi', { comm: 'kdevtmpfsi', exe: '/tmp/kdevtmpfsi', argv: ['/tmp/kdevtmpfsi'] }, 80],
    ['stratum URL', { comm: 'x', exe: null, argv: ['./x', '-o', 'stratum+tcp://pool.example:3333'] }, 80],
    ['--donate-level', { comm: 'x', exe: null, argv: ['./x', '--donate-level=1'] }, 80],
    ['tsm64 in the Outlaw folder', { comm: 'tsm64', exe: '/tmp/.X25-unix/.rsync/c/tsm64', argv: ['./tsm64', '-t', '150'] }, 80],
    ['tsm in a ".. " folder', { comm: 'x', exe: '/var/tmp/.. /tsm', argv: [] }, 80],
    ['tsm via the bundled loader', { comm: 'ld-linux-x86-64', exe: '/root/.cache/.x/lib/ld-linux-x86-64.so.2', argv: ['lib/ld-linux-x86-64.so.2', '--library-path', 'lib', './tsm64', '-t', '150'] }, 80],
    ['kswapd0 in ~/.configrc', { comm: 'kswapd0', exe: '/home/u/.configrc/a/kswapd0', argv: ['./kswapd0'] }, 80],
    ['kswapd0 exe only', { comm: 'x', exe: '/home/u/.configrc/a/kswapd0', argv: [] }, 80],
    ['kswapd0 binary outside ~/.configrc', { comm: 'kswapd0', exe: '/var/tmp/kswapd0', argv: [] }, 80],
    ['kswapd0 binary dropped in /usr/bin', { comm: 'kswapd0', exe: '/usr/bin/kswapd0', argv: [] }, 80],
    ['Outlaw .rsync folder via a shell script', { comm: 'aptitude', exe: '/usr/bin/bash', argv: ['/bin/bash', '/tmp/.X25-unix/.rsync/c/aptitude'] }, 80],
    ['Outlaw .configrc folder via a shell script', { comm: 'upd', exe: '/usr/bin/dash', argv: ['/bin/sh', '/root/.configrc/a/upd'] }, 80],
    ['Outlaw .configrc folder in argv[0]', { comm: 'sync', exe: '/usr/bin/bash', argv: ['/root/.configrc/b/sync'] }, 80],
    ['dota3 archive', { comm: 'tar', exe: '/usr/bin/tar', argv: ['tar', 'xf', 'dota3.tar.gz'] }, 80],
    ['dota3 path', { comm: 'x', exe: null, argv: ['/tmp/.X25-unix/dota3.tar.gz'] }, 80],
    ['mfu.txt in a shell pipeline', { comm: 'sh', exe: '/usr/bin/dash', argv: ['sh', '-c', 'cat bios.txt |sort -u > mfu.txt'] }, 80],
    ['vuln.txt', { comm: 'cat', exe: '/usr/bin/cat', argv: ['cat', 'vuln.txt'] }, 60],
    ['bios.txt', { comm: 'sort', exe: '/usr/bin/sort', argv: ['sort', '-u', '/tmp/.x/bios.txt'] }, 60],
    ['loader run from a hidden folder', { comm: 'x', exe: '/tmp/.x/lib/ld-linux-x86-64.so.2', argv: [] }, 60],
  ];

  it.each(positives)('matches %s', (_what, candidate, min) => {
    expect(maxScore(candidate), describeHits(candidate)).toBeGreaterThanOrEqual(min);
  });

  // [what, candidate, highest score allowed]
  const negatives: Array<[string, MatchCandidate, number]> = [
    ['/usr/bin/ss', { comm: 'ss', exe: '/usr/bin/ss', argv: ['ss', '-tnp'] }, -Infinity],
    ['/usr/bin/ss by full path', { comm: 'ss', exe: '/usr/bin/ss', argv: ['/usr/bin/ss', '-tnp'] }, -Infinity],
    ['/usr/bin/ss with no args', { comm: 'ss', exe: '/usr/bin/ss', argv: ['/usr/bin/ss'] }, -Infinity],
    ['/sbin/ss', { comm: 'ss', exe: '/sbin/ss', argv: ['/sbin/ss'] }, -Infinity],
    ['/usr/bin/ss deleted after an upgrade', { comm: 'ss', exe: parseExeLink('/usr/bin/ss (deleted)').exe, argv: ['ss'] }, -Infinity],
    ['a system tool naming a kit file', { comm: 'cat', exe: '/usr/bin/cat', argv: ['/usr/bin/cat', '/tmp/x/ss'] }, -Infinity],
    ['sshd listener', { comm: 'sshd', exe: '/usr/sbin/sshd', argv: ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'] }, -Infinity],
    ['sshd-session', { comm: 'sshd-session', exe: '/usr/lib/openssh/sshd-session', argv: ['sshd-session: alice [priv]'] }, -Infinity],
    ['sshfs', { comm: 'sshfs', exe: '/usr/bin/sshfs', argv: ['sshfs', 'h:/', '/mnt'] }, -Infinity],
    ['rsync', { comm: 'rsync', exe: '/usr/bin/rsync', argv: ['rsync', '-a', 'src/', 'host:dst/'] }, -Infinity],
    ['rsync with a .rsync-filter', { comm: 'rsync', exe: '/usr/bin/rsync', argv: ['/usr/bin/rsync', '-F', '--filter=: .rsync-filter', 'a/', 'b/'] }, -Infinity],
    ['kswapd0 kernel thread', { comm: 'kswapd0', exe: null, argv: [] }, -Infinity],
    ['kswapd1 kernel thread', { comm: 'kswapd1', exe: null, argv: [] }, -Infinity],
    ['a kworker', { comm: 'kworker/0:1-events', exe: null, argv: [] }, -Infinity],
    ['a system tool naming a kswapd0 file', { comm: 'sha256sum', exe: '/usr/bin/sha256sum', argv: ['/usr/bin/sha256sum', '/tmp/.x/kswapd0'] }, -Infinity],
    ['tsm inside words', { comm: 'gotsm', exe: '/home/u/.local/bin/gotsm', argv: ['/home/u/.local/bin/tsmx'] }, -Infinity],
    ['tsm outside a hidden folder', { comm: 'tsm', exe: '/opt/tsm/bin/tsm', argv: ['tsm', 'serve'] }, -Infinity],
    ['IBM TSM client', { comm: 'dsmc', exe: '/opt/tivoli/tsm/client/ba/bin/dsmc', argv: ['dsmc', 'sched'] }, -Infinity],
    ['class inside a word', { comm: 'java', exe: '/usr/lib/jvm/bin/java', argv: ['java', '-cp', '/opt/app/classes', 'Main'] }, -Infinity],
    ['Ory Hydra server', { comm: 'hydra', exe: '/usr/local/bin/hydra', argv: ['hydra', 'serve', 'all'] }, 79],
    ['grep for a pool URL', { comm: 'grep', exe: '/usr/bin/grep', argv: ['grep', '-r', 'stratum+tcp://', '/etc'] }, -Infinity],
    ['system loader', { comm: 'ld-linux-x86-64', exe: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', argv: ['/lib64/ld-linux-x86-64.so.2', '--list', '/bin/ls'] }, -Infinity],
    ['systemd', { comm: 'systemd', exe: '/usr/lib/systemd/systemd', argv: ['/sbin/init', 'splash'] }, -Infinity],
    ['cron', { comm: 'cron', exe: '/usr/sbin/cron', argv: ['/usr/sbin/cron', '-f'] }, -Infinity],
    ['bash', { comm: 'bash', exe: '/usr/bin/bash', argv: ['-bash'] }, -Infinity],
    ['mfu.txt lookalike', { comm: 'vim', exe: '/usr/bin/vim', argv: ['vim', 'emfu.txt', 'mfu.txt.bak'] }, -Infinity],
  ];

  it.each(negatives)('does not match %s', (_what, candidate, max) => {
    expect(maxScore(candidate), describeHits(candidate)).toBeLessThanOrEqual(max);
  });
});

describe('the shipped names.txt on this machine', () => {
  type Proc = { pid: number } & MatchCandidate;

  function readProc(pid: number | string): Proc | null {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '');
      let target: string | null = null;
      try {
        target = readlinkSync(`/proc/${pid}/exe`);
      } catch {
        target = null;
      }
      const argv = splitCmdline(readFileSync(`/proc/${pid}/cmdline`));
      return { pid: Number(pid), comm, exe: parseExeLink(target).exe, argv };
    } catch {
      return null; // exited meanwhile
    }
  }

  /** A process a test started: TMPDIR is a test file's own folder, or it is a zombie (exited, not yet reaped). */
  function startedByTests(pid: number): boolean {
    try {
      if (/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'latin1'))) return true;
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').some((kv) => kv.startsWith(`TMPDIR=${path.join(path.dirname(os.tmpdir()), 'irt-f-')}`));
    } catch {
      return false;
    }
  }

  it('no running process matches with score >= 80', () => {
    const procs = readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(readProc)
      .filter((p): p is Proc => p !== null)
      // Other test files plant kit-named processes in their own temp folders while this runs, and
      // every process a test starts inherits its file's TMPDIR (test/helpers/state-dir.ts); one
      // that has just exited has no executable left to tell by.
      .filter((p) => !/^\/(tmp|dev\/shm)\/\.?irt-/.test(p.exe ?? ''))
      .filter((p) => p.pid === process.pid || !startedByTests(p.pid));
    expect(procs.length).toBeGreaterThan(1);
    expect(procs.some((p) => p.pid === process.pid)).toBe(true);
    const alerts = procs
      .map((p) => ({ p, hits: matchProcess(iocs, p).filter((h) => h.ioc.score >= 80) }))
      .filter((x) => x.hits.length > 0)
      .map((x) => `${x.p.pid} ${x.p.comm} ${x.p.exe} ${x.hits.map((h) => `line ${h.ioc.line}: ${h.value}`).join(', ')}`);
    expect(alerts).toEqual([]);
    // the real kswapd kernel threads, when visible, match nothing at all
    for (const p of procs.filter((q) => /^kswapd\d+$/.test(q.comm) && q.exe === null)) {
      expect(matchProcess(iocs, p)).toEqual([]);
    }
  });

  describe('real processes with kit names', () => {
    const children: ChildProcess[] = [];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-tools-'));
    afterAll(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    async function startCopy(rel: string, argv0: string): Promise<Proc> {
      const file = path.join(dir, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      copyFileSync('/bin/sleep', file);
      const child = spawn(file, ['30'], { argv0, stdio: 'ignore' });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
      const proc = readProc(child.pid!);
      if (!proc) throw new Error(`cannot read /proc/${child.pid}`);
      expect(parseStat(readFileSync(`/proc/${child.pid}/stat`, 'utf8')).comm).toBe(path.basename(rel));
      return proc;
    }

    it('a copy of sleep at "<tmp>/.. /pscan2" is found by comm and exe', async () => {
      const proc = await startCopy('.. /pscan2', './pscan2');
      expect(proc.exe).toBe(path.join(dir, '.. /pscan2'));
      const fields = new Set(matchProcess(iocs, proc).filter((h) => h.ioc.score >= 80).map((h) => h.field));
      expect([...fields].sort()).toEqual(['argv', 'comm', 'exe']);
    });

    it('a copy of sleep at "<tmp>/.x/ss" is found by exe and argv, not by comm', async () => {
      const proc = await startCopy('.x/ss', './ss');
      expect(proc.argv).toEqual(['./ss', '30']);
      const hits = matchProcess(iocs, proc).filter((h) => h.ioc.score >= 80);
      expect(hits.map((h) => [h.field, h.value])).toEqual([
        ['exe', path.join(dir, '.x/ss')],
        ['argv', './ss'],
      ]);
    });
  });
});
