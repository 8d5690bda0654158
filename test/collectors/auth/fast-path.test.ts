/**
 * The fast path (fast-path.ts) against the full parser: the same analyze --json output, byte for
 * byte, with IR_TRIAGE_AUTH_FAST_PATH=off and on, over generated logs (both stamp styles, with an
 * intruder), the recorded fixtures and the loghub corpus; and line by line, the same events and
 * counts for lines made to sit at the edges of the shapes the fast path reads.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthAnalysis } from '../../../src/collectors/auth/analysis.js';
import { CATALOGUE } from '../../../src/collectors/auth/catalogue.js';
import { makeYearResolver } from '../../../src/collectors/auth/parse-syslog.js';
import { readLineBatches, readLineBlocks } from '../../../src/collectors/auth/read-lines.js';
// @ts-expect-error a plain .mjs module of the benchmarks
import { generateAuthLog } from '../../../bench/auth-log-generate.mjs';
import { CORPUS, REPO, runCli } from '../../helpers/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-fast-path-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function analyzeBoth(files: string[]): Promise<{ on: string; off: string }> {
  const args = ['analyze', '--json', '--year', '2025', ...files];
  const on = await runCli(args, { env: { ...process.env, IR_TRIAGE_AUTH_FAST_PATH: 'on' } });
  const off = await runCli(args, { env: { ...process.env, IR_TRIAGE_AUTH_FAST_PATH: 'off' } });
  expect(off.stderr).toBe(on.stderr);
  expect(off.code).toBe(on.code);
  return { on: on.stdout, off: off.stdout };
}

/** The scanning thread as built (npm run build): the one the CLI starts. */
const WORKER_URL = pathToFileURL(path.join(REPO, 'dist/collectors/auth/scan-worker.js'));

type How = 'batches' | 'fast' | 'full' | 'threads' | 'events' | 'threads-events';

/**
 * Everything an analysis gives: the facts and the per-source counts. `threads`: blocks read by two
 * scanning threads and applied here in order; `events`: with an event callback that keeps every
 * event (as collect's), so no event object is reused.
 */
async function analyse(text: string, how: How, chunk = 4096): Promise<unknown> {
  const bytes = Buffer.from(text, 'utf8');
  const stream = () => Readable.from((function* () {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  })());
  const kept: unknown[] = [];
  const a = new AuthAnalysis(how === 'events' || how === 'threads-events' ? (e) => void kept.push(e) : null);
  const opts = { source: 'auth.log', yearResolver: makeYearResolver(new Date(Date.UTC(2025, 11, 31))) };
  const threads = how === 'threads' || how === 'threads-events';
  if (how === 'batches') await a.readSyslog(readLineBatches(stream()), opts);
  else {
    await a.readSyslogBlocks(readLineBlocks(stream()), {
      ...opts,
      fastPath: how !== 'full',
      scanThreads: { threads: threads ? 2 : 0, explicit: true },
      scanWorkerUrl: WORKER_URL,
    });
  }
  // The threads did read (a missing thread module would fall back to this thread silently).
  if (threads && text.length > 0) expect(a.threadBlocks).toBeGreaterThan(0);
  return JSON.parse(JSON.stringify({ facts: a.facts(), sources: a.sources, users: a.tally.userFailures() }));
}

async function sameThreeWays(text: string, chunk?: number, threads = true): Promise<void> {
  const full = await analyse(text, 'batches', chunk);
  expect(await analyse(text, 'full', chunk)).toEqual(full);
  expect(await analyse(text, 'fast', chunk)).toEqual(full);
  expect(await analyse(text, 'events', chunk)).toEqual(full);
  if (!threads) return;
  expect(await analyse(text, 'threads', chunk)).toEqual(full);
  expect(await analyse(text, 'threads-events', chunk)).toEqual(full);
}

