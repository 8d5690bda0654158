/**
 * Live, as root: root's shell history linked to /dev/null is named by collect, without touching
 * this machine's real /root. Inside `unshare -m` with private propagation a tmpfs is mounted over
 * /root (the mount is gone with the namespace), the link is made in it, and ir-triage collects in
 * that namespace.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

const PLAYBOOK = [
  'title: Histories on this machine',
  'description: The shell histories and the history rules.',
  'steps:',
  '  - id: activity',
  '    kind: collect',
  '    title: What did they do after logging in?',
  '    why: Histories.',
  '    collect: [shell-history]',
  '    rules: [activity.history-tampering]',
  '',
].join('\n');

async function collectIn(script: string, out: string, playbook: string) {
  return runCli(['collect', '--playbook', playbook, '--out', out, '--case', 'HISTNULL', '--json'], {
    prefix: ['unshare', '-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh'],
    timeout: 300_000,
  });
}

describe.skipIf(!isRoot)("root's history linked to /dev/null, live (private mount namespace)", () => {
  it('collect names /root/.bash_history, account root; with a plain history in its place nothing fires', async (ctx) => {
    const work = tmpDir('irt-histnull-');
    const playbook = path.join(work, 'history.yaml');
    writeFileSync(playbook, PLAYBOOK);
    const setup = 'mount -t tmpfs -o mode=0700 irt-root /root || exit 97';

    const r = await collectIn(`${setup}; ln -s /dev/null /root/.bash_history || exit 98; "$@"`, path.join(work, 'out'), playbook);
    ctx.skip(r.code === 97, 'this kernel refused a tmpfs mount over /root in a private mount namespace');
    expect(r.code, r.stderr).toBe(0);
    const caseDir = extract(JSON.parse(r.stdout).bundle);
    const findings = JSON.parse(readFileSync(path.join(caseDir, 'findings.json'), 'utf8')) as Finding[];
    const hits = findings.filter((f) => f.rule === 'activity.history-tampering' && f.subject.path === '/root/.bash_history');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ severity: 'high', subject: { user: 'root' } });
    expect(hits[0].title).toContain('/dev/null');
    const files = readFileSync(path.join(caseDir, 'artifacts/history-files.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(files.find((f) => f.path === '/root/.bash_history')).toMatchObject({ type: 'link', linkTarget: '/dev/null', copy: null });

    // The same namespace set-up with an ordinary history: the finding comes from the link, not from the mount.
    const clean = await collectIn(`${setup}; printf 'ls\\nuptime\\n' > /root/.bash_history; "$@"`, path.join(work, 'out-clean'), playbook);
    expect(clean.code, clean.stderr).toBe(0);
    const cleanDir = extract(JSON.parse(clean.stdout).bundle);
    const cleanFindings = JSON.parse(readFileSync(path.join(cleanDir, 'findings.json'), 'utf8')) as Finding[];
    expect(cleanFindings.filter((f) => f.rule === 'activity.history-tampering' && f.subject.path === '/root/.bash_history')).toEqual([]);
  }, 600_000);
});
