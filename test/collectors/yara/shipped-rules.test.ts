/**
 * The YARA rules ir-triage ships (playbooks/yara/), run by the same engine as collect: each rule
 * matches a synthetic sample built here from the traits its write-up describes (no real malware
 * is used or stored), the rule files never match themselves (as raw files, as the SEA carries
 * them, or JSON-escaped, as the .mjs bundle does), and none matches the system binaries of the
 * machine running the test.
 */
import { randomBytes } from 'node:crypto';
import { openSync, readdirSync, readFileSync, readSync, closeSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { YaraEngine } from '../../../src/collectors/yara/yara.js';
import { ruleTags } from '../../../src/collectors/yara/rules-source.js';
import { isSeverity } from '../../../src/model/finding.js';

const REPO = path.resolve(__dirname, '../../..');
const DIR = path.join(REPO, 'playbooks/yara');
const files = readdirSync(DIR).filter((n) => /\.(yar|yara)$/.test(n)).sort();
const sources = new Map(files.map((f) => [f, readFileSync(path.join(DIR, f), 'utf8')]));
const all = [...sources.values()].join('\n');
const engine = new YaraEngine();

async function matches(data: Uint8Array | string, rules = all): Promise<string[]> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const r = await engine.run(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), rules);
  const out: string[] = [];
  for (let i = 0; i < r.matchedRules.size(); i++) out.push(r.matchedRules.get(i).ruleName);
  return out.sort();
}

/** `text` between random bytes, as strings sit inside a binary. */
function inBinary(...text: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from('\x7fELF\x02\x01\x01\0', 'latin1'), randomBytes(4096)];
  for (const t of text) parts.push(Buffer.from(`\0${t}\0`, 'latin1'), randomBytes(512 + Math.floor(Math.random() * 2048)));
  return Buffer.concat(parts);
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const randomOf = (alphabet: string, n: number) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
/** A string shaped like a Monero address (95 base58 characters starting 4), owned by nobody. */
const fakeWallet = () => `4${'0123456789AB'[randomBytes(1)[0] % 12]}${randomOf(BASE58, 93)}`;
/** A string shaped like an ssh-rsa public key, random: no private key exists for it. */
const fakeRsaKey = () => `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ${randomOf('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 340)}`;

/** Perl's pack 'u' (uuencode) of text, as the wrapper the shellbot ships in uses. */
function uuencode(text: string): string {
  const data = Buffer.from(text);
  const enc = (n: number) => String.fromCharCode(n === 0 ? 96 : n + 32);
  let out = '';
  for (let i = 0; i < data.length; i += 45) {
    const chunk = data.subarray(i, i + 45);
    out += enc(chunk.length);
    for (let j = 0; j < chunk.length; j += 3) {
      const [a, b = 0, c = 0] = chunk.subarray(j, j + 3);
      out += enc(a >> 2) + enc(((a & 3) << 4) | (b >> 4)) + enc(((b & 15) << 2) | (c >> 6)) + enc(c & 63);
    }
    out += '\n';
  }
  return out;
}

/** One synthetic sample per shipped rule, built from the traits its description names. */
const samples: Record<string, () => Buffer | string> = {
  IRT_SSH_Scanner_Pscan: () => inBinary('Usage: %s <b-block> <port> [c-block]', 'Invalid b-range.', '# scanning: %s.%s.*.* (port %d)', 'bios.txt'),
  IRT_SSH_BruteForce_Kit: () => inBinary('SSH-2.0-libssh_0.9', 'pass_file', 'cannot open %s', 'mfu.txt', 'vuln.txt', '%s:%s@%s'),
  IRT_Outlaw_Dota_Kit: () =>
    `#!/bin/sh\ncd ~ && rm -rf .ssh-old\nchattr -iae ~/.ssh 2>/dev/null\nmkdir -p .ssh\necho "${fakeRsaKey()} mdrfckr" >> .ssh/authorized_keys\n`,
  IRT_Miner_XMRig_Binary: () => inBinary('XMRig/6.21.0', 'Usage: xmrig [OPTIONS]', '--donate-level=N', '--cpu-max-threads-hint=N', 'rx/0', 'RandomX', 'mining.subscribe'),
  IRT_Miner_XMRig_Config: () =>
    JSON.stringify(
      { autosave: true, 'donate-level': 1, cpu: { enabled: true }, randomx: { mode: 'auto' }, pools: [{ url: 'pool.example.invalid:3333', user: fakeWallet(), pass: 'x', keepalive: true }] },
      null,
      4,
    ),
  IRT_Miner_Stratum_Pool: () => `#!/bin/bash\nnohup ./.sysupdate -o stratum+tcp://xmr.pool.example.invalid:5555 -u ${fakeWallet()} -p x >/dev/null 2>&1 &\n`,
  IRT_Botnet_Mirai_Family: () => inBinary('/dev/watchdog', '/dev/misc/watchdog', 'TSource Engine Query', '/bin/busybox IRTTEST', 'dvrHelper', '/proc/net/tcp'),
  IRT_Botnet_Gafgyt_Family: () => inBinary('PING', 'PONG!', 'GETLOCALIP', 'My IP: %s', 'SCANNER ON', 'KILLATTK', 'Killed %d.', 'LOLNOGTFO'),
  IRT_Outlaw_Perl_Shellbot: () =>
    `#!/usr/bin/perl\nmy $servidor = 'irc.example.invalid';\nmy @canais = ('#test');\nmy @adms = ('nobody');\nsub sendraw { print $IRC_cur_socket "$_[0]\\n"; }\nsendraw("JOIN $canais[0]");\nsendraw("PRIVMSG $canais[0] :hello");\n`,
};

