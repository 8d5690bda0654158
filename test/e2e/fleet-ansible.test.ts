/**
 * The fleet playbook (docs/fleet/collect.yml) run by the real `ansible-playbook` (Debian's ansible
 * package) against hosts that are all this machine (connection local): the single-file build
 * from `npm run build:bundle` is copied, run, fetched, checked with sha256sum and removed; then
 * `ir-triage summarize` lists what came back. Every Ansible file (config, temp folders, home)
 * lives in the test's temp folder; nothing touches the network.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/bundle.js';
import { isRoot, REPO, runCli } from '../helpers/cli.js';

const PLAYBOOK = path.join(REPO, 'docs/fleet/collect.yml');
const BUNDLE = path.join(REPO, 'dist/ir-triage.mjs');
const AUTH_LOG = path.join(REPO, 'test/fixtures/auth/openssh-10.0-debian13-rfc3339.log');

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const ANSIBLE_PLAYBOOK = which('ansible-playbook');
const SKIP = !isRoot
  ? 'needs root: the playbook becomes root (su) and collect reads every process'
  : !ANSIBLE_PLAYBOOK
    ? 'ansible-playbook is not installed (Debian package ansible; .ci/run installs it)'
    : null;
const SKIP_MOUNTS = SKIP ?? (which('unshare') ? null : 'unshare (util-linux) is not installed: the tmpfs mounts need a private mount namespace');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Ansible confined to `dir`: its config, home and temp folders; no colour, no retry files. */
function ansibleEnv(dir: string): NodeJS.ProcessEnv {
  const cfg = path.join(dir, 'ansible.cfg');
  writeFileSync(cfg, '[defaults]\nretry_files_enabled = False\ninterpreter_python = /usr/bin/python3\n');
  return {
    ...process.env,
    ANSIBLE_CONFIG: cfg,
    ANSIBLE_HOME: path.join(dir, 'ansible-home'),
    ANSIBLE_LOCAL_TEMP: path.join(dir, 'ansible-local-tmp'),
    ANSIBLE_REMOTE_TEMP: path.join(dir, 'ansible-remote-tmp'),
    ANSIBLE_PERSISTENT_CONTROL_PATH_DIR: path.join(dir, 'ansible-cp'),
    ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(dir, 'ansible-cp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    USER: 'fleet-e2e',
  };
}

/** Runs argv with cwd `dir` (so nothing lands in the repository), output captured. */
function run(argv: string[], dir: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** manifest.json of a bundle, read with the system tar. */
function manifestOf(bundle: string, caseId: string): { case: string; examiner: string | null; commandLine: string[] } {
  return JSON.parse(execFileSync('tar', ['-xzOf', bundle, `${caseId}/manifest.json`]).toString());
}

/** The working folder collect ran in: the parent of its --out. */
function workDirOf(bundle: string, caseId: string): string {
  const argv = manifestOf(bundle, caseId).commandLine;
  return path.dirname(argv[argv.indexOf('--out') + 1]);
}

function fakeRoot(dir: string): string {
  const root = path.join(dir, 'image');
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  writeFileSync(path.join(root, 'etc/hostname'), 'image-box\n');
  copyFileSync(AUTH_LOG, path.join(root, 'var/log/auth.log'));
  return root;
}

const made: string[] = [];
const homeAnsible = path.join(os.homedir(), '.ansible');
const homeAnsibleBefore = existsSync(homeAnsible);

beforeAll(() => {
  if (SKIP) return;
  // The artifact the playbook ships: one ES module that runs with only node.
  execFileSync('npm', ['run', '--silent', 'build:bundle'], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
}, 300_000);

afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('docs/fleet/collect.yml on two hosts that are this machine', () => {
  let dir: string;
  let result: Run;
  let collected: string;

  beforeAll(async () => {
    if (SKIP) return;
    dir = tmpDir('irt-fleet-ans-');
    made.push(dir);
    collected = path.join(dir, 'collected');
    mkdirSync(path.join(dir, 'hosts/alpha'), { recursive: true });
    mkdirSync(path.join(dir, 'hosts/beta'), { recursive: true });
    // alpha: the shipped ssh-compromise playbook on the live machine, named case.
    // beta: the default case id, and a disk image with a break-in in its auth log and --fail-on
    // medium, so collect exits 3 (findings), which the playbook must take as a result.
    const inventory = {
      suspects: {
        hosts: {
          alpha: { ir_triage_tmp_dir: path.join(dir, 'hosts/alpha'), ir_triage_case: 'alpha-FLEET' },
          beta: { ir_triage_tmp_dir: path.join(dir, 'hosts/beta'), ir_triage_collect_args: ['--root', fakeRoot(dir), '--fail-on', 'medium'] },
        },
        vars: { ansible_host: '127.0.0.1', ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3', ansible_become_method: 'su' },
      },
    };
    writeFileSync(path.join(dir, 'inventory.yml'), JSON.stringify(inventory, null, 2));
    // collect_dir relative to where ansible-playbook runs, as a user would type it.
    result = await run([ANSIBLE_PLAYBOOK!, '-i', 'inventory.yml', PLAYBOOK, '-e', 'collect_dir=collected', '-e', 'ir_triage_examiner=fleet-e2e'], dir, ansibleEnv(dir));
  }, 600_000);

  it('runs on both hosts; collect exit 3 (findings at --fail-on) is a result, not a failure', (ctx) => {
    ctx.skip(SKIP !== null, SKIP ?? '');
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/^alpha +: ok=\d+ +changed=\d+ +unreachable=0 +failed=0 /m);
    expect(result.stdout).toMatch(/^beta +: ok=\d+ +changed=\d+ +unreachable=0 +failed=0 /m);
    expect(result.stdout).toMatch(/"msg": "case beta-\d{8}T\d{6}Z: [1-9]\d* finding\(s\), some at or above --fail-on[,"]/);
    expect(result.stdout).toMatch(/"msg": "case alpha-FLEET: \d+ finding\(s\)/);
  });

  it('fetches each bundle and its sidecar into collect_dir/<host>/; both verify', async (ctx) => {
    ctx.skip(SKIP !== null, SKIP ?? '');
    expect(readdirSync(collected).sort()).toEqual(['alpha', 'beta']);
    expect(readdirSync(path.join(collected, 'alpha')).sort()).toEqual(['alpha-FLEET.tar.gz', 'alpha-FLEET.tar.gz.sha256']);
    const beta = readdirSync(path.join(collected, 'beta')).sort();
    expect(beta).toEqual([expect.stringMatching(/^beta-\d{8}T\d{6}Z\.tar\.gz$/), expect.stringMatching(/^beta-\d{8}T\d{6}Z\.tar\.gz\.sha256$/)]);
    for (const [host, file] of [
      ['alpha', 'alpha-FLEET.tar.gz'],
      ['beta', beta[0]],
    ]) {
      const folder = path.join(collected, host);
      expect(execFileSync('sha256sum', ['-c', `${file}.sha256`], { cwd: folder }).toString()).toBe(`${file}: OK\n`);
      const v = await runCli(['verify', path.join(folder, file)]);
      expect(v.code, v.stdout).toBe(0);
      expect(manifestOf(path.join(folder, file), file.replace(/\.tar\.gz$/, '')).examiner).toBe('fleet-e2e');
    }
  });

  it('leaves nothing on the hosts: the working folders, with the tool and the out folder, are gone', (ctx) => {
    ctx.skip(SKIP !== null, SKIP ?? '');
    for (const host of ['alpha', 'beta']) {
      const [file] = readdirSync(path.join(collected, host));
      const work = workDirOf(path.join(collected, host, file), file.replace(/\.tar\.gz$/, ''));
      expect(path.dirname(work)).toBe(path.join(dir, 'hosts', host));
      expect(path.basename(work)).toMatch(/^ir-triage\./);
      expect(existsSync(work)).toBe(false);
      expect(readdirSync(path.join(dir, 'hosts', host))).toEqual([]);
    }
    // Ansible wrote only where it was told.
    expect(existsSync(homeAnsible)).toBe(homeAnsibleBefore);
    const allowed = ['ansible.cfg', 'ansible-home', 'ansible-local-tmp', 'ansible-remote-tmp', 'ansible-cp', 'collected', 'hosts', 'image', 'inventory.yml'];
    for (const f of readdirSync(dir)) expect(allowed).toContain(f);
  });

  it('ir-triage summarize lists both hosts, as JSON and as a table', async (ctx) => {
    ctx.skip(SKIP !== null, SKIP ?? '');
    const j = await runCli(['summarize', collected, '--json']);
    expect(j.code, j.stderr).toBe(0);
    const rows = JSON.parse(j.stdout) as Array<{ case: string; ok: boolean; verdict: string; bundle: string; host: string; examiner: string }>;
    expect(rows).toHaveLength(2);
    const byCase = Object.fromEntries(rows.map((r) => [r.case.replace(/-\d{8}T\d{6}Z$/, '-STAMP'), r]));
    expect(Object.keys(byCase).sort()).toEqual(['alpha-FLEET', 'beta-STAMP']);
    expect(byCase['alpha-FLEET']).toMatchObject({ ok: true, host: os.hostname(), examiner: 'fleet-e2e', bundle: path.join(collected, 'alpha/alpha-FLEET.tar.gz') });
    expect(byCase['alpha-FLEET'].verdict).toMatch(/^(compromised|attacking|attacked|suspicious|clean)$/);
    // The image's auth log holds a root login after 15 failures.
    expect(byCase['beta-STAMP']).toMatchObject({ ok: true, host: 'image-box', verdict: 'compromised' });

    const t = await runCli(['summarize', collected]);
    expect(t.code).toBe(0);
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => /^image-box +beta-\d{8}T\d{6}Z +compromised /.test(l))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('alpha-FLEET') && l.endsWith('collected/alpha/alpha-FLEET.tar.gz'))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^2 bundles: /);
  });
});

