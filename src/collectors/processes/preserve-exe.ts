import path from 'node:path';
import type { ProcFs } from '../../host/proc.js';
import type { EvidenceSink } from '../../model/sink.js';
import { parseStat } from './parse-proc.js';
import { errnoCode } from '../../host/errors.js';

/** A file name safe inside the bundle, from an attacker-chosen process name. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 64) || 'exe';
}

/** A copy of a process's executable inside the case. */
export interface PreservedExe {
  path: string;
  sha256: string;
  size: number;
  truncated: boolean;
}

/** `gone`: the process ended or its pid was reused (checked before anything else). */
export type PreserveOutcome = { ok: true; copy: PreservedExe } | { ok: false; gone: boolean; reason: string };

/** What identifies the process whose executable is copied. */
export interface ExeOwner {
  pid: number;
  /** Stat field 22 as first seen: a different value means the pid now belongs to another process. */
  startTicks: number | null;
  /** The exe link's target without " (deleted)"; null when unreadable. */
  exe: string | null;
  comm: string;
}

/**
 * Copies /proc/PID/exe into files/PID-NAME with its sha256 (the lsof step and the kill action
 * share it). Reading through the magic link recovers a binary deleted from disk. The start time is
 * re-checked first: a recycled pid would hand over another program's binary.
 */
export async function preserveExe(proc: ProcFs, sink: EvidenceSink, p: ExeOwner, maxBytes: number): Promise<PreserveOutcome> {
  let same = false;
  try {
    same = parseStat(await proc.readText(`${p.pid}/stat`)).starttime === p.startTicks;
  } catch {
    same = false;
  }
  if (!same) return { ok: false, gone: true, reason: `pid ${p.pid} ended (or was reused) before its executable could be preserved` };
  if (p.exe === null) return { ok: false, gone: false, reason: `pid ${p.pid} has no readable executable (a kernel thread, or no permission)` };
  const base = `files/${p.pid}-${safeName(path.posix.basename(p.exe) || p.comm)}`;
  let rel = base;
  for (let n = 2; sink.has(rel); n++) rel = `${base}-${n}`;
  // O_NOATIME through the magic link too: preserving the binary must not change its access time.
  let handle;
  try {
    handle = await proc.open(`${p.pid}/exe`);
  } catch (err) {
    return { ok: false, gone: false, reason: `could not open /proc/${p.pid}/exe: ${errnoCode(err) ?? (err as Error).message}` };
  }
  try {
    const copy = await sink.copyIn(rel, handle.createReadStream({ autoClose: false }), maxBytes);
    return { ok: true, copy: { path: copy.path, sha256: copy.sha256, size: copy.size, truncated: copy.truncated } };
  } catch (err) {
    return { ok: false, gone: false, reason: `could not copy /proc/${p.pid}/exe: ${errnoCode(err) ?? (err as Error).message}` };
  } finally {
    await handle.close();
  }
}
