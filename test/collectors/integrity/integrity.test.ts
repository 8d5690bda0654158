import { runRule } from '../../../src/rules/types.js';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createIntegrityCollector, integrityCollector, INTEGRITY_HASHES, INTEGRITY_JSONL } from '../../../src/collectors/integrity/integrity.js';
import { DEFAULT_TARGETS } from '../../../src/collectors/integrity/targets.js';
import type { CollectContext, Collector } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import type { CommandResult, CommandSpec } from '../../../src/host/exec.js';
import { createHostContext, type Exec, type Mode } from '../../../src/host/context.js';
import type { KnownFacts } from '../../../src/model/facts.js';
import type { IntegrityRecord } from '../../../src/model/integrity.js';
import { modifiedBinary } from '../../../src/rules/integrity/modified-binary.js';
import { isRoot } from '../../helpers/cli.js';
import { buildRpm, hasRpm, rpm, rpmInstall } from '../../helpers/rpm.js';
import { contentChanged, parseRpmVerify } from '../../../src/collectors/integrity/parse-verify.js';
import { proc } from '../../helpers/records.js';
import { buildDebianRoot, compromise, put, removeMade, scratch } from './fake-root.js';

const tool = (name: string, args: string[], cwd?: string) => execFileSync(name, args, { encoding: 'utf8', cwd });
const md5sum = (file: string) => tool('md5sum', [file]).split(' ')[0];
const sha256sum = (file: string) => tool('sha256sum', [file]).split(' ')[0];
const readlinkQuiet = (p: string): string | null => {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
};

async function collect(root: string, opts: { mode?: Mode; exec?: Exec; facts?: KnownFacts; collector?: Collector; procDir?: string | null } = {}) {
  const store = await CaseStore.create(scratch('irt-integrity-out-'), 'T');
  const host = createHostContext({ root, mode: opts.mode ?? 'offline', procDir: opts.procDir ?? null, exec: opts.exec, isRoot: true });
  const ctx: CollectContext = {
    host,
    sink: store,
    facts: opts.facts ?? {},
    options: { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 20_000, toolLists: { names: [], hashes: [] } },
  };
  const result = await (opts.collector ?? integrityCollector).collect(ctx);
  const records = result.facts!.integrity!;
  const rec = (p: string): IntegrityRecord | undefined => records.find((r) => r.path === p) ?? records.find((r) => r.realPath === p);
  const source = (id: string) => result.sources.find((s) => s.id === id);
  const findings = runRule(modifiedBinary, result.facts as KnownFacts, {});
  return { store, result, records, rec, source, findings };
}

afterAll(() => removeMade());

/** A scripted stand-in for the box's package tool, answering by command name; it records what it was asked. */
function scriptedExec(answers: Record<string, string>, calls: CommandSpec[] = []): Exec {
  return async (spec) => {
    calls.push(spec);
    const out = answers[spec.name];
    const base: CommandResult = { name: spec.name, argv: spec.argv, startedAt: new Date().toISOString(), durationMs: 1, exitCode: 0, signal: null, timedOut: false, truncated: false, notInstalled: false, error: null, stdout: Buffer.from(out ?? ''), stderr: '' };
    return out === undefined ? { ...base, exitCode: null, notInstalled: true, error: `${spec.argv[0]}: not installed` } : base;
  };
}

