/**
 * Every test file gets a record-key folder of its own (IR_TRIAGE_STATE_DIR, inherited by the CLI
 * runs it spawns): actions never write /var/lib/ir-triage from a test, and no test depends on a
 * key another one made.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STATE_DIR_ENV } from '../../src/actions/record-key.js';

process.env[STATE_DIR_ENV] = path.join(mkdtempSync(path.join(os.tmpdir(), 'irt-state-')), 'state');
