/**
 * The file sweep's output does not change when its walk is made cheaper: on one generated tree
 * (links of every kind, FIFOs, folders deeper than the cap, set-id files, hard links, odd and
 * invalid names, times a nanosecond either side of the window's start, a place inside another,
 * /usr-merged links, a folder of 1 500 entries that crosses the batch and yield boundaries), the
 * collector and the frozen implementation it replaced (reference-sweep.ts) give the same
 * bodyfile, changed-files and setuid records, timeline rows and manifest line (bar the elapsed
 * time), for a window in the past, one in the future, and with every cap biting.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweep, type SweepLimits } from '../../../src/collectors/file-sweep/file-sweep.js';
import type { CollectOptions } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext } from '../../../src/host/context.js';
import { tmpDir } from '../../helpers/bundle.js';
import { referenceSweep } from './reference-sweep.js';

const OPTIONS: CollectOptions = { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 10_000, toolLists: { names: [], hashes: [] } };
const LIMITS: SweepLimits = { maxEntries: 100_000, maxDepth: 32, maxMs: 60_000, maxRecords: 100_000 };
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(300, 7)]);
const DAY = 86_400_000;
/** The window of the future scenario starts here (ms, on a whole millisecond as Date.parse gives). */
const FUTURE = Math.floor((Date.now() + 10 * DAY) / 1000) * 1000 + 250;

function put(root: string, rel: string, data: string | Buffer, mode = 0o644): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, data);
  chmodSync(p, mode);
  return p;
}

/** Sets atime and mtime to `ms` plus `ns` nanoseconds (touch keeps nanoseconds; utimes would round them). */
function touchAt(p: string, ms: number, ns = 0): void {
  const totalNs = BigInt(ms) * 1_000_000n + BigInt(ns);
  const sec = totalNs / 1_000_000_000n;
  const frac = (totalNs % 1_000_000_000n).toString().padStart(9, '0');
  const r = spawnSync('touch', ['-h', '-d', `@${sec}.${frac}`, p]);
  if (r.status !== 0) throw new Error(`touch ${p}: ${r.stderr}`);
}

function fifo(p: string, mode = '644'): void {
  mkdirSync(path.dirname(p), { recursive: true });
  const r = spawnSync('mkfifo', ['-m', mode, p]);
  if (r.status !== 0) throw new Error(`mkfifo ${p}: ${r.stderr}`);
}

let mounted: string | null = null;

