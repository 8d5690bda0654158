// Regenerates docs/images/report.png: the report of a real live collection, shot with Debian's
// chromium (the browser the tests use).
//
//   sudo node bench/report-screenshot.mjs [OUT.png]      (after npm run build)
//
// The scene is built in namespaces this script makes, so nothing of the machine it runs on shows
// in the picture and nothing outside them changes:
// - the box: new PID, mount, UTS and network namespaces. Its hostname is the scene's; the
//   brute-forced server's files of bench/report-scenario.mjs (auth.log, auth.log.1, wtmp, passwd,
//   hostname, a machine id, empty crontabs) are bind-mounted over /var/log, /etc/passwd,
//   /etc/hostname, /etc/machine-id and /var/spool/cron; its only network is a veth to the targets;
//   its pid 1 (this script) calls itself init.
// - the targets: a network namespace of their own holding 12 addresses of 198.18.7.0/24, an
//   ssh-like listener on port 22 for each (198.18.0.0/15, the range set aside for such tests).
// - inside the box, a copy of python3 named pscan2 in a hidden folder under /dev/shm, started with
//   setsid (its parent exits: it is reparented to the namespace's init, as a daemonised kit is), as
//   uid 1001 — `deploy` in the scene's passwd — holding a connection to each target;
// - then `ir-triage collect` in the box, and the bundle's report.html opened in chromium.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SCENARIO, writeBruteForceRoot } from './report-scenario.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin/ir-triage.js');
const SELF = fileURLToPath(import.meta.url);
const TARGETS = Array.from({ length: 12 }, (_, i) => `198.18.7.${i + 2}`);
const BOX_IP = '10.99.0.1';
const CASE = 'IR-2026-0142';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const SCANNER = `
import socket, sys, time
prefix, port = sys.argv[1], int(sys.argv[2])
held = []
for i in range(2, 14):
    s = socket.create_connection(("%s.%d" % (prefix, i), port), timeout=10)
    held.append(s)
time.sleep(3600)
`;

const LISTENER = `
const net = require('node:net');
const held = [];
net.createServer((c) => held.push(c)).listen({ host: '0.0.0.0', port: 22 }, () => process.stdout.write('ready\\n'));
`;

