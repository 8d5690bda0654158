import { createHash } from 'node:crypto';
import type { ProcFs } from '../../host/proc.js';
import type { ProcessRecord } from '../../model/processes.js';
import { sourceOk, type SourceStatus } from '../../model/source.js';
import type { CollectContext } from '../types.js';
import { mapLimit } from '../../model/concurrency.js';

/** Larger executables are not hashed (the cap is recorded): no legitimate binary comes close. */
const MAX_HASH_BYTES = 1024 * 1024 * 1024;

/** Read with O_NOATIME: hashing a running scanner must not move its access time to now. */
async function hashStream(proc: ProcFs, rel: string): Promise<string | null> {
  const handle = await proc.open(rel);
  try {
    const hash = createHash('sha256');
    // One buffer read into again and again: a 100 MB executable is not a hundred buffers for the
    // garbage collector.
    const buf = Buffer.allocUnsafe(1 << 20);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, size);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > MAX_HASH_BYTES) return null;
      hash.update(buf.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/**
 * sha256 of the executable of every running process, read through /proc/PID/exe (so a deleted
 * binary is hashed too), once per distinct file (device and inode), not once per process; `self`
 * (this tool and its children) left out.
 */
export async function hashExecutables(ctx: CollectContext, records: ProcessRecord[], sources: SourceStatus[], self: ReadonlySet<number> = new Set()): Promise<void> {
  const proc = ctx.host.proc!;
  const byFile = new Map<string, ProcessRecord[]>();
  let unreadable = 0;
  for (const r of records) {
    // This tool's own processes (itself, the commands it runs) are not the box's: their
    // executables are hashed only when a process of the box runs the same file.
    if (r.exe === null) continue;
    try {
      const st = proc.statSync(`${r.pid}/exe`);
      const key = `${st.dev}:${st.ino}`;
      byFile.set(key, [...(byFile.get(key) ?? []), r]);
    } catch {
      unreadable++;
    }
  }
  for (const [key, group] of byFile) if (group.every((r) => self.has(r.pid))) byFile.delete(key);
  let tooBig = 0;
  await mapLimit([...byFile.values()], 4, async (group) => {
    for (const r of group) {
      try {
        const sha = await hashStream(proc, `${r.pid}/exe`);
        if (sha === null) tooBig++;
        for (const g of group) g.exeSha256 = sha;
        return;
      } catch {
        // That process ended: try the next one sharing the file.
      }
    }
  });
  const notes = [`${byFile.size} distinct executables hashed`];
  if (unreadable) notes.push(`${unreadable} unreadable`);
  if (tooBig) notes.push(`${tooBig} over ${MAX_HASH_BYTES} bytes, not hashed`);
  sources.push(sourceOk('processes.exe-hashes', 'artifacts/processes.jsonl', notes.join(', ')));
}
