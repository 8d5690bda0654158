/**
 * Pure parser for /var/log/lastlog (x86_64 glibc struct lastlog, 292 bytes): ll_time int32 @0,
 * ll_line char[32] @4, ll_host char[256] @36. The file is sparse and indexed by uid: the record
 * for uid N is at N * 292. Strings decode like utmp fields (to the first NUL or the field end,
 * UTF-8 with U+FFFD for invalid bytes).
 */
import { cString, isoMicros } from './parse-utmp.js';

export const LASTLOG_RECORD_SIZE = 292;

export interface LastlogEntry {
  /** The uid: the record's position in the file. */
  uid: number;
  /** Last login, ISO 8601 UTC (microseconds always zero: lastlog keeps whole seconds). */
  time: string;
  /** Terminal of the last login (pts/0, ssh, …). */
  line: string;
  /** Remote host of the last login. */
  host: string;
}

/** Every whole record with a non-zero ll_time, in uid order. A trailing partial record is ignored. */
export function parseLastlog(buf: Buffer): LastlogEntry[] {
  const out: LastlogEntry[] = [];
  const whole = Math.floor(buf.length / LASTLOG_RECORD_SIZE);
  for (let uid = 0; uid < whole; uid++) {
    const off = uid * LASTLOG_RECORD_SIZE;
    const sec = buf.readInt32LE(off);
    if (sec === 0) continue;
    out.push({
      uid,
      time: isoMicros(sec, 0),
      line: cString(buf, off + 4, 32),
      host: cString(buf, off + 36, 256),
    });
  }
  return out;
}