describe('integrity collector on a clean Debian 12 root (offline)', () => {
  it('checks the tools and every binary of their packages, and every one is ok', async () => {
    const root = buildDebianRoot();
    const { records, rec, source, findings, store } = await collect(root);
    expect(records.map((r) => [r.path, r.status])).toEqual([
      ['/bin/ps', 'ok'],
      ['/bin/ss', 'ok'],
      ['/bin/su', 'ok'],
      ['/lib/x86_64-linux-gnu/libkeyutils.so.1.10', 'ok'],
      ['/usr/bin/pgrep', 'ok'],
      ['/usr/bin/pwdx', 'ok'],
      ['/usr/bin/top', 'ok'],
      ['/usr/bin/w', 'ok'],
      ['/usr/lib/openssh/sshd-session', 'ok'],
      ['/usr/sbin/sshd', 'ok'],
    ]);
    // Debian 12 lists /bin/ps; on disk it is /usr/bin/ps behind the /bin link.
    expect(rec('/bin/ps')).toMatchObject({ realPath: '/usr/bin/ps', tools: ['ps'], package: 'procps', packageVersion: '2:4.0.2-3', packageState: 'installed', mode: '0755', owner: 'root' });
    expect(rec('/bin/ps')!.expectedMd5).toBe(md5sum(path.join(root, 'usr/bin/ps')));
    expect(rec('/bin/ps')!.md5).toBe(rec('/bin/ps')!.expectedMd5);
    expect(rec('/bin/ps')!.sha256).toBe(sha256sum(path.join(root, 'usr/bin/ps')));
    expect(rec('/usr/bin/pgrep')!.tools).toEqual(['pgrep', 'pkill']);
    expect(rec('/usr/bin/pwdx')!.tools).toEqual([]);
    expect(rec('/lib/x86_64-linux-gnu/libkeyutils.so.1.10')).toMatchObject({ tools: ['libkeyutils.so'], package: 'libkeyutils1:amd64', packageVersion: '1.6.3-2' });
    // su is setuid as util-linux ships it.
    expect(rec('/bin/su')).toMatchObject({ mode: '4755', unexpectedSetuid: false });
    expect(findings).toEqual([]);
    expect(source('integrity.dpkg-verify')).toMatchObject({ status: 'skipped' });
    expect(source('integrity')).toMatchObject({ status: 'ok', detail: '10 files of 5 package(s): 10 ok' });
    expect(store.has(INTEGRITY_JSONL)).toBe(true);
  });

  it('ignores conffiles and documentation, even where md5sums does not match or the file is gone', async () => {
    const { records } = await collect(buildDebianRoot());
    expect(records.map((r) => r.path)).not.toContain('/etc/ssh/moduli');
    expect(records.map((r) => r.path)).not.toContain('/usr/share/doc/procps/copyright');
  });

  it('writes a hash list that sha256sum -c accepts inside the root', async () => {
    const root = buildDebianRoot();
    const { store } = await collect(root);
    const list = readFileSync(path.join(store.dir, INTEGRITY_HASHES), 'utf8');
    expect(list.trim().split('\n')).toHaveLength(10);
    expect(list).toContain(`${sha256sum(path.join(root, 'usr/sbin/sshd'))}  /usr/sbin/sshd\n`);
    // The list names files as seen inside the root: relative to it, sha256sum checks them all.
    writeFileSync(path.join(root, 'sums'), list.replaceAll('  /', '  '));
    expect(tool('sha256sum', ['-c', 'sums'], root).trim().split('\n').every((l) => l.endsWith(': OK'))).toBe(true);
  });
});

