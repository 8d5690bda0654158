import { closeSync, openSync, promises as fsp, readdirSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { openNoAtime, readAndClose, type ReadResult } from './rooted-fs.js';

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
    return readAndClose(await openNoAtime(this.path(rel)), maxBytes);
  }

  async readText(rel: string, maxBytes?: number): Promise<string> {
    return (await this.readFile(rel, maxBytes)).data.toString('utf8');
  }

  /**
   * Synchronous reads for the per-process walk: thousands of tiny /proc files are read far faster
   * with direct syscalls than through the thread pool, and /proc has no access times to keep.
   */
  readFileSync(rel: string, maxBytes = 16 * 1024 * 1024): Buffer {
    const fd = openSync(this.path(rel), 'r');
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      let size = 4096;
      for (;;) {
        const buf = Buffer.allocUnsafe(Math.min(size, maxBytes - total));
        if (buf.length === 0) break;
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        total += n;
        size = Math.min(size * 2, 1024 * 1024);
      }
      return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    } finally {
      closeSync(fd);
    }
  }

  readTextSync(rel: string, maxBytes?: number): string {
    return this.readFileSync(rel, maxBytes).toString('utf8');
  }

  readlinkSync(rel: string): string {
    return readlinkSync(this.path(rel));
  }

  readdirSync(rel = ''): string[] {
    return readdirSync(this.path(rel));
  }

  async readlink(rel: string): Promise<string> {
    return fsp.readlink(this.path(rel));
  }

  /** stat() through the entry: for pid/exe, the file the process runs, however it is named now. */
  async stat(rel: string): Promise<Stats> {
    return fsp.stat(this.path(rel));
  }

  /** statSync through the entry (the per-process walk's speed; see readFileSync). */
  statSync(rel: string): Stats {
    return statSync(this.path(rel));
  }

  /** stat through the entry answers (no ENOENT), synchronously: the pid walk's direct lookup of PID/stat. */
  statsSync(rel: string): boolean {
    return statSync(this.path(rel), { throwIfNoEntry: false }) !== undefined;
  }

  /** The entry exists and is reachable now (a process still there: its pid/stat). */
  async exists(rel: string): Promise<boolean> {
    try {
      await fsp.access(this.path(rel));
      return true;
    } catch {
      return false;
    }
  }

  /** Opens read-only with O_NOATIME: through pid/exe, the file the process runs, even deleted. */
  async open(rel: string): Promise<FileHandle> {
    return openNoAtime(this.path(rel));
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