function buildTree(): string {
  const root = tmpDir('irt-sweep-diff-');
  put(root, 'etc/passwd', [
    'root:x:0:0:root:/root:/bin/bash',
    'alice:x:1000:1000::/home/alice:/bin/bash',
    'bob:x:1001:1001::/var/tmp/bob:/bin/sh',
    'svc:x:999:999::/srv/svc:/usr/sbin/nologin',
    'eve:x:1002:1002::/home/eve:/bin/bash',
    '',
  ].join('\n'));
  put(root, 'var/lib/dpkg/info/login.list', '/.\n/usr\n/usr/bin\n/usr/bin/su\n');
  put(root, 'var/lib/dpkg/status', 'Package: login\nStatus: install ok installed\n\n');
  // /usr-merged: /bin, /sbin, /lib are links into /usr; /run/shm leads to /dev/shm.
  put(root, 'usr/bin/su', ELF, 0o4755);
  put(root, 'usr/bin/evil', ELF, 0o4755);
  put(root, 'usr/bin/ls', ELF, 0o755);
  put(root, 'usr/sbin/sshd', ELF, 0o755);
  put(root, 'usr/lib/x86_64/helper', ELF, 0o2755);
  put(root, 'usr/lib/x86_64/libc.so.6', ELF, 0o755);
  symlinkSync('libc.so.6', path.join(root, 'usr/lib/x86_64/libc.so'));
  put(root, 'usr/lib/systemd/system/ssh.service', '[Service]\n');
  symlinkSync('usr/bin', path.join(root, 'bin'));
  symlinkSync('usr/sbin', path.join(root, 'sbin'));
  symlinkSync('usr/lib', path.join(root, 'lib'));
  mkdirSync(path.join(root, 'run'), { recursive: true });
  symlinkSync('/dev/shm', path.join(root, 'run/shm'));
  put(root, 'etc/shadow', 'root:*:19000:0:99999:7:::\n', 0o640);
  put(root, 'etc/systemd/system/evil.service', '[Service]\nExecStart=/dev/shm/.x/pscan2\n');
  put(root, 'etc/cron.d/job', '* * * * * root /tmp/run.sh\n');
  // A kit in hidden folders of every kind.
  put(root, 'dev/shm/.x/pscan2', ELF, 0o755);
  put(root, 'dev/shm/.x/run.sh', '#!/bin/sh\n./pscan2 22\n', 0o755);
  put(root, 'dev/shm/.x/not-exec.sh', '#!/bin/sh\n', 0o644);
  put(root, 'dev/shm/.. /a', 'x');
  put(root, 'dev/shm/ /b', ELF, 0o700);
  put(root, 'dev/shm/trail /c', '#!', 0o755);
  put(root, 'tmp/.hid/sh', ELF, 0o6755);
  put(root, 'tmp/data-exec', 'MZ not a script', 0o755);
  put(root, 'tmp/empty-exec', '', 0o755);
  put(root, 'tmp/one-byte', '#', 0o755);
  put(root, 'tmp/setuid-script', '#!/bin/sh\nid\n', 0o4755);
  const hard = put(root, 'tmp/hard-a', ELF, 0o755);
  linkSync(hard, path.join(root, 'tmp/hard-b'));
  symlinkSync('/etc/shadow', path.join(root, 'tmp/shadow-link'));
  symlinkSync('../dev/shm/.x/pscan2', path.join(root, 'tmp/exec-link'));
  symlinkSync('/nowhere/at/all', path.join(root, 'tmp/dangling'));
  symlinkSync('/etc', path.join(root, 'tmp/etc-dir-link'));
  fifo(path.join(root, 'tmp/fifo'));
  fifo(path.join(root, 'tmp/.hid/exec-fifo'), '755');
  mkdirSync(path.join(root, 'tmp/sgid-dir'));
  chmodSync(path.join(root, 'tmp/sgid-dir'), 0o2775);
  // Odd names: a bar, a newline, a percent, control characters, spaces, a dash, non-ASCII, 255 bytes, invalid UTF-8.
  for (const n of ['a|b', 'new\nline', '100%', '\u0001ctl', 'del\u007f', ' lead', 'trail ', '-dash', 'ünïcødé', 'x'.repeat(255)]) put(root, `tmp/odd/${n}`, 'o');
  writeFileSync(Buffer.concat([Buffer.from(path.join(root, 'tmp/odd/')), Buffer.from([0x62, 0xff, 0xfe, 0x61])]), 'bad utf-8');
  // Deeper than the depth cap.
  let deep = 'tmp/deep';
  for (let i = 0; i < 40; i++) deep += `/l${i}`;
  put(root, `${deep}/bottom`, 'deep');
  // One folder of 1 500 entries: crosses the stat batch (256) and the yield (every 1 024 entries).
  for (let i = 0; i < 1500; i++) put(root, `var/tmp/many/f${String(i).padStart(4, '0')}`, i % 7 === 0 ? '#!/bin/sh\n' : 'm', i % 7 === 0 ? 0o755 : 0o644);
  put(root, 'var/tmp/.s', ELF, 0o4755);
  put(root, 'var/tmp/bob/.bash_history', 'ls\n');
  put(root, 'home/alice/.cargo/bin/rg', ELF, 0o755);
  put(root, 'home/alice/notes.txt', 'hello');
  mkdirSync(path.join(root, 'tmp/eveh'), { recursive: true });
  put(root, 'tmp/eveh/.profile', 'x');
  mkdirSync(path.join(root, 'home'), { recursive: true });
  symlinkSync('/tmp/eveh', path.join(root, 'home/eve'));
  put(root, 'srv/svc/state.db', 'db');
  put(root, 'root/.ssh/authorized_keys', 'ssh-ed25519 AAAA k\n', 0o600);
  put(root, 'opt/tool/bin/tool', ELF, 0o755);
  put(root, 'usr/local/bin/helper', '#!/usr/bin/env python3\n', 0o755);
  // Times either side of the future window's start, to the nanosecond; and on a millisecond's last nanosecond.
  const edgeNs = [-1, 0, 1, -999_999, 999_999, 1_000_000, -1_000_000];
  for (const [i, ns] of edgeNs.entries()) touchAt(put(root, `tmp/edge/e${i}`, i === 4 ? '#!/bin/sh\n' : `edge ${i}`, i === 4 ? 0o755 : 0o644), FUTURE, ns);
  // The last nanosecond of a second, in a hidden folder of a home.
  touchAt(put(root, 'home/alice/.x/future-kit', ELF, 0o755), FUTURE + 749, 999_999);
  touchAt(put(root, 'tmp/old-tool', ELF, 0o755), Date.UTC(2019, 5, 1), 999_999);
  // Around the past window's start (2020-01-01T00:00:00.000Z).
  for (const [i, ns] of [-1, 0, 1].entries()) touchAt(put(root, `tmp/past/p${i}`, 'p'), Date.UTC(2020, 0, 1), ns);
  touchAt(path.join(root, 'tmp/dangling'), Date.UTC(2018, 0, 1));
  // Another filesystem below a place is not entered (when this machine lets a test mount one).
  const mnt = path.join(root, 'tmp/mnt');
  mkdirSync(mnt);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'irt-sweep-diff', mnt]).status === 0) {
    mounted = mnt;
    put(root, 'tmp/mnt/inside', 'x', 0o755);
  }
  return root;
}

type SweepFn = typeof sweep;

