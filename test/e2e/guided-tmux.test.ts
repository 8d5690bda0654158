import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extract, tmpDir } from '../helpers/bundle.js';
import { BIN, isRoot } from '../helpers/cli.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SESSION = `irt-guided-${process.pid}`;
// A server of its own, with a scrollback deep enough for every line a busy machine adds to a step
// (a checkout under /tmp alone is hundreds of new scripts): a step's header never scrolls away.
const SOCKET = `irt-guided-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-t', SESSION, '-S', '-200000');
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(re: RegExp, timeoutMs = 60_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = screen();
    if (re.test(s)) return s;
    if (Date.now() > until) throw new Error(`timed out waiting for ${re}; screen:\n${s}`);
    await sleep(100);
  }
}

/**
 * Selects the one choice matching `match` in the open checkbox whose question starts with `title`.
 * Choices name this test's own pid or folder: other programs on the machine may be flagged too,
 * and are never chosen.
 */
async function pick(title: string, match: RegExp): Promise<void> {
  const s = await waitFor(new RegExp(`^\\? ${title}: which ones`, 'm'));
  const lines = s.split('\n');
  const q = lines.map((l, i) => (l.startsWith(`? ${title}: which ones`) ? i : -1)).filter((i) => i >= 0).at(-1)!;
  const choices = lines.slice(q + 1).filter((l) => /[◯◉]/.test(l));
  const hits = choices.map((l, i) => (match.test(l) ? i : -1)).filter((i) => i >= 0);
  if (hits.length !== 1) throw new Error(`${hits.length} choices match ${match} (exactly one expected) in:\n${s}`);
  const idx = hits[0];
  for (let i = 0; i < idx; i++) tmux('send-keys', '-t', SESSION, 'Down');
  tmux('send-keys', '-t', SESSION, 'Space');
  await sleep(100);
  tmux('send-keys', '-t', SESSION, 'Enter');
}

let kitRoot: string;
let kit: string;
let scannerPid = 0;
let listener: net.Server;
let port = 0;
let out: string;
let finalScreen = '';

describe.skipIf(!hasTmux || !isRoot)('the guided run in a real terminal (tmux; root, to freeze and quarantine)', () => {
  beforeAll(async () => {
    listener = net.createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    port = (listener.address() as net.AddressInfo).port;

    // A scanner the way the seed found it: a renamed binary in a hidden folder, holding connections.
    kitRoot = mkdtempSync('/tmp/irt-tmux-');
    kit = path.join(kitRoot, '.. ');
    mkdirSync(kit);
    copyFileSync(process.execPath, path.join(kit, 'pscan2'));
    writeFileSync(path.join(kit, 'go.js'), `const net=require('net');const s=[];for(let i=0;i<12;i++){const c=net.connect(${port},'127.0.0.1');c.on('error',()=>{});s.push(c);}setInterval(()=>{},1e6);`);
    scannerPid = Number(execFileSync('sh', ['-c', 'cd "$1" && ./pscan2 go.js >/dev/null 2>&1 & echo $!', 'sh', kit], { encoding: 'utf8' }).trim());
    await sleep(500);

    out = tmpDir('irt-tmux-out-');
    const cmd = `cd ${JSON.stringify(path.dirname(BIN))}/.. && ${process.execPath} ${BIN} run --out ${out} --case TMUX --examiner bob --ssh-port ${port}; echo EXIT=$?; sleep 60`;
    const conf = path.join(kitRoot, 'tmux.conf');
    writeFileSync(conf, 'set -g history-limit 200000\n');
    tmux('-f', conf, 'new-session', '-d', '-s', SESSION, '-x', '200', '-y', '60', cmd);

    // Step by step, as a responder would.
    // host, sessions, ssh-connections, activity, processes, malware-scan, persistence.
    for (let i = 0; i < 7; i++) {
      // The activity step sweeps /tmp and the homes (capped at 30 s): wait longer than for the others.
      await waitFor(new RegExp(`Step ${i + 1}/\\d+[\\s\\S]*^\\? What next\\?`, 'm'), 150_000);
      tmux('send-keys', '-t', SESSION, 'Enter');
    }
    await waitFor(/Where the suspicious processes live on disk[\s\S]*^\? Next\?/m);
    tmux('send-keys', '-t', SESSION, 'Enter');
    await pick('Freeze the suspicious processes', new RegExp(`\\bpid ${scannerPid} pscan2\\b`));
    await waitFor(/^\? Apply these \d+ change\(s\)\?/m);
    tmux('send-keys', '-t', SESSION, 'y', 'Enter');
    // Neutralise: this box has nothing planted, but another test may have planted a cron line or
    // a key for a moment; leave whatever is offered alone.
    const neutralise = await waitFor(/Nothing to disable|^\? Neutralise what would bring the intruder back: which ones/m);
    if (!/Nothing to disable/.test(neutralise)) tmux('send-keys', '-t', SESSION, 'Enter');
    await pick('Quarantine the malware folder', new RegExp(escapeRegExp(kitRoot)));
    await waitFor(/Quarantine the malware folder: which ones[\s\S]*^\? Apply these \d+ change\(s\)\?/m);
    tmux('send-keys', '-t', SESSION, 'y', 'Enter');
    // Kill: nothing chosen (the scanner stays frozen for the investigators).
    await waitFor(/^\? Kill what must not keep running: which ones/m);
    tmux('send-keys', '-t', SESSION, 'Enter');
    // Only loopback is offered for this run's own connections; the plan is refused (a dry run).
    await pick('Block the attacking addresses', /\b127\.0\.0\.1\b/);
    await waitFor(/Hand the evidence[\s\S]*^\? Next\?/m);
    tmux('send-keys', '-t', SESSION, 'Enter');
    finalScreen = await waitFor(/EXIT=\d+/, 120_000);
    writeFileSync(path.join(out, 'screen.txt'), finalScreen);
  }, 300_000);

  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
    listener?.close();
    if (scannerPid) {
      try {
        process.kill(scannerPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (kit && existsSync(kit)) {
      chmodSync(kit, 0o755);
      for (const f of ['pscan2', 'go.js']) if (existsSync(path.join(kit, f))) chmodSync(path.join(kit, f), 0o755);
    }
    rmSync(kitRoot, { recursive: true, force: true });
  });

  it('froze the scanner and quarantined its folder', () => {
    expect(finalScreen).toMatch(/EXIT=0/);
    const state = readFileSync(`/proc/${scannerPid}/stat`, 'utf8').split(') ')[1][0];
    expect(state).toBe('T');
    expect(statSync(kit).mode & 0o777).toBe(0o200);
  });

  it('showed a block of the attacking address as a dry run (loopback is refused)', () => {
    expect(finalScreen).toMatch(/Refused: /);
  });

  it('ends with a bundle that verify accepts and whose custody log holds every answer', () => {
    const bundle = path.join(out, 'TMUX.tar.gz');
    const v = spawnSync(process.execPath, [BIN, 'verify', bundle], { encoding: 'utf8' });
    expect(v.status).toBe(0);
    const custody = readFileSync(path.join(extract(bundle), 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const answers = custody.filter((e) => e.event === 'answer');
    expect(answers.length).toBeGreaterThanOrEqual(10);
    expect(answers.every((a) => a.actor === 'examiner:bob')).toBe(true);
    expect(custody.filter((e) => e.event === 'action-applied').length).toBeGreaterThanOrEqual(2);
    expect(finalScreen).toContain('bundle:  ' + bundle);
    // The scanner fans out to one host only (below the threshold), so its tool and folder make the verdict.
    expect(finalScreen).toMatch(/^  verdict: Likely compromised: /m);
  });
});
