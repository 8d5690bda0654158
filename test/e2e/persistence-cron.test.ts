import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseRun } from '../../src/case/case-run.js';
import type { Finding } from '../../src/model/finding.js';
import { containmentFor } from '../../src/runner/actions-adapter.js';
import { GuidedRun } from '../../src/runner/guided.js';
import { ScriptedPrompter } from '../../src/runner/prompter.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

/*
 * Live, as root, with the real crontab(1): a line for root runs a script from a hidden folder
 * under /tmp/irt-…/.hidden/. persistence.cron names the spool file and the line; the guided
 * run's disable step comments it out (crontab -l shows it); `ir-triage restore BUNDLE` puts the
 * spool file back byte for byte. Without the line, none of the persistence rules fires here.
 * afterAll takes this test's own lines out of root's crontab, whatever happens, and nothing else.
 */

const MINE = new Set(['persistence.cron', 'persistence.systemd', 'persistence.startup', 'persistence.preload']);
const SPOOL = '/var/spool/cron/crontabs/root';
const crontabBin = ['/usr/bin/crontab', '/bin/crontab'].find((p) => existsSync(p));
const missing = !isRoot ? 'needs root (root\'s crontab, the spool in /var/spool/cron)' : !crontabBin ? 'crontab is not installed (Debian package cron)' : !existsSync('/var/spool/cron/crontabs') ? 'no Debian cron spool at /var/spool/cron/crontabs' : null;

const PLAYBOOK = `title: Persistence on this machine
description: The persistence collectors and rules, and the disable step.
steps:
  - id: persistence
    kind: collect
    title: What would bring the intruder back
    why: Cron, systemd units and start-up files.
    collect: [cron, systemd-units, startup-files]
    rules: [persistence.cron, persistence.systemd, persistence.startup, persistence.preload]
  - id: disable
    kind: action
    title: Neutralise what would bring the intruder back
    why: A cron line brings the scanner back.
    action: disable
`;