describe('integrity collector on a compromised root (offline)', () => {
  it('finds the replaced ps, the unpackaged ss first in PATH and the removed pwdx', async () => {
    const root = buildDebianRoot();
    compromise(root);
    const { rec, findings, store, source } = await collect(root);
    expect(rec('/bin/ps')).toMatchObject({ status: 'modified', package: 'procps', realPath: '/usr/bin/ps', md5: md5sum(path.join(root, 'usr/bin/ps')), sha256: sha256sum(path.join(root, 'usr/bin/ps')) });
    expect(rec('/bin/ps')!.expectedMd5).not.toBe(rec('/bin/ps')!.md5);
    expect(rec('/usr/local/bin/ss')).toMatchObject({ status: 'not-packaged', shadows: '/usr/bin/ss', tools: ['ss'], package: null });
    expect(rec('/usr/bin/pwdx')).toMatchObject({ status: 'missing', package: 'procps', realPath: null, sha256: null });

    expect(findings.map((f) => [f.severity, f.subject.path, f.subject.package])).toEqual([
      ['critical', '/usr/bin/ps', 'procps'],
      ['critical', '/usr/local/bin/ss', null],
      ['high', '/usr/bin/pwdx', 'procps'],
    ]);
    // The replaced and the planted file are kept, byte for byte.
    for (const f of ['usr/bin/ps', 'usr/local/bin/ss']) {
      expect(sha256sum(path.join(store.dir, 'files/integrity', f))).toBe(sha256sum(path.join(root, f)));
    }
    expect(rec('/bin/ps')!.preserved).toBe('files/integrity/usr/bin/ps');
    expect(findings[0].evidence).toContain('files/integrity/usr/bin/ps');
    expect(source('integrity.preserve')).toMatchObject({ status: 'ok', detail: '2 flagged file(s) copied' });
    const times = store.timelineEvents.filter((e) => e.source === 'integrity');
    expect(times.map((e) => e.path).sort()).toEqual(['/usr/bin/ps', '/usr/bin/ps', '/usr/local/bin/ss', '/usr/local/bin/ss']);
  });

  it('reports a diverted tool as informational, not as modified', async () => {
    const root = buildDebianRoot();
    put(root, 'usr/bin/top', '#!/bin/sh\n# a local top\n');
    put(root, 'usr/bin/top.distrib', readFileSync(path.join(root, 'usr/bin/pgrep'), 'utf8'));
    writeFileSync(path.join(root, 'var/lib/dpkg/diversions'), '/usr/bin/top\n/usr/bin/top.distrib\n:\n');
    const { rec, findings } = await collect(root);
    expect(rec('/usr/bin/top')).toMatchObject({ status: 'diverted', diversion: { to: '/usr/bin/top.distrib', by: ':' } });
    expect(findings.map((f) => [f.severity, f.subject.path])).toEqual([['informational', '/usr/bin/top']]);
    expect(findings[0].title).toBe('Diverted top: /usr/bin/top of procps moved to /usr/bin/top.distrib by the admin');
  });

  it('notes a package whose upgrade did not finish and lowers its finding to medium', async () => {
    const root = buildDebianRoot();
    const status = path.join(root, 'var/lib/dpkg/status');
    writeFileSync(status, readFileSync(status, 'utf8').replace('Package: procps\nStatus: install ok installed', 'Package: procps\nStatus: install reinstreq half-installed'));
    put(root, 'usr/bin/ps', 'half of a new ps\n');
    const { rec, findings } = await collect(root);
    expect(rec('/bin/ps')).toMatchObject({ status: 'modified', packageState: 'half-installed' });
    expect(findings).toHaveLength(1);
    expect(findings[0].severity).toBe('medium');
    expect(findings[0].detail).toContain('"half-installed": an install or upgrade did not finish');
  });

  it("finds Ebury's drop: the packaged libkeyutils link repointed to an unpackaged library, and a copy in tls/", async () => {
    const root = buildDebianRoot();
    const lib = path.join(root, 'usr/lib/x86_64-linux-gnu');
    put(root, 'usr/lib/x86_64-linux-gnu/libkeyutils.so.1.9', 'trojaned keyutils: libns2 libpw3\n', 0o644);
    unlinkSync(path.join(lib, 'libkeyutils.so.1'));
    symlinkSync('libkeyutils.so.1.9', path.join(lib, 'libkeyutils.so.1'));
    put(root, 'usr/lib/x86_64-linux-gnu/tls/libkeyutils.so.1', 'trojaned keyutils: libns2 libpw3\n', 0o644);
    const { rec, findings } = await collect(root);
    expect(rec('/lib/x86_64-linux-gnu/libkeyutils.so.1')).toMatchObject({ status: 'modified', package: 'libkeyutils1:amd64', realPath: '/usr/lib/x86_64-linux-gnu/libkeyutils.so.1.9' });
    expect(rec('/lib/x86_64-linux-gnu/libkeyutils.so.1')!.reason).toContain('a file no package ships');
    expect(rec('/usr/lib/x86_64-linux-gnu/libkeyutils.so.1.9')).toMatchObject({ status: 'not-packaged', shadows: '/usr/lib/x86_64-linux-gnu/libkeyutils.so.1.10' });
    expect(rec('/usr/lib/x86_64-linux-gnu/tls/libkeyutils.so.1')).toMatchObject({ status: 'not-packaged', shadows: '/usr/lib/x86_64-linux-gnu/libkeyutils.so.1.10' });
    // The packaged library itself is untouched.
    expect(rec('/lib/x86_64-linux-gnu/libkeyutils.so.1.10')!.status).toBe('ok');
    expect(findings.map((f) => [f.severity, f.subject.path]).sort()).toEqual([
      ['critical', '/usr/lib/x86_64-linux-gnu/libkeyutils.so.1.9'],
      ['critical', '/usr/lib/x86_64-linux-gnu/libkeyutils.so.1.9'],
      ['critical', '/usr/lib/x86_64-linux-gnu/tls/libkeyutils.so.1'],
    ]);
    expect(findings.find((f) => f.subject.packagePath === '/lib/x86_64-linux-gnu/libkeyutils.so.1')!.detail).toContain('Ebury');
  });

  it('flags a setuid bit nothing explains, not the one su ships with or one dpkg-statoverride declares', async () => {
    const root = buildDebianRoot();
    chmodSync(path.join(root, 'usr/bin/top'), 0o4755);
    chmodSync(path.join(root, 'usr/bin/w'), 0o2755);
    writeFileSync(path.join(root, 'var/lib/dpkg/statoverride'), 'root tty 2755 /usr/bin/w\n');
    const { rec, findings } = await collect(root);
    expect(rec('/usr/bin/top')).toMatchObject({ status: 'ok', mode: '4755', unexpectedSetuid: true });
    expect(rec('/usr/bin/w')).toMatchObject({ mode: '2755', unexpectedSetuid: false });
    expect(findings.map((f) => [f.severity, f.title])).toEqual([['high', 'Unexpected setuid/setgid bit on top: /usr/bin/top (mode 4755)']]);
  });

  it('flags a regular file where the package ships a link', async () => {
    const root = buildDebianRoot();
    unlinkSync(path.join(root, 'usr/bin/pkill'));
    put(root, 'usr/bin/pkill', '#!/bin/sh\n# kit pkill: never kills the scanner\n');
    const { rec, findings } = await collect(root);
    expect(rec('/usr/bin/pkill')).toMatchObject({ status: 'modified', package: 'procps', tools: ['pkill'] });
    expect(findings.map((f) => [f.severity, f.subject.path])).toEqual([['critical', '/usr/bin/pkill']]);
  });

  it('does not call a file missing that a dpkg path-exclude filter kept from being unpacked', async () => {
    const root = buildDebianRoot();
    put(root, 'etc/dpkg/dpkg.cfg.d/excludes', 'path-exclude=/usr/lib/openssh/*\n', 0o644);
    rmSync(path.join(root, 'usr/lib/openssh/sshd-session'));
    const { rec, findings, source } = await collect(root);
    expect(rec('/usr/lib/openssh/sshd-session')).toBeUndefined();
    expect(findings).toEqual([]);
    expect((source('integrity') as { detail: string }).detail).toContain('1 never unpacked (dpkg path-exclude)');
  });

  it("reads only dpkg.cfg.d files dpkg itself reads (a .dpkg-dist copy's filters do not count)", async () => {
    const root = buildDebianRoot();
    put(root, 'etc/dpkg/dpkg.cfg.d/excludes.dpkg-dist', 'path-exclude=/usr/bin/*\n', 0o644);
    rmSync(path.join(root, 'usr/bin/pwdx'));
    const { rec } = await collect(root);
    expect(rec('/usr/bin/pwdx')).toMatchObject({ status: 'missing' });
  });

  it('when two packages claim one file (a /usr-merge move), takes the claim whose content is on disk', async () => {
    const root = buildDebianRoot();
    put(root, 'var/lib/dpkg/info/bsdextrautils.list', '/.\n/usr/bin/ps\n', 0o644);
    put(root, 'var/lib/dpkg/info/bsdextrautils.md5sums', '00000000000000000000000000000000  usr/bin/ps\n', 0o644);
    const { rec, findings } = await collect(root);
    expect(rec('/bin/ps')).toMatchObject({ status: 'ok', package: 'procps', realPath: '/usr/bin/ps' });
    expect(findings).toEqual([]);
  });

  it('checks only the listed tools when whole packages are not wanted', async () => {
    const root = buildDebianRoot();
    rmSync(path.join(root, 'usr/bin/pwdx'));
    const { records, findings } = await collect(root, { collector: createIntegrityCollector({ ...DEFAULT_TARGETS, wholePackages: false }) });
    expect(records.map((r) => r.path)).not.toContain('/usr/bin/pwdx');
    expect(findings).toEqual([]);
  });
});

