// The file sweep on a fake root of 200 000 files (collect --root): /tmp, /dev/shm, a home and /etc
// spread over nested folders, a tenth of them executable, all inside the window (just written).
// Goal: at most 3 s and bounded memory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, REPO, machine, median, writeSection } from './lib.mjs';

const FILES = Number(process.env.SWEEP_FILES ?? 200_000);
const base = mkdtempSync(path.join(os.tmpdir(), 'irt-bench-sweep-'));
const root = path.join(base, 'root');
try {
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n');
  const places = ['tmp', 'dev/shm', 'home/alice', 'etc', 'var/tmp'];
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(root, places[i % places.length], `d${Math.floor(i / 1000)}`, `e${i % 10}`);
    if (i % 1000 < 10) mkdirSync(dir, { recursive: true });
    const f = path.join(dir, `f${i}`);
    writeFileSync(f, i % 10 === 0 ? '#!/bin/sh\necho hi\n' : 'data\n');
    if (i % 10 === 0) chmodSync(f, 0o755);
  }
  const out = path.join(base, 'out');
  mkdirSync(out);
  let n = 0;
  const r = median(() => ['node', BIN, 'collect', '--root', root, '--playbook', path.join(REPO, 'bench/file-sweep-only.yaml'), '--out', out, '--case', `s${n++}`], 3);
  console.log(`${FILES} files: ${r.wallS.toFixed(2)} s, ${r.rssMiB.toFixed(0)} MiB peak`);
  writeSection('The file sweep', `\`bench/file-sweep.bench.mjs\`: \`collect --root\` with only the file-sweep step on a fake root of ${FILES} files in /tmp, /dev/shm, /var/tmp, a home and /etc (a tenth executable scripts, all inside the window, so every one is recorded up to the 50 000 cap, read for its first bytes and hashed when executable). Median of 3 on ${machine()}.\n\n| files | wall | peak memory |\n|---|---|---|\n| ${FILES} | ${r.wallS.toFixed(2)} s | ${r.rssMiB.toFixed(0)} MiB |\n`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
