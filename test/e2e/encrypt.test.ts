import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/evidence/hash.js';
import { extract, listFiles, tmpDir } from '../helpers/bundle.js';
import { BIN, REPO, runCli, type CliRun } from '../helpers/cli.js';
import { canMount, countInodes, mountSmallTmpfs } from '../helpers/small-fs.js';

// The real CLI end to end, with the real age and age-keygen as the oracle for interoperability.
const ROOT = path.join(REPO, 'test/fixtures/logins/root');
const CASE = 'ENC-E2E';

let dir: string;
let out: string;
/** Every run of the CLI in this file: each is checked for secrets as it ends, and all again by the last test. */
const runs: CliRun[] = [];
/** Every secret key made here. */
const secrets: string[] = [];

/** No secret key made here, and none at all, in a run's output. */
function expectNoSecret(r: CliRun): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
  expect(`${r.stdout}${r.stderr}`).not.toMatch(/AGE-SECRET-KEY-1[0-9A-Z]{58}/i);
}

async function cli(args: string[]): Promise<CliRun> {
  const r = await runCli(args);
  runs.push(r);
  expectNoSecret(r);
  return r;
}

function secretIn(file: string): string {
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'));
  if (!line) throw new Error(`no key in ${file}`);
  return line;
}

/** The single .age bundle collect wrote, and its JSON summary. */
let bundle: string;
let summary: { bundle: string; sha256: string; case: string; encrypted: boolean; recipients: string[]; plaintextSha256: string; partial: boolean };
/** The officer's key made by ir-triage keygen, the deputy's by age-keygen, a stranger's by age-keygen. */
let officerKey: string;
let officerRecipient: string;
let deputyKey: string;
let deputyRecipient: string;
let strangerKey: string;

