import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { ActionContext } from '../../src/actions/types.js';
import { CaseStore } from '../../src/evidence/store.js';
import { createHostContext, type HostOptions } from '../../src/host/context.js';
import { tmpDir } from '../helpers/bundle.js';

export interface Custody {
  event: string;
  details: Record<string, unknown>;
}

/** An action context on this machine, with a real case store in a fresh folder. */
export async function actionContext(over: { force?: boolean; maxFileBytes?: number; host?: HostOptions } = {}): Promise<{ ctx: ActionContext; store: CaseStore; events: Custody[] }> {
  const store = await CaseStore.create(tmpDir('irt-act-'), 'T');
  const events: Custody[] = [];
  const ctx: ActionContext = {
    host: createHostContext(over.host ?? {}),
    sink: store,
    custody: (event, details) => {
      events.push({ event, details });
      store.custody.append('test', event, details);
    },
    facts: {},
    maxFileBytes: over.maxFileBytes ?? 64 * 1024 * 1024,
    force: over.force ?? false,
  };
  return { ctx, store, events };
}

/** State letter and ppid from /proc/PID/stat (comm may hold spaces: parse after the last ')'). */
export function procState(pid: number): { state: string; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirNumeric()) {
    if (procState(name)?.ppid === pid) out.push(name);
  }
  return out.sort((a, b) => a - b);
}

function readdirNumeric(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

export async function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Spawns a process in its own group, so the test can always clean the whole tree up. */
export function spawnGroup(cmd: string, args: string[]): ChildProcess {
  return spawn(cmd, args, { stdio: 'ignore', detached: true });
}

export function killGroup(child: ChildProcess | undefined): void {
  if (!child?.pid) return;
  for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
    try {
      process.kill(-child.pid, sig);
    } catch {
      // gone
    }
  }
}
