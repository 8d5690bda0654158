/**
 * A block of log lines read on the fast path into a compact result (numbers and a table of
 * strings) that crosses to another thread cheaply: what a scanning thread (scan-worker.ts) does
 * with a block while the parser applies the blocks before it in order (AuthAnalysis with
 * workers). Each line's result depends on that line alone (LineScanner), so blocks can be read in
 * any order and on any thread; what depends on the lines before (the year, the pids, the tally)
 * stays with the parser, which reads the results in file order.
 */
import { isAscii } from 'node:buffer';
import { blank, CATALOGUE, type CatalogueEntry, type ClassifiedMessage } from './catalogue.js';
import { LineScanner, type ScannedLine } from './fast-path.js';

/** Numbers per line in ScannedBlock.nums. */
const STRIDE = 24;
/** Line types: a line for the full parser (its text), a line of another program, an sshd line. */
const RAW = 0;
const OTHER = 1;
const SSHD = 2;

const KINDS: readonly ClassifiedMessage['kind'][] = [
  'failed', 'accepted', 'invalid-user', 'max-attempts', 'preauth-disconnect', 'pam-failure', 'session-opened', 'session-closed', 'sudo', 'su',
  'no-identification', 'root-refused', 'kex-failed', 'auth-timeout', 'other',
];
const KIND_CODE = new Map(KINDS.map((k, i) => [k, i]));
const ENTRY = new Map<string, CatalogueEntry>(CATALOGUE.map((e) => [e.id, e]));

/** A block read: per line STRIDE numbers, and the strings they point at. */
export interface ScannedBlock {
  lines: number;
  nums: Float64Array;
  strs: string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/**
 * Lines are decoded a part of a block at a time, up to this many bytes of whole lines: a string of
 * 1 MiB would be made in V8's large-object space, where it stays until a full collection (a
 * gigabyte log leaves hundreds of them waiting, the peak memory); one of 64 KiB dies young.
 */
export const PART_BYTES = 64 * 1024;

/** Where the part of `buf` that starts at `from` ends: after the last \n within PART_BYTES (or the first, for a longer line), else the end. */
export function partEnd(buf: Uint8Array, from: number): number {
  if (buf.length - from <= PART_BYTES) return buf.length;
  const nl = buf.lastIndexOf(0x0a, from + PART_BYTES - 1);
  if (nl >= from) return nl + 1;
  const next = buf.indexOf(0x0a, from + PART_BYTES);
  return next < 0 ? buf.length : next + 1;
}

/** Reads blocks of whole lines (readLineBlocks) into ScannedBlocks. */
export class BlockScanner {
  private readonly scanner = new LineScanner();
  private strs: string[] = [];
  private index = new Map<string, number>();
  private nums = new Float64Array(STRIDE * 4096);

