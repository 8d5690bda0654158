/**
 * A scanner that only calls itself "sshd: root@pts/2" is a masquerade, not a lost utmp session:
 * the real CLI, a real process started with that title from a hidden /dev/shm folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { SourceStatus } from '../../src/model/source.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

const PLAYBOOK = `title: Sessions and processes
description: The logins cross-check against the live processes.
steps:
  - id: processes
    kind: collect
    title: Processes
    why: The kernel's process table.
    collect: [processes]
    rules: [process.masquerade]
  - id: sessions
    kind: collect
    title: Sessions
    why: utmp against the live sshd sessions.
    collect: [logins]
    rules: [login.log-tampering]
`;

const UTMP = '/run/utmp';
let shmDir = '';
let fake: ChildProcess | null = null;
let createdUtmp = false;
let findings: Finding[] = [];
let sources: SourceStatus[] = [];

describe.skipIf(!isRoot)('a fake sshd title is a masquerade, never a missing utmp record (live, root)', () => {
  beforeAll(async () => {
    // The cross-check needs a utmp to compare with; a bare container has none. An empty one is a
    // box where nobody is logged in, which is what the fake claims otherwise. Made only if absent
    // (O_EXCL), and only then removed.
    if (!existsSync(UTMP)) {
      try {
        closeSync(openSync(UTMP, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o664));
        createdUtmp = true;
      } catch {
        // Another run made it meanwhile: use it as it is.
      }
    }
    shmDir = mkdtempSync('/dev/shm/.irt-title-');
    const exe = path.join(shmDir, 'sshd');
    copyFileSync('/bin/sleep', exe);
    // bash's exec -a sets argv[0]: the title ps shows, with no terminal behind it (stdio is /dev/null).
    fake = spawn('bash', ['-c', `exec -a 'sshd: root@pts/2' '${exe}' 300`], { stdio: 'ignore', detached: false });
    for (let i = 0; i < 300; i++) {
      try {
        if (readlinkSync(`/proc/${fake.pid}/exe`) === exe) break;
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(readlinkSync(`/proc/${fake.pid}/exe`)).toBe(exe);
    expect(readFileSync(`/proc/${fake.pid}/cmdline`, 'utf8').split('\0')[0]).toBe('sshd: root@pts/2');

    const work = tmpDir('irt-title-');
    const playbook = path.join(work, 'sessions.yaml');
    writeFileSync(playbook, PLAYBOOK);
    const r = await runCli(['collect', '--playbook', playbook, '--out', work, '--case', 'TITLE', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const caseDir = extract(JSON.parse(r.stdout).bundle);
    findings = JSON.parse(readFileSync(path.join(caseDir, 'findings.json'), 'utf8'));
    sources = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8')).sources;
  }, 120_000);

  afterAll(() => {
    fake?.kill('SIGKILL');
    if (shmDir) rmSync(shmDir, { recursive: true, force: true });
    if (createdUtmp) rmSync(UTMP, { force: true });
  });

  it('flags the process as a fake sshd', () => {
    const mine = findings.filter((f) => f.rule === 'process.masquerade' && f.subject.pid === fake!.pid);
    expect(mine).toHaveLength(1);
    expect(mine[0].severity).toBe('critical');
  });

  it('claims no lost utmp session for it: the title is all it has', () => {
    expect(findings.filter((f) => f.rule === 'login.log-tampering' && f.subject.pid === fake!.pid)).toEqual([]);
    expect(findings.filter((f) => f.rule === 'login.log-tampering' && /root@pts\/2/.test(f.title))).toEqual([]);
    // The cross-check did run and saw the title: it was weighed, not missed.
    const check = sources.find((s) => s.id === 'logins.sshd-utmp');
    expect(check?.status).toBe('ok');
    expect((check as { detail?: string }).detail).toMatch(/with the title only, neither the system's sshd nor holding the terminal it names/);
  });
});