async function outputs(fn: SweepFn, root: string, windowStart: string, limits: SweepLimits) {
  const store = await CaseStore.create(tmpDir('irt-sweep-diff-out-'), 'C');
  const host = createHostContext({ root });
  const window = { start: windowStart, end: new Date(FUTURE + DAY).toISOString(), source: 'since' as const, reason: 'test' };
  const r = await fn({ host, sink: store, options: OPTIONS, facts: { window } }, limits);
  const file = (rel: string) => readFileSync(path.join(store.dir, rel), 'utf8');
  return {
    bodyfile: file('artifacts/bodyfile.txt'),
    changed: file('artifacts/changed-files.jsonl'),
    setuid: file('artifacts/setuid-files.jsonl'),
    timeline: store.timelineEvents.filter((e) => e.source === 'file-sweep'),
    facts: r.facts,
    // The package owners of set-id files are looked up after the walk (dpkg or rpm), a source of their own the
    // implementation replaced did not have: the walk's own source is what is compared.
    sources: r.sources.filter((s) => s.id !== 'file-sweep.packages').map((s) => (s.status === 'ok' && s.detail ? { ...s, detail: s.detail.replace(/ in \d+ ms /, ' in … ms ') } : s)),
  };
}

let root: string;

beforeAll(async () => {
  root = buildTree();
  // A first walk: listing a folder (and reading a link) can set its access time once under relatime; both walks after this see the same times.
  await referenceSweep({ host: createHostContext({ root }), sink: await CaseStore.create(tmpDir('irt-sweep-diff-out-'), 'C'), options: OPTIONS, facts: {} }, LIMITS);
}, 60_000);

afterAll(() => {
  if (mounted) spawnSync('umount', [mounted]);
});

describe('the file sweep gives the output of the implementation it replaced', () => {
  const cases: Array<[string, () => string, SweepLimits]> = [
    ['a window in the past: every entry changed (ctime), mtimes either side of its start', () => '2020-01-01T00:00:00.000Z', LIMITS],
    ['a window in the future: only the files dated there, to the nanosecond', () => new Date(FUTURE).toISOString(), LIMITS],
    ['the record cap', () => '2020-01-01T00:00:00.000Z', { ...LIMITS, maxRecords: 7 }],
    ['the entry cap', () => '2020-01-01T00:00:00.000Z', { ...LIMITS, maxEntries: 40 }],
    ['the entry cap inside the big folder, past a yield', () => '2020-01-01T00:00:00.000Z', { ...LIMITS, maxEntries: 1100 }],
    ['the depth cap', () => '2020-01-01T00:00:00.000Z', { ...LIMITS, maxDepth: 2 }],
  ];
  for (const [name, start, limits] of cases) {
    it(name, async () => {
      const before = await outputs(referenceSweep as SweepFn, root, start(), limits);
      const after = await outputs(sweep, root, start(), limits);
      expect(before.facts.changedFiles.length).toBeGreaterThan(0);
      expect(after.bodyfile).toBe(before.bodyfile);
      expect(after.changed).toBe(before.changed);
      expect(after.setuid).toBe(before.setuid);
      expect(after.timeline).toEqual(before.timeline);
      expect(after.facts).toEqual(before.facts);
      expect(after.sources).toEqual(before.sources);
    }, 60_000);
  }

  it('the tree holds what the comparison is about', async () => {
    const past = await outputs(sweep, root, '2020-01-01T00:00:00.000Z', LIMITS);
    const byPath = new Map(past.facts.changedFiles.map((f) => [f.path, f]));
    expect(byPath.get('/tmp/past/p0')!.inWindow).not.toContain('mtime');
    expect(byPath.get('/tmp/past/p1')!.inWindow).toContain('mtime');
    expect(byPath.get('/tmp/past/p2')!.inWindow).toContain('mtime');
    expect(byPath.get('/tmp/fifo')!.type).toBe('other');
    expect(byPath.get('/tmp/shadow-link')).toMatchObject({ type: 'link', linkTarget: '/etc/shadow' });
    expect(byPath.get('/tmp/hard-b')!.executable).toBe('elf');
    expect(past.facts.setuidFiles.map((s) => s.path).sort()).toEqual(['/tmp/.hid/sh', '/tmp/setuid-script', '/usr/bin/evil', '/usr/bin/su', '/usr/lib/x86_64/helper', '/var/tmp/.s']);
    expect(past.sources.find((s) => s.id === 'file-sweep')).toMatchObject({ detail: expect.stringMatching(/deeper than 32 levels/) });
    if (mounted) expect(past.sources.find((s) => s.id === 'file-sweep')).toMatchObject({ detail: expect.stringMatching(/tmp\/mnt: another filesystem/) });
    const future = await outputs(sweep, root, new Date(FUTURE).toISOString(), LIMITS);
    expect(future.facts.changedFiles.map((f) => f.path).sort()).toEqual(['/home/alice/.x/future-kit', '/tmp/edge/e1', '/tmp/edge/e2', '/tmp/edge/e4', '/tmp/edge/e5']);
    expect(future.facts.changedFiles.find((f) => f.path === '/tmp/edge/e4')).toMatchObject({ executable: 'script', mtime: new Date(FUTURE).toISOString() });
    expect(future.facts.changedFiles.find((f) => f.path === '/home/alice/.x/future-kit')!.mtime).toMatch(/\.999Z$/);
  }, 60_000);
});