describe('docs/fleet/collect.yml: where the tool runs from, and a host that fails', () => {
  let dir: string;
  let result: Run;
  let left: Record<string, string[]>;

  beforeAll(async () => {
    if (SKIP_MOUNTS) return;
    dir = tmpDir('irt-fleet-mnt-');
    made.push(dir);
    const noexec = path.join(dir, 'mnt/noexec');
    const exec = path.join(dir, 'mnt/exec');
    const disk = path.join(dir, 'disk');
    for (const d of [noexec, exec, disk]) mkdirSync(d, { recursive: true });
    // Only the host step: this is about where the tool runs, not what it finds.
    const hostOnly = path.join(dir, 'host-only.yaml');
    writeFileSync(hostOnly, 'title: Host only\ndescription: The host step.\nsteps:\n  - id: host\n    kind: collect\n    title: The machine\n    why: Names the box.\n    collect: [host]\n');
    // The standalone binary (npm run build:sea) stands in as a script: it needs exec just the same.
    const fakeBinary = path.join(dir, 'ir-triage-binary');
    writeFileSync(fakeBinary, `#!/bin/sh\nexec ${process.execPath} ${BUNDLE} "$@"\n`, { mode: 0o755 });
    const both = [noexec, exec];
    const inventory = {
      suspects: {
        hosts: {
          // The bundle is read by node: a noexec tmpfs is fine and is the first candidate.
          nx: { ir_triage_tmpfs_candidates: both },
          // The binary must be executed: the noexec tmpfs is passed over.
          bin: { ir_triage_tmpfs_candidates: both, ir_triage_artifact: 'binary', ir_triage_src: fakeBinary },
          // No tmpfs allows exec: the fallback folder on disk, said in the output.
          ondisk: { ir_triage_tmpfs_candidates: [noexec], ir_triage_artifact: 'binary', ir_triage_src: fakeBinary, ir_triage_fallback_dir: disk },
          // collect exits 1: the host fails with the tool's message, and is still cleaned up.
          broken: { ir_triage_tmpfs_candidates: both, ir_triage_collect_args: ['--playbook', path.join(dir, 'missing.yaml')] },
        },
        vars: {
          ansible_host: '127.0.0.1',
          ansible_connection: 'local',
          ansible_python_interpreter: '/usr/bin/python3',
          ansible_become_method: 'su',
          ir_triage_collect_args: ['--playbook', hostOnly],
        },
      },
    };
    writeFileSync(path.join(dir, 'inventory.yml'), JSON.stringify(inventory, null, 2));
    // A private mount namespace: the two tmpfs mounts vanish with it, whatever happens.
    const script = [
      'set -u',
      `mount -t tmpfs -o noexec,size=64m tmpfs ${noexec}`,
      `mount -t tmpfs -o size=64m tmpfs ${exec}`,
      `"$0" -i inventory.yml ${PLAYBOOK} -e collect_dir=collected`,
      'rc=$?',
      `ls -A ${noexec} > left-noexec; ls -A ${exec} > left-exec`,
      'exit $rc',
    ].join('\n');
    result = await run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, ANSIBLE_PLAYBOOK!], dir, ansibleEnv(dir));
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean);
    left = { noexec: read('left-noexec'), exec: read('left-exec'), disk: readdirSync(disk) };
  }, 600_000);

  it('picks a tmpfs for the bundle even when noexec, an exec tmpfs for the binary, the fallback folder when none fits', (ctx) => {
    ctx.skip(SKIP_MOUNTS !== null, SKIP_MOUNTS ?? '');
    expect(result.stderr).not.toMatch(/Traceback/);
    const where = (host: string) => {
      const [file] = readdirSync(path.join(dir, 'collected', host)).filter((f) => f.endsWith('.tar.gz'));
      return path.dirname(workDirOf(path.join(dir, 'collected', host, file), file.replace(/\.tar\.gz$/, '')));
    };
    expect(where('nx')).toBe(path.join(dir, 'mnt/noexec'));
    expect(where('bin')).toBe(path.join(dir, 'mnt/exec'));
    expect(where('ondisk')).toBe(path.join(dir, 'disk'));
    expect(result.stdout).toContain(`"msg": "no writable exec tmpfs among ${path.join(dir, 'mnt/noexec')}: working on disk in ${path.join(dir, 'disk')}"`);
    for (const host of ['nx', 'bin', 'ondisk']) {
      const folder = path.join(dir, 'collected', host);
      const [sidecar] = readdirSync(folder).filter((f) => f.endsWith('.sha256'));
      execFileSync('sha256sum', ['--quiet', '-c', sidecar], { cwd: folder });
    }
  });

  it('a collect error fails that host with the tool\'s own line; the others go on; every working folder is removed', (ctx) => {
    ctx.skip(SKIP_MOUNTS !== null, SKIP_MOUNTS ?? '');
    // ansible-playbook exits 2 when a host failed.
    expect(result.code, result.stdout).toBe(2);
    expect(result.stdout).toMatch(/^broken +: .*failed=1 /m);
    for (const host of ['nx', 'bin', 'ondisk']) expect(result.stdout).toMatch(new RegExp(`^${host} +: .*unreachable=0 +failed=0 `, 'm'));
    expect(result.stdout).toContain(`ir-triage collect exited 1 (error): ir-triage: cannot read playbook ${path.join(dir, 'missing.yaml')}: ENOENT`);
    expect(existsSync(path.join(dir, 'collected/broken'))).toBe(false);
    expect(left).toEqual({ noexec: [], exec: [], disk: [] });
  });
});
