/**
 * Every test file gets a record-key folder and a temporary folder of its own (IR_TRIAGE_STATE_DIR, inherited by the CLI
 * runs it spawns): actions never write /var/lib/ir-triage from a test, and no test depends on a
 * key another one made.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { STATE_DIR_ENV } from '../../src/actions/record-key.js';
import { removeTmpDirs } from './bundle.js';

const stateRoot = mkdtempSync(path.join(os.tmpdir(), 'irt-state-'));
process.env[STATE_DIR_ENV] = path.join(stateRoot, 'state');

// Every test file gets a temporary folder of its own (TMPDIR, which os.tmpdir() and the CLI runs
// it spawns follow), removed with what is in it when the file ends: live collects of other files
// sweep /tmp, and no test leaves anything behind.
const fileTmp = mkdtempSync(path.join(os.tmpdir(), 'irt-f-'));
// As /tmp itself (sticky, writable by all): the tests that switch to an unprivileged user need it.
chmodSync(fileTmp, 0o1777);
process.env.TMPDIR = fileTmp;

afterAll(() => {
  removeTmpDirs();
  for (const dir of [fileTmp, stateRoot]) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // An immutable file (chattr +i) or a busy mount: left for the machine's own /tmp cleaning.
    }
  }
});
