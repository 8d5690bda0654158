import {
  closeSync,
  constants,
  createWriteStream,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  promises as fsp,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
  type WriteStream,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { errnoCode } from '../host/errors.js';

/**
 * The one place ir-triage creates files and folders. Its outputs often land in a folder someone
 * else can write (the current folder, /tmp, a user's home), where a name can be planted before
 * the run or swapped during it. So: every file is created new (O_CREAT | O_EXCL | O_NOFOLLOW: an
 * existing name, a symbolic link or a hard link alike, is an error, never written through);
 * every folder is created new with mkdir and then held by a descriptor (O_NOFOLLOW, owner checked
 * on the descriptor), and what goes inside it is reached through /proc/self/fd/<fd>/, so renaming
 * the folder away and planting a link in its place changes nothing; a finished file reaches its
 * name with link(2), which fails on an existing name where rename(2) would replace it.
 */

/** Flags of every file ir-triage creates. */
export const NEW_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;

/** Opens a new file for writing; fails with EEXIST on any existing name (a link included). */
export function createNewFile(file: string, mode: number): Promise<FileHandle> {
  return fsp.open(file, NEW_FILE_FLAGS, mode);
}

export function createNewFileSync(file: string, mode: number): number {
  return openSync(file, NEW_FILE_FLAGS, mode);
}

/** A whole new file at once (small files: sidecars, records, reports). */
export async function writeNewFile(file: string, data: string | Uint8Array, mode: number): Promise<void> {
  const fh = await createNewFile(file, mode);
  try {
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}

/** A write stream on a new file. */
export function createNewWriteStream(file: string, mode: number): WriteStream {
  const fd = createNewFileSync(file, mode);
  return createWriteStream(file, { fd });
}

/** A writable stream on an open file that leaves closing (and syncing) to its owner. */
export function writableTo(fh: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      fh.write(chunk).then(() => done(), done);
    },
  });
}

/** Appends to a file this process created (custody log): never creates, never follows a link. */
export function appendToOwnFileSync(file: string, text: string): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.from(text, 'utf8');
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
  } finally {
    closeSync(fd);
  }
}

/**
 * Folders under `base` (a folder of ours, private), one level at a time: an existing component
 * must be a real folder, never a link.
 */
