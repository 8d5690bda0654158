// Bundle encryption on a large case: a case holding one incompressible file of BENCH_MIB MiB
// (default 200: a preserved binary, say) sealed as a plain .tar.gz and as a .tar.gz.age; the
// officer's `ir-triage decrypt` of it; the age tool on the same bytes; and, for comparison, the
// library's in-memory call (encrypt of a Uint8Array) that sealing deliberately does not use.
// Prints a table; the numbers are copied into docs/encryption.md by hand.
//   BENCH_MIB   size of the file in the case, in MiB (default 200)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, machine, median as medianOf, REPO, table } from './lib.mjs';

const MIB = Number(process.env.BENCH_MIB ?? 200);
const dir = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-enc-'));
const big = path.join(dir, 'big.bin');
const dist = (p) => JSON.stringify(path.join(REPO, 'dist', p));
const age = JSON.stringify(path.join(REPO, 'node_modules/age-encryption/dist/index.js'));

/** The median of 3 runs; a run that failed stops the benchmark. */
function median(argv) {
  const m = medianOf(argv);
  if (m.status !== 0) throw new Error(`exit ${m.status}: ${(typeof argv === 'function' ? argv() : argv).slice(0, 4).join(' ')}`);
  return m;
}

try {
  execFileSync('head', ['-c', `${MIB}M`, '/dev/urandom'], { stdio: ['ignore', (await import('node:fs')).openSync(big, 'w'), 'inherit'] });
  const key = path.join(dir, 'key.txt');
  execFileSync('age-keygen', ['-o', key], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', key], { encoding: 'utf8' }).trim();
  let n = 0;

  /** A node process that stages big.bin into a fresh case (streamed) and seals it. */
  const seal = (encrypt) => () => {
    const out = path.join(dir, `seal-${n++}`);
    const code = `
      import { createReadStream } from 'node:fs';
      import { CaseStore } from ${dist('evidence/store.js')};
      import { sealCase } from ${dist('evidence/bundle.js')};
      const store = await CaseStore.create(${JSON.stringify(out)}, 'BENCH');
      store.custody.append('ir-triage', 'case-opened', {});
      await store.copyIn('files/big.bin', createReadStream(${JSON.stringify(big)}), 2 ** 40);
      await sealCase(store, { case: 'BENCH', sources: [] }, ${encrypt ? `{ encryptTo: [${JSON.stringify(recipient)}] }` : '{}'});`;
    return [process.execPath, '--input-type=module', '-e', code];
  };
  const plainSeal = median(seal(false));
  const encSeal = median(seal(true));
  const sealed = path.join(dir, `seal-${n - 1}`, 'BENCH.tar.gz.age');
  const ageBytes = statSync(sealed).size;

  const decrypt = median(() => [process.execPath, BIN, 'decrypt', sealed, '--identity', key, '--out', path.join(dir, `dec-${n++}`)]);
  const ageEncrypt = median(() => ['age', '-r', recipient, '-o', path.join(dir, `age-${n++}.age`), big]);
  const ageDecrypt = median(() => ['age', '-d', '-i', key, '-o', path.join(dir, `agedec-${n++}`), sealed]);
  const inMemory = median(() => [
    process.execPath,
    '--input-type=module',
    '-e',
    `import { readFileSync } from 'node:fs'; import { Encrypter } from ${age};
     const e = new Encrypter(); e.addRecipient(${JSON.stringify(recipient)});
     const c = await e.encrypt(readFileSync(${JSON.stringify(big)})); if (!c.length) process.exit(1);`,
  ]);

  console.log(`${machine()}; one incompressible file of ${MIB} MiB in the case; the .age is ${(ageBytes / 2 ** 20).toFixed(1)} MiB. Median of 3 runs.\n`);
  console.log(
    table([
      ['seal without encryption: tar.gz and its sidecar (collect verifies it afterwards)', plainSeal],
      ['seal with `--encrypt-to`: tar.gz in the staging folder, verify, stream through age, re-read the .age', encSeal],
      ['`ir-triage decrypt` (sidecar check, streamed decryption, fresh sidecar, verify)', decrypt],
      ['`age -r` of the same file (Go, for comparison)', ageEncrypt],
      ['`age -d` of the sealed .age (Go, for comparison)', ageDecrypt],
      ['the library\'s in-memory `encrypt(Uint8Array)` of the same file (not used)', inMemory],
    ]),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
