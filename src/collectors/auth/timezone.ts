/**
 * The zone of the clock that wrote zone-less log stamps (RFC 3164 `Dec 10 07:27:52`): rsyslog
 * writes them in the box's local time. Read from the box, through the root:
 *
 *   1. /etc/timezone (Debian, Ubuntu): its first line, when it names a zone this runtime knows;
 *   2. the /etc/localtime link (`…/zoneinfo/Europe/Berlin`; `posix/` and `right/` folders taken off);
 *   3. /etc/localtime missing: glibc then runs the box in UTC, and so did its syslog;
 *   4. /etc/localtime a plain file (a copied zone file), live: this process runs on that box and
 *      its runtime read the same file, so the runtime's zone is the box's (unless TZ is set);
 *   5. otherwise unknown: times are read as UTC and the choice says so (`known: false`).
 */
import { zoneFromLocaltimeLink } from '../host/parse-os-release.js';
import { type RootedFs } from '../../host/rooted-fs.js';
import { zoneOffset, type UtcOffset } from './parse-syslog.js';
import { errorCode } from '../../host/errors.js';

export interface ZoneChoice {
  /** IANA zone name; UTC when unknown. */
  zone: string;
  /** Where it came from, in a few words (for the manifest). */
  from: string;
  /** False when nothing on the box named a zone and UTC was assumed. */
  known: boolean;
  offset: UtcOffset;
}

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'GMT', 'Etc/GMT', 'Etc/GMT0', 'GMT0', 'Etc/Zulu', 'Zulu', 'Universal', 'Etc/Universal']);

/** Minutes east of UTC for a zone name: 0 for the UTC aliases, a cached IANA lookup otherwise; null when unknown. */
export function offsetForZone(zone: string): UtcOffset | null {
  if (UTC_NAMES.has(zone)) return 0;
  let fn: (wallMs: number) => number;
  try {
    fn = zoneOffset(zone);
  } catch {
    return null;
  }
  // Intl is slow (tens of µs a call) and log lines come in time order: remember the quarter hour
  // (every zone change since 1970 falls on a quarter hour of the wall clock).
  let bucket = Number.NaN;
  let cached = 0;
  return (wallMs: number) => {
    const b = Math.floor(wallMs / 900_000);
    if (b !== bucket) {
      bucket = b;
      cached = fn(wallMs);
    }
    return cached;
  };
}

function cleanZone(name: string): string {
  return name.trim().replace(/^(posix|right)\//, '');
}

export async function boxTimeZone(fs: RootedFs, live: boolean): Promise<ZoneChoice> {
  try {
    const text = await fs.readTextIfExists('/etc/timezone', 4096);
    const zone = text ? cleanZone(text.split('\n')[0]) : '';
    const offset = zone ? offsetForZone(zone) : null;
    if (offset !== null) return { zone, from: '/etc/timezone', known: true, offset };
  } catch {
    // Unreadable: try the link.
  }
  let st;
  try {
    st = await fs.lstat('/etc/localtime');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { zone: 'UTC', from: 'no /etc/timezone or /etc/localtime: glibc uses UTC', known: true, offset: 0 };
  }
  if (st?.isSymbolicLink()) {
    try {
      const linked = zoneFromLocaltimeLink(await fs.resolve('/etc/localtime'));
      const zone = linked ? cleanZone(linked) : '';
      const offset = zone ? offsetForZone(zone) : null;
      if (offset !== null) return { zone, from: 'the /etc/localtime link', known: true, offset };
    } catch {
      // A broken link: unknown below.
    }
  }
  if (st?.isFile() && live && !process.env.TZ) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const offset = zone ? offsetForZone(zone) : null;
    if (offset !== null) return { zone, from: '/etc/localtime (a zone file, as this runtime reads it)', known: true, offset };
  }
  return { zone: 'UTC', from: 'unknown (no usable /etc/timezone or /etc/localtime link): times without a zone read as UTC', known: false, offset: 0 };
}
