/**
 * Pure parser for glibc x86_64 utmp/wtmp/btmp files (struct utmp, 384 bytes, little-endian).
 *
 * Layout (glibc 2.36, x86_64, __WORDSIZE_TIME64_COMPAT32 = 1):
 *   ut_type int16 @0 (2 bytes padding), ut_pid int32 @4, ut_line char[32] @8, ut_id char[4] @40,
 *   ut_user char[32] @44, ut_host char[256] @76, ut_exit {int16 e_termination, int16 e_exit} @332,
 *   ut_session int32 @336, ut_tv {int32 tv_sec @340, int32 tv_usec @344},
 *   ut_addr_v6 16 bytes @348 (network order), __glibc_reserved[20] @364.
 *
 * String fields are NUL-padded but not always NUL-terminated: a value that fills the field (a
 * 32-byte user name) has no NUL. Each is decoded up to the first NUL or the end of the field, as
 * UTF-8; byte sequences that are not valid UTF-8 become U+FFFD (the same rule as ProcessRecord.argv),
 * so decoding never throws. Nothing in this file touches the filesystem.
 */
import type { UtmpRecord } from '../../model/logins.js';

/** Size of one struct utmp on x86_64 glibc. */
export const UTMP_RECORD_SIZE = 384;

export const UT_TYPE_NAMES: readonly string[] = [
  'EMPTY', 'RUN_LVL', 'BOOT_TIME', 'NEW_TIME', 'OLD_TIME',
  'INIT_PROCESS', 'LOGIN_PROCESS', 'USER_PROCESS', 'DEAD_PROCESS', 'ACCOUNTING',
];

export const UT = {
  EMPTY: 0, RUN_LVL: 1, BOOT_TIME: 2, NEW_TIME: 3, OLD_TIME: 4,
  INIT_PROCESS: 5, LOGIN_PROCESS: 6, USER_PROCESS: 7, DEAD_PROCESS: 8, ACCOUNTING: 9,
} as const;

export interface ParsedUtmp {
  /** The file name that was passed in (relative to the root). */
  file: string;
  /** Every whole record that is not all zero bytes, in file order. */
  records: UtmpRecord[];
  /** Bytes after the last whole record (file size not a multiple of 384); 0 for a sound file. */
  trailingBytes: number;
  /** Indexes (0-based) of records that are entirely zero bytes; they are not in `records`. */
  zeroRecords: number[];
}

/** ut_type number to name: EMPTY … ACCOUNTING, UNKNOWN_n otherwise. */
export function utTypeName(type: number): string {
  return UT_TYPE_NAMES[type] ?? `UNKNOWN_${type}`;
}

/**
 * Seconds + microseconds to ISO 8601 UTC with six fractional digits (2024-01-02T03:04:05.123456Z).
 * A usec outside 0..999999 (a damaged record) is carried into the seconds so the result stays valid.
 */
export function isoMicros(sec: number, usec: number): string {
  let s = sec;
  let u = usec;
  if (u < 0 || u >= 1_000_000) {
    s += Math.floor(u / 1_000_000);
    u = ((u % 1_000_000) + 1_000_000) % 1_000_000;
  }
  const base = new Date(s * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${base.slice(0, 19)}.${String(u).padStart(6, '0')}Z`;
}

/** Microseconds since the epoch (wtmpdb) to ISO 8601 UTC with six fractional digits. */
export function isoFromMicros(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  return isoMicros(sec, us - sec * 1_000_000);
}

/** Decode a NUL-padded char[] field: up to the first NUL or the field end, UTF-8 with U+FFFD. */
export function cString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('utf8');
}

/**
 * Format 16 bytes of ut_addr_v6: null when all zero; IPv4 dotted quad of bytes 0..3 when bytes
 * 4..15 are zero; otherwise IPv6 in the form glibc inet_ntop prints (RFC 5952 compression of the
 * leftmost longest run of two or more zero groups, lowercase hex, and the embedded-IPv4 forms
 * ::a.b.c.d and ::ffff:a.b.c.d), which is what utmpdump prints.
 */
export function formatUtAddr(b: Uint8Array): string | null {
  if (b.length < 16) return null;
  let tailZero = true;
  for (let i = 4; i < 16; i++) if (b[i] !== 0) tailZero = false;
  if (tailZero) {
    if (b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0) return null;
    return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  }
  return inetNtop6(b);
}

/** IPv6 text exactly as glibc inet_ntop(AF_INET6) prints it. */
export function inetNtop6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[2 * i] << 8) | b[2 * i + 1]);
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;

  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // Encapsulated IPv4: ::a.b.c.d or ::ffff:a.b.c.d (glibc inet_ntop6).
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += words[i].toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

function isAllZero(buf: Buffer, offset: number, length: number): boolean {
  for (let i = offset; i < offset + length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Decode one 384-byte record starting at `off`. */
export function decodeUtmpRecord(buf: Buffer, off: number, file: string, index: number): UtmpRecord {
  const type = buf.readInt16LE(off);
  const sec = buf.readInt32LE(off + 340);
  const usec = buf.readInt32LE(off + 344);
  return {
    file,
    index,
    type,
    typeName: utTypeName(type),
    pid: buf.readInt32LE(off + 4),
    line: cString(buf, off + 8, 32),
    id: cString(buf, off + 40, 4),
    user: cString(buf, off + 44, 32),
    host: cString(buf, off + 76, 256),
    addr: formatUtAddr(buf.subarray(off + 348, off + 364)),
    exitTermination: buf.readInt16LE(off + 332),
    exitStatus: buf.readInt16LE(off + 334),
    session: buf.readInt32LE(off + 336),
    time: isoMicros(sec, usec),
    sec,
    usec,
  };
}

/**
 * Parse a utmp/wtmp/btmp file image. Every whole 384-byte record is read; bytes after the last
 * whole record are counted in `trailingBytes`; records that are all zero bytes (a wiped slot, a
 * classic log-cleaner trace) are listed in `zeroRecords` and not emitted.
 */
export function parseUtmp(buf: Buffer, file: string): ParsedUtmp {
  const whole = Math.floor(buf.length / UTMP_RECORD_SIZE);
  const records: UtmpRecord[] = [];
  const zeroRecords: number[] = [];
  for (let i = 0; i < whole; i++) {
    const off = i * UTMP_RECORD_SIZE;
    if (isAllZero(buf, off, UTMP_RECORD_SIZE)) {
      zeroRecords.push(i);
      continue;
    }
    records.push(decodeUtmpRecord(buf, off, file, i));
  }
  return { file, records, trailingBytes: buf.length - whole * UTMP_RECORD_SIZE, zeroRecords };
}
