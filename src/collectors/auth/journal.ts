/**
 * `journalctl -o json` lines → SyslogRecord, for AuthLogParser.pushRecord. Pure.
 *
 * Fields: __REALTIME_TIMESTAMP (µs since the epoch, as a string), SYSLOG_IDENTIFIER (the tag a
 * syslog file would show; falls back to _COMM), _PID (falls back to SYSLOG_PID), _HOSTNAME,
 * MESSAGE. journalctl writes a field that is not valid UTF-8 as an array of byte values, a field
 * present several times as an array of values, and a field over its size limit (without --all)
 * as null.
 *
 * Note: SYSLOG_IDENTIFIER is chosen by the sender (`logger -t sshd` can forge it); _COMM is set by
 * journald from the kernel. Both are returned.
 */
import type { SyslogRecord } from './parse-syslog.js';

export interface JournalRecord extends SyslogRecord {
  /** _COMM, trusted (set by journald); null when absent. */
  comm: string | null;
  /** _SYSTEMD_UNIT, when present. */
  unit: string | null;
}

/** A field value as text: string, byte array (decoded as UTF-8, bad bytes → U+FFFD), or the first of several values. */
export function journalFieldText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '';
    if (v.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) {
      return Buffer.from(v as number[]).toString('utf8');
    }
    return journalFieldText(v[0]);
  }
  return null;
}

/** One line of `journalctl -o json`; null when it is not a JSON object with a MESSAGE. */
export function parseJournalJsonLine(line: string): JournalRecord | null {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return null;
  const o = obj as Record<string, unknown>;
  const message = journalFieldText(o.MESSAGE);
  if (message === null) return null;
  const rawTime = journalFieldText(o.__REALTIME_TIMESTAMP) ?? journalFieldText(o._SOURCE_REALTIME_TIMESTAMP) ?? '';
  let time: Date | null = null;
  if (/^\d{1,19}$/.test(rawTime)) {
    const d = new Date(Number(BigInt(rawTime) / 1000n));
    if (!Number.isNaN(d.getTime())) time = d;
  }
  const comm = journalFieldText(o._COMM);
  const program = journalFieldText(o.SYSLOG_IDENTIFIER) ?? comm;
  const pidText = journalFieldText(o._PID) ?? journalFieldText(o.SYSLOG_PID);
  const pid = pidText !== null && /^\d+$/.test(pidText) ? Number(pidText) : null;
  return {
    time,
    rawTime,
    host: journalFieldText(o._HOSTNAME),
    program,
    pid,
    message,
    comm,
    unit: journalFieldText(o._SYSTEMD_UNIT),
  };
}
