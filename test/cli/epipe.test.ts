import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';

describe('output piped into a reader that stops early', () => {
  it('help piped into a reader that reads nothing: nothing on stderr, exit 0 (no EPIPE stack trace)', () => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" help collect | true`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('help piped into head -1: the first line', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" help collect | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toBe('Usage: ir-triage collect [options]\n');
    expect(r.stderr).toBe('');
  });
});
