import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { openNoAtime, readHandle, type ReadResult } from './rooted-fs.js';

/**
 * The kernel's process and socket tables. Live, `dir` is /proc and its magic links (exe, cwd, fd)
 * are followed as the kernel means them; in tests it is a fake tree of plain files and links.
 */
export class ProcFs {
  constructor(readonly dir: string) {}

  path(...parts: Array<string | number>): string {
    return path.join(this.dir, ...parts.map(String));
  }

  async readFile(rel: string, maxBytes = 16 * 1024 * 1024): Promise<ReadResult> {
    const handle = await openNoAtime(this.path(rel));
    try {
      return await readHandle(handle, maxBytes);
    } finally {
      await handle.close();
    }
  }

  async readText(rel: string, maxBytes?: number): Promise<string> {
    return (await this.readFile(rel, maxBytes)).data.toString('utf8');
  }

  async readlink(rel: string): Promise<string> {
    return fsp.readlink(this.path(rel));
  }

  async readdir(rel = ''): Promise<string[]> {
    return fsp.readdir(this.path(rel));
  }

  /** Numeric entries of /proc: the thread-group ids the kernel lists. */
  async pids(): Promise<number[]> {
    const names = await this.readdir();
    return names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  }
}
