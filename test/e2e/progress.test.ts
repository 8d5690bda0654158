/**
 * The progress line of a long read, seen as a person sees it: `analyze` of a big generated log in
 * a real terminal (tmux) shows the file, bytes of total, rate and time left on one line, the name
 * sanitised, and the line gone at the end; with --json, or when stderr is not a terminal, nothing
 * of it is written at all (`script` records every byte a terminal would get).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/bundle.js';
import { BIN, REPO, runCli } from '../helpers/cli.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const hasScript = spawnSync('script', ['--version']).status === 0;
// A server of our own: other tests' tmux sessions never mix with this one.
const SOCKET = `irt-progress-${process.pid}`;
const SESSION = 'progress';
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-t', SESSION);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The environment of a person at a terminal: no CI, a real TERM. */
const personEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI;
  return env;
};

/** An attacker-named log: an OSC title sequence and a bell in its file name. */
const NAME = 'auth\x1b]0;pwned\x07.log';
const PROGRESS = /(MiB|KiB) of [\d.]+ MiB \(\d+%\)/;
let dir = '';
let log = '';

beforeAll(() => {
  dir = tmpDir('irt-progress-');
  log = path.join(dir, NAME);
  execFileSync(process.execPath, [path.join(REPO, 'bench/auth-log-generate.mjs'), log, '48000000'], { stdio: 'ignore' });
  writeFileSync(path.join(dir, 'name'), log);
  // The shell reads the name from a file: it holds bytes no command line should carry.
  writeFileSync(path.join(dir, 'analyze.sh'), `exec "${process.execPath}" "${BIN}" analyze "$@" "$(cat "${dir}/name")"\n`);
}, 120_000);

afterAll(() => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

describe.skipIf(!hasTmux)('analyze of a big log in a real terminal (tmux)', () => {
  it('shows the file, bytes of total, rate and time left on one line while it reads, and clears it', async () => {
    tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '50', `env -u CI TERM=xterm-256color sh ${dir}/analyze.sh; echo EXIT=$?; sleep 120`);
    const seen: string[] = [];
    let final = '';
    const until = Date.now() + 180_000;
    for (;;) {
      const s = screen();
      const line = s.split('\n').find((l) => PROGRESS.test(l));
      if (line) seen.push(line);
      if (/EXIT=\d+/.test(s)) {
        final = s;
        break;
      }
      if (Date.now() > until) throw new Error(`analyze did not end; screen:\n${s}`);
      await sleep(40);
    }
    expect(final).toMatch(/EXIT=0/);
    expect(seen.length).toBeGreaterThan(0);
    const line = seen.at(-1)!;
    // It moved on while it was watched.
    expect(new Set(seen.map((l) => /\((\d+)%\)/.exec(l)![1])).size).toBeGreaterThan(1);
    // reading <the file, its escapes shown as text>  12.3 MiB of 46.0 MiB (26%)  10.1 MiB/s  3s left
    expect(line).toMatch(/^reading .*auth\\x1b\]0;pwned\\x07\.log {2}[\d.]+ (MiB|KiB) of 4\d\.\d MiB \(\d+%\) {2}[\d.]+ (MiB|KiB)\/s {2}(\d+s|\d+m\d\ds) left\s*$/);
    // One line: it never wrapped past the terminal's width.
    expect(line.trimEnd().length).toBeLessThan(160);
    // The line is cleared at the end: the tables follow, and no progress is left on the screen.
    expect(final).not.toMatch(PROGRESS);
    expect(final).toMatch(/SSH brute force from [\d.]+: \d+ failed logins/);
    // The file name shows as text in the progress line; the title sequence never reached the terminal.
    expect(final).not.toContain('pwned\x07');
  }, 240_000);
});

