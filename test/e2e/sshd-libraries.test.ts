import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { extract, tmpDir } from '../helpers/bundle.js';
import { isRoot, runCli } from '../helpers/cli.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('libraries inside the real sshd', () => {
  it('reads every library of a running packaged sshd and finds none unpackaged or deleted', async (ctx) => {
    ctx.skip(!isRoot || !existsSync('/usr/sbin/sshd') || !existsSync('/var/lib/dpkg/status'), 'needs root, openssh-server and dpkg');
    const out = tmpDir('irt-sshd-libs-');
    made.push(out);
    const port = 20000 + (process.pid % 20000);
    // In a private mount namespace: an empty /run (sshd's privilege separation folder made there
    // only), a real sshd on loopback, and ir-triage beside it; the sshd ends with the namespace's shell.
    const script = `mount -t tmpfs irt-run /run && mkdir -m 755 /run/sshd && /usr/sbin/sshd -D -p ${port} -o ListenAddress=127.0.0.1 -o PidFile=none & S=$!; sleep 1; "$@"; rc=$?; kill $S; exit $rc`;
    const r = await runCli(['collect', '--out', out, '--case', 'SSHDLIB', '--json'], { prefix: ['unshare', '-m', '--propagation', 'private', '--', 'sh', '-c', script, 'sh'] });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect((summary.findings as Finding[]).filter((f) => f.rule === 'sshd.injected-library')).toEqual([]);
    const caseDir = extract(summary.bundle);
    made.push(path.dirname(caseDir));
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    const source = JSON.stringify(manifest).match(/"id":"sshd-libraries"[^}]*/)?.[0] ?? '';
    // The sshd was seen, its libraries resolved through dpkg's lists.
    expect(source).toMatch(/[1-9]\d* sshd process\(es\), [1-9]\d* librar/);
  }, 120_000);
});