function run(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Established tcp connections to port 22 in this network namespace (/proc/net/tcp: state 01, port 0016). */
function establishedToSsh() {
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((l) => /^\s*\d+: [0-9A-F]{8}:[0-9A-F]{4} [0-9A-F]{8}:0016 01 /.test(l)).length;
}

/** Inside the box (pid 1 of its namespace): the scene's files, the scanner, the collection. */
async function inside(config) {
  run(['hostname', SCENARIO.hostname]);
  run(['mount', '--bind', path.join(config.root, 'var/log'), '/var/log']);
  run(['mount', '--bind', path.join(config.root, 'etc/passwd'), '/etc/passwd']);
  run(['mount', '--bind', path.join(config.root, 'etc/hostname'), '/etc/hostname']);
  writeFileSync(path.join(config.root, 'etc/machine-id'), '6f1d3c0e9b2a4e7c8d5f0a1b2c3d4e5f\n');
  run(['mount', '--bind', path.join(config.root, 'etc/machine-id'), '/etc/machine-id']);
  // The machine's own crontabs are not the scene's.
  mkdirSync(path.join(config.root, 'var/spool/cron/crontabs'), { recursive: true });
  run(['mount', '--bind', path.join(config.root, 'var/spool/cron'), '/var/spool/cron']);
  // The machine's own temporary files and homes are not the scene's either: the bundle is written
  // to /mnt (the out folder bound there), then empty tmpfs cover /tmp, /var/tmp and /home.
  run(['mount', '--bind', config.out, '/mnt']);
  for (const dir of ['/tmp', '/var/tmp', '/home']) run(['mount', '-t', 'tmpfs', '-o', 'mode=1777', 'tmpfs', dir]);
  const stdin = openSync(path.join(config.kit, '.run'), 'r');
  run(['setsid', '-f', 'setpriv', '--reuid=1001', '--regid=1001', '--clear-groups', './pscan2', '-', '198.18.7', '22'], { cwd: config.kit, stdio: [stdin, 'ignore', 'inherit'] });
  closeSync(stdin);
  for (let i = 0; i < 500 && establishedToSsh() < TARGETS.length; i++) await sleep(20);
  if (establishedToSsh() < TARGETS.length) throw new Error('the scanner did not connect to every target');
  const r = spawnSync(process.execPath, [BIN, 'collect', '--out', '/mnt', '--case', CASE, '--examiner', 'J. Doe', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`collect exited ${r.status}`);
  // The summary as the outside sees it: the bundle is in the out folder.
  const summary = JSON.parse(r.stdout);
  summary.bundle = path.join(config.out, path.basename(summary.bundle));
  process.stdout.write(JSON.stringify(summary));
}

/** The pid (in our namespace) of the first child of `pid`: unshare --fork's child, pid 1 inside. */
async function childOf(pid) {
  for (let i = 0; i < 200; i++) {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (children) return Number(children.split(' ')[0]);
    await sleep(10);
  }
  throw new Error(`pid ${pid} has no child`);
}

async function outside(outPng) {
  if (process.getuid?.() !== 0) throw new Error('run as root: the scene needs namespaces and another uid');
  const { chromium } = await import('playwright-core');
  const work = mkdtempSync(path.join(os.tmpdir(), 'irt-shot-'));
  const kit = mkdtempSync('/dev/shm/.ICE-');
  const children = [];
  try {
    chmodSync(kit, 0o755);
    copyFileSync('/usr/bin/python3', path.join(kit, 'pscan2'));
    chmodSync(path.join(kit, 'pscan2'), 0o755);
    writeFileSync(path.join(kit, '.run'), SCANNER, { mode: 0o644 });
    const root = path.join(work, 'root');
    writeBruteForceRoot(root, { now: Date.now() });
    const out = path.join(work, 'out');
    mkdirSync(out);

    // The targets' namespace, listening on port 22.
    const targets = spawn('unshare', ['--net', '--', process.execPath, '-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(targets);
    await new Promise((resolve, reject) => {
      targets.once('exit', (code) => reject(new Error(`the targets exited (${code})`)));
      createInterface({ input: targets.stdout }).once('line', resolve);
    });
    const targetsPid = await childOf(targets.pid).catch(() => targets.pid);

    // The box: it waits for "go" on stdin, once its network is wired.
    const box = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--mount', '--uts', '--net', '--propagation', 'private', '--', process.execPath, SELF, '--inside', JSON.stringify({ root, kit, out })], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(box);
    let stdout = '';
    box.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise((resolve) => box.once('exit', resolve));
    const boxPid = await childOf(box.pid);

    run(['ip', 'link', 'add', 'eth0', 'netns', String(boxPid), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(targetsPid)]);
    const inNet = (pid, ...argv) => run(['nsenter', '-t', String(pid), '-n', ...argv]);
    inNet(targetsPid, 'ip', 'link', 'set', 'lo', 'up');
    inNet(targetsPid, 'ip', 'addr', 'add', '10.99.0.2/24', 'dev', 'eth0');
    for (const t of TARGETS) inNet(targetsPid, 'ip', 'addr', 'add', `${t}/32`, 'dev', 'eth0');
    inNet(targetsPid, 'ip', 'link', 'set', 'eth0', 'up');
    inNet(boxPid, 'ip', 'link', 'set', 'lo', 'up');
    inNet(boxPid, 'ip', 'addr', 'add', `${BOX_IP}/24`, 'dev', 'eth0');
    inNet(boxPid, 'ip', 'link', 'set', 'eth0', 'up');
    inNet(boxPid, 'ip', 'route', 'add', 'default', 'dev', 'eth0');
    box.stdin.end('go\n');
    const code = await exited;
    if (code !== 0) throw new Error(`the box exited ${code}`);

    const summary = JSON.parse(stdout);
    console.log(`bundle ${summary.bundle}: ${summary.findings.length} findings`);
    for (const f of summary.findings) console.log(`  ${f.id} ${f.severity.padEnd(13)} ${f.title}`);
    for (const i of summary.incidents ?? []) console.log(`  ${i.id} ${i.severity.padEnd(13)} ${i.title} (${i.findings.length} findings)`);
    run(['tar', 'xzf', summary.bundle, '-C', work, `${CASE}/report.html`]);
    const html = path.join(work, CASE, 'report.html');
    if (process.env.SHOT_KEEP) copyFileSync(summary.bundle, process.env.SHOT_KEEP);
    const profile = path.join(work, 'profile');
    mkdirSync(profile);
    const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 1000 }, deviceScaleFactor: 1, offline: true });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`file://${html}`);
      const height = Math.min(await page.evaluate(() => document.body.scrollHeight), Number(process.env.SHOT_HEIGHT ?? 1800));
      mkdirSync(path.dirname(outPng), { recursive: true });
      await page.screenshot({ path: outPng, clip: { x: 0, y: 0, width: 1200, height }, fullPage: true });
      console.log(`wrote ${outPng} (1200×${height})`);
    } finally {
      await context.close();
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(kit, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--inside') {
  // Pid 1 of the box, named as a box's is; then wait for the network and build the scene.
  process.title = 'init';
  await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
  await inside(JSON.parse(process.argv[3]));
  process.exit(0);
} else {
  await outside(path.resolve(process.argv[2] ?? path.join(REPO, 'docs/images/report.png')));
}