describe("the box's package verifier as a second view", () => {
  it('runs dpkg --verify on the owning packages and records where it agrees', async () => {
    const root = buildDebianRoot();
    compromise(root);
    const calls: CommandSpec[] = [];
    const exec = scriptedExec({ 'dpkg-verify': '??5??????   /bin/ps\nmissing     /usr/bin/pwdx\n??5?????? c /etc/ssh/moduli\n' }, calls);
    const { rec, findings, store, source } = await collect(root, { mode: 'live', exec });
    expect(calls.map((c) => c.argv)).toEqual([['dpkg', '--verify', 'iproute2', 'libkeyutils1:amd64', 'openssh-server', 'procps', 'util-linux']]);
    expect(rec('/bin/ps')!.secondView).toEqual({ tool: 'dpkg --verify', flags: '??5??????', agrees: true });
    expect(rec('/usr/bin/pwdx')!.secondView).toEqual({ tool: 'dpkg --verify', flags: 'missing', agrees: true });
    expect(rec('/usr/bin/top')!.secondView).toEqual({ tool: 'dpkg --verify', flags: null, agrees: true });
    expect(source('integrity.dpkg-verify')).toMatchObject({ status: 'ok', detail: '3 line(s), 0 disagreement(s) with the database read as files' });
    expect(store.has('commands/dpkg-verify.txt')).toBe(true);
    const ps = findings.find((f) => f.subject.path === '/usr/bin/ps')!;
    expect(ps.detail).toContain('dpkg --verify on the box reports it too (??5??????)');
    expect(ps.evidence).toContain('commands/dpkg-verify.txt');
  });

  it("says so when the box's dpkg does not report a file whose content changed", async () => {
    const root = buildDebianRoot();
    compromise(root);
    const { rec, findings, source } = await collect(root, { mode: 'live', exec: scriptedExec({ 'dpkg-verify': '' }) });
    expect(rec('/bin/ps')!.secondView).toEqual({ tool: 'dpkg --verify', flags: null, agrees: false });
    expect(source('integrity.dpkg-verify')).toMatchObject({ detail: '0 line(s), 2 disagreement(s) with the database read as files' });
    expect(findings.find((f) => f.subject.path === '/usr/bin/ps')!.detail).toContain("dpkg --verify on the box did not say so: the box's package tool, or a library under it, may lie as well");
  });

  it('records a box without dpkg as skipped', async () => {
    const { source } = await collect(buildDebianRoot(), { mode: 'live', exec: scriptedExec({}) });
    expect(source('integrity.dpkg-verify')).toEqual({ id: 'integrity.dpkg-verify', status: 'skipped', reason: 'dpkg is not installed' });
  });
});