  /** A string of the table; repeated short ones (hosts, users, addresses, stamps) once per block. */
  private str(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strs.length;
      this.strs.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  private opt(s: string | null | undefined): number {
    return s === null || s === undefined ? -1 : this.str(s);
  }

  /** The same lines readSyslogBlocks splits the block into, each read as far as the fast path reads it. */
  scan(block: Uint8Array): ScannedBlock {
    const whole = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    this.strs = [];
    this.index = new Map();
    let n = 0;
    for (let from = 0; from < whole.length;) {
      const to = partEnd(whole, from);
      n = this.scanPart(whole.subarray(from, to), n);
      from = to;
    }
    this.scanner.release();
    const out = { lines: n, nums: this.nums.slice(0, n * STRIDE), strs: this.strs };
    this.strs = [];
    this.index = new Map();
    return out;
  }

  /** The lines of one part of a block, numbered from n; the next n. */
  private scanPart(buf: Buffer, first: number): number {
    let n = first;
    const ascii = isAscii(buf);
    const s = ascii ? buf.toString('latin1') : '';
    const size = buf.length;
    let a = 0;
    while (a < size) {
      const nl = ascii ? s.indexOf('\n', a) : buf.indexOf(0x0a, a);
      const end = nl < 0 ? size : nl;
      const b = end > a && buf[end - 1] === 0x0d ? end - 1 : end;
      if ((n + 1) * STRIDE > this.nums.length) {
        const grown = new Float64Array(this.nums.length * 2);
        grown.set(this.nums);
        this.nums = grown;
      }
      let l: ScannedLine | null = null;
      if (ascii) l = this.scanner.read(s, a, b);
      else {
        const sub = buf.subarray(a, b);
        if (isAscii(sub)) l = this.scanner.read(sub.toString('latin1'), 0, b - a);
      }
      if (l === null || !this.put(l, n * STRIDE)) {
        this.nums[n * STRIDE] = RAW;
        // A new string of its own (not a slice of the block): it crosses to the other thread.
        this.nums[n * STRIDE + 1] = this.strs.push(ascii ? s.slice(a, b) : utf8.decode(buf.subarray(a, b))) - 1;
      }
      n++;
      a = end + 1;
    }
    return n;
  }

  /** The line's numbers at o; false for what they do not carry (then the line goes as text). */
  private put(l: ScannedLine, o: number): boolean {
    const v = this.nums;
    if (l.type === 1) {
      v[o] = OTHER;
      v[o + 1] = this.str(l.program);
      return true;
    }
    const c = l.hit.cls;
    if (c.targetUser !== undefined || c.byUser !== undefined || c.command !== undefined || c.reason !== undefined) return false;
    v[o] = SSHD;
    v[o + 1] = this.str(l.stamp);
    v[o + 2] = l.format === 'rfc3339' ? 1 : 0;
    v[o + 3] = l.month;
    v[o + 4] = l.day;
    v[o + 5] = l.hour;
    v[o + 6] = l.minute;
    v[o + 7] = l.second;
    v[o + 8] = this.str(l.host);
    v[o + 9] = this.str(l.program);
    v[o + 10] = l.pid;
    v[o + 11] = this.strs.push(l.message) - 1;
    v[o + 12] = l.copies;
    v[o + 13] = KIND_CODE.get(c.kind)!;
    v[o + 14] = this.opt(c.method);
    v[o + 15] = this.opt(c.user);
    v[o + 16] = c.invalidUser ? 1 : 0;
    v[o + 17] = this.opt(c.ip);
    v[o + 18] = c.port === null ? -1 : c.port;
    v[o + 19] = this.opt(c.key);
    v[o + 20] = this.opt(c.rhost);
    v[o + 21] = this.opt(c.pamService);
    v[o + 22] = c.pamCount === undefined ? -1 : c.pamCount;
    v[o + 23] = this.opt(l.hit.entry?.id);
    return true;
  }
}

/**
 * A ScannedBlock's lines, in order: `text` for a line the full parser reads, `scanned` (the same
 * object every time) for one the fast path read.
 */
export class BlockReader {
  private readonly line: ScannedLine = {
    type: 1, program: '', format: 'rfc3164', stamp: '', month: 0, day: 0, hour: 0, minute: 0, second: 0, host: '', pid: 0,
    message: '', copies: -1, hit: { cls: blank(), entry: null },
  };

  text: string | null = null;
  scanned: ScannedLine | null = null;

  /** Line k of the block. */
  read(r: ScannedBlock, k: number): void {
    const v = r.nums;
    const t = r.strs;
    const o = k * STRIDE;
    if (v[o] === RAW) {
      this.text = t[v[o + 1]];
      this.scanned = null;
      return;
    }
    const l = this.line;
    this.text = null;
    this.scanned = l;
    if (v[o] === OTHER) {
      l.type = 1;
      l.program = t[v[o + 1]];
      return;
    }
    l.type = 2;
    l.stamp = t[v[o + 1]];
    l.format = v[o + 2] === 1 ? 'rfc3339' : 'rfc3164';
    l.month = v[o + 3];
    l.day = v[o + 4];
    l.hour = v[o + 5];
    l.minute = v[o + 6];
    l.second = v[o + 7];
    l.host = t[v[o + 8]];
    l.program = t[v[o + 9]];
    l.pid = v[o + 10];
    l.message = t[v[o + 11]];
    l.copies = v[o + 12];
    const c = blank(KINDS[v[o + 13]]);
    const s = (i: number) => (i < 0 ? null : t[i]);
    c.method = s(v[o + 14]);
    c.user = s(v[o + 15]);
    c.invalidUser = v[o + 16] === 1;
    c.ip = s(v[o + 17]);
    c.port = v[o + 18] < 0 ? null : v[o + 18];
    c.key = s(v[o + 19]);
    // Set only when present, as the classifier sets them.
    if (v[o + 20] >= 0) c.rhost = t[v[o + 20]];
    if (v[o + 21] >= 0) c.pamService = t[v[o + 21]];
    if (v[o + 22] >= 0) c.pamCount = v[o + 22];
    const entry = v[o + 23] < 0 ? null : ENTRY.get(t[v[o + 23]]) ?? null;
    l.hit = { cls: c, entry };
  }
}