/** root's crontab as `crontab -l` prints it; null when root has none. */
function crontabList(): string | null {
  const r = spawnSync(crontabBin!, ['-l'], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout;
  if (/no crontab for/.test(r.stderr)) return null;
  throw new Error(`crontab -l failed: ${r.stderr}`);
}

function crontabInstall(text: string): void {
  execFileSync(crontabBin!, ['-'], { input: text });
}

let original: string | null = null;
let saved = false;
let work = '';
let playbook = '';

async function collect(): Promise<{ findings: Finding[]; caseDir: string }> {
  const out = tmpDir('irt-pc-out-');
  const r = await runCli(['collect', '--playbook', playbook, '--out', out, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const caseDir = extract(JSON.parse(r.stdout).bundle);
  const findings = (JSON.parse(readFileSync(path.join(caseDir, 'findings.json'), 'utf8')) as Finding[]).filter((f) => MINE.has(f.rule));
  return { findings, caseDir };
}

/**
 * Takes this test's own lines (they name its mkdtemp folder, commented out or not) out of root's
 * crontab: whatever else is there now, someone else put there, and it stays.
 */
function removeOwnLines(): void {
  const now = crontabList();
  if (now === null || !now.includes(work)) return;
  const rest = now.split('\n').filter((l) => !l.includes(work)).join('\n');
  if (original === null && rest.trim() === '') spawnSync(crontabBin!, ['-r']);
  else crontabInstall(rest);
}

/** Lines other test runs on this machine plant for a moment, in their own /tmp/irt-… folders: not ours to judge. */
const plantedByOthers = (f: Finding) => /\/tmp\/irt-/.test(f.title) && !f.title.includes(work);

describe.skipIf(missing)(`persistence.cron and disable, live (${missing ?? 'root'})`, () => {
  beforeAll(() => {
    original = crontabList();
    saved = true;
    work = tmpDir('irt-cron-');
    playbook = path.join(work, 'persistence.yaml');
    writeFileSync(playbook, PLAYBOOK);
  });

  afterAll(() => {
    if (saved && work) {
      removeOwnLines();
      expect(crontabList() ?? '').not.toContain(work);
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('with nothing planted, no persistence rule fires on this machine', async () => {
    const { findings } = await collect();
    // Whatever this machine holds is printed: docs/persistence.md says what was seen where these tests run.
    for (const f of findings) console.log(`persistence finding on this machine: ${f.rule} ${f.severity} ${f.title}`);
    expect(findings.filter((f) => !plantedByOthers(f)).map((f) => f.title)).toEqual([]);
  }, 120_000);

  it('finds a root cron line running from a hidden folder, disables it, and restore puts the spool file back byte for byte', async () => {
    const hidden = path.join(work, '.hidden');
    mkdirSync(hidden);
    const script = path.join(hidden, 'run.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o755);
    const line = `*/30 * * * * ${script} >/dev/null 2>&1`;
    crontabInstall(`${original ?? ''}${line}\n`);
    const planted = readFileSync(SPOOL);
    const lineNo = planted.toString('utf8').split('\n').indexOf(line) + 1;
    expect(lineNo).toBeGreaterThan(0);

    // collect (the built CLI): persistence.cron names the file, the line and what it runs.
    const { findings } = await collect();
    const hit = findings.filter((f) => f.rule === 'persistence.cron' && f.subject.path === SPOOL && f.subject.line === lineNo);
    expect(hit, JSON.stringify(findings, null, 2)).toHaveLength(1);
    expect(hit[0]).toMatchObject({ severity: 'high', subject: { user: 'root', runs: script, schedule: '*/30 * * * *', command: `${script} >/dev/null 2>&1` } });
    expect(hit[0].detail).toContain('hidden folder ".hidden"');

    // The guided run: the disable step offers the line; yes comments it out.
    const out = tmpDir('irt-pc-run-');
    const run = await CaseRun.open({ out, case: 'PC', examiner: 'alice', playbook, sshPort: [], keepDir: false }, ['run']);
    const target = `line:${lineNo}:${SPOOL}`;
    const prompter = new ScriptedPrompter(['continue', [target], true]);
    let screen = '';
    const flow = new GuidedRun({
      run,
      prompter,
      write: (t) => (screen += t),
      spinner: () => ({ succeed: () => {}, fail: () => {} }),
      color: false,
      yes: false,
      containment: containmentFor(run, { maxFileBytes: 64 << 20 }),
    });
    const summary = await flow.start();
    expect(prompter.asked[1]).toBe('Neutralise what would bring the intruder back: which ones? (space to select, enter when done; none to skip)');
    expect(screen).toContain(`${SPOOL}:${lineNo}`);
    expect(screen).toContain(`"${line}" → "#${line}"`);
    expect(screen).toContain(`✔ disabled: comment out ${SPOOL} line ${lineNo}: "${line}" → "#${line}" (line ${lineNo} commented out)`);
    const listed = crontabList()!;
    expect(listed.split('\n')).toContain(`#${line}`);
    expect(listed.split('\n')).not.toContain(line);

    // The bundle: the copy before the change, the undo record, custody of plan, answer and result.
    const caseDir = extract(summary.bundle);
    expect(readFileSync(path.join(caseDir, 'files/persistence/disable-1/var/spool/cron/crontabs/root'))).toEqual(planted);
    const custody = readFileSync(path.join(caseDir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const events = custody.filter((e) => ['action-planned', 'answer', 'action-applied'].includes(e.event));
    expect(events.map((e) => e.event)).toEqual(['answer', 'answer', 'action-planned', 'answer', 'action-applied']);
    expect(events[2]).toMatchObject({ action: 'disable', target, refused: null });
    expect(events[4]).toMatchObject({ action: 'disable', path: SPOOL, line: lineNo, ok: true, record: 'actions/disable-1.json' });

    // Undo with the built CLI from the bundle: the spool file is back, byte for byte.
    const undoOut = tmpDir('irt-pc-undo-');
    const r = await runCli(['restore', summary.bundle, '--yes', '--out', undoOut, '--case', 'PCU']);
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    expect(readFileSync(SPOOL)).toEqual(planted);
    expect(crontabList()).toContain(`${line}\n`);
    // The line is back as the restore promised; it goes now, so no other test here meets it.
    removeOwnLines();
    expect(crontabList() ?? '').not.toContain(work);
  }, 180_000);
});