describe('the fast path gives what the full parser gives', () => {
  it('on generated logs (RFC 3164 and RFC 3339, an intruder), through analyze --json', async () => {
    const files: string[] = [];
    for (const style of ['rfc3164', 'rfc3339']) {
      const f = path.join(dir, `gen-${style}.log`);
      await generateAuthLog(f, 3_000_000, { style, seed: style.length, intruder: true });
      files.push(f);
    }
    for (const f of files) {
      const { on, off } = await analyzeBoth([f]);
      expect(on).toBe(off);
      const r = JSON.parse(on);
      expect(r.addresses.length).toBeGreaterThan(100);
      expect(r.findings.some((x: { rule: string }) => x.rule === 'auth.login-after-failures')).toBe(true);
    }
  }, 120_000);

  it('on the recorded fixtures and the loghub corpus', async () => {
    const fixtures = readdirSync(path.join(REPO, 'test/fixtures/auth')).filter((f) => f.endsWith('.log')).map((f) => path.join(REPO, 'test/fixtures/auth', f));
    const corpus = CORPUS ? [path.join(CORPUS, 'loghub/OpenSSH_2k.log'), path.join(CORPUS, 'loghub/Linux_2k.log')] : [];
    for (const f of [...fixtures, ...corpus]) {
      const { on, off } = await analyzeBoth([f]);
      expect(on, f).toBe(off);
    }
  }, 120_000);

  it('on every catalogue sample, and lines at the edges of the shapes it reads', async () => {
    const edges = [
      'Mar  3 10:00:03 box sshd[2003]: Failed password for root from 198.51.100.20 port 40001 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for root from 198.51.100.20 port 40001 ssh2 [preauth]',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for root from 198.51.100.020 port 40001 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for root from ::ffff:198.51.100.20 port 40001 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for root from fe80::1%eth0 port 99999 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for root from host.example port 22 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for  from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for invalid user x from 6.6.6.6 port 22 ssh2 from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for invalid user from from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for invalid user  from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for alice from 1.2.3.4 port 22 ssh2: ',
      'Mar  3 10:00:03 box sshd[2003]: Failed publickey for alice from 1.2.3.4 port 22 ssh2: RSA SHA256:abc',
      'Mar  3 10:00:03 box sshd[2003]: Failed publickey for invalid user bob from 1.2.3.4 port 22 ssh2: RSA SHA256:abc',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for alice from 1.2.3.4 port 22 ssh',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for alice from 1.2.3.4 port 22x ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for alice from 1.2.3.4 port',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for alice\tfrom 1.2.3.4 port 22 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed  password for alice from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: error: Failed password for alice from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:00:03 box sshd[2003]: Failed password for alice from 1.2.3.4 port 22 ssh2   ',
      'Mar  3 10:00:04 box sshd[2004]: Accepted password for alice from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:00:04 box sshd-session[2004]: Accepted publickey for alice from 2001:db8::1 port 22 ssh2: ED25519 SHA256:x [preauth]',
      'Mar  3 10:02:00 box sshd[2200]: Invalid user hadoop from 203.0.113.60 port 42000',
      'Mar  3 10:02:00 box sshd[2200]: Invalid user hadoop from 203.0.113.60',
      'Mar  3 10:02:00 box sshd[2200]: Invalid user a from b from 203.0.113.60 port 1',
      'Mar  3 10:02:00 box sshd[2200]: Invalid user  from 203.0.113.60 port 1',
      'Mar  3 10:02:00 box sshd[2200]: Invalid user x from 203.0.113.60 port',
      'Mar  3 10:02:00 box sshd[2200]: Invalid user x from ',
      'Mar  3 10:04:00 box sshd[2400]: Connection closed by authenticating user root 203.0.113.80 port 44000 [preauth]',
      'Mar  3 10:04:00 box sshd[2400]: Connection closed by authenticating user 203.0.113.80 port 44000 [preauth]',
      'Mar  3 10:04:00 box sshd[2400]: Connection closed by authenticating user  203.0.113.80 port 44000',
      'Mar  3 10:04:00 box sshd[2400]: Connection closed by user port 22',
      'Mar  3 10:04:00 box sshd[2400]: Connection closed by invalid user a b c 203.0.113.80 port 44000 [preauth]',
      'Mar  3 10:04:00 box sshd[2400]: Connection reset by 203.0.113.80 port 44000 [preauth]',
      'Mar  3 10:04:00 box sshd[2400]: Connection closed by 203.0.113.80 port 44000',
      'Mar  3 10:04:00 box sshd[2400]: Connection closed by 203.0.113.80 [preauth]',
      'Mar  3 10:04:00 box sshd[2400]: Connection closed by x 203.0.113.80 port 44000',
      'Mar  3 10:04:03 box sshd[2403]: Disconnected from invalid user test 203.0.113.83 port 44003 [preauth]',
      'Mar  3 10:04:03 box sshd[2403]: Disconnected from user alice 203.0.113.83 port 44003',
      'Mar  3 10:04:03 box sshd[2403]: Disconnected from 203.0.113.83 port 44003',
      'Mar  3 10:04:05 box sshd[2405]: Received disconnect from 203.0.113.85 port 44005:11: Bye Bye [preauth]',
      'Mar  3 10:04:05 box sshd[2405]: Received disconnect from 203.0.113.85 port 44005: 11: Bye',
      'Mar  3 10:04:05 box sshd[2405]: Received disconnect from 203.0.113.85 port 44005:11:Bye',
      'Mar  3 10:04:06 box sshd[2406]: Received disconnect from 203.0.113.86: 11: Bye Bye [preauth]',
      'Mar  3 10:06:00 box sshd[2600]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.100  user=root',
      'Mar  3 10:06:00 box sshd[2600]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=rhost=x rhost=  user=',
      'Mar  3 10:06:00 box sshd[2600]: pam_unix(sshd:auth): authentication failure; rhost=h.example user=a b ',
      'Mar  3 10:06:00 box sshd[2600]: pam_unix(sshd:auth): authentication failure;user=root',
      'Mar  3 10:06:00 box sshd[2600]: pam_unix(sshd:auth): check pass; user unknown',
      'Mar  3 10:06:00 box sshd[2600]: pam_unix(sshd:auth): check pass; user unknownX',
      'Mar  3 10:06:01 box sshd[2600]: message repeated 3 times: [ Failed password for root from 203.0.113.100 port 1 ssh2]',
      'Mar  3 10:06:01 box sshd[2600]: PAM 3 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.100  user=root',
      'Mar  3 10:06:01 box CRON[77]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
      'Mar  3 10:06:01 box CRON[77]: (root) CMD (sudo true)',
      'Mar  3 10:06:01 box sshd[]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01 box sshd: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01 box sshd[1] <Info>: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01 box sshd[1]:Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01 box sshd[1]: [ID 800047 auth.info] Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01 sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01 box authpriv.info sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar 32 10:06:01 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Feb 29 10:06:01 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 24:06:01 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01.123 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'mar  3 10:06:01 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar 3 10:06:01 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01  box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2\r',
      '2025-03-03T10:06:01.123456+01:00 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      '2025-03-03T10:06:01Z box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      '2025-03-03T10:06:01+0100 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      '2025-03-03T10:06:01 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      '2025-03-03T10:06:01+01: box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      '2025-02-30T10:06:01Z box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      '<38>1 2025-03-03T10:06:01Z box sshd 1 - - Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01 box sshd[1]: Failed password for rööt from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:01 box sudo[1]:    alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh',
      'Mar  3 10:06:01 box dropbear[1]: Bad password attempt for \'root\' from 1.2.3.4:22',
      'last message repeated 2 times',
      'Mar  3 10:06:02 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Mar  3 10:06:02 box last message repeated 2 times',
      '',
      'garbage',
    ];
    const lines = [...CATALOGUE.map((e) => e.sample), ...edges];
    const text = `${lines.join('\n')}\n`;
    await sameThreeWays(text);
    // Each line alone too (a pid's state never hides a difference), and chunk boundaries anywhere.
    for (const l of lines) await sameThreeWays(`${l}\n`, undefined, false);
    await sameThreeWays(text, 7);
    await sameThreeWays(text.slice(0, -1), 13);
  });

  it('on a generated log read by scanning threads in blocks cut anywhere (inside a line, between a failure and its message repeated)', async () => {
    for (const style of ['rfc3164', 'rfc3339']) {
      const f = path.join(dir, `threads-${style}.log`);
      await generateAuthLog(f, 300_000, { style, seed: 11, intruder: true });
      const text = readFileSync(f, 'utf8');
      expect(text).toContain('message repeated');
      for (const chunk of [4096, 331]) await sameThreeWays(text, chunk);
    }
  }, 300_000);

  it('through analyze --json with scanning threads, one, two or none, from the first block', async () => {
    const f = path.join(dir, 'threads-cli.log');
    await generateAuthLog(f, 3_000_000, { seed: 5, intruder: true });
    const args = ['analyze', '--json', '--year', '2025', f];
    const outs: string[] = [];
    for (const [fast, workers] of [['off', '0'], ['on', '0'], ['on', '1'], ['on', '2']]) {
      const r = await runCli(args, { env: { ...process.env, IR_TRIAGE_AUTH_FAST_PATH: fast, IR_TRIAGE_AUTH_WORKERS: workers } });
      expect(r.code).toBe(0);
      outs.push(r.stdout);
    }
    for (const o of outs.slice(1)) expect(o).toBe(outs[0]);
  }, 120_000);

  it('reads most lines of a brute-forced log on the fast path, and none when it is off', async () => {
    const f = path.join(dir, 'share.log');
    await generateAuthLog(f, 500_000, { seed: 7 });
    const { createReadStream } = await import('node:fs');
    for (const fastPath of [true, false]) {
      const a = new AuthAnalysis();
      await a.readSyslogBlocks(readLineBlocks(createReadStream(f)), { source: f, yearResolver: makeYearResolver(new Date(Date.UTC(2026, 0, 1))), fastPath });
      const parser = a.lastParser!;
      expect(parser.stats.lines).toBeGreaterThan(1000);
      if (fastPath) expect(parser.stats.fast / parser.stats.lines).toBeGreaterThan(0.9);
      else expect(parser.stats.fast).toBe(0);
    }
  });

  it('keeps the year inference when the full parser reads lines between fast ones', async () => {
    const text = [
      'Dec 31 23:59:59 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Jan  1 00:00:01 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2 [preauth]',
      'Dec 31 23:59:59 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2',
      'Dec 31 23:59:59 box sshd[2]: Failed password for root from 1.2.3.5 port 22 ssh2 [preauth]',
      'Dec 31 23:59:59 box sshd[2]: Failed password for root from 1.2.3.5 port 22 ssh2',
    ].join('\n');
    await sameThreeWays(`${text}\n`);
  });

  it('cuts a line longer than the cap on both readers', async () => {
    const long = `Mar  3 10:00:03 box sshd[1]: Failed password for ${'x'.repeat(3000)} from 1.2.3.4 port 22 ssh2`;
    const text = `${long}\nMar  3 10:00:04 box sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2\n`;
    const write = path.join(dir, 'long.log');
    writeFileSync(write, text);
    utimesSync(write, new Date(Date.UTC(2025, 5, 1)), new Date(Date.UTC(2025, 5, 1)));
    const lines: string[] = [];
    for await (const b of readLineBatches(Readable.from([Buffer.from(text)]), { maxLineBytes: 100 })) lines.push(...b);
    for (let chunk = 5; chunk <= 400; chunk += 131) {
      const bytes = Buffer.from(text);
      const src = Readable.from((function* () {
        for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
      })());
      const got: Buffer[] = [];
      for await (const b of readLineBlocks(src, { maxLineBytes: 100 })) got.push(b);
      const all = Buffer.concat(got).toString('utf8').split('\n');
      expect(all.pop()).toBe('');
      expect(all).toEqual(lines);
    }
  });
});
