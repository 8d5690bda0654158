import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandOk, runCommand, TailKeeper } from '../../src/host/exec.js';

/** Running, as opposed to gone or a zombie waiting for a reaper. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

describe('runCommand', () => {
  it('returns output, exit code and duration of a real command', async () => {
    const r = await runCommand({ name: 'echo', argv: ['sh', '-c', 'printf hello; echo oops >&2; exit 3'] });
    expect(r.stdout.toString()).toBe('hello');
    expect(r.stderr).toBe('oops\n');
    expect(r.exitCode).toBe(3);
    expect(r.error).toBeNull();
    expect(commandOk(r)).toBe(false);
    expect(commandOk(r, [3])).toBe(true);
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.argv).toEqual(['sh', '-c', 'printf hello; echo oops >&2; exit 3']);
  });

  it('runs with the system PATH and the C locale, not the caller environment', async () => {
    process.env.IRT_SECRET_FOR_TEST = 'must-not-leak';
    const r = await runCommand({ name: 'env', argv: ['env'] });
    delete process.env.IRT_SECRET_FOR_TEST;
    const env = r.stdout.toString();
    expect(env).toMatch(/^PATH=\/usr\/local\/sbin:/m);
    expect(env).toMatch(/^LC_ALL=C$/m);
    expect(env).not.toMatch(/must-not-leak/);
  });

  it('says a missing tool is not installed, without throwing', async () => {
    const r = await runCommand({ name: 'x', argv: ['no-such-tool-irt-test'] });
    expect(r.notInstalled).toBe(true);
    expect(r.error).toMatch(/not installed/);
    expect(r.exitCode).toBeNull();
  });

  it('kills the whole process group at the timeout, grandchildren included', async () => {
    // The grandchild holds stdout open: without a group kill we would wait for it.
    const r = await runCommand({ name: 'hang', argv: ['sh', '-c', 'sleep 30 & echo $!; wait'], timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.error).toMatch(/timed out after 300 ms/);
    const grandchild = Number(r.stdout.toString().trim());
    expect(grandchild).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 200));
    expect(alive(grandchild)).toBe(false);
  });

  it('cuts output at the cap and records the truncation', async () => {
    const r = await runCommand({ name: 'big', argv: ['head', '-c', '100000', '/dev/zero'], maxBytes: 1000 });
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(1000);
  });

  it("keep 'tail': runs the command to its end and keeps the newest lines within the cap, saying where they start", async () => {
    // 200,000 numbered lines, about 1.3 MB: far more than the cap and than one pipe chunk.
    const r = await runCommand({ name: 'seq', argv: ['seq', '1', '200000'], maxBytes: 10_000, keep: 'tail' });
    const whole = Array.from({ length: 200_000 }, (_, i) => `${i + 1}\n`).join('');
    expect(r.exitCode).toBe(0);
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBeLessThanOrEqual(10_000);
    expect(r.stdout.length).toBeGreaterThan(10_000 - 8);
    expect(r.tailCut).toEqual({ size: whole.length, fromByte: whole.length - r.stdout.length, fromLine: Number(r.stdout.toString().split('\n')[0]), atLineStart: true });
    expect(whole.endsWith(r.stdout.toString())).toBe(true);
    expect(whole[whole.length - r.stdout.length - 1]).toBe('\n');
    // Within the cap: everything, no cut.
    const small = await runCommand({ name: 'seq', argv: ['seq', '1', '10'], maxBytes: 10_000, keep: 'tail' });
    expect(small.stdout.toString()).toBe(Array.from({ length: 10 }, (_, i) => `${i + 1}\n`).join(''));
    expect(small.truncated).toBe(false);
    expect(small.tailCut).toBeUndefined();
  });

  it('TailKeeper: a cut at a chunk boundary that is a line start, and one line longer than the cap', () => {
    const k = new TailKeeper(4);
    for (const c of ['aa\n', 'bb\n', 'cc\n']) k.push(Buffer.from(c));
    expect(k.result()).toEqual({ data: Buffer.from('cc\n'), cut: { size: 9, fromByte: 6, fromLine: 3, atLineStart: true } });
    const long = new TailKeeper(4);
    long.push(Buffer.from('a\nbbbbbbbbbb'));
    expect(long.result()).toEqual({ data: Buffer.from('bbbb'), cut: { size: 12, fromByte: 8, fromLine: 2, atLineStart: false } });
  });

  it('stops a command when the run is interrupted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runCommand({ name: 'sleep', argv: ['sleep', '30'] }, ac.signal);
    expect(r.signal).toBe('SIGKILL');
    expect(r.error).toBe('interrupted');
  });
});