describe('integrity collector without a dpkg database', () => {
  function rpmRoot(): string {
    const root = buildDebianRoot();
    rmSync(path.join(root, 'var/lib/dpkg'), { recursive: true });
    mkdirSync(path.join(root, 'var/lib/rpm'), { recursive: true });
    return root;
  }

  it('an RPM folder with no database in it: the tools are still hashed, and the reason recorded', async () => {
    const root = rpmRoot();
    const { records, rec, source, findings, store } = await collect(root);
    expect(source('integrity.rpm')).toEqual({ id: 'integrity.rpm', path: '/var/lib/rpm', status: 'skipped', reason: 'no rpmdb.sqlite, Packages or Packages.db in the folder' });
    expect(new Set(records.map((r) => r.status))).toEqual(new Set(['unverified']));
    expect(rec('/usr/bin/ps')!.sha256).toBe(sha256sum(path.join(root, 'usr/bin/ps')));
    expect(findings).toEqual([]);
    expect(readFileSync(path.join(store.dir, INTEGRITY_HASHES), 'utf8')).toContain('  /usr/bin/ps\n');
  });

  it('a Berkeley DB Packages file is named as not read; the tools are hashed, not verified', async () => {
    const root = rpmRoot();
    put(root, 'var/lib/rpm/Packages', Buffer.alloc(8192, 0x62).toString());
    const { records, source } = await collect(root);
    expect(source('integrity.rpm')).toMatchObject({ status: 'skipped', path: '/var/lib/rpm/Packages', reason: expect.stringContaining('Berkeley DB') });
    expect(new Set(records.map((r) => r.status))).toEqual(new Set(['unverified']));
  });

  it("live, asks the box's rpm which packages own the tools and what rpm -V finds (rpm is scripted: it is not installed here)", async () => {
    const root = rpmRoot();
    put(root, 'usr/bin/ps', 'replaced\n');
    put(root, 'usr/local/bin/ss', 'kit ss\n');
    const calls: CommandSpec[] = [];
    const exec = scriptedExec(
      {
        'rpm-qf': 'procps-ng\t/usr/bin/ps\nprocps-ng\t/usr/bin/top\nprocps-ng\t/usr/bin/pgrep\nprocps-ng\t/usr/share/man/man1/ps.1.gz\niproute\t/usr/bin/ss\nfile /usr/sbin/sshd is not owned by any package\n',
        'rpm-V': '..5....T.    /usr/bin/ps\nS.5....T.  c /etc/sysctl.conf\n',
      },
      calls,
    );
    const { rec, findings, source } = await collect(root, { mode: 'live', exec });
    expect(calls.map((c) => c.argv.slice(0, 3))).toEqual([
      ['rpm', '-qf', '--queryformat'],
      ['rpm', '-V', 'iproute'],
    ]);
    expect(calls[1].argv).toEqual(['rpm', '-V', 'iproute', 'procps-ng']);
    expect(rec('/usr/bin/ps')).toMatchObject({ status: 'modified', package: 'procps-ng', secondView: { tool: 'rpm -V', flags: '..5....T.', agrees: true } });
    expect(rec('/usr/bin/top')).toMatchObject({ status: 'ok', package: 'procps-ng' });
    expect(rec('/usr/local/bin/ss')).toMatchObject({ status: 'not-packaged', shadows: '/usr/bin/ss' });
    expect(rec('/usr/sbin/sshd')).toMatchObject({ status: 'not-packaged', shadows: null });
    expect(findings.map((f) => [f.severity, f.subject.path])).toEqual([
      ['critical', '/usr/bin/ps'],
      ['critical', '/usr/local/bin/ss'],
    ]);
    expect(findings[0].detail).toContain('dnf download procps-ng');
    expect(source('integrity.rpm-V')).toMatchObject({ status: 'ok', path: 'commands/rpm-V.txt' });
  });

  it('without any package database, hashes the tools and says why nothing was verified', async () => {
    const root = buildDebianRoot();
    rmSync(path.join(root, 'var/lib/dpkg'), { recursive: true });
    const { records, source, findings } = await collect(root);
    expect(source('integrity.package-db')).toMatchObject({ status: 'skipped' });
    expect(records.length).toBeGreaterThan(5);
    expect(records.every((r) => r.status === 'unverified' && r.sha256)).toBe(true);
    expect(findings).toEqual([]);
  });
});