export function makeFolderTree(base: string, rel: string, mode = 0o700): void {
  let dir = base;
  for (const part of rel.split('/').filter((p) => p !== '' && p !== '.')) {
    dir = path.join(dir, part);
    try {
      mkdirSync(dir, { mode });
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      if (!lstatSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} exists and is not a folder`), { code: 'ENOTDIR' });
    }
  }
}

/**
 * mkdir -p of the folder the user named (--out), one level at a time: Node's recursive mkdir can
 * spin forever on a pseudo filesystem such as /proc, and an --out there must fail, not hang.
 */
export async function makeUserFolders(dir: string, mode?: number, depth = 0): Promise<void> {
  try {
    await fsp.mkdir(dir, { mode });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || depth > 64 || path.dirname(dir) === dir) throw err;
    await makeUserFolders(path.dirname(dir), mode, depth + 1);
    await fsp.mkdir(dir, { mode });
  }
}

/** A fresh private folder (mode 0700, a random name) for scratch files, e.g. under the system's temporary folder. */
export function makeTempFolder(prefix: string): Promise<string> {
  return fsp.mkdtemp(prefix);
}

const euid = (): number | null => (typeof process.geteuid === 'function' ? process.geteuid() : null);

/** Errors the file systems without hard links (FAT, exFAT) give link(2). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * A folder held open by a descriptor. `path` is its name for messages; `io` is how it is reached
 * for work: /proc/self/fd/<fd>, which is the folder itself wherever it was moved, or the plain
 * path where /proc is missing.
 */
export class OutputFolder {
  private closed = false;

  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly io: string,
    private readonly parent: OutputFolder | null,
    private readonly name: string | null,
  ) {}

  /** Holds a folder the user named (following links in its path: that is the user's choice). */
  static open(dir: string): OutputFolder {
    const abs = path.resolve(dir);
    const fd = openSync(abs, DIR_FLAGS);
    return new OutputFolder(abs, fd, ioPath(fd, abs), null, null);
  }

  /** The name of an entry for messages. */
  show(name: string): string {
    return path.join(this.path, name);
  }

  /** The path that reaches an entry through the held folder. */
  at(name: string): string {
    return path.join(this.io, name);
  }

  /** Is the name taken, by anything (a dangling link too)? */
  has(name: string): boolean {
    try {
      lstatSync(this.at(name));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Creates a new folder `name` here (mkdir: an existing name fails with EEXIST) and holds it:
   * opened without following a link, and refused unless the descriptor shows a folder we own.
   */
  makeFolder(name: string, mode = 0o700): OutputFolder {
    mkdirSync(this.at(name), { mode });
    return this.hold(name);
  }

  /** A new folder with a random name (mkdtemp, mode 0700), held as makeFolder holds one. */
  makePrivateFolder(prefix = '.ir-triage-'): OutputFolder {
    const made = mkdtempSync(this.at(prefix));
    return this.hold(path.basename(made));
  }

  private hold(name: string): OutputFolder {
    const replaced = () => Object.assign(new Error(`${this.show(name)} was replaced while it was being created`), { code: 'EREPLACED' });
    let fd: number;
    try {
      fd = openSync(this.at(name), DIR_FLAGS | constants.O_NOFOLLOW);
    } catch (err) {
      const code = errnoCode(err);
      throw code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENOENT' ? replaced() : err;
    }
    const st = fstatSync(fd);
    const uid = euid();
    if (!st.isDirectory() || (uid !== null && st.uid !== uid) || (st.mode & 0o022) !== 0) {
      closeSync(fd);
      throw replaced();
    }
    return new OutputFolder(this.show(name), fd, ioPath(fd, this.show(name)), this, name);
  }

  /**
   * Writes a new file `name` here: first under a private folder of its own, then linked to its
   * name when whole (link fails on an existing name; rename would replace it). A failure leaves
   * nothing behind; an existing name is EEXIST. On a file system without hard links (FAT), the
   * whole file is renamed to its name if it is still free (such a file system has no links to plant).
   */
  async publish<T>(name: string, mode: number, write: (fh: FileHandle) => Promise<T>): Promise<T> {
    if (this.has(name)) throw Object.assign(new Error(`${this.show(name)} already exists`), { code: 'EEXIST', path: this.show(name) });
    const scratch = this.makePrivateFolder();
    try {
      const fh = await createNewFile(scratch.at(name), mode);
      let result: T;
      try {
        result = await write(fh);
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        linkSync(scratch.at(name), this.at(name));
      } catch (err) {
        if (!NO_HARD_LINKS.has(errnoCode(err) ?? '') || this.has(name)) throw err;
        renameSync(scratch.at(name), this.at(name));
      }
      return result;
    } finally {
      scratch.remove();
    }
  }

  /** Writes a small new file straight at its name (O_EXCL | O_NOFOLLOW). */
  writeFile(name: string, data: string | Uint8Array, mode: number): Promise<void> {
    return writeNewFile(this.at(name), data, mode);
  }

  /**
   * Removes a folder this process made and everything in it: the content through the descriptor
   * (nobody else can write inside a 0700 folder of ours), then the name, if it is still this folder.
   */
  remove(): void {
    if (this.closed) return;
    for (const entry of readdirSync(this.io)) rmSync(this.at(entry), { recursive: true, force: true });
    const st = fstatSync(this.fd);
    this.close();
    if (!this.parent || this.name === null) return;
    const named = this.parent.at(this.name);
    try {
      const now = lstatSync(named);
      if (now.isDirectory() && now.ino === st.ino && now.dev === st.dev) rmdirSync(named);
    } catch {
      // Already gone, or renamed away: what was ours inside it is removed.
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** /proc/self/fd/<fd> when it leads to the folder the descriptor holds; else the plain path. */
function ioPath(fd: number, plain: string): string {
  const proc = `/proc/self/fd/${fd}`;
  try {
    const a = statSync(proc);
    const b = fstatSync(fd);
    if (a.dev === b.dev && a.ino === b.ino) return proc;
  } catch {
    // No /proc (a minimal container): the path is all there is.
  }
  return plain;
}

/** publish() for a file named by path: its folder is held for the time of the write. */
export async function publishNewFile<T>(file: string, mode: number, write: (fh: FileHandle) => Promise<T>): Promise<T> {
  const folder = OutputFolder.open(path.dirname(path.resolve(file)));
  try {
    return await folder.publish(path.basename(file), mode, write);
  } finally {
    folder.close();
  }
}
