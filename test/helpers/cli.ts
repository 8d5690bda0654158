import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO, 'bin/ir-triage.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a subprocess (npm test builds it first), stdin closed, no terminal. */
export function runCli(args: string[], opts: SpawnOptions & { onSpawn?: (pid: number) => void; prefix?: string[] } = {}): Promise<CliRun> {
  const { onSpawn, prefix = [], ...spawnOpts } = opts;
  const argv = [...prefix, process.execPath, BIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    if (child.pid) onSpawn?.(child.pid);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export const isRoot = typeof process.geteuid === 'function' && process.geteuid() === 0;

/**
 * The shared corpus of real sshd logs (read in place, never copied into the repository): beside
 * the checkout, or where the workplace keeps it; null when neither is there (the tests that read
 * it say they skipped).
 */
export const CORPUS: string | null = [path.resolve(REPO, '../shared/corpus'), '/work/shared/corpus'].find((d) => existsSync(path.join(d, 'loghub'))) ?? null;