describe.skipIf(!hasScript)('no progress without a person at a terminal', () => {
  /** Everything a terminal would get from `analyze ARGS`, recorded by script; stdout to a file. */
  function underScript(args: string, out: string): string {
    const typescript = path.join(dir, `typescript-${path.basename(out)}`);
    const r = spawnSync('script', ['-q', '-e', '-c', `sh ${dir}/analyze.sh ${args} > ${out}`, typescript], { env: personEnv(), encoding: 'utf8', timeout: 180_000 });
    expect(r.status).toBe(0);
    return readFileSync(typescript, 'latin1');
  }

  it('a terminal on stderr gets the line (the control: this test can see it)', () => {
    const tty = underScript('', path.join(dir, 'tables.txt'));
    expect(tty).toMatch(PROGRESS);
    expect(tty).toContain('\r\x1b[2K');
    // The output itself (stdout, a file here) holds none of it.
    const tables = readFileSync(path.join(dir, 'tables.txt'), 'utf8');
    expect(tables).not.toMatch(PROGRESS);
    expect(tables).not.toContain('\x1b[2K');
  }, 200_000);

  it('--json writes none of it, even with stderr on a terminal', () => {
    const tty = underScript('--json', path.join(dir, 'out.json'));
    expect(tty).not.toMatch(PROGRESS);
    expect(tty).not.toContain('\x1b[2K');
    const result = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as { files: Array<{ stats?: { lines: number } }> };
    expect(result.files[0].stats?.lines).toBeGreaterThan(400_000);
  }, 200_000);

  it('stderr that is a pipe gets none of it, and neither does CI=true on a terminal', async () => {
    const piped = await runCli(['analyze', log], { env: personEnv() });
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(PROGRESS);
    expect(piped.stderr).not.toContain('\r');
    const typescript = path.join(dir, 'typescript-ci');
    const r = spawnSync('script', ['-q', '-e', '-c', `sh ${dir}/analyze.sh > ${dir}/ci.txt`, typescript], { env: { ...personEnv(), CI: 'true' }, encoding: 'utf8', timeout: 180_000 });
    expect(r.status).toBe(0);
    expect(readFileSync(typescript, 'latin1')).not.toMatch(PROGRESS);
  }, 200_000);
});

describe.skipIf(!hasScript)('collect --root on a terminal', () => {
  it('shows the auth log read on stderr; --json none of it', () => {
    const root = path.join(dir, 'image');
    mkdirSync(path.join(root, 'var/log'), { recursive: true });
    execFileSync(process.execPath, [path.join(REPO, 'bench/auth-log-generate.mjs'), path.join(root, 'var/log/auth.log'), '24000000'], { stdio: 'ignore' });
    const collect = (name: string, json: string) => {
      const out = path.join(dir, name);
      mkdirSync(out);
      const typescript = path.join(dir, `typescript-${name}`);
      const cmd = `"${process.execPath}" "${BIN}" collect --root "${root}" --out "${out}" --case ${name.toUpperCase()} ${json} > "${out}/stdout.txt"`;
      const r = spawnSync('script', ['-q', '-e', '-c', cmd, typescript], { env: personEnv(), encoding: 'utf8', timeout: 300_000 });
      expect(r.status).toBe(0);
      return { tty: readFileSync(typescript, 'latin1'), stdout: readFileSync(path.join(out, 'stdout.txt'), 'utf8') };
    };
    const shown = collect('shown', '');
    const lines = shown.tty.split(/\r|\n/).map((l) => l.replaceAll('\x1b[2K', ''));
    expect(lines.some((l) => /^reading \/var\/log\/auth\.log {2}[\d.]+ (MiB|KiB) of 2\d\.\d MiB \(\d+%\)/.test(l))).toBe(true);
    // The bundle's own line shows only when compressing takes over a quarter second, which a fast
    // machine may not need here: test/evidence/bundle-progress.test.ts checks what it reports.
    expect(shown.stdout).toMatch(/^bundle: /m);
    expect(shown.stdout).not.toContain('\x1b[2K');
    const json = collect('json', '--json');
    expect(json.tty).not.toMatch(PROGRESS);
    expect(json.tty).not.toContain('\x1b[2K');
    expect(JSON.parse(json.stdout).bundle).toMatch(/JSON\.tar\.gz$/);
  }, 600_000);
});
