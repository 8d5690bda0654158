/**
 * Every test file gets a record-key folder of its own (IR_TRIAGE_STATE_DIR, inherited by the CLI
 * runs it spawns): actions never write /var/lib/ir-triage from a test, and no test depends on a
 * key another one made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { STATE_DIR_ENV } from '../../src/actions/record-key.js';
import { removeTmpDirs } from './bundle.js';

const stateRoot = mkdtempSync(path.join(os.tmpdir(), 'irt-state-'));
process.env[STATE_DIR_ENV] = path.join(stateRoot, 'state');

// Each test file removes the temporary folders it made (tmpDir) and its state folder when it ends.
afterAll(() => {
  removeTmpDirs();
  rmSync(stateRoot, { recursive: true, force: true });
});