describe('the shipped YARA rules (playbooks/yara)', () => {
  beforeAll(async () => {
    // Loads the engine once before the timed tests.
    await matches('');
  });

  it('are named by the shipped playbook, compile without errors, and each rule has a description, a reference to a public write-up, tags and a severity', async () => {
    const playbook = parseYaml(readFileSync(path.join(REPO, 'playbooks/ssh-compromise.yaml'), 'utf8')) as { yara?: string[] };
    expect(playbook.yara).toEqual(['yara/']);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const names: string[] = [];
    for (const [file, source] of sources) {
      const r = await engine.run(new Uint8Array(0), source);
      const errors = Array.from({ length: r.compileErrors.size() }, (_, i) => r.compileErrors.get(i)).filter((e) => !e.warning);
      expect(errors, file).toEqual([]);
      for (const [name, tags] of ruleTags(source)) {
        names.push(name);
        const body = source.slice(source.indexOf(`rule ${name}`)).split(/\n}\n/)[0];
        expect(tags.length, name).toBeGreaterThan(0);
        expect(body, name).toMatch(/\n\s+description = "[^"]{20,}"/);
        expect(body, name).toMatch(/\n\s+reference = "https?:\/\/[^"\s]+"/);
        const severity = /\n\s+severity = "([^"]+)"/.exec(body)?.[1];
        expect(severity !== undefined && isSeverity(severity), name).toBe(true);
        // The guard against matching the rule text itself.
        expect(body, name).toMatch(/\$irt = "ir-triage shipped rule text"/);
        expect(body, name).toMatch(/and not \$irt$/m);
      }
    }
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(Object.keys(samples).sort());
  });

  for (const [rule, make] of Object.entries(samples)) {
    it(`${rule} matches a synthetic sample`, async () => {
      const sample = make();
      expect(await matches(sample)).toContain(rule);
      // The same bytes with the traits cut out do not match: the rule keys on them.
      const text = typeof sample === 'string' ? sample : sample.toString('latin1');
      const blank = text.replace(/[A-Za-z$@#"/.:+-]{4,}/g, (w) => 'x'.repeat(w.length));
      expect(await matches(Buffer.from(blank, 'latin1'))).not.toContain(rule);
    });
  }

  it('IRT_Outlaw_Perl_Shellbot also matches the uuencoded eval wrapper the bot ships in', async () => {
    const wrapped = `#!/usr/bin/perl\neval unpack u=>q{${uuencode('print "synthetic sample, nothing else\\n";\n')}};\n`;
    expect(await matches(wrapped)).toEqual(['IRT_Outlaw_Perl_Shellbot']);
    expect(await matches(wrapped.replace('unpack u=>', 'unpack "u",'))).toEqual([]);
  });

  it('never match their own text: raw, all files together, or JSON-escaped as the .mjs bundle embeds them', async () => {
    for (const [file, source] of sources) expect(await matches(source), file).toEqual([]);
    expect(await matches(all)).toEqual([]);
    expect(await matches(JSON.stringify(Object.fromEntries(sources), null, 1))).toEqual([]);
  });

  it('match nothing in /bin and /usr/bin of this machine (bounded: first 32 MiB of each file, 90 s)', async (ctx) => {
    const seen = new Set<string>();
    const hits: string[] = [];
    let scanned = 0;
    let cut = 0;
    const until = Date.now() + 90_000;
    for (const dir of ['/bin', '/usr/bin']) {
      for (const name of readdirSync(dir).sort()) {
        if (Date.now() > until) {
          cut++;
          continue;
        }
        let file: string;
        try {
          file = realpathSync(path.join(dir, name));
        } catch {
          continue;
        }
        if (seen.has(file)) continue;
        seen.add(file);
        const st = statSync(file);
        if (!st.isFile()) continue;
        const len = Math.min(st.size, 32 * 1024 * 1024);
        const buf = Buffer.alloc(len);
        const fd = openSync(file, 'r');
        try {
          readSync(fd, buf, 0, len, 0);
        } finally {
          closeSync(fd);
        }
        scanned++;
        for (const rule of await matches(buf)) hits.push(`${file}: ${rule}`);
      }
    }
    ctx.annotate(`${scanned} files scanned, ${cut} left for the time budget, ${engine.loads} engine instance(s)`);
    expect(hits).toEqual([]);
    expect(scanned).toBeGreaterThan(50);
  }, 180_000);

  it('keep working past the point where one engine instance runs out of memory', async () => {
    // Each run keeps about 10 MiB of the WebAssembly heap: without a fresh instance now and then,
    // a few hundred runs end in an abort.
    const sample = samples.IRT_Miner_Stratum_Pool();
    const loadsBefore = engine.loads;
    const listenersBefore = process.listenerCount('uncaughtException');
    for (let i = 0; i < 400; i++) expect(await matches(sample)).toEqual(['IRT_Miner_Stratum_Pool']);
    expect(engine.loads).toBeGreaterThan(loadsBefore);
    // The module's own rethrowing handlers are removed on every load.
    expect(process.listenerCount('uncaughtException')).toBe(listenersBefore);
  }, 180_000);
});