describe('integrity collector on this machine (live)', () => {
  const hasDpkg = existsSync('/var/lib/dpkg/status');

  it('ties running processes to the file they run, flags one whose executable hashes differently, and leaves other mount namespaces alone', async (ctx) => {
    ctx.skip(!hasDpkg, 'needs a Debian box');
    ctx.skip(!isRoot, 'needs root: unshare starts the process in its own mount namespace');
    const start = (argv: string[]) => spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    const same = start(['/usr/bin/sleep', '60']);
    const differs = start(['/usr/bin/sleep', '61']);
    const contained = start(['unshare', '--mount', '/usr/bin/sleep', '62']);
    try {
      // unshare execs sleep in place once the namespace is made.
      for (let i = 0; i < 200 && readlinkQuiet(`/proc/${contained.pid}/exe`) !== '/usr/bin/sleep'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(readlinkSync(`/proc/${contained.pid}/ns/mnt`)).not.toBe(readlinkSync('/proc/self/ns/mnt'));
      const sha = sha256sum('/usr/bin/sleep');
      const processes = [
        proc({ pid: same.pid!, comm: 'sleep', exe: '/usr/bin/sleep', exeSha256: sha }),
        // As the processes step would see a sleep whose executable is another file at the same path.
        proc({ pid: differs.pid!, comm: 'sleep', exe: '/usr/bin/sleep', exeSha256: '0'.repeat(64) }),
        proc({ pid: contained.pid!, comm: 'sleep', exe: '/usr/bin/sleep', exeSha256: '1'.repeat(64) }),
      ];
      const collector = createIntegrityCollector({ ...DEFAULT_TARGETS, tools: ['sleep'], libraries: [], fixedPaths: [] });
      const { rec, findings } = await collect('/', { mode: 'live', procDir: '/proc', facts: { processes }, collector });
      expect(rec('/usr/bin/sleep')).toMatchObject({ status: 'ok', sha256: sha, runningPids: [same.pid, differs.pid], runningMismatchPids: [differs.pid] });
      const running = findings.filter((f) => f.title.startsWith('Running'));
      expect(running.map((f) => [f.severity, f.subject.pid])).toEqual([['critical', differs.pid]]);
    } finally {
      for (const c of [same, differs, contained]) c.kill('SIGKILL');
    }
  });

});

describe.skipIf(!hasRpm)('integrity collector on a root whose packages the real rpm installed (offline, rpmdb.sqlite)', () => {
  const elf = (tag: string) => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.from(tag.padEnd(64, '.'))]);

  function rpmBox(dbpath = '/var/lib/rpm'): string {
    const root = scratch('irt-integrity-rpm-');
    const procps = buildRpm({
      name: 'procps-ng',
      version: '4.0.4',
      release: '5.fc40',
      files: [
        { path: '/usr/bin/ps', content: elf('ps'), mode: 0o755 },
        { path: '/usr/bin/top', content: elf('top'), mode: 0o755 },
        { path: '/usr/bin/pkill', link: 'pgrep' },
        { path: '/usr/bin/pgrep', content: elf('pgrep'), mode: 0o755 },
        { path: '/usr/libexec/procps/irt-helper', content: elf('helper'), mode: 0o4755 },
        { path: '/usr/share/man/man1/ps.1', content: 'man\n' },
      ],
    });
    const findutils = buildRpm({ name: 'findutils', files: [{ path: '/usr/bin/find', content: elf('find'), mode: 0o755 }] });
    rpmInstall(root, [procps, findutils], dbpath);
    return root;
  }

  it('a clean box: every packaged file is ok, owners and versions from the database', async () => {
    const root = rpmBox();
    const { records, rec, source, findings } = await collect(root);
    expect(findings).toEqual([]);
    expect(source('integrity')).toMatchObject({ status: 'ok' });
    expect(source('integrity.rpm')).toBeUndefined();
    expect(source('integrity.rpm-V')).toMatchObject({ status: 'skipped' });
    expect(rec('/usr/bin/ps')).toMatchObject({ status: 'ok', package: 'procps-ng', packageVersion: '4.0.4-5.fc40', tools: ['ps'] });
    expect(rec('/usr/bin/find')).toMatchObject({ status: 'ok', package: 'findutils' });
    // The package ships the helper setuid: explained, though no list of usual setuid programs names it.
    expect(rec('/usr/libexec/procps/irt-helper')).toMatchObject({ status: 'ok', mode: '4755', unexpectedSetuid: false });
    expect(records.filter((r) => r.status !== 'ok')).toEqual([]);
  });

  it('a kit: what rpm -V finds, the database read here finds too; an unpackaged tool and a setuid bit the package never shipped are named', async () => {
    const root = rpmBox('/usr/lib/sysimage/rpm');
    put(root, 'usr/bin/ps', 'trojaned ps\n');
    rmSync(path.join(root, 'usr/bin/top'));
    chmodSync(path.join(root, 'usr/bin/find'), 0o4755);
    put(root, 'usr/local/bin/ss', 'kit ss\n');
    const { rec, records, findings } = await collect(root);
    // The oracle: the real rpm on the same root and database.
    const verify = parseRpmVerify(rpm(root, '/usr/lib/sysimage/rpm', ['-V', 'procps-ng', 'findutils'], [0, 1, 2]));
    const rpmSays = new Map(verify.lines.map((l) => [l.path, l.missing ? 'missing' : contentChanged(l) ? 'modified' : 'other']));
    expect(rpmSays.get('/usr/bin/ps')).toBe('modified');
    expect(rpmSays.get('/usr/bin/top')).toBe('missing');
    for (const r of records.filter((x) => x.package)) {
      const said = rpmSays.get(r.path);
      expect(r.status, r.path).toBe(said === 'modified' || said === 'missing' ? said : 'ok');
    }
    expect(rec('/usr/bin/ps')!.reason).toContain('sha256 differs');
    expect(rec('/usr/bin/find')).toMatchObject({ status: 'ok', mode: '4755', unexpectedSetuid: true });
    expect(rec('/usr/local/bin/ss')).toMatchObject({ status: 'not-packaged', package: null });
    // rpm -qf stats the path outside --root: every file the database lists is the oracle instead.
    const listed = rpm(root, '/usr/lib/sysimage/rpm', ['-qa', '--qf', '[%{FILENAMES}\\n]']).split('\n');
    expect(listed).toContain('/usr/bin/ps');
    expect(listed).not.toContain('/usr/local/bin/ss');
    expect(findings.map((f) => f.subject.path).sort()).toEqual(['/usr/bin/find', '/usr/bin/ps', '/usr/bin/top']);
    const ps = findings.find((f) => f.subject.path === '/usr/bin/ps')!;
    expect(ps.detail).toContain(`Package sha256 ${rec('/usr/bin/ps')!.expectedSha256}`);
    expect(rec('/usr/bin/ps')!.expectedSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ps.detail).toContain('dnf download procps-ng');
  });
});