beforeAll(async () => {
  dir = tmpDir('irt-e2e-enc-');
  out = path.join(dir, 'out');
  officerKey = path.join(dir, 'officer.txt');
  const kg = await cli(['keygen', '--out', officerKey]);
  expect(kg.code).toBe(0);
  officerRecipient = kg.stdout.trim();
  deputyKey = path.join(dir, 'deputy.txt');
  strangerKey = path.join(dir, 'stranger.txt');
  execFileSync('age-keygen', ['-o', deputyKey], { stdio: 'ignore' });
  execFileSync('age-keygen', ['-o', strangerKey], { stdio: 'ignore' });
  deputyRecipient = execFileSync('age-keygen', ['-y', deputyKey], { encoding: 'utf8' }).trim();
  secrets.push(secretIn(officerKey), secretIn(deputyKey), secretIn(strangerKey));
  // The encrypted bundle every test below reads: made once, whatever order the tests run in.
  const recipientsFile = path.join(dir, 'recipients.txt');
  writeFileSync(recipientsFile, `# deputy, from age-keygen\n${deputyRecipient}\n\n`);
  const r = await cli(['collect', '--root', ROOT, '--out', out, '--case', CASE, '--encrypt-to', officerRecipient, '--encrypt-to', `@${recipientsFile}`, '--json']);
  expect(r.code, r.stderr).toBe(0);
  summary = JSON.parse(r.stdout);
  bundle = path.join(out, `${CASE}.tar.gz.age`);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ir-triage keygen', () => {
  it('writes an identity file age reads (mode 0600) and prints only its public key', () => {
    expect(officerRecipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(statSync(officerKey).mode & 0o777).toBe(0o600);
    expect(execFileSync('age-keygen', ['-y', officerKey], { encoding: 'utf8' }).trim()).toBe(officerRecipient);
    expect(readFileSync(officerKey, 'utf8')).toMatch(new RegExp(`^# created: \\S+Z\\n# public key: ${officerRecipient}\\nAGE-SECRET-KEY-1[0-9A-Z]{58}\\n$`));
  });

  it('never overwrites a key', async () => {
    const before = readFileSync(officerKey);
    const r = await cli(['keygen', '--out', officerKey]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`ir-triage: ${officerKey} already exists: keygen never overwrites a key; choose another --out\n`);
    expect(readFileSync(officerKey).equals(before)).toBe(true);
  });
});

describe('collect --encrypt-to', () => {
  it('writes only <case>.tar.gz.age and its sidecar, to the officer and to a recipients file', async () => {
    expect(summary).toMatchObject({ bundle, case: CASE, encrypted: true, recipients: [officerRecipient, deputyRecipient] });
    expect(summary.plaintextSha256).toMatch(/^[0-9a-f]{64}$/);

    // Nothing but the encrypted bundle and its sidecar: no staging folder, no plaintext archive.
    expect(readdirSync(out).sort()).toEqual([`${CASE}.tar.gz.age`, `${CASE}.tar.gz.age.sha256`]);
    for (const f of listFiles(out)) expect(readFileSync(path.join(out, f)).subarray(0, 2).toString('hex')).not.toBe('1f8b');
    expect(readFileSync(bundle).subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');

    // The courier checks the sidecar without any key.
    expect(readFileSync(`${bundle}.sha256`, 'utf8')).toBe(`${summary.sha256}  ${CASE}.tar.gz.age\n`);
    execFileSync('sha256sum', ['-c', `${CASE}.tar.gz.age.sha256`], { cwd: out, stdio: 'ignore' });
  });

  it('age -d opens it with the key made by ir-triage keygen, to the plaintext collect reported', async () => {
    const plain = execFileSync('age', ['-d', '-i', officerKey, bundle]);
    expect(sha256Hex(plain)).toBe(summary.plaintextSha256);
    const tgz = path.join(tmpDir('irt-e2e-enc-age-'), `${CASE}.tar.gz`);
    writeFileSync(tgz, plain);
    const v = await cli(['verify', tgz]);
    expect(v.code).toBe(0);
    const caseDir = extract(tgz);
    const custody = readFileSync(path.join(caseDir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(custody.find((e) => e.event === 'encrypting-bundle')).toMatchObject({ recipients: [officerRecipient, deputyRecipient] });
    const manifest = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
    expect(manifest.commandLine).toContain('--encrypt-to');
    // Nothing secret anywhere inside the bundle.
    for (const f of listFiles(caseDir)) {
      const text = readFileSync(path.join(caseDir, f), 'latin1');
      for (const s of secrets) expect(text).not.toContain(s);
      expect(text).not.toMatch(/AGE-SECRET-KEY-1[0-9A-Z]{58}/i);
    }
    rmSync(path.dirname(tgz), { recursive: true, force: true });
    rmSync(path.dirname(caseDir), { recursive: true, force: true });
  });

  // A tmpfs with room for the staging folder (as an unencrypted run stages it) and four inodes
  // more: enough for the sealing folder and the plaintext archive, not for the .age file (measured:
  // three more fail on the plaintext archive already).
  it.skipIf(!canMount)('when the disk fills while encrypting: a clear error, no .age, and the staging folder kept whole', async () => {
    const probe = path.join(dir, 'full-probe');
    expect((await cli(['collect', '--root', ROOT, '--out', probe, '--case', 'FULL', '--keep-dir'])).code).toBe(0);
    const small = mountSmallTmpfs(1 + countInodes(path.join(probe, 'FULL')) + 4)!;
    try {
      const full = small.dir;
      const r = await cli(['collect', '--root', ROOT, '--out', full, '--case', 'FULL', '--encrypt-to', officerRecipient]);
      expect(r.stderr).toBe(`ir-triage: could not write the encrypted bundle ${path.join(full, 'FULL.tar.gz.age')}: the disk is full; the staged evidence is kept in ${path.join(full, 'FULL')}\n`);
      expect(r.code).toBe(1);
      expect(readdirSync(full)).toEqual(['FULL']);
      // The plaintext archive made for encryption is gone; what is kept is the case folder, intact.
      expect(readdirSync(path.join(full, 'FULL'))).not.toContain('.sealing');
      expect((await cli(['verify', path.join(full, 'FULL')])).code).toBe(0);
    } finally {
      small.unmount();
    }
  });

  it('refuses, before collecting anything, a bad recipient, a secret key and --keep-dir', async () => {
    const empty = path.join(dir, 'refused');
    const bad = await cli(['collect', '--root', ROOT, '--out', empty, '--encrypt-to', 'age1notakey']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ir-triage: --encrypt-to age1notakey is not a valid age X25519 recipient[^\n]*\n$/);
    const secret = await cli(['collect', '--root', ROOT, '--out', empty, '--encrypt-to', secrets[0]]);
    expect(secret.code).toBe(2);
    expect(secret.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(secret.stderr).toMatch(/secret key/);
    const keep = await cli(['collect', '--root', ROOT, '--out', empty, '--encrypt-to', officerRecipient, '--keep-dir']);
    expect(keep.code).toBe(2);
    expect(keep.stderr).toBe('ir-triage: --keep-dir would leave the plaintext evidence beside the encrypted bundle: use one or the other\n');
    expect(existsSync(empty)).toBe(false);
    // An encrypted bundle of the same case is never overwritten, nor collected for in vain.
    const again = await cli(['collect', '--root', ROOT, '--out', out, '--case', CASE, '--encrypt-to', officerRecipient]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`ir-triage: ${bundle} already exists: choose another --case or --out\n`);
    expect(readdirSync(out).sort()).toEqual([`${CASE}.tar.gz.age`, `${CASE}.tar.gz.age.sha256`]);
  });
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SESSION = `irt-encrypt-${process.pid}`;

describe.skipIf(!hasTmux)('run --encrypt-to in a real terminal (tmux)', () => {
  afterAll(() => {
    spawnSync('tmux', ['kill-session', '-t', SESSION]);
  });

  it('seals the guided run as a .age too (Ctrl-C at the first question), and says how to open it', async () => {
    const runOut = path.join(dir, 'guided');
    const cmd = `${process.execPath} ${BIN} run --out ${runOut} --case RUN-ENC --encrypt-to ${officerRecipient}; echo EXIT=$?; sleep 60`;
    execFileSync('tmux', ['new-session', '-d', '-s', SESSION, '-x', '200', '-y', '60', cmd]);
    const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', SESSION, '-S', '-200'], { encoding: 'utf8' });
    const waitFor = async (re: RegExp): Promise<string> => {
      for (let i = 0; i < 1200; i++) {
        const s = screen();
        if (re.test(s)) return s;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`never saw ${re}:\n${screen()}`);
    };
    await waitFor(/^\? What next\?/m);
    execFileSync('tmux', ['send-keys', '-t', SESSION, 'C-c']);
    const s = await waitFor(/^EXIT=\d+$/m);
    expect(s).toMatch(/^EXIT=130$/m);
    expect(s).toContain(`encrypted: age, to ${officerRecipient}`);
    expect(s).toContain('The security officer opens it with: ir-triage decrypt RUN-ENC.tar.gz.age --identity KEYFILE');
    expect(readdirSync(runOut).sort()).toEqual(['RUN-ENC.tar.gz.age', 'RUN-ENC.tar.gz.age.sha256']);
    const r = await cli(['decrypt', path.join(runOut, 'RUN-ENC.tar.gz.age'), '--identity', officerKey, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).verify).toMatchObject({ ok: true, case: 'RUN-ENC' });
    for (const k of secrets) expect(s).not.toContain(k);
  });
});

describe('ir-triage decrypt', () => {
  it('opens the bundle with the right key: a .tar.gz with a fresh sidecar that verify accepts', async () => {
    const dest = path.join(dir, 'officer-desk');
    const r = await cli(['decrypt', bundle, '--identity', officerKey, '--out', dest]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plain = path.join(dest, `${CASE}.tar.gz`);
    expect(r.stdout).toContain(`decrypted: ${plain} (sha256 ${summary.plaintextSha256},`);
    expect(r.stdout).toContain(`matches ${CASE}.tar.gz.age.sha256`);
    expect(r.stdout).toContain(`the custody log says it was encrypted to ${officerRecipient}, ${deputyRecipient}`);
    expect(r.stdout).toMatch(new RegExp(`^intact: ${CASE}\\.tar\\.gz \\(case ${CASE}, \\d+ files\\)$`, 'm'));
    expect(readdirSync(dest).sort()).toEqual([`${CASE}.tar.gz`, `${CASE}.tar.gz.sha256`]);
    execFileSync('sha256sum', ['-c', `${CASE}.tar.gz.sha256`], { cwd: dest, stdio: 'ignore' });
    expect(sha256Hex(readFileSync(plain))).toBe(summary.plaintextSha256);
    const v = await cli(['verify', plain]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^intact: /);
  });

  it("reads age-keygen's identity file, and writes beside the .age file by default", async () => {
    const desk = path.join(dir, 'deputy-desk');
    mkdirSync(desk);
    copyFileSync(bundle, path.join(desk, `${CASE}.tar.gz.age`));
    copyFileSync(`${bundle}.sha256`, path.join(desk, `${CASE}.tar.gz.age.sha256`));
    const r = await cli(['decrypt', path.join(desk, `${CASE}.tar.gz.age`), '--identity', deputyKey, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ output: path.join(desk, `${CASE}.tar.gz`), sha256: summary.plaintextSha256, sidecarChecked: true, verify: { ok: true, case: CASE, problems: [] } });
    expect(readdirSync(desk).sort()).toEqual([`${CASE}.tar.gz`, `${CASE}.tar.gz.age`, `${CASE}.tar.gz.age.sha256`, `${CASE}.tar.gz.sha256`]);
  });

  it('refuses the wrong key with one line, exit 1, and no output file', async () => {
    const dest = path.join(dir, 'stranger-desk');
    const r = await cli(['decrypt', bundle, '--identity', strangerKey, '--out', dest]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^ir-triage: ${CASE}\\.tar\\.gz\\.age is not encrypted to any key in ${strangerKey} \\(tried age1[0-9a-z]{58}\\)\\n$`));
    expect(readdirSync(dest)).toEqual([]);
  });

  it('refuses a truncated file: by its sidecar when there is one, by age itself when there is not', async () => {
    const desk = path.join(dir, 'damaged');
    mkdirSync(desk);
    const cut = path.join(desk, `${CASE}.tar.gz.age`);
    writeFileSync(cut, readFileSync(bundle).subarray(0, statSync(bundle).size - 100));
    copyFileSync(`${bundle}.sha256`, `${cut}.sha256`);
    const withSidecar = await cli(['decrypt', cut, '--identity', officerKey]);
    expect(withSidecar.code).toBe(1);
    expect(withSidecar.stderr).toMatch(new RegExp(`^ir-triage: ${CASE}\\.tar\\.gz\\.age does not match ${CASE}\\.tar\\.gz\\.age\\.sha256 \\(sha256 [0-9a-f]{64}, the sidecar says ${summary.sha256}\\): changed or damaged on the way; nothing was decrypted\\n$`));
    rmSync(`${cut}.sha256`);
    const bare = await cli(['decrypt', cut, '--identity', officerKey]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toMatch(new RegExp(`^ir-triage: ${CASE}\\.tar\\.gz\\.age is damaged or truncated: [^\\n]+; nothing was written\\n$`));
    expect(readdirSync(desk)).toEqual([`${CASE}.tar.gz.age`]);
  });

  it('opens a bundle that age -r encrypted', async () => {
    const desk = path.join(dir, 'by-age');
    mkdirSync(desk);
    const plain = path.join(dir, 'officer-desk', `${CASE}.tar.gz`);
    execFileSync('age', ['-r', officerRecipient, '-o', path.join(desk, `${CASE}.tar.gz.age`), plain]);
    const r = await cli(['decrypt', path.join(desk, `${CASE}.tar.gz.age`), '--identity', officerKey]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`no sidecar ${CASE}.tar.gz.age.sha256: the encrypted file's hash was not checked`);
    expect(r.stdout).toMatch(/^intact: /m);
    expect(sha256Hex(readFileSync(path.join(desk, `${CASE}.tar.gz`)))).toBe(summary.plaintextSha256);
  });

  it('refuses a key on the command line without repeating it', async () => {
    const r = await cli(['decrypt', bundle, '--identity', secrets[0]]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'ir-triage: an age secret key (AGE-SECRET-KEY-…) was given on the command line, where ps and shell history keep it: put it in a file with mode 0600 and pass the file (--identity FILE); treat that key as exposed\n',
    );
    const none = await cli(['decrypt', bundle]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^ir-triage: --identity FILE is required/);
  });

  it('warns when the identity file can be read by others, and still decrypts', async () => {
    const loose = path.join(dir, 'loose.txt');
    copyFileSync(officerKey, loose);
    execFileSync('chmod', ['644', loose]);
    const r = await cli(['decrypt', bundle, '--identity', loose, '--out', path.join(dir, 'loose-desk')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`ir-triage: warning: ${loose} has mode 0644: every user on this machine can access this secret key; chmod 600 ${loose}\n`);
  });

  it('never writes a secret key to stdout or stderr in any of these runs', () => {
    // keygen and collect ran before any test; every run is also checked as it ends (cli()).
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const r of runs) expectNoSecret(r);
  });
});
